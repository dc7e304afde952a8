// Records the running kernel's verdict, first error line and processed count for the verifier's
// regression fixtures (test/fixtures/verifier/regress/*.s: programs in the assembler's syntax, each
// naming its program type with `.section`) into test/fixtures/verifier/regress.json. Each fixture pins a
// bug found in the emulator; test/verifier/regress.test.ts holds the emulator to the kernel's record.
//
//   npx tsx scripts/record-verifier-regress.ts        (needs root and bpf(2))
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble } from "../src/text/assembler.js";
import { kernelVerify } from "../src/testing/kernel-verdict.js";
import { toRawSlots } from "../src/verifier/verifier.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REGRESS_DIR = join(root, "test/fixtures/verifier/regress");
export const REGRESS_RECORDS = join(root, "test/fixtures/verifier/regress.json");

export interface RegressRecord {
  file: string;
  section: string;
  verdict: "accept" | "reject";
  /** First line of the kernel's message (rejections). */
  error?: string;
  processed?: number;
}

/** Load one fixture into the kernel (log level 1) and say what it answered. */
export function kernelRegressRecord(file: string): RegressRecord {
  const p = assemble(readFileSync(join(REGRESS_DIR, file), "utf8"), { file });
  const k = kernelVerify(p.section, toRawSlots(p.insns), p.maps, p.license || "GPL", 1);
  const rec: RegressRecord = { file, section: p.section, verdict: k.verdict };
  if (k.error) rec.error = k.error;
  const m = /processed (\d+) insns/.exec(k.log);
  if (m) rec.processed = Number(m[1]);
  return rec;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const records = readdirSync(REGRESS_DIR).filter((f) => f.endsWith(".s")).sort().map(kernelRegressRecord);
  writeFileSync(REGRESS_RECORDS, JSON.stringify(records, null, 1) + "\n");
  for (const r of records) console.log(`${r.file}: ${r.verdict}${r.error ? ` (${r.error})` : ""}, processed ${r.processed ?? "-"}`);
}
