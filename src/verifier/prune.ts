// State pruning (is_state_visited / states_equal / regsafe). A state reaching a prune point is
// compared with the finished states recorded there: if an old state was proven safe and contains the
// new one (every register and stack byte of the new state is at most as permissive), the new path is
// safe too. States still being explored (their subtree not finished) are only used to detect an
// infinite loop: the same exact state coming round again.
//
// This emulator does not track liveness or precision, so it compares every register exactly or by
// range inclusion. That is sound (it only prunes what the kernel would also prune) but prunes less, so
// it may walk more instructions than the kernel does; verdicts agree except near the complexity limit.
import { tEquals, tIn } from "./tnum.js";
import { type Frame, type Reg, type State, Slot } from "./state.js";

export interface Checkpoint {
  state: State;
  insn: number;
  /** Paths below this checkpoint still being explored (0 = finished, usable for pruning). */
  branches: number;
  parent: Checkpoint | undefined;
  hit: number;
  miss: number;
  /** Dead registers already forgotten (clean_live_states). */
  cleaned: boolean;
}

class IdMap {
  private readonly m = new Map<number, number>();
  private readonly back = new Map<number, number>();
  check(oldId: number, curId: number): boolean {
    if (oldId === 0 && curId === 0) return true;
    if (oldId === 0 || curId === 0) return false;
    const seen = this.m.get(oldId);
    if (seen !== undefined) return seen === curId;
    if (this.back.has(curId)) return false;
    this.m.set(oldId, curId);
    this.back.set(curId, oldId);
    return true;
  }
}

function rangeWithin(o: Reg, c: Reg): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

function regExact(o: Reg, c: Reg): boolean {
  return o.type === c.type && o.maybeNull === c.maybeNull && o.off === c.off && o.range === c.range && o.map === c.map &&
    o.frameno === c.frameno && o.memSize === c.memSize && tEquals(o.varOff, c.varOff) && o.umin === c.umin && o.umax === c.umax &&
    o.smin === c.smin && o.smax === c.smax && o.u32min === c.u32min && o.u32max === c.u32max && o.s32min === c.s32min && o.s32max === c.s32max;
}

function regsafe(o: Reg, c: Reg, ids: IdMap, exact: boolean): boolean {
  if (o.type === "not_init") return exact ? c.type === "not_init" : true;
  if (c.type === "not_init") return false;
  if (exact) return regExact(o, c) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
  if (o.type !== c.type) return false;
  if (o.type === "scalar") return rangeWithin(o, c) && tIn(o.varOff, c.varOff);
  if (o.maybeNull !== c.maybeNull || o.ringbuf !== c.ringbuf || o.rdonly !== c.rdonly) return false;
  if (o.off !== c.off || o.map !== c.map || o.frameno !== c.frameno || o.memSize !== c.memSize) return false;
  if (!rangeWithin(o, c) || !tIn(o.varOff, c.varOff)) return false;
  if (o.type === "pkt" || o.type === "pkt_meta") {
    if (c.range < o.range) return false;
  }
  if (o.type === "func" && o.range !== c.range) return false;
  return ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
}

function stacksafe(o: Frame, c: Frame, ids: IdMap, exact: boolean): boolean {
  for (let i = 0; i < o.stack.length; i++) {
    const os = o.stack[i]!;
    const cs = c.stack[i];
    for (let j = 0; j < 8; j++) {
      const ok = os.kinds[j]!;
      const ck = cs ? cs.kinds[j]! : Slot.INVALID;
      if (exact) { if (ok !== ck) return false; continue; }
      if (ok === Slot.INVALID) continue;
      if (ok === Slot.MISC) {
        if (ck === Slot.MISC || ck === Slot.ZERO) continue;
        if (ck === Slot.SPILL && cs!.spilled.type === "scalar") continue;
        return false;
      }
      if (ok !== ck) return false;
    }
    if (os.kinds[7] === Slot.SPILL) {
      if (!cs || !regsafe(os.spilled, cs.spilled, ids, exact)) return false;
    }
  }
  if (exact && c.stack.length > o.stack.length) {
    for (let i = o.stack.length; i < c.stack.length; i++) if (c.stack[i]!.kinds.some((k) => k !== Slot.INVALID)) return false;
  }
  return true;
}

export function statesEqual(o: State, c: State, exact: boolean): boolean {
  if (o.frames.length !== c.frames.length) return false;
  if (o.refs.length !== c.refs.length) return false;
  const ids = new IdMap();
  for (let f = 0; f < o.frames.length; f++) {
    const of = o.frames[f]!, cf = c.frames[f]!;
    if (of.callsite !== cf.callsite || of.inCallback !== cf.inCallback) return false;
    for (let r = 0; r < 11; r++) if (!regsafe(of.regs[r]!, cf.regs[r]!, ids, exact)) return false;
    if (!stacksafe(of, cf, ids, exact)) return false;
  }
  for (let i = 0; i < o.refs.length; i++) if (!ids.check(o.refs[i]!.id, c.refs[i]!.id)) return false;
  if (!o.activeLock !== !c.activeLock) return false;
  if (o.activeLock && (o.activeLock.map !== c.activeLock!.map || !ids.check(o.activeLock.id, c.activeLock!.id))) return false;
  return true;
}

/** Finish a path: its checkpoints lose one live branch, up to the first one that still has others. */
export function finishPath(cp: Checkpoint | undefined): void {
  for (let p = cp; p; p = p.parent) {
    p.branches--;
    if (p.branches > 0) break;
  }
}
