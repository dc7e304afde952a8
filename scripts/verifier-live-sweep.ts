// Sweeps the live-kernel corpus check over many seeds (the CI test draws one seed per run from
// 1000..1999): fresh generated programs and mutants, loaded into the kernel and verified here.
// Prints per-seed failures (verdict disagreements, programs the kernel rejects that we accept) and
// the worst ratios, so a rare disagreement is found here rather than by a CI run.
//   npx tsx scripts/verifier-live-sweep.ts [FIRST_SEED] [LAST_SEED]
import { compareEntry, type CorpusEntry } from "../src/verifier/differential.js";
import { generate, mutate, slotsToHex } from "../src/verifier/gen.js";
import { kernelVerify } from "./record-verifier-corpus.js";

const first = Number(process.argv[2] ?? 1000);
const last = Number(process.argv[3] ?? 1999);
let worstAgree = 1, worstLine = 1, programs = 0, disagreements = 0, missedTotal = 0;
for (let seed = first; seed <= last; seed++) {
  const cases = generate(seed, 150);
  cases.push(...cases.slice(0, 50).map((c, i) => ({ ...c, id: c.id + "m", family: "mutant", insns: mutate(c.insns, seed * 7 + i) })));
  let agree = 0, sameLine = 0, rejects = 0;
  for (const c of cases) {
    const k = kernelVerify(c.type, c.insns, c.maps, c.license);
    const e: CorpusEntry = { id: c.id, family: c.family, type: c.type, insns: slotsToHex(c.insns), license: c.license,
      maps: c.maps.map((m) => ({ name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, flags: m.flags })),
      kernel: { verdict: k.verdict, errno: k.errno, ...(k.error ? { error: k.error } : {}) } };
    const cmp = compareEntry(e);
    programs++;
    if (cmp.verdictAgrees) agree++;
    else { disagreements++; console.log(`seed ${seed} ${e.id} (${e.family}) kernel ${k.verdict} ${k.error ?? ""} | ${e.insns}`); }
    if (k.verdict === "reject") { rejects++; if (cmp.sameError) sameLine++; }
    if (cmp.missedReject) { missedTotal++; console.log(`  MISSED REJECT seed ${seed} ${e.id}`); }
  }
  worstAgree = Math.min(worstAgree, agree / cases.length);
  worstLine = Math.min(worstLine, sameLine / Math.max(1, rejects));
}
console.log(`seeds ${first}..${last}: ${programs} programs, ${disagreements} verdict disagreements, ${missedTotal} kernel rejects accepted; worst seed: verdicts ${(worstAgree * 100).toFixed(1)}%, first lines ${(worstLine * 100).toFixed(1)}%`);
