// The kernel's abstract state (include/linux/bpf_verifier.h): per frame 11 registers and a 512-byte
// stack of 8-byte slots, per path the call frames and the acquired references. Registers carry a type,
// the scalar domain (used for a pointer's variable offset too), a fixed offset, ids for null checks and
// packet ranges, and type-specific data (map, range, memory size).
import type { Bounds } from "./scalar.js";
import { TNUM_UNKNOWN, type Tnum, hiOf, loOf } from "./tnum.js";

export type RegType =
  | "not_init" | "scalar" | "ctx" | "map_ptr" | "map_value" | "map_key" | "stack" | "pkt" | "pkt_meta" | "pkt_end"
  | "flow_keys" | "sock" | "sock_common" | "tcp_sock" | "xdp_sock" | "mem" | "func" | "tp_buffer" | "buf"
  /** PTR_TO_BTF_ID (btfId in the target BTF, or in the program's BTF with TF.LOCAL), CONST_PTR_TO_DYNPTR, PTR_TO_ARENA, PTR_TO_PERCPU_BTF_ID. */
  | "btf_id" | "dynptr_ptr" | "arena" | "percpu_btf_id";

/**
 * Type flags of enum bpf_type_flag beyond PTR_MAYBE_NULL / MEM_RDONLY / MEM_RINGBUF (which have fields of
 * their own): the trust of a BTF pointer, allocated objects, per-CPU memory, and the dynptr kind of a
 * dynptr slice or CONST_PTR_TO_DYNPTR.
 */
export const enum TF {
  UNTRUSTED = 1, TRUSTED = 2, RCU = 4, ALLOC = 8, PERCPU = 16, NON_OWN = 32, USER = 64,
  /** btfId names a type of the program's own BTF (local kptrs), not the target BTF. */
  LOCAL = 128,
  DYN_LOCAL = 256, DYN_RINGBUF = 512, DYN_SKB = 1024, DYN_XDP = 2048,
}
export const TF_DYNPTR_MASK = 256 | 512 | 1024 | 2048;

export interface Reg extends Bounds {
  type: RegType;
  /** PTR_MAYBE_NULL. */
  maybeNull: boolean;
  /** MEM_RINGBUF / MEM_RDONLY type flags for PTR_TO_MEM. */
  ringbuf: boolean;
  rdonly: boolean;
  /** Fixed offset of a pointer (the variable part is in the bounds). */
  off: number;
  /** Verified packet range (pkt pointers), or sub-program number (func pointers). */
  range: number;
  id: number;
  refObjId: number;
  /** Index of the map in Program.maps (map_ptr, map_value, map_key). */
  map: number;
  /** Stack frame a PTR_TO_STACK points into. */
  frameno: number;
  memSize: number;
  precise: boolean;
  /**
   * BPF_ADD_CONST64 / BPF_ADD_CONST32 (64 or 32, else 0): this scalar is the scalar `id` plus `off`
   * (a 64- or 32-bit add or sub of a constant after a copy), so a bound learnt on one is moved to the other.
   */
  addConst: number;
  /** PTR_TO_BTF_ID: the pointee's type id (see TF.LOCAL); CONST_PTR_TO_DYNPTR: 0. */
  btfId: number;
  /** TF flags. */
  tflags: number;
  /** Slices of a dynptr (PTR_TO_MEM): the dynptr's id, so that destroying the dynptr invalidates them. */
  dynptrId: number;
}

/**
 * Every register object is built here, with the same fields in the same order, so that V8 gives them all
 * one shape (monomorphic property access on the hot path): a register with unbounded scalar bounds.
 */
