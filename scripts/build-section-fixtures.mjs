#!/usr/bin/env node
// Builds the section-name fixtures: test/fixtures/sections/src/*.c -> test/fixtures/sections/*.o with
// clang-19 (objects with unknown and legacy section names, and SEC("?...") programs), deterministic as
// scripts/build-bpf.mjs: fixed flags and no build path in the debug info.
//   node scripts/build-section-fixtures.mjs
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "../test/fixtures/sections");
const multiarch = (() => { try { return execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim(); } catch { return "x86_64-linux-gnu"; } })();
for (const src of readdirSync(join(dir, "src")).filter((f) => f.endsWith(".c")).sort()) {
  const out = src.replace(/\.c$/, ".o");
  execFileSync(process.env.CLANG ?? "clang-19", ["-O2", "-g", "-target", "bpf", "-Wall", "-Werror", "-I", `/usr/include/${multiarch}`,
    `-fdebug-prefix-map=${dir}=.`, "-fdebug-compilation-dir=.", "-c", `src/${src}`, "-o", out], { cwd: dir, stdio: "inherit" });
  console.log(`built test/fixtures/sections/${out}`);
}
