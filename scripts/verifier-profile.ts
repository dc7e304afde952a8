// A steady workload for profiling the verifier emulator: verify every program of bpf/*.bpf.o and
// test/fixtures/verifier/c/*.bpf.o (level 0, the options the C-program test uses), or the objects given
// with --obj, N times and print the CPU time per object and pass. Timing is only indicative on a shared
// machine; for comparisons use a CPU profile or callgrind's instruction count, which do not depend on the
// load. Bundle it first, so the profile holds the emulator's own functions rather than tsx's loader:
//   npx esbuild scripts/verifier-profile.ts --bundle --platform=node --format=esm --outfile=/tmp/vprof.mjs
//   node --cpu-prof --cpu-prof-dir=/tmp/vprof /tmp/vprof.mjs 10 --skip 'loops|large'
//   valgrind --tool=callgrind --smc-check=all-non-file node --single-threaded /tmp/vprof.mjs 4 --only bpf/
//     (instructions per pass: (Ir with 4 passes - Ir with 1 pass) / 3)
// Arguments: [passes=5] [--only SUBSTRING] [--skip REGEX] [--obj FILE.o]... [--prog NAME] [--json] [--log-level N] [--insn-limit N]
// (loops.bpf.o walks 1M instructions: tens of seconds). --json records the per-instruction states as
// `verify --json` does; --log-level writes the log as `verify --log-level` does.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { loadObject } from "../src/elf/index.js";
import type { Program } from "../src/program/program.js";
import { resolveSection } from "../src/progtypes/index.js";
import { verifyProgram, type VerifyOptions } from "../src/verifier/verifier.js";

const args = process.argv.slice(2);
const passes = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const argOf = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const only = argOf("--only");
const skip = argOf("--skip");
const progName = argOf("--prog");
const objs = args.flatMap((a, i) => (a === "--obj" ? [args[i + 1]!] : []));

const files: { object: string; path: string }[] = [];
if (objs.length) for (const path of objs) files.push({ object: basename(path), path });
else {
  for (const dir of ["bpf", "test/fixtures/verifier/c"]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".bpf.o")).sort()) {
      files.push({ object: `${dir === "bpf" ? "bpf" : "c"}/${file}`, path: join(dir, file) });
    }
  }
}
const work: { object: string; program: Program; opts: VerifyOptions }[] = [];
for (const { object, path } of files) {
  if ((only && !object.includes(only)) || (skip && new RegExp(skip).test(object))) continue;
  for (const program of loadObject(new Uint8Array(readFileSync(path)), { file: basename(path), allowUnsupported: true }).programs) {
    if (progName && program.name !== progName) continue;
    const sec = resolveSection(program.section.replace(/^\?/, ""));
    if (!sec) continue;
    const opts: VerifyOptions = { progType: sec.progType, hasFuncInfo: (program.btf?.funcInfo?.length ?? 0) > 0 };
    if (sec.attachType !== undefined) opts.attachType = sec.attachType;
    if (args.includes("--json")) opts.recordStates = true;
    if (argOf("--log-level")) opts.logLevel = Number(argOf("--log-level"));
    if (argOf("--insn-limit")) opts.insnLimit = Number(argOf("--insn-limit"));
    work.push({ object, program, opts });
  }
}

const cpuMs = new Map<string, number>();
const processed = new Map<string, number>();
for (let pass = 0; pass < passes; pass++) {
  for (const w of work) {
    const t0 = process.cpuUsage();
    const r = verifyProgram(w.program, w.opts);
    const t = process.cpuUsage(t0);
    cpuMs.set(w.object, (cpuMs.get(w.object) ?? 0) + (t.user + t.system) / 1000);
    if (pass === 0) processed.set(w.object, (processed.get(w.object) ?? 0) + r.stats.processed);
  }
}
let total = 0;
for (const [object, ms] of cpuMs) {
  total += ms / passes;
  console.log(`${object.padEnd(36)} ${(ms / passes).toFixed(2).padStart(10)} ms CPU per pass, ${processed.get(object)} insns processed`);
}
console.log(`${"all".padEnd(36)} ${total.toFixed(2).padStart(10)} ms CPU per pass (${work.length} programs, ${passes} passes)`);
