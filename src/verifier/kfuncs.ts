// kfunc calls (call insn with src_reg 2, imm = a FUNC id in the target BTF): add_kfunc_call's checks before
// the walk (cfg.ts asks here), then check_kfunc_call / check_kfunc_args at each call: the program type may
// call the kfunc (src/helpers/kfuncs.ts), each argument suits its BTF parameter (its name's suffix `__sz`,
// `__szk`, `__k`, `__ign`, `__opt`, `__uninit`, `__nullable`, `__str`, `__map`, `__alloc`, `__iter` and its
// type decide how), trusted and RCU arguments, references acquired and released, RCU and preemption
// sections, and the return value (scalar, memory, a BTF pointer, the kfunc-specific ones such as
// bpf_obj_new, bpf_rdonly_cast, bpf_dynptr_slice). Kfuncs whose objects bpfkit does not model (BPF lists,
// rbtrees, refcounts, work queues, exceptions, resilient locks, callbacks) are refused with a
// message saying so: a conservative verdict, never an unsafe accept.
import type { Btf, BtfType } from "../btf/btf.js";
import { BTF_KIND } from "../btf/btf.js";
import { type KfuncFlag, hasKfuncFlag, kfuncForProgType, kfuncRefusedAtCall } from "../helpers/kfuncs.js";
import { PROG_TYPE_NAMES } from "../progtypes/numbers.js";
import type { RawInsn } from "./cfg.js";
import { type FastcallCallee, helperClobbers } from "./fastcall.js";
import { type Env, Reject, forEachReg, regs } from "./env.js";
import { regTypeStr } from "./log.js";
import { checkHelperMem } from "./memory.js";
import { markChainPrecision } from "./precision.js";
import { isConst } from "./scalar.js";
import { constOf, isZero, sminOf, uconstOf, umaxOf } from "./scalar-read.js";
import { type Reg, type State, TF, assignReg, notInit, pointer, unknownScalar } from "./state.js";
import { tnumStr } from "./tnum.js";
import { REG2BTF, btfOf, btfPtr, hasUnsafeModifiers, inRcuCs, isAlloc, isRcuReg, isTrustedReg, targetStructId } from "./btf-ptr.js";
import { DYNPTR_FLAG, type DynptrArg, dynptrInfo, processDynptrArg } from "./dynptr.js";
import { type IterRef, processIterArg, processIterNext, untrustRcuIters } from "./iter.js";
import { processIrqFlag } from "./irq.js";
import { funcProto, progCtxType, isPtr, isScalar, isStruct, isVoid, kindStr, paramHasSuffix, resolveSize, skipMods, structIdsMatch, typeName } from "./target-btf.js";
import type { DynptrType } from "./state.js";

const U32_MAX = 0xffffffffn;

/** The program's maps include an arena (the arena kfuncs' filter). */
const hasArena = (env: Env): boolean => env.opts.maps.some((m) => m.type === "arena");

/**
 * add_kfunc_call's checks, before the walk (add_subprog_and_kfunc): the kernel rejects the whole program
 * here, whether or not the call is reachable. `first` is the first kfunc call of the program.
 */
export function kfuncCallCheck(env: Env, insn: RawInsn, first: boolean): string | undefined {
  if (first && !env.opts.gpl) return "cannot call kernel function from non-GPL compatible program";
  if (!insn.imm && !insn.off) return undefined;
  if (insn.off) return "kfunc offset > 0 without fd_array is invalid";
  const btf = env.opts.targetBtf;
  if (!btf) return `kernel btf_id ${insn.imm >>> 0} is not a function`;
  const fn = btf.types[insn.imm];
  if (!fn || fn.kind !== BTF_KIND.FUNC) return `kernel btf_id ${insn.imm >>> 0} is not a function`;
  const proto = btf.types[fn.sizeOrType];
  if (!proto || proto.kind !== BTF_KIND.FUNC_PROTO) return `kernel function btf_id ${insn.imm >>> 0} does not have a valid func_proto`;
  if (/^bpf_xdp_metadata_rx_/.test(fn.name) && !env.opts.devBound) return "metadata kfuncs require device-bound program";
  return undefined;
}

/** The kfunc is an iterator's _next (its call is a forced checkpoint, process_iter_next_call forks there). */
export function isIterNextCall(env: Env, insn: RawInsn): boolean {
  const name = kfuncName(env, insn);
  const k = name ? kfuncForProgType(name, env.opts.progType, env.opts.attachType, { hasArena: hasArena(env) }) : undefined;
  return !!k && hasKfuncFlag(k, "KF_ITER_NEXT");
}

const kfuncName = (env: Env, insn: RawInsn): string | undefined => {
  const fn = env.opts.targetBtf?.types[insn.imm];
  return fn?.kind === BTF_KIND.FUNC ? fn.name : undefined;
};

