// Records the kernel's verdicts on the hand-written C fixtures (test/fixtures/verifier/c/*.bpf.c):
// compiles each with clang-19 -O2 -g -target bpf into a .o next to it (committed, so tests need no
// clang), loads every program of every object into the running kernel (its own maps, the object's BTF
// with func and line info, a level-1 log) and writes test/fixtures/verifier/c-programs.json: verdict,
// errno, first error line and processed-instruction count per program.
//
//   npx tsx scripts/record-verifier-c.ts [--no-compile] [--only NAME]
//
// Needs root and bpf(2) (and clang-19 unless --no-compile). Output is deterministic: fixed flags and the
// checkout's path mapped to "." in the debug info.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadObject } from "../src/elf/index.js";
import type { Program } from "../src/program/program.js";
import { kernelVerifyProgram } from "../src/testing/kernel-verdict.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const C_DIR = join(root, "test/fixtures/verifier/c");
export const C_RESULTS = join(root, "test/fixtures/verifier/c-programs.json");
const CLANG = process.env.CLANG ?? "clang-19";

export interface CProgramRecord {
  object: string;
  program: string;
  section: string;
  verdict: "accept" | "reject";
  errno: number;
  /** First line of the kernel's error message (rejections). */
  error?: string;
  /** "processed N insns" of the kernel's statistics line. */
  processed?: number;
}

function multiarch(): string {
  try { return execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim(); } catch { return "x86_64-linux-gnu"; }
}

function compile(src: string, out: string): void {
  execFileSync(CLANG, ["-O2", "-g", "-target", "bpf", "-Wall", "-Wno-unused-function", "-Wno-uninitialized",
    "-I", `/usr/include/${multiarch()}`, `-fdebug-prefix-map=${root}=.`, "-fdebug-compilation-dir=.", "-c", src, "-o", out], { cwd: root, stdio: "inherit" });
}

/** The kernel's verdict on one program of an object, loaded as `verify --compare-kernel` and libbpf load it. */
export function kernelVerdictOf(prog: Program): Omit<CProgramRecord, "object" | "program" | "section"> {
  const k = kernelVerifyProgram(prog, 1);
  const rec: Omit<CProgramRecord, "object" | "program" | "section"> = { verdict: k.verdict, errno: k.errno };
  if (k.error !== undefined) rec.error = k.error;
  const m = /processed (\d+) insns/.exec(k.log);
  if (m) rec.processed = Number(m[1]);
  return rec;
}

function main(): void {
  const args = process.argv.slice(2);
  const noCompile = args.includes("--no-compile");
  const onlyIdx = args.indexOf("--only");
  const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
  const sources = readdirSync(C_DIR).filter((f) => f.endsWith(".bpf.c")).sort();
  const records: CProgramRecord[] = [];
  for (const src of sources) {
    const obj = src.replace(/\.c$/, ".o");
    if (only && !src.startsWith(only)) continue;
    if (!noCompile) compile(join("test/fixtures/verifier/c", src), join("test/fixtures/verifier/c", obj));
    const o = loadObject(new Uint8Array(readFileSync(join(C_DIR, obj))), { file: obj });
    for (const p of o.programs) {
      records.push({ object: obj, program: p.name, section: p.section, ...kernelVerdictOf(p) });
    }
  }
  if (only) { for (const r of records) console.log(JSON.stringify(r)); return; }
  writeFileSync(C_RESULTS, JSON.stringify(records, null, 1) + "\n");
  const acc = records.filter((r) => r.verdict === "accept").length;
  console.log(`recorded ${records.length} programs from ${sources.length} objects (${acc} accepted, ${records.length - acc} rejected) into ${C_RESULTS}`);
}

if (process.argv[1] && /record-verifier-c/.test(process.argv[1])) main();
