// BTF-typed pointers (PTR_TO_BTF_ID): where they come from (the arguments of tp_btf/fentry/fexit/iter/
// LSM programs through btf_ctx_access, helpers such as bpf_skc_to_tcp_sock and bpf_get_current_task_btf,
// kfuncs, loads through other BTF pointers) and what a load or store through one may do
// (check_ptr_to_btf_access, btf_struct_access): field walking through nested structs and arrays, pointer
// members as new BTF pointers (untrusted unless the kernel lists the field as trusted or RCU-safe), with
// the kernel's messages. The types come from the target BTF (or, for objects from bpf_obj_new, from the
// program's own BTF).
import type { Btf } from "../btf/btf.js";
import { BTF_KIND } from "../btf/btf.js";
import { type Env, Reject, regs } from "./env.js";
import { isZero, markS32Range } from "./scalar-read.js";
import { type Reg, TF, notInit, pointer, unknownScalar } from "./state.js";
import { tnumStr } from "./tnum.js";
import { regTypeStr } from "./log.js";
import { structOpsArg, structOpsProto, structOpsWrite } from "./struct-ops.js";
import { findByNameKind, isPtr, isStruct, kindStr, nestedTypeIsTrusted, resolveSize, skipMods, structAccess, structIdsMatch, typeName } from "./target-btf.js";

/** BPF_REG_TRUSTED_MODIFIERS: MEM_ALLOC, PTR_TRUSTED, NON_OWN_REF. */
const TRUSTED_MODIFIERS = TF.ALLOC | TF.TRUSTED | TF.NON_OWN;

/** The BTF a PTR_TO_BTF_ID register's id belongs to. */
export function btfOf(env: Env, r: Reg): Btf | undefined {
  return r.tflags & TF.LOCAL ? env.opts.progBtf : env.opts.targetBtf;
}

/** A (known-zero offset) PTR_TO_BTF_ID. */
export function btfPtr(btfId: number, tflags: number): Reg {
  const r = pointer("btf_id");
  r.btfId = btfId;
  r.tflags = tflags;
  return r;
}

/** bpf_type_has_unsafe_modifiers: any flag beyond MEM_ALLOC / PTR_TRUSTED / NON_OWN_REF (PTR_MAYBE_NULL and MEM_RDONLY included). */
export function hasUnsafeModifiers(r: Reg): boolean {
  return (r.tflags & ~TRUSTED_MODIFIERS & ~TF.LOCAL & ~(TF.DYN_LOCAL | TF.DYN_RINGBUF | TF.DYN_SKB | TF.DYN_XDP)) !== 0 || r.maybeNull || r.rdonly || r.ringbuf;
}

/** The socket types the kernel trusts by their register type (reg2btf_ids), with their struct. */
export const REG2BTF: Readonly<Record<string, string>> = { sock: "sock", sock_common: "sock_common", tcp_sock: "tcp_sock", map_ptr: "bpf_map" };

/** is_trusted_reg: referenced, a socket type, or only the trusted modifiers. */
export function isTrustedReg(r: Reg): boolean {
  if (r.refObjId) return true;
  if (REG2BTF[r.type] && !hasUnsafeModifiers(r)) return true;
  return (r.tflags & TRUSTED_MODIFIERS) !== 0 && !hasUnsafeModifiers(r);
}

export const isRcuReg = (r: Reg): boolean => (r.tflags & TF.RCU) !== 0;
export const isAlloc = (r: Reg): boolean => r.type === "btf_id" && (r.tflags & TF.ALLOC) !== 0;

/** in_rcu_cs: inside bpf_rcu_read_lock, under a bpf_spin_lock, or any non-sleepable program. */
export function inRcuCs(env: Env): boolean {
  return !!env.cur.rcuLock || !!env.cur.activeLock || !!env.cur.preemptLock || !!env.cur.irqLock || !env.opts.sleepable;
}

