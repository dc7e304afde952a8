#!/usr/bin/env node
// Builds every bpf/*.bpf.c into bpf/*.bpf.o (the committed example objects and test fixtures).
//   node scripts/build-bpf.mjs          rebuild in place
//   node scripts/build-bpf.mjs --check  rebuild into a temp dir and report objects that differ (CI)
// Output is deterministic: fixed flags, relative source paths, and the checkout's absolute path mapped
// to "." in the debug info, so the same clang produces the same bytes in any checkout.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLANG = process.env.CLANG ?? "clang-19";
const EXPECTED_CLANG = "clang version 19."; // objects are compared byte for byte: other majors differ
const check = process.argv.includes("--check");

function clangVersion() {
  try {
    return execFileSync(CLANG, ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    console.error(`build-bpf: ${CLANG} not found (set CLANG=/path/to/clang-19)`);
    process.exit(2);
  }
}

const multiarch = (() => {
  // <asm/types.h> lives under the host's multiarch directory on Debian; -target bpf does not search it.
  try { return execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim(); } catch { return "x86_64-linux-gnu"; }
})();

function flags(src, out) {
  return [
    "-O2", "-g", "-target", "bpf",
    "-Wall", "-Werror", "-Wno-unused-function",
    "-I", "bpf/include", "-I", `/usr/include/${multiarch}`,
    `-fdebug-prefix-map=${root}=.`, "-fdebug-compilation-dir=.",
    "-c", src, "-o", out,
  ];
}

const version = clangVersion();
const sources = readdirSync(join(root, "bpf")).filter((f) => f.endsWith(".bpf.c")).sort();
const outDir = check ? mkdtempSync(join(tmpdir(), "bpfkit-bpf-")) : join(root, "bpf");
let failed = 0;
const stale = [];
try {
  for (const src of sources) {
    const obj = src.replace(/\.c$/, ".o");
    const out = join(outDir, obj);
    try {
      execFileSync(CLANG, flags(join("bpf", src), out), { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    } catch {
      console.error(`build-bpf: FAILED ${src}`);
      failed++;
      continue;
    }
    if (check) {
      const committed = join(root, "bpf", obj);
      if (!existsSync(committed) || !readFileSync(committed).equals(readFileSync(out))) stale.push(obj);
    } else console.log(`built bpf/${obj}`);
  }
} finally {
  if (check) rmSync(outDir, { recursive: true, force: true });
}
if (failed) process.exit(1);
if (check) {
  if (stale.length) {
    console.error(`build-bpf --check: out of date: ${stale.join(", ")} (run npm run build:bpf with ${version.includes(EXPECTED_CLANG) ? "this clang" : "clang 19; this is " + version})`);
    process.exit(1);
  }
  console.log(`build-bpf --check: ${sources.length} objects up to date (${version})`);
}
