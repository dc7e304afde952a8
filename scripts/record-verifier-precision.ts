// Records the running kernel's level-2 logs for the precision-tracking fixtures
// (test/fixtures/verifier/precision/*.s, socket filters in the assembler's syntax) into
// test/fixtures/verifier/precision-logs.json: verdict, first error line, processed count and the
// precision lines of the log (mark_precise:, force_precise:, "frame N: propagating ...").
// test/verifier/precision.test.ts holds the emulator to them.
//
//   npx tsx scripts/record-verifier-precision.ts        (needs root and bpf(2))
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble } from "../src/text/assembler.js";
import { kernelVerify } from "../src/verifier/kernel-compare.js";
import { toRawSlots } from "../src/verifier/verifier.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PRECISION_DIR = join(root, "test/fixtures/verifier/precision");
export const PRECISION_LOGS = join(root, "test/fixtures/verifier/precision-logs.json");

export interface PrecisionRecord {
  file: string;
  verdict: "accept" | "reject";
  error?: string;
  processed?: number;
  /** The log's precision lines, in order. */
  precision: string[];
}

/** The lines of a level-2 log that precision tracking writes (map addresses in lddw lines replaced). */
export function precisionLines(log: string): string[] {
  return log.split("\n").filter((l) => /^(mark_precise:|force_precise:|frame \d+: propagating )/.test(l))
    .map((l) => l.replace(/(before \d+: \(18\) r\d+ = )0x[0-9a-f]+/, "$1<map>"));
}

export function kernelRecord(file: string): PrecisionRecord {
  const p = assemble(readFileSync(join(PRECISION_DIR, file), "utf8"), { file });
  const k = kernelVerify("socket", toRawSlots(p.insns), p.maps, "GPL", 2);
  const rec: PrecisionRecord = { file, verdict: k.verdict, precision: precisionLines(k.log) };
  if (k.error) rec.error = k.error;
  const m = /processed (\d+) insns/.exec(k.log);
  if (m) rec.processed = Number(m[1]);
  return rec;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = readdirSync(PRECISION_DIR).filter((f) => f.endsWith(".s")).sort();
  const out = files.map(kernelRecord);
  writeFileSync(PRECISION_LOGS, JSON.stringify(out, null, 1) + "\n");
  console.log(`recorded ${out.length} programs into ${PRECISION_LOGS}`);
}
