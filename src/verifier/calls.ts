// Calls and exits: helper calls checked against their prototypes from src/helpers/table.ts
// (check_helper_call / check_func_arg), references acquired and released (sockets, ring buffer
// records), bpf-to-bpf calls (new frame, caller-saved registers), and exits (return value rules per
// program type from src/progtypes, unreleased references).
import { helperForProgType, isHelperAllowed, type ArgSpec, type HelperInfo } from "../helpers/table.js";
import { helperName, MAX_HELPER_ID } from "../isa/helpers.js";
import { HELPERS_WITH_ALLOWED, helperAllowedFor } from "../helpers/allowed.js";
import { isMapHelperCompatible, mapTypeByName } from "../maps/types.js";
import { progTypeById, returnRange } from "../progtypes/index.js";
import { ITER_TARGET_HELPERS, LSM_CGROUP_HOOK_HELPERS } from "../progtypes/tracing.js";
import { BASE } from "../progtypes/helper-sets.js";
import type { RawInsn } from "./cfg.js";
import { type Env, Reject, checkRegRead, forEachReg, frame, regs, sanityCheckBounds } from "./env.js";
import { regTypeStr } from "./log.js";
import { checkAlignment, checkHelperMem, checkMemRegion } from "./memory.js";
import { markChainPrecision, markSlotPrecision } from "./precision.js";
import { constNum, isConst, isZero, setSmax, smaxNum, smaxOf, sminNum, sminOf, syncBounds, umaxOf, uminOf } from "./scalar.js";
import { type Reg, type State, TF, assignReg, constScalar, copyReg, newFrame, notInit, pointer, unknownScalar } from "./state.js";
import { big, loOf, tnumStr } from "./tnum.js";
import { markAllScratched, pushAsyncCallback, pushCallback } from "./callbacks.js";
import { checkHelperDynptrArg, dynptrInfo, unmarkSlotsDynptr } from "./dynptr.js";
import { checkHelperBtfArg, helperReturnBtf, lsmExitRange } from "./btf-ptr.js";
import { structOpsHelper, structOpsReturnsVoid } from "./struct-ops.js";
import { kptrMatchType, kptrXchgDest, kptrXchgReturn } from "./kptr.js";
import type { KptrField } from "./map-fields.js";

const MAX_CALL_FRAMES = 8;
const MAX_VAR_SIZ = 1 << 29;

const MEM_TYPES = ["fp", "pkt", "pkt_meta", "map_key", "map_value", "mem", "ringbuf_mem", "buf", "trusted_ptr_"];
const COMPATIBLE: Record<string, string[]> = {
  ARG_PTR_TO_MAP_KEY: MEM_TYPES, ARG_PTR_TO_MAP_VALUE: MEM_TYPES, ARG_PTR_TO_MEM: MEM_TYPES,
  ARG_CONST_SIZE: ["scalar"], ARG_CONST_SIZE_OR_ZERO: ["scalar"], ARG_CONST_ALLOC_SIZE_OR_ZERO: ["scalar"], ARG_SCALAR: ["scalar"],
  ARG_CONST_MAP_PTR: ["map_ptr"], ARG_PTR_TO_CTX: ["ctx"],
  ARG_PTR_TO_SOCK_COMMON: ["sock_common", "sock", "tcp_sock", "xdp_sock"],
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: ["sock_common", "sock", "tcp_sock", "xdp_sock", "ptr_", "trusted_ptr_"],
  ARG_PTR_TO_SOCKET: ["sock"], ARG_PTR_TO_BTF_ID: ["ptr_", "trusted_ptr_", "rcu_ptr_"],
  ARG_PTR_TO_SPIN_LOCK: ["map_value", "ptr_"], ARG_PTR_TO_RINGBUF_MEM: ["ringbuf_mem"],
  ARG_PTR_TO_FUNC: ["func"], ARG_PTR_TO_STACK: ["fp"], ARG_PTR_TO_CONST_STR: ["map_value"], ARG_PTR_TO_TIMER: ["map_value"],
  ARG_PTR_TO_DYNPTR: ["fp", "dynptr_ptr"], ARG_KPTR_XCHG_DEST: ["map_value", "ptr_"],
  ARG_PTR_TO_PERCPU_BTF_ID: ["percpu_ptr_", "rcu_percpu_ptr_", "trusted_percpu_ptr_"],
};

interface Meta {
  map: number;
  rawMode: boolean;
  releaseRegno: number;
  refObjId: number;
  memSize: number;
  msizeMax: bigint;
  /** Key known at verification time (array maps): a lookup with an in-range constant key cannot fail. */
  constKey?: bigint;
}

