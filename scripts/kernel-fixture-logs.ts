// What the fixture recorders share (record-verifier-precision.ts, record-verifier-stack-liveness.ts): a
// directory of socket-filter programs in the assembler's syntax, each loaded into the running kernel at
// log level 2, and one JSON file of what the kernel said about each, for a test to hold the emulator to.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../src/text/assembler.js";
import { kernelVerify } from "../src/testing/kernel-verdict.js";
import { toRawSlots } from "../src/verifier/verifier.js";

/** What every record holds: the kernel's verdict, its first error line and its processed count. */
export interface KernelFixtureVerdict {
  file: string;
  verdict: "accept" | "reject";
  error?: string;
  processed?: number;
}

/** Load `dir/file` into the kernel at log level 2 (needs root): its verdict and the whole log. */
export function kernelLevel2(dir: string, file: string): { verdict: KernelFixtureVerdict; log: string } {
  const p = assemble(readFileSync(join(dir, file), "utf8"), { file });
  const k = kernelVerify("socket", toRawSlots(p.insns), p.maps, "GPL", 2);
  const verdict: KernelFixtureVerdict = { file, verdict: k.verdict };
  if (k.error) verdict.error = k.error;
  const m = /processed (\d+) insns/.exec(k.log);
  if (m) verdict.processed = Number(m[1]);
  return { verdict, log: k.log };
}

/** Record every `.s` program of `dir`, in name order, into the JSON file `out`. */
export function recordFixtureDir(dir: string, out: string, record: (file: string) => unknown): void {
  const records = readdirSync(dir).filter((f) => f.endsWith(".s")).sort().map(record);
  writeFileSync(out, JSON.stringify(records, null, 1) + "\n");
  console.log(`recorded ${records.length} programs into ${out}`);
}
