#!/usr/bin/env node
// Builds the ELF loader's test fixtures: compiles test/fixtures/elf/src/*.c with clang-19 into
// test/fixtures/elf/*.o, then records what libbpf hands the kernel for each object (the final,
// relocated instructions of every program, map fds replaced by map names) into *.libbpf.json, using
// the small libbpf client test/fixtures/elf/src/libbpf-dump.c. Recording needs root (libbpf loads the
// object into the kernel); objects libbpf refuses (legacy maps, unresolved externs) get
// `{ "unavailable": reason }` and the tests check them against hand-written expectations instead.
//
//   node scripts/build-elf-fixtures.mjs            # compile and record
//   node scripts/build-elf-fixtures.mjs --no-record # compile only
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "test/fixtures/elf");
const srcDir = join(dir, "src");
const record = !process.argv.includes("--no-record");

const sources = readdirSync(srcDir).filter((f) => f.endsWith(".c") && f !== "libbpf-dump.c").sort();
for (const source of sources) {
  const out = join(dir, source.replace(/\.c$/, ".o"));
  // -I for asm/types.h on Debian multiarch; relative paths keep the BTF line info free of this checkout's location.
  execFileSync("clang-19", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", `-fdebug-prefix-map=${dir}=.`, "-c", `src/${source}`, "-o", out], { cwd: dir, stdio: "inherit" });
  console.log(`built ${out}`);
}

if (record) {
  const tmp = mkdtempSync(join(tmpdir(), "bpfkit-elf-"));
  try {
    const tool = join(tmp, "libbpf-dump");
    execFileSync("gcc", ["-O1", "-o", tool, join(srcDir, "libbpf-dump.c"), "-lbpf", "-ldl"], { stdio: "inherit" });
    for (const source of sources) {
      const name = source.replace(/\.c$/, "");
      const r = spawnSync(tool, [join(dir, `${name}.o`)], { encoding: "utf8" });
      const outFile = join(dir, `${name}.libbpf.json`);
      if (r.status === 0) {
        writeFileSync(outFile, JSON.stringify(JSON.parse(r.stdout), null, 1) + "\n");
        console.log(`recorded ${outFile}`);
      } else {
        const reason = (r.stderr || "").trim().split("\n").filter((l) => l.startsWith("libbpf:")).join("; ") || `exit ${r.status}`;
        writeFileSync(outFile, JSON.stringify({ unavailable: reason }, null, 1) + "\n");
        console.log(`libbpf refused ${name}.o: ${reason}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
