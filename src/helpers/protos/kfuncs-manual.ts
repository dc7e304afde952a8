// Kfunc sets added or changed after 6.12 that the running kernel (6.18) has, written by hand from the
// upstream sources of 6.13-6.18 (the 6.12 tree is what scripts/record-facts-kfuncs.ts reads). Which
// program types may call each kfunc is checked against the running kernel by
// scripts/record-facts-kfuncs-kernel.ts; the flags are taken on trust from the sources. Same shapes as
// protos/kernel-kfuncs.ts; a set named here replaces the 6.12 set of the same name.
type Sets = Readonly<Record<string, readonly { name: string; flags: readonly string[] }[]>>;

const k = (name: string, ...flags: string[]): { name: string; flags: string[] } => ({ name, flags });

export const KFUNC_SETS_SINCE_612: Sets = {
  // kernel/bpf/helpers.c common_btf_ids: 6.13+ additions (dynptr copy/memset, kmem_cache and dmabuf
  // iterators, irq save/restore, dynptr probe/copy kfuncs, string kfuncs, task_work, streams)
  "6.18:kernel/bpf/helpers.c:common_btf_ids": [
    k("bpf_dynptr_copy"), k("bpf_dynptr_memset"), k("bpf_copy_from_user_task_str", "KF_SLEEPABLE"), k("bpf_get_kmem_cache"),
    k("bpf_iter_kmem_cache_new", "KF_ITER_NEW", "KF_SLEEPABLE"), k("bpf_iter_kmem_cache_next", "KF_ITER_NEXT", "KF_RET_NULL", "KF_SLEEPABLE"),
    k("bpf_iter_kmem_cache_destroy", "KF_ITER_DESTROY", "KF_SLEEPABLE"), k("bpf_local_irq_save"), k("bpf_local_irq_restore"),
    k("bpf_probe_read_user_dynptr"), k("bpf_probe_read_kernel_dynptr"), k("bpf_probe_read_user_str_dynptr"), k("bpf_probe_read_kernel_str_dynptr"),
    k("bpf_copy_from_user_dynptr", "KF_SLEEPABLE"), k("bpf_copy_from_user_str_dynptr", "KF_SLEEPABLE"),
    k("bpf_copy_from_user_task_dynptr", "KF_SLEEPABLE"), k("bpf_copy_from_user_task_str_dynptr", "KF_SLEEPABLE"),
    k("bpf_iter_dmabuf_new", "KF_ITER_NEW", "KF_SLEEPABLE"), k("bpf_iter_dmabuf_next", "KF_ITER_NEXT", "KF_RET_NULL", "KF_SLEEPABLE"),
    k("bpf_iter_dmabuf_destroy", "KF_ITER_DESTROY", "KF_SLEEPABLE"), k("__bpf_trap"),
    k("bpf_strcmp"), k("bpf_strcasecmp"), k("bpf_strchr"), k("bpf_strchrnul"), k("bpf_strnchr"), k("bpf_strrchr"), k("bpf_strlen"), k("bpf_strnlen"),
    k("bpf_strspn"), k("bpf_strcspn"), k("bpf_strstr"), k("bpf_strnstr"), k("bpf_cgroup_read_xattr", "KF_RCU"),
    k("bpf_stream_vprintk_impl", "KF_TRUSTED_ARGS"), k("bpf_task_work_schedule_signal_impl", "KF_TRUSTED_ARGS"),
    k("bpf_task_work_schedule_resume_impl", "KF_TRUSTED_ARGS"),
  ],
  // kernel/bpf/helpers.c generic_btf_ids: list peeking, rbtree walking (6.16), vpid lookup, signals to a task
  "6.18:kernel/bpf/helpers.c:generic_btf_ids": [
    k("bpf_list_front", "KF_RET_NULL"), k("bpf_list_back", "KF_RET_NULL"), k("bpf_rbtree_root", "KF_RET_NULL"), k("bpf_rbtree_left", "KF_RET_NULL"),
    k("bpf_rbtree_right", "KF_RET_NULL"), k("bpf_task_from_vpid", "KF_ACQUIRE", "KF_RET_NULL"), k("bpf_send_signal_task", "KF_TRUSTED_ARGS"),
    // the key kfuncs moved here from kernel/trace/bpf_trace.c's key_sig_kfunc_set (tracing only in 6.12)
    k("bpf_lookup_user_key", "KF_ACQUIRE", "KF_RET_NULL", "KF_SLEEPABLE"), k("bpf_lookup_system_key", "KF_ACQUIRE", "KF_RET_NULL"), k("bpf_key_put", "KF_RELEASE"),
  ],
  // kernel/bpf/rqspinlock.c (6.15): resilient spin locks
  "6.18:kernel/bpf/rqspinlock.c:rqspinlock_kfunc_ids": [
    k("bpf_res_spin_lock", "KF_RET_NULL"), k("bpf_res_spin_unlock"), k("bpf_res_spin_lock_irqsave", "KF_RET_NULL"), k("bpf_res_spin_unlock_irqrestore"),
  ],
  "6.18:kernel/bpf/cpumask.c:cpumask_kfunc_btf_ids": [k("bpf_cpumask_populate", "KF_RCU")],
  "6.18:kernel/bpf/arena.c:arena_kfuncs": [
    k("bpf_arena_alloc_pages", "KF_TRUSTED_ARGS", "KF_SLEEPABLE"), k("bpf_arena_free_pages", "KF_TRUSTED_ARGS", "KF_SLEEPABLE"),
    k("bpf_arena_reserve_pages", "KF_TRUSTED_ARGS", "KF_SLEEPABLE"),
  ],
  // net/core/filter.c: XDP frags pull, the skb metadata dynptr (tc), sock_ops timestamping
  "6.18:net/core/filter.c:bpf_kfunc_check_set_xdp": [k("bpf_xdp_pull_data")],
  "6.18:net/core/filter.c:bpf_kfunc_check_set_skb_meta": [k("bpf_dynptr_from_skb_meta", "KF_TRUSTED_ARGS")],
  "6.18:net/core/filter.c:bpf_kfunc_check_set_sock_ops": [k("bpf_sock_ops_enable_tx_tstamp", "KF_TRUSTED_ARGS")],
  // fs/bpf_fs_kfuncs.c (LSM): dentry xattrs
  "6.18:fs/bpf_fs_kfuncs.c:bpf_fs_kfunc_set_ids": [
    k("bpf_set_dentry_xattr", "KF_SLEEPABLE", "KF_TRUSTED_ARGS"), k("bpf_remove_dentry_xattr", "KF_SLEEPABLE", "KF_TRUSTED_ARGS"),
  ],
  // kernel/cgroup/rstat.c: cgroup_rstat_* renamed css_rstat_* (6.16)
  "6.18:kernel/cgroup/rstat.c:bpf_rstat_kfunc_ids": [k("css_rstat_updated"), k("css_rstat_flush", "KF_SLEEPABLE")],
};

