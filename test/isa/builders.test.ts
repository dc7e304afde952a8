import { describe, expect, it } from "vitest";
import { aluReg, call, encode, exit, jmpImm, label, link, loadMap, mov64Imm, toHex, lddw, R0, R1 } from "../../src/isa/index.js";
import { BpfkitError } from "../../src/diagnostics/index.js";

describe("builders and link", () => {
  it("resolves jumps by label, counting lddw as two slots", () => {
    const prog = link([
      mov64Imm(R0, 0), // 0: r0 = 0
      label("top", lddw(R1, 7)), // 1-2: r1 = 7 ll
      aluReg("add", R0, R1), // 3: r0 += r1
      jmpImm("jne", R0, 21, "top"), // 4: if r0 != 21 goto top (-4)
      exit(), // 5
    ]);
    expect(toHex(encode(prog))).toBe(
      "b700000000000000" + "1801000007000000" + "0000000000000000" + "0f10000000000000" + "5500fcff15000000" + "9500000000000000");
  });

  it("resolves map names through the caller and reports every unknown name", () => {
    const linked = link([loadMap(R1, "counters"), call("bpf_map_lookup_elem"), exit()], { resolveSymbol: (n) => (n === "counters" ? 0n : undefined) });
    expect(linked[0]!.src).toBe(1);
    expect(linked[1]!.imm).toBe(1);
    try {
      link([jmpImm("jeq", R0, 0, "nowhere"), loadMap(R1, "missing"), exit()]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BpfkitError);
      expect((e as BpfkitError).diagnostics.map((d) => d.message)).toEqual(["unresolved reference 'nowhere'", "unresolved reference 'missing'"]);
    }
  });

  it("refuses to encode an instruction whose label was never linked", () => {
    expect(() => encode([jmpImm("jeq", R0, 0, "later"), exit()])).toThrow(/unresolved reference 'later'/);
  });
});
