// The raw system interface: bpf(2) through libc's syscall(), plus the few libc calls the kernel backend
// needs (close, setsockopt, mount, if_nametoindex). koffi is loaded lazily so that importing bpfkit on a
// machine without it (or not on Linux) works; the first kernel call then says the backend is unavailable.
import { closeSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { KernelError, unavailable } from "./errors.js";

interface Libc {
  syscall: (nr: number, cmd: number, attr: Uint8Array, size: number) => number;
  close: (fd: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: Uint8Array, len: number) => number;
  mount: (source: string, target: string, fstype: string, flags: number, data: null) => number;
  if_nametoindex: (name: string) => number;
  setns: (fd: number, nstype: number) => number;
  errno: () => number;
  address: (value: Uint8Array) => bigint;
}

const BPF_SYSCALL: Record<string, number> = { x64: 321, arm64: 280, ia32: 357, arm: 386, riscv64: 280, ppc64: 361, s390x: 351 };

let libc: Libc | undefined;
let failure: string | undefined;

/** Why the kernel backend cannot be used here, or undefined when it can. */
export function kernelBackendProblem(): string | undefined {
  if (libc) return undefined;
  if (failure) return failure;
  try {
    load();
    return undefined;
  } catch {
    return failure;
  }
}

function load(): Libc {
  if (libc) return libc;
  if (failure) throw unavailable(failure);
  if (process.platform !== "linux") failure = `bpf(2) exists only on Linux (this is ${process.platform})`;
  else if (BPF_SYSCALL[process.arch] === undefined) failure = `no bpf(2) syscall number known for ${process.arch}`;
  else {
    try {
      const require = createRequire(import.meta.url);
      const koffi = require("koffi") as typeof import("koffi");
      const lib = koffi.load("libc.so.6");
      const nr = BPF_SYSCALL[process.arch]!;
      const syscall = lib.func("long syscall(long, int, void *, unsigned int)");
      libc = {
        syscall: (_nr, cmd, attr, size) => Number(syscall(nr, cmd, attr, size)),
        close: lib.func("int close(int)"),
        setsockopt: lib.func("int setsockopt(int, int, int, void *, unsigned int)"),
        mount: lib.func("int mount(const char *, const char *, const char *, unsigned long, void *)"),
        if_nametoindex: lib.func("unsigned int if_nametoindex(const char *)"),
        setns: lib.func("int setns(int, int)"),
        errno: () => koffi.errno(),
        address: (v) => koffi.address(v),
      };
      return libc;
    } catch (err) {
      failure = `cannot load libc through koffi: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  throw unavailable(failure!);
}

/** Address of a buffer's first byte, to store in a bpf_attr field. */
export const addressOf = (buf: Uint8Array): bigint => load().address(buf);

/**
 * bpf(cmd, attr, attr.length): the result (>= 0) or -errno. No exception: hot paths (map iteration,
 * the verifier recorder's thousands of loads) test for ENOENT/EACCES themselves.
 * The caller keeps every buffer whose address is in `attr` referenced until this returns.
 */
export function bpfRaw(cmd: number, attr: Uint8Array): number {
  const c = load();
  const ret = c.syscall(0, cmd, attr, attr.length);
  return ret < 0 ? -c.errno() : ret;
}

/** bpf(2) that throws a KernelError naming the command. */
export function bpf(cmd: number, attr: Uint8Array, command: string): number {
  const ret = bpfRaw(cmd, attr);
  if (ret < 0) throw new KernelError(command, -ret);
  return ret;
}

/** close(2); errors are ignored (an fd is closed at most once by its owner). */
export function closeFd(fd: number): void {
  if (fd >= 0 && libc) libc.close(fd);
}

/** setsockopt(2) with raw option bytes; throws a KernelError naming the option. */
export function setsockopt(fd: number, level: number, name: number, value: Uint8Array, what: string): void {
  const c = load();
  if (c.setsockopt(fd, level, name, value, value.length) < 0) throw new KernelError(`setsockopt(${what})`, c.errno());
}

/** mount(2); throws a KernelError. */
export function mount(source: string, target: string, fstype: string): void {
  const c = load();
  if (c.mount(source, target, fstype, 0, null) < 0) throw new KernelError(`mount(${fstype} on ${target})`, c.errno());
}

/** Interface index by name (in the current network namespace), 0 when absent. */
export function ifNameToIndex(name: string): number {
  return load().if_nametoindex(name);
}

const CLONE_NEWNET = 0x40000000;

/**
 * Run `fn` with this thread in the network namespace `netns` (a name under /run/netns or a path), then
 * come back. bpf(2) resolves ifindexes in the caller's namespace; attachments made inside stay when the
 * thread leaves. Only the main thread moves (libuv's pool keeps the host namespace), and `fn` must be
 * synchronous so no other JavaScript runs while the thread is elsewhere.
 */
export function inNetns<T>(netns: string | undefined, fn: () => T): T {
  if (!netns) return fn();
  const c = load();
  const path = netns.includes("/") ? netns : `/run/netns/${netns}`;
  let target: number;
  try {
    target = openSync(path, "r");
  } catch {
    throw new KernelError(`open(${path})`, 2, { hint: "no such network namespace (see `ip netns list`)" });
  }
  const home = openSync("/proc/thread-self/ns/net", "r");
  try {
    if (c.setns(target, CLONE_NEWNET) < 0) throw new KernelError(`setns(${netns})`, c.errno());
    try {
      return fn();
    } finally {
      if (c.setns(home, CLONE_NEWNET) < 0) throw new KernelError("setns(back to the original network namespace)", c.errno());
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}
