// The shared helper sets the kernel's *_func_proto functions fall back to, as lists of helper names
// (without `bpf_`). A program type's allowed helpers are its own switch plus one of these bases; see each
// program type's file. Transcribed from kernel 6.12 (kernel/bpf/helpers.c bpf_base_func_proto,
// net/core/filter.c bpf_sk_base_func_proto, kernel/bpf/cgroup.c cgroup_common/current_func_proto) and
// checked against the running kernel by test/facts/kernel-facts.test.ts (fixture recorded by scripts/record-facts-kernel.ts).
import { AttachType as A } from "./numbers.js";

/** bpf_base_func_proto, first switch: every program type, no capability needed. */
export const BASE_UNPRIVILEGED = [
  "map_lookup_elem", "map_update_elem", "map_delete_elem", "map_push_elem", "map_pop_elem", "map_peek_elem",
  "map_lookup_percpu_elem", "get_prandom_u32", "get_smp_processor_id", "get_numa_node_id", "tail_call",
  "ktime_get_ns", "ktime_get_boot_ns", "ktime_get_tai_ns", "ringbuf_output", "ringbuf_reserve", "ringbuf_submit",
  "ringbuf_discard", "ringbuf_query", "strncmp", "strtol", "strtoul", "get_current_pid_tgid", "get_ns_current_pid_tgid",
] as const;

/** bpf_base_func_proto, second switch: needs CAP_BPF (bpfkit's kernel loader runs privileged). */
export const BASE_CAP_BPF = [
  "spin_lock", "spin_unlock", "jiffies64", "per_cpu_ptr", "this_cpu_ptr", "timer_init", "timer_set_callback",
  "timer_start", "timer_cancel", "kptr_xchg", "for_each_map_elem", "loop", "user_ringbuf_drain",
  "ringbuf_reserve_dynptr", "ringbuf_submit_dynptr", "ringbuf_discard_dynptr", "dynptr_from_mem", "dynptr_read",
  "dynptr_write", "dynptr_data", "cgrp_storage_get", "cgrp_storage_delete", "get_current_cgroup_id",
  "get_current_ancestor_cgroup_id",
] as const;

/** bpf_base_func_proto, third switch: needs CAP_PERFMON (and no kernel lockdown for the probe_read ones). */
export const BASE_CAP_PERFMON = [
  "trace_printk", "get_current_task", "get_current_task_btf", "probe_read_user", "probe_read_kernel",
  "probe_read_user_str", "probe_read_kernel_str", "snprintf_btf", "snprintf", "task_pt_regs", "trace_vprintk",
] as const;

/**
 * Added to bpf_base_func_proto after 6.12 (upstream "allow some trace helpers for all prog types"): the
 * running 6.18 kernel offers these to every program type that falls back to the base protos (recorded in
 * test/facts/fixtures/kernel-helpers.json). The process-context ones sit with the CAP_BPF group, the
 * tracing ones with CAP_PERFMON; bpfkit's loader runs as root, where the gate is not observable.
 */
export const BASE_618_CAP_BPF = [
  "get_current_uid_gid", "get_current_comm", "get_cgroup_classid", "current_task_under_cgroup", "task_storage_get",
  "task_storage_delete",
] as const;
export const BASE_618_CAP_PERFMON = [
  "perf_event_read", "perf_event_read_value", "send_signal", "send_signal_thread", "get_task_stack", "copy_from_user",
  "copy_from_user_task", "get_branch_snapshot", "find_vma",
] as const;

/** Everything bpf_base_func_proto grants a privileged loader. */
export const BASE = [...BASE_UNPRIVILEGED, ...BASE_CAP_BPF, ...BASE_618_CAP_BPF, ...BASE_CAP_PERFMON, ...BASE_618_CAP_PERFMON] as const;

/** bpf_sk_base_func_proto: networking types' fallback = sock casts (CAP_PERFMON) + coarse clock + BASE. */
export const SK_BASE = [
  "skc_to_tcp6_sock", "skc_to_tcp_sock", "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock", "skc_to_udp6_sock",
  "skc_to_unix_sock", "skc_to_mptcp_sock", "ktime_get_coarse_ns", ...BASE,
] as const;

/** cgroup_common_func_proto: get_local_storage always; get/set_retval except for these attach types. */
export const CGROUP_COMMON = ["get_local_storage"] as const;
export const CGROUP_RETVAL = ["get_retval", "set_retval"] as const;
export const CGROUP_RETVAL_EXCLUDED_ATTACH: readonly number[] = [
  A.CGROUP_INET_INGRESS, A.CGROUP_INET_EGRESS, A.CGROUP_SOCK_OPS, A.CGROUP_UDP4_RECVMSG, A.CGROUP_UDP6_RECVMSG,
  A.CGROUP_UNIX_RECVMSG, A.CGROUP_INET4_GETPEERNAME, A.CGROUP_INET6_GETPEERNAME, A.CGROUP_UNIX_GETPEERNAME,
  A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_INET6_GETSOCKNAME, A.CGROUP_UNIX_GETSOCKNAME,
];

/** cgroup_current_func_proto: hooks that run in process context. */
export const CGROUP_CURRENT = ["get_current_uid_gid", "get_current_comm", "get_cgroup_classid", "current_task_under_cgroup"] as const;

/** Remove duplicates, keep order. */
export const uniq = (...lists: ReadonlyArray<readonly string[]>): string[] => [...new Set(lists.flat())];

/**
 * bpf_tracing_func_proto (kernel/trace/bpf_trace.c): what kprobe, tracepoint, perf_event and raw_tracepoint
 * programs fall back to. On 6.18 every helper of BASE is offered, plus the legacy probe_read/probe_read_str;
 * 6.12's probe_write_user is not offered to bpfkit's loader (lockdown) and override_return needs
 * CONFIG_BPF_KPROBE_OVERRIDE, so neither is listed. Checked against the running kernel by
 * scripts/verifier-tracing-helpers.ts (a program calling each helper id, per type).
 */
export const TRACING_BASE = [...BASE, "probe_read", "probe_read_str"] as const;

/** kprobe_prog_func_proto / tp_prog_func_proto / raw_tp_prog_func_proto: the event's own output and stack helpers. */
export const TRACING_EVENT = ["perf_event_output", "get_stackid", "get_stack", "get_func_ip", "get_attach_cookie"] as const;

/** pe_prog_func_proto adds the sample's counters and branch records. */
export const PERF_EVENT_EXTRA = ["perf_prog_read_value", "read_branch_records"] as const;
