import { describe, expect, it } from "vitest";
import { FORMS, FORMS_BY_OPCODE, helperId, helperName, HELPER_NAMES } from "../../src/isa/index.js";

describe("isa table", () => {
  it("no two forms claim the same encoding", () => {
    const seen = new Map<string, string>();
    for (const f of FORMS) {
      const key = `${f.opcode}/${f.fixed.src ?? "*"}/${f.fixed.off ?? "*"}/${f.fixed.imm ?? "*"}`;
      expect(seen.get(key), `${f.name} vs ${seen.get(key)}`).toBeUndefined();
      seen.set(key, f.name);
    }
  });

  it("covers RFC 9669 and Linux 6.18: counts per class", () => {
    const opcodes = FORMS_BY_OPCODE.map((fs, op) => (fs.length ? op : -1)).filter((op) => op >= 0);
    // ALU: 12 ops x K/X + neg + end(le/be) per class; ALU64 adds bswap.
    const perClass = (cls: number): number => opcodes.filter((op) => (op & 7) === cls).length;
    expect(perClass(4)).toBe(12 * 2 + 1 + 2); // ALU
    expect(perClass(7)).toBe(12 * 2 + 1 + 1); // ALU64
    expect(perClass(5)).toBe(1 + 11 * 2 + 2 + 1 + 1); // ja, jcc K/X, call, callx, exit, may_goto
    expect(perClass(6)).toBe(1 + 11 * 2); // gotol, jcc32 K/X
    expect(perClass(1)).toBe(4 + 3); // ldx, ldxs
    expect(perClass(2)).toBe(4); // st
    expect(perClass(3)).toBe(4 + 4); // stx, atomic (b/h only for load-acquire/store-release)
    expect(perClass(0)).toBe(1 + 3 + 3); // lddw, abs, ind
  });

  it("knows the kernel's helpers by number and name", () => {
    expect(helperId("bpf_map_lookup_elem")).toBe(1);
    expect(helperId("map_lookup_elem")).toBe(1);
    expect(helperName(12)).toBe("bpf_tail_call");
    expect(helperName(0)).toBeUndefined();
    expect(HELPER_NAMES.length).toBe(212);
  });
});
