// Precision tracking (mark_chain_precision, backtrack_insn, propagate_precision). A scalar only needs
// its exact range in a stored state when some later instruction relied on that range: pointer
// arithmetic, a helper's size or constant argument, a branch decided by the range, a return value
// check. When that happens the verifier walks the current path backwards through the instruction
// history and the chain of checkpoints, and marks every register and stack slot the value was
// computed from as precise in those checkpoints. State pruning (prune.ts) then compares precise
// scalars by range and lets any other scalar match, so paths that differ only in values nobody
// relied on are pruned.
//
// The history (state.ts HistEntry) holds what cannot be recomputed from the code: where a jump into a
// jump point came from, which stack slot a spill or fill touched, which scalars were linked (same id)
// at a conditional jump. Straight-line code is walked by instruction index.
import type { RawInsn } from "./cfg.js";
import type { Env } from "./env.js";
import { frameStr, insnStr, printedRefIds } from "./log.js";
import type { Checkpoint } from "./prune.js";
import { isGlobalSubprog } from "./global-funcs.js";
import { type HistEntry, type LinkedReg, type Reg, type State, Slot, curFrame, ownSlot } from "./state.js";

/** insn_stack_access_flags: INSN_F_STACK_ACCESS | spi << 3 | frameno. */
export const INSN_F_STACK_ACCESS = 1 << 9;
export const INSN_F_DST_REG_STACK = 1 << 10;
export const INSN_F_SRC_REG_STACK = 1 << 11;
export const stackAccessFlags = (frameno: number, spi: number): number => INSN_F_STACK_ACCESS | (spi << 3) | frameno;
const flagSpi = (f: number): number => (f >> 3) & 0x3f;
const flagFrame = (f: number): number => f & 7;

const MAX_CALL_FRAMES = 8;
const LINKED_REGS_MAX = 6;
const REGMASK_ARGS = 0b111110; // r1-r5
/** Helpers that call a callback synchronously (is_sync_callback_calling_insn). */
const SYNC_CALLBACK_HELPERS = new Set([164 /* for_each_map_elem */, 180 /* find_vma */, 181 /* loop */, 209 /* user_ringbuf_drain */]);

/**
 * Jump points (mark_jmp_point in check_cfg): targets of jumps and calls, the instruction after a
 * bpf-to-bpf call or a callback reference, helper calls that run a callback. Arriving at one records
 * where the jump came from.
 */
export function jmpPoints(insns: readonly RawInsn[], jumpTargets: Uint8Array): Uint8Array {
  const out = jumpTargets.slice();
  for (let t = 0; t < insns.length; t++) {
    const i = insns[t]!;
    if (i.code === 0x85 && i.src === 1) out[t + 1] = 1;
    else if (i.code === 0x18 && i.src === 4) out[t + 2] = 1;
    else if (i.code === 0x85 && i.src === 0 && (SYNC_CALLBACK_HELPERS.has(i.imm) || i.imm === 170 /* timer_set_callback */)) {
      out[t] = 1;
      // this emulator returns from a callback to the instruction after the helper call (the kernel to the
      // call itself): record that jump too, so back-tracking walks through the callback
      out[t + 1] = 1;
    }
    if (i.code === 0x18) t++;
  }
  return out;
}

/**
 * push_insn_history: record the current instruction in the state's history. Several records for the
 * same instruction (a jump point that is also a spill, the two sides of an atomic) share one entry.
 */
export function pushHist(env: Env, flags: number, linked?: LinkedReg[]): void {
  const cur = env.curHist;
  if (cur !== undefined) {
    HIST.flags[cur]! |= flags;
    if (linked) HIST.linked.set(cur, linked);
    return;
  }
  const s = env.cur;
  const e = HIST.push(env.insnIdx, env.prevInsnIdx, flags, s.hist);
  if (linked) HIST.linked.set(e, linked);
  s.hist = e;
  s.histLen++;
  env.curHist = e;
}

/**
 * The instruction history entries of one verification (State.hist and HistEntry index it): per entry the
 * instruction, the one before it, the INSN_F_* flags and the entry before it in the same state (-1: none),
 * in typed arrays; the scalars linked at a jump (rare) by entry. Entries are never freed during a
 * verification (at most one per processed instruction); the next verification starts over (resetHist).
 */
