// MapError: writing a map entry from user space failed (BPF_MAP_UPDATE_ELEM's answer), as a typed error
// that names the map, the key, the operation and the errno, instead of a bare -errno. `errno` keeps the
// number for tests that compare with the kernel.
import { BpfkitError, diag } from "../diagnostics/index.js";

const NAMES: Record<number, [name: string, text: string]> = {
  1: ["EPERM", "operation not permitted"], 2: ["ENOENT", "no such entry"], 7: ["E2BIG", "the map is full or the key is out of range"],
  11: ["EAGAIN", "try again"], 12: ["ENOMEM", "out of memory"], 13: ["EACCES", "permission denied"], 14: ["EFAULT", "bad address"],
  16: ["EBUSY", "busy"], 17: ["EEXIST", "the key exists"], 22: ["EINVAL", "invalid argument"], 28: ["ENOSPC", "no space left"],
  95: ["EOPNOTSUPP", "operation not supported"], 524: ["ENOTSUPP", "operation not supported for this map type"],
};

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export const mapErrnoName = (errno: number): string => NAMES[errno]?.[0] ?? `errno ${errno}`;

/** Why an update failed, for the person reading it: the errno's meaning, and what the flags asked for. */
function reasonFor(errno: number, flags: number): string {
  if (errno === 17 && flags === 1) return "the key exists and BPF_NOEXIST was given";
  if (errno === 2 && flags === 2) return "the key does not exist and BPF_EXIST was given";
  return NAMES[errno]?.[1] ?? "error";
}

export class MapError extends BpfkitError {
  /** The map's name. */
  readonly map: string;
  /** What was asked: `update`, `delete`, `lookup`. */
  readonly op: string;
  /** The positive errno (EEXIST = 17), as the kernel's map commands return it negated. */
  readonly errno: number;
  /** The key's bytes (empty when not known). */
  readonly key: Uint8Array;
  /** The key as printed in the message: by the map's BTF type where the caller knew it, else hex. */
  readonly keyText: string;
  constructor(map: string, op: string, errno: number, options: { key?: Uint8Array; keyText?: string; flags?: number; cause?: unknown } = {}) {
    const key = options.key ?? new Uint8Array(0);
    const keyText = options.keyText ?? hex(key);
    super(diag("BK9802", { map, op, key: keyText || "(none)", errno: mapErrnoName(errno), reason: reasonFor(errno, options.flags ?? 0) }), 2);
    this.name = "MapError";
    this.map = map;
    this.op = op;
    this.errno = errno;
    this.key = key;
    this.keyText = keyText;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
  /** `EEXIST`, `E2BIG`, ... */
  get errnoName(): string { return mapErrnoName(this.errno); }
}
