// The BTF-typed program types: BTF tracing (tp_btf, fentry/fexit/fmod_ret, iter), LSM, syscall, netfilter,
// and the writable raw tracepoint. Their context is the attach target's arguments, typed by the target BTF
// (the verifier reads it there: src/verifier/btf-ptr.ts); here are their helper lists (tracing_prog_func_proto,
// bpf_lsm_func_proto, syscall_prog_func_proto, raw_tp_prog_func_proto, bpf_nf_func_proto). struct_ops' helpers are its
// types' (struct-ops.ts); ext (freplace) is known by name and number only.
import { AttachType as A, PROG_TYPE_NAMES, ProgType } from "./numbers.js";
import { BASE, CGROUP_COMMON, CGROUP_RETVAL, TRACING_BASE, TRACING_EVENT, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";
import { STRUCT_OPS_HELPERS } from "./struct-ops.js";

function namesOnly(id: number, summary: string, range?: readonly [number, number]): ProgTypeInfo {
  const name = PROG_TYPE_NAMES[id]!;
  return {
    id, name, kernelName: `BPF_PROG_TYPE_${name.toUpperCase()}`, summary, packetAccess: "none", attachTypes: [],
    expectedAttachTypeRequired: false, returnRule: range ? { range } : {}, returnCodes: [],
    testRun: { supported: false, data: "none", ctx: "none" }, helpers: [], namesOnly: true,
  };
}

/** tracing_prog_func_proto's own helpers on top of raw_tp_prog_func_proto (CONFIG_NET ones included). */
const TRACING_EXTRA = [
  "skb_output", "xdp_output", "skc_to_tcp6_sock", "skc_to_tcp_sock", "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock",
  "skc_to_udp6_sock", "skc_to_unix_sock", "skc_to_mptcp_sock", "sk_storage_get", "sk_storage_delete", "sock_from_file",
  "get_socket_cookie", "xdp_get_buff_len", "d_path",
] as const;
/** Only for programs attached through a BPF trampoline (fentry, fexit, fmod_ret, LSM). */
const TRAMPOLINE = ["get_func_arg", "get_func_ret", "get_func_arg_cnt"] as const;
/** Only for iterators (BPF_TRACE_ITER). */
const ITER = ["seq_printf", "seq_write", "seq_printf_btf"] as const;
/**
 * Helpers an iterator target adds (its bpf_iter_reg get_func_proto, through bpf_iter_get_func_proto), by
 * the target's BTF function: the tcp and unix socket iterators may get and set socket options.
 */
export const ITER_TARGET_HELPERS: Readonly<Record<string, readonly string[]>> = {
  bpf_iter_tcp: ["setsockopt", "getsockopt"], bpf_iter_unix: ["setsockopt", "getsockopt"],
};
/**
 * Helpers an lsm_cgroup program may call on some hooks only (bpf_lsm_func_proto, by the attach target's
 * BTF function): socket options on the hooks where the socket is locked (bpf_lsm_locked_sockopt_hooks) or
 * still being set up (bpf_lsm_unlocked_sockopt_hooks). Plain `lsm/` programs never get them.
 */
export const LSM_CGROUP_HOOK_HELPERS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  ["sock_graft", "inet_csk_clone", "inet_conn_established", "socket_post_create", "socket_socketpair"]
    .map((h) => [`bpf_lsm_${h}`, ["setsockopt", "getsockopt"]]));
const RAW_TP = uniq(TRACING_BASE, TRACING_EVENT);
const TRACING = uniq(RAW_TP, TRACING_EXTRA);

function btfTyped(id: number, summary: string, helpers: readonly string[], byAttach?: ProgTypeInfo["helpersByAttachType"], range?: readonly [number, number]): ProgTypeInfo {
  const info = namesOnly(id, summary, range);
  const out: ProgTypeInfo = { ...info, helpers, namesOnly: false };
  if (byAttach) out.helpersByAttachType = byAttach;
  return out;
}

export const NAMES_ONLY: readonly ProgTypeInfo[] = [
  btfTyped(ProgType.RAW_TRACEPOINT_WRITABLE, "writable raw tracepoint", RAW_TP),
  btfTyped(ProgType.TRACING, "BTF tracing: fentry/fexit/fmod_ret/tp_btf/iter", TRACING, [
    { attachTypes: [A.TRACE_ITER], helpers: ITER },
    { attachTypes: [A.TRACE_FENTRY, A.TRACE_FEXIT, A.MODIFY_RETURN], helpers: TRAMPOLINE },
  ]),
  btfTyped(ProgType.LSM, "BPF LSM hook", uniq(TRACING, ["inode_storage_get", "inode_storage_delete", "spin_lock", "spin_unlock", "bprm_opts_set",
    "ima_inode_hash", "ima_file_hash"], TRAMPOLINE), [
    // lsm_cgroup first asks cgroup_common_func_proto
    { attachTypes: [A.LSM_CGROUP], helpers: [...CGROUP_COMMON, ...CGROUP_RETVAL] },
  ]),
  // every helper some struct_ops type offers; the verifier narrows it to the type and member (struct-ops.ts)
  btfTyped(ProgType.STRUCT_OPS, "struct_ops implementation (a member of a kernel struct such as tcp_congestion_ops)", STRUCT_OPS_HELPERS),
  namesOnly(ProgType.EXT, "freplace extension"),
  btfTyped(ProgType.SYSCALL, "syscall program (BPF_PROG_RUN from user space)", uniq(TRACING, ["sys_bpf", "btf_find_by_name_kind", "sys_close", "kallsyms_lookup_name"])),
  btfTyped(ProgType.NETFILTER, "netfilter hook", BASE, undefined, [0, 1]),
];
