// Register liveness per function (backward dataflow over the blocks): which registers an instruction's
// result can still be read from. The lowering drops computations whose result is dead, and a call passes
// a constant for an argument register the callee never reads.
import { isAlu, isJcc, type FunctionCfg, type Slot } from "./cfg.js";
import type { Convention } from "./frame.js";

const bit = (r: number): number => 1 << r;
const mask = (rs: readonly number[]): number => rs.reduce((m, r) => m | bit(r), 0);
const ARGS = mask([1, 2, 3, 4, 5]);

/** Registers read and written by one instruction under the module's calling convention. */
export function useDef(s: Slot, conv: Convention): { use: number; def: number } {
  const op = s.op;
  const src = s.k ? 0 : bit(s.opReg);
  if (isAlu(op)) {
    const mov = op === 0xb7 || op === 0xb4;
    return { use: (mov ? 0 : bit(s.dst)) | (op === 0x87 || op === 0x84 || op === 0xd4 || op === 0xdc || op === 0xd7 ? 0 : src), def: bit(s.dst) };
  }
  if (isJcc(op)) return { use: bit(s.dst) | src, def: 0 };
  switch (op) {
    case 0x18: return { use: 0, def: bit(s.dst) };
    case 0x71: case 0x69: case 0x61: case 0x79: case 0x91: case 0x89: case 0x81: return { use: bit(s.src), def: bit(s.dst) };
    case 0x72: case 0x6a: case 0x62: case 0x7a: return { use: bit(s.dst), def: 0 };
    case 0x73: case 0x6b: case 0x63: case 0x7b: return { use: bit(s.dst) | bit(s.src), def: 0 };
    case 0xdb: case 0xc3: case 0xcb: case 0xd3: {
      if (s.aux === 11) return { use: bit(s.src), def: bit(s.dst) };
      if (s.aux === 10) return { use: bit(s.dst) | bit(s.src) | 1, def: 1 };
      return { use: bit(s.dst) | bit(s.src), def: s.aux >= 5 && s.aux <= 9 ? bit(s.src) : 0 };
    }
    case 0x20: case 0x28: case 0x30: return { use: 0, def: 1 };
    case 0x40: case 0x48: case 0x50: return { use: bit(s.src), def: 1 };
    case 0x85: case 0x8d: {
      const d = op === 0x8d ? bit(s.dst) : 0;
      if (op === 0x85 && s.aux === 1) return { use: mask(conv.params), def: mask(conv.results) };
      // A helper reads r1-r5; a tail call hands every register of the convention to the target.
      return { use: ARGS | d | mask(conv.params), def: 1 };
    }
    case 0x95: return { use: mask(conv.results), def: 0 };
    default: return { use: 0, def: 0 };
  }
}

/** Live-out register sets per slot (index = pc) for the slots of `fn`. */
export function liveness(fn: FunctionCfg, slots: readonly Slot[], conv: Convention): Map<number, number> {
  const blocks = fn.blocks;
  const uses = blocks.map((b) => b.pcs.map((pc) => useDef(slots[pc]!, conv)));
  const liveIn = new Array<number>(blocks.length).fill(0);
  const out = new Map<number, number>();
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = blocks.length - 1; i >= 0; i--) {
      const b = blocks[i]!;
      let live = 0;
      for (const s of b.succs) live |= liveIn[s]!;
      if (b.term.kind === "exit") live |= mask(conv.results);
      for (let k = b.pcs.length - 1; k >= 0; k--) {
        out.set(b.pcs[k]!, live);
        const ud = uses[i]![k]!;
        live = (live & ~ud.def) | ud.use;
      }
      if (live !== liveIn[i]) { liveIn[i] = live; changed = true; }
    }
  }
  return out;
}

/** Registers live at the function's entry. */
export function liveAtEntry(fn: FunctionCfg, slots: readonly Slot[], conv: Convention, live: Map<number, number>): number {
  const b = fn.blocks[0]!;
  if (!b.pcs.length) return 0;
  let l = live.get(b.pcs[b.pcs.length - 1]!)!;
  for (let k = b.pcs.length - 1; k >= 0; k--) {
    if (k < b.pcs.length - 1) l = live.get(b.pcs[k]!)!;
    const ud = useDef(slots[b.pcs[k]!]!, conv);
    l = (l & ~ud.def) | ud.use;
  }
  return l;
}