/**
 * A kfunc call as mark_fastcall_pattern_for_call sees it: r0 (unless void) and one register per parameter
 * clobbered; bpf_cast_to_kern_ctx and bpf_rdonly_cast (KF_FASTCALL) are rewritten inline. Undefined for a
 * kfunc the program may not call (fetch_kfunc_meta fails: no pattern).
 */
export function kfuncFastcall(env: Env, insn: RawInsn): FastcallCallee | undefined {
  const name = kfuncName(env, insn);
  const btf = env.opts.targetBtf;
  const fp = name && btf ? funcProto(btf, insn.imm) : undefined;
  if (!name || !fp || !kfuncForProgType(name, env.opts.progType, env.opts.attachType, { hasArena: hasArena(env) })) return undefined;
  return { clobbers: helperClobbers(fp.proto.sizeOrType === 0, fp.proto.params?.length ?? 0), inlined: name === "bpf_cast_to_kern_ctx" || name === "bpf_rdonly_cast" };
}

/** The number of arguments a kfunc takes (the live-registers pass reads only those). */
export function kfuncArgCount(env: Env, insn: RawInsn): number | undefined {
  const btf = env.opts.targetBtf;
  const fp = btf ? funcProto(btf, insn.imm) : undefined;
  return fp ? (fp.proto.params?.length ?? 0) : undefined;
}

interface Meta {
  name: string;
  id: number;
  btf: Btf;
  proto: BtfType;
  flags: readonly KfuncFlag[];
  refObjId: number;
  releaseRegno: number;
  argConst?: bigint;
  r0Size: number;
  r0Rdonly: boolean;
  dynptr?: { id: number; type: DynptrType; refObjId: number };
  argBtf?: { id: number; local: boolean };
  iter?: IterRef;
  retBtfId: number;
}

const has = (m: Meta, f: KfuncFlag): boolean => m.flags.includes(f);
const isRelease = (m: Meta): boolean => has(m, "KF_RELEASE");
const isTrustedArgs = (m: Meta): boolean => has(m, "KF_TRUSTED_ARGS") || isRelease(m);
const isNullReg = (r: Reg): boolean => r.type === "scalar" && isZero(r);

/** What the kernel's verifier does not model here: refused with a clear message instead of guessed at. */
function unmodelled(name: string, what: string): Reject {
  return new Reject(`bpfkit: kfunc ${name} (${what}) is not modelled by the verifier emulator`, 95);
}

const UNMODELLED: ReadonlyArray<[RegExp, string]> = [
  [/^bpf_(list|rbtree)_/, "BPF lists and rbtrees"], [/^bpf_refcount_acquire/, "refcounted objects"], [/^bpf_throw$/, "exceptions"],
  [/^bpf_wq_/, "BPF work queues"], [/^bpf_task_work_/, "task work callbacks"], [/^bpf_res_spin_/, "resilient spin locks"],
  [/^bpf_arena_/, "arena pages"], [/^bpf_iter_css_task_new$/, "css task iterators"],
  [/^bpf_crypto_/, "crypto contexts"], [/^bpf_stream_/, "BPF streams"],
];

/** check_kfunc_call. `queue` pushes a state to walk later (iterator _next forks). */
export function checkKfuncCall(env: Env, insn: RawInsn, queue: (s: State) => void): void {
  if (!insn.imm) return;
  const btf = env.opts.targetBtf!;
  const fp = funcProto(btf, insn.imm)!;
  const name = fp.fn.name;
  const k = kfuncForProgType(name, env.opts.progType, env.opts.attachType, { hasArena: hasArena(env) });
  if (!k) throw new Reject(`calling kernel function ${name} is not allowed`, 13);
  for (const [re, what] of UNMODELLED) if (re.test(name)) throw unmodelled(name, what);
  const meta: Meta = { name, id: insn.imm, btf, proto: fp.proto, flags: k.flags, refObjId: 0, releaseRegno: 0, r0Size: 0, r0Rdonly: false, retBtfId: 0 };
  const sleepable = has(meta, "KF_SLEEPABLE");
  if (sleepable && !env.opts.sleepable) throw new Reject(`program must be sleepable to call sleepable kfunc ${name}`, 13);
  checkKfuncArgs(env, meta);
  if (kfuncRefusedAtCall(name)) throw new Reject(`${name}() is not allowed`, 1);

  const rcuLock = name === "bpf_rcu_read_lock", rcuUnlock = name === "bpf_rcu_read_unlock";
  const preemptDisable = name === "bpf_preempt_disable", preemptEnable = name === "bpf_preempt_enable";
  const s = env.cur;
  if (s.rcuLock) {
    if (rcuLock) throw new Reject(`nested rcu read lock (kernel function ${name})`, 22);
    if (rcuUnlock) {
      // MEM_RCU pointers (registers, spills, iterators) lose their RCU protection
      forEachReg(s, (r) => { if (r.tflags & TF.RCU) { r.tflags = (r.tflags & ~TF.RCU) | TF.UNTRUSTED; r.maybeNull = false; } });
      untrustRcuIters(s);
      delete s.rcuLock;
    } else if (sleepable) throw new Reject(`kernel func ${name} is sleepable within rcu_read_lock region`, 13);
  } else if (rcuLock) s.rcuLock = true;
  else if (rcuUnlock) throw new Reject(`unmatched rcu read unlock (kernel function ${name})`, 22);
  if (s.preemptLock) {
    if (preemptDisable) s.preemptLock++;
    else if (preemptEnable) { s.preemptLock--; if (!s.preemptLock) delete s.preemptLock; }
    else if (sleepable) throw new Reject(`kernel func ${name} is sleepable within non-preemptible region`, 13);
  } else if (preemptDisable) s.preemptLock = 1;
  else if (preemptEnable) throw new Reject(`unmatched attempt to enable preemption (kernel function ${name})`, 22);
  if (s.irqLock && sleepable) throw new Reject(`kernel func ${name} is sleepable within IRQ-disabled region`, 13);

  const R = regs(env);
  if (meta.releaseRegno) {
    const ref = R[meta.releaseRegno]!.refObjId;
    if (!releaseReference(env, ref)) throw new Reject(`kfunc ${name}#${meta.id} reference has not been acquired before`, 22);
  }
  for (let i = 0; i <= 5; i++) { R[i] = notInit(); env.scratchedRegs.add(i); }
  setReturn(env, meta);
  if (has(meta, "KF_ITER_NEXT")) processIterNext(env, meta.iter!, queue);
}