class HistLog {
  idx = new Int32Array(1024);
  prevIdx = new Int32Array(1024);
  flags = new Int32Array(1024);
  prev = new Int32Array(1024);
  readonly linked = new Map<number, LinkedReg[]>();
  private n = 0;
  reset(): void {
    this.n = 0;
    this.linked.clear();
    // a big program's log is not kept for the next one (up to 2^18 entries, 4 MB, are)
    if (this.idx.length > 1 << 18) for (const k of ["idx", "prevIdx", "flags", "prev"] as const) this[k] = new Int32Array(1024);
  }
  push(idx: number, prevIdx: number, flags: number, prev: HistEntry | undefined): HistEntry {
    const n = this.n;
    if (n === this.idx.length) for (const k of ["idx", "prevIdx", "flags", "prev"] as const) { const a = new Int32Array(2 * n); a.set(this[k]); this[k] = a; }
    this.idx[n] = idx; this.prevIdx[n] = prevIdx; this.flags[n] = flags; this.prev[n] = prev ?? -1;
    this.n = n + 1;
    return n;
  }
}
const HIST = new HistLog();

/** A new verification: the history entries of the last one are dropped (verifications do not nest). */
export function resetHist(): void { HIST.reset(); }

/**
 * collect_linked_regs: the scalars of every frame (registers, then spilled slots) sharing `id`; more than
 * 6 lose the link. Registers of the current frame dead at the jump (`live` mask) are left out (6.18).
 */
export function collectLinkedRegs(s: State, id: number, live: number, out: LinkedReg[]): void {
  for (let fr = s.frames.length - 1; fr >= 0; fr--) {
    const f = s.frames[fr]!;
    const add = (r: Reg, isReg: boolean, no: number): void => {
      if (r.type !== "scalar" || r.id !== id) return;
      if (out.length < LINKED_REGS_MAX) out.push({ frameno: fr, isReg, no });
      else r.id = 0;
    };
    for (let j = 0; j < 10; j++) if (fr < s.frames.length - 1 || live & (1 << j)) add(f.regs[j]!, true, j);
    for (let j = 0; j < f.stack.length; j++) {
      const sp = f.stack[j]!.spilled;
      // (a seventh link is dropped: r.id = 0 on a slot of its own)
      if (f.stack[j]!.kinds[7] === Slot.SPILL) add(sp.type === "scalar" && sp.id === id && out.length >= LINKED_REGS_MAX ? ownSlot(f, j).spilled : sp, false, j);
    }
  }
}

/** struct backtrack_state: per frame, the registers and stack slots still to be explained (slot masks as
 * two int32 halves per frame, slots 0-31 then 32-63). One instance is reset and reused: back-tracking does
 * not nest. */
class Backtrack {
  frame = 0;
  regs = new Int32Array(MAX_CALL_FRAMES);
  stack = new Int32Array(2 * MAX_CALL_FRAMES);
  reset(frame: number): this { this.frame = frame; this.regs.fill(0); this.stack.fill(0); return this; }
  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if (this.regs[i] || this.stack[2 * i] || this.stack[2 * i + 1]) return false;
    return true;
  }
  isReg(r: number): boolean { return (this.regs[this.frame]! & (1 << r)) !== 0; }
  setReg(r: number): void { this.regs[this.frame]! |= 1 << r; }
  clearReg(r: number): void { this.regs[this.frame]! &= ~(1 << r); }
  setSlot(fr: number, spi: number): void { if (spi < 32) this.stack[2 * fr]! |= 1 << spi; else this.stack[2 * fr + 1]! |= 1 << (spi - 32); }
  clearSlot(fr: number, spi: number): void { if (spi < 32) this.stack[2 * fr]! &= ~(1 << spi); else this.stack[2 * fr + 1]! &= ~(1 << (spi - 32)); }
  isSlot(fr: number, spi: number): boolean { return ((spi < 32 ? this.stack[2 * fr]! >>> spi : this.stack[2 * fr + 1]! >>> (spi - 32)) & 1) !== 0; }
  /** Any slot of frame `fr` to explain. */
  anySlot(fr: number): boolean { return (this.stack[2 * fr]! | this.stack[2 * fr + 1]!) !== 0; }
  /** The slot mask of frame `fr` as a bigint (messages). */
  slotMask(fr: number): bigint { return (BigInt(this.stack[2 * fr + 1]! >>> 0) << 32n) | BigInt(this.stack[2 * fr]! >>> 0); }
}
const BT = new Backtrack();

