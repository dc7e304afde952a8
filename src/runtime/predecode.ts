// Turns a program's instructions into the interpreter's fixed-size entries (layout documented in
// asm/interpreter.entry.ts) at load time, so the hot loop does no field extraction, no K/X split and no
// relative-offset arithmetic. Problems an interpreter would otherwise hit mid-run (jumps out of the
// program, into an lddw's second half, unsupported forms) are reported here, with their pc.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { type Instruction, formOf, isWide, ATOMIC, PSEUDO } from "../isa/index.js";
import { ENTRY, REGS } from "./layout.js";
import type { RuntimeMemory } from "./memory.js";

/** How lddw pseudo sources become constants (map handles and value addresses are memory addresses). */
export interface LddwResolver {
  mapHandle(index: number, pc: number): bigint;
  mapValue(index: number, offset: number, pc: number): bigint;
}

export interface DecodedCode {
  /** Address of the first entry. */
  base: number;
  /** Slots (pc values) of the program. */
  slots: number;
}

const ATOMIC_AUX = new Map<number, number>([
  [ATOMIC.ADD, 1], [ATOMIC.OR, 2], [ATOMIC.AND, 3], [ATOMIC.XOR, 4],
  [ATOMIC.ADD | ATOMIC.FETCH, 5], [ATOMIC.OR | ATOMIC.FETCH, 6], [ATOMIC.AND | ATOMIC.FETCH, 7], [ATOMIC.XOR | ATOMIC.FETCH, 8],
  [ATOMIC.XCHG, 9], [ATOMIC.CMPXCHG, 10], [ATOMIC.LOAD_ACQ, 11], [ATOMIC.STORE_REL, 12],
]);

/** Number of slots a program takes (an lddw takes two), plus one sentinel that stops a fall-through. */
export function entriesNeeded(insns: readonly Instruction[]): number {
  let n = 0;
  for (const i of insns) n += isWide(i) ? 2 : 1;
  return n + 1;
}

/** Write the entries of `insns` at `base` (allocated with room for entriesNeeded(insns) entries). */
export function predecode(insns: readonly Instruction[], mem: RuntimeMemory, base: number, resolver: LddwResolver): DecodedCode {
  const problems: Diagnostic[] = [];
  const slotOf: number[] = [];
  const second = new Set<number>();
  let slots = 0;
  for (const i of insns) {
    slotOf.push(slots);
    if (isWide(i)) second.add(slots + 1);
    slots += isWide(i) ? 2 : 1;
  }
  const dv = mem.dv;
  mem.fill(base, (slots + 1) * ENTRY);
  const target = (pc: number, rel: number): number => {
    const t = pc + 1 + rel;
    if (t < 0 || t >= slots) problems.push(diag("BK5002", { target: t, last: slots - 1 }, { pc }));
    else if (second.has(t)) problems.push(diag("BK5003", { target: t }, { pc }));
    return base + t * ENTRY;
  };
  insns.forEach((insn, idx) => {
    const pc = slotOf[idx]!;
    const e = base + pc * ENTRY;
    const form = formOf(insn);
    if (!form) {
      problems.push(diag("BK5001", { form: `opcode 0x${insn.opcode.toString(16)}`, why: "no instruction form has these fields" }, { pc }));
      return;
    }
    const isX = (insn.opcode & 0x08) !== 0;
    let op = insn.opcode;
    let aux = 0;
    let off = insn.off;
    let imm = BigInt(insn.imm);
    let opnd = e + 8;
    switch (form.kind) {
      case "alu": case "neg": case "movsx": case "addr_space_cast":
        op = insn.opcode & ~0x08;
        if (isX) opnd = REGS + insn.src * 8;
        if (form.op === "sdiv" || form.op === "smod") aux = 1;
        if (form.kind === "movsx") aux = form.fromBits ?? 0;
        break;
      case "endian":
        aux = insn.imm;
        break;
      case "load": case "loadsx": case "store_imm": case "store_reg": case "ld_abs": case "ld_ind":
        break;
      case "atomic": case "load_acquire": case "store_release":
        aux = ATOMIC_AUX.get(insn.imm) ?? 0;
        break;
      case "lddw": {
        const v = insn.imm64 ?? BigInt(insn.imm >>> 0);
        switch (insn.src) {
          case PSEUDO.IMM: imm = v; break;
          case PSEUDO.MAP_FD: case PSEUDO.MAP_IDX: imm = resolver.mapHandle(insn.imm, pc); break;
          case PSEUDO.MAP_VALUE: case PSEUDO.MAP_IDX_VALUE: imm = resolver.mapValue(insn.imm, Number(v >> 32n), pc); break;
          case PSEUDO.FUNC: imm = BigInt(target(pc, insn.imm)); break;
          default:
            problems.push(diag("BK5001", { form: form.name, why: "BTF ids name kernel objects that do not exist in the interpreter" }, { pc }));
        }
        break;
      }
      case "ja": off = target(pc, insn.off); break;
      case "gotol": off = target(pc, insn.imm); break;
      case "jcc":
        op = insn.opcode & ~0x08;
        if (isX) opnd = REGS + insn.src * 8;
        off = target(pc, insn.off);
        break;
      case "may_goto": off = target(pc, insn.off); break;
      case "call":
        if (insn.src === 1) { aux = 1; off = target(pc, insn.imm); }
        else if (insn.src === 2) problems.push(diag("BK5001", { form: "call kfunc", why: "kfuncs are kernel functions the interpreter does not have" }, { pc }));
        break;
      case "callx": case "exit":
        break;
    }
    dv.setUint8(e, op);
    dv.setUint8(e + 1, insn.dst * 8);
    dv.setUint8(e + 2, aux);
    dv.setUint8(e + 3, insn.src * 8);
    dv.setInt32(e + 4, off | 0, true);
    dv.setBigUint64(e + 8, BigInt.asUintN(64, imm), true);
    dv.setUint32(e + 16, opnd, true);
  });
  if (problems.length) throw new BpfkitError(problems, 1);
  return { base, slots };
}
