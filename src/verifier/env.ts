// What every stage of the emulated verifier shares: the program as raw slots, its maps and type, the
// current state, id generator, the log, and the rejection error type. Stages are plain functions of
// `Env` (alu.ts, memory.ts, branch.ts, calls.ts), driven by verifier.ts.
import type { Fastcall } from "./fastcall.js";
import type { Btf } from "../btf/btf.js";
import type { MapSpec } from "../program/program.js";
import type { MapFields } from "./map-fields.js";
import type { RawInsn } from "./cfg.js";
import type { VLog } from "./log.js";
import type { Checkpoint } from "./prune.js";
import type { StackLiveness } from "./stack-liveness.js";
import { type Frame, type HistEntry, type Reg, type State, curFrame, ownReg, ownSlot } from "./state.js";
import { invariantReport, invariantViolation, markUnbounded } from "./scalar.js";

/**
 * A rejection: the kernel's message (possibly several lines), at the instruction being checked. It is
 * control flow caught by the verifier loop, never shown with a stack, so it skips the stack capture
 * (Error.stackTraceLimit = 0 while constructing): capturing one cost ~4% of the time on small rejected programs.
 */
export class Reject extends Error {
  readonly errno: number;
  /** The kernel prints this message without a newline (the statistics line follows on the same line). */
  readonly noNewline: boolean;
  // plain fields, not parameter properties: with those, super() must be the constructor's first statement
  constructor(message: string, errno = 13 /* EACCES */, noNewline = false) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.errno = errno;
    this.noNewline = noNewline;
  }
}

/**
 * The time limit (VerifyOptions.timeoutMs) ran out before the walk ended: no verdict. Thrown from the walk
 * loop and turned into the "timeout" verdict by the driver, never shown to the user as an error.
 */
export class VerifyTimeout extends Error {
  constructor(readonly seconds: number, readonly processed: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`timeout after ${seconds} s, ${processed} insns processed`);
    Error.stackTraceLimit = limit;
  }
}

export interface EnvOptions {
  progType: number;
  attachType?: number;
  /** The program's maps, followed by the inner-map templates of its map-in-map maps. */
  maps: MapSpec[];
  /** For each map index: the index (in `maps`) of its inner-map template, or -1. */
  innerMap: number[];
  /** For each map index: where its value holds a bpf_spin_lock / bpf_timer (from BTF). */
  fields: MapFields[];
  gpl: boolean;
  /** nr_cpu_ids of the target machine: bpf_get_smp_processor_id() returns [0, nrCpus - 1]. */
  nrCpus: number;
  logLevel: number;
  /** Keep every state seen at every instruction (for --json states / --explain). */
  recordStates?: boolean;
  /** The kernel's BTF (kfunc prototypes, BTF-typed pointers, attach targets); kfunc calls need it. */
  targetBtf?: Btf;
  /** The program's own BTF (local object types of bpf_obj_new, global function prototypes). */
  progBtf?: Btf;
  /** attach_btf_id: the attach target in the target BTF (tracing, LSM, struct_ops programs). */
  attachBtfId?: number;
  /** Whether the target kernel's configuration sets this option (absent: no configuration given, all set). */
  configEnabled?: (option: string) => boolean;
  /** BPF_F_SLEEPABLE. */
  sleepable?: boolean;
  /** A device-bound XDP program (prog_ifindex with BPF_F_XDP_DEV_BOUND_ONLY): may call the XDP metadata kfuncs. */
  devBound?: boolean;
  /** env->strict_alignment, env->test_state_freq, env->test_reg_invariants (VerifyOptions.progFlags). */
  strictAlignment?: boolean;
  testStateFreq?: boolean;
  testRegInvariants?: boolean;
}

export interface Env {
  insns: RawInsn[];
  opts: EnvOptions;
  log: VLog;
  cur: State;
  /** Checkpoint this path descends from. */
  parentCp: Checkpoint | undefined;
  insnIdx: number;
  prevInsnIdx: number;
  idGen: number;
  subprogs: number[];
  /** Registers / stack slots read or written since the last state print (mark_reg_scratched). */
  scratchedRegs: Set<number>;
  scratchedSlots: Set<number>;
  /** Log position just after the last instruction line, and that line's length (for the `;` alignment). */
  prevLogPos: number;
  prevInsnPrintLen: number;
  /** Max stack depth used per sub-program. */
  stackDepth: number[];
  /** bpf_fastcall patterns found before the walk (fastcall.ts); stack accesses may turn them off. */
  fastcall?: Fastcall;
  /** Sub-programs whose code changes packet data (helpers that invalidate packet pointers). */
  changesPktData: boolean;
  /** The history entry of the instruction being checked, once one was recorded (cur_hist_ent). */
  curHist: HistEntry | undefined;
  /** Registers live before each instruction (liveness.ts), once computed. */
  liveRegs?: Uint16Array;
  /** Live stack slots (stack-liveness.ts): stack reads and whole-slot writes are reported to it. */
  stackLive?: StackLiveness;
  /** Instructions where arriving by a jump is recorded in the history (precision.ts jmpPoints). */
  jmpPoints: Uint8Array;
  /**
   * Reads of uninitialized stack (STACK_INVALID bytes) a privileged loader is allowed (allow_uninit_stack),
   * by pc: the kernel then returns whatever its stack held, so runs differ (issue #15 item 12).
   */
  uninitReads?: Map<number, UninitStackRead>;
  /** Queue another state to explore from `insn` (push_stack). */
  push: (s: State, insn: number) => void;
  clone: (s: State) => State;
}

