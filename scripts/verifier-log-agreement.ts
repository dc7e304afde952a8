// How often the emulator's whole log equals the kernel's, at log levels 1 and 2, on a sample of the
// corpus (needs root). The kernel address of a map in an lddw line (an instruction line or a
// mark_precise back-tracking line) is replaced on both sides.
//   npx tsx scripts/verifier-log-agreement.ts [N=300] [--show K]
import { readFileSync } from "node:fs";
import { compareEntry, entryMaps, type CorpusEntry } from "../test/support/verifier-differential.js";
import { hexToSlots } from "../test/support/verifier-gen.js";
import { kernelVerify } from "../src/testing/kernel-verdict.js";

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 300);
const showIdx = args.indexOf("--show");
const show = showIdx >= 0 ? Number(args[showIdx + 1]) : 0;
const entries = readFileSync("test/fixtures/verifier/corpus.jsonl", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as CorpusEntry);
const sample = entries.filter((_, i) => i % Math.max(1, Math.floor(entries.length / n)) === 0).slice(0, n);
const norm = (log: string): string => log.split("\n")
  .map((l) => l.replace(/^((?:mark_precise: .* before )?\s*\d+: (?:[0-9.]{10} )?\(18\) r\d+ = )0x[0-9a-f]+/, "$1<map>")).join("\n");
for (const level of [1, 2]) {
  let same = 0;
  let shown = 0;
  for (const e of sample) {
    const ours = compareEntry(e, level).ours.log;
    const k = kernelVerify(e.type, hexToSlots(e.insns), entryMaps(e), e.license, level).log;
    if (norm(ours) === norm(k)) same++;
    else if (shown++ < show) {
      const a = norm(ours).split("\n"), b = norm(k).split("\n");
      const i = a.findIndex((l, j) => l !== b[j]);
      console.log(`[${e.id} L${level}] first difference at line ${i}:\n  ours:   ${a[i]}\n  kernel: ${b[i]}`);
    }
  }
  console.log(`log level ${level}: identical logs ${same}/${sample.length} = ${((100 * same) / sample.length).toFixed(1)}%`);
}
