// Records the kernel's verdicts on the kfunc / dynptr / iterator / BTF-pointer / global-argument fixtures
// (test/fixtures/verifier/kfuncs/*.bpf.c): compiles each with clang-19 (libbpf 1.5's headers from the
// kernel tree, a vmlinux.h dumped from the bundled data/btf BTF) into a .bpf.o next to it (committed,
// stripped of DWARF),
// loads every program on its own through libbpf 1.5 (scripts/verifier-selftests/libbpf-load.c: kfuncs
// resolved by libbpf, attach targets, `devbound_*` XDP programs bound to lo) and writes
// test/fixtures/verifier/kfuncs/<name>.json: the object's BTF once, and per program what BPF_PROG_LOAD
// received (instructions with map indexes, maps, func info, type, attach BTF id, flags) with the kernel's
// verdict, errno, first error line and processed count. test/verifier/kfunc-programs.test.ts replays them.
//
//   npx tsx scripts/record-verifier-kfuncs.ts [--no-compile] [--only NAME] [--work DIR]
//
// Needs root (bpf(2)), clang-19, gcc, make, bpftool, libelf-dev, zlib; the running kernel's BTF must be the
// bundled one (the kfunc BTF ids are the running kernel's).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { type LibbpfRecord, kernelOf } from "../test/support/libbpf-records.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const KFUNC_DIR = join(root, "test/fixtures/verifier/kfuncs");
const BUNDLED = join(root, "data/btf/vmlinux-6.18-x86_64.btf.gz");
const SRC = "/work/kernel-src/linux-source-6.12";
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
const WORK = opt("--work", "/tmp/bpfkit-kfunc-fixtures");
const CLANG = process.env.CLANG ?? "clang-19";

const run = (cmd: string, argv: string[], cwd?: string): string =>
  execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30, ...(cwd ? { cwd } : {}) });

/** One recorded program of a fixture (the object's BTF is stored once, next to the programs). */
export interface KfuncFixtureProgram extends Omit<LibbpfRecord, "btf" | "log" | "libbpf" | "object"> {
  kernel: { verdict: "accept" | "reject"; errno: number; error?: string; processed?: number };
}
export interface KfuncFixture { object: string; btf: string; programs: KfuncFixtureProgram[] }

function toolchain(): { tool: string; inc: string[] } {
  const prefix = join(WORK, "libbpf");
  if (!existsSync(join(prefix, "usr/lib64/libbpf.a"))) {
    mkdirSync(join(WORK, "libbpf-build"), { recursive: true });
    run("make", ["-C", join(SRC, "tools/lib/bpf"), "-j2", `OUTPUT=${join(WORK, "libbpf-build")}/`, `DESTDIR=${prefix}`, "prefix=/usr", "BUILD_STATIC_ONLY=1", "install"]);
  }
  const gen = join(WORK, "gen");
  mkdirSync(gen, { recursive: true });
  const btfFile = join(gen, "vmlinux.btf");
  writeFileSync(btfFile, gunzipSync(readFileSync(BUNDLED)));
  if (createHash("sha256").update(readFileSync("/sys/kernel/btf/vmlinux")).digest("hex") !== createHash("sha256").update(readFileSync(btfFile)).digest("hex")) {
    throw new Error("the running kernel's BTF is not data/btf's: the recorded kfunc ids would not match the bundled BTF");
  }
  if (!existsSync(join(gen, "vmlinux.h"))) writeFileSync(join(gen, "vmlinux.h"), run("bpftool", ["btf", "dump", "file", btfFile, "format", "c"]));
  const tool = join(WORK, "libbpf-load");
  run("gcc", ["-O1", "-Wall", "-o", tool, join(root, "scripts/verifier-selftests/libbpf-load.c"), "-I", join(prefix, "usr/include"),
    join(prefix, "usr/lib64/libbpf.a"), "-lelf", "-lz", "-ldl"]);
  return { tool, inc: ["-I", gen, "-I", join(prefix, "usr/include")] };
}

/** Runs `fn` in a network namespace of its own with a veth pair (the device `devbound_*` programs are bound to), removed after. */
function withVeth<T>(fn: (ns: string, ifindex: number) => T): T {
  const ns = `bpfkit-kf-${process.pid}`;
  run("ip", ["netns", "add", ns]);
  try {
    run("ip", ["-n", ns, "link", "add", "vkf0", "type", "veth", "peer", "name", "vkf1"]);
    const link = JSON.parse(run("ip", ["-n", ns, "-j", "link", "show", "vkf0"])) as { ifindex: number }[];
    return fn(ns, link[0]!.ifindex);
  } finally {
    run("ip", ["netns", "del", ns]);
  }
}

function main(): void {
  const only = opt("--only", "");
  const { tool, inc } = toolchain();
  const sources = readdirSync(KFUNC_DIR).filter((f) => f.endsWith(".bpf.c") && (!only || f.includes(only))).sort();
  for (const src of sources) {
    const name = src.replace(/\.bpf\.c$/, "");
    const obj = join(KFUNC_DIR, `${name}.bpf.o`);
    if (!args.includes("--no-compile")) {
      run(CLANG, ["-O2", "-g", "--target=bpf", "-mcpu=v3", "-D__TARGET_ARCH_x86", "-Wall", "-Wno-unused-function", ...inc, "-I", KFUNC_DIR,
        `-fdebug-prefix-map=${root}=.`, "-fdebug-compilation-dir=.", "-c", join(KFUNC_DIR, src), "-o", obj], root);
      // DWARF (hundreds of KB from vmlinux.h) is not needed: BTF and .BTF.ext stay
      run(process.env.LLVM_STRIP ?? "llvm-strip-19", ["-g", obj]);
    }
    const r = withVeth((ns, ifindex) => spawnSync("ip", ["netns", "exec", ns, "env", `DEVBOUND_IFINDEX=${ifindex}`, tool, obj], { encoding: "utf8", maxBuffer: 1 << 30 }));
    const recs = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as LibbpfRecord);
    let btf = "";
    const programs: KfuncFixtureProgram[] = [];
    for (const rec of recs) {
      const k = kernelOf(rec);
      if (!k) { console.log(`${name}:${rec.name}: no verdict from the kernel (${rec.libbpf.split("\n").filter(Boolean).pop() ?? ""})`); continue; }
      btf ||= rec.btf ?? "";
      const { btf: _b, log: _l, libbpf: _p, object: _o, ...rest } = rec;
      const kernel: KfuncFixtureProgram["kernel"] = { verdict: k.verdict, errno: rec.ret! < 0 ? -rec.ret! : 0 };
      if (k.error !== undefined) kernel.error = k.error;
      if (k.processed !== undefined) kernel.processed = k.processed;
      programs.push({ ...rest, kernel });
    }
    const fixture: KfuncFixture = { object: `${name}.bpf.o`, btf, programs };
    writeFileSync(join(KFUNC_DIR, `${name}.json`), JSON.stringify(fixture, null, 1) + "\n");
    console.log(`${name}: ${programs.length} programs (${programs.filter((p) => p.kernel.verdict === "accept").length} accepted)`);
  }
}

main();