/** A read of uninitialized stack at `pc`: `bytes` of them, the first of them at fp`fpOff` of call frame `frameno`. */
export interface UninitStackRead { pc: number; bytes: number; fpOff: number; frameno: number; helper?: boolean }

/** Record `bytes` uninitialized bytes read at the current instruction (the widest read per pc is kept). */
export function noteUninitRead(env: Env, bytes: number, fpOff: number, frameno: number, helper = false): void {
  if (bytes <= 0) return;
  const m = (env.uninitReads ??= new Map());
  const old = m.get(env.insnIdx);
  if (!old || old.bytes < bytes) m.set(env.insnIdx, { pc: env.insnIdx, bytes, fpOff, frameno, ...(helper ? { helper } : {}) });
}

export const frame = (env: Env): Frame => curFrame(env.cur);
export const regs = (env: Env): Reg[] => curFrame(env.cur).regs;

/** `map=name,ks=..,vs=..` data for the log. */
export function mapInfo(env: Env, i: number): { name: string; ks: number; vs: number } | undefined {
  const m = env.opts.maps[i];
  return m ? { name: m.name.slice(0, 15), ks: m.keySize, vs: m.valueSize } : undefined;
}

/** check_reg_arg(SRC_OP): the register must hold a value. */
export function checkRegRead(env: Env, regno: number): Reg {
  if (regno >= 11) throw new Reject(`R${regno} is invalid`, 22);
  env.scratchedRegs.add(regno);
  const r = regs(env)[regno]!;
  if (r.type === "not_init") throw new Reject(`R${regno} !read_ok`);
  return r;
}

/** check_reg_arg(DST_OP): the register may be written (r10 may not). */
export function checkRegWrite(env: Env, regno: number): void {
  if (regno >= 11) throw new Reject(`R${regno} is invalid`, 22);
  env.scratchedRegs.add(regno);
  if (regno === 10) throw new Reject("frame pointer is read only");
}

/** Every register of the state, in every frame, including spilled ones (bpf_for_each_reg_in_vstate). */
export function forEachReg(s: State, fn: (r: Reg) => void, only?: (r: Reg) => boolean): void {
  for (const f of s.frames) {
    // `fn` may change a register in place: a shared (frozen, not_init) one is owned first
    for (let i = 0; i < f.regs.length; i++) { const r = f.regs[i]!; if (!only || only(r)) fn(Object.isFrozen(r) ? ownReg(f, i) : r); }
    // `fn` may change a spilled register: its slot is owned first (only: the registers fn changes, so that
    // the slots it leaves alone stay shared)
    for (let i = 0; i < f.stack.length; i++) {
      const slot = f.stack[i]!;
      if ((slot.kinds[7] === 1 /* SPILL */ || slot.spilled.type !== "not_init") && (!only || only(slot.spilled))) fn(ownSlot(f, i).spilled);
    }
  }
}

/**
 * reg_bounds_sanity_check: bounds that contradict the tnum are a verifier bug to the kernel, which says so
 * in the log ("verifier bug: REG INVARIANTS VIOLATION (where): ...") and forgets the ranges, keeping the
 * tnum, instead of stopping or finding the path dead (6.18; test_reg_invariants loads would fail instead).
 */
export function sanityCheckBounds(env: Env, r: Reg, where: string): void {
  if (r.type === "not_init") return;
  const msg = invariantViolation(r);
  if (msg === undefined) return;
  const line = `verifier bug: REG INVARIANTS VIOLATION (${where}): ${msg} ${invariantReport(r)}`;
  // BPF_F_TEST_REG_INVARIANTS: the load fails (-EFAULT) instead
  if (env.opts.testRegInvariants) throw new Reject(line, 14);
  if (env.log.level) env.log.write(`${line}\n`);
  markUnbounded(r);
}
