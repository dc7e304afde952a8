// (Node only) Which kernel an object is relocated for, as bpfkit's commands choose it:
//   1. `--btf FILE` (raw BTF, an ELF with .BTF, either possibly gzip-compressed);
//   2. else the running kernel's /sys/kernel/btf/vmlinux, when readable;
//   3. else the bundled default, Linux 6.18 x86-64 (data/btf/vmlinux-6.18-x86_64.btf.gz).
// `deploy` (forKernel) never falls back to the bundled BTF: its kfunc and ksym ids must be this kernel's.
// The kernel configuration for .kconfig externs: `--kconfig FILE`; else, for the running kernel,
// /boot/config-$(uname -r) or /proc/config.gz; else the bundled configuration recorded with the default BTF.
// Typeless .ksyms take their addresses from /proc/kallsyms when the target is the running kernel.
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { Btf } from "../btf/btf.js";
import type { TargetKernel } from "../elf/target.js";
import { btfFromBytes, isGzip } from "./target-btf.js";

export interface TargetOptions {
  /** `--btf FILE`. */
  btf?: string;
  /** `--kconfig FILE`. */
  kconfig?: string;
  /** For loading into this kernel (deploy): the running kernel's BTF or --btf, never the bundled default. */
  forKernel?: boolean;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** The bundled default target: the BTF and configuration of the Linux 6.18 x86-64 kernel they were recorded on. */
export const BUNDLED = {
  btf: join(root, "data/btf/vmlinux-6.18-x86_64.btf.gz"),
  kconfig: join(root, "data/kconfig/config-6.18-x86_64.gz"),
  release: "6.18.44-fc-v1272",
  description: "bundled default (Linux 6.18 x86_64)",
} as const;
export const KERNEL_BTF = "/sys/kernel/btf/vmlinux";

// node:zlib on first use: most commands never open a compressed target (start-up time, issue #15 item 9)
const gunzip = (b: Uint8Array): Uint8Array => new Uint8Array((createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib")).gunzipSync(b));

function readOrFail(file: string, code: "BK4101" | "BK4103", hint: string): Uint8Array {
  try { return new Uint8Array(readFileSync(file)); } catch (err) {
    throw new BpfkitError(diag(code, { file, reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` }, { file }, hint), 2);
  }
}

/** Can this file be read: open it and read its first byte (reading the whole of /sys/kernel/btf/vmlinux, 5 MB, took ~90 ms). */
function readable(file: string): boolean {
  try {
    const fd = openSync(file, "r");
    try { readSync(fd, new Uint8Array(1), 0, 1, 0); } finally { closeSync(fd); }
    return true;
  } catch { return false; }
}

/** Cached BTF per file (the CLI and test runs open the same vmlinux BTF many times). */
const btfCache = new Map<string, Btf>();
function openBtf(file: string): Btf {
  let btf = btfCache.get(file);
  if (!btf) {
    btf = btfFromBytes(readOrFail(file, "BK4101", "give a raw BTF file, an ELF object with .BTF, or either gzip-compressed"), file, gunzip);
    btfCache.set(file, btf);
  }
  return btf;
}

/** Kernel configurations read, by file: like the BTF, read and decompressed once per process whoever asks. */
const kconfigCache = new Map<string, string>();

function textOf(file: string): string {
  let text = kconfigCache.get(file);
  if (text === undefined) {
    const b = readOrFail(file, "BK4103", "give a kernel .config file (plain or gzip-compressed)");
    try { text = new TextDecoder().decode(isGzip(b) ? gunzip(b) : b); } catch (err) {
      throw new BpfkitError(diag("BK4103", { file, reason: `gzip data is corrupt (${(err as Error).message})` }, { file }), 2);
    }
    kconfigCache.set(file, text);
  }
  return text;
}

/** The running kernel's configuration, as libbpf looks for it: /boot/config-$(uname -r), then /proc/config.gz. */
function systemKconfig(): { text: string; source: string } | undefined {
  for (const f of [`/boot/config-${release()}`, "/proc/config.gz"]) {
    if (existsSync(f) && readable(f)) return { text: textOf(f), source: f };
  }
  return undefined;
}

function bundledKconfig(): { text: string; source: string } {
  return { text: textOf(BUNDLED.kconfig), source: `bundled configuration (Linux 6.18 x86_64, ${BUNDLED.kconfig.slice(root.length + 1)})` };
}

/** /proc/kallsyms addresses of the names asked (a `d` symbol `x.llvm.N` counts as `x`), as libbpf reads it. */
function kallsyms(names: readonly string[]): Map<string, { addr: bigint; type: string }[]> | undefined {
  let text: string;
  try { text = readFileSync("/proc/kallsyms", "utf8"); } catch { return undefined; }
  const want = new Set(names);
  const out = new Map<string, { addr: bigint; type: string }[]>();
  for (const line of text.split("\n")) {
    const sp1 = line.indexOf(" ");
    const sp2 = line.indexOf(" ", sp1 + 1);
    if (sp1 < 0 || sp2 < 0) continue;
    let name = line.slice(sp2 + 1);
    const tab = name.indexOf("\t");
    if (tab >= 0) name = name.slice(0, tab);
    const type = line.slice(sp1 + 1, sp2);
    const llvm = name.indexOf(".llvm.");
    if (type === "d" && llvm >= 0) name = name.slice(0, llvm);
    if (!want.has(name)) continue;
    const list = out.get(name) ?? [];
    list.push({ addr: BigInt("0x" + line.slice(0, sp1)), type });
    out.set(name, list);
  }
  return out;
}

/** Choose the target kernel for these options (nothing is read until the loader asks). */
export function resolveTarget(options: TargetOptions = {}): TargetKernel {
  const kconfigFrom = (fallback: () => { text: string; source: string } | undefined) => () =>
    options.kconfig !== undefined ? { text: textOf(options.kconfig), source: options.kconfig } : fallback();
  if (options.btf !== undefined) {
    const file = options.btf;
    return {
      source: "file", description: `--btf ${file}`, release: release(),
      btf: () => openBtf(file),
      kconfig: kconfigFrom(() => systemKconfig() ?? bundledKconfig()),
    };
  }
  if (readable(KERNEL_BTF)) {
    return {
      source: "kernel", description: `running kernel (${KERNEL_BTF}, ${release()})`, release: release(),
      btf: () => openBtf(KERNEL_BTF),
      kconfig: kconfigFrom(() => systemKconfig() ?? bundledKconfig()),
      kallsyms,
    };
  }
  if (options.forKernel) {
    throw new BpfkitError(diag("BK4101", { file: KERNEL_BTF, reason: "it is not readable, and loading into this kernel needs this kernel's BTF ids" }, { file: KERNEL_BTF },
      "give the running kernel's BTF with --btf FILE"), 2);
  }
  return {
    source: "bundled", description: BUNDLED.description, release: BUNDLED.release,
    btf: () => openBtf(BUNDLED.btf),
    kconfig: kconfigFrom(bundledKconfig),
  };
}

/** The bundled default target, whatever this machine runs (tests and parity checks against recorded data). */
export function bundledTarget(options: Pick<TargetOptions, "kconfig"> = {}): TargetKernel {
  return {
    source: "bundled", description: BUNDLED.description, release: BUNDLED.release,
    btf: () => openBtf(BUNDLED.btf),
    kconfig: () => (options.kconfig !== undefined ? { text: textOf(options.kconfig), source: options.kconfig } : bundledKconfig()),
  };
}
