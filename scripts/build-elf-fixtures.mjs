#!/usr/bin/env node
// Builds the ELF loader's test fixtures: compiles test/fixtures/elf/src/*.c with clang-19 into
// test/fixtures/elf/*.o, then records what libbpf hands the kernel for each object (the final,
// relocated instructions of every program, map fds replaced by map names, func/line info, the loaded
// BTF and the kernel's verdict) into *.libbpf.json, using the small libbpf client
// test/fixtures/elf/src/libbpf-dump.c linked against libbpf 1.5 built from the kernel tree
// (tools/lib/bpf). Recording needs root (libbpf loads the object into the kernel); objects libbpf refuses
// (legacy maps, unresolved externs) get `{ "unavailable": reason }` and the tests check them against
// hand-written expectations instead.
//
// Sources that include "vmlinux.h" (CO-RE) get one generated from the bundled target BTF
// (data/btf/vmlinux-6.18-x86_64.btf.gz); every object is relocated against that BTF (libbpf's
// btf_custom_path) with the bundled kernel configuration (data/kconfig), which on the recording machine
// are the running kernel's own. Typeless .ksyms addresses come from this boot's /proc/kallsyms and are
// recorded with the result, so the test can hand bpfkit the same addresses.
//
//   node scripts/build-elf-fixtures.mjs            # compile and record
//   node scripts/build-elf-fixtures.mjs --no-record # compile only
//   options: --kernel DIR (default /work/kernel-src/linux-source-6.12), --libbpf DIR (build cache)
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "test/fixtures/elf");
const srcDir = join(dir, "src");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const record = !args.includes("--no-record");
const KERNEL = opt("--kernel", "/work/kernel-src/linux-source-6.12");
const LIBBPF = opt("--libbpf", join(tmpdir(), "bpfkit-libbpf-1.5"));
const BTF_GZ = join(root, "data/btf/vmlinux-6.18-x86_64.btf.gz");
const KCONFIG_GZ = join(root, "data/kconfig/config-6.18-x86_64.gz");

const tmp = mkdtempSync(join(tmpdir(), "bpfkit-elf-"));
try {
  // vmlinux.h and the raw target BTF, from the bundled blob
  const btfRaw = gunzipSync(readFileSync(BTF_GZ));
  const btfFile = join(tmp, "vmlinux.btf");
  writeFileSync(btfFile, btfRaw);
  const kconfigFile = join(tmp, "kconfig");
  writeFileSync(kconfigFile, gunzipSync(readFileSync(KCONFIG_GZ)));
  const genDir = join(tmp, "gen");
  mkdirSync(genDir);
  writeFileSync(join(genDir, "vmlinux.h"), execFileSync("bpftool", ["btf", "dump", "file", btfFile, "format", "c"], { maxBuffer: 1 << 28 }));

  const sources = readdirSync(srcDir).filter((f) => f.endsWith(".c") && f !== "libbpf-dump.c").sort();
  for (const source of sources) {
    const out = join(dir, source.replace(/\.c$/, ".o"));
    const core = readFileSync(join(srcDir, source), "utf8").includes('#include "vmlinux.h"');
    // -I for asm/types.h on Debian multiarch; relative paths keep the BTF line info free of this checkout's location.
    const extra = core ? ["-D__TARGET_ARCH_x86", "-I", genDir, `-fdebug-prefix-map=${genDir}=.`] : [];
    execFileSync("clang-19", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", ...extra, `-fdebug-prefix-map=${dir}=.`, "-c", `src/${source}`, "-o", out], { cwd: dir, stdio: "inherit" });
    console.log(`built ${out}`);
  }

  if (record) {
    const prefix = ensureLibbpf();
    const tool = join(tmp, "libbpf-dump");
    execFileSync("gcc", ["-O1", "-o", tool, join(srcDir, "libbpf-dump.c"), "-I", join(prefix, "usr/include"), join(prefix, "usr/lib64/libbpf.a"), "-lelf", "-lz", "-ldl"], { stdio: "inherit" });
    const btfSha = createHash("sha256").update(btfRaw).digest("hex");
    for (const source of sources) {
      const name = source.replace(/\.c$/, "");
      const obj = join(dir, `${name}.o`);
      const r = spawnSync(tool, [obj, "--btf", btfFile, "--kconfig", kconfigFile], { encoding: "utf8", maxBuffer: 1 << 28 });
      const outFile = join(dir, `${name}.libbpf.json`);
      if (r.status === 0) {
        const rec = JSON.parse(r.stdout);
        rec.targetBtfSha256 = btfSha;
        const ksyms = kallsymsOf(undefinedSymbols(obj));
        if (Object.keys(ksyms).length) rec.kallsyms = ksyms;
        writeFileSync(outFile, JSON.stringify(rec, null, 1) + "\n");
        console.log(`recorded ${outFile}`);
      } else {
        const reason = (r.stderr || "").trim().split("\n").filter((l) => l.startsWith("libbpf:")).join("; ").replaceAll(root + "/", "") || `exit ${r.status}`;
        writeFileSync(outFile, JSON.stringify({ unavailable: reason }, null, 1) + "\n");
        console.log(`libbpf refused ${name}.o: ${reason}`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/** libbpf 1.5's static library and headers, built once from the kernel tree into a cache directory. */
function ensureLibbpf() {
  const prefix = join(LIBBPF, "prefix");
  if (!existsSync(join(prefix, "usr/lib64/libbpf.a"))) {
    console.log(`building libbpf from ${KERNEL}/tools/lib/bpf into ${LIBBPF}`);
    mkdirSync(join(LIBBPF, "build"), { recursive: true });
    execFileSync("make", ["-C", join(KERNEL, "tools/lib/bpf"), "-j2", `OUTPUT=${join(LIBBPF, "build")}/`, `DESTDIR=${prefix}`, "prefix=/usr", "BUILD_STATIC_ONLY=1", "install"], { stdio: "inherit" });
  }
  return prefix;
}

/** Names of the object's undefined (extern) symbols. */
function undefinedSymbols(obj) {
  const text = execFileSync("llvm-readelf-19", ["-s", "--wide", obj], { encoding: "utf8" });
  return [...new Set(text.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 8 && f[6] === "UND" && f[7]).map((f) => f[7]))];
}

/** This boot's addresses of those names, from /proc/kallsyms (typeless .ksyms resolve to them). */
function kallsymsOf(names) {
  const want = new Set(names);
  const out = {};
  for (const line of readFileSync("/proc/kallsyms", "utf8").split("\n")) {
    const [addr, , name] = line.split(/\s+/);
    if (name && want.has(name) && !(name in out)) out[name] = "0x" + addr;
  }
  return out;
}