export const KFUNC_ID_SETS_SINCE_612: Readonly<Record<string, { set: string; filter?: string }>> = {
  "6.18:common": { set: "6.18:kernel/bpf/helpers.c:common_btf_ids" },
  "6.18:generic": { set: "6.18:kernel/bpf/helpers.c:generic_btf_ids" },
  "6.18:rqspinlock": { set: "6.18:kernel/bpf/rqspinlock.c:rqspinlock_kfunc_ids" },
  "6.18:cpumask": { set: "6.18:kernel/bpf/cpumask.c:cpumask_kfunc_btf_ids" },
  "6.18:arena": { set: "6.18:kernel/bpf/arena.c:arena_kfuncs", filter: "bpf_arena_kfuncs_filter" },
  "6.18:xdp": { set: "6.18:net/core/filter.c:bpf_kfunc_check_set_xdp" },
  "6.18:skb_meta": { set: "6.18:net/core/filter.c:bpf_kfunc_check_set_skb_meta" },
  "6.18:sock_ops": { set: "6.18:net/core/filter.c:bpf_kfunc_check_set_sock_ops" },
  "6.18:fs": { set: "6.18:fs/bpf_fs_kfuncs.c:bpf_fs_kfunc_set_ids", filter: "bpf_fs_kfuncs_filter" },
  "6.18:rstat": { set: "6.18:kernel/cgroup/rstat.c:bpf_rstat_kfunc_ids" },
};

const reg = (progType: string, idSet: string): { progType: string; idSet: string } => ({ progType: `BPF_PROG_TYPE_${progType}`, idSet });

export const KFUNC_REGISTRATIONS_SINCE_612: readonly { progType: string; idSet: string; fmodret?: boolean }[] = [
  reg("UNSPEC", "6.18:common"), reg("UNSPEC", "6.18:rqspinlock"), reg("UNSPEC", "6.18:arena"),
  ...["TRACING", "SCHED_CLS", "XDP", "STRUCT_OPS", "SYSCALL", "CGROUP_SKB"].map((t) => reg(t, "6.18:generic")),
  ...["TRACING", "STRUCT_OPS", "SYSCALL"].map((t) => reg(t, "6.18:cpumask")),
  reg("XDP", "6.18:xdp"), reg("SCHED_CLS", "6.18:skb_meta"), reg("SCHED_ACT", "6.18:skb_meta"), reg("SOCK_OPS", "6.18:sock_ops"), reg("LSM", "6.18:fs"), reg("TRACING", "6.18:rstat"),
];

/**
 * In the 6.12 sets, not offered by the running 6.18: renamed (cgroup_rstat_*), moved to another set above
 * (the key kfuncs, the arena kfuncs), or configured out (bpf_verify_pkcs7_signature needs
 * CONFIG_SYSTEM_DATA_VERIFICATION).
 */
export const KFUNC_REMOVED_SINCE_612: readonly string[] = ["cgroup_rstat_updated", "cgroup_rstat_flush", "bpf_verify_pkcs7_signature"];
/** 6.12 id sets replaced by the ones above (their kfuncs are registered from there now). */
export const KFUNC_ID_SETS_REPLACED_SINCE_612: readonly string[] = ["kernel/trace/bpf_trace.c:bpf_key_sig_kfunc_set", "kernel/bpf/arena.c:common_kfunc_set"];

/**
 * Kfuncs the running kernel refuses at the call, after checking their arguments, with EPERM and
 * "<name>() is not allowed": this machine's 6.18 build does so for bpf_dynptr_slice_rdwr (every recorded
 * selftest calling it with valid arguments, tc, XDP and cgroup_skb alike); upstream 6.18 has no such check.
 */
export const KFUNCS_REFUSED_AT_CALL: readonly string[] = ["bpf_dynptr_slice_rdwr"];