/** fmt_reg_mask / fmt_stack_mask: "r1,r6" and "-8,-24". */
const regList = (mask: number): string => { const o: string[] = []; for (let i = 0; i < 32; i++) if (mask & (1 << i)) o.push(`r${i}`); return o.join(","); };
const slotList = (mask: bigint): string => { const o: string[] = []; for (let i = 0; i < 64; i++) if (mask & (1n << BigInt(i))) o.push(String(-(i + 1) * 8)); return o.join(","); };

const NOTSUPP = 1, FAULT = 2;

/** bt_sync_linked_regs: if one of the scalars linked at this jump is wanted, all of them are. */
function syncLinked(bt: Backtrack, h: number): void {
  if (h < 0 || HIST.linked.size === 0) return;
  const linked = HIST.linked.get(h);
  if (!linked) return;
  const some = linked.some((e) => (e.isReg ? (bt.regs[e.frameno]! & (1 << e.no)) !== 0 : bt.isSlot(e.frameno, e.no)));
  if (!some) return;
  for (const e of linked) {
    if (e.isReg) bt.regs[e.frameno]! |= 1 << e.no;
    else bt.setSlot(e.frameno, e.no);
  }
}

/**
 * backtrack_insn: what instruction `idx` says about the registers and slots being explained (walking
 * backwards; `subseq` is the instruction walked just before, i.e. the one that followed it).
 */
