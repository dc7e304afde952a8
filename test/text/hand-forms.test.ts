// Forms LLVM 19 cannot check, against hand-annotated bytes (test/fixtures/text/hand-forms.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decode, encode, fromHex, toHex } from "../../src/isa/index.js";
import { assemble, disassemble } from "../../src/text/index.js";

const { cases } = JSON.parse(readFileSync(new URL("../fixtures/text/hand-forms.json", import.meta.url), "utf8")) as
  { cases: { llvm: string; mnemonic: string; bytes: string; note: string }[] };

describe("hand-annotated encodings", () => {
  for (const c of cases) {
    it(`${c.llvm} (${c.note})`, () => {
      expect(toHex(encode(assemble(c.llvm, { syntax: "llvm" }).insns))).toBe(c.bytes);
      expect(toHex(encode(assemble(c.mnemonic, { syntax: "mnemonic" }).insns))).toBe(c.bytes);
      const insns = decode(fromHex(c.bytes)!);
      expect(disassemble(insns, { syntax: "llvm" }).trimEnd()).toBe(c.llvm);
      expect(disassemble(insns, { syntax: "mnemonic" }).trimEnd()).toBe(c.mnemonic);
    });
  }
});
