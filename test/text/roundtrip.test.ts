// Property: for every valid instruction x (any form of the ISA table, random operands),
// assemble(disassemble(x)) encodes to the same bytes, in both syntaxes, with and without labels.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode, FORMS, type Instruction, insn, type InstructionForm, toHex, validate, wide } from "../../src/isa/index.js";
import { assemble, disassemble } from "../../src/text/index.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const reg = fc.integer({ min: 0, max: 10 });
const s16 = fc.integer({ min: -0x8000, max: 0x7fff });
const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

function arbitraryOf(f: InstructionForm): fc.Arbitrary<Instruction> {
  if (f.kind === "lddw") return fc.tuple(reg, u64).map(([dst, v]) => wide(dst, v, f.fixed.src ?? 0));
  return fc.record({ dst: reg, src: reg, off: s16, imm: s32 }).map((r) =>
    insn(f.opcode, f.uses.dst ? r.dst : 0, f.fixed.src ?? (f.uses.src ? r.src : 0), f.fixed.off ?? (f.uses.off ? r.off : 0),
      f.fixed.imm ?? (f.uses.imm ? r.imm : 0)));
}

const anyInstruction = fc.oneof(...FORMS.map(arbitraryOf));
const hex = (insns: Instruction[]): string => toHex(encode(insns));

describe("assemble(disassemble(x)) == x", () => {
  it("generated instructions are valid encodings", () => {
    fc.assert(fc.property(anyInstruction, (i) => validate(i, 0).length === 0), { numRuns: fuzzRuns(500) });
  });

  for (const syntax of ["llvm", "mnemonic"] as const) {
    for (const f of FORMS) {
      it(`${syntax}: ${f.name} (opcode 0x${f.opcode.toString(16)})`, () => {
        fc.assert(fc.property(arbitraryOf(f), (i) => {
          const text = disassemble([i], { syntax });
          expect(hex(assemble(text, { syntax }).insns), text).toBe(hex([i]));
          expect(hex(assemble(text, { syntax: "auto" }).insns), text).toBe(hex([i]));
        }), { numRuns: fuzzRuns(40) });
      });
    }
    it(`${syntax}: random programs with labels for in-range targets`, () => {
      // Small offsets so that jumps land inside the program and get labels.
      const smallJump = fc.oneof(...FORMS.filter((f) => ["ja", "jcc", "may_goto", "gotol", "call"].includes(f.kind)).map((f) =>
        fc.record({ dst: reg, src: reg, rel: fc.integer({ min: -6, max: 6 }), imm: s32 }).map((r) =>
          insn(f.opcode, f.uses.dst ? r.dst : 0, f.fixed.src ?? (f.uses.src ? r.src : 0),
            f.fixed.off ?? (f.uses.off ? r.rel : 0), f.fixed.imm ?? (f.kind === "gotol" || (f.kind === "call" && f.fixed.src === 1) ? r.rel : f.uses.imm ? r.imm : 0)))));
      fc.assert(fc.property(fc.array(fc.oneof(anyInstruction, smallJump), { minLength: 1, maxLength: 12 }), (insns) => {
        const text = disassemble(insns, { syntax, labels: true });
        expect(hex(assemble(text, { syntax }).insns), text).toBe(hex(insns));
      }), { numRuns: fuzzRuns(300) });
    });
  }
});