/** release_reference: the reference is gone and every register holding it becomes an unknown scalar. */
function releaseReference(env: Env, ref: number): boolean {
  if (!ref || !env.cur.refs.some((r) => r.id === ref)) return false;
  env.cur.refs = env.cur.refs.filter((r) => r.id !== ref);
  forEachReg(env.cur, (r) => { if (r.refObjId === ref) assignReg(r, unknownScalar()); });
  return true;
}

type KfArg = "ctx" | "alloc" | "refcounted" | "dynptr" | "iter" | "list_head" | "list_node" | "btf_id" | "mem" | "mem_size" | "callback" | "rb_root"
  | "rb_node" | "null" | "const_str" | "map" | "wq" | "irq_flag" | "res_lock";

/** The struct a program type's context is (`BPF_PROG_TYPE_X_prog` / `_kern` members of struct bpf_ctx_convert in vmlinux BTF). */
function ctxConvertType(env: Env, which: "prog" | "kern"): BtfType | undefined {
  return progCtxType(env.opts.targetBtf!, PROG_TYPE_NAMES[env.opts.progType] ?? "", which);
}

/** btf_is_prog_ctx_type: the parameter points to the program type's context struct (or its kernel mirror). */
function isProgCtxParam(env: Env, btf: Btf, paramType: number): boolean {
  const ptr = skipMods(btf, paramType).t;
  if (!isPtr(ptr)) return false;
  let t = btf.types[ptr.sizeOrType]!;
  if (env.opts.progType === 2) {
    let u = t;
    while (u && u.kind !== BTF_KIND.TYPEDEF && [BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG].includes(u.kind as 9)) u = btf.types[u.sizeOrType]!;
    if (u?.kind === BTF_KIND.TYPEDEF && u.name === "bpf_user_pt_regs_t") return true;
  }
  t = skipMods(btf, ptr.sizeOrType).t;
  if (!isStruct(t) || !t.name) return false;
  let ctx = ctxConvertType(env, "prog");
  for (let guard = 0; ctx && guard < 8; guard++) {
    if (!ctx.name) return false;
    if ((ctx.name === "__sk_buff" && t.name === "sk_buff") || (ctx.name === "xdp_md" && t.name === "xdp_buff")) return true;
    if (ctx.name === t.name) return true;
    if (ctx.kind !== BTF_KIND.TYPEDEF) return false;
    ctx = skipMods(env.opts.targetBtf!, ctx.sizeOrType).t;
  }
  return false;
}

/** __btf_type_is_scalar_struct: a struct of scalars (and arrays of them), 4 levels deep at most. */
function isScalarStruct(btf: Btf, t: BtfType, rec: number): boolean {
  if (!isStruct(t)) return false;
  for (const m of t.members ?? []) {
    let mt = skipMods(btf, m.type).t;
    if (isStruct(mt)) {
      if (rec >= 3) return false;
      if (!isScalarStruct(btf, mt, rec + 1)) return false;
      continue;
    }
    if (mt.kind === BTF_KIND.ARRAY) {
      if (!mt.array!.nelems) return false;
      mt = skipMods(btf, mt.array!.type).t;
      if (!isScalar(mt)) return false;
      continue;
    }
    if (!isScalar(mt)) return false;
  }
  return true;
}

