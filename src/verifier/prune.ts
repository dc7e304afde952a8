// State pruning (is_state_visited / states_equal / regsafe). A state reaching a prune point is
// compared with the finished states recorded there: if an old state was proven safe and contains the
// new one (every register and stack byte of the new state is at most as permissive), the new path is
// safe too. States still being explored (their subtree not finished) are only used to detect an
// infinite loop: the same exact state coming round again.
//
// Scalars are compared by range only where the old state marked them precise (precision.ts): any
// other scalar of the old state was never relied upon after this point, so any scalar matches it.
// Registers dead at the checkpoint are forgotten first (liveness.ts, clean_live_states).
import { boundsEqual, rangeWithin } from "./scalar.js";
import { tIn } from "./tnum.js";
import { type Frame, type Reg, type StackSlot, type State, Slot, unknownScalar } from "./state.js";

export interface Checkpoint {
  state: State;
  insn: number;
  /** Paths below this checkpoint still being explored (0 = finished, usable for pruning). */
  branches: number;
  parent: Checkpoint | undefined;
  hit: number;
  miss: number;
  /** Dead registers and stack slots already forgotten (clean_live_states). */
  cleaned: boolean;
  /** A later iteration of a loop (may_goto, a callback-calling helper) was pruned against this state
   *  while it was unfinished: its subtree's stack reads are incomplete until it finishes. */
  loopHit?: boolean;
  /** Its explored_states hash bucket (insn ^ callsite of its innermost frame, modulo the program length):
   *  is_state_visited only looks at the current state's bucket, so states of the same instruction reached
   *  through another call site are neither compared, nor counted as misses, nor stop a new state. */
  bucket: number;
  /** Evicted from its instruction's list while unfinished (freed, and uncounted, when it finishes). */
  evicted?: boolean;
  /** Its loop visit's key (compute_scc_callchain), once asked; "" outside loops. */
  loopKey?: string;
  /** The state with its dead registers not_init, for convergence checks while unfinished (verifier.ts liveView). */
  liveView?: State;
}

/**
 * check_ids' idmap: a bijection between the old state's ids and the current one's, built up while
 * comparing. Like the kernel's it is a pair of small arrays scanned linearly (a comparison sees few ids),
 * and one instance is reset and reused for every comparison: statesEqual runs for every checkpoint at
 * every prune point, and two Maps per call were ~3% of the time.
 */
class IdMap {
  private readonly old: number[] = [];
  private readonly cur: number[] = [];
  private n = 0;
  /** Ids above every real one (and every BPF_ADD_CONST one), for check_scalar_ids (tmp_id_gen). */
  private tmp = 2 ** 40;
  reset(): this {
    this.n = 0;
    this.tmp = 2 ** 40;
    return this;
  }
  check(oldId: number, curId: number): boolean {
    if (oldId === 0 && curId === 0) return true;
    if (oldId === 0 || curId === 0) return false;
    // the pairs form a bijection, so the first entry naming either id decides
    for (let i = 0; i < this.n; i++) {
      if (this.old[i] === oldId) return this.cur[i] === curId;
      if (this.cur[i] === curId) return false;
    }
    this.old[this.n] = oldId;
    this.cur[this.n] = curId;
    this.n++;
    return true;
  }
  /**
   * check_scalar_ids: an unlinked old scalar accepts any id; a linked one needs the same links in the
   * current state, where an unlinked scalar gets a fresh id (so two unlinked ones cannot stand for one link).
   */
  checkScalar(o: Reg, c: Reg): boolean {
    if (!o.id) return true;
    if (!this.check(scalarId(o), c.id ? scalarId(c) : ++this.tmp)) return false;
    // a delta link maps its base id consistently too
    return !o.addConst || this.check(o.id, c.id || this.tmp);
  }
}

/** The kernel's scalar id with its BPF_ADD_CONST64/32 bit (31/30). */
function scalarId(r: Reg): number {
  return r.id + (r.addConst === 64 ? 2 ** 31 : r.addConst === 32 ? 2 ** 30 : 0);
}



/** The fields regs_exact compares (everything before `id` in struct bpf_reg_state). */
function sameFields(o: Reg, c: Reg): boolean {
  return o.type === c.type && o.maybeNull === c.maybeNull && o.ringbuf === c.ringbuf && o.rdonly === c.rdonly && o.off === c.off &&
    o.range === c.range && o.map === c.map && o.memSize === c.memSize && o.btfId === c.btfId && o.tflags === c.tflags &&
    o.dynptrId === c.dynptrId && boundsEqual(o, c);
}

