// Open-coded iterators (bpf_iter_<type>_new / _next / _destroy kfuncs; bpf_for(), bpf_repeat() in C): the
// iterator state lives in STACK_ITER slots (struct bpf_iter_<type> is 8*N bytes) and is a reference that
// must be destroyed. At each _next call the walk forks (process_iter_next_call): the current path sees the
// iterator drained (r0 = NULL) and goes on after the loop; a queued path sees it active one level deeper
// (r0 != NULL), its imprecise scalars widened against the previous iteration. The loop has converged when
// a later iteration reaches a _next call in a state contained (RANGE_WITHIN) in an earlier, still open one
// with the iterator active (is_state_visited, in verifier.ts).
import type { Btf } from "../btf/btf.js";
import { type Env, Reject, regs } from "./env.js";
import { objSpi } from "./dynptr.js";
import { checkMemAccess } from "./memory.js";
import { inRcuCs } from "./btf-ptr.js";
import { type Frame, type Reg, Slot, type State, TF, constScalar, growStack, notInit, ownSlot } from "./state.js";
import { isPtr, skipMods } from "./target-btf.js";
import { constOf } from "./scalar-read.js";

export interface IterKfunc {
  name: string;
  btf: Btf;
  /** FUNC_PROTO of the kfunc. */
  proto: number;
  isNew: boolean;
  isNext: boolean;
  isDestroy: boolean;
  rcuProtected: boolean;
}

/** Where the iterator argument of this call lives, for process_iter_next_call. */
export interface IterRef { frameno: number; spi: number }

const frameOf = (env: Env, reg: Reg): Frame => env.cur.frames[reg.frameno] ?? env.cur.frames[env.cur.frames.length - 1]!;

/** btf_check_iter_arg: the iterator struct (`struct bpf_iter_<type>`) the argument points to, or -1. */
export function iterArgType(btf: Btf, proto: number, arg: number): number {
  const p = btf.types[proto]?.params?.[arg];
  if (!p) return -1;
  const t = skipMods(btf, p.type).t;
  if (!isPtr(t)) return -1;
  const s = skipMods(btf, t.sizeOrType);
  if (s.t.kind !== 4 /* STRUCT */ || !s.t.name.startsWith("bpf_iter_")) return -1;
  return s.id;
}

/** iter_type_str: `num` for struct bpf_iter_num. */
export const iterTypeStr = (btf: Btf | undefined, id: number): string => (btf && id ? (btf.types[id]?.name ?? "").slice("bpf_iter_".length) : "<invalid>");

/** process_iter_arg: checks the iterator argument; constructs (new) or destroys (destroy) the iterator. */
export function processIterArg(env: Env, regno: number, k: IterKfunc, argIdx: number): IterRef | undefined {
  const R = regs(env);
  const reg = R[regno]!;
  if (reg.type !== "stack") throw new Reject(`arg#${regno - 1} expected pointer to an iterator on stack`, 22);
  const btfId = iterArgType(k.btf, k.proto, argIdx);
  if (btfId < 0) throw new Reject(`expected valid iter pointer as arg #${regno - 1}`, 22);
  const nrSlots = Math.floor((k.btf.types[btfId]!.sizeOrType) / 8);
  const tstr = iterTypeStr(k.btf, btfId);
  if (k.isNew) {
    const spi0 = objSpi(env, reg, "iter", nrSlots);
    if (spi0 >= 0) {
      const f = frameOf(env, reg);
      for (let i = 0; i < nrSlots; i++) if (f.stack[spi0 - i]!.kinds.some((x) => x === Slot.ITER)) throw new Reject(`expected uninitialized iter_${tstr} as arg #${regno - 1}`, 22);
    }
    for (let i = 0; i < nrSlots * 8; i += 8) checkMemAccess(env, { regno, off: i, size: 8, write: true, valueRegno: -1 });
    const spi = objSpi(env, reg, "iter", nrSlots);
    const f = frameOf(env, reg);
    growStack(f, (spi + 1) * 8);
    const ref = ++env.idGen;
    env.cur.refs.push({ id: ref, insn: env.insnIdx, kind: "ptr" });
    for (let i = 0; i < nrSlots; i++) {
      const st = ownSlot(f, spi - i);
      const sp = notInit();
      sp.type = "stack";
      if (k.rcuProtected) sp.tflags = inRcuCs(env) ? TF.RCU : TF.UNTRUSTED;
      sp.refObjId = i === 0 ? ref : 0;
      st.spilled = sp;
      st.kinds.fill(Slot.ITER);
      st.special = { kind: "iter", btfId, state: 1, depth: 0 };
      env.scratchedSlots.add(spi - i);
    }
    return undefined;
  }
  const spi = objSpi(env, reg, "iter", nrSlots);
  const f = frameOf(env, reg);
  const bad = spi < 0 ? "inval" : validInit(f, spi, nrSlots, btfId);
  if (bad === "inval") throw new Reject(`expected an initialized iter_${tstr} as arg #${regno - 1}`, 22);
  if (bad === "untrusted") throw new Reject(`expected an RCU CS when using ${k.name}`, 71 /* EPROTO */);
  for (let i = 0; i < nrSlots; i++) env.stackLive?.markRead(env.cur, reg.frameno, env.insnIdx, spi - i);
  const out: IterRef = { frameno: reg.frameno, spi };
  if (k.isDestroy) {
    const ref = f.stack[spi]!.spilled.refObjId;
    env.cur.refs = env.cur.refs.filter((r) => r.id !== ref);
    for (let i = 0; i < nrSlots; i++) {
      const st = ownSlot(f, spi - i);
      st.kinds.fill(Slot.INVALID);
      st.spilled = notInit();
      st.special = undefined;
      env.scratchedSlots.add(spi - i);
    }
  }
  return out;
}

