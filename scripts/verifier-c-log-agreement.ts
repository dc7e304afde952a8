// How often the emulator's level-1 (or level-2) log equals the kernel's on the committed C fixtures
// (test/fixtures/verifier/c/*.bpf.o): the statistics line alone, and the whole log (map addresses in
// lddw lines and mark_precise notes dropped from both sides); at level 2 also the live-stack lines
// alone (stack-liveness.ts). A local measurement (needs root), never a fixture.
//   npx tsx scripts/verifier-c-log-agreement.ts [--show N] [--level 1|2]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadObject } from "../src/elf/index.js";
import { KernelError } from "../src/kernel/errors.js";
import { loadProgramIntoKernel } from "../src/kernel/loader.js";
import type { Program } from "../src/program/program.js";
import { resolveSection } from "../src/progtypes/index.js";
import { verifyProgram } from "../src/verifier/verifier.js";
import { C_DIR } from "./record-verifier-c.js";
import { liveStackLines } from "./record-verifier-stack-liveness.js";
import { possibleCpus } from "../src/kernel/maps.js";

const args = process.argv.slice(2);
const showIdx = args.indexOf("--show");
const show = showIdx >= 0 ? Number(args[showIdx + 1]) : 0;
const levelIdx = args.indexOf("--level");
const level = levelIdx >= 0 ? Number(args[levelIdx + 1]) : 1;

function kernelLog(p: Program): string {
  try {
    const loaded = loadProgramIntoKernel(p, { logLevel: level });
    const log = loaded.log;
    loaded.close();
    return log;
  } catch (e) {
    if (e instanceof KernelError && e.command === "BPF_PROG_LOAD") return e.log ?? "";
    throw e;
  }
}

const stats = (log: string): string => /^processed \d+ insns.*$/m.exec(log)?.[0] ?? "";
const norm = (log: string): string => log.split("\n").filter((l) => !l.startsWith("mark_precise:"))
  .map((l) => l.replace(/^(\s*\d+: (?:[0-9.]{10} )?\(18\) r\d+ = )0x[0-9a-f]+/, "$1<map>")).join("\n");

let n = 0, sameStats = 0, sameLog = 0, sameLive = 0, shown = 0;
for (const obj of readdirSync(C_DIR).filter((f) => f.endsWith(".bpf.o")).sort()) {
  for (const p of loadObject(new Uint8Array(readFileSync(join(C_DIR, obj))), { file: obj }).programs) {
    const sec = resolveSection(p.section);
    if (!sec) continue;
    const k = kernelLog(p);
    const ours = verifyProgram(p, { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), logLevel: level, nrCpus: possibleCpus(),
      hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 }).log;
    n++;
    if (stats(k) === stats(ours)) sameStats++;
    const kLive = liveStackLines(k), oLive = liveStackLines(ours);
    if (kLive.join("\n") === oLive.join("\n")) sameLive++;
    // at level 2 the live-stack lines are what is shown first
    const [a, b] = level >= 2 && kLive.join("\n") !== oLive.join("\n") ? [oLive, kLive] : [norm(ours).split("\n"), norm(k).split("\n")];
    if (norm(k) === norm(ours)) sameLog++;
    else if (shown++ < show) {
      const i = a.findIndex((l, j) => l !== b[j]);
      console.log(`${obj}:${p.name} first difference at line ${i}:\n  ours:   ${a[i]}\n  kernel: ${b[i]}`);
    }
  }
}
console.log(`C programs, level ${level}: statistics line equal ${sameStats}/${n}, whole log equal ${sameLog}/${n}` +
  (level >= 2 ? `, live-stack lines equal ${sameLive}/${n}` : ""));
