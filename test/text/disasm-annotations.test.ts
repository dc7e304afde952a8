// The disassembler's annotations for people: helper names and C source lines. They are comments, so
// the text must still assemble back to the same bytes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encode } from "../../src/isa/index.js";
import { loadObject } from "../../src/elf/index.js";
import { assemble, disassemble } from "../../src/text/index.js";

const blocklist = new URL("../../bpf/xdp_ddos_blocklist.bpf.o", import.meta.url);

describe("disassembly annotations", () => {
  const program = loadObject(new Uint8Array(readFileSync(blocklist)), { file: "xdp_ddos_blocklist.bpf.o" }).programs[0]!;

  it("names helper calls only when asked, keeping objdump's instruction text", () => {
    const plain = disassemble(program, { syntax: "llvm" });
    const named = disassemble(program, { syntax: "llvm", helperNames: true });
    expect(plain).toMatch(/^call 0x1$/m);
    expect(named).toMatch(/^call 0x1\t# bpf_map_lookup_elem$/m);
  });

  it("interleaves each C source line once, before its first instruction", () => {
    const text = disassemble(program, { syntax: "llvm", source: true });
    const lines = text.split("\n");
    const lookup = lines.findIndex((l) => l.startsWith("; ") && l.includes("bpf_map_lookup_elem(&stats"));
    expect(lookup).toBeGreaterThan(0);
    // The next instruction lines lead to the call of that helper before any other source line.
    const next = lines.slice(lookup + 1).findIndex((l) => l.startsWith("call "));
    const nextSource = lines.slice(lookup + 1).findIndex((l) => l.startsWith("; "));
    expect(next).toBeLessThan(nextSource);
    // Every source comment corresponds to a line-info record of the program.
    const comments = lines.filter((l) => l.startsWith("; ")).length;
    expect(comments).toBeGreaterThan(5);
    expect(comments).toBeLessThanOrEqual(program.lines!.length);
  });

  it("still assembles back to the same bytes with both annotations on", () => {
    const text = disassemble(program, { syntax: "llvm", source: true, helperNames: true });
    const back = assemble(text, { file: "roundtrip.s", syntax: "llvm" });
    expect(encode(back.insns)).toEqual(encode(program.insns));
  });
});
