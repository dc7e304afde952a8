// Random and mutated bytecode must never crash or hang the verifier: every input ends in a verdict
// within a time bound (the instruction limit is lowered so loops that the kernel would walk to its
// 1M-instruction limit stop early here).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RawInsn } from "../../src/verifier/cfg.js";
import { generate, mutate } from "../support/verifier-gen.js";
import { verifySlots } from "../../src/verifier/verifier.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const TYPES = [1, 2, 3, 6, 8];
const slot = fc.record({ code: fc.nat(255), dst: fc.nat(15), src: fc.nat(15), off: fc.integer({ min: -8, max: 8 }), imm: fc.integer({ min: -70000, max: 70000 }) });
const MAPS = [{ name: "m", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }];

function run(insns: RawInsn[], progType: number): { ms: number; verdict: string } {
  const t0 = performance.now();
  const r = verifySlots(insns, MAPS, "GPL", { progType, logLevel: 2, insnLimit: 20000, timeoutMs: 5000 });
  return { ms: performance.now() - t0, verdict: r.verdict };
}

describe("verifier fuzz", () => {
  it("random slots always get a verdict, quickly", () => {
    fc.assert(fc.property(fc.array(slot, { minLength: 1, maxLength: 40 }), fc.constantFrom(...TYPES), (insns, t) => {
      const r = run(insns, t);
      return (r.verdict === "accept" || r.verdict === "reject") && r.ms < 5000;
    }), { numRuns: fuzzRuns(400) });
  });
  it("mutated generated programs always get a verdict, quickly", () => {
    let worst = 0;
    for (const c of generate(77, 300)) {
      for (let k = 0; k < 3; k++) {
        const r = run(mutate(c.insns, k * 1000 + c.insns.length), c.progType);
        worst = Math.max(worst, r.ms);
        expect(["accept", "reject"]).toContain(r.verdict);
      }
    }
    expect(worst).toBeLessThan(5000);
  });
  it("stops at the instruction limit with the kernel's message", () => {
    // r0 = 0; loop: r0 += 1; if r0 != -1 goto loop; exit -- the kernel walks this to its limit
    const insns: RawInsn[] = [
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x07, dst: 0, src: 0, off: 0, imm: 1 },
      { code: 0x55, dst: 0, src: 0, off: -2, imm: -1 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const r = verifySlots(insns, [], "GPL", { progType: 6, insnLimit: 3000 });
    expect(r.error?.message).toBe("BPF program is too large. Processed 3001 insn");
  });
});
