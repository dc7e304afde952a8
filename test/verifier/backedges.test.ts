// Loop backedges and the precision re-propagation when a loop visit ends (src/verifier/backedges.ts,
// 6.18's bpf_scc_backedge / propagate_backedges) against the running kernel: the level-2 `SCC
// enter/backedge/exit` lines, the precision lines (propagate_backedges' own after each `SCC exit`),
// verdicts, processed counts and peak_states recorded by scripts/record-verifier-backedges.ts for
// test/fixtures/verifier/backedges/*.s. dead-register-ids.s also pins that an unfinished checkpoint's
// convergence check compares only live registers (func_states_equal's live_regs_before).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/assembler.js";
import { toRawSlots, verifySlots, type VerifyResult } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";
import { backedgeLines, type BackedgesRecord, kernelRecord, statsLine } from "../../scripts/record-verifier-backedges.js";

const DIR = new URL("../fixtures/verifier/backedges/", import.meta.url);
const records = JSON.parse(readFileSync(new URL("../fixtures/verifier/backedges-logs.json", import.meta.url), "utf8")) as BackedgesRecord[];

function emulate(file: string, logLevel = 2): VerifyResult {
  const p = assemble(readFileSync(new URL(file, DIR), "utf8"), { file });
  return verifySlots(toRawSlots(p.insns), p.maps, "GPL", { progType: 1, logLevel });
}

describe("loop backedges and propagate_backedges (recorded kernel logs)", () => {
  it("has fixtures with backedges, a re-propagation and a rejection", () => {
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(records.every((r) => r.lines.some((l) => l.startsWith("SCC backedge (")))).toBe(true);
    expect(records.every((r) => r.lines.some((l, i) => l.startsWith("SCC exit (") && /^frame 0: propagating /.test(r.lines[i + 1] ?? "")))).toBe(true);
    expect(records.some((r) => r.verdict === "reject")).toBe(true);
  });

  for (const r of records) {
    describe(r.file, () => {
      const ours = emulate(r.file);
      it("gets the kernel's verdict, first error line, processed count and peak_states", () => {
        expect(ours.verdict).toBe(r.verdict);
        if (r.error) expect(ours.error?.message.split("\n")[0]).toBe(r.error);
        expect(statsLine(ours.log)).toBe(r.stats);
      });
      it("prints the kernel's loop visit, backedge, pruning and precision lines in the same order, parent states as printed", () => {
        expect(backedgeLines(ours.log)).toEqual(r.lines);
      });
      it("prints the same lines at level 2 only", () => {
        expect(emulate(r.file, 1).log).not.toMatch(/^SCC /m);
      });
    });
  }

  it("rejects the program whose second loop visit is only unsafe past a checkpoint marked by the re-propagation", () => {
    const res = emulate("repropagate-unsafe.s", 0);
    expect(res.verdict).toBe("reject");
    expect(res.error?.message).toMatch(/^invalid read from stack R1 off=0 size=1/);
  });
});

describeKernel("loop backedges: the running kernel still answers as recorded", () => {
  for (const r of records) it(r.file, () => expect(kernelRecord(r.file)).toEqual(r));
});
