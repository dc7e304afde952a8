// Control-flow graph of pre-decoded code (src/runtime/predecode.ts): the compiler reads the very entries
// the interpreter runs, so both agree on every operand, jump target and lddw constant. A program splits
// into functions (its entry, bpf-to-bpf call targets, callbacks named by lddw func), each function into
// basic blocks in reverse postorder with immediate dominators, loop headers and merge nodes, which is
// what structure.ts needs to emit structured WebAssembly control flow.
import { ENTRY, REGS } from "../runtime/layout.js";

/** One pre-decoded slot, unpacked. */
export interface Slot {
  pc: number;
  /** Entry address (what the interpreter reports as the instruction pointer). */
  ip: number;
  op: number;
  /** Register numbers (the entry stores them times 8). */
  dst: number;
  src: number;
  aux: number;
  /** Memory offset, or for jumps and local calls the target's slot. */
  off: number;
  /** The immediate: lddw's 64-bit constant; for every other instruction the sign-extended 32-bit imm (also in imm32). */
  imm: bigint;
  imm32: number;
  /** The second operand is the immediate (K form); otherwise register `opReg`. */
  k: boolean;
  opReg: number;
}

/** A loaded program as the compiler sees it. */
export interface CodeImage {
  name: string;
  base: number;
  slots: number;
  /** Slots holding an lddw whose constant is a function entry (callbacks: bpf_loop...). */
  funcRefs: number[];
}

export type Terminator =
  | { kind: "jump"; target: number }
  | { kind: "cond"; target: number; fall: number }
  | { kind: "may_goto"; target: number; fall: number }
  | { kind: "exit" }
  | { kind: "fall"; next: number }
  /** Falls past the last instruction (the interpreter's sentinel): stops with "ran past its last instruction". */
  | { kind: "off_end" }
  /** An instruction the interpreter has no case for: stops there. */
  | { kind: "bad"; ip: number };

export interface Block {
  /** Index in the function's block list (reverse postorder: the entry is 0). */
  id: number;
  start: number;
  /** Slots of the block's instructions (an lddw's second slot is skipped). */
  pcs: number[];
  term: Terminator;
  succs: number[];
  preds: number[];
  idom: number;
  /** Has an incoming back edge (from a block it dominates). */
  loopHeader: boolean;
  /** Two or more forward incoming edges: placed after a `block` that branches reach. */
  merge: boolean;
  /** Dominator-tree children that are merge nodes, the latest in reverse postorder first. */
  mergeChildren: number[];
}

export interface FunctionCfg {
  entry: number;
  blocks: Block[];
  /** Every back edge goes to a block that dominates its source: structured loops suffice. */
  reducible: boolean;
}

const ALU_OPS = new Set([0x07, 0x17, 0x27, 0x37, 0x47, 0x57, 0x67, 0x77, 0x87, 0x97, 0xa7, 0xb7, 0xc7, 0xd7,
  0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x84, 0x94, 0xa4, 0xb4, 0xc4, 0xd4, 0xdc]);
const JCC_OPS = new Set([0x15, 0x25, 0x35, 0x45, 0x55, 0x65, 0x75, 0xa5, 0xb5, 0xc5, 0xd5,
  0x16, 0x26, 0x36, 0x46, 0x56, 0x66, 0x76, 0xa6, 0xb6, 0xc6, 0xd6]);
const MEM_OPS = new Set([0x71, 0x69, 0x61, 0x79, 0x91, 0x89, 0x81, 0x72, 0x6a, 0x62, 0x7a, 0x73, 0x6b, 0x63, 0x7b,
  0xdb, 0xc3, 0xcb, 0xd3, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50]);
export const isAlu = (op: number): boolean => ALU_OPS.has(op);
export const isJcc = (op: number): boolean => JCC_OPS.has(op);
/** Every opcode the interpreter's switch handles. */
export const isKnownOp = (op: number): boolean => ALU_OPS.has(op) || JCC_OPS.has(op) || MEM_OPS.has(op) ||
  op === 0x18 || op === 0x05 || op === 0x06 || op === 0xe5 || op === 0x85 || op === 0x8d || op === 0x95;

/** Read the pre-decoded entries of `code` from memory. */
export function readSlots(u8: Uint8Array, code: CodeImage): Slot[] {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const out: Slot[] = [];
  for (let pc = 0; pc < code.slots; pc++) {
    const e = code.base + pc * ENTRY;
    const op = dv.getUint8(e);
    const opnd = dv.getUint32(e + 16, true);
    const off = dv.getInt32(e + 4, true);
    const jumps = op === 0x05 || op === 0x06 || op === 0xe5 || isJcc(op) || (op === 0x85 && dv.getUint8(e + 2) === 1);
    const imm32 = dv.getInt32(e + 8, true);
    out.push({
      pc, ip: e, op, dst: dv.getUint8(e + 1) >> 3, src: dv.getUint8(e + 3) >> 3, aux: dv.getUint8(e + 2),
      off: jumps ? (off - code.base) / ENTRY : off,
      // Only lddw carries a constant wider than the sign-extended 32-bit immediate (BigInts cost at compile time).
      imm: op === 0x18 ? dv.getBigUint64(e + 8, true) : BigInt(imm32), imm32,
      k: opnd === e + 8, opReg: opnd === e + 8 ? -1 : (opnd - REGS) >> 3,
    });
  }
  return out;
}

/** Slot after `s` (an lddw takes two). */
export const nextPc = (s: Slot): number => s.pc + (s.op === 0x18 ? 2 : 1);