function backtrackInsn(env: Env, idx: number, subseq: number, h: HistEntry | -1, bt: Backtrack): number {
  const insns = env.insns;
  const insn = insns[idx]!;
  if (insn.code === 0) return 0;
  if (env.log.level >= 2) {
    env.log.write(`mark_precise: frame${bt.frame}: regs=${regList(bt.regs[bt.frame]!)} stack=${slotList(bt.slotMask(bt.frame))} before ${idx}: ${insnStr(insn, insns[idx + 1])}\n`);
  }
  syncLinked(bt, h);
  const cls = insn.code & 7, op = insn.code & 0xf0, srcX = (insn.code & 8) !== 0;
  const dreg = insn.dst, sreg = insn.src;
  const atomicFetch = cls === 3 && (insn.code & 0xe0) === 0xc0 && (insn.imm & 1) === 1 && insn.imm !== 0x111;
  const atomicLoad = cls === 3 && (insn.code & 0xe0) === 0xc0 && insn.imm === 0x100;
  if (cls === 4 || cls === 7) {
    if (!bt.isReg(dreg)) return 0;
    if (op === 0xd0 || op === 0x80) return 0;
    if (op === 0xb0) {
      bt.clearReg(dreg);
      if (srcX && sreg !== 10) bt.setReg(sreg);
    } else if (srcX && sreg !== 10) {
      bt.setReg(sreg);
    }
  } else if (cls === 1 || atomicFetch || atomicLoad) {
    const loadReg = atomicFetch ? (insn.imm === 0xf1 ? 0 : sreg) : dreg;
    if (!bt.isReg(loadReg)) return 0;
    bt.clearReg(loadReg);
    // only the stack keeps a scalar's exact value; any other load is a fresh value
    const hf = h < 0 ? 0 : HIST.flags[h]!;
    if (!(hf & INSN_F_STACK_ACCESS)) return 0;
    bt.setSlot(flagFrame(hf), flagSpi(hf));
  } else if (cls === 3 || cls === 2) {
    if (bt.isReg(dreg)) return NOTSUPP; // a scalar used as a store's address: pointer subtraction
    const hf = h < 0 ? 0 : HIST.flags[h]!;
    if (!(hf & INSN_F_STACK_ACCESS)) return 0;
    const fr = flagFrame(hf), spi = flagSpi(hf);
    if (!bt.isSlot(fr, spi)) return 0;
    bt.clearSlot(fr, spi);
    if (cls === 3) bt.setReg(sreg);
  } else if (cls === 5 || cls === 6) {
    if (insn.code === 0x85 && sreg === 1 && isGlobalSubprog(env, env.subprogs.indexOf(idx + insn.imm + 1))) {
      // a global function was not walked here: it sets r0 and r1-r5 are dead after it
      if (idx + 1 !== subseq) return bug(env, "BUG extra insn from subprog");
      if (bt.regs[bt.frame]! & REGMASK_ARGS) return bug(env, `BUG global subprog unexpected regs ${bt.regs[bt.frame]!.toString(16)}`);
      bt.clearReg(0);
      return 0;
    }
    if (insn.code === 0x85 && sreg === 1) {
      // leaving the callee backwards: only its arguments can still be wanted, in the caller
      if (bt.regs[bt.frame]! & ~REGMASK_ARGS) return bug(env, `BUG regs ${bt.regs[bt.frame]!.toString(16)}`);
      if (bt.anySlot(bt.frame)) return bug(env, `BUG stack slots ${bt.slotMask(bt.frame).toString(16)}`);
      if (bt.frame === 0) return bug(env, "BUG subprog exit from frame 0");
      for (let i = 1; i <= 5; i++) {
        if (bt.isReg(i)) { bt.clearReg(i); bt.regs[bt.frame - 1]! |= 1 << i; }
      }
      bt.frame--;
      return 0;
    }
    if (insn.code === 0x85 && sreg === 0 && SYNC_CALLBACK_HELPERS.has(insn.imm) && idx !== subseq - 1) {
      // the callback returned to the helper call: its r1-r5 are not the helper's arguments
      if (bt.regs[bt.frame]! & ~REGMASK_ARGS) return bug(env, `BUG regs ${bt.regs[bt.frame]!.toString(16)}`);
      if (bt.anySlot(bt.frame)) return bug(env, `BUG stack slots ${bt.slotMask(bt.frame).toString(16)}`);
      for (let i = 1; i <= 5; i++) bt.clearReg(i);
      if (bt.frame === 0) return bug(env, "BUG subprog exit from frame 0");
      bt.frame--;
      return 0;
    }
    if (op === 0x80) {
      if (sreg === 2 && insn.imm === 0) return NOTSUPP;
      bt.clearReg(0);
      if (bt.regs[bt.frame]! & REGMASK_ARGS) return bug(env, `BUG regs ${bt.regs[bt.frame]!.toString(16)}`);
    } else if (op === 0x90) {
      const prev = insns[subseq - 1];
      const fromSubprogCall = subseq - 1 >= 0 && prev !== undefined && prev.code === 0x85 && prev.src === 1;
      const r0Precise = fromSubprogCall && bt.isReg(0);
      if (fromSubprogCall && bt.regs[bt.frame]! & REGMASK_ARGS) return bug(env, `BUG regs ${bt.regs[bt.frame]!.toString(16)}`);
      bt.clearReg(0);
      if (bt.frame === MAX_CALL_FRAMES - 1) return bug(env, `BUG subprog enter from frame ${bt.frame}`);
      bt.frame++;
      if (r0Precise) bt.setReg(0);
      return 0;
    } else if (srcX) {
      if (!bt.isReg(dreg) && !bt.isReg(sreg)) return 0;
      // both sides of a comparison carry the precision, unless one is a stack pointer
      const hf = h < 0 ? 0 : HIST.flags[h]!;
      if (!(hf & INSN_F_SRC_REG_STACK)) bt.setReg(sreg);
      if (!(hf & INSN_F_DST_REG_STACK)) bt.setReg(dreg);
    }
  } else if (cls === 0) {
    const mode = insn.code & 0xe0;
    if (mode === 0) { bt.clearReg(dreg); return 0; }
    if (mode === 0x20 || mode === 0x40) {
      if (bt.isReg(dreg)) return NOTSUPP;
      // the implicit exit of a sub-program's LD_ABS
      if (subseq !== idx + 1) {
        if (bt.frame === MAX_CALL_FRAMES - 1) return bug(env, `BUG subprog enter from frame ${bt.frame}`);
        bt.frame++;
      }
      return 0;
    }
  }
  syncLinked(bt, h);
  return 0;
}

