// Fuzzing: random and mutated text into the assembler, random bytes into decode + disassemble.
// Only BpfkitError may come out (never another exception), and every input finishes quickly.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { decode, decodeAll, encode, toHex } from "../../src/isa/index.js";
import { assemble, disassemble } from "../../src/text/index.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const golden = JSON.parse(readFileSync(new URL("../fixtures/text/golden-llvm.json", import.meta.url), "utf8")) as { asm: { text: string }[] };
const SEEDS = [
  ...golden.asm.map((a) => a.text),
  "mov %r0, 1", "ldxw %r0, [%r1+4]", "stxdw [%r10-8], %r1", "jgt %r1, %r2, +3", "lock fetch xor32 [%r10-8], %r1", "call local f",
  ".map m, type=hash, key=4, value=8, max_entries=16", ".section xdp", ".license \"GPL\"", "f:", "exit", "r1 = m ll",
];

/** Only a BpfkitError with at least one located diagnostic is an acceptable failure. */
function assembleSafely(text: string, limitMs = 2000): void {
  const start = performance.now();
  try {
    assemble(text, { file: "fuzz.s" });
  } catch (err) {
    if (!(err instanceof BpfkitError)) throw err;
    expect(err.diagnostics.length).toBeGreaterThan(0);
    for (const d of err.diagnostics) expect(d.code).toMatch(/^BK2\d{3}$/);
  }
  // Generous bounds: the point is "no hang, no blow-up", on a machine that may be busy.
  expect(performance.now() - start).toBeLessThan(limitMs);
}

const ALPHABET = [..."rw0123456789%[]()*+-=<>!&|^/,:;#.\"sxulbeglotif \t\n", "ll", "goto", "if", "exit", "call", "lock", "u32", "0x", "r10", "%r1", "skb", "s>>="];
const mutate = (seed: string, ops: { at: number; kind: number; piece: string }[]): string => {
  let s = seed;
  for (const op of ops) {
    const at = s.length ? op.at % (s.length + 1) : 0;
    if (op.kind === 0) s = s.slice(0, at) + s.slice(at + 1);
    else if (op.kind === 1) s = s.slice(0, at) + op.piece + s.slice(at);
    else s = s.slice(0, at) + op.piece + s.slice(at + 1);
  }
  return s;
};

describe("assembler fuzz", () => {
  it("random text: only BpfkitError", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 60 }), (parts) => assembleSafely(parts.join(""))), { numRuns: fuzzRuns(3000) });
  });
  it("random unicode: only BpfkitError", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => assembleSafely(s)), { numRuns: fuzzRuns(1000) });
  });
  it("mutated valid lines and programs: only BpfkitError", () => {
    const op = fc.record({ at: fc.nat(), kind: fc.integer({ min: 0, max: 2 }), piece: fc.constantFrom(...ALPHABET) });
    fc.assert(fc.property(fc.array(fc.constantFrom(...SEEDS), { minLength: 1, maxLength: 6 }), fc.array(op, { maxLength: 4 }),
      (lines, ops) => assembleSafely(mutate(lines.join("\n"), ops))), { numRuns: fuzzRuns(3000) });
  });
  it("a very long line and many lines finish quickly", () => {
    assembleSafely("r0 = " + "1".repeat(100_000), 5000);
    assembleSafely("r0 += 1\n".repeat(20_000) + "exit", 10_000);
    assembleSafely("(".repeat(50_000), 5000);
  });
});

describe("decode + disassemble fuzz", () => {
  it("random bytes: decode throws only BpfkitError; lenient decode always disassembles", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
      try {
        decode(bytes);
      } catch (err) {
        if (!(err instanceof BpfkitError)) throw err;
      }
      const { insns } = decodeAll(bytes, { lenient: true });
      for (const syntax of ["llvm", "mnemonic"] as const) {
        const text = disassemble(insns, { syntax, labels: true, offsets: true, bytes: true });
        expect(typeof text).toBe("string");
        // Without the pc/bytes columns the text assembles back to the same slots, even for invalid encodings (.raw).
        // (Only where the decoded instructions hold every byte: lenient decoding drops a malformed lddw second slot.)
        if (bytes.length > 0 && toHex(encode(insns)) === toHex(bytes)) {
          const again = assemble(disassemble(insns, { syntax }), { syntax });
          expect(toHex(encode(again.insns))).toBe(toHex(bytes));
        }
      }
    }), { numRuns: fuzzRuns(3000) });
  });
});
