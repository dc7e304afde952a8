// `--btf FILE` and `--kconfig FILE`, shared by the commands that open ELF objects (verify, run, inspect,
// disasm, deploy): which kernel CO-RE relocations, kfunc/.ksyms BTF ids and .kconfig values are for.
// Without them: the running kernel's BTF and configuration when readable, else the bundled Linux 6.18 ones.
import type { Command } from "commander";
import type { TargetOptions } from "../load/target-node.js";

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option("--btf <file>", "target BTF for CO-RE and kfuncs: raw BTF (/sys/kernel/btf/vmlinux), an ELF with .BTF, or either gzipped (default: the running kernel's, else the bundled Linux 6.18 BTF)")
    .option("--kconfig <file>", "kernel configuration for .kconfig externs (default: /boot/config-$(uname -r) or /proc/config.gz, else the bundled one)");
}

export function targetOptions(opts: { btf?: string; kconfig?: string }, forKernel = false): TargetOptions {
  return { ...(opts.btf !== undefined ? { btf: opts.btf } : {}), ...(opts.kconfig !== undefined ? { kconfig: opts.kconfig } : {}), ...(forKernel ? { forKernel } : {}) };
}
