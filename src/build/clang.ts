// (Node only) `bpfkit build`: compile a BPF C file with clang-19 and the flags a BPF developer needs —
// `-target bpf -g -O2`, `-D__TARGET_ARCH_<arch>` for the host (bpf_tracing.h's PT_REGS macros), the
// host's multiarch include folder (asm/types.h), libbpf's headers (/usr/include/bpf, Debian's libbpf-dev),
// a vmlinux.h made from the target BTF when the source includes one, and `-fdebug-prefix-map` so no
// build path lands in the object. clang's own diagnostics are shown as clang prints them.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { BpfkitError, diag } from "../diagnostics/index.js";
import { targetBtf, vmlinuxHeaderDir } from "./vmlinux-header.js";

export interface BuildOptions {
  /** Output object (default: the source with .c replaced by .o, next to it). */
  output?: string;
  /** Extra include folders (-I), searched before the defaults: libbpf headers elsewhere, own headers. */
  includes?: string[];
  /** Extra macros (-D NAME or NAME=VALUE). */
  defines?: string[];
  /** More clang arguments, passed as they are (`-mcpu=v3`, `-Wall`). */
  clangArgs?: string[];
  /** Target BTF for vmlinux.h (default: the running kernel's, else bpfkit's bundled one). */
  btf?: string;
  /** The clang to run (default $CLANG, else clang-19). */
  clang?: string;
}

export interface BuildResult {
  output: string;
  /** The clang command line, as run. */
  command: string[];
  /** The folder of the generated vmlinux.h, when the source needed one. */
  vmlinuxDir?: string;
  /** Where the vmlinux.h types came from (`the running kernel's BTF`, ...). */
  btfOrigin?: string;
}

/** clang's name for the host in `__TARGET_ARCH_*` (bpf_tracing.h), from Node's process.arch. */
export function targetArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: "x86", ia32: "x86", arm64: "arm64", arm: "arm", s390x: "s390", ppc64: "powerpc", riscv64: "riscv", loong64: "loongarch", mips: "mips", mipsel: "mips" };
  return map[arch] ?? arch;
}

/** Debian's multiarch folder of the host (<asm/types.h> lives there; -target bpf does not search it). */
function multiarchInclude(): string | undefined {
  const triple: Record<string, string> = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", arm: "arm-linux-gnueabihf", s390x: "s390x-linux-gnu", ppc64: "powerpc64le-linux-gnu", riscv64: "riscv64-linux-gnu" };
  const t = triple[process.arch];
  return t && existsSync(`/usr/include/${t}`) ? `/usr/include/${t}` : undefined;
}

/** Does the source include vmlinux.h (`#include "vmlinux.h"` or `<vmlinux.h>`)? */
export function includesVmlinux(source: string): boolean {
  return /^\s*#\s*include\s*["<]vmlinux\.h[">]/m.test(source);
}

function clangProblem(clang: string): string | undefined {
  const r = spawnSync(clang, ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `${clang} is not installed (Debian: apt-get install clang-19), or set CLANG=/path/to/clang`;
  return undefined;
}

/** Compile `file`; throws BK8104 (no clang, bad input) or BK8105 (clang's own errors, already shown). */
export function buildObject(file: string, options: BuildOptions = {}): BuildResult {
  const clang = options.clang ?? process.env.CLANG ?? "clang-19";
  if (!existsSync(file)) throw new BpfkitError(diag("BK8104", { reason: `${file}: no such file` }, { file }), 2);
  const problem = clangProblem(clang);
  if (problem) throw new BpfkitError(diag("BK8104", { reason: problem }), 2);
  const source = readFileSync(file, "utf8");
  const output = options.output ?? join(dirname(file), basename(file).replace(/\.c$/, "") + ".o");
  const cwd = process.cwd();
  const srcDir = resolve(dirname(file));
  const includes = [...(options.includes ?? [])];
  const result: BuildResult = { output, command: [] };
  // a vmlinux.h of the user's own (next to the source or in an -I folder) wins over a generated one
  const ownHeader = [srcDir, ...includes].some((d) => existsSync(join(d, "vmlinux.h")));
  if (includesVmlinux(source) && !ownHeader) {
    const btf = targetBtf(options.btf);
    result.vmlinuxDir = vmlinuxHeaderDir(btf.path);
    result.btfOrigin = btf.origin;
  }
  const args = [
    "-target", "bpf", "-g", "-O2",
    `-D__TARGET_ARCH_${targetArch()}`,
    ...includes.flatMap((d) => ["-I", d]),
    ...(result.vmlinuxDir ? ["-I", result.vmlinuxDir] : []),
    ...(multiarchInclude() ? ["-idirafter", multiarchInclude()!] : []),
    ...(options.defines ?? []).map((d) => `-D${d}`),
    // no build path in the object: this folder and the source's become ".", the header cache "vmlinux"
    `-fdebug-prefix-map=${cwd}=.`, ...(srcDir !== cwd ? [`-fdebug-prefix-map=${srcDir}=.`] : []),
    ...(result.vmlinuxDir ? [`-fdebug-prefix-map=${result.vmlinuxDir}=vmlinux`] : []),
    "-fdebug-compilation-dir=.",
    ...(options.clangArgs ?? []),
    "-c", isAbsolute(file) && resolve(file).startsWith(cwd + "/") ? relative(cwd, file) : file, "-o", output,
  ];
  result.command = [clang, ...args];
  // clang's diagnostics go to our stderr as clang writes them (file:line:col); we only read the exit code
  const r = spawnSync(clang, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    const hint = /^\s*#\s*include\s*<bpf\//m.test(source) && !includes.some((d) => existsSync(join(d, "bpf/bpf_helpers.h"))) && !existsSync("/usr/include/bpf/bpf_helpers.h")
      ? "libbpf's headers are missing: install Debian's libbpf-dev (/usr/include/bpf), or give their folder with -I"
      : undefined;
    throw new BpfkitError(diag("BK8105", { file, status: r.status ?? -1 }, { file }, hint), 1);
  }
  return result;
}
