// KernelError: a failed bpf(2) (or related) call, named after the command that failed, with the errno
// name and a hint written for the person at the terminal (aya style: the error says which syscall).
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";

/** Linux errno numbers bpf(2) and the attach paths actually return (asm-generic/errno*.h). */
const ERRNO_NAMES: Record<number, [name: string, text: string]> = {
  1: ["EPERM", "operation not permitted"], 2: ["ENOENT", "no such file or entry"], 3: ["ESRCH", "no such process"],
  4: ["EINTR", "interrupted"], 5: ["EIO", "i/o error"], 6: ["ENXIO", "no such device or address"],
  7: ["E2BIG", "argument list too long"], 9: ["EBADF", "bad file descriptor"], 11: ["EAGAIN", "try again"],
  12: ["ENOMEM", "out of memory"], 13: ["EACCES", "permission denied"], 14: ["EFAULT", "bad address"],
  16: ["EBUSY", "device or resource busy"], 17: ["EEXIST", "already exists"], 18: ["EXDEV", "cross-device link"],
  19: ["ENODEV", "no such device"], 20: ["ENOTDIR", "not a directory"], 21: ["EISDIR", "is a directory"],
  22: ["EINVAL", "invalid argument"], 23: ["ENFILE", "file table overflow"], 24: ["EMFILE", "too many open files"],
  25: ["ENOTTY", "not a typewriter"], 27: ["EFBIG", "file too large"], 28: ["ENOSPC", "no space left"],
  34: ["ERANGE", "result out of range"], 36: ["ENAMETOOLONG", "name too long"], 38: ["ENOSYS", "function not implemented"],
  39: ["ENOTEMPTY", "directory not empty"], 40: ["ELOOP", "too many symbolic links"], 61: ["ENODATA", "no data"],
  71: ["EPROTO", "protocol error"], 75: ["EOVERFLOW", "value too large"], 77: ["EBADFD", "file descriptor in bad state"],
  88: ["ENOTSOCK", "not a socket"], 95: ["EOPNOTSUPP", "operation not supported"], 97: ["EAFNOSUPPORT", "address family not supported"],
  98: ["EADDRINUSE", "address in use"], 100: ["ENETDOWN", "network is down"], 105: ["ENOBUFS", "no buffer space"],
  110: ["ETIMEDOUT", "timed out"], 114: ["EALREADY", "already in progress"],
  524: ["ENOTSUPP", "operation not supported (kernel-internal ENOTSUPP)"],
};

export const errnoName = (errno: number): string => ERRNO_NAMES[errno]?.[0] ?? `errno ${errno}`;
export const errnoText = (errno: number): string => ERRNO_NAMES[errno]?.[1] ?? "unknown error";
export const ERRNO = { EPERM: 1, ENOENT: 2, EBADF: 9, EAGAIN: 11, EACCES: 13, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, E2BIG: 7, EOPNOTSUPP: 95, ENOTSUPP: 524 } as const;

/** A hint for the common failures, by command and errno. */
export function hintFor(command: string, errno: number): string | undefined {
  if (errno === ERRNO.EPERM) return "bpf(2) needs root or CAP_BPF (plus CAP_NET_ADMIN for networking programs, CAP_PERFMON for tracing); also check kernel.unprivileged_bpf_disabled and the memlock limit";
  if (command === "BPF_PROG_LOAD" && (errno === ERRNO.EACCES || errno === ERRNO.EINVAL)) return "the verifier log above says why the program was rejected";
  if (errno === ERRNO.ENOSPC && command === "BPF_PROG_LOAD") return "the verifier log did not fit in the buffer (bpfkit retries with a larger one)";
  if (errno === ERRNO.E2BIG && command === "BPF_MAP_CREATE") return "key or value size or max_entries is too large for this map type";
  if (errno === ERRNO.ENOTSUPP && command === "BPF_PROG_TEST_RUN") return "BPF_PROG_TEST_RUN does not support this program type (sock_ops, sk_msg, sk_skb run only on live sockets)";
  if (errno === ERRNO.ENOENT && (command === "BPF_MAP_LOOKUP_ELEM" || command === "BPF_MAP_DELETE_ELEM")) return "the key is not in the map";
  if (errno === ERRNO.ENOENT && command === "BPF_OBJ_GET") return "nothing is pinned at that path (is bpffs mounted at /sys/fs/bpf?)";
  if (errno === ERRNO.EEXIST && command === "BPF_OBJ_PIN") return "something is already pinned at that path";
  if (errno === ERRNO.EBUSY && command === "BPF_LINK_CREATE") return "another program is already attached there in a mode that excludes this one";
  if (errno === ERRNO.EOPNOTSUPP && command === "BPF_LINK_CREATE") return "the device or attach mode does not support this (native XDP needs driver support; try --mode skb)";
  return undefined;
}

/** A failed kernel call. `command` is the syscall's name (`BPF_PROG_LOAD`, `setsockopt(SO_ATTACH_BPF)`). */
export class KernelError extends BpfkitError {
  readonly command: string;
  readonly errno: number;
  /** The verifier's (or BTF loader's) log, when the kernel wrote one. */
  readonly log?: string;
  constructor(command: string, errno: number, options: { log?: string; diagnostics?: Diagnostic[]; hint?: string; exitCode?: 1 | 2 } = {}) {
    const head = diag("BK7002", { command, errno: errnoName(errno), text: errnoText(errno) }, {}, options.hint ?? hintFor(command, errno));
    super([...(options.diagnostics ?? []), head], options.exitCode ?? 2);
    this.name = "KernelError";
    this.command = command;
    this.errno = errno;
    if (options.log !== undefined) this.log = options.log;
  }
  get errnoName(): string {
    return errnoName(this.errno);
  }
}

/** The kernel backend cannot work here (not Linux, koffi missing, ...). */
export function unavailable(reason: string): BpfkitError {
  return new BpfkitError(diag("BK7001", { reason }), 2);
}
