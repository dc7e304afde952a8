// Dynptrs (struct bpf_dynptr, 16 bytes on the stack): STACK_DYNPTR slots made by bpf_dynptr_from_mem,
// bpf_ringbuf_reserve_dynptr, bpf_dynptr_from_skb/xdp and bpf_dynptr_clone, read by bpf_dynptr_read/write/
// data and the dynptr kfuncs, released by bpf_ringbuf_submit/discard_dynptr. A ringbuf dynptr is a
// reference (leaked if never released; its clones share it); overwriting a dynptr's slots destroys it and
// every slice taken from it (kernel: mark_stack_slots_dynptr, unmark_stack_slots_dynptr,
// destroy_if_dynptr_stack_slot, process_dynptr_func).
import { type Env, Reject, forEachReg, regs } from "./env.js";
import { checkMemAccess } from "./memory.js";
import { isConst } from "./scalar.js";
import { constOf, isZero } from "./scalar-read.js";
import { tnumStr } from "./tnum.js";
import { regTypeStr } from "./log.js";
import { type DynptrType, type Frame, type Reg, Slot, type SlotObject, type State, TF, assignReg, growStack, notInit, ownSlot, unknownScalar } from "./state.js";

export const DYNPTR_SLOTS = 2;

/** The frame a stack pointer points into. */
const frameOf = (env: Env, reg: Reg): Frame => env.cur.frames[reg.frameno] ?? env.cur.frames[env.cur.frames.length - 1]!;

/**
 * stack_slot_obj_get_spi: the first (highest) slot of an object of `nrSlots` 8-byte slots the pointer names;
 * -1 (the kernel's -ERANGE) when those slots are not allocated yet. Misplaced pointers are rejected.
 */
export function objSpi(env: Env, reg: Reg, kind: string, nrSlots: number): number {
  if (!isConst(reg)) throw new Reject(`${kind} has to be at a constant offset`, 22);
  const off = reg.off + Number(constOf(reg));
  if (off % 8) throw new Reject(`cannot pass in ${kind} at an offset=${off}`, 22);
  const spi = Math.floor((-off - 1) / 8);
  if (spi + 1 < nrSlots) throw new Reject(`cannot pass in ${kind} at an offset=${off}`, 22);
  const allocated = frameOf(env, reg).stack.length;
  if (!(spi - nrSlots + 1 >= 0 && spi < allocated)) return -1;
  return spi;
}

const dynptrOf = (f: Frame, spi: number): Extract<SlotObject, { kind: "dynptr" }> | undefined => {
  const s = f.stack[spi]?.special;
  return s?.kind === "dynptr" ? s : undefined;
};

/** dynptr_type_refcounted: only ring buffer records are references. */
const refcounted = (t: DynptrType): boolean => t === "ringbuf";

export const DYNPTR_FLAG: Readonly<Record<DynptrType, number>> = { local: TF.DYN_LOCAL, ringbuf: TF.DYN_RINGBUF, skb: TF.DYN_SKB, xdp: TF.DYN_XDP, skb_meta: TF.DYN_SKB, file: 0 };
export const dynptrTypeOfFlag = (f: number): DynptrType | undefined =>
  f & TF.DYN_LOCAL ? "local" : f & TF.DYN_RINGBUF ? "ringbuf" : f & TF.DYN_SKB ? "skb" : f & TF.DYN_XDP ? "xdp" : undefined;

/** is_dynptr_reg_valid_uninit. */
export function isValidUninit(env: Env, reg: Reg): boolean {
  if (reg.type === "dynptr_ptr") return false;
  objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
  return true;
}

/** is_dynptr_reg_valid_init. */
export function isValidInit(env: Env, reg: Reg): boolean {
  if (reg.type === "dynptr_ptr") return true;
  const spi = objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
  if (spi < 0) return false;
  const f = frameOf(env, reg);
  if (!dynptrOf(f, spi)?.first) return false;
  for (const s of [spi, spi - 1]) if (!f.stack[s]!.kinds.every((k) => k === Slot.DYNPTR)) return false;
  return true;
}

/** The dynptr a register names: its type, id and ref_obj_id (dynptr_get_type, dynptr_id, dynptr_ref_obj_id). */
export function dynptrInfo(env: Env, reg: Reg): { type: DynptrType; id: number; refObjId: number } {
  if (reg.type === "dynptr_ptr") return { type: dynptrTypeOfFlag(reg.tflags) ?? "local", id: reg.id, refObjId: reg.refObjId };
  const spi = objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
  const f = frameOf(env, reg);
  const slot = f.stack[spi]!;
  return { type: dynptrOf(f, spi)?.type ?? "local", id: slot.spilled.id, refObjId: slot.spilled.refObjId };
}