/** is_iter_reg_valid_init: every slot an iterator of this type, the first one holding the reference. */
function validInit(f: Frame, spi: number, nrSlots: number, btfId: number): "ok" | "inval" | "untrusted" {
  for (let i = 0; i < nrSlots; i++) {
    const st = f.stack[spi - i];
    if (!st) return "inval";
    const sp = st.spilled;
    if (sp.tflags & TF.UNTRUSTED) return "untrusted";
    if (i === 0 && !sp.refObjId) return "inval";
    if (i !== 0 && sp.refObjId) return "inval";
    if (st.special?.kind !== "iter" || st.special.btfId !== btfId) return "inval";
    if (!st.kinds.every((x) => x === Slot.ITER)) return "inval";
  }
  return "ok";
}

/** The iterator slot's register (get_iter_from_state), owned by the state (it is about to change). */
export function iterSlot(s: State, ref: IterRef): Frame["stack"][number] | undefined {
  const f = s.frames[ref.frameno];
  return f?.stack[ref.spi] ? ownSlot(f, ref.spi) : undefined;
}

/** Whether the iterator `_next` is called with (r1) is active: the convergence test at a `_next` call. */
export function iterActiveAtR1(s: State): boolean {
  const f = s.frames[s.frames.length - 1]!;
  const r1 = f.regs[1]!;
  if (r1.type !== "stack") return false;
  const off = r1.off + Number(constOf(r1));
  const spi = Math.floor((-off - 1) / 8);
  const sp = (s.frames[r1.frameno] ?? f).stack[spi]?.special;
  return sp?.kind === "iter" && sp.state === 1;
}

/**
 * process_iter_next_call: an active iterator forks a queued state (still active, one level deeper, r0 not
 * NULL, widened against the previous iteration); the current state sees the iterator drained and r0 = 0.
 * `queue` pushes the queued state (widening it first).
 */
export function processIterNext(env: Env, ref: IterRef, queue: (s: State) => void): void {
  const st = iterSlot(env.cur, ref);
  const it = st?.special;
  if (!st || it?.kind !== "iter" || (it.state !== 1 && it.state !== 2)) {
    throw new Reject(`verifier internal error: unexpected iterator state ${it?.kind === "iter" ? it.state : 0} (invalid)`, 14);
  }
  if (it.state === 1) {
    const queued = env.clone(env.cur);
    const qs = iterSlot(queued, ref)!;
    qs.special = { ...it, state: 1, depth: it.depth + 1 };
    const r0 = queued.frames[queued.frames.length - 1]!.regs[0]!;
    // mark_ptr_not_null_reg
    r0.maybeNull = false;
    queue(queued);
  }
  // (the queued copy shares the slot now: it is owned again before the change)
  iterSlot(env.cur, ref)!.special = { ...it, state: 2 };
  regs(env)[0] = constScalar(0n);
}

/** bpf_rcu_read_unlock: RCU-protected iterators become untrusted (the STACK_ITER part of the unlock's walk). */
export function untrustRcuIters(s: State): void {
  for (const f of s.frames) for (let i = 0; i < f.stack.length; i++) {
    const st = f.stack[i]!;
    if (st.special?.kind === "iter" && st.spilled.tflags & TF.RCU) { const own = ownSlot(f, i); own.spilled = { ...st.spilled, tflags: (st.spilled.tflags & ~TF.RCU) | TF.UNTRUSTED }; }
  }
}
