// Our assembler and disassembler against what LLVM 19 does for every form of the ISA table, as recorded
// by scripts/record-text-golden.ts in test/fixtures/text/golden-llvm.json (so LLVM need not be installed).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decode, encode, fromHex, FORMS, formOf, type Instruction, toHex } from "../../src/isa/index.js";
import { assemble, disassemble } from "../../src/text/index.js";

interface Golden {
  disasm: { form: string; bytes: string; objdump: string }[];
  asm: { text: string; bytes: string }[];
  llvmRejects: string[];
}
const golden = JSON.parse(readFileSync(new URL("../fixtures/text/golden-llvm.json", import.meta.url), "utf8")) as Golden;

/**
 * Encodings whose objdump text loses information, so we print a spelling that assembles back instead
 * (docs/asm-syntax.md, "Where bpfkit differs from objdump"). Returns the reason, or undefined.
 */
function deliberateDifference(i: Instruction, objdump: string): string | undefined {
  const f = formOf(i)!;
  if (objdump === "<unknown>") return "LLVM 19 cannot decode this form";
  if (f.kind === "load_acquire" || f.kind === "store_release") return "LLVM 19 misreads load-acquire/store-release as atomic add";
  if (f.kind === "call" && f.fixed.src !== 0) return "objdump prints local and kfunc calls like helper calls";
  if (f.kind === "ld_ind" && i.imm !== 0) return "objdump drops ld_ind's offset";
  if (f.kind === "lddw" && i.src !== 0 && (i.imm64 ?? 0n) >> 32n !== 0n) return "objdump prints only the low half of a pseudo lddw";
  return undefined;
}

const bytesOf = (insns: Instruction[]): string => toHex(encode(insns));

describe("disassembler vs llvm-objdump-19 -d --mcpu=v4", () => {
  it("the fixture covers every form of the ISA table", () => {
    const covered = new Set(golden.disasm.map((d) => d.form));
    expect(FORMS.filter((f) => !covered.has(f.name)).map((f) => f.name)).toEqual([]);
    expect(golden.disasm.length).toBeGreaterThan(FORMS.length * 3);
  });

  for (const d of golden.disasm) {
    it(`${d.form} ${d.bytes}`, () => {
      const insns = decode(fromHex(d.bytes)!);
      const ours = disassemble(insns, { syntax: "llvm" }).trimEnd();
      const reason = deliberateDifference(insns[0]!, d.objdump);
      if (reason === undefined) expect(ours).toBe(d.objdump);
      // Either way, our text must assemble back to the same bytes.
      expect(bytesOf(assemble(ours, { syntax: "llvm" }).insns)).toBe(d.bytes);
    });
  }
});

describe("assembler vs llvm-mc-19 --show-encoding", () => {
  for (const a of golden.asm) {
    it(a.text, () => {
      expect(bytesOf(assemble(a.text, { syntax: "llvm" }).insns)).toBe(a.bytes);
    });
  }
});
