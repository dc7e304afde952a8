// Sweeps the live-kernel corpus check over many seeds (the CI test draws one seed per run from
// 1000..1999): fresh generated programs and their mutants, loaded into the kernel and verified here.
// Prints every verdict disagreement (and programs the kernel rejects that we accept) and the worst
// per-seed ratios, so a rare disagreement is found here rather than by a CI run. --record appends the
// disagreeing programs, with the kernel's verdict, to a fixture the corpus test checks on every run;
// --only records or checks just the listed programs (seed:id).
//
//   npx tsx scripts/verifier-live-sweep.ts [--seeds 1000..1999] [--only 1363:1363-29,...] [--record test/fixtures/verifier/sweep-found.jsonl]
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { compareEntry, type CorpusEntry } from "../test/support/verifier-differential.js";
import { generate, mutate, slotsToHex, type GenCase } from "../test/support/verifier-gen.js";
import { kernelVerify } from "../src/testing/kernel-verdict.js";

/** The programs the CI test draws for one seed: 150 generated, and mutants of the first 50. */
export function liveCases(seed: number): GenCase[] {
  const cases = generate(seed, 150);
  cases.push(...cases.slice(0, 50).map((c, i) => ({ ...c, id: c.id + "m", family: "mutant", insns: mutate(c.insns, seed * 7 + i) })));
  return cases;
}

/** A case as a corpus entry carrying the running kernel's verdict and first error line. */
export function kernelEntry(c: GenCase): CorpusEntry {
  const k = kernelVerify(c.type, c.insns, c.maps, c.license);
  return { id: c.id, family: c.family, type: c.type, insns: slotsToHex(c.insns), license: c.license,
    maps: c.maps.map((m) => ({ name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, flags: m.flags })),
    kernel: { verdict: k.verdict, errno: k.errno, ...(k.error ? { error: k.error } : {}) } };
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const [first, last] = (opt("--seeds") ?? "1000..1999").split("..").map(Number) as [number, number];
  const only = opt("--only")?.split(",").map((s) => { const [seed, id] = s.split(":"); return { seed: Number(seed), id: id! }; });
  const record = opt("--record");
  const known = new Set(record && existsSync(record) ? readFileSync(record, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as CorpusEntry).insns) : []);
  const seeds = only ? [...new Set(only.map((o) => o.seed))] : Array.from({ length: last - first + 1 }, (_, i) => first + i);
  let worstAgree = 1, worstLine = 1, programs = 0, disagreements = 0, missed = 0, recorded = 0;
  for (const seed of seeds) {
    let cases = liveCases(seed);
    if (only) cases = cases.filter((c) => only.some((o) => o.seed === seed && o.id === c.id));
    let agree = 0, sameLine = 0, rejects = 0;
    for (const c of cases) {
      const e = kernelEntry(c);
      const cmp = compareEntry(e);
      programs++;
      if (cmp.verdictAgrees) agree++;
      else { disagreements++; console.log(`seed ${seed} ${e.id} (${e.family}): kernel ${e.kernel.verdict} ${e.kernel.error ?? ""} | ${e.insns}`); }
      if (e.kernel.verdict === "reject") { rejects++; if (cmp.sameError) sameLine++; }
      if (cmp.missedReject) { missed++; console.log(`  the kernel rejects it and the emulator accepts: seed ${seed} ${e.id}`); }
      if (record && (only || !cmp.verdictAgrees) && !known.has(e.insns)) {
        appendFileSync(record, JSON.stringify({ ...e, id: `${seed}:${e.id}` }) + "\n");
        known.add(e.insns);
        recorded++;
      }
    }
    if (cases.length) worstAgree = Math.min(worstAgree, agree / cases.length);
    if (rejects) worstLine = Math.min(worstLine, sameLine / rejects);
  }
  console.log(`${programs} programs, ${disagreements} verdict disagreements, ${missed} kernel rejects accepted; ` +
    `worst seed: verdicts ${(worstAgree * 100).toFixed(1)}%, first lines ${(worstLine * 100).toFixed(1)}%${record ? `; ${recorded} recorded into ${record}` : ""}`);
}

if (process.argv[1] && /verifier-live-sweep/.test(process.argv[1])) main();
