// Stack-slot liveness (src/verifier/stack-liveness.ts, 6.18's kernel/bpf/liveness.c) and the cleaning of
// finished checkpoints (clean_verifier_state: dead slots and dead registers of every frame) against the
// running kernel: the level-2 live-stack lines, pruning lines, loop (SCC) numbers of the live-registers
// table and loop visit lines, verdicts and processed counts recorded
// from the kernel by scripts/record-verifier-stack-liveness.ts for test/fixtures/verifier/stack-liveness/*.s.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/assembler.js";
import { loopComponents } from "../../src/verifier/scc.js";
import { fmtStackMask, postorder } from "../../src/verifier/stack-liveness.js";
import { toRawSlots, verifySlots, type VerifyResult } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";
import { kernelRecord, liveStackLines, loopTableLines, loopVisitLines, safeLines, type StackLivenessRecord } from "../../scripts/record-verifier-stack-liveness.js";

const DIR = new URL("../fixtures/verifier/stack-liveness/", import.meta.url);
const records = JSON.parse(readFileSync(new URL("../fixtures/verifier/stack-liveness-logs.json", import.meta.url), "utf8")) as StackLivenessRecord[];

function emulate(file: string, logLevel = 2): VerifyResult {
  const p = assemble(readFileSync(new URL(file, DIR), "utf8"), { file });
  return verifySlots(toRawSlots(p.insns), p.maps, "GPL", { progType: 1, logLevel });
}

describe("stack liveness (recorded kernel logs)", () => {
  it("has fixtures that prune on a dead slot and one the kernel rejects", () => {
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records.some((r) => r.safe.length > 0)).toBe(true);
    expect(records.some((r) => r.verdict === "reject")).toBe(true);
    expect(records.every((r) => r.live.length > 0 || r.file === "caller-reg-dead.s")).toBe(true);
    expect(records.filter((r) => r.loops.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(records.some((r) => r.loopVisits.some((l) => l.startsWith("SCC exit")))).toBe(true);
  });

  for (const r of records) {
    describe(r.file, () => {
      const ours = emulate(r.file);
      it("gets the kernel's verdict and first error line", () => {
        expect(ours.verdict).toBe(r.verdict);
        if (r.error) expect(ours.error?.message.split("\n")[0]).toBe(r.error);
      });
      it("numbers the loops (SCCs) of the live-registers table like the kernel", () => {
        expect(loopTableLines(ours.log)).toEqual(r.loops);
      });
      it("walks as many instructions as the kernel", () => {
        expect(ours.stats.processed).toBe(r.processed);
      });
      it("prints the kernel's live-stack lines and prunes where it does", () => {
        expect(liveStackLines(ours.log)).toEqual(r.live);
        expect(safeLines(ours.log)).toEqual(r.safe);
        expect(loopVisitLines(ours.log)).toEqual(r.loopVisits);
      });
    });
  }

  it("prunes a path whose only difference is a slot nobody reads again", () => {
    // dead-slot-prune.s: fp-16 holds 0 on one path and fp0 on the other, and is dead at the join
    const res = emulate("dead-slot-prune.s");
    expect(res.log).toMatch(/^from 5 to 8: safe$/m);
    expect(res.stats.totalStates).toBe(1);
  });

  it("forgets a caller's register that is dead after its call (clean_verifier_state, every frame)", () => {
    // caller-reg-dead.s: the caller's r6 differs, the paths meet inside the callee
    const res = emulate("caller-reg-dead.s");
    expect(res.log).toMatch(/^13: safe$/m);
  });

  it("keeps a slot that only a callee reads (no unsafe prune)", () => {
    // the second path stores a scalar where the first stored fp0; the callee dereferences it
    const res = emulate("callee-reads-slot.s", 0);
    expect(res.verdict).toBe("reject");
    expect(res.error?.message).toBe("R2 invalid mem access 'scalar'");
  });

  it("keeps a slot a pending loop path reads (no unsafe prune inside an unfinished may_goto loop)", () => {
    // loop-read-pending.s: forgetting fp-16 at the join j would prune the path that stores a scalar there
    const res = emulate("loop-read-pending.s", 0);
    expect(res.verdict).toBe("reject");
    expect(res.error?.message).toBe("R1 invalid mem access 'scalar'");
  });

  it("prints live-stack lines only at log level 2", () => {
    // a rejected program keeps its level-1 log: the walk's live-stack updates are not in it
    expect(liveStackLines(emulate("callee-reads-slot.s", 1).log)).toEqual([]);
    expect(liveStackLines(emulate("callee-reads-slot.s", 2).log).length).toBeGreaterThan(0);
  });

  it("numbers loops in the order the kernel's Tarjan walk closes them", () => {
    // 0: r0 = 0; 1: if r0 == 0 goto -1 (self loop); 2: if r0 == 0 goto -3 (back to 0); 3: exit
    const insns = [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x15, dst: 0, src: 0, off: -1, imm: 0 },
      { code: 0x15, dst: 0, src: 0, off: -3, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    expect([...loopComponents(insns)]).toEqual([1, 1, 1, 0]);
    expect([...loopComponents(insns.slice(1, 2).concat(insns[3]!))]).toEqual([1, 0]);
  });

  it("counts a helper call that runs a callback (bpf_loop) as a loop of its own, as the running 6.18 prints it", () => {
    // r1 = 4; r2 = 0; r3 = 0; r4 = 0; call bpf_loop; exit: the kernel's level-2 table shows `  1   4: ... call bpf_loop#181`
    const insns = [{ code: 0xb7, dst: 1, src: 0, off: 0, imm: 4 }, { code: 0xb7, dst: 2, src: 0, off: 0, imm: 0 }, { code: 0xb7, dst: 3, src: 0, off: 0, imm: 0 },
      { code: 0xb7, dst: 4, src: 0, off: 0, imm: 0 }, { code: 0x85, dst: 0, src: 0, off: 0, imm: 181 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    expect([...loopComponents(insns)]).toEqual([0, 0, 0, 0, 1, 0]);
    // any other helper call is not
    expect([...loopComponents(insns.map((x) => (x.imm === 181 ? { ...x, imm: 7 } : x)))]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("formats slot masks and orders instructions like the kernel", () => {
    expect(fmtStackMask(0b101n)).toBe("-8,-24");
    expect(fmtStackMask(1n << 63n)).toBe("-512");
    // 0: if r0 > 0 goto +1; 1: r0 = 1; 2: exit - the jump target is explored first
    const insns = [{ code: 0x25, dst: 0, src: 0, off: 1, imm: 0 }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    expect(postorder(insns, [0])).toEqual({ order: [2, 1, 0], starts: [0, 3] });
  });
});

describeKernel("stack liveness (live kernel)", () => {
  it("the recorded live-stack lines still match this kernel", () => {
    for (const r of records) expect(kernelRecord(r.file)).toEqual(r);
  });
});