function makeReg(type: RegType, varOff: Tnum): Reg {
  return { type, maybeNull: false, ringbuf: false, rdonly: false, off: 0, range: 0, id: 0, refObjId: 0, map: -1, frameno: 0, memSize: 0,
    precise: false, addConst: 0, btfId: 0, tflags: 0, dynptrId: 0, varOff, sminHi: -0x80000000, sminLo: 0, smaxHi: 0x7fffffff, smaxLo: -1,
    uminHi: 0, uminLo: 0, umaxHi: -1, umaxLo: -1, s32min: -0x80000000, s32max: 0x7fffffff, u32min: 0, u32max: -1 };
}
/** A register whose bounds are all the constant (hi, lo): __mark_reg_known. */
function makeKnown(type: RegType, h: number, l: number): Reg {
  return { type, maybeNull: false, ringbuf: false, rdonly: false, off: 0, range: 0, id: 0, refObjId: 0, map: -1, frameno: 0, memSize: 0,
    precise: false, addConst: 0, btfId: 0, tflags: 0, dynptrId: 0, varOff: { vh: h, vl: l, mh: 0, ml: 0 }, sminHi: h, sminLo: l, smaxHi: h, smaxLo: l, uminHi: h, uminLo: l,
    umaxHi: h, umaxLo: l, s32min: l, s32max: l, u32min: l, u32max: l };
}
export const notInit = (): Reg => makeReg("not_init", TNUM_UNKNOWN);
/**
 * The register of every stack slot that holds no spill: one shared, frozen object (never written: a slot
 * gets a register of its own when something is spilled into it), so that copying a state copies no
 * register for such slots.
 */
export const NO_SPILL: Reg = Object.freeze(notInit());
export const unknownScalar = (): Reg => makeReg("scalar", TNUM_UNKNOWN);
/** A scalar known to be the 64-bit value with halves (hi, lo). */
export const constScalarHL = (h: number, l: number): Reg => makeKnown("scalar", h | 0, l | 0);
/** A scalar known to be `v` (taken modulo 2^64). */
export const constScalar = (v: bigint | number): Reg =>
  typeof v === "number" && Number.isSafeInteger(v) ? constScalarHL(Math.floor(v / 0x100000000), v) : constScalarHL(hiOf(BigInt(v)), loOf(BigInt(v)));
/** A pointer with a known-zero variable offset (mark_reg_known_zero). */
export const pointer = (type: RegType): Reg => makeKnown(type, 0, 0);
/**
 * A scratch scalar `r` made the known 64-bit constant (hi, lo), every bound included (__mark_reg_known):
 * the fake register of an instruction's immediate, read by that instruction only and kept by no state.
 */
export function knownInto(r: Reg, h: number, l: number): Reg {
  r.id = 0; r.off = 0; r.addConst = 0; r.precise = false;
  r.varOff = { vh: h, vl: l, mh: 0, ml: 0 };
  r.sminHi = r.smaxHi = r.uminHi = r.umaxHi = h;
  r.sminLo = r.smaxLo = r.uminLo = r.umaxLo = l;
  r.s32min = r.s32max = r.u32min = r.u32max = l;
  return r;
}
/** A full copy (tnums are immutable values, so sharing varOff is a copy). */
export const copyReg = (r: Reg): Reg => ({ type: r.type, maybeNull: r.maybeNull, ringbuf: r.ringbuf, rdonly: r.rdonly, off: r.off, range: r.range,
  id: r.id, refObjId: r.refObjId, map: r.map, frameno: r.frameno, memSize: r.memSize, precise: r.precise, addConst: r.addConst,
  btfId: r.btfId, tflags: r.tflags, dynptrId: r.dynptrId, varOff: r.varOff,
  sminHi: r.sminHi, sminLo: r.sminLo, smaxHi: r.smaxHi, smaxLo: r.smaxLo, uminHi: r.uminHi, uminLo: r.uminLo, umaxHi: r.umaxHi, umaxLo: r.umaxLo,
  s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max });
/** Overwrite every field of `dst` with `src`'s (the kernel's `*dst = *src` on a register in place). */
export function assignReg(dst: Reg, src: Reg): void {
  dst.type = src.type; dst.maybeNull = src.maybeNull; dst.ringbuf = src.ringbuf; dst.rdonly = src.rdonly; dst.off = src.off; dst.range = src.range;
  dst.id = src.id; dst.refObjId = src.refObjId; dst.map = src.map; dst.frameno = src.frameno; dst.memSize = src.memSize; dst.precise = src.precise;
  dst.addConst = src.addConst; dst.btfId = src.btfId; dst.tflags = src.tflags; dst.dynptrId = src.dynptrId; dst.varOff = src.varOff; dst.sminHi = src.sminHi; dst.sminLo = src.sminLo; dst.smaxHi = src.smaxHi;
  dst.smaxLo = src.smaxLo; dst.uminHi = src.uminHi; dst.uminLo = src.uminLo; dst.umaxHi = src.umaxHi; dst.umaxLo = src.umaxLo;
  dst.s32min = src.s32min; dst.s32max = src.s32max; dst.u32min = src.u32min; dst.u32max = src.u32max;
}
/** A copy of `r` that no longer holds a value (its type is not_init): what clean_verifier_state leaves. */
export const deadReg = (r: Reg): Reg => { const c = copyReg(r); c.type = "not_init"; return c; };