/**
 * destroy_if_dynptr_stack_slot: writing into any byte of an unreferenced dynptr destroys both its slots and
 * the slices taken from it; a referenced one may not be overwritten.
 */
export function destroyIfDynptrSlot(env: Env, f: Frame, spi: number): void {
  const st = f.stack[spi];
  if (!st || st.kinds[0] !== Slot.DYNPTR) return;
  let first = spi;
  if (!dynptrOf(f, spi)?.first) first = spi + 1;
  const d = dynptrOf(f, first);
  if (d && refcounted(d.type)) throw new Reject("cannot overwrite referenced dynptr", 22);
  env.scratchedSlots.add(first);
  env.scratchedSlots.add(first - 1);
  const id = f.stack[first]!.spilled.id;
  invalidateSlots(f, first);
  invalidateSlices(env.cur, id);
}

function invalidateSlots(f: Frame, first: number): void {
  for (const s of [first, first - 1]) {
    if (!f.stack[s]) continue;
    const st = ownSlot(f, s);
    st.kinds.fill(Slot.INVALID);
    st.spilled = notInit();
    st.special = undefined;
  }
}

/** Slices (PTR_TO_MEM with this dynptr id) become unknown scalars: mark_reg_invalid for a privileged loader. */
function invalidateSlices(s: State, dynptrId: number): void {
  forEachReg(s, (r) => { if (r.type === "mem" && r.dynptrId === dynptrId && dynptrId) assignReg(r, unknownScalar()); });
}

/** mark_stack_slots_dynptr: the 16 bytes become a dynptr of `type` (a new reference for ring buffer records, or the clone's parent's). */
export function markSlotsDynptr(env: Env, reg: Reg, type: DynptrType, cloneRefObjId: number): void {
  const spi = objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
  const f = frameOf(env, reg);
  destroyIfDynptrSlot(env, f, spi);
  destroyIfDynptrSlot(env, f, spi - 1);
  const id = ++env.idGen;
  let ref = 0;
  if (refcounted(type)) {
    ref = cloneRefObjId || ++env.idGen;
    if (!cloneRefObjId) env.cur.refs.push({ id: ref, insn: env.insnIdx, kind: "ringbuf" });
  }
  [spi, spi - 1].forEach((s, i) => {
    const st = ownSlot(f, s);
    st.kinds.fill(Slot.DYNPTR);
    const sp = notInit();
    sp.id = id;
    sp.refObjId = ref;
    st.spilled = sp;
    st.special = { kind: "dynptr", type, first: i === 0 };
    env.scratchedSlots.add(s);
  });
}

/**
 * unmark_stack_slots_dynptr (a release): an unreferenced dynptr's slots are simply invalidated; a ring buffer
 * dynptr releases its reference (its slices die with it) and every clone sharing it is invalidated too.
 */
export function unmarkSlotsDynptr(env: Env, reg: Reg): void {
  const spi = objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
  const f = frameOf(env, reg);
  const d = dynptrOf(f, spi);
  if (!d || !refcounted(d.type)) { invalidateSlots(f, spi); return; }
  const ref = f.stack[spi]!.spilled.refObjId;
  env.cur.refs = env.cur.refs.filter((r) => r.id !== ref);
  forEachReg(env.cur, (r) => { if (r.refObjId === ref) assignReg(r, unknownScalar()); });
  for (let i = 1; i < f.stack.length; i++) {
    const st = f.stack[i]!;
    if (st.spilled.refObjId !== ref || st.kinds[0] !== Slot.DYNPTR) continue;
    if (dynptrOf(f, i)?.first) invalidateSlots(f, i);
  }
}

/** The dynptr argument kinds: MEM_UNINIT (to be constructed), MEM_RDONLY (not mutated), the expected dynptr type. */
export interface DynptrArg { uninit: boolean; rdonly: boolean; type?: DynptrType }

/**
 * process_dynptr_func: a helper's or kfunc's ARG_PTR_TO_DYNPTR argument: constructs a dynptr in uninitialized
 * stack (after checking the 16 bytes may be written), or requires an initialized one of the expected type.
 */
