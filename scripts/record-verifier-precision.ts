// Records the running kernel's level-2 logs for the precision-tracking fixtures
// (test/fixtures/verifier/precision/*.s, socket filters in the assembler's syntax) into
// test/fixtures/verifier/precision-logs.json: verdict, first error line, processed count and the
// precision lines of the log (mark_precise:, force_precise:, "frame N: propagating ...").
// test/verifier/precision.test.ts holds the emulator to them.
//
//   npx tsx scripts/record-verifier-precision.ts        (needs root and bpf(2))
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type KernelFixtureVerdict, kernelLevel2, recordFixtureDir } from "./kernel-fixture-logs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PRECISION_DIR = join(root, "test/fixtures/verifier/precision");
export const PRECISION_LOGS = join(root, "test/fixtures/verifier/precision-logs.json");

export interface PrecisionRecord extends KernelFixtureVerdict {
  /** The log's precision lines, in order. */
  precision: string[];
}

/** The lines of a level-2 log that precision tracking writes (map addresses in lddw lines replaced). */
export function precisionLines(log: string): string[] {
  return log.split("\n").filter((l) => /^(mark_precise:|force_precise:|frame \d+: propagating )/.test(l))
    .map((l) => l.replace(/(before \d+: \(18\) r\d+ = )0x[0-9a-f]+/, "$1<map>"));
}

export function kernelRecord(file: string): PrecisionRecord {
  const { verdict, log } = kernelLevel2(PRECISION_DIR, file);
  return { ...verdict, precision: precisionLines(log) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) recordFixtureDir(PRECISION_DIR, PRECISION_LOGS, kernelRecord);