/** clear_scalar_id: the scalar is linked to no other. */
export function clearScalarId(r: Reg): void { r.id = 0; r.off = 0; r.addConst = 0; }

/**
 * assign_scalar_id_before_mov: a copy (move or spill) links the copy to its source through a shared id;
 * a source already linked with a delta starts a new link (deltas do not accumulate).
 */
export function assignScalarIdBeforeMov(r: Reg, newId: () => number): void {
  if (r.type !== "scalar") return;
  if (r.addConst) clearScalarId(r);
  if (!r.id && (r.varOff.mh | r.varOff.ml) !== 0) r.id = newId();
}

export const isPointer = (r: Reg): boolean => r.type !== "scalar" && r.type !== "not_init";
export const isPktPointer = (r: Reg): boolean => r.type === "pkt" || r.type === "pkt_meta";

/** Stack byte kinds (enum bpf_stack_slot_type). */
export const enum Slot { INVALID = 0, SPILL = 1, MISC = 2, ZERO = 3, DYNPTR = 4, ITER = 5, IRQ_FLAG = 6 }

/** enum bpf_dynptr_type. */
export type DynptrType = "local" | "ringbuf" | "skb" | "xdp" | "skb_meta" | "file";

/**
 * What a STACK_DYNPTR / STACK_ITER / STACK_IRQ_FLAG slot holds beyond its spilled register's id and
 * ref_obj_id (reg->dynptr, reg->iter, reg->irq). Never mutated: replaced when it changes, so states share it.
 */
export type SlotObject =
  | { kind: "dynptr"; type: DynptrType; first: boolean }
  /** state: 0 invalid, 1 active, 2 drained (enum bpf_iter_state); btfId: the iterator struct in the target BTF. */
  | { kind: "iter"; btfId: number; state: 0 | 1 | 2; depth: number }
  | { kind: "irq"; kfuncClass: "native" | "lock" };

export interface StackSlot {
  /** One kind per byte as the kernel indexes them: byte fp+off lives at index (-off-1)%8, so index 0 is the
   * highest address of the slot and index 7 (fp-8*(i+1)) the lowest. (A plain array of 8 small integers:
   * cheaper to copy than a typed array.) */
  kinds: number[];
  /** The register spilled here (valid when kinds contain SPILL; for dynptr/iter slots their id and ref_obj_id);
   *  NO_SPILL (shared, frozen) otherwise. */
  spilled: Reg;
  /** The dynptr, iterator or irq flag of a special slot. */
  special: SlotObject | undefined;
  /**
   * Held by more than one frame (copy-on-write): a state copy shares its stack slots with the original, and
   * whoever changes one first takes a copy of its own (ownSlot). Every change to a slot's kinds, spilled
   * register or special goes through ownSlot; reads need nothing.
   */
  shared: boolean;
}

export interface Frame {
  regs: Reg[];
  /** Slot i covers fp-8*(i+1) .. fp-8*i-1. */
  stack: StackSlot[];
  frameno: number;
  /** Instruction to return to in the caller (pc after the call). */
  callsite: number;
  subprog: number;
  /** bpf_loop-style callback frame: r0 range check at exit, return to the helper. */
  inCallback: boolean;
  callbackRet?: [number, number];
  /** Walks of a callback queued from this frame so far (callback_depth; bpf_loop stops at its count). */
  callbackDepth?: number;
  /** Frame 0 of a timer callback's own walk (in_async_callback_fn): must return 0. */
  inAsyncCallback?: boolean;
  /**
   * The registers the last copy of this frame froze, by register number (shareRegs: a register still the
   * same object is known frozen without asking Object.isFrozen, which costs ~20 ns a call). Undefined until
   * the frame is first copied.
   */
  frozenRegs: Reg[] | undefined;
}

/**
 * The branch decisions of one verification's paths (for --explain): one entry per decision, (pc, taken) and
 * the entry before it on the same path, in typed arrays rather than one object per decision, so that the
 * ~10^5 decisions of a path that reaches the 1M-insn limit cost the garbage collector nothing. A state holds
 * the index of its newest decision (undefined: none); copies share the entries before it.
 */