export function processDynptrArg(env: Env, regno: number, arg: DynptrArg, cloneRefObjId: number): void {
  const reg = regs(env)[regno]!;
  if (reg.type !== "stack" && reg.type !== "dynptr_ptr") throw new Reject(`arg#${regno - 1} expected pointer to stack or const struct bpf_dynptr`, 22);
  if (arg.uninit) {
    if (!isValidUninit(env, reg)) throw new Reject("Dynptr has to be an uninitialized dynptr", 22);
    for (let i = 0; i < 16; i += 8) checkMemAccess(env, { regno, off: i, size: 8, write: true, valueRegno: -1 });
    if (!arg.type) throw new Reject("verifier internal error: no dynptr type", 22);
    growStack(frameOf(env, reg), 16);
    markSlotsDynptr(env, reg, arg.type, cloneRefObjId);
    return;
  }
  if (reg.type === "dynptr_ptr" && !arg.rdonly) throw new Reject("cannot pass pointer to const bpf_dynptr, the helper mutates it", 22);
  if (!isValidInit(env, reg)) throw new Reject(`Expected an initialized dynptr as arg #${regno - 1}`, 22);
  if (arg.type && dynptrInfo(env, reg).type !== arg.type) throw new Reject(`Expected a dynptr of type ${arg.type} as arg #${regno - 1}`, 22);
  if (reg.type === "stack") {
    const spi = objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
    env.stackLive?.markRead(env.cur, reg.frameno, env.insnIdx, spi);
    env.stackLive?.markRead(env.cur, reg.frameno, env.insnIdx, spi - 1);
  }
}

/** scrub_special_slot for a data write: a spill, dynptr or iterator slot's bytes become STACK_MISC. */
export function scrubSpecialSlot(st: Frame["stack"][number]): void {
  const k = st.kinds[7]!;
  if (k === Slot.SPILL || isSpecialSlotKind(k)) for (let i = 0; i < 8; i++) if (st.kinds[i] !== Slot.INVALID) st.kinds[i] = Slot.MISC;
  st.special = undefined;
}

/** A stack read that touches STACK_DYNPTR / STACK_ITER bytes reads no memory the program may see. */
export function isSpecialSlotKind(k: number): boolean {
  return k === Slot.DYNPTR || k === Slot.ITER || k === Slot.IRQ_FLAG;
}

/** The dynptr kind a helper argument's DYNPTR_TYPE_* flag asks for. */
const ARG_DYNPTR_TYPE: Readonly<Record<string, DynptrType>> = { DYNPTR_TYPE_LOCAL: "local", DYNPTR_TYPE_RINGBUF: "ringbuf", DYNPTR_TYPE_SKB: "skb", DYNPTR_TYPE_XDP: "xdp" };

/**
 * check_func_arg for a helper's ARG_PTR_TO_DYNPTR: the register type, its offset, a release of a dynptr
 * (only a referenced one on the stack), then process_dynptr_func. Returns whether the dynptr is released
 * by this call (the caller unmarks it after the other arguments).
 */
export function checkHelperDynptrArg(env: Env, regno: number, flags: readonly string[]): boolean {
  const reg = regs(env)[regno]!;
  if (reg.type !== "stack" && reg.type !== "dynptr_ptr") {
    throw new Reject(`R${regno} type=${regTypeStr(reg)} expected=fp, dynptr_ptr`);
  }
  const release = flags.includes("OBJ_RELEASE");
  if (!(release && reg.type === "stack") && reg.type === "dynptr_ptr") {
    if (reg.off < 0) throw new Reject(`negative offset dynptr_ptr ptr R${regno} off=${reg.off} disallowed`);
    if (reg.off) throw new Reject(`dereference of modified dynptr_ptr ptr R${regno} off=${reg.off} disallowed`);
    if (!isZero(reg)) throw new Reject(`variable dynptr_ptr access var_off=${tnumStr(reg.varOff)} disallowed`);
  }
  if (release) {
    if (reg.type !== "stack") throw new Reject("cannot release unowned const bpf_dynptr", 22);
    const spi = objSpi(env, reg, "dynptr", DYNPTR_SLOTS);
    if (spi < 0 || !frameOf(env, reg).stack[spi]!.spilled.refObjId) throw new Reject(`arg ${regno} is an unacquired reference`, 22);
  }
  const typeFlag = flags.find((f) => ARG_DYNPTR_TYPE[f]);
  const arg: DynptrArg = { uninit: flags.includes("MEM_UNINIT"), rdonly: flags.includes("MEM_RDONLY") || reg.type === "dynptr_ptr" };
  if (typeFlag) arg.type = ARG_DYNPTR_TYPE[typeFlag]!;
  // a helper that does not mutate the dynptr takes a const one; MEM_RDONLY is set in its prototype then
  if (reg.type === "dynptr_ptr" && !flags.includes("MEM_RDONLY")) arg.rdonly = false;
  processDynptrArg(env, regno, arg, 0);
  return release;
}