function bug(env: Env, msg: string): number {
  if (env.log.level >= 2) env.log.write(msg + "\n");
  return FAULT;
}

/**
 * get_prev_insn_idx: the instruction executed before `idx` in this segment: from the history when it
 * recorded a jump into `idx`, else idx-1; -1 once the segment's first instruction is reached.
 */
function prevInsn(st: State, idx: number, cursor: { h: HistEntry; left: number }): number {
  if (idx === st.firstInsnIdx) {
    if (cursor.left === 0) return -1;
    if (cursor.left === 1 && HIST.idx[cursor.h]! === idx) return -1;
  }
  if (cursor.left && HIST.idx[cursor.h]! === idx) {
    const p = HIST.prevIdx[cursor.h]!;
    cursor.h = HIST.prev[cursor.h]!;
    cursor.left--;
    return p;
  }
  return idx - 1;
}

/**
 * The scalar registers and spilled slots of a state whose precise flag is not `precise`, frame by frame,
 * for setting it (a spilled one's slot is owned first; the slots left alone stay shared).
 */
function eachScalar(s: State, precise: boolean, fn: (r: Reg, fr: number, isReg: boolean, no: number) => void): void {
  s.frames.forEach((f, fr) => {
    for (let j = 0; j < 10; j++) { const r = f.regs[j]!; if (r.type === "scalar" && r.precise !== precise) fn(r, fr, true, j); }
    f.stack.forEach((slot, j) => {
      if (slot.kinds[7] === Slot.SPILL && slot.spilled.type === "scalar" && slot.spilled.precise !== precise) fn(ownSlot(f, j).spilled, fr, false, j);
    });
  });
}

/** mark_all_scalars_precise: back-tracking gave up; every scalar of every checkpoint above is precise. */
export function markAllScalarsPrecise(env: Env, parent: Checkpoint | undefined, curFrameNo: number): void {
  if (env.log.level >= 2) env.log.write(`mark_precise: frame${curFrameNo}: falling back to forcing all scalars precise\n`);
  for (let cp = parent; cp; cp = cp.parent) {
    eachScalar(cp.state, true, (r, fr, isReg, no) => {
      r.precise = true;
      if (env.log.level >= 2) env.log.write(`force_precise: frame${fr}: forcing ${isReg ? `r${no}` : `fp${-(no + 1) * 8}`} to be precise\n`);
    });
  }
}

/** mark_all_scalars_imprecise: a new checkpoint starts with no precision; its children add what they need. */
export function markAllScalarsImprecise(s: State): void {
  eachScalar(s, false, (r) => { r.precise = false; });
}

/** Precise marks set on checkpoints so far (the kernel's `changed` out-parameter, read by propagate_backedges). */
let marksSet = 0;

/**
 * __mark_chain_precision from the current state: walk back from `lastIdx` through the current segment,
 * then checkpoint by checkpoint, marking in each checkpoint what the wanted values were computed from.
 */
