// Bugs found in the verifier emulator, each pinned by a program and the running kernel's answer to it
// (test/fixtures/verifier/regress/*.s, recorded by scripts/record-verifier-regress.ts into regress.json):
// the emulator must give the kernel's verdict, first error line and processed-instruction count.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveSection } from "../../src/progtypes/index.js";
import { assemble } from "../../src/text/assembler.js";
import { toRawSlots, verifySlots, type VerifyResult } from "../../src/verifier/verifier.js";
import { kernelRegressRecord, REGRESS_DIR, type RegressRecord } from "../../scripts/record-verifier-regress.js";
import { describeKernel } from "../support/kernel.js";

const records = JSON.parse(readFileSync(new URL("../fixtures/verifier/regress.json", import.meta.url), "utf8")) as RegressRecord[];

function emulate(file: string): VerifyResult {
  const p = assemble(readFileSync(`${REGRESS_DIR}/${file}`, "utf8"), { file });
  const sec = resolveSection(p.section)!;
  return verifySlots(toRawSlots(p.insns), p.maps, p.license || "GPL",
    { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}) });
}

describe("verifier regressions (recorded kernel answers)", () => {
  it("has a record for every fixture", () => {
    const files = readdirSync(REGRESS_DIR).filter((f) => f.endsWith(".s")).sort();
    expect(records.map((r) => r.file)).toEqual(files);
  });
  for (const r of records) {
    it(`${r.file}: ${r.verdict}${r.error ? ` (${r.error})` : ""}`, () => {
      const ours = emulate(r.file);
      expect(ours.verdict).toBe(r.verdict);
      expect(ours.error?.message.split("\n")[0]).toBe(r.error);
      expect(ours.stats.processed).toBe(r.processed);
    });
  }
});

describeKernel("verifier regressions: the running kernel still answers as recorded", () => {
  for (const r of records) it(r.file, () => expect(kernelRegressRecord(r.file)).toEqual(r));
});
