// Prototypes whose kernel definitions live in files outside the recorded source tree (net/core/
// bpf_sk_storage.c, net/ipv4/bpf_tcp_ca.c, lirc, lwt), written out by hand from include/uapi/linux/bpf.h's
// helper documentation and the kernel's verifier behaviour. Same shape as the generated table.
import type { KernelProto } from "./kernel-protos.js";

const p = (file: string, gplOnly: boolean, ret: string, args: string[]): KernelProto => ({ file, gplOnly, ret, args, argSizes: {}, pktAccess: false, mightSleep: false });

export const MANUAL_PROTOS: Readonly<Record<string, KernelProto>> = {
  bpf_sk_storage_get_proto: p("net/core/bpf_sk_storage.c", false, "RET_PTR_TO_MAP_VALUE_OR_NULL",
    ["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_SOCK_COMMON", "ARG_PTR_TO_MAP_VALUE_OR_NULL", "ARG_ANYTHING"]),
  bpf_sk_storage_delete_proto: p("net/core/bpf_sk_storage.c", false, "RET_INTEGER", ["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_SOCK_COMMON"]),
  // the tracing (and LSM) variants take any BTF pointer to a sock_common, or NULL
  bpf_sk_storage_get_tracing_proto: p("net/core/bpf_sk_storage.c", false, "RET_PTR_TO_MAP_VALUE_OR_NULL",
    ["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL", "ARG_PTR_TO_MAP_VALUE_OR_NULL", "ARG_ANYTHING"]),
  bpf_sk_storage_delete_tracing_proto: p("net/core/bpf_sk_storage.c", false, "RET_INTEGER", ["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL"]),
  bpf_tcp_send_ack_proto: p("net/ipv4/bpf_tcp_ca.c", false, "RET_INTEGER", ["ARG_PTR_TO_BTF_ID", "ARG_ANYTHING"]),
  bpf_lwt_push_encap_proto: p("net/core/lwt_bpf.c", false, "RET_INTEGER", ["ARG_PTR_TO_CTX", "ARG_ANYTHING", "ARG_PTR_TO_MEM | MEM_RDONLY", "ARG_CONST_SIZE"]),
  bpf_rc_repeat_proto: p("drivers/media/rc/bpf-lirc.c", true, "RET_INTEGER", ["ARG_PTR_TO_CTX"]),
  bpf_rc_keydown_proto: p("drivers/media/rc/bpf-lirc.c", true, "RET_INTEGER", ["ARG_PTR_TO_CTX", "ARG_ANYTHING", "ARG_ANYTHING", "ARG_ANYTHING"]),
  bpf_rc_pointer_rel_proto: p("drivers/media/rc/bpf-lirc.c", true, "RET_INTEGER", ["ARG_PTR_TO_CTX", "ARG_ANYTHING", "ARG_ANYTHING"]),
  sk_select_reuseport_proto: p("net/core/filter.c", false, "RET_INTEGER", ["ARG_PTR_TO_CTX", "ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY", "ARG_ANYTHING"]),
};

/**
 * Prototypes the running 6.18 kernel declares differently from the recorded 6.12 sources (the running
 * kernel wins): bpf_sysctl_get_name writes the name into its buffer, marked MEM_WRITE since 6.13, so the
 * verifier forgets what the stack there held (seen on 6.18 as a different processed-insn count).
 */
export const PROTO_CHANGES_SINCE_612: Readonly<Record<string, KernelProto>> = {
  bpf_sysctl_get_name_proto: { file: "kernel/bpf/cgroup.c", gplOnly: false, ret: "RET_INTEGER",
    args: ["ARG_PTR_TO_CTX", "ARG_PTR_TO_MEM | MEM_WRITE", "ARG_CONST_SIZE", "ARG_ANYTHING"], argSizes: {}, pktAccess: false, mightSleep: false, func: "bpf_sysctl_get_name" },
};

/**
 * Helpers whose prototype variable is not `bpf_<name>_proto`: the variant bpfkit uses as the canonical
 * prototype (program-type variants differ only in which context they expect).
 */
