// Static register liveness (6.18's compute_live_registers): which registers are read before being
// written on some path from each instruction. The kernel prints the table at log level 2 ("Live regs
// before insn:") and uses it to forget dead registers in stored states, which makes pruning work.
import { helperById } from "../helpers/table.js";
import type { RawInsn } from "./cfg.js";
import { insnStr } from "./log.js";

const CALLER_SAVED = 0b111111; // r0-r5
const ARGS = 0b111110; // r1-r5
const ALL_REGS = 0x7ff; // r0-r10

/** Registers a helper call reads: its arguments. A helper the program type cannot use (the kernel's
 *  get_call_summary fails, the call is rejected later) counts as reading all of r1-r5. */
function helperArgs(id: number, available: (id: number) => boolean): number {
  const h = helperById(id);
  if (!h || !available(id)) return ARGS;
  let mask = 0;
  h.args.forEach((a, i) => { if (a.type !== "ARG_DONTCARE") mask |= 1 << (i + 1); });
  return mask;
}

/** [use, def] register masks of one instruction. */
function useDef(i: RawInsn, helperAvailable: (id: number) => boolean, kfuncArgs?: (i: RawInsn) => number | undefined): [number, number] {
  const c = i.code, cls = c & 7, bit = (r: number): number => (r < 11 ? 1 << r : 0);
  switch (cls) {
    case 4: case 7: {
      const op = c & 0xf0;
      if (op === 0xb0) return [c & 8 ? bit(i.src) : 0, bit(i.dst)];
      if (op === 0x80 || op === 0xd0) return [bit(i.dst), bit(i.dst)];
      return [bit(i.dst) | (c & 8 ? bit(i.src) : 0), bit(i.dst)];
    }
    case 1: return [bit(i.src), bit(i.dst)];
    case 2: return [bit(i.dst), 0];
    case 3: {
      if ((c & 0xe0) === 0xc0) {
        if (i.imm === 0x100) return [bit(i.src), bit(i.dst)];
        if (i.imm === 0xf1) return [bit(i.dst) | bit(i.src) | 1, 1];
        return [bit(i.dst) | bit(i.src), i.imm & 1 ? bit(i.src) : 0];
      }
      return [bit(i.dst) | bit(i.src), 0];
    }
    case 0: {
      if (c === 0x18) return [0, bit(i.dst)];
      const mode = c & 0xe0;
      // 6.18 leaves LD_ABS/LD_IND at compute_insn_live_regs's defaults: every register used,
      // none defined (so r0-r9 are all live before one, as the kernel's table shows).
      if (mode === 0x20 || mode === 0x40) return [ALL_REGS, 0];
      return [0, 0];
    }
    default: {
      const op = c & 0xf0;
      if (op === 0x90) return [1, 0];
      if (op === 0x80) {
        if (i.src === 0) return [helperArgs(i.imm, helperAvailable), CALLER_SAVED];
        // a kfunc reads its prototype's arguments (get_call_summary: GENMASK(num_params, 1))
        const n = i.src === 2 ? kfuncArgs?.(i) : undefined;
        return [n === undefined ? ARGS : ((1 << (Math.min(n, 5) + 1)) - 2), CALLER_SAVED];
      }
      if (op === 0x00 || op === 0xe0) return [0, 0];
      return [bit(i.dst) | (c & 8 ? bit(i.src) : 0), 0];
    }
  }
}

function successors(insns: readonly RawInsn[], pc: number): number[] {
  const i = insns[pc]!;
  const cls = i.code & 7;
  if (cls === 0 && i.code === 0x18) return [pc + 2];
  if (cls !== 5 && cls !== 6) return [pc + 1];
  const op = i.code & 0xf0;
  if (op === 0x90) return [];
  if (op === 0x80) return [pc + 1];
  if (op === 0x00) return [pc + (cls === 6 ? i.imm : i.off) + 1];
  return [pc + 1, pc + i.off + 1];
}

/** Live-in register mask per slot (second halves of lddw get 0). */
export function liveRegisters(insns: readonly RawInsn[], helperAvailable: (id: number) => boolean = () => true,
  kfuncArgs?: (i: RawInsn) => number | undefined): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n);
  const ud: [number, number][] = insns.map((i) => useDef(i, helperAvailable, kfuncArgs));
  const second = new Uint8Array(n);
  for (let k = 0; k < n; k += insns[k]!.code === 0x18 ? 2 : 1) if (insns[k]!.code === 0x18 && k + 1 < n) second[k + 1] = 1;
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (second[pc]) continue;
      let out = 0;
      for (const s of successors(insns, pc)) if (s >= 0 && s < n) out |= live[s]!;
      const [use, def] = ud[pc]!;
      const v = (use | (out & ~def)) & 0x7ff;
      if (v !== live[pc]) { live[pc] = v; changed = true; }
    }
  }
  return live;
}

/** The "Live regs before insn:" block of a level-2 log; an instruction in a loop shows its SCC number (scc.ts). */
export function liveRegsTable(insns: readonly RawInsn[], live: Uint16Array, scc?: Uint32Array): string {
  let s = "Live regs before insn:\n";
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    let mask = "";
    for (let r = 0; r < 10; r++) mask += live[pc]! & (1 << r) ? String(r) : ".";
    const loop = scc?.[pc] ? `${String(scc[pc]).padStart(3)} ` : "    ";
    s += `${loop}${String(pc).padStart(3)}: ${mask} ${insnStr(i, insns[pc + 1])}\n`;
    if (i.code === 0x18) pc++;
  }
  return s;
}
