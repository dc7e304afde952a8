// Agreement of the verifier emulator with the recorded kernel verdicts.
//   npx tsx scripts/verifier-agreement.ts [corpus.jsonl] [--show N]
import { readFileSync } from "node:fs";
import { agreement, formatReport, type CorpusEntry } from "../test/support/verifier-differential.js";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a)) ?? "test/fixtures/verifier/corpus.jsonl";
const showIdx = args.indexOf("--show");
const show = showIdx >= 0 ? Number(args[showIdx + 1]) : 0;
const entries = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as CorpusEntry);
const rep = agreement(entries);
console.log(formatReport(rep));
for (const m of rep.mismatches.slice(0, show)) {
  console.log(`\n[${m.entry.id} ${m.entry.family} ${m.entry.type}] ${m.entry.insns}`);
  console.log(`  kernel: ${m.entry.kernel.verdict} ${m.entry.kernel.error ?? ""}`);
  console.log(`  ours:   ${m.ours.verdict} ${m.ours.error?.message.split("\n")[0] ?? ""} @${m.ours.error?.pc ?? ""}`);
}
