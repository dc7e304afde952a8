// The kernel an object is loaded for: its BTF (the target of CO-RE relocations, kfunc and typed .ksyms
// BTF ids), its configuration (.kconfig externs), its release (LINUX_KERNEL_VERSION) and its symbol
// addresses (typeless .ksyms). The ELF loader only asks; src/load builds one from --btf/--kconfig, the
// running kernel or the bundled defaults (Node), or from bytes the caller already has (browser).
import type { Btf } from "../btf/btf.js";

export type TargetSource = "file" | "kernel" | "bundled" | "custom";

export interface TargetKernel {
  /** The target BTF, opened on first use (a vmlinux BTF is 5 MB; objects without CO-RE or externs never ask). */
  btf(): Btf;
  /** Where the BTF comes from: --btf FILE, the running kernel, the bundled default, or a caller's own. */
  source: TargetSource;
  /** For reports: `running kernel (/sys/kernel/btf/vmlinux)`, `bundled default (Linux 6.18 x86_64)`, `--btf x.btf`. */
  description: string;
  /** `uname -r` of the target (LINUX_KERNEL_VERSION), when known. */
  release?: string;
  /** Kernel configuration in .config format (CONFIG_X=y lines) and where it came from, on first use. */
  kconfig?(): { text: string; source: string } | undefined;
  /**
   * Kernel symbol addresses (typeless .ksyms), for the names asked: every address /proc/kallsyms lists
   * for each (a `d` symbol `name.llvm.123` counts as `name`). Absent when no symbol table is readable.
   */
  kallsyms?(names: readonly string[]): Map<string, { addr: bigint; type: string }[]> | undefined;
}

/** A target built from a BTF the caller already holds (tests, the playground). */
export function targetFromBtf(btf: Btf, description = "caller-supplied BTF", extra: Partial<Omit<TargetKernel, "btf">> = {}): TargetKernel {
  return { source: "custom", description, ...extra, btf: () => btf };
}

/**
 * Placeholder address for a strong typeless .ksyms symbol when no kernel symbol table is readable (browser,
 * the bundled target, or a --btf target that is not this kernel): a constant inside the x86-64 kernel text
 * mapping, so a program sees a non-NULL scalar as it would with libbpf's real address. A weak one is 0.
 */
export const KSYM_PLACEHOLDER_ADDR = 0xffffffff81000000n;

/** KERNEL_VERSION(a, b, c) from a release string such as `6.18.44-fc-v1272` (libbpf's get_kernel_version); 0 if it does not parse. */
export function kernelVersionCode(release: string | undefined): number {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(release ?? "");
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3]), 255);
}
