// Records the differential corpus for the verifier emulator: generated programs (test/support/verifier-gen.ts)
// loaded into the running kernel with a level-1 log; each line of test/fixtures/verifier/corpus.jsonl
// is a bundle (type, insns, maps, license) plus the kernel's verdict and error message.
//
//   npx tsx scripts/record-verifier-corpus.ts [--seeds 11,12,13] [--count 800] [--out test/fixtures/verifier/corpus.jsonl]
//
// Needs root and bpf(2). Maps are created for each program and closed after it.
import { writeFileSync } from "node:fs";
import { generate, mutate, slotsToHex, type GenCase } from "../test/support/verifier-gen.js";
import { kernelVerify } from "../src/testing/kernel-verdict.js";

export { kernelVerify };

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
  const seeds = opt("--seeds", "11,12,13").split(",").map(Number);
  const count = Number(opt("--count", "800")); // the committed corpus: seeds 11,12,13 x 800 + mutants = 3000
  const outFile = opt("--out", "test/fixtures/verifier/corpus.jsonl");
  const lines: string[] = [];
  let accepted = 0;
  for (const seed of seeds) {
    const cases: GenCase[] = [];
    for (const c of generate(seed, count)) {
      cases.push(c);
      // a mutated copy of every fourth program: random opcodes/registers/offsets the families never write
      if (Number(c.id.split("-")[1]) % 4 === 0) cases.push({ ...c, id: c.id + "m", family: "mutant", insns: mutate(c.insns, seed * 100003 + cases.length) });
    }
    for (const c of cases) {
      const k = kernelVerify(c.type, c.insns, c.maps, c.license);
      if (k.verdict === "accept") accepted++;
      const rec: Record<string, unknown> = {
        id: c.id, family: c.family, type: c.type, insns: slotsToHex(c.insns),
        maps: c.maps.map((m) => ({ name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, flags: m.flags })),
        license: c.license,
        kernel: { verdict: k.verdict, errno: k.errno, ...(k.error !== undefined ? { error: k.error, errorLines: k.errorLines } : {}) },
      };
      lines.push(JSON.stringify(rec));
    }
  }
  writeFileSync(outFile, lines.join("\n") + "\n");
  console.log(`recorded ${lines.length} programs (${accepted} accepted, ${lines.length - accepted} rejected) into ${outFile}`);
}

if (process.argv[1] && /record-verifier-corpus/.test(process.argv[1])) main();