// module level, not a closure per call: tsx (keepNames) wraps every named closure in a costly __name() call
const exactId = (r: Reg): number => (r.type === "scalar" ? scalarId(r) : r.id);

function regsExact(o: Reg, c: Reg, ids: IdMap): boolean {
  return sameFields(o, c) && o.frameno === c.frameno && ids.check(exactId(o), exactId(c)) && ids.check(o.refObjId, c.refObjId);
}

/**
 * regsafe: is the current register at most as permissive as the old one? A scalar nobody needed
 * precisely (not marked precise in the old state) matches any scalar; a precise one must lie inside the
 * old range. `exact` (infinite-loop detection) wants the same register.
 */
function regsafe(o: Reg, c: Reg, ids: IdMap, exact: Exactness): boolean {
  // one register shared by both states (not_init, ctx and stack pointers are shared between copies) that
  // names no id: safe at every level, and nothing for the id map to learn
  if (o === c && o.id === 0 && o.refObjId === 0 && o.addConst === 0) return true;
  if (exact === "exact") return o.type === "not_init" && c.type === "not_init" ? true : regsExact(o, c, ids);
  if (o.type === "not_init") return true;
  // the kernel's type includes its flags
  if (o.type !== c.type || o.tflags !== c.tflags) return false;
  switch (o.type) {
    case "scalar":
      if (!o.precise && exact === "not_exact") return true;
      // linked with a delta on one side only, or alu32 on one side and alu64 on the other: different links; both: same delta
      if (o.id && o.addConst !== c.addConst) return false;
      if (o.addConst && o.off !== c.off) return false;
      if (!ids.checkScalar(o, c)) return false;
      return rangeWithin(o, c) && tIn(o.varOff, c.varOff);
    case "arena":
      return true;
    case "map_key": case "map_value": case "mem": case "buf": case "tp_buffer":
      return o.maybeNull === c.maybeNull && o.ringbuf === c.ringbuf && o.rdonly === c.rdonly && o.off === c.off && o.map === c.map &&
        o.memSize === c.memSize && o.dynptrId === c.dynptrId && rangeWithin(o, c) && tIn(o.varOff, c.varOff) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
    case "pkt": case "pkt_meta":
      // at least the old verified range (or the same beyond/at-end marker), same offset and id, narrower variable part
      if (o.range < 0 || c.range < 0) { if (o.range !== c.range) return false; } else if (o.range > c.range) return false;
      if (o.off !== c.off) return false;
      if (!ids.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tIn(o.varOff, c.varOff);
    case "stack":
      // fp-8 of one frame is not fp-8 of another
      return regsExact(o, c, ids) && o.frameno === c.frameno;
    default:
      return regsExact(o, c, ids);
  }
}

/** The scalar a slot reads as, if any: a 64-bit scalar spill, or an unknown scalar for all-MISC bytes (scalar_reg_for_stack). */
function scalarForSlot(st: StackSlot | undefined): Reg | undefined {
  if (!st) return undefined;
  if (st.kinds[0] === Slot.SPILL && st.spilled.type === "scalar") return st.spilled;
  for (let j = 0; j < 8; j++) if (st.kinds[j] !== Slot.MISC && st.kinds[j] !== Slot.INVALID) return undefined;
  return UNBOUND;
}
const UNBOUND: Reg = unknownScalar();

/**
 * stacksafe, for a privileged loader (uninitialised stack reads allowed): old INVALID or MISC bytes
 * accept anything, a spilled scalar compares as a register (against an unknown scalar for MISC bytes),
 * other kinds must match.
 */
function stacksafe(o: Frame, c: Frame, ids: IdMap, exact: Exactness): boolean {
  const oBytes = o.stack.length * 8, cBytes = c.stack.length * 8;
  for (let i = 0; i < oBytes; i++) {
    const spi = i >> 3, j = i & 7;
    const os = o.stack[spi]!, cs = c.stack[spi];
    const ok = os.kinds[j]!;
    if (exact === "exact" && (i >= cBytes || ok !== cs!.kinds[j])) return false;
    if (ok === Slot.INVALID || ok === Slot.MISC) continue;
    if (i >= cBytes) return false;
    const oReg = scalarForSlot(os), cReg = scalarForSlot(cs);
    if (oReg && cReg) {
      if (!regsafe(oReg, cReg, ids, exact)) return false;
      i += 7 - j;
      continue;
    }
    if (ok !== cs!.kinds[j]) return false;
    if (j !== 7) continue;
    if (ok === Slot.SPILL && !regsafe(os.spilled, cs!.spilled, ids, exact)) return false;
    if ((ok === Slot.DYNPTR || ok === Slot.ITER || ok === Slot.IRQ_FLAG) && !specialSlotSafe(os, cs!, ids)) return false;
  }
  return true;
}

/**
 * stacksafe for STACK_DYNPTR (type, first slot, ref_obj_id) and STACK_ITER (flags, iterator type and
 * state, ref_obj_id; never the depth, which only keeps the infinite-loop check from firing).
 */
function specialSlotSafe(os: StackSlot, cs: StackSlot, ids: IdMap): boolean {
  const a = os.special, b = cs.special;
  if (!a || !b || a.kind !== b.kind) return a === b;
  if (a.kind === "dynptr" && b.kind === "dynptr") {
    if (a.type !== b.type || a.first !== b.first) return false;
  } else if (a.kind === "iter" && b.kind === "iter") {
    if (os.spilled.tflags !== cs.spilled.tflags || a.btfId !== b.btfId || a.state !== b.state) return false;
  } else if (a.kind === "irq" && b.kind === "irq") {
    if (a.kfuncClass !== b.kfuncClass) return false;
  }
  return ids.check(os.spilled.refObjId, cs.spilled.refObjId);
}

/** iter_active_depths_differ: an active iterator at another depth is another loop iteration, not an infinite loop. */
export function iterDepthsDiffer(o: State, c: State): boolean {
  for (let f = 0; f < o.frames.length; f++) {
    const os = o.frames[f]!.stack, cs = c.frames[f]?.stack ?? [];
    for (let i = 0; i < os.length; i++) {
      const a = os[i]!.special;
      if (a?.kind !== "iter" || a.state !== 1) continue;
      const b = cs[i]?.special;
      if (b?.kind === "iter" && b.depth !== a.depth) return true;
    }
  }
  return false;
}

/**
 * enum exact_level: "not_exact" for pruning (imprecise scalars match anything), "range_within" where a
 * loop's iterations are compared (callback-calling helpers: every scalar by range, precise or not, so
 * an iteration that changes a value is walked again), "exact" for infinite-loop detection.
 */
export type Exactness = "not_exact" | "range_within" | "exact";

/** statesEqual is not re-entrant, so one id map serves every comparison. */
const sharedIds = new IdMap();

export function statesEqual(o: State, c: State, exact: Exactness): boolean {
  if (o.frames.length !== c.frames.length) return false;
  const ids = sharedIds.reset();
  if (!o.activeLock !== !c.activeLock) return false;
  if (!o.rcuLock !== !c.rcuLock || (o.preemptLock ?? 0) !== (c.preemptLock ?? 0) || !ids.check(o.irqLock ?? 0, c.irqLock ?? 0)) return false;
  if (o.activeLock && (o.activeLock.map !== c.activeLock!.map || !ids.check(o.activeLock.id, c.activeLock!.id))) return false;
  for (let f = 0; f < o.frames.length; f++) {
    const of = o.frames[f]!, cf = c.frames[f]!;
    if (of.callsite !== cf.callsite || of.inCallback !== cf.inCallback) return false;
    for (let r = 0; r < 11; r++) if (!regsafe(of.regs[r]!, cf.regs[r]!, ids, exact)) return false;
    if (!stacksafe(of, cf, ids, exact)) return false;
    // refsafe (the references are per state here, compared with the innermost frame)
    if (f === o.frames.length - 1) {
      if (o.refs.length !== c.refs.length) return false;
      for (let i = 0; i < o.refs.length; i++) if (!ids.check(o.refs[i]!.id, c.refs[i]!.id) || (o.refs[i]!.kind === "irq") !== (c.refs[i]!.kind === "irq")) return false;
    }
  }
  return true;
}

/**
 * Finish a path (update_branch_counts): its checkpoints lose one live branch, up to the first one that
 * still has others; `finished` sees each checkpoint whose subtree is now walked, innermost first.
 */
export function finishPath(cp: Checkpoint | undefined, finished?: (cp: Checkpoint) => void): void {
  for (let p = cp; p; p = p.parent) {
    p.branches--;
    if (p.branches > 0) break;
    finished?.(p);
  }
}