function markChain(env: Env, bt: Backtrack, start: State, parent: Checkpoint | undefined, lastIdx: number): void {
  if (bt.empty()) return;
  let st: State = start;
  let cp: Checkpoint | undefined = parent;
  let firstIdx = st.firstInsnIdx;
  let subseq = -1;
  let skipFirst = true;
  const n = env.insns.length;
  const giveUp = (): void => { markAllScalarsPrecise(env, parent, start.frames.length - 1); bt.reset(0); };
  for (;;) {
    if (env.log.level >= 2) env.log.write(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseq} \n`);
    if (lastIdx < 0) { giveUp(); return; }
    const cursor = { h: st.hist ?? -1, left: st.histLen };
    for (let i = lastIdx; ;) {
      let err = 0;
      if (skipFirst) skipFirst = false;
      else err = backtrackInsn(env, i, subseq, cursor.left && HIST.idx[cursor.h]! === i ? cursor.h : -1, bt);
      if (err) { giveUp(); return; }
      if (bt.empty()) return;
      subseq = i;
      i = prevInsn(st, i, cursor);
      if (i < 0) break;
      if (i >= n) { bug(env, `BUG backtracking idx ${i}`); giveUp(); return; }
    }
    if (!cp) break;
    st = cp.state;
    for (let fr = bt.frame; fr >= 0; fr--) {
      const f = st.frames[fr];
      if (!f) { giveUp(); return; }
      // (the set bits only: this runs for every checkpoint up the chain of every precision request)
      for (let m = bt.regs[fr]!; m !== 0; m &= m - 1) {
        const i = 31 - Math.clz32(m & -m);
        const r = f.regs[i]!;
        if (r.type !== "scalar" || r.precise) bt.regs[fr]! &= ~(1 << i);
        else { r.precise = true; marksSet++; }
      }
      for (let i = 0; i < 64 && bt.anySlot(fr); i++) {
        if (!bt.isSlot(fr, i)) continue;
        const slot = f.stack[i];
        if (!slot) { bug(env, `BUG backtracking (stack slot ${i}, total slots ${f.stack.length})`); giveUp(); return; }
        if (slot.kinds[7] !== Slot.SPILL || slot.spilled.type !== "scalar" || slot.spilled.precise) bt.clearSlot(fr, i);
        else { ownSlot(f, i).spilled.precise = true; marksSet++; }
      }
      if (env.log.level >= 2) {
        env.log.write(`mark_precise: frame${fr}: parent state regs=${regList(bt.regs[fr]!)} stack=${slotList(bt.slotMask(fr))}: ` +
          frameStr(f, true, new Set(), new Set(), (m) => mapName(env, m), printedRefIds(st)));
      }
    }
    if (bt.empty()) return;
    subseq = firstIdx;
    lastIdx = st.lastInsnIdx;
    firstIdx = st.firstInsnIdx;
    cp = cp.parent;
  }
  // something was missed (e.g. a stack access through a register other than r10): be conservative
  if (!bt.empty()) giveUp();
}

function mapName(env: Env, i: number): { name: string; ks: number; vs: number } | undefined {
  const m = env.opts.maps[i];
  return m ? { name: m.name.slice(0, 15), ks: m.keySize, vs: m.valueSize } : undefined;
}

/** mark_chain_precision(regno): the current value of scalar `regno` (current frame) was relied upon. */
export function markChainPrecision(env: Env, regno: number): void {
  const bt = BT.reset(env.cur.frames.length - 1);
  if (regno < 0 || curFrame(env.cur).regs[regno]?.type !== "scalar") return;
  bt.setReg(regno);
  markChain(env, bt, env.cur, env.parentCp, env.insnIdx);
}

/** The same for a spilled scalar of frame `frameno` (get_constant_map_key: a constant key on the stack). */
export function markSlotPrecision(env: Env, frameno: number, spi: number): void {
  const bt = BT.reset(env.cur.frames.length - 1);
  bt.setSlot(frameno, spi);
  markChain(env, bt, env.cur, env.parentCp, env.insnIdx);
}

/**
 * propagate_precision: the current state was pruned against `old`; what was precise in `old` was relied
 * on after this point, so the current path must provide it too. propagate_backedges (backedges.ts) runs
 * it again later from a saved pruned state (`start`, its checkpoint `parent`, the pruned insn `lastIdx`).
 * Returns whether a checkpoint gained a precise mark.
 */
export function propagatePrecision(env: Env, old: State, start: State = env.cur, parent: Checkpoint | undefined = env.parentCp,
  lastIdx: number = env.insnIdx): boolean {
  const before = marksSet;
  const bt = BT.reset(start.frames.length - 1);
  for (let fr = old.frames.length - 1; fr >= 0; fr--) {
    const f = old.frames[fr]!;
    const names: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = f.regs[i]!;
      if (r.type !== "scalar" || !r.precise) continue;
      names.push(`r${i}`);
      bt.regs[fr]! |= 1 << i;
    }
    f.stack.forEach((slot, i) => {
      if (slot.kinds[7] !== Slot.SPILL || slot.spilled.type !== "scalar" || !slot.spilled.precise) return;
      names.push(`fp${-(i + 1) * 8}`);
      bt.setSlot(fr, i);
    });
    if (names.length && env.log.level >= 2) env.log.write(`frame ${fr}: propagating ${names.join(",")}\n`);
  }
  markChain(env, bt, start, parent, lastIdx);
  return marksSet !== before;
}
