// (Node only) vmlinux.h for `bpfkit build`: every kernel type as C, dumped from the target BTF by
// `bpftool btf dump file BTF format c` and cached by the BTF's hash, so a second build is instant.
// Target BTF: `--btf FILE`, else the running kernel's /sys/kernel/btf/vmlinux, else the bundled default
// (data/btf/vmlinux-*.btf.gz of this package, when present).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { BpfkitError, diag } from "../diagnostics/index.js";

export const KERNEL_BTF = "/sys/kernel/btf/vmlinux";

/** Where bpfkit keeps generated files: $BPFKIT_CACHE_DIR, else $XDG_CACHE_HOME/bpfkit, else ~/.cache/bpfkit. */
export function cacheDir(): string {
  if (process.env.BPFKIT_CACHE_DIR) return process.env.BPFKIT_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "bpfkit");
}

/** The bundled default target BTF (data/btf/ of the package), when this checkout or package has one. */
export function bundledBtf(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "../../data/btf");
  if (!existsSync(dir)) return undefined;
  const f = readdirSync(dir).filter((n) => /^vmlinux-.*\.btf(\.gz)?$/.test(n)).sort()[0];
  return f ? join(dir, f) : undefined;
}

/** Which BTF a build targets, and how it was chosen (for the message). */
export function targetBtf(explicit?: string): { path: string; origin: string } {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new BpfkitError(diag("BK8106", { reason: `--btf ${explicit}: no such file` }), 2);
    return { path: explicit, origin: `the BTF in ${explicit}` };
  }
  try {
    accessSync(KERNEL_BTF, constants.R_OK);
    return { path: KERNEL_BTF, origin: "the running kernel's BTF" };
  } catch { /* no kernel BTF here (or not readable): the bundled default */ }
  const bundled = bundledBtf();
  if (bundled) return { path: bundled, origin: `bpfkit's bundled default BTF (${bundled.replace(/^.*\//, "")})` };
  throw new BpfkitError(diag("BK8106", { reason: `no target BTF: ${KERNEL_BTF} is not readable and bpfkit has no bundled default here` }, {},
    "give one with --btf FILE (a kernel's BTF, e.g. /sys/kernel/btf/vmlinux copied from the target machine)"), 2);
}

function bpftoolProblem(): string | undefined {
  const r = spawnSync(process.env.BPFTOOL ?? "bpftool", ["version"], { encoding: "utf8" });
  return r.error || r.status !== 0 ? `bpftool is not installed (Debian: apt-get install bpftool), or set BPFTOOL=/path/to/bpftool` : undefined;
}

/**
 * The directory holding vmlinux.h for this BTF, generating it on first use. The cache key is the BTF's
 * sha256, so a kernel update (new BTF) gets a new header and an old one is never reused by mistake.
 */
export function vmlinuxHeaderDir(btfPath: string): string {
  let bytes: Buffer;
  try { bytes = readFileSync(btfPath); } catch (err) {
    throw new BpfkitError(diag("BK8106", { reason: `cannot read ${btfPath} (${(err as NodeJS.ErrnoException).code ?? String(err)})` }), 2);
  }
  const raw = btfPath.endsWith(".gz") ? gunzipSync(bytes) : bytes;
  const key = createHash("sha256").update(raw).digest("hex").slice(0, 16);
  const dir = join(cacheDir(), "vmlinux", key);
  const header = join(dir, "vmlinux.h");
  if (existsSync(header)) return dir;
  const problem = bpftoolProblem();
  if (problem) throw new BpfkitError(diag("BK8106", { reason: problem }, {}, "or write vmlinux.h yourself (bpftool btf dump file /sys/kernel/btf/vmlinux format c) and pass its folder with -I"), 2);
  mkdirSync(dir, { recursive: true });
  // bpftool reads a file: a compressed default is unpacked next to the header first
  let source = btfPath;
  if (btfPath.endsWith(".gz")) { source = join(dir, "vmlinux.btf"); writeFileSync(source, raw); }
  const r = spawnSync(process.env.BPFTOOL ?? "bpftool", ["btf", "dump", "file", source, "format", "c"], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0 || !r.stdout.includes("__VMLINUX_H__")) {
    throw new BpfkitError(diag("BK8106", { reason: `bpftool btf dump file ${source} format c failed: ${(r.stderr || `exit ${r.status}`).trim().split("\n")[0]}` }), 2);
  }
  // written whole, then renamed: a build running at the same time never sees half a header
  const tmp = `${header}.${process.pid}.tmp`;
  writeFileSync(tmp, r.stdout);
  renameSync(tmp, header);
  return dir;
}
