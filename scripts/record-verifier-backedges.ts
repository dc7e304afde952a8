// Records the running kernel's level-2 logs for the loop-backedge fixtures
// (test/fixtures/verifier/backedges/*.s, socket filters in the assembler's syntax) into
// test/fixtures/verifier/backedges-logs.json: verdict, first error line, the final statistics line
// (processed insns, states, peak_states: the kernel counts open backedges toward peak_states), and the
// lines of the loop visits in order: `SCC enter/backedge/exit (...)` and the precision lines, among them
// what propagate_backedges prints after an `SCC exit`. test/verifier/backedges.test.ts holds the
// emulator to them.
//
//   npx tsx scripts/record-verifier-backedges.ts        (needs root and bpf(2))
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type KernelFixtureVerdict, kernelLevel2, recordFixtureDir } from "./kernel-fixture-logs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BACKEDGES_DIR = join(root, "test/fixtures/verifier/backedges");
export const BACKEDGES_LOGS = join(root, "test/fixtures/verifier/backedges-logs.json");

export interface BackedgesRecord extends KernelFixtureVerdict {
  /** `processed N insns (limit ...) max_states_per_insn ... peak_states ... mark_read 0`. */
  stats?: string;
  /** SCC visit lines, precision lines and pruning lines, in log order. */
  lines: string[];
}

/** The lines of a level-2 log that loop visits and precision tracking write (map addresses replaced). */
export function backedgeLines(log: string): string[] {
  return log.split("\n")
    .filter((l) => /^(SCC (enter|exit|backedge) \(|mark_precise:|force_precise:|frame \d+: propagating |propagate_backedges:|(from \d+ to )?\d+: safe$)/.test(l))
    .map((l) => l.replace(/(before \d+: \(18\) r\d+ = )0x[0-9a-f]+/, "$1<map>").replace(/\s+$/, ""));
}

export function statsLine(log: string): string | undefined {
  return /^processed \d+ insns .*$/m.exec(log)?.[0];
}

export function kernelRecord(file: string): BackedgesRecord {
  const { verdict, log } = kernelLevel2(BACKEDGES_DIR, file);
  const stats = statsLine(log);
  return { ...verdict, ...(stats ? { stats } : {}), lines: backedgeLines(log) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) recordFixtureDir(BACKEDGES_DIR, BACKEDGES_LOGS, kernelRecord);
