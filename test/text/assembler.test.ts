// The assembler's whole-program features: directives, maps used before declaration, source lines,
// labels (forward, at the end, `exit` as a target), function pointers, `.raw`, and what a Program keeps.
import { describe, expect, it } from "vitest";
import { encode, toHex } from "../../src/isa/index.js";
import { assemble, disassemble } from "../../src/text/index.js";

const hex = (s: string, syntax: "llvm" | "mnemonic" | "auto" = "auto"): string => toHex(encode(assemble(s, { syntax }).insns));

describe("assembler: programs", () => {
  it("directives set section, license, name and maps (maps may be used before .map)", () => {
    const p = assemble([
      "  r1 = later ll", "  r2 = map_value(first + 16) ll", "  exit",
      ".section cgroup_skb/ingress", '.license "Dual MIT/GPL"', ".name my_prog",
      ".map first, type=hash, key=4, value=32, max_entries=1024, flags=1, pinning=by_name",
      ".map later, type=array_of_maps, key=4, value=4, max_entries=2, inner=first",
    ].join("\n"), { file: "x.s" });
    expect(p).toMatchObject({ name: "my_prog", section: "cgroup_skb/ingress", license: "Dual MIT/GPL", origin: { file: "x.s", kind: "asm" } });
    expect(p.maps.map((m) => m.name)).toEqual(["first", "later"]);
    expect(p.maps[0]).toMatchObject({ type: "hash", keySize: 4, valueSize: 32, maxEntries: 1024, flags: 1, pinning: "by_name" });
    expect(p.maps[1]!.inner).toBe(p.maps[0]);
    // lddw src=1 imm=index 1; src=2 imm=index 0 with the offset in the high half.
    expect(toHex(encode(p.insns))).toBe("1811000001000000000000000000000018220000000000000000000010000000" + "9500000000000000");
    // Printing the program gives back the same program.
    const again = assemble(disassemble(p, { syntax: "llvm" }));
    expect(again.maps).toEqual(p.maps.map((m) => ({ ...m })));
    expect(toHex(encode(again.insns))).toBe(toHex(encode(p.insns)));
    expect(again).toMatchObject({ name: "my_prog", section: "cgroup_skb/ingress", license: "Dual MIT/GPL" });
  });

  it("fills Program.lines with each instruction's pc, line, column and text", () => {
    const p = assemble("# header\n  r0 = 0x1 ll\nstart: r1 = 2 # set\n\texit\n", { file: "l.s" });
    expect(p.lines).toEqual([
      { pc: 0, file: "l.s", line: 2, col: 3, text: "r0 = 0x1 ll" },
      { pc: 2, file: "l.s", line: 3, col: 8, text: "r1 = 2" },
      { pc: 3, file: "l.s", line: 4, col: 2, text: "exit" },
    ]);
    expect(p.insns[1]!.label).toBe("start");
  });

  it("labels: forward, backward, over lddw (counted in slots), after the last instruction, several on one line", () => {
    expect(hex("goto end\nr0 = 1 ll\nend: exit")).toBe("0500020000000000" + "18000000010000000000000000000000" + "9500000000000000");
    expect(hex("a: b: r0 = 1\ngoto a\ngoto b\ngoto c\nc:")).toBe("b700000001000000" + "0500feff00000000" + "0500fdff00000000" + "0500000000000000");
    expect(hex("gotol far\nfar: exit")).toBe("0600000000000000" + "9500000000000000");
  });

  it("mnemonic: `exit` as a jump target is the first exit; call local; callx; swap alias", () => {
    expect(hex("jne %r0, 0, exit\nmov %r0, 1\nexit\nexit")).toBe("5500010000000000" + "b700000001000000" + "9500000000000000" + "9500000000000000");
    expect(hex("call local f\nexit\nf: mov r0, 2\nexit")).toBe("8510000001000000" + "9500000000000000" + "b700000002000000" + "9500000000000000");
    expect(hex("call %r2\nswap16 %r0")).toBe("8d02000000000000" + "d700000010000000");
  });

  it("call NAME: a label makes a local call, otherwise a helper (with or without bpf_)", () => {
    expect(hex("call map_lookup_elem\ncall bpf_tail_call\ncall f\nf: exit")).toBe("8500000001000000" + "850000000c000000" + "8510000000000000" + "9500000000000000");
  });

  it("a label as an lddw operand is a function pointer (src=4)", () => {
    // imm counts slots from the instruction after the lddw (pc 0 + 1 + 2 = 3), as the kernel resolves BPF_PSEUDO_FUNC.
    expect(hex("r1 = cb ll\nexit\ncb: exit")).toBe("18410000020000000000000000000000" + "9500000000000000" + "9500000000000000");
  });

  it(".raw gives any encoding, also ones the ISA table rejects", () => {
    expect(hex(".raw 0x0000000000000095\n.raw 0x5566778800000018, 0x1122334400000000\n.raw 0xff")).toBe(
      "9500000000000000" + "18000000887766550000000044332211" + "ff00000000000000");
    expect(disassemble(assemble(".raw 0xff").insns, { syntax: "llvm" })).toBe(".raw 0x00000000000000ff\n");
  });

  it("clang -S bookkeeping is ignored; `.type x,@function` is not a program type", () => {
    const p = assemble('\t.text\n\t.file "x.c"\n\t.globl\tfunc\n\t.p2align\t3\n\t.type\tfunc,@function\nfunc:\n\tr0 = 0\n\texit\n.Lfunc_end0:\n\t.size\tfunc, .Lfunc_end0-func\n\t.addrsig\n');
    expect(p.name).toBe("func");
    expect(p.section).toBe("");
    expect(p.insns).toHaveLength(2);
  });

  it("auto detection decides per file; both syntaxes give the same bytes", () => {
    const llvm = "r0 = 0\nif r1 > 5 goto +1\nr0 += 1\nexit";
    const mnem = "mov %r0, 0\njgt %r1, 5, +1\nadd %r0, 1\nexit";
    expect(hex(llvm)).toBe(hex(mnem));
    expect(hex("exit\ncall 1\nmov %r0, 1")).toBe("9500000000000000" + "8500000001000000" + "b700000001000000");
  });
});
