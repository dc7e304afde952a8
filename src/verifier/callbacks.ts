// bpf_loop and bpf_for_each_map_elem callbacks as the kernel (6.8+) verifies them: the helper call does not run the callback
// inline. It queues a state that enters the callback (push_callback_call) and goes on after the call
// with r0 unknown. When the callback exits, the walk returns to the helper call itself with the caller's
// registers as they were, after widening the scalars that changed and are not precise
// (widen_imprecise_scalars), and the call queues the next iteration. The sequence stops when the state
// at the call is contained in an earlier one of the same sequence (is_state_visited: RANGE_WITHIN
// against a state still being explored), or, for bpf_loop, when the frame's callback_depth reaches the
// loop count's maximum ("bpf_loop iteration limit reached").
import type { RawInsn } from "./cfg.js";
import { type Env, Reject, frame, regs } from "./env.js";
import { checkCallbackArgs } from "./global-funcs.js";
import type { Checkpoint } from "./prune.js";
import { boundsEqual } from "./scalar.js";
import { type Frame, type Reg, type State, TF, assignReg, copyReg, newFrame, ownSlot, pointer, unknownScalar } from "./state.js";
import { findByNameKind } from "./target-btf.js";

/** The struct vm_area_struct id in the target BTF (btf_tracing_ids[BTF_TRACING_TYPE_VMA]). */
const vmaStructId = (env: Env): number => (env.opts.targetBtf ? Math.max(0, findByNameKind(env.opts.targetBtf, "vm_area_struct", 4)) : 0);

const MAX_CALL_FRAMES = 8;
const BPF_FUNC_LOOP = 181;
const BPF_FUNC_FOR_EACH_MAP_ELEM = 164;
const BPF_FUNC_FIND_VMA = 180;
const BPF_FUNC_USER_RINGBUF_DRAIN = 209;

/** The instruction calls a helper that runs a callback synchronously (calls_callback, is_sync_callback_calling_function). */
export const callsCallback = (insn: RawInsn | undefined): boolean =>
  !!insn && insn.code === 0x85 && insn.src === 0 &&
  (insn.imm === BPF_FUNC_LOOP || insn.imm === BPF_FUNC_FOR_EACH_MAP_ELEM || insn.imm === BPF_FUNC_FIND_VMA || insn.imm === BPF_FUNC_USER_RINGBUF_DRAIN);

/** The per-frame iteration count (bpf_func_state.callback_depth). */
const depthOf = (f: Frame): number => f.callbackDepth ?? 0;

/** The callback a helper call passes (in r2, or `regno`) and its first instruction, its arguments checked; none if it is no function. */
function callbackTarget(env: Env, regno = 2): { cb: Reg; start: number } | undefined {
  const cb = regs(env)[regno]!;
  if (cb.type !== "func") return undefined;
  const start = env.subprogs[cb.range];
  if (start === undefined) return undefined;
  checkCallbackArgs(env, cb.range);
  return { cb, start };
}

/**
 * The callback part of check_helper_call (bpf_loop, bpf_for_each_map_elem), with the arguments checked
 * and before the caller-saved registers are cleared: queue one more walk of the callback, unless
 * bpf_loop's count is reached.
 */
export function pushCallback(env: Env, helperId: number): void {
  const R = regs(env);
  const target = callbackTarget(env, helperId === BPF_FUNC_FIND_VMA ? 3 : 2);
  if (!target) return;
  const { cb, start } = target;
  const caller = frame(env);
  const count = R[1]!;
  if (helperId === BPF_FUNC_LOOP && count.umaxHi === 0 && depthOf(caller) >= count.umaxLo >>> 0) {
    caller.callbackDepth = 0;
    if (env.log.level >= 2) env.log.write(`frame${env.cur.frames.length - 1} bpf_loop iteration limit reached\n`);
    return;
  }
  const s = env.clone(env.cur);
  if (s.frames.length >= MAX_CALL_FRAMES) throw new Reject(`the call stack of ${s.frames.length + 1} frames is too deep`, 7);
  const callee = newFrame(s.frames.length, env.insnIdx, cb.range);
  if (helperId === BPF_FUNC_LOOP) {
    // set_loop_callback_state: r1 = the index, r2 = the context argument
    callee.regs[1] = unknownScalar();
    callee.regs[2] = copyReg(R[3]!);
  } else if (helperId === BPF_FUNC_FIND_VMA) {
    // set_find_vma_callback_state: r1 = the task, r2 = the vma (a BTF pointer), r3 = the context argument
    callee.regs[1] = copyReg(R[1]!);
    callee.regs[2] = pointer("btf_id");
    callee.regs[2].btfId = vmaStructId(env);
    callee.regs[3] = copyReg(R[4]!);
  } else if (helperId === BPF_FUNC_USER_RINGBUF_DRAIN) {
    // set_user_ringbuf_callback_state: r1 = a const local dynptr of the sample, r2 = the context argument
    callee.regs[1] = pointer("dynptr_ptr");
    callee.regs[1].tflags = TF.DYN_LOCAL;
    callee.regs[1].id = ++env.idGen;
    callee.regs[2] = copyReg(R[3]!);
  } else {
    // set_map_elem_callback_state: r1 = the map, r2 = a key, r3 = its value, r4 = the context argument
    callee.regs[1] = copyReg(R[1]!);
    callee.regs[2] = pointer("map_key");
    callee.regs[2].map = R[1]!.map;
    callee.regs[3] = pointer("map_value");
    callee.regs[3].map = R[1]!.map;
    callee.regs[4] = copyReg(R[3]!);
  }
  callee.inCallback = true;
  callee.callbackRet = [0, 1];
  const outer = s.frames[s.frames.length - 1]!;
  outer.callbackDepth = depthOf(caller) + 1;
  s.frames.push(callee);
  s.callbackDepth++;
  caller.callbackDepth = 0;
  env.push(s, start);
  markAllScratched(env);
}

