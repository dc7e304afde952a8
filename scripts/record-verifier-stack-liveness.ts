// Records the running kernel's level-2 logs for the stack-liveness fixtures
// (test/fixtures/verifier/stack-liveness/*.s, socket filters in the assembler's syntax) into
// test/fixtures/verifier/stack-liveness-logs.json: verdict, first error line, processed count, the
// `safe` (pruning) lines, the live-stack lines of the log (`(0) frame 0 insn 8 +live -8`,
// `(0) live stack update done in 2 iterations`), the "Live regs before insn:" lines of
// instructions in a loop (with the loop's SCC number) and the `SCC enter/exit (N)` visit lines. test/verifier/stack-liveness.test.ts holds the
// emulator to them.
//
//   npx tsx scripts/record-verifier-stack-liveness.ts        (needs root and bpf(2))
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type KernelFixtureVerdict, kernelLevel2, recordFixtureDir } from "./kernel-fixture-logs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const STACK_LIVENESS_DIR = join(root, "test/fixtures/verifier/stack-liveness");
export const STACK_LIVENESS_LOGS = join(root, "test/fixtures/verifier/stack-liveness-logs.json");

export interface StackLivenessRecord extends KernelFixtureVerdict {
  /** The log's live-stack lines, in order. */
  live: string[];
  /** The log's pruning lines (`from N to M: safe`, `N: safe`), in order. */
  safe: string[];
  /** The live-registers table lines that carry an SCC number (instructions in a loop). */
  loops: string[];
  /** `SCC enter (N)` / `SCC exit (N)`: a walk entering and finishing a loop. */
  loopVisits: string[];
}

/** The lines liveness.c writes at log level 2. */
export function liveStackLines(log: string): string[] {
  return log.split("\n").filter((l) => /^\([\d,]+\) (frame \d+ insn \d+ |live stack update done )/.test(l));
}

/** "Live regs before insn:" lines of instructions in a loop: `  1   2: 0.2....... (15) if ...`. */
export function loopTableLines(log: string): string[] {
  return log.split("\n").filter((l) => /^ {0,2}\d+ +\d+: [0-9.]{10} /.test(l)).map((l) => l.replace(/= 0x[0-9a-f]+$/, "= <map>"));
}

export function loopVisitLines(log: string): string[] {
  return log.split("\n").filter((l) => /^SCC (enter|exit) \(/.test(l));
}

export function safeLines(log: string): string[] {
  return log.split("\n").filter((l) => /^(from \d+ to \d+|\d+): safe$/.test(l));
}

export function kernelRecord(file: string): StackLivenessRecord {
  const { verdict, log } = kernelLevel2(STACK_LIVENESS_DIR, file);
  return { ...verdict, live: liveStackLines(log), safe: safeLines(log), loops: loopTableLines(log), loopVisits: loopVisitLines(log) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) recordFixtureDir(STACK_LIVENESS_DIR, STACK_LIVENESS_LOGS, kernelRecord);
