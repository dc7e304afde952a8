// Helpers a program type is offered but that the kernel then checks per program, through their
// prototype's `allowed` callback (check_helper_call: "helper call is not allowed in probe"). Facts from the
// Linux 6.12 sources:
// - bpf_d_path (kernel/trace/bpf_trace.c bpf_d_path_allowed): iterators; LSM programs on a sleepable
//   hook; other tracing programs only on the functions of btf_allowlist_d_path.
// - bpf_ima_inode_hash, bpf_ima_file_hash (kernel/bpf/bpf_lsm.c bpf_ima_inode_hash_allowed): LSM
//   programs on a sleepable hook.
// - bpf_sk_storage_get/delete, tracing variants (net/core/bpf_sk_storage.c bpf_sk_storage_tracing_allowed):
//   iterators and tp_btf; fentry/fexit unless the target is a bpf_sk_storage* function; nothing else.
// The sleepable LSM hooks (bpf_lsm.c sleepable_lsm_hooks) also say which `lsm.s/` targets may sleep.

/** bpf_lsm.c's sleepable_lsm_hooks, as the BTF FUNC names the attach ids point to. */
export const SLEEPABLE_LSM_HOOKS: ReadonlySet<string> = new Set([
  "bpf", "bpf_map", "bpf_map_create", "bpf_map_free", "bpf_prog", "bpf_prog_load", "bpf_token_create", "bpf_token_free",
  "bpf_token_cmd", "bpf_token_capable", "bprm_check_security", "bprm_committed_creds", "bprm_committing_creds",
  "bprm_creds_for_exec", "bprm_creds_from_file", "capget", "capset", "cred_prepare", "file_ioctl", "file_lock", "file_open",
  "file_post_open", "file_receive", "inode_create", "inode_free_security", "inode_getattr", "inode_getxattr", "inode_mknod",
  "inode_need_killpriv", "inode_post_setxattr", "inode_readlink", "inode_rename", "inode_rmdir", "inode_setattr",
  "inode_setxattr", "inode_symlink", "inode_unlink", "kernel_module_request", "kernel_read_file", "kernfs_init_security",
  "path_unlink", "path_mkdir", "path_rmdir", "path_truncate", "path_symlink", "path_link", "path_rename", "path_chmod",
  "path_chown", "mmap_file", "netlink_send", "path_notify", "release_secctx", "sb_alloc_security", "sb_eat_lsm_opts",
  "sb_kern_mount", "sb_mount", "sb_remount", "sb_set_mnt_opts", "sb_show_options", "sb_statfs", "sb_umount", "settime",
  "socket_accept", "socket_bind", "socket_connect", "socket_create", "socket_getpeername", "socket_getpeersec_dgram",
  "socket_getsockname", "socket_getsockopt", "socket_listen", "socket_post_create", "socket_recvmsg", "socket_sendmsg",
  "socket_shutdown", "socket_socketpair", "syslog", "task_alloc", "current_getsecid_subj", "task_getsecid_obj",
  "task_prctl", "task_setscheduler", "userns_create",
].map((h) => `bpf_lsm_${h}`));

/**
 * Functions of vmlinux on the error-injection list (ALLOW_ERROR_INJECTION in the 6.12 sources; with
 * CONFIG_FUNCTION_ERROR_INJECTION) besides the x86-64 syscall stubs (`__x64_sys_*`, `__ia32_sys_*`): a
 * sleepable fentry/fexit/fmod_ret program may attach to these (bpf_check_attach_target), except those of
 * btf_non_sleepable_error_inject, which may run in atomic context.
 */
export const ERROR_INJECTION_FUNCS: ReadonlySet<string> = new Set([
  "__filemap_add_folio", "should_fail_alloc_page", "should_failslab", "should_fail_bio", "page_pool_alloc_pages", "open_ctree",
  "btrfs_check_leaf", "btrfs_check_node", "btrfs_cow_block", "btrfs_search_slot", "btrfs_should_cancel_balance", "io_ctl_init",
  "mtd_block_markbad", "mtd_erase", "mtd_read", "mtd_write",
]);
/** btf_non_sleepable_error_inject, with the kernel option each entry needs (undefined: always). */
export const NON_SLEEPABLE_ERROR_INJECT: Readonly<Record<string, string | undefined>> = {
  __filemap_add_folio: undefined, should_fail_alloc_page: "CONFIG_FAIL_PAGE_ALLOC", should_failslab: "CONFIG_FAILSLAB",
};

/** bpf_trace.c's btf_allowlist_d_path (CONFIG_SECURITY and CONFIG_SECURITY_PATH set). */
const D_PATH_ALLOWLIST: ReadonlySet<string> = new Set([
  "security_file_permission", "security_inode_getattr", "security_file_open", "security_path_truncate",
  "vfs_truncate", "vfs_fallocate", "dentry_open", "vfs_getattr", "filp_close",
]);

const PROG_TRACING = 26, PROG_LSM = 29;
const ATTACH = { RAW_TP: 23, FENTRY: 24, FEXIT: 25, ITER: 28 } as const;

/** The helpers (short names) whose prototype has an `allowed` callback. */
export const HELPERS_WITH_ALLOWED: ReadonlySet<string> = new Set(["d_path", "ima_inode_hash", "ima_file_hash", "sk_storage_get", "sk_storage_delete"]);

export interface AllowedContext {
  progType: number;
  attachType?: number;
  /** The attach target's BTF FUNC name (`bpf_lsm_file_open`, `vfs_getattr`), when the program has one. */
  attachFunc?: string;
}

/**
 * The helper's `allowed` callback for this program: true or false, or undefined when the helper has none
 * (short name, as in the helper table: `d_path`).
 */
export function helperAllowedFor(shortName: string, ctx: AllowedContext): boolean | undefined {
  const fn = ctx.attachFunc ?? "";
  switch (shortName) {
    case "d_path":
      if (ctx.progType === PROG_TRACING && ctx.attachType === ATTACH.ITER) return true;
      if (ctx.progType === PROG_LSM) return SLEEPABLE_LSM_HOOKS.has(fn);
      return D_PATH_ALLOWLIST.has(fn);
    case "ima_inode_hash":
    case "ima_file_hash":
      return SLEEPABLE_LSM_HOOKS.has(fn);
    case "sk_storage_get":
    case "sk_storage_delete":
      if (ctx.progType !== PROG_TRACING) return undefined;
      if (ctx.attachType === ATTACH.ITER || ctx.attachType === ATTACH.RAW_TP) return true;
      if (ctx.attachType === ATTACH.FENTRY || ctx.attachType === ATTACH.FEXIT) return !fn.startsWith("bpf_sk_storage");
      return false;
    default:
      return undefined;
  }
}