const pointeeName = (btf: Btf, paramType: number): string => {
  const t = skipMods(btf, paramType).t;
  return isPtr(t) ? skipMods(btf, t.sizeOrType).t.name : "";
};

/** get_kfunc_ptr_arg_type. */
function kfArgType(env: Env, m: Meta, i: number, reg: Reg, refT: BtfType, nargs: number): KfArg {
  const btf = m.btf;
  const params = m.proto.params!;
  const p = params[i]!;
  if (m.name === "bpf_cast_to_kern_ctx") return "ctx";
  if (isProgCtxParam(env, btf, p.type)) return "ctx";
  if (paramHasSuffix(p.name, "__nullable") && isNullReg(reg)) return "null";
  if (paramHasSuffix(p.name, "__alloc")) return "alloc";
  if (paramHasSuffix(p.name, "__refcounted_kptr")) return "refcounted";
  const pname = pointeeName(btf, p.type);
  if (pname === "bpf_dynptr") return "dynptr";
  if ((has(m, "KF_ITER_NEW") || has(m, "KF_ITER_NEXT") || has(m, "KF_ITER_DESTROY")) ? i === 0 : paramHasSuffix(p.name, "__iter")) return "iter";
  if (pname === "bpf_list_head") return "list_head";
  if (pname === "bpf_list_node") return "list_node";
  if (pname === "bpf_rb_root") return "rb_root";
  if (pname === "bpf_rb_node") return "rb_node";
  if (paramHasSuffix(p.name, "__str")) return "const_str";
  if (paramHasSuffix(p.name, "__map")) return "map";
  if (pname === "bpf_wq") return "wq";
  if (paramHasSuffix(p.name, "__irq_flag")) return "irq_flag";
  if (pname === "bpf_res_spin_lock") return "res_lock";
  if (reg.type === "btf_id" || REG2BTF[reg.type]) {
    if (!isStruct(refT)) throw new Reject(`kernel function ${m.name} args#${i} pointer type ${kindStr(refT)} ${refT.name} is not supported`, 22);
    return "btf_id";
  }
  // 6.18: a scalar passed for a struct parameter of a kfunc with trusted (or RCU) arguments is checked as
  // a BTF pointer ("must be referenced or trusted"), not as memory of the struct's size
  if ((isTrustedArgs(m) || has(m, "KF_RCU")) && isStruct(refT) && reg.type === "scalar") return "btf_id";
  // a function pointer parameter (btf_type_resolve_func_ptr)
  const pt = skipMods(btf, p.type).t;
  if (isPtr(pt) && skipMods(btf, pt.sizeOrType).t.kind === BTF_KIND.FUNC_PROTO) return "callback";
  let memSize = false;
  if (i + 1 < nargs) {
    const next = params[i + 1]!;
    const nt = skipMods(btf, next.type).t;
    const nreg = regs(env)[i + 2]!;
    if (isScalar(nt) && nreg.type === "scalar" && (paramHasSuffix(next.name, "__sz") || paramHasSuffix(next.name, "__szk"))) memSize = true;
  }
  if (!isScalar(refT) && !isScalarStruct(btf, refT, 0) && (memSize ? !isVoid(refT) : true)) {
    throw new Reject(`arg#${i} pointer type ${kindStr(refT)} ${refT.name} must point to ${memSize ? "void, " : ""}scalar, or struct with scalar`, 22);
  }
  return memSize ? "mem_size" : "mem";
}