/** Function entries: the program's first slot, local-call targets and function references, sorted. */
export function functionEntries(slots: readonly Slot[], code: CodeImage): number[] {
  const set = new Set<number>([0]);
  for (const s of slots) if (s.op === 0x85 && s.aux === 1) set.add(s.off);
  for (const pc of code.funcRefs) {
    const s = slots[pc];
    if (s) set.add((Number(s.imm) - code.base) / ENTRY);
  }
  return [...set].filter((pc) => Number.isInteger(pc) && pc >= 0 && pc < code.slots).sort((a, b) => a - b);
}

/** Slots that start a basic block: jump targets and what follows a jump or exit. */
function leaders(slots: readonly Slot[], entries: readonly number[]): Set<number> {
  const out = new Set<number>(entries);
  for (let pc = 0; pc < slots.length;) {
    const s = slots[pc]!;
    const next = nextPc(s);
    if (s.op === 0x05 || s.op === 0x06) { out.add(s.off); out.add(next); }
    else if (isJcc(s.op) || s.op === 0xe5) { out.add(s.off); out.add(next); }
    else if (s.op === 0x95 || !isKnownOp(s.op)) out.add(next);
    pc = next;
  }
  return out;
}

/** The blocks reachable from `entry` (not following calls), in reverse postorder, with dominators. */
export function buildFunction(slots: readonly Slot[], entry: number, lead: Set<number>): FunctionCfg {
  const n = slots.length;
  // Discover blocks by slot.
  interface Raw { start: number; pcs: number[]; term: Terminator; succ: number[] }
  const raw = new Map<number, Raw>();
  const OFF_END = n; // pseudo-block start for falling off the end
  const scan = (start: number): Raw => {
    if (start >= n) return { start: OFF_END, pcs: [], term: { kind: "off_end" }, succ: [] };
    const pcs: number[] = [];
    let pc = start;
    for (;;) {
      const s = slots[pc]!;
      pcs.push(pc);
      const next = nextPc(s);
      if (s.op === 0x05 || s.op === 0x06) return { start, pcs, term: { kind: "jump", target: s.off }, succ: [s.off] };
      if (isJcc(s.op)) return { start, pcs, term: { kind: "cond", target: s.off, fall: next }, succ: [s.off, next] };
      if (s.op === 0xe5) return { start, pcs, term: { kind: "may_goto", target: s.off, fall: next }, succ: [s.off, next] };
      if (s.op === 0x95) return { start, pcs, term: { kind: "exit" }, succ: [] };
      if (!isKnownOp(s.op)) return { start, pcs: pcs.slice(0, -1), term: { kind: "bad", ip: s.ip }, succ: [] };
      if (next >= n) return { start, pcs, term: { kind: "fall", next: OFF_END }, succ: [OFF_END] };
      if (lead.has(next)) return { start, pcs, term: { kind: "fall", next }, succ: [next] };
      pc = next;
    }
  };
  // Depth-first: postorder for RPO.
  const order: number[] = [];
  const seen = new Set<number>();
  const stack: [number, number][] = [[entry, 0]];
  seen.add(entry);
  raw.set(entry, scan(entry));
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const r = raw.get(top[0])!;
    if (top[1] < r.succ.length) {
      const s = r.succ[top[1]++]!;
      if (!seen.has(s)) {
        seen.add(s);
        raw.set(s, scan(s));
        stack.push([s, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  order.reverse();
  const idOf = new Map<number, number>(order.map((start, i) => [start, i]));
  const blocks: Block[] = order.map((start, id) => {
    const r = raw.get(start)!;
    return { id, start, pcs: r.pcs, term: r.term, succs: r.succ.map((s) => idOf.get(s)!), preds: [], idom: -1, loopHeader: false, merge: false, mergeChildren: [] };
  });
  for (const b of blocks) for (const s of b.succs) blocks[s]!.preds.push(b.id);
  // Immediate dominators (Cooper, Harvey, Kennedy), on reverse-postorder ids.
  blocks[0]!.idom = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (const b of blocks) {
      if (b.id === 0) continue;
      let idom = -1;
      for (const p of b.preds) {
        if (blocks[p]!.idom === -1) continue;
        if (idom === -1) { idom = p; continue; }
        let x = p, y = idom;
        while (x !== y) {
          while (x > y) x = blocks[x]!.idom;
          while (y > x) y = blocks[y]!.idom;
        }
        idom = x;
      }
      if (idom !== b.idom) { b.idom = idom; changed = true; }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    while (b !== a && b !== 0) b = blocks[b]!.idom;
    return b === a;
  };
  let reducible = true;
  for (const b of blocks) {
    let forward = 0;
    for (const p of b.preds) {
      if (p >= b.id) { // back edge (a self loop included)
        b.loopHeader = true;
        if (!dominates(b.id, p)) reducible = false;
      } else forward++;
    }
    b.merge = forward >= 2;
  }
  for (const b of blocks) if (b.id !== 0 && b.merge) blocks[b.idom]!.mergeChildren.push(b.id);
  for (const b of blocks) b.mergeChildren.sort((x, y) => y - x);
  return { entry, blocks, reducible };
}

/** Every function of a program. */
export function buildProgram(slots: readonly Slot[], code: CodeImage): { entries: number[]; functions: FunctionCfg[] } {
  const entries = functionEntries(slots, code);
  const lead = leaders(slots, entries);
  return { entries, functions: entries.map((e) => buildFunction(slots, e, lead)) };
}
