// Kernel enum numbers for program types and attach types, in the order of include/uapi/linux/bpf.h
// (enum bpf_prog_type, enum bpf_attach_type). Both enums are append-only, so the index is the number.

/** enum bpf_prog_type names without BPF_PROG_TYPE_, in lower case; index = kernel number. */
export const PROG_TYPE_NAMES = [
  "unspec", // 0
  "socket_filter", // 1
  "kprobe", // 2
  "sched_cls", // 3
  "sched_act", // 4
  "tracepoint", // 5
  "xdp", // 6
  "perf_event", // 7
  "cgroup_skb", // 8
  "cgroup_sock", // 9
  "lwt_in", // 10
  "lwt_out", // 11
  "lwt_xmit", // 12
  "sock_ops", // 13
  "sk_skb", // 14
  "cgroup_device", // 15
  "sk_msg", // 16
  "raw_tracepoint", // 17
  "cgroup_sock_addr", // 18
  "lwt_seg6local", // 19
  "lirc_mode2", // 20
  "sk_reuseport", // 21
  "flow_dissector", // 22
  "cgroup_sysctl", // 23
  "raw_tracepoint_writable", // 24
  "cgroup_sockopt", // 25
  "tracing", // 26
  "struct_ops", // 27
  "ext", // 28
  "lsm", // 29
  "sk_lookup", // 30
  "syscall", // 31
  "netfilter", // 32
] as const;

/** enum bpf_attach_type names without BPF_, in lower case; index = kernel number. */
export const ATTACH_TYPE_NAMES = [
  "cgroup_inet_ingress", // 0
  "cgroup_inet_egress", // 1
  "cgroup_inet_sock_create", // 2
  "cgroup_sock_ops", // 3
  "sk_skb_stream_parser", // 4
  "sk_skb_stream_verdict", // 5
  "cgroup_device", // 6
  "sk_msg_verdict", // 7
  "cgroup_inet4_bind", // 8
  "cgroup_inet6_bind", // 9
  "cgroup_inet4_connect", // 10
  "cgroup_inet6_connect", // 11
  "cgroup_inet4_post_bind", // 12
  "cgroup_inet6_post_bind", // 13
  "cgroup_udp4_sendmsg", // 14
  "cgroup_udp6_sendmsg", // 15
  "lirc_mode2", // 16
  "flow_dissector", // 17
  "cgroup_sysctl", // 18
  "cgroup_udp4_recvmsg", // 19
  "cgroup_udp6_recvmsg", // 20
  "cgroup_getsockopt", // 21
  "cgroup_setsockopt", // 22
  "trace_raw_tp", // 23
  "trace_fentry", // 24
  "trace_fexit", // 25
  "modify_return", // 26
  "lsm_mac", // 27
  "trace_iter", // 28
  "cgroup_inet4_getpeername", // 29
  "cgroup_inet6_getpeername", // 30
  "cgroup_inet4_getsockname", // 31
  "cgroup_inet6_getsockname", // 32
  "xdp_devmap", // 33
  "cgroup_inet_sock_release", // 34
  "xdp_cpumap", // 35
  "sk_lookup", // 36
  "xdp", // 37
  "sk_skb_verdict", // 38
  "sk_reuseport_select", // 39
  "sk_reuseport_select_or_migrate", // 40
  "perf_event", // 41
  "trace_kprobe_multi", // 42
  "lsm_cgroup", // 43
  "struct_ops", // 44
  "netfilter", // 45
  "tcx_ingress", // 46
  "tcx_egress", // 47
  "trace_uprobe_multi", // 48
  "cgroup_unix_connect", // 49
  "cgroup_unix_sendmsg", // 50
  "cgroup_unix_recvmsg", // 51
  "cgroup_unix_getpeername", // 52
  "cgroup_unix_getsockname", // 53
  "netkit_primary", // 54
  "netkit_peer", // 55
  "trace_kprobe_session", // 56
] as const;

export type ProgTypeName = (typeof PROG_TYPE_NAMES)[number];
export type AttachTypeName = (typeof ATTACH_TYPE_NAMES)[number];

const PROG_BY_NAME: ReadonlyMap<string, number> = new Map(PROG_TYPE_NAMES.map((n, i) => [n, i]));
const ATTACH_BY_NAME: ReadonlyMap<string, number> = new Map(ATTACH_TYPE_NAMES.map((n, i) => [n, i]));

/** Kernel number of a program type (`xdp`, `sched_cls`, or `BPF_PROG_TYPE_XDP`); undefined when unknown. */
export const progTypeId = (name: string): number | undefined =>
  PROG_BY_NAME.get(name.toLowerCase().replace(/^bpf_prog_type_/, ""));
/** Kernel number of an attach type (`cgroup_inet_ingress` or `BPF_CGROUP_INET_INGRESS`); undefined when unknown. */
export const attachTypeId = (name: string): number | undefined =>
  ATTACH_BY_NAME.get(name.toLowerCase().replace(/^bpf_/, ""));
/** Lower-case name of a program type number (`xdp`); undefined when out of range. */
export const progTypeName = (id: number): ProgTypeName | undefined => PROG_TYPE_NAMES[id];
/** Lower-case name of an attach type number (`tcx_ingress`); undefined when out of range. */
export const attachTypeName = (id: number): AttachTypeName | undefined => ATTACH_TYPE_NAMES[id];

/** Program type numbers by their kernel name, for code that wants a constant (`ProgType.XDP`). */
export const ProgType = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7,
  CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14,
  CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19, LIRC_MODE2: 20,
  SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25,
  TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;

/** Attach type numbers by their kernel name (`AttachType.CGROUP_INET_INGRESS`). */
export const AttachType = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4, SK_SKB_STREAM_VERDICT: 5, CGROUP_DEVICE: 6, SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8, CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12, CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15,
  LIRC_MODE2: 16, FLOW_DISSECTOR: 17, CGROUP_SYSCTL: 18, CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22, TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25,
  MODIFY_RETURN: 26, LSM_MAC: 27, TRACE_ITER: 28, CGROUP_INET4_GETPEERNAME: 29, CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32, XDP_DEVMAP: 33, CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35, SK_LOOKUP: 36, XDP: 37, SK_SKB_VERDICT: 38, SK_REUSEPORT_SELECT: 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40, PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, STRUCT_OPS: 44,
  NETFILTER: 45, TCX_INGRESS: 46, TCX_EGRESS: 47, TRACE_UPROBE_MULTI: 48, CGROUP_UNIX_CONNECT: 49,
  CGROUP_UNIX_SENDMSG: 50, CGROUP_UNIX_RECVMSG: 51, CGROUP_UNIX_GETPEERNAME: 52, CGROUP_UNIX_GETSOCKNAME: 53,
  NETKIT_PRIMARY: 54, NETKIT_PEER: 55, TRACE_KPROBE_SESSION: 56,
} as const;