/** check_func_arg_reg_off for a kfunc argument (arg_type 0, or OBJ_RELEASE for the released reference). */
function checkArgRegOff(regno: number, reg: Reg, release: boolean): void {
  const name = regTypeStr(reg);
  const ptrOff = (fixedOk: boolean): void => {
    if (reg.off < 0) throw new Reject(`negative offset ${name} ptr R${regno} off=${reg.off} disallowed`);
    if (!fixedOk && reg.off) throw new Reject(`dereference of modified ${name} ptr R${regno} off=${reg.off} disallowed`);
    if (!isZero(reg)) throw new Reject(`variable ${name} access var_off=${tnumStr(reg.varOff)} disallowed`);
  };
  if (release) {
    if (reg.off) throw new Reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`, 22);
    ptrOff(false);
    return;
  }
  switch (reg.type) {
    case "stack": case "pkt": case "pkt_meta": case "map_key": case "map_value": case "arena": case "scalar":
      return;
    case "mem": case "buf":
      // PTR_TO_MEM with MEM_RDONLY or MEM_RINGBUF only; other flags (maybe NULL, dynptr kinds) are not free
      if (!reg.maybeNull && !(reg.tflags & ~TF.LOCAL)) return;
      ptrOff(false);
      return;
    case "btf_id": {
      const f = reg.tflags & ~TF.LOCAL;
      const okFlags = [0, TF.ALLOC, TF.TRUSTED, TF.RCU, TF.ALLOC | TF.NON_OWN, TF.ALLOC | TF.NON_OWN | TF.RCU];
      ptrOff(!reg.maybeNull && okFlags.includes(f));
      return;
    }
    default:
      ptrOff(false);
  }
}

function checkKfuncArgs(env: Env, m: Meta): void {
  const btf = m.btf;
  const params = m.proto.params ?? [];
  const nargs = params.length;
  if (nargs > 5) throw new Reject(`Function ${m.name} has ${nargs} > 5 args`, 22);
  const R = regs(env);
  for (let i = 0; i < nargs; i++) {
    const regno = i + 1;
    const reg = R[regno]!;
    const p = params[i]!;
    const t = skipMods(btf, p.type).t;
    if (paramHasSuffix(p.name, "__ign")) continue;
    // the argument must have been set (check_reg_arg at the call)
    if (reg.type === "not_init") throw new Reject(`R${regno} !read_ok`);
    if (isScalar(t)) {
      if (reg.type !== "scalar") throw new Reject(`R${regno} is not a scalar`, 22);
      let retBufSz = false;
      if (paramHasSuffix(p.name, "__k")) {
        if (m.argConst !== undefined) throw new Reject("verifier internal error: only one constant argument permitted", 14);
        if (!isConst(reg)) throw new Reject(`R${regno} must be a known constant`, 22);
        markChainPrecision(env, regno);
        m.argConst = uconstOf(reg);
      } else if (p.name === "rdonly_buf_size") { m.r0Rdonly = true; retBufSz = true; }
      else if (p.name === "rdwr_buf_size") retBufSz = true;
      if (retBufSz) {
        if (m.r0Size) throw new Reject("2 or more rdonly/rdwr_buf_size parameters for kfunc", 22, true);
        if (!isConst(reg)) throw new Reject(`R${regno} is not a const`, 22);
        if (uconstOf(reg) > U32_MAX) throw new Reject(`R${regno} rdonly/rdwr_buf_size exceeds u32 max`, 22);
        m.r0Size = Number(uconstOf(reg));
        markChainPrecision(env, regno);
      }
      continue;
    }
    if (!isPtr(t)) throw new Reject(`Unrecognized arg#${i} type ${kindStr(t)}`, 22);
    if ((isTrustedArgs(m) || has(m, "KF_RCU")) && (isNullReg(reg) || reg.maybeNull) && !paramHasSuffix(p.name, "__nullable")) {
      throw new Reject(`Possibly NULL pointer passed to trusted arg${i}`, 13);
    }
    if (reg.refObjId) {
      if (isRelease(m) && m.refObjId) throw new Reject(`verifier internal error: more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${m.refObjId}`, 14);
      m.refObjId = reg.refObjId;
      if (isRelease(m)) m.releaseRegno = regno;
    }
    const ref = skipMods(btf, t.sizeOrType);
    const refT = ref.t;
    const kind = kfArgType(env, m, i, reg, refT, nargs);
    switch (kind) {
      case "null": continue;
      case "map": case "alloc": case "btf_id":
        // a map argument is then checked as a struct bpf_map pointer
        if (kind === "map" && reg.type !== "map_ptr") throw new Reject(`pointer in R${regno} isn't map pointer`, 22);
        if (!isTrustedArgs(m) && !has(m, "KF_RCU")) break;
        if (!isTrustedReg(reg)) {
          if (!has(m, "KF_RCU")) throw new Reject(`R${regno} must be referenced or trusted`, 22);
          if (!isRcuReg(reg)) throw new Reject(`R${regno} must be a rcu pointer`, 22);
        }
        break;
      case "list_head": case "list_node": case "rb_root": case "rb_node": throw unmodelled(m.name, "BPF lists and rbtrees");
      case "refcounted": throw unmodelled(m.name, "refcounted objects");
      case "callback": throw unmodelled(m.name, "callbacks");
      case "wq": throw unmodelled(m.name, "BPF work queues");
      case "irq_flag": if (m.name !== "bpf_local_irq_save" && m.name !== "bpf_local_irq_restore") throw unmodelled(m.name, "IRQ flags"); break;
      case "res_lock": throw unmodelled(m.name, "resilient spin locks");
      default: break;
    }
    checkArgRegOff(regno, reg, isRelease(m) && reg.refObjId !== 0);
    switch (kind) {
      case "ctx":
        if (reg.type !== "ctx") throw new Reject(`arg#${i} expected pointer to ctx, but got ${regTypeStr(reg)}`, 22);
        if (m.name === "bpf_cast_to_kern_ctx") {
          const kt = ctxConvertType(env, "kern");
          if (!kt || !isStruct(kt)) throw new Reject(`kern ctx type id ${kt?.id ?? 0} is not a struct`, 22);
          m.retBtfId = kt.id;
        }
        break;
      case "alloc":
        if (reg.type === "btf_id" && (reg.tflags & (TF.ALLOC | TF.PERCPU | TF.NON_OWN | TF.RCU | TF.TRUSTED | TF.UNTRUSTED)) === TF.ALLOC && !reg.maybeNull) {
          if (m.name !== "bpf_obj_drop_impl") throw new Reject(`arg#${i} expected for bpf_obj_drop_impl()`, 22);
        } else if (reg.type === "btf_id" && (reg.tflags & (TF.ALLOC | TF.PERCPU | TF.NON_OWN | TF.RCU | TF.TRUSTED | TF.UNTRUSTED)) === (TF.ALLOC | TF.PERCPU) && !reg.maybeNull) {
          if (m.name !== "bpf_percpu_obj_drop_impl") throw new Reject(`arg#${i} expected for bpf_percpu_obj_drop_impl()`, 22);
        } else throw new Reject(`arg#${i} expected pointer to allocated object`, 22);
        if (!reg.refObjId) throw new Reject("allocated object must be referenced", 22);
        m.argBtf = { id: reg.btfId, local: (reg.tflags & TF.LOCAL) !== 0 };
        break;
      case "dynptr": {
        const arg: DynptrArg = { uninit: paramHasSuffix(p.name, "__uninit"), rdonly: reg.type === "dynptr_ptr" };
        let clone = 0;
        if (m.name === "bpf_dynptr_from_skb" || m.name === "bpf_dynptr_from_skb_meta") arg.type = "skb";
        else if (m.name === "bpf_dynptr_from_xdp") arg.type = "xdp";
        else if (m.name === "bpf_dynptr_clone" && arg.uninit) {
          if (!m.dynptr) throw new Reject("verifier internal error: no dynptr type for parent of clone", 14);
          arg.type = m.dynptr.type;
          clone = m.dynptr.refObjId;
        } else if (arg.uninit) arg.type = "local";
        processDynptrArg(env, regno, arg, clone);
        if (!arg.uninit) m.dynptr = dynptrInfo(env, regs(env)[regno]!);
        break;
      }
      case "iter": {
        if (m.name === "bpf_iter_css_task_new") throw unmodelled(m.name, "css task iterators");
        const it = processIterArg(env, regno, { name: m.name, btf, proto: m.proto.id, isNew: has(m, "KF_ITER_NEW"), isNext: has(m, "KF_ITER_NEXT"),
          isDestroy: has(m, "KF_ITER_DESTROY"), rcuProtected: has(m, "KF_RCU_PROTECTED") }, i);
        if (it) {
          m.iter = it;
          m.refObjId = env.cur.frames[it.frameno]!.stack[it.spi]!.spilled.refObjId;
        }
        break;
      }
      case "map": case "btf_id": {
        const regBtfType = reg.type === "btf_id" ? reg.type : REG2BTF[reg.type];
        if ((reg.type !== "btf_id" || (hasUnsafeModifiers(reg) && !isRcuReg(reg))) && !REG2BTF[reg.type]) {
          const base = { type: reg.type, tflags: reg.tflags & (TF.ALLOC | TF.TRUSTED | TF.NON_OWN) };
          throw new Reject(`arg#${i} is ${regTypeStr(reg)} expected ${regTypeStr(base)} or socket`, 22);
        }
        void regBtfType;
        const wantId = kind === "map" ? targetStructId(env, "bpf_map") : ref.id;
        processPtrToBtfIdArg(env, m, i, regno, reg, wantId, kind === "map" ? "bpf_map" : refT.name);
        break;
      }
      case "mem": {
        const size = resolveSize(btf, ref.id);
        if (!size) throw new Reject(`arg#${i} reference type('${kindStr(refT)} ${refT.name}') size cannot be determined: -22`, 22);
        checkMemReg(env, regno, size.size);
        break;
      }
      case "mem_size": {
        const sizeReg = R[regno + 1]!;
        const sizeParam = params[i + 1]!;
        if (!isNullReg(reg) || !paramHasSuffix(p.name, "__opt")) {
          try {
            checkKfuncMemSizeReg(env, regno + 1);
          } catch (e) {
            if (e instanceof Reject) throw new Reject(`${e.message}\narg#${i} arg#${i + 1} memory, len pair leads to invalid memory access`, e.errno);
            throw e;
          }
        }
        if (paramHasSuffix(sizeParam.name, "__szk")) {
          if (m.argConst !== undefined) throw new Reject("verifier internal error: only one constant argument permitted", 14);
          if (!isConst(sizeReg)) throw new Reject(`R${regno + 1} must be a known constant`, 22);
          m.argConst = uconstOf(sizeReg);
        }
        i++;
        break;
      }
      case "irq_flag":
        processIrqFlag(env, regno, i, m.name === "bpf_local_irq_save");
        break;
      case "const_str":
        if (reg.type !== "map_value") throw new Reject(`arg#${i} doesn't point to a const string`, 22);
        checkConstStr(env, regno, reg);
        break;
      default:
        break;
    }
  }
  if (isRelease(m) && !m.releaseRegno) throw new Reject(`release kernel function ${m.name} expects refcounted PTR_TO_BTF_ID`, 22);
}

