// How often the emulator walks exactly as many instructions as the kernel ("processed N insns"), on the
// differential corpus (the kernel is asked live: needs root) and on the C programs (the counts recorded
// by scripts/record-verifier-c.ts). The count follows from state pruning, so it measures how closely
// precision tracking and states_equal follow the kernel's.
//   npx tsx scripts/verifier-processed-agreement.ts [--corpus N] [--no-corpus] [--show K]
import { readFileSync } from "node:fs";
import { loadObject } from "../src/elf/index.js";
import { resolveSection } from "../src/progtypes/index.js";
import { compareEntry, entryMaps, type CorpusEntry } from "../test/support/verifier-differential.js";
import { hexToSlots } from "../test/support/verifier-gen.js";
import { kernelVerify } from "../src/testing/kernel-verdict.js";
import { verifyProgram } from "../src/verifier/verifier.js";
import { possibleCpus } from "../src/kernel/maps.js";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const show = Number(opt("--show") ?? 0);
const corpusN = Number(opt("--corpus") ?? Infinity);

interface Row { name: string; kernel: number; ours: number; verdictAgrees: boolean }

function summary(label: string, rows: Row[]): void {
  const exact = rows.filter((r) => r.kernel === r.ours).length;
  const k = rows.reduce((a, r) => a + r.kernel, 0), o = rows.reduce((a, r) => a + r.ours, 0);
  const more = rows.filter((r) => r.ours > r.kernel).length, less = rows.filter((r) => r.ours < r.kernel).length;
  console.log(`${label}: processed count equal on ${exact}/${rows.length} = ${((100 * exact) / Math.max(1, rows.length)).toFixed(1)}%; ` +
    `emulator walks more on ${more}, fewer on ${less}; total ${o} vs kernel ${k} (ratio ${(o / Math.max(1, k)).toFixed(3)}); ` +
    `verdicts differ on ${rows.filter((r) => !r.verdictAgrees).length}`);
  const worst = rows.filter((r) => r.kernel !== r.ours).sort((a, b) => Math.abs(b.ours - b.kernel) - Math.abs(a.ours - a.kernel)).slice(0, show);
  for (const r of worst) console.log(`  ${r.name}: kernel ${r.kernel}, emulator ${r.ours}`);
}

const processedOf = (log: string): number | undefined => {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : undefined;
};

if (!args.includes("--no-corpus")) {
  const entries = readFileSync("test/fixtures/verifier/corpus.jsonl", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as CorpusEntry);
  const rows: Row[] = [];
  const timeouts: string[] = [];
  for (const e of entries.slice(0, corpusN)) {
    const k = kernelVerify(e.type, hexToSlots(e.insns), entryMaps(e), e.license, 1);
    const kp = processedOf(k.log);
    if (kp === undefined) continue; // rejected before the walk (no statistics line)
    const c = compareEntry(e, 1);
    // the emulator's wall-clock guard (60 s) depends on the machine's load: not a count to compare
    if (c.ours.verdict === "timeout") { timeouts.push(e.id); continue; }
    const op = processedOf(c.ours.log) ?? c.ours.stats.processed;
    rows.push({ name: `${e.id} (${e.kernel.verdict})`, kernel: kp, ours: op, verdictAgrees: c.ours.verdict === k.verdict });
  }
  summary("corpus", rows);
  if (timeouts.length) console.log(`  left out (emulator timed out): ${timeouts.join(", ")}`);
}

{
  interface Rec { object: string; program: string; section: string; verdict: string; processed?: number }
  const records = JSON.parse(readFileSync("test/fixtures/verifier/c-programs.json", "utf8")) as Rec[];
  const objects = new Map<string, ReturnType<typeof loadObject>>();
  const rows: Row[] = [];
  for (const r of records) {
    if (r.processed === undefined) continue;
    let obj = objects.get(r.object);
    if (!obj) { obj = loadObject(new Uint8Array(readFileSync(`test/fixtures/verifier/c/${r.object}`)), { file: r.object }); objects.set(r.object, obj); }
    const p = obj.programs.find((x) => x.name === r.program)!;
    const sec = resolveSection(p.section)!;
    const ours = verifyProgram(p, { progType: sec.progType, nrCpus: possibleCpus(), ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}),
      hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, timeoutMs: 60_000 });
    rows.push({ name: `${r.object}:${r.program} (${r.verdict})`, kernel: r.processed, ours: ours.stats.processed, verdictAgrees: ours.verdict === r.verdict });
  }
  summary("C programs", rows);
}