export class PathLog {
  private steps = new Int32Array(1024);
  private prevs = new Int32Array(1024);
  private n = 0;
  /** A decision after `prev` (an index of this log, or undefined at a path's start): its index. */
  push(prev: number | undefined, pc: number, taken: boolean): number {
    if (this.n === this.steps.length) {
      const steps = new Int32Array(this.n * 2), prevs = new Int32Array(this.n * 2);
      steps.set(this.steps); prevs.set(this.prevs);
      this.steps = steps; this.prevs = prevs;
    }
    this.steps[this.n] = pc * 2 + (taken ? 1 : 0);
    this.prevs[this.n] = prev ?? -1;
    return this.n++;
  }
  /** The branch decisions of the path ending at `last`, oldest first. */
  pathOf(last: number | undefined): [number, boolean][] {
    const out: [number, boolean][] = [];
    for (let p = last ?? -1; p >= 0; p = this.prevs[p]!) out.push([this.steps[p]! >> 1, (this.steps[p]! & 1) === 1]);
    return out.reverse();
  }
}

export interface RefState { id: number; insn: number; kind: "sock" | "ringbuf" | "ptr" | "irq" }

/** A register or stack slot sharing a scalar id at a conditional jump (struct linked_reg). */
export interface LinkedReg { frameno: number; isReg: boolean; no: number }

/**
 * One entry of the instruction history (struct bpf_insn_hist_entry) that precision back-tracking walks:
 * a jump into a jump point (prevIdx is where it came from), a stack spill or fill (the slot), a
 * comparison involving a stack pointer, or the scalars linked at a conditional jump. Newest first.
 * An entry is an index of the verification's history log (precision.ts HIST: typed arrays, so that the
 * entry made at nearly every jump costs the garbage collector nothing); copies of a state share entries.
 */
export type HistEntry = number;

export interface State {
  frames: Frame[];
  refs: RefState[];
  /** The newest branch decision taken on this path (an index of the verification's PathLog; undefined: none). */
  path: number | undefined;
  /** Bounded-loop bookkeeping for callbacks. */
  callbackDepth: number;
  /** may_goto_depth: how many may_goto fall-throughs (loop budget spent) this path has taken. */
  mayGotoDepth?: number;
  /** The bpf_spin_lock held (active_lock): the map and the id of the value pointer it was taken through. */
  activeLock?: { map: number; id: number };
  /** Instruction history since the last checkpoint (insn_hist_start..end), newest first, and its length. */
  hist: HistEntry | undefined;
  histLen: number;
  /** first_insn_idx / last_insn_idx: where this state's segment of the path starts and (for a checkpoint) ends. */
  firstInsnIdx: number;
  lastInsnIdx: number;
  /** bpf_rcu_read_lock held (active_rcu_lock). */
  rcuLock?: boolean;
  /** bpf_preempt_disable depth (active_preempt_locks). */
  preemptLock?: number;
  /** bpf_local_irq_save depth (active_irq_id != 0). */
  irqLock?: number;
}

export const curFrame = (s: State): Frame => s.frames[s.frames.length - 1]!;

export function newFrame(frameno: number, callsite: number, subprog: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(notInit());
  regs[10] = pointer("stack");
  regs[10].frameno = frameno;
  return { regs, stack: [], frameno, callsite, subprog, inCallback: false, frozenRegs: undefined };
}

const copySlot = (s: StackSlot): StackSlot =>
  ({ kinds: s.kinds.slice(), spilled: s.spilled === NO_SPILL ? NO_SPILL : copyReg(s.spilled), special: s.special, shared: false });

/**
 * Slot `spi` of the frame, for changing it: a shared slot is replaced by a copy of its own first (the other
 * holders keep the old object, still marked shared, and copy it themselves when they change it).
 */
export function ownSlot(f: Frame, spi: number): StackSlot {
  const st = f.stack[spi]!;
  if (!st.shared) return st;
  const own = copySlot(st);
  f.stack[spi] = own;
  return own;
}

/** Every slot of the frame that holds a register, owned (before a walk that may change any of them). */
export function ownSpills(f: Frame): void {
  for (let i = 0; i < f.stack.length; i++) { const st = f.stack[i]!; if (st.shared && st.spilled !== NO_SPILL) ownSlot(f, i); }
}

/**
 * A slot that holds nothing (all bytes STACK_INVALID, no spill, no special): one object that every frame
 * may share (marked shared, so that a change takes a copy). New stack slots and slots a checkpoint forgets
 * start as it.
 */