const asyncCallbacks = new WeakMap<Env, Set<number>>();

/** The sub-program is a timer callback (is_async_cb): verified from its own state, on its own stack. */
export const isAsyncCallback = (env: Env, subprog: number): boolean => asyncCallbacks.get(env)?.has(subprog) === true;

/**
 * bpf_timer_set_callback (push_async_cb): the callback is walked later from a state of its own, frame 0
 * with r1 = the timer's map, r2 = a key, r3 = the value, no references and no lock.
 */
export function pushAsyncCallback(env: Env): void {
  const R = regs(env);
  const target = callbackTarget(env);
  if (!target) return;
  const { cb, start } = target;
  let set = asyncCallbacks.get(env);
  if (!set) asyncCallbacks.set(env, (set = new Set()));
  set.add(cb.range);
  const f = newFrame(0, -1, cb.range);
  const map = R[1]!.map;
  f.regs[1] = pointer("map_ptr");
  f.regs[2] = pointer("map_key");
  f.regs[3] = pointer("map_value");
  for (const i of [1, 2, 3]) f.regs[i]!.map = map;
  f.inAsyncCallback = true;
  env.push({ frames: [f], refs: [], path: env.cur.path, callbackDepth: 0, hist: undefined, histLen: 0, firstInsnIdx: start, lastInsnIdx: -1 }, start);
  markAllScratched(env);
}

/** init_func_state marks every register and stack slot for the next state print (mark_verifier_state_scratched). */
export function markAllScratched(env: Env): void {
  for (let i = 0; i <= 10; i++) env.scratchedRegs.add(i);
  for (let i = 0; i < 64; i++) env.scratchedSlots.add(i);
}

/** func_states_equal refuses an old state whose frames went round their callbacks more often. */
export function callbackDepthsOk(old: State, cur: State): boolean {
  for (let i = 0; i < old.frames.length; i++) if (depthOf(old.frames[i]!) > depthOf(cur.frames[i] ?? old.frames[i]!)) return false;
  return true;
}

/** same_callsites: the two states were reached through the same call instructions. */
export const sameCallsites = (a: State, b: State): boolean =>
  a.frames.length === b.frames.length && a.frames.every((f, i) => f.callsite === b.frames[i]!.callsite);

/**
 * find_prev_entry: the state recorded at the helper call by an earlier iteration of the current path
 * (still being explored, same call chain).
 */
function prevEntry(list: readonly Checkpoint[] | undefined, cur: State, parent: Checkpoint | undefined): Checkpoint | undefined {
  if (!list) return undefined;
  const onPath = new Set<Checkpoint>();
  for (let p = parent; p; p = p.parent) onPath.add(p);
  return list.find((cp) => cp.branches > 0 && onPath.has(cp) && sameCallsites(cp.state, cur));
}

class IdPairs {
  private readonly m = new Map<number, number>();
  check(a: number, b: number): boolean {
    if (a === 0 && b === 0) return true;
    if (a === 0 || b === 0) return false;
    const seen = this.m.get(a);
    if (seen !== undefined) return seen === b;
    this.m.set(a, b);
    return true;
  }
}

function regsExact(o: Reg, c: Reg, ids: IdPairs): boolean {
  return o.type === c.type && o.off === c.off && boundsEqual(o, c) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
}

/** maybe_widen_reg: a scalar that changed between iterations and no check relies on (not precise) becomes unknown. */
function maybeWiden(o: Reg, c: Reg, ids: IdPairs): void {
  if (o.type !== "scalar" || c.type !== "scalar") return;
  if (o.precise || c.precise || regsExact(o, c, ids)) return;
  assignReg(c, unknownScalar());
}

/**
 * After a callback returned to its helper call (prepare_func_exit): widen the current state against the
 * state the previous iteration had at the call.
 */
export function widenAfterCallback(env: Env, explored: readonly Checkpoint[] | undefined): void {
  const prev = prevEntry(explored, env.cur, env.parentCp);
  if (prev) widenImpreciseScalars(prev.state, env.cur);
}

/**
 * At may_goto (check_cond_jmp_op, BPF_JCOND): the fall-through that spends the loop budget is widened
 * against the checkpoint an earlier iteration left at this may_goto (older than the one just made here).
 */
export function widenAfterMayGoto(env: Env, explored: readonly Checkpoint[] | undefined, queued: State): void {
  const prev = prevEntry(explored, env.cur, env.parentCp?.parent);
  if (prev) widenImpreciseScalars(prev.state, queued);
}

/** widen_imprecise_scalars: scalars of `cur` that differ from `old` and nothing relies on become unknown. */
function widenImpreciseScalars(old: State, cur: State): void {
  const ids = new IdPairs();
  for (let fr = old.frames.length - 1; fr >= 0; fr--) {
    const fo = old.frames[fr]!, fc = cur.frames[fr]!;
    for (let i = 0; i < 11; i++) maybeWiden(fo.regs[i]!, fc.regs[i]!, ids);
    for (let i = 0; i < fo.stack.length && i < fc.stack.length; i++) {
      const so = fo.stack[i]!, sc = fc.stack[i]!;
      if (so.kinds[7] === 1 && sc.kinds[7] === 1) maybeWiden(so.spilled, ownSlot(fc, i).spilled, ids);
    }
  }
}
