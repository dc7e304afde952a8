// IRQ flags (6.14+ process_irq_flag): bpf_local_irq_save(&flags) disables interrupts and keeps the old
// state in an 8-byte STACK_IRQ_FLAG slot, which is a reference (REF_TYPE_IRQ) and the state's active IRQ id;
// bpf_local_irq_restore(&flags) must get an initialized flag, and the most recently saved one: the
// references form a stack. While IRQs are off, sleepable helpers and kfuncs are refused and the program
// may not exit or tail-call (check_resource_leak). bpf_res_spin_lock_irqsave's "lock" class of flags is
// not modelled (resilient spin locks are refused as a whole).
import { type Env, Reject, regs } from "./env.js";
import { objSpi } from "./dynptr.js";
import { checkMemAccess } from "./memory.js";
import { type Frame, type Reg, Slot, growStack, notInit, ownSlot } from "./state.js";

const frameOf = (env: Env, reg: Reg): Frame => env.cur.frames[reg.frameno] ?? env.cur.frames[env.cur.frames.length - 1]!;

/** process_irq_flag for bpf_local_irq_save / bpf_local_irq_restore (the argument in `regno`, arg#`arg`). */
export function processIrqFlag(env: Env, regno: number, arg: number, save: boolean): void {
  const reg = regs(env)[regno]!;
  if (reg.type !== "stack") throw new Reject(`arg#${arg} doesn't point to an irq flag on stack`, 22);
  if (save) {
    // is_irq_flag_reg_valid_uninit: a slot not allocated yet is fine (check_mem_access grows the stack)
    const spi0 = objSpi(env, reg, "irq_flag", 1);
    if (spi0 >= 0 && frameOf(env, reg).stack[spi0]!.kinds.some((k) => k === Slot.IRQ_FLAG)) throw new Reject(`expected uninitialized irq flag as arg#${arg}`, 22);
    checkMemAccess(env, { regno, off: 0, size: 8, write: true, valueRegno: -1 });
    const spi = objSpi(env, reg, "irq_flag", 1);
    const f = frameOf(env, reg);
    growStack(f, (spi + 1) * 8);
    // acquire_irq_state
    const id = ++env.idGen;
    env.cur.refs.push({ id, insn: env.insnIdx, kind: "irq" });
    env.cur.irqLock = id;
    const st = ownSlot(f, spi);
    const sp = notInit();
    sp.type = "stack";
    sp.refObjId = id;
    st.spilled = sp;
    st.kinds.fill(Slot.IRQ_FLAG);
    st.special = { kind: "irq", kfuncClass: "native" };
    env.stackLive?.markWrite(reg.frameno, spi);
    env.scratchedSlots.add(spi);
    return;
  }
  // is_irq_flag_reg_valid_init
  const spi = objSpi(env, reg, "irq_flag", 1);
  const f = frameOf(env, reg);
  const st = spi >= 0 ? f.stack[spi] : undefined;
  if (!st || !st.spilled.refObjId || st.kinds.some((k) => k !== Slot.IRQ_FLAG)) throw new Reject(`expected an initialized irq flag as arg#${arg}`, 22);
  // mark_irq_flag_read
  env.stackLive?.markRead(env.cur, reg.frameno, env.insnIdx, spi);
  if (st.special?.kind === "irq" && st.special.kfuncClass !== "native") {
    throw new Reject(`irq flag acquired by ${st.special.kfuncClass} kfuncs cannot be restored with native kfuncs`, 22);
  }
  releaseIrqState(env, st.spilled.refObjId);
  // (stack slots are copy-on-write: owned before the change)
  const own = ownSlot(f, spi);
  own.spilled = notInit();
  own.kinds.fill(Slot.INVALID);
  own.special = undefined;
  env.stackLive?.markWrite(reg.frameno, spi);
  env.scratchedSlots.add(spi);
}

/** release_irq_state: only the active (most recently saved) flag; the one saved before it becomes active. */
function releaseIrqState(env: Env, id: number): void {
  const s = env.cur;
  if (id !== s.irqLock) {
    const at = s.refs.find((r) => r.id === s.irqLock)?.insn ?? 0;
    throw new Reject(`cannot restore irq state out of order, expected id=${s.irqLock ?? 0} acquired at insn_idx=${at}`, 13);
  }
  let prev = 0;
  for (let i = 0; i < s.refs.length; i++) {
    const r = s.refs[i]!;
    if (r.kind !== "irq") continue;
    if (r.id === id) {
      // the references stay in order (release_reference_state shifts the rest down)
      s.refs = s.refs.filter((_, j) => j !== i);
      if (prev) s.irqLock = prev; else delete s.irqLock;
      return;
    }
    prev = r.id;
  }
}