/** The struct name of a BTF pointer, for messages and the log (`task_struct`). */
export function btfName(env: Env, r: Reg): string {
  const btf = btfOf(env, r);
  return btf ? typeName(btf, r.btfId) : "";
}

/**
 * check_ptr_to_btf_access: a load (or store) at `off` through a PTR_TO_BTF_ID; the loaded register becomes a
 * scalar or a new BTF pointer whose trust follows the kernel's rules.
 */
export function checkPtrToBtfAccess(env: Env, regno: number, off: number, size: number, write: boolean, valueRegno: number): void {
  const R = regs(env);
  const reg = R[regno]!;
  const btf = btfOf(env, reg);
  if (!btf) throw new Reject(`R${regno} invalid mem access '${"ptr_"}'`);
  const tname = typeName(btf, reg.btfId);
  if (!env.opts.gpl && !(reg.tflags & TF.LOCAL)) throw new Reject(`Cannot access kernel 'struct ${tname}' from non-GPL compatible program`, 22);
  if (off < 0) throw new Reject(`R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  if (!isZero(reg)) throw new Reject(`R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=${tnumStr(reg.varOff)}`);
  if (reg.tflags & TF.USER) throw new Reject(`R${regno} is ptr_${tname} access user memory: off=${off}`);
  if (reg.tflags & TF.PERCPU) throw new Reject(`R${regno} is ptr_${tname} access percpu memory: off=${off}`);
  if (write && reg.tflags & TF.UNTRUSTED) throw new Reject("only read is supported");
  const alloc = isAlloc(reg);
  // writes through kernel BTF pointers go through the program type's btf_struct_access (tc/xdp/struct_ops
  // allow a few fields); bpfkit does not model those and refuses, as every other type does
  // struct_ops: the type's btf_struct_access (tcp_congestion_ops writes a few tcp_sock fields)
  if (write && !alloc && env.opts.progType === 27 && !(reg.tflags & TF.LOCAL)) { structOpsWrite(env, reg, off, size); return; }
  if (write && !(alloc && !(reg.tflags & TF.UNTRUSTED))) throw new Reject("only read is supported");
  if (alloc) {
    const field = specialFieldAt(btf, reg.btfId, off, size);
    if (field) throw new Reject(`direct access to ${field} is disallowed`);
  }
  const res = structAccess(btf, reg.btfId, off, size, !alloc, (reg.tflags & TF.UNTRUSTED) !== 0);
  if (res.kind === "error") throw new Reject(res.message);
  if (write || valueRegno < 0) return;
  if (res.kind === "scalar" || alloc) { R[valueRegno] = unknownScalar(); return; }
  let flag = res.untrusted ? TF.UNTRUSTED : 0;
  let maybeNull = false;
  const tag = res.tag === "user" ? TF.USER : res.tag === "percpu" ? TF.PERCPU : res.tag === "rcu" ? TF.RCU : 0;
  flag |= tag;
  if (reg.tflags & TF.UNTRUSTED) {
    flag = TF.UNTRUSTED;
  } else if (isTrustedReg(reg) || isRcuReg(reg)) {
    const walked = reg.btfId;
    if (nestedTypeIsTrusted(btf, walked, res.fieldName, res.id, "__safe_trusted")) flag |= TF.TRUSTED;
    else if (nestedTypeIsTrusted(btf, walked, res.fieldName, res.id, "__safe_trusted_or_null")) { flag |= TF.TRUSTED; maybeNull = true; }
    else if (inRcuCs(env) && !reg.maybeNull) {
      const rcuOrNull = nestedTypeIsTrusted(btf, walked, res.fieldName, res.id, "__safe_rcu_or_null");
      if (nestedTypeIsTrusted(btf, walked, res.fieldName, res.id, "__safe_rcu")) flag = (flag & ~TF.RCU) | TF.RCU;
      else if (flag & TF.RCU || rcuOrNull) {
        flag |= TF.RCU;
        maybeNull = true;
        if (rcuOrNull && flag & TF.UNTRUSTED) flag &= ~TF.UNTRUSTED;
      } else if (flag & (TF.PERCPU | TF.USER)) {
        // kept as they are
      } else flag &= ~(TF.TRUSTED | TF.RCU | TF.UNTRUSTED); // clear_trusted_flags: the old plain PTR_TO_BTF_ID
    } else {
      flag = TF.UNTRUSTED;
      maybeNull = false;
    }
  } else {
    flag &= ~(TF.TRUSTED | TF.RCU);
  }
  const out = btfPtr(res.id, flag | (reg.tflags & TF.LOCAL));
  if (maybeNull) { out.maybeNull = true; out.id = ++env.idGen; }
  R[valueRegno] = out;
}

/** The special field (bpf_spin_lock, list/rbtree nodes and roots, refcount, kptrs) a local object's access overlaps, if any. */
function specialFieldAt(btf: Btf, structId: number, off: number, size: number): string | undefined {
  const SPECIAL: Record<string, string> = {
    bpf_spin_lock: "bpf_spin_lock", bpf_res_spin_lock: "bpf_res_spin_lock", bpf_timer: "bpf_timer", bpf_wq: "bpf_wq", bpf_list_head: "bpf_list_head",
    bpf_list_node: "bpf_list_node", bpf_rb_root: "bpf_rb_root", bpf_rb_node: "bpf_rb_node", bpf_refcount: "bpf_refcount",
  };
  const t = skipMods(btf, structId).t;
  for (const m of t.members ?? []) {
    const moff = (t.kflag ? m.offset & 0xffffff : m.offset) / 8;
    const r = resolveSize(btf, m.type);
    const msize = r?.size ?? 0;
    if (!(off < moff + msize && moff < off + size)) continue;
    const mt = skipMods(btf, m.type).t;
    const name = SPECIAL[mt.name];
    if (name && isStruct(mt)) return name;
    // kptrs: pointers tagged kptr / kptr_untrusted / percpu_kptr
    if (isPtr(mt)) {
      const p = btf.types[mt.sizeOrType];
      if (p?.kind === BTF_KIND.TYPE_TAG && /^(kptr|kptr_untrusted|percpu_kptr|uptr)$/.test(p.name)) return p.name === "kptr_untrusted" ? "kptr" : p.name;
    }
  }
  return undefined;
}

/** The attach target's prototype of a BTF-typed program (tp_btf's btf_trace_* typedef, a FUNC, a struct_ops member). */
export interface AttachProto {
  name: string;
  /** FUNC_PROTO type. */
  proto: number;
  /** tp_btf: the first `void *__data` parameter is not the program's. */
  skipFirst: boolean;
}

export function attachProto(env: Env): AttachProto | undefined {
  const btf = env.opts.targetBtf;
  const id = env.opts.attachBtfId;
  if (!btf || !id) return undefined;
  // struct_ops: the implemented member's function pointer type (struct-ops.ts)
  if (env.opts.progType === 27) return structOpsProto(env);
  const t = btf.types[id];
  if (!t) return undefined;
  if (t.kind === BTF_KIND.FUNC) return { name: t.name, proto: t.sizeOrType, skipFirst: false };
  if (t.kind === BTF_KIND.TYPEDEF && t.name.startsWith("btf_trace_")) {
    const p = skipMods(btf, t.sizeOrType).t;
    if (p.kind === BTF_KIND.PTR) return { name: t.name.slice("btf_trace_".length), proto: skipMods(btf, p.sizeOrType).id, skipFirst: true };
  }
  return undefined;
}

/** prog_args_trusted: tp_btf and iterator arguments, LSM hooks but a few, struct_ops members. */
function argsTrusted(env: Env): boolean {
  const t = env.opts.progType, a = env.opts.attachType;
  if (t === 26) return a === 23 /* trace_raw_tp */ || a === 28 /* trace_iter */;
  if (t === 29) {
    const name = env.opts.targetBtf?.types[env.opts.attachBtfId ?? 0]?.name ?? "";
    return !["bpf_lsm_bpf_map_free", "bpf_lsm_bpf_prog_free", "bpf_lsm_file_alloc_security", "bpf_lsm_file_free_security",
      "bpf_lsm_sk_alloc_security", "bpf_lsm_sk_free_security", "bpf_lsm_task_free"].includes(name);
  }
  return t === 27;
}

/** The value range an LSM program's return-value argument (fexit-style, `ret`) may hold: bpf_lsm_get_retval_range. */
export function lsmRetvalRange(env: Env): [number, number] | undefined {
  if (env.opts.progType !== 29 || env.opts.attachType !== 27 /* lsm_mac */) return undefined;
  const btf = env.opts.targetBtf;
  const fn = btf?.types[env.opts.attachBtfId ?? 0];
  const proto = fn ? btf!.types[fn.sizeOrType] : undefined;
  if (!proto || !proto.sizeOrType) return undefined;
  const BOOL_HOOKS = ["bpf_lsm_xfrm_state_pol_flow_match", "bpf_lsm_audit_rule_known", "bpf_lsm_inode_xattr_skipcap"];
  return BOOL_HOOKS.includes(fn!.name) ? [0, 1] : [-4095, 0];
}

/**
 * check_return_code for LSM programs: a BPF_LSM_MAC program returns within its hook's range (none for a
 * void hook: anything goes); a BPF_LSM_CGROUP one 0 or 1, or exactly 1 on a void hook.
 */
export function lsmExitRange(env: Env): { range: [number, number] } | undefined {
  if (env.opts.attachType === 44 /* lsm_cgroup */) {
    const btf = env.opts.targetBtf;
    const fn = btf?.types[env.opts.attachBtfId ?? 0];
    const proto = fn ? btf!.types[fn.sizeOrType] : undefined;
    return { range: proto && !proto.sizeOrType ? [1, 1] : [0, 1] };
  }
  const r = lsmRetvalRange(env);
  return r ? { range: r } : undefined;
}

/**
 * btf_ctx_access for the BTF-typed program types (tracing, LSM, struct_ops): a read of argument
 * `off / 8` of the attach target's prototype: a scalar, or a (trusted) BTF pointer. Returns the register
 * the load gives, or throws the kernel's rejection (its bpf_log line, then "invalid bpf_context access").
 */
export function btfCtxAccess(env: Env, off: number, size: number, write: boolean): Reg {
  const invalid = (): Reject => new Reject(`invalid bpf_context access off=${off} size=${size}`);
  if (off < 0 || off >= 8 * 12 || write || off % size !== 0) throw invalid();
  const btf = env.opts.targetBtf;
  const ap = attachProto(env);
  const fail = (msg: string): Reject => new Reject(`${msg}\ninvalid bpf_context access off=${off} size=${size}`);
  const tname = ap?.name ?? "";
  if (off % 8) throw fail(`func '${tname}' offset ${off} is not multiple of 8`);
  if (!btf || !ap) return unknownScalar();
  const proto = btf.types[ap.proto]!;
  let params = proto.params ?? [];
  // get_ctx_arg_idx counts 8-byte slots per argument (structs passed by value may take more)
  let arg = 0, acc = 0;
  for (; arg < params.length; arg++) {
    const pt = skipMods(btf, params[arg]!.type).t;
    acc += isPtr(pt) ? 8 : Math.ceil(pt.sizeOrType / 8) * 8;
    if (off < acc) break;
  }
  if (arg === params.length) {
    const rt = skipMods(btf, proto.sizeOrType).t;
    acc += isPtr(rt) ? 8 : Math.ceil(rt.sizeOrType / 8) * 8;
    if (off >= acc) arg++;
  }
  // tp_btf: get_ctx_arg_idx counted the `void *__data` slot, then the arguments are taken from the next one
  if (ap.skipFirst) params = params.slice(1);
  const nrArgs = params.length;
  if (arg > nrArgs) throw fail(`func '${tname}' doesn't have ${arg + 1}-th argument`);
  let tid: number;
  if (arg === nrArgs) {
    const at = env.opts.attachType;
    // the return value: fexit, LSM (whose value range the hook decides) and fmod_ret
    if (at === 27 /* lsm_mac */ || at === 44 /* lsm_cgroup */ || at === 25 /* trace_fexit */) tid = proto.sizeOrType;
    else if (at === 26 /* modify_return */) {
      tid = proto.sizeOrType;
      const rt = skipMods(btf, tid).t;
      if (!(rt.kind === BTF_KIND.INT && rt.sizeOrType <= 8)) throw fail(`ret type ${kindStr(rt)} not allowed for fmod_ret`);
    } else throw fail(`func '${tname}' doesn't have ${arg + 1}-th argument`);
    const range = lsmRetvalRange(env);
    const rt = skipMods(btf, tid).t;
    if (isScalarBtf(rt) || isStruct(rt)) return range ? retvalScalar(range) : unknownScalar();
  } else tid = params[arg]!.type;
  let t = btf.types[tid]!;
  while (t.kind === BTF_KIND.TYPEDEF || t.kind === BTF_KIND.VOLATILE || t.kind === BTF_KIND.CONST || t.kind === BTF_KIND.RESTRICT || t.kind === BTF_KIND.TYPE_TAG) t = btf.types[t.sizeOrType]!;
  if (isScalarBtf(t) || isStruct(t)) return unknownScalar();
  if (t.kind !== BTF_KIND.PTR) throw fail(`func '${tname}' arg${arg} '${t.name}' has type ${kindStr(t)}. Only pointer access is allowed`);
  if (size !== 8) throw fail(`func '${tname}' size ${size} must be 8`);
  if (t.sizeOrType === 0) return unknownScalar();
  if (skipMods(btf, t.sizeOrType).t.kind === BTF_KIND.INT) return unknownScalar();
  let flags = argsTrusted(env) ? TF.TRUSTED : 0;
  let maybeNull = params[arg] !== undefined && params[arg]!.name.endsWith("__nullable") && params[arg]!.name.length > 10;
  // iterator programs: every argument after the meta one may be NULL (the targets' ctx_arg_info)
  if (env.opts.progType === 26 && env.opts.attachType === 28 && arg > 0) maybeNull = true;
  let pid = t.sizeOrType;
  let pt = btf.types[pid]!;
  if (pt.kind === BTF_KIND.TYPE_TAG) {
    if (pt.name === "user") flags |= TF.USER;
    if (pt.name === "percpu") flags |= TF.PERCPU;
  }
  while (pt.kind === BTF_KIND.TYPEDEF || pt.kind === BTF_KIND.VOLATILE || pt.kind === BTF_KIND.CONST || pt.kind === BTF_KIND.RESTRICT || pt.kind === BTF_KIND.TYPE_TAG) {
    pid = pt.sizeOrType;
    pt = btf.types[pid]!;
  }
  if (!isStruct(pt)) throw fail(`func '${tname}' arg${arg} type ${kindStr(pt)} is not a struct`);
  env.log.write(`func '${tname}' arg${arg} has btf_id ${pid} type ${kindStr(pt)} '${pt.name}'\n`);
  if (env.opts.progType === 27) {
    // the struct_ops type's is_valid_access and the stub's __nullable arguments
    const so = structOpsArg(env, arg, pid, !(flags & ~TF.TRUSTED) && !maybeNull);
    pid = so.id;
    maybeNull ||= so.maybeNull;
  }
  const r = btfPtr(pid, flags);
  if (maybeNull) { r.maybeNull = true; r.id = ++env.idGen; }
  return r;
}

const isScalarBtf = (t: { kind: number }): boolean => t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64 || t.kind === BTF_KIND.FLOAT;

function retvalScalar(range: [number, number]): Reg {
  // __mark_reg_s32_range on an unknown scalar
  const r = unknownScalar();
  markS32Range(r, range[0], range[1]);
  return r;
}

/** The BTF id of a struct by name in the target BTF, or 0. */
export function targetStructId(env: Env, name: string): number {
  const btf = env.opts.targetBtf;
  if (!btf) return 0;
  const id = findByNameKind(btf, name, BTF_KIND.STRUCT);
  return id < 0 ? 0 : id;
}

/**
 * arg_btf_id of the helpers whose ARG_PTR_TO_BTF_ID names one struct (the kernel's *_proto.arg*_btf_id),
 * by helper and argument index; ARG_PTR_TO_BTF_ID_SOCK_COMMON always wants a sock_common.
 */
const HELPER_ARG_STRUCT: Readonly<Record<string, readonly (string | undefined)[]>> = {
  bpf_task_storage_get: [undefined, "task_struct"], bpf_task_storage_delete: [undefined, "task_struct"],
  bpf_inode_storage_get: [undefined, "inode"], bpf_inode_storage_delete: [undefined, "inode"],
  bpf_cgrp_storage_get: [undefined, "cgroup"], bpf_cgrp_storage_delete: [undefined, "cgroup"],
  bpf_get_task_stack: ["task_struct"], bpf_find_vma: ["task_struct"], bpf_task_pt_regs: ["task_struct"],
  bpf_copy_from_user_task: [undefined, undefined, undefined, "task_struct"], bpf_d_path: ["path"], bpf_sock_from_file: ["file"],
  bpf_seq_printf: ["seq_file"], bpf_seq_write: ["seq_file"], bpf_seq_printf_btf: ["seq_file"], bpf_skb_output: ["sk_buff"],
  bpf_xdp_output: ["xdp_buff"], bpf_ima_inode_hash: ["inode"], bpf_ima_file_hash: ["file"], bpf_bprm_opts_set: ["linux_binprm"],
  bpf_xdp_get_buff_len: ["xdp_buff"], bpf_tcp_send_ack: ["tcp_sock"], bpf_sk_storage_get: [undefined, "sock_common"], bpf_sk_storage_delete: [undefined, "sock_common"],
};

/** check_reg_type's BTF id match for a helper's PTR_TO_BTF_ID argument (btf_struct_ids_match, not strict). */
export function checkHelperBtfArg(env: Env, regno: number, reg: Reg, helper: string, argIdx: number, argType: string, flags: readonly string[] = []): void {
  // memory arguments (mem_types) take a BTF pointer only to read it
  if (["ARG_PTR_TO_MEM", "ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE"].includes(argType)) {
    if (!flags.includes("MEM_RDONLY")) throw new Reject(`${helper}() may write into memory pointed by R${regno} type=${regTypeStr(reg)}`);
    return;
  }
  if (reg.maybeNull && (!flags.includes("PTR_MAYBE_NULL") || flags.includes("OBJ_RELEASE"))) throw new Reject(`Possibly NULL pointer passed to helper arg${regno}`);
  const btf = btfOf(env, reg);
  if (!btf) return;
  const want = argType === "ARG_PTR_TO_BTF_ID_SOCK_COMMON" ? "sock_common" : argType === "ARG_PTR_TO_BTF_ID" ? HELPER_ARG_STRUCT[helper]?.[argIdx] : undefined;
  if (!want || reg.tflags & TF.LOCAL) return;
  const wantId = targetStructId(env, want);
  if (!wantId) return;
  if (!structIdsMatch(btf, skipMods(btf, reg.btfId).id, reg.off, wantId, false, true)) {
    throw new Reject(`R${regno} is of type ${typeName(btf, reg.btfId)} but ${want} is expected`);
  }
}

/** RET_PTR_TO_BTF_ID of a helper: bpf_skc_to_*, bpf_get_current_task_btf (trusted), bpf_sock_from_file, bpf_task_pt_regs. */
export function helperReturnBtf(env: Env, fn: { name: string; id: number; retBtfStruct?: string; ret: { flags: readonly string[] } }): Reg {
  const id = fn.retBtfStruct ? targetStructId(env, fn.retBtfStruct) : 0;
  if (!id) throw new Reject(`invalid return type 8 of func ${fn.name}#${fn.id}`, 22);
  return btfPtr(id, fn.ret.flags.includes("PTR_TRUSTED") ? TF.TRUSTED : 0);
}

export { notInit };

/** map->ops->map_btf_id: the kernel struct behind each map type (what a load through a map pointer reads). */
const MAP_STRUCT: Readonly<Record<string, string>> = {
  array: "bpf_array", percpu_array: "bpf_array", prog_array: "bpf_array", perf_event_array: "bpf_array", cgroup_array: "bpf_array",
  array_of_maps: "bpf_array", hash: "bpf_htab", percpu_hash: "bpf_htab", lru_hash: "bpf_htab", lru_percpu_hash: "bpf_htab",
  hash_of_maps: "bpf_htab", lpm_trie: "lpm_trie", queue: "bpf_queue_stack", stack: "bpf_queue_stack", ringbuf: "bpf_ringbuf_map",
  user_ringbuf: "bpf_ringbuf_map", devmap: "bpf_dtab", devmap_hash: "bpf_dtab", cpumap: "bpf_cpu_map", xskmap: "xsk_map",
  sockmap: "bpf_stab", sockhash: "bpf_shtab", sk_storage: "bpf_local_storage_map", inode_storage: "bpf_local_storage_map",
  task_storage: "bpf_local_storage_map", cgrp_storage: "bpf_local_storage_map", bloom_filter: "bpf_bloom_filter",
  reuseport_sockarray: "reuseport_array", stack_trace: "bpf_stack_map", cgroup_storage: "bpf_cgroup_storage_map",
  percpu_cgroup_storage: "bpf_cgroup_storage_map", struct_ops: "bpf_struct_ops_map", arena: "bpf_arena",
};

/** check_ptr_to_map_access: a read of the kernel's struct behind a map pointer (struct bpf_map is its first member). */
export function checkPtrToMapAccess(env: Env, regno: number, off: number, size: number, write: boolean, valueRegno: number): void {
  const R = regs(env);
  const map = env.opts.maps[R[regno]!.map];
  const sname = map ? MAP_STRUCT[map.type] : undefined;
  const id = sname ? targetStructId(env, sname) : 0;
  if (!id) throw new Reject(`map_ptr access not supported for map type ${map?.type ?? "?"}`);
  if (off < 0) throw new Reject(`R${regno} is ${sname} invalid negative access: off=${off}`);
  if (write) throw new Reject(`only read from ${sname} is supported`);
  const res = structAccess(env.opts.targetBtf!, id, off, size, true, false);
  if (res.kind === "error") throw new Reject(res.message);
  if (valueRegno < 0) return;
  R[valueRegno] = res.kind === "scalar" ? unknownScalar() : btfPtr(res.id, res.untrusted ? TF.UNTRUSTED : 0);
}

/** nf_is_valid_access: a netfilter program's struct bpf_nf_ctx holds two trusted pointers, state (0) and skb (8). */
export function netfilterCtxAccess(env: Env, off: number, size: number, write: boolean): Reg {
  const invalid = new Reject(`invalid bpf_context access off=${off} size=${size}`);
  if (off < 0 || off >= 16 || write) throw invalid;
  if ((off !== 0 && off !== 8) || size !== 8) throw invalid;
  const id = targetStructId(env, off === 0 ? "nf_hook_state" : "sk_buff");
  if (!id) throw invalid;
  return btfPtr(id, TF.TRUSTED);
}
