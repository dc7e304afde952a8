import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  BpfkitError,
} from "../../src/diagnostics/index.js";
import {
  decode, decodeAll, encode, FORMS, formOf, fromHex, toHex, validate, type Instruction, insn, wide, SlotMap,
} from "../../src/isa/index.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

/** An instruction of a form with random values in the fields the form uses. */
const arbInsnOfForm = (formIndex: number): fc.Arbitrary<Instruction> => {
  const f = FORMS[formIndex]!;
  return fc.record({
    dst: f.uses.dst ? fc.integer({ min: 0, max: 10 }) : fc.constant(0),
    src: f.uses.src ? fc.integer({ min: 0, max: 10 }) : fc.constant(f.fixed.src ?? 0),
    off: f.uses.off ? fc.integer({ min: -0x8000, max: 0x7fff }) : fc.constant(f.fixed.off ?? 0),
    imm: f.uses.imm ? fc.integer({ min: -0x80000000, max: 0x7fffffff }) : fc.constant(f.fixed.imm ?? 0),
    hi: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }).map(({ dst, src, off, imm, hi }) => (f.kind === "lddw" ? wide(dst, hi, src) : insn(f.opcode, dst, src, off, imm)));
};

describe("isa codec", () => {
  it("every form decodes back to itself with its fixed fields", () => {
    for (const f of FORMS) {
      const i = insn(f.opcode, f.uses.dst ? 3 : 0, f.fixed.src ?? (f.uses.src ? 4 : 0), f.fixed.off ?? (f.uses.off ? -7 : 0), f.fixed.imm ?? (f.uses.imm ? 42 : 0));
      const bytes = encode([f.kind === "lddw" ? wide(i.dst, 0x1122334455667788n, i.src) : i]);
      const [back] = decode(bytes);
      expect(formOf(back!)?.name, f.name).toBe(f.name);
    }
  });

  it("round-trips random instructions of every form (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: FORMS.length - 1 }).chain(arbInsnOfForm), (i) => {
      const bytes = encode([i]);
      const [back] = decode(bytes);
      expect(encode([back!])).toEqual(bytes);
      expect(validate(back!, 0)).toEqual([]);
    }), { numRuns: fuzzRuns(3000) });
  });

  it("encodes lddw as two slots, little-endian, high half in the second imm", () => {
    expect(toHex(encode([wide(0, 0x1122334455667788n)]))).toBe("18000000887766550000000044332211");
    expect(decode(fromHex("18000000887766550000000044332211")!)[0]!.imm64).toBe(0x1122334455667788n);
  });

  it("names the slot index and the field of each invalid instruction, collecting all of them", () => {
    // pc0: mov r0, 1 (valid); pc1: unknown opcode 0xff; pc2: add32 r1, r2 with imm 5 (reserved); pc3: exit with dst 1
    const bytes = fromHex("b700000001000000" + "ff00000000000000" + "0c21000005000000" + "9501000000000000")!;
    const { diagnostics } = decodeAll(bytes);
    expect(diagnostics.map((d) => [d.pc, d.code])).toEqual([[1, "BK1002"], [2, "BK1003"], [3, "BK1003"]]);
    expect(diagnostics[1]!.message).toContain("imm");
    expect(diagnostics[2]!.message).toContain("dst");
    expect(() => decode(bytes)).toThrow(BpfkitError);
  });

  it("reports a truncated lddw and a length that is not a multiple of 8", () => {
    expect(decodeAll(fromHex("1800000001000000")!).diagnostics[0]!.code).toBe("BK1005");
    expect(decodeAll(new Uint8Array(12)).diagnostics.map((d) => d.code)).toContain("BK1001");
  });

  it("rejects a wrong discriminator with the allowed values (sdiv off=1 only, bswap 16/32/64)", () => {
    const [d] = decodeAll(fromHex("3f21020000000000")!).diagnostics; // div r1, r2 with off=2
    expect(d!.code).toBe("BK1004");
    expect(d!.message).toMatch(/offset 2.*0, 1/);
    const [e] = decodeAll(fromHex("d701000008000000")!).diagnostics; // bswap8 does not exist
    expect(e!.message).toMatch(/imm 8/);
  });

  it("only ever reports BpfkitError diagnostics on random bytes (fuzz)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const { insns, diagnostics } = decodeAll(bytes);
      for (const d of diagnostics) expect(d.code).toMatch(/^BK1\d{3}$/);
      expect(insns.length).toBeLessThanOrEqual(Math.ceil(bytes.length / 8));
    }), { numRuns: fuzzRuns(2000) });
  });

  it("maps instruction indexes to slots around lddw", () => {
    const m = new SlotMap([insn(0xb7), wide(1, 5n), insn(0x95)]);
    expect(m.slotOf).toEqual([0, 1, 3]);
    expect(m.indexOf(2)).toBe(-1);
    expect(m.indexOf(3)).toBe(2);
  });
});
