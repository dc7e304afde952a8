// Precision tracking and precise-aware pruning (src/verifier/precision.ts, prune.ts) against the
// running kernel's behaviour: the level-2 back-tracking lines recorded from the kernel by
// scripts/record-verifier-precision.ts, the kernel's verdicts on programs that are only rejected
// when precision is propagated across a join (pruning them would accept an out-of-bounds access),
// and the processed-instruction counts of C programs where the kernel prunes thanks to imprecise
// scalars (recorded by scripts/record-verifier-c.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { assemble } from "../../src/text/assembler.js";
import { toRawSlots, verifyProgram, verifySlots, type VerifyResult } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";
import { kernelRecord, precisionLines, type PrecisionRecord } from "../../scripts/record-verifier-precision.js";

const DIR = new URL("../fixtures/verifier/precision/", import.meta.url);
const records = JSON.parse(readFileSync(new URL("../fixtures/verifier/precision-logs.json", import.meta.url), "utf8")) as PrecisionRecord[];

function emulate(file: string, logLevel = 2): VerifyResult {
  const p = assemble(readFileSync(new URL(file, DIR), "utf8"), { file });
  return verifySlots(toRawSlots(p.insns), p.maps, "GPL", { progType: 1, logLevel });
}

describe("precision tracking (recorded kernel logs)", () => {
  it("has fixtures for both verdicts", () => {
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(records.some((r) => r.verdict === "reject")).toBe(true);
    expect(records.some((r) => r.verdict === "accept")).toBe(true);
  });

  for (const r of records) {
    describe(r.file, () => {
      const ours = emulate(r.file);
      it("gets the kernel's verdict, first error line and processed count", () => {
        expect(ours.verdict).toBe(r.verdict);
        if (r.error) expect(ours.error?.message.split("\n")[0]).toBe(r.error);
        expect(ours.stats.processed).toBe(r.processed);
      });
      it("prints the kernel's mark_precise back-tracking, P marks included", () => {
        expect(r.precision.length).toBeGreaterThan(0);
        expect(precisionLines(ours.log)).toEqual(r.precision);
      });
    });
  }

  it("never prunes a path whose precise offset differs (no unsafe accept)", () => {
    // each of these is safe on the first path walked and unsafe on the second, which reaches the join
    // with a value only a precise comparison tells apart
    for (const f of ["ptr-offset-across-join.s", "spill-fill-precision.s"]) {
      const res = emulate(f, 0);
      expect(res.verdict, f).toBe("reject");
      expect(res.error?.message, f).toMatch(/invalid read from stack R1 off=84 size=1/);
    }
  });

  it("prunes against a state whose differing scalar is not precise", () => {
    // imprecise-prune.s: r7 differs on each path, only r6 is relied on; the later paths are pruned
    const res = emulate("imprecise-prune.s");
    expect(res.log).toMatch(/^from \d+ to \d+: safe$/m);
    expect(res.log).toMatch(/^frame 0: propagating r6$/m);
  });
});

describe("processed-instruction counts where the kernel prunes imprecise scalars (recorded C programs)", () => {
  interface Rec { object: string; program: string; section: string; verdict: string; processed?: number }
  const recs = JSON.parse(readFileSync(new URL("../fixtures/verifier/c-programs.json", import.meta.url), "utf8")) as Rec[];
  const run = (r: Rec): VerifyResult => {
    const obj = loadObject(new Uint8Array(readFileSync(new URL(`../fixtures/verifier/c/${r.object}`, import.meta.url))), { file: r.object });
    const p = obj.programs.find((x) => x.name === r.program)!;
    const sec = resolveSection(p.section)!;
    return verifyProgram(p, { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}),
      hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 });
  };
  for (const name of ["many_branches", "branches_with_map_values", "bound_from_map"]) {
    it(`${name}: the kernel's processed count`, () => {
      const r = recs.find((x) => x.program === name)!;
      expect(r.processed).toBeDefined();
      expect(run(r).stats.processed).toBe(r.processed);
    });
  }
});

describeKernel("precision tracking (live kernel)", () => {
  it("the recorded back-tracking lines still match this kernel", () => {
    for (const r of records) expect(kernelRecord(r.file)).toEqual(r);
  });
});