/** process_kf_arg_ptr_to_btf_id: the register's type is (or, unless strict, starts with) the parameter's struct. */
function processPtrToBtfIdArg(env: Env, m: Meta, i: number, regno: number, reg: Reg, wantId: number, wantName: string): void {
  const target = env.opts.targetBtf!;
  let regBtf: Btf | undefined, regId: number;
  if (reg.type === "btf_id") { regBtf = btfOf(env, reg); regId = reg.btfId; }
  else { regBtf = target; regId = targetStructId(env, REG2BTF[reg.type]!); }
  if (!regBtf) throw new Reject(`R${regno} has no BTF`, 22);
  const regName = typeName(regBtf, regId);
  // strict for releases of references and for ___init no-cast aliases (nf_conn vs nf_conn___init)
  const alias = regName.length !== wantName.length && (regName === `${wantName}___init` || wantName === `${regName}___init`);
  const strict = (isRelease(m) && reg.refObjId !== 0) || alias;
  const sameBtf = regBtf === target;
  const match = sameBtf && structIdsMatch(target, skipMods(target, regId).id, reg.off, wantId, strict, !isAlloc(reg));
  const projection = (wantName === "__sk_buff" && regName === "sk_buff") || (wantName === "xdp_md" && regName === "xdp_buff");
  if (!projection && !match) {
    const rt = skipMods(regBtf, regId).t;
    const wt = target.types[wantId]!;
    throw new Reject(`kernel function ${m.name} args#${i} expected pointer to ${kindStr(wt)} ${wantName} but R${regno} has a pointer to ${kindStr(rt)} ${rt.name}`, 22);
  }
}