export const BLANK_SLOT: StackSlot = { kinds: [0, 0, 0, 0, 0, 0, 0, 0], spilled: NO_SPILL, special: undefined, shared: true };

/** BPFKIT_VERIFIER_COW_CHECK=1: shared slots are frozen, so a change that skipped ownSlot throws (tests). */
const COW_CHECK = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.BPFKIT_VERIFIER_COW_CHECK === "1";

function shareStack(stack: StackSlot[]): StackSlot[] {
  for (let i = 0; i < stack.length; i++) {
    const st = stack[i]!;
    if (st.shared) continue;
    st.shared = true;
    if (COW_CHECK) { Object.freeze(st); Object.freeze(st.kinds); Object.freeze(st.spilled); }
  }
  return stack.slice();
}
// frozen always: every frame shares it, so a change that skipped ownSlot must fail loudly, not change them all
Object.freeze(BLANK_SLOT);
Object.freeze(BLANK_SLOT.kinds);

/**
 * Registers that hold no value (not_init), and the ctx and stack pointers, are shared between a frame and
 * its copy instead of copied: they are most of the registers a state copy holds (96% in short_loop1,
 * 73% not_init), and the walk gives them a new object rather than changing them in place (pointer
 * arithmetic copies its operand; a write replaces the register). Scalars, changed in place by ALU ops and
 * branch refinement, are copied. A shared register is frozen (always, not only under
 * BPFKIT_VERIFIER_COW_CHECK), so that a change in place that skipped ownReg throws rather than changing
 * every state that holds it; ownReg replaces a frozen register by a copy of its own.
 */
function shareRegs(f: Frame): Reg[] {
  const out = f.regs.slice();
  const frozen = (f.frozenRegs ??= []);
  for (let i = 0; i < out.length; i++) {
    const r = out[i]!;
    if (r.type !== "not_init" && r.type !== "ctx" && r.type !== "stack") { out[i] = copyReg(r); continue; }
    if (frozen[i] !== r) { if (!Object.isFrozen(r)) Object.freeze(r); frozen[i] = r; }
  }
  return out;
}

/** Register `i` of the frame, for changing it in place: a shared (frozen) one is replaced by a copy first. */
export function ownReg(f: Frame, i: number): Reg {
  const r = f.regs[i]!;
  if (!Object.isFrozen(r)) return r;
  const own = copyReg(r);
  f.regs[i] = own;
  return own;
}

/** Every register of the frame owned (before a walk that may change any of them in place). */
export function ownRegs(f: Frame): Reg[] {
  for (let i = 0; i < f.regs.length; i++) if (Object.isFrozen(f.regs[i]!)) ownReg(f, i);
  return f.regs;
}

function cloneFrame(f: Frame): Frame {
  const out: Frame = {
    regs: shareRegs(f),
    stack: shareStack(f.stack),
    frameno: f.frameno, callsite: f.callsite, subprog: f.subprog, inCallback: f.inCallback, frozenRegs: undefined,
  };
  if (f.callbackRet) out.callbackRet = f.callbackRet;
  if (f.callbackDepth) out.callbackDepth = f.callbackDepth;
  if (f.inAsyncCallback) out.inAsyncCallback = true;
  return out;
}

export function cloneState(s: State): State {
  const out: State = { frames: s.frames.map(cloneFrame), refs: s.refs.map((r) => ({ ...r })), path: s.path, callbackDepth: s.callbackDepth,
    hist: s.hist, histLen: s.histLen, firstInsnIdx: s.firstInsnIdx, lastInsnIdx: s.lastInsnIdx };
  if (s.activeLock) out.activeLock = { ...s.activeLock };
  if (s.mayGotoDepth) out.mayGotoDepth = s.mayGotoDepth;
  if (s.rcuLock) out.rcuLock = true;
  if (s.preemptLock) out.preemptLock = s.preemptLock;
  if (s.irqLock) out.irqLock = s.irqLock;
  return out;
}

/** Make sure the frame has slots down to `bytes` below fp (grow_stack_state). */
export function growStack(f: Frame, bytes: number): void {
  const n = Math.ceil(bytes / 8);
  while (f.stack.length < n) f.stack.push(BLANK_SLOT);
}

export const stackDepth = (f: Frame): number => f.stack.length * 8;