export const PROTO_ALIASES: Readonly<Record<string, string>> = {
  probe_read: "bpf_probe_read_compat_proto",
  probe_read_str: "bpf_probe_read_compat_str_proto",
  setsockopt: "bpf_sock_ops_setsockopt_proto",
  getsockopt: "bpf_sock_ops_getsockopt_proto",
  redirect_map: "bpf_xdp_redirect_map_proto",
  fib_lookup: "bpf_skb_fib_lookup_proto",
  check_mtu: "bpf_skb_check_mtu_proto",
  get_netns_cookie: "bpf_get_netns_cookie_sock_proto",
  load_hdr_opt: "bpf_sock_ops_load_hdr_opt_proto",
  store_hdr_opt: "bpf_sock_ops_store_hdr_opt_proto",
  reserve_hdr_opt: "bpf_sock_ops_reserve_hdr_opt_proto",
  get_func_ip: "bpf_get_func_ip_proto_tracing",
  sk_select_reuseport: "sk_select_reuseport_proto",
};

/** Program-type-specific prototype variants (kernel number -> proto variable), where the args differ. */
export const PROTO_VARIANTS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  perf_event_output: { 6: "bpf_xdp_event_output_proto", 3: "bpf_skb_event_output_proto", 1: "bpf_skb_event_output_proto", 8: "bpf_skb_event_output_proto", 14: "bpf_skb_event_output_proto",
    10: "bpf_skb_event_output_proto", 11: "bpf_skb_event_output_proto", 12: "bpf_skb_event_output_proto", 19: "bpf_skb_event_output_proto",
    23: "bpf_event_output_data_proto", 25: "bpf_event_output_data_proto" },
  // perf_event's own variant is not GPL-only (kernel/bpf/stackmap.c; recorded on 6.18)
  get_stackid: { 7: "bpf_get_stackid_proto_pe" },
  skb_load_bytes: { 21: "sk_reuseport_load_bytes_proto", 22: "bpf_flow_dissector_load_bytes_proto" },
  skb_load_bytes_relative: { 21: "sk_reuseport_load_bytes_relative_proto" },
  get_netns_cookie: { 25: "bpf_get_netns_cookie_sockopt_proto" },
  fib_lookup: { 6: "bpf_xdp_fib_lookup_proto" },
  sk_storage_get: { 26: "bpf_sk_storage_get_tracing_proto", 29: "bpf_sk_storage_get_tracing_proto" },
  sk_storage_delete: { 26: "bpf_sk_storage_delete_tracing_proto", 29: "bpf_sk_storage_delete_tracing_proto" },
  check_mtu: { 6: "bpf_xdp_check_mtu_proto" },
  // sk_lookup assigns a full socket or NULL (sk_lookup_func_proto)
  sk_assign: { 30: "bpf_sk_lookup_assign_proto" },
  redirect_map: { 6: "bpf_xdp_redirect_map_proto" },
  get_socket_cookie: { 18: "bpf_get_socket_cookie_sock_addr_proto", 9: "bpf_get_socket_cookie_sock_proto", 13: "bpf_get_socket_cookie_sock_ops_proto",
    21: "bpf_get_socket_ptr_cookie_proto", 26: "bpf_get_socket_ptr_cookie_proto", 29: "bpf_get_socket_ptr_cookie_proto" },
  // 26: the tcp and unix iterators' (src/progtypes/tracing.ts ITER_TARGET_HELPERS); 27: bpf_tcp_ca_get_func_proto;
  // 29: lsm_cgroup on the socket hooks of LSM_CGROUP_HOOK_HELPERS (bpf_sk_* on locked hooks, bpf_unlocked_sk_* on
  // the others: same prototype)
  setsockopt: { 18: "bpf_sock_addr_setsockopt_proto", 13: "bpf_sock_ops_setsockopt_proto", 25: "bpf_sk_setsockopt_proto", 26: "bpf_sk_setsockopt_proto",
    27: "bpf_sk_setsockopt_proto", 29: "bpf_sk_setsockopt_proto" },
  getsockopt: { 18: "bpf_sock_addr_getsockopt_proto", 13: "bpf_sock_ops_getsockopt_proto", 25: "bpf_sk_getsockopt_proto", 26: "bpf_sk_getsockopt_proto",
    27: "bpf_sk_getsockopt_proto", 29: "bpf_sk_getsockopt_proto" },
  sk_lookup_tcp: { 6: "bpf_xdp_sk_lookup_tcp_proto", 18: "bpf_sock_addr_sk_lookup_tcp_proto" },
  sk_lookup_udp: { 6: "bpf_xdp_sk_lookup_udp_proto", 18: "bpf_sock_addr_sk_lookup_udp_proto" },
  skc_lookup_tcp: { 6: "bpf_xdp_skc_lookup_tcp_proto", 18: "bpf_sock_addr_skc_lookup_tcp_proto" },
};