/** get_constant_map_key (6.14+): the key bytes on the stack are zeroes or a spilled constant of exactly key_size bytes. */
function constantMapKey(env: Env, key: Reg, keySize: number): bigint | undefined {
  if (key.type !== "stack" || !isConst(key)) return undefined;
  const f = env.cur.frames[key.frameno] ?? frame(env);
  const stackOff = key.off + constNum(key);
  const slot = -stackOff - 1;
  const st = f.stack[Math.floor(slot / 8)];
  if (!st) return undefined;
  const off = slot % 8;
  let zero = 0;
  for (let i = off; i >= 0 && st.kinds[i] === 3; i--) zero++;
  if (zero >= keySize) return 0n;
  if (st.kinds[7] !== 1 || st.spilled.type !== "scalar") return undefined;
  let spill = 0;
  for (let i = off; i >= 0 && st.kinds[i] === 1; i--) spill++;
  if (spill !== keySize || !isConst(st.spilled)) return undefined;
  // the lookup's result relies on this constant
  markSlotPrecision(env, key.frameno, Math.floor(slot / 8));
  return big(st.spilled.varOff.vh, st.spilled.varOff.vl);
}

const isNullConst = (r: Reg): boolean => r.type === "scalar" && isZero(r);
const has = (a: ArgSpec, f: string): boolean => (a.flags as readonly string[]).includes(f);