/** check_mem_reg: NULL passes; memory of `size` bytes must be readable and writable (a maybe-NULL pointer checked as if not NULL). */
function checkMemReg(env: Env, regno: number, size: number): void {
  const R = regs(env);
  const reg = R[regno]!;
  if (isNullReg(reg)) return;
  const saved = reg;
  if (reg.maybeNull) R[regno] = { ...reg, maybeNull: false };
  try {
    checkHelperMem(env, regno, size, false, true, false);
    checkHelperMem(env, regno, size, true, true, false);
  } finally { R[regno] = saved; }
}

/** check_kfunc_mem_size_reg: the size register bounds the buffer before it (read and write checks). */
function checkKfuncMemSizeReg(env: Env, sizeRegno: number): void {
  const R = regs(env);
  const memRegno = sizeRegno - 1;
  const mem = R[memRegno]!;
  const size = R[sizeRegno]!;
  const saved = mem;
  if (mem.maybeNull) R[memRegno] = { ...mem, maybeNull: false };
  try {
    for (const write of [false, true]) {
      if (sminOf(size) < 0n) throw new Reject(`R${sizeRegno} min value is negative, either use unsigned or 'var &= const'`);
      if (umaxOf(size) >= 1n << 29n) throw new Reject(`R${sizeRegno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
      checkHelperMem(env, memRegno, Number(umaxOf(size)), write, true, false);
      markChainPrecision(env, sizeRegno);
    }
  } finally { R[memRegno] = saved; }
}

/** check_reg_const_str: a NUL-terminated string in a read-only (frozen) map's value, at a constant offset. */
function checkConstStr(env: Env, regno: number, reg: Reg): void {
  const map = env.opts.maps[reg.map];
  if (!map || !(map.readOnly || (map.flags & 0x80))) throw new Reject(`R${regno} does not point to a readonly map'`, 13);
  if (!isConst(reg)) throw new Reject(`R${regno} is not a constant address'`, 13);
  if (map.type !== "array" || map.maxEntries !== 1) throw new Reject("no direct value access support for this map type", 13);
  const off = reg.off + Number(constOf(reg));
  if (off < 0 || off >= map.valueSize) throw new Reject(`invalid access to map value, value_size=${map.valueSize} off=${off} size=${map.valueSize - off}`, 13);
  const bytes = map.initialValue;
  if (bytes && !bytes.subarray(off, map.valueSize).includes(0)) throw new Reject("string is not zero-terminated", 22);
}

/** may_access_direct_pkt_data(BPF_WRITE) for the program type. */
const packetWritable = (t: number): boolean => [3, 4, 6, 12, 14, 16, 25].includes(t);

/** The return value of a kfunc (r0), the acquired reference. */
function setReturn(env: Env, m: Meta): void {
  const btf = m.btf;
  const R = regs(env);
  const rt = skipMods(btf, m.proto.sizeOrType);
  const t = rt.t;
  const isStructPtr = isPtr(t) && isStruct(skipMods(btf, t.sizeOrType).t);
  const special = ["bpf_obj_new_impl", "bpf_percpu_obj_new_impl", "bpf_refcount_acquire_impl"];
  if (has(m, "KF_ACQUIRE") && !isStructPtr && !special.includes(m.name)) throw new Reject("acquire kernel function does not return PTR_TO_BTF_ID", 22);
  if (isScalar(t)) { R[0] = unknownScalar(); return; }
  if (!isPtr(t)) return; // void: r0 stays NOT_INIT
  const pt = skipMods(btf, t.sizeOrType);
  let r0: Reg;
  if (m.name === "bpf_obj_new_impl" || m.name === "bpf_percpu_obj_new_impl") {
    const v = m.argConst ?? 0n;
    if (BigInt.asUintN(32, v) !== v) throw new Reject("local type ID argument must be in range [0, U32_MAX]", 22);
    const pb = env.opts.progBtf;
    if (!pb) throw new Reject("bpf_obj_new/bpf_percpu_obj_new requires prog BTF", 22);
    const lt = pb.types[Number(v)];
    if (!lt || !isStruct(lt)) throw new Reject("bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct", 22);
    if (m.name === "bpf_percpu_obj_new_impl") {
      if (lt.sizeOrType > 512) throw new Reject(`bpf_percpu_obj_new type size (${lt.sizeOrType}) is greater than 512`, 22);
      if (!isScalarStruct(pb, lt, 0)) throw new Reject("bpf_percpu_obj_new type ID argument must be of a struct of scalars", 22);
    }
    r0 = btfPtr(Number(v), TF.ALLOC | TF.LOCAL | (m.name === "bpf_percpu_obj_new_impl" ? TF.PERCPU : 0));
  } else if (m.name === "bpf_cast_to_kern_ctx") {
    r0 = btfPtr(m.retBtfId, TF.TRUSTED);
  } else if (m.name === "bpf_rdonly_cast") {
    const id = Number(m.argConst ?? 0n);
    const ct = btf.types[id];
    if (!ct || !isStruct(ct)) throw new Reject("kfunc bpf_rdonly_cast type ID argument must be of a struct", 22);
    r0 = btfPtr(id, TF.UNTRUSTED);
  } else if (m.name === "bpf_dynptr_slice" || m.name === "bpf_dynptr_slice_rdwr") {
    if (m.argConst === undefined) throw new Reject("verifier internal error: bpf_dynptr_slice(_rdwr) no constant size", 14);
    r0 = pointer("mem");
    r0.memSize = Number(m.argConst);
    r0.tflags = m.dynptr ? DYNPTR_FLAG[m.dynptr.type] : 0;
    if (m.name === "bpf_dynptr_slice") r0.rdonly = true;
    else if (!packetWritable(env.opts.progType)) throw new Reject("the prog does not allow writes to packet data", 22);
    if (!m.dynptr?.id) throw new Reject("verifier internal error: no dynptr id", 14);
    r0.dynptrId = m.dynptr.id;
  } else if (isVoid(pt.t)) {
    R[0] = unknownScalar();
    return;
  } else if (!isStruct(pt.t)) {
    let size = m.r0Size, rdonly = m.r0Rdonly;
    if (!size) { const rs = resolveSize(btf, pt.id); if (rs) { size = rs.size; rdonly = true; } }
    if (!size) throw new Reject(`kernel function ${m.name} returns pointer type ${kindStr(pt.t)} ${pt.t.name} is not supported`, 22);
    r0 = pointer("mem");
    r0.memSize = size;
    r0.rdonly = rdonly;
    if (m.refObjId) r0.refObjId = m.refObjId;
  } else {
    r0 = btfPtr(pt.id, 0);
    if (has(m, "KF_ITER_NEXT") && m.iter) {
      const it = env.cur.frames[m.iter.frameno]!.stack[m.iter.spi]!.spilled;
      r0.tflags |= it.tflags & TF.RCU ? TF.RCU : TF.TRUSTED;
    }
  }
  const retNull = has(m, "KF_RET_NULL");
  if (retNull) { r0.maybeNull = true; r0.id = ++env.idGen; }
  if (has(m, "KF_ACQUIRE")) {
    const id = ++env.idGen;
    env.cur.refs.push({ id, insn: env.insnIdx, kind: "ptr" });
    if (retNull) r0.id = id;
    r0.refObjId = id;
  }
  R[0] = r0;
}

export { inRcuCs };

/** A program with an exception callback (decl tag `exception_callback:<name>`): bpfkit does not model exceptions. */
export function exceptionCallbackNote(env: Env): string | undefined {
  const btf = env.opts.progBtf;
  if (!btf) return undefined;
  const tag = btf.types.find((t) => t.kind === BTF_KIND.DECL_TAG && t.name.startsWith("exception_callback:"));
  return tag ? `bpfkit: exception callbacks (${tag.name.slice("exception_callback:".length)}) are not modelled by the verifier emulator` : undefined;
}