/** __check_ptr_off_reg: pointers passed unmodified. */
export function checkPtrOffReg(regno: number, reg: Reg, fixedOffOk: boolean): void {
  if (reg.off < 0) throw new Reject(`negative offset ${regTypeStr(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOffOk && reg.off) throw new Reject(`dereference of modified ${regTypeStr(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!isZero(reg)) throw new Reject(`variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
}

function checkRegType(regno: number, reg: Reg, arg: ArgSpec): void {
  const list = COMPATIBLE[arg.type];
  if (!list) throw new Reject(`verifier internal error: unsupported arg type ${arg.type}`, 14);
  const t = { ...reg };
  if (has(arg, "PTR_MAYBE_NULL")) t.maybeNull = false;
  if (has(arg, "MEM_RDONLY")) t.rdonly = false;
  const name = regTypeStr(t);
  if (list.includes(name)) return;
  throw new Reject(`R${regno} type=${regTypeStr(reg)} expected=${list.join(", ")}`);
}

function checkArgRegOff(regno: number, reg: Reg, arg: ArgSpec): void {
  if (has(arg, "OBJ_RELEASE")) {
    if (reg.off) throw new Reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`, 22);
    checkPtrOffReg(regno, reg, false);
    return;
  }
  if (["stack", "pkt", "pkt_meta", "map_key", "map_value", "mem", "buf", "scalar", "arena"].includes(reg.type)) return;
  // PTR_TO_BTF_ID (plain, trusted, RCU, allocated) may carry a fixed offset
  const f = reg.tflags & ~TF.LOCAL;
  const btfFixedOk = reg.type === "btf_id" && !reg.maybeNull && [0, TF.ALLOC, TF.TRUSTED, TF.RCU, TF.ALLOC | TF.NON_OWN, TF.ALLOC | TF.NON_OWN | TF.RCU].includes(f);
  checkPtrOffReg(regno, reg, btfFixedOk);
}

function checkMemSizeReg(env: Env, regno: number, reg: Reg, write: boolean, zeroOk: boolean, meta: Meta): void {
  meta.msizeMax = umaxOf(reg);
  let raw = meta.rawMode;
  if (!isConst(reg)) raw = false;
  if (reg.sminHi < 0) throw new Reject(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if ((reg.uminHi | reg.uminLo) === 0 && !zeroOk) throw new Reject(`R${regno} invalid zero-sized read: u64=[${uminOf(reg)},${BigInt.asIntN(64, umaxOf(reg))}]`);
  if (reg.umaxHi !== 0 || reg.umaxLo >>> 0 >= MAX_VAR_SIZ) throw new Reject(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  checkHelperMem(env, regno - 1, reg.umaxLo >>> 0, write, zeroOk, raw);
  markChainPrecision(env, regno);
}

function mapTypeNumber(name: string): number { return mapTypeByName(name)?.id ?? 0; }

/** A helper the attach target adds: an iterator's (bpf_iter_get_func_proto: iter/tcp and iter/unix socket options), an lsm_cgroup socket hook's. */
function iterTargetHelper(env: Env, short: string): boolean {
  const table = env.opts.progType === 26 && env.opts.attachType === 28 ? ITER_TARGET_HELPERS
    : env.opts.progType === 29 && env.opts.attachType === 43 ? LSM_CGROUP_HOOK_HELPERS : undefined;
  if (!table) return false;
  const f = attachFuncOf(env).attachFunc;
  return f !== undefined && (table[f] ?? []).includes(short);
}

/** The attach target's FUNC name (fentry/fexit/lsm/iter), for the helpers' `allowed` checks. */
function attachFuncOf(env: Env): { attachFunc?: string } {
  if (!env.opts.attachBtfId) return {};
  const name = env.opts.targetBtf?.types[env.opts.attachBtfId]?.name;
  return name ? { attachFunc: name } : {};
}

/**
 * A helper whose prototype says might_sleep (src/helpers: bpf_copy_from_user, bpf_ima_inode_hash, ...):
 * check_helper_call refuses it outside a sleepable program (BPF_F_SLEEPABLE, from a `.s` section) and
 * inside an RCU read section, a non-preemptible or an IRQ-disabled region, before it looks at an argument.
 */
function checkMightSleep(env: Env, name: string, id: number): void {
  if (!env.opts.sleepable) throw new Reject("helper call might sleep in a non-sleepable prog", 22);
  if (env.cur.rcuLock) throw new Reject(`sleepable helper ${name}#${id} in rcu_read_lock region`, 22);
  if (env.cur.preemptLock) throw new Reject(`sleepable helper ${name}#${id} in non-preemptible region`, 22);
  if (env.cur.irqLock) throw new Reject(`sleepable helper ${name}#${id} in IRQ-disabled region`, 22);
}

/** Returns the pc to continue at when the helper runs a callback first (bpf_loop), else undefined. */
export function checkHelperCall(env: Env, insn: RawInsn): number | undefined {
  const id = insn.imm;
  const name = helperName(id);
  if (id === 0) throw new Reject("program of this type cannot use helper bpf_unspec#0", 22);
  if (id < 0 || id > MAX_HELPER_ID || !name) throw new Reject(`invalid func unknown#${id}`, 22);
  const fn: HelperInfo | undefined = helperForProgType(id, env.opts.progType);
  if (!fn || !(helperAllowed(env.opts.progType, id, env.opts.attachType) || iterTargetHelper(env, fn.shortName)) || (fn.config && env.opts.configEnabled && !env.opts.configEnabled(fn.config))) {
    throw new Reject(`program of this type cannot use helper ${name}#${id}`, 22);
  }
  // struct_ops: the helpers of the program's struct_ops type and member (its get_func_proto)
  if (env.opts.progType === 27 && !structOpsHelper(env, fn.shortName)) throw new Reject(`program of this type cannot use helper ${name}#${id}`, 22);
  if (!env.opts.gpl && fn.gplOnly) throw new Reject("cannot call GPL-restricted function from non-GPL compatible program", 22);
  if (HELPERS_WITH_ALLOWED.has(fn.shortName) && helperAllowedFor(fn.shortName, { progType: env.opts.progType, ...(env.opts.attachType !== undefined ? { attachType: env.opts.attachType } : {}), ...attachFuncOf(env) }) === false) {
    throw new Reject("helper call is not allowed in probe", 22);
  }
  if (fn.mightSleep) checkMightSleep(env, name, id);
  const meta: Meta = { map: -1, rawMode: false, releaseRegno: 0, refObjId: 0, memSize: 0, msizeMax: 0n };
  const R = regs(env);
  // the dynptr argument (dynptr.ts): released after the other arguments are checked; bpf_dynptr_data's slice refers to it
  let dynptrRegno = 0, releaseDynptr = false;
  let kptrField: KptrField | undefined;
  for (let i = 0; i < 5; i++) {
    const arg = fn.args[i];
    if (!arg || arg.type === "ARG_DONTCARE") continue;
    const regno = i + 1;
    const reg = checkRegRead(env, regno);
    if (arg.type === "ARG_PTR_TO_DYNPTR") {
      releaseDynptr = checkHelperDynptrArg(env, regno, arg.flags) || releaseDynptr;
      dynptrRegno = regno;
      continue;
    }
    // bpf_kptr_xchg (kptr.ts): a referenced kptr field, and a pointer of its type (or NULL) to put there
    if (arg.type === "ARG_KPTR_XCHG_DEST") { kptrField = kptrXchgDest(env, regno, reg); continue; }
    if (id === 194 && i === 1 && kptrField) {
      if (!isNullConst(reg)) kptrMatchType(env, kptrField, reg, regno);
      if (!reg.refObjId && !isNullConst(reg)) throw new Reject(`R${regno} must be referenced when passed to release function`, 22);
      meta.releaseRegno = regno;
      if (reg.refObjId) meta.refObjId = reg.refObjId;
      continue;
    }
    // ARG_SCALAR (bpf_loop's count): 6.18 lets any initialised register through the argument checks (a
    // pointer fails later, when the count is marked precise: see below)
    if (arg.type === "ARG_ANYTHING" || arg.type === "ARG_SCALAR") continue;
    if ((reg.type === "pkt" || reg.type === "pkt_meta") && !helperPktAccess(env.opts.progType, fn.pktAccess)) throw new Reject("helper access to the packet is not allowed");
    // resolve_map_arg_type: a sockmap / sockhash value is a socket
    if (arg.type === "ARG_PTR_TO_MAP_VALUE" && meta.map >= 0 && ["sockmap", "sockhash"].includes(env.opts.maps[meta.map]?.type ?? "")) {
      checkRegType(regno, reg, { ...arg, type: "ARG_PTR_TO_BTF_ID_SOCK_COMMON", flags: [] } as ArgSpec);
      checkArgRegOff(regno, reg, arg);
      continue;
    }
    let skipType = false;
    // a NULL argument is NULL only if it stays zero on every path pruned here
    if (isNullConst(reg) && has(arg, "PTR_MAYBE_NULL")) { skipType = true; markChainPrecision(env, regno); }
    if (!skipType) {
      checkRegType(regno, reg, arg);
      checkArgRegOff(regno, reg, arg);
      if (reg.type === "btf_id") checkHelperBtfArg(env, regno, reg, name, i, arg.type, arg.flags);
    }
    if (has(arg, "OBJ_RELEASE")) {
      if (!reg.refObjId && !isNullConst(reg)) throw new Reject(`R${regno} must be referenced when passed to release function`, 22);
      meta.releaseRegno = regno;
    }
    if (reg.refObjId) meta.refObjId = reg.refObjId;
    switch (arg.type) {
      case "ARG_CONST_MAP_PTR":
        meta.map = reg.map;
        break;
      case "ARG_PTR_TO_MAP_KEY": {
        if (meta.map < 0) throw new Reject("invalid map_ptr to access map->key");
        const m = env.opts.maps[meta.map];
        checkHelperMem(env, regno, m?.keySize ?? 0, false, false, false);
        if (m && (m.type === "array" || m.type === "percpu_array")) meta.constKey = constantMapKey(env, reg, m.keySize);
        break;
      }
      case "ARG_PTR_TO_MAP_VALUE":
        if (has(arg, "PTR_MAYBE_NULL") && isNullConst(reg)) break;
        if (meta.map < 0) throw new Reject("invalid map_ptr to access map->value");
        meta.rawMode = has(arg, "MEM_UNINIT");
        checkHelperMem(env, regno, env.opts.maps[meta.map]?.valueSize ?? 0, has(arg, "MEM_WRITE"), false, meta.rawMode);
        break;
      case "ARG_PTR_TO_MEM":
        meta.rawMode = has(arg, "MEM_UNINIT");
        if (has(arg, "MEM_FIXED_SIZE") && typeof arg.size === "number") {
          checkHelperMem(env, regno, arg.size, has(arg, "MEM_WRITE"), false, meta.rawMode);
          if (has(arg, "MEM_ALIGNED")) checkAlignment(reg, 0, arg.size, true);
        }
        break;
      case "ARG_CONST_SIZE": case "ARG_CONST_SIZE_OR_ZERO": {
        const prev = fn.args[i - 1]!;
        checkMemSizeReg(env, regno, reg, has(prev, "MEM_WRITE"), arg.type === "ARG_CONST_SIZE_OR_ZERO", meta);
        break;
      }
      case "ARG_PTR_TO_SPIN_LOCK":
        processSpinLock(env, regno, reg, id === 93);
        break;
      case "ARG_CONST_ALLOC_SIZE_OR_ZERO":
        if (!isConst(reg)) throw new Reject(`R${regno} is not a known constant'`);
        meta.memSize = Number(big(reg.varOff.vh, reg.varOff.vl));
        markChainPrecision(env, regno);
        break;
      default:
        break;
    }
  }
  // record_func_map, then check_map_func_compatibility: the map must suit the helper and the helper the map
  if (id === 12 && meta.map >= 0 && env.opts.maps[meta.map]?.type !== "prog_array") {
    throw new Reject("expected prog array map for tail call", 22, true);
  }
  if (meta.map >= 0) {
    const m = env.opts.maps[meta.map];
    const sockmapUpdate = m && (m.type === "sockmap" || m.type === "sockhash") && (id === 2 || id === 3);
    if (sockmapUpdate) {
      if (!maySockmapUpdate(env.opts.progType, id, env.opts.attachType)) {
        throw new Reject(`cannot update sockmap in this context\ncannot pass map_type ${mapTypeNumber(m.type)} into func ${name}#${id}`, 22);
      }
    } else if (m && !isMapHelperCompatible(m.type, name.slice(4))) {
      throw new Reject(`cannot pass map_type ${mapTypeNumber(m.type)} into func ${name}#${id}`, 22);
    }
  }
  // record_func_key: a constant tail-call index inside the map is relied upon
  if (id === 12 && meta.map >= 0) {
    const r3 = R[3]!;
    if (r3.type === "scalar" && isConst(r3) && r3.varOff.vh === 0 && r3.varOff.vl >>> 0 < (env.opts.maps[meta.map]?.maxEntries ?? 0)) markChainPrecision(env, 3);
  }
  if (id === 197 /* dynptr_from_mem */ && R[1]!.type !== "map_value") throw new Reject(`Unsupported reg type ${regTypeStr(R[1]!)} for bpf_dynptr_from_mem data`, 13);
  if (releaseDynptr) unmarkSlotsDynptr(env, R[dynptrRegno]!);
  const slice = id === 203 /* dynptr_data */ && dynptrRegno ? dynptrInfo(env, R[dynptrRegno]!) : undefined;
  // bpf_dynptr_write into an skb dynptr may move packet data: its slices and packet pointers die
  const writesSkb = id === 202 && dynptrRegno ? dynptrInfo(env, R[dynptrRegno]!).type === "skb" : false;
  if (env.cur.irqLock && id === 12) throw new Reject("tail_call cannot be used inside bpf_local_irq_save-ed region", 22);
  if (env.cur.rcuLock && id === 12) throw new Reject("tail_call cannot be used inside bpf_rcu_read_lock-ed region", 22);
  if (env.cur.preemptLock && id === 12) throw new Reject("tail_call cannot be used inside bpf_preempt_disable-ed region", 22);
  if (meta.releaseRegno) {
    const rel = R[meta.releaseRegno]!;
    if (rel.refObjId) releaseReference(env.cur, rel.refObjId);
    else if (!isNullConst(rel)) throw new Reject(`func ${name}#${id} reference has not been acquired before`, 22);
  }
  if (id === 81 /* get_local_storage */ && !isNullConst(R[2]!)) throw new Reject("get_local_storage() doesn't support non-zero flags", 22);
  if (id === 81) markChainPrecision(env, 2);
  // check_reference_leak names every unreleased reference before the tail-call message
  if (id === 12 /* tail_call */ && env.cur.refs.some((r) => r.kind !== "irq")) {
    throw new Reject([...env.cur.refs.filter((r) => r.kind !== "irq").map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`), "tail_call would lead to reference leak"].join("\n"), 22);
  }
  // bpf_loop: mark_chain_precision(R1) on a pointer is the kernel's internal-error path (EFAULT)
  if (id === 181 && R[1]!.type !== "scalar") throw new Reject("verifier bug: backtracking misuse", 14);
  if (id === 181) {
    // update_loop_inline_state: a zero flags argument is relied upon; then the iteration count
    if (isNullConst(R[4]!)) markChainPrecision(env, 4);
    markChainPrecision(env, 1);
  }
  if (id === 181 || id === 164 /* for_each_map_elem */ || id === 180 /* find_vma */ || id === 209 /* user_ringbuf_drain */) pushCallback(env, id);
  if (id === 170 /* timer_set_callback */) pushAsyncCallback(env);
  for (let i = 0; i <= 5; i++) { R[i] = notInit(); env.scratchedRegs.add(i); }
  const ret = fn.ret;
  const maybeNull = (ret.flags as readonly string[]).includes("PTR_MAYBE_NULL");
  let r0: Reg;
  switch (ret.type) {
    case "RET_INTEGER": r0 = unknownScalar(); break;
    case "RET_VOID": r0 = notInit(); break;
    case "RET_PTR_TO_MAP_VALUE":
      if (meta.map < 0) throw new Reject("kernel subsystem misconfigured verifier", 22);
      // a map-in-map lookup gives the inner map (its template) or NULL (6.18: map_ptr_or_null at once)
      if ((env.opts.innerMap[meta.map] ?? -1) >= 0) { r0 = pointer("map_ptr"); r0.map = env.opts.innerMap[meta.map]!; break; }
      r0 = pointer("map_value"); r0.map = meta.map;
      if (id === 1 && meta.constKey !== undefined && meta.constKey < BigInt(env.opts.maps[meta.map]?.maxEntries ?? 0)) {
        // a value holding a bpf_spin_lock gets an id of its own even when it cannot be NULL
        r0.id = (env.opts.fields[meta.map]?.spinLock ?? -1) >= 0 ? ++env.idGen : 0;
        R[0] = r0;
        if (fn.changesPktData) clearPacketPointers(env.cur);
        return undefined;
      }
      break;
    case "RET_PTR_TO_SOCKET": r0 = pointer("sock"); break;
    case "RET_PTR_TO_TCP_SOCK": r0 = pointer("tcp_sock"); break;
    case "RET_PTR_TO_SOCK_COMMON": r0 = pointer("sock_common"); break;
    case "RET_PTR_TO_MEM":
      r0 = pointer("mem"); r0.memSize = meta.memSize;
      r0.ringbuf = (ret.flags as readonly string[]).includes("MEM_RINGBUF");
      if (slice) { r0.dynptrId = slice.id; r0.refObjId = slice.refObjId; }
      break;
    case "RET_PTR_TO_BTF_ID":
      r0 = id === 194 && kptrField ? kptrXchgReturn(env, kptrField) : helperReturnBtf(env, fn);
      break;
    default: r0 = unknownScalar(); break;
  }
  if (maybeNull && r0.type !== "scalar" && r0.type !== "not_init") { r0.maybeNull = true; r0.id = ++env.idGen; }
  const mapType = meta.map >= 0 ? env.opts.maps[meta.map]?.type : undefined;
  const acquires = ["bpf_sk_lookup_tcp", "bpf_sk_lookup_udp", "bpf_skc_lookup_tcp", "bpf_ringbuf_reserve", "bpf_kptr_xchg"].includes(name) ||
    (id === 1 && (mapType === "sockmap" || mapType === "sockhash")); // is_acquire_function
  if (acquires) {
    const refId = ++env.idGen;
    env.cur.refs.push({ id: refId, insn: env.insnIdx, kind: name === "bpf_ringbuf_reserve" ? "ringbuf" : name === "bpf_kptr_xchg" ? "ptr" : "sock" });
    r0.id = refId;
    r0.refObjId = refId;
  } else if (meta.refObjId && PTR_CAST_HELPERS.has(name)) {
    r0.refObjId = meta.refObjId;
  }
  // do_refine_retval_range: helpers returning a length or -errno are bounded by the buffer size, the CPU
  // number by nr_cpu_ids; then reg_bounds_sanity_check
  if (r0.type === "scalar" && [45 /* probe_read_str */, 67 /* get_stack */, 114, 115 /* probe_read_{user,kernel}_str */, 141 /* get_task_stack */].includes(id)) {
    setSmax(r0, meta.msizeMax); r0.s32max = loOf(meta.msizeMax); r0.sminHi = -1; r0.sminLo = -4095; r0.s32min = -4095;
    syncBounds(r0);
    sanityCheckBounds(env, r0, "retval");
  } else if (r0.type === "scalar" && id === 8 /* get_smp_processor_id */) {
    const top = (env.opts.nrCpus - 1) | 0;
    r0.uminHi = r0.uminLo = r0.u32min = r0.sminHi = r0.sminLo = r0.s32min = 0;
    r0.umaxHi = r0.smaxHi = 0; r0.umaxLo = r0.u32max = r0.smaxLo = r0.s32max = top;
    syncBounds(r0);
    sanityCheckBounds(env, r0, "retval");
  }
  R[0] = r0;
  if (fn.changesPktData || writesSkb) clearPacketPointers(env.cur);
  return undefined;
}

/** is_ptr_cast_function: the result is the argument's socket seen as another type, so it shares its reference. */
const PTR_CAST_HELPERS = new Set(["bpf_tcp_sock", "bpf_sk_fullsock", "bpf_skc_to_tcp_sock", "bpf_skc_to_tcp6_sock", "bpf_skc_to_udp6_sock",
  "bpf_skc_to_mptcp_sock", "bpf_skc_to_tcp_timewait_sock", "bpf_skc_to_tcp_request_sock"]);

/**
 * The program type's helper list (src/progtypes). Types bpfkit knows by name only have none: for them the
 * emulator assumes bpf_base_func_proto, which every *_func_proto falls back to.
 */
export function helperAllowed(progType: number, id: number, attachType?: number): boolean {
  if (progTypeById(progType)?.namesOnly) return (BASE as readonly string[]).includes(helperName(id)?.slice(4) ?? "");
  return isHelperAllowed(progType, id, attachType);
}

/** may_access_direct_pkt_data with a helper's meta: packet types pass on the helper's pkt_access flag. */
function helperPktAccess(progType: number, pktAccess: boolean): boolean {
  if (progType === 25 /* cgroup_sockopt */) return true;
  return [10, 11, 19, 21, 22, 8, 3, 4, 6, 12, 14, 16].includes(progType) && pktAccess;
}

/** process_spin_lock: the lock is the map value's bpf_spin_lock, at a constant offset; one held at a time. */
function processSpinLock(env: Env, regno: number, reg: Reg, isLock: boolean): void {
  if (!isConst(reg)) throw new Reject(`R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`, 22);
  const m = env.opts.maps[reg.map];
  const at = env.opts.fields[reg.map]?.spinLock ?? -1;
  if (at < 0) throw new Reject(`map '${m?.name.slice(0, 15) ?? ""}' has no valid bpf_spin_lock`, 22);
  const off = constNum(reg) + reg.off;
  if (off !== at) throw new Reject(`off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${at}`, 22);
  const s = env.cur;
  if (isLock) {
    if (s.activeLock) throw new Reject("Locking two bpf_spin_locks are not allowed", 22);
    s.activeLock = { map: reg.map, id: reg.id };
    return;
  }
  if (!s.activeLock) throw new Reject("bpf_spin_unlock without taking a lock", 22);
  if (s.activeLock.map !== reg.map || s.activeLock.id !== reg.id) throw new Reject("bpf_spin_unlock of different lock", 22);
  delete s.activeLock;
}

/** may_update_sockmap: map_update_elem / map_delete_elem on a sockmap or sockhash, by program type. */
function maySockmapUpdate(progType: number, id: number, attachType?: number): boolean {
  if (progType === 26 /* tracing */) return attachType === 28 /* trace_iter */;
  if (progType === 13 /* sock_ops */) return id === 3;
  return [1, 3, 4, 6, 21, 22, 30].includes(progType);
}

/** release_reference: every copy of the released pointer becomes an unknown scalar (privileged). */
function releaseReference(s: State, refId: number): void {
  s.refs = s.refs.filter((r) => r.id !== refId);
  forEachReg(s, (r) => { if (r.refObjId === refId) assignReg(r, unknownScalar()); });
}

/** Helpers that may move packet data make every packet pointer (and skb/xdp dynptr slice) unusable (clear_all_pkt_pointers). */
export function clearPacketPointers(s: State): void {
  forEachReg(s, (r) => { if (r.type === "pkt" || r.type === "pkt_meta" || r.type === "pkt_end" || isPacketSlice(r)) assignReg(r, unknownScalar()); });
}

/** reg_is_dynptr_slice_pkt: a slice of an skb or xdp dynptr. */
const isPacketSlice = (r: Reg): boolean => r.type === "mem" && (r.tflags & (TF.DYN_SKB | TF.DYN_XDP)) !== 0;

/** bpf-to-bpf call: a new frame with r1-r5 passed on; the caller's r0-r5 are gone after the call. */
export function checkLocalCall(env: Env, insn: RawInsn, target: number): void {
  const s = env.cur;
  // setup_func_entry's message (check_max_stack_depth's, after the walk, ends in " !")
  if (s.frames.length >= MAX_CALL_FRAMES) throw new Reject(`the call stack of ${s.frames.length + 1} frames is too deep`, 7);
  const caller = frame(env);
  const sub = env.subprogs.indexOf(target);
  const callee = newFrame(s.frames.length, env.insnIdx + 1, sub);
  for (let i = 1; i <= 5; i++) callee.regs[i] = copyReg(caller.regs[i]!);
  for (let i = 0; i <= 5; i++) caller.regs[i] = notInit();
  if (env.log.level) {
    env.log.write("caller:\n");
    env.log.write(frameLine(env, caller));
    env.log.write("callee:\n");
    env.log.write(frameLine(env, callee));
  }
  s.frames.push(callee);
  // the walk continues in the callee's call chain
  env.stackLive?.resetCallchain();
  markAllScratched(env);
  void insn;
}

let frameLine: (env: Env, f: ReturnType<typeof newFrame>) => string = () => "\n";
export function setFramePrinter(fn: typeof frameLine): void { frameLine = fn; }

/** Exit: from a sub-program back to its caller (returns the pc to continue at), or the end of the program (-1). */
export function checkExit(env: Env, insn: RawInsn): number {
  if ((insn.code & 8) || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || (insn.code & 7) === 6) throw new Reject("BPF_EXIT uses reserved fields", 22);
  const s = env.cur;
  if (s.frames.length > 1) {
    // the callee's reads reach its call instruction before the caller is walked on (bpf_update_live_stack)
    env.stackLive?.update(s);
    const callee = frame(env);
    const r0 = callee.regs[0]!;
    if (r0.type === "stack") throw new Reject("cannot return stack pointer to the caller", 22);
    if (callee.inCallback) {
      if (r0.type === "not_init") throw new Reject("R0 !read_ok");
      if (r0.type !== "scalar") throw new Reject("R0 not a scalar value");
      markChainPrecision(env, 0);
      const [lo, hi] = callee.callbackRet ?? [0, 1];
      if (sminNum(r0) < lo || smaxNum(r0) > hi) {
        let m = "At callback return the register R0 has";
        let unknown = true;
        if (sminOf(r0) > -(1n << 63n)) { m += ` smin=${sminOf(r0)}`; unknown = false; }
        if (smaxOf(r0) < (1n << 63n) - 1n) { m += ` smax=${smaxOf(r0)}`; unknown = false; }
        if (unknown) m += " unknown scalar value";
        throw new Reject(`${m} should have been in [${lo}, ${hi}]`, 22);
      }
    }
    s.frames.pop();
    const caller = frame(env);
    // a callback returns to its helper call (callsite), which leaves the caller's registers as they were
    if (!callee.inCallback) caller.regs[0] = copyReg(r0);
    if (env.log.level) {
      env.log.write("returning from callee:\n");
      env.log.write(frameLine(env, callee));
      env.log.write(`to caller at ${callee.callsite}:\n`);
      env.log.write(frameLine(env, caller));
    }
    return callee.callsite;
  }
  // check_resource_leak names the exit after listing the references (6.18); a saved IRQ flag is no leak but its own error
  const leaked = s.refs.filter((r) => r.kind !== "irq");
  if (leaked.length) {
    throw new Reject([...leaked.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`), "BPF_EXIT instruction in main prog would lead to reference leak"].join("\n"), 22);
  }
  if (s.irqLock) throw new Reject("BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region", 22);
  if (s.rcuLock) throw new Reject("BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region", 22);
  if (s.preemptLock) throw new Reject("BPF_EXIT instruction in main prog cannot be used inside bpf_preempt_disable-ed region", 22);
  // a struct_ops member returning void: check_return_code returns before it reads R0
  if (env.opts.progType === 27 && frame(env).subprog === 0 && structOpsReturnsVoid(env)) return -1;
  const r0 = checkRegRead(env, 0);
  // a global function verified on its own (frame 0 of another sub-program) returns any scalar
  if (frame(env).subprog !== 0 && !frame(env).inAsyncCallback) {
    if (r0.type !== "scalar") throw new Reject(`At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`, 22);
    return -1;
  }
  // a timer callback's own walk ends here too, and must return 0
  const asyncCb = frame(env).inAsyncCallback === true;
  // LSM programs: the hook's return value range, checked on the low 32 bits (bpf_lsm_get_retval_range)
  const lsm = env.opts.progType === 29 ? lsmExitRange(env) : undefined;
  const range = asyncCb ? [0, 0] : lsm ? lsm.range : returnRange(env.opts.progType, env.opts.attachType);
  if (!range) return -1;
  const exitCtx = asyncCb ? "At async callback return" : "At program exit";
  if (r0.type !== "scalar") throw new Reject(`${exitCtx} the register R0 is not a known value (${regTypeStr(r0)})`, 22);
  markChainPrecision(env, 0);
  // LSM programs: checked on the low 32 bits (retval_range_within with return_32bit)
  const outside = lsm ? r0.s32min < range[0]! || r0.s32max > range[1]! : sminNum(r0) < range[0]! || smaxNum(r0) > range[1]!;
  if (outside) {
    let m = `${exitCtx} the register R0 has`;
    let unknown = true;
    if (sminOf(r0) > -(1n << 63n)) { m += ` smin=${sminOf(r0)}`; unknown = false; }
    if (smaxOf(r0) < (1n << 63n) - 1n) { m += ` smax=${smaxOf(r0)}`; unknown = false; }
    if (unknown) m += " unknown scalar value";
    throw new Reject(`${m} should have been in [${range[0]}, ${range[1]}]`, 22);
  }
  return -1;
}

export { checkMemRegion, constScalar };
