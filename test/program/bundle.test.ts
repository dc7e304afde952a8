import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BpfkitError, formatDiagnostic } from "../../src/diagnostics/index.js";
import { bundleToProgram, programToBundle, readBundles } from "../../src/program/bundle.js";
import { loadProgramFile } from "../../src/load/node.js";

// r1 = map[0] ll; r0 = 2; exit
const PROG = "1811000000000000" + "0000000000000000" + "b700000002000000" + "9500000000000000";

const errorsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BpfkitError);
    return (e as BpfkitError).diagnostics.map((d) => d.message);
  }
  throw new Error("expected a BpfkitError");
};

describe("raw-program bundle", () => {
  it("reads a bundle into a Program and writes it back unchanged", () => {
    const bundle = { type: "xdp", insns: PROG, maps: [{ name: "m", type: "hash", key_size: 4, value_size: 8, max_entries: 16, flags: 0 }], license: "GPL" };
    const { program } = bundleToProgram(bundle);
    expect(program.section).toBe("xdp");
    expect(program.insns).toHaveLength(3);
    expect(program.maps[0]).toMatchObject({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 16 });
    expect(programToBundle(program)).toEqual(bundle);
  });

  it("keeps unknown fields such as runs for the command that wants them", () => {
    const { extra } = bundleToProgram({ type: "xdp", insns: "b70000000200000095000000" + "00000000", runs: [{ data: "00" }] });
    expect(extra).toEqual({ runs: [{ data: "00" }] });
  });

  it("reports every problem of a bad bundle at once", () => {
    const messages = errorsOf(() => bundleToProgram({ type: 5, insns: "xyz", maps: [{ type: "hash", key_size: -1 }] }));
    expect(messages.some((m) => m.includes("'type'"))).toBe(true);
    expect(messages.some((m) => m.includes("not valid hex"))).toBe(true);
    expect(messages.some((m) => m.includes("'key_size'"))).toBe(true);
    expect(messages.some((m) => m.includes("'value_size'"))).toBe(true);
  });

  it("rejects a map reference past the declared maps, naming the pc", () => {
    const [m] = errorsOf(() => bundleToProgram({ type: "xdp", insns: PROG, maps: [] }));
    expect(m).toBe("lddw at pc 0 refers to map index 0, but the bundle declares 0 map(s)");
  });

  it("reads JSONL one bundle per line and points JSON syntax errors at line:col", () => {
    const ok = readBundles(`{"type":"xdp","insns":"9500000000000000"}\n\n{"type":"tc","insns":"9500000000000000"}\n`, "x.jsonl");
    expect(ok.map((b) => b.program.section)).toEqual(["xdp", "tc"]);
    try {
      readBundles(`{"type":"xdp","insns":"9500000000000000"}\n{"type": "tc", insns: 1}\n`, "y.jsonl");
      expect.unreachable();
    } catch (e) {
      const d = (e as BpfkitError).diagnostics[0]!;
      expect([d.file, d.line, d.col]).toEqual(["y.jsonl", 2, 16]);
    }
  });

  it("loads .bin and .json files by extension and content", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-load-"));
    const bin = join(dir, "p.bin");
    writeFileSync(bin, Buffer.from("b7000000020000009500000000000000", "hex"));
    const loaded = await loadProgramFile(bin, { type: "xdp" });
    expect(loaded.kind).toBe("bin");
    expect(loaded.programs[0]!.section).toBe("xdp");
    const noext = join(dir, "bundle");
    writeFileSync(noext, JSON.stringify({ type: "socket", insns: "9500000000000000" }));
    expect((await loadProgramFile(noext)).kind).toBe("bundle");
    await expect(loadProgramFile(join(dir, "missing.json"))).rejects.toThrow(/cannot read it \(ENOENT\)/);
  });
});

describe("lenient reading for the verifier", () => {
  // add32 r1, r2 with imm 5 (reserved field), then exit: the kernel says "BPF_ALU uses reserved fields".
  const BAD = "0c21000005000000" + "9500000000000000";

  it("refuses invalid encodings by default and keeps them, with the exact bytes, when lenient", () => {
    expect(() => bundleToProgram({ type: "xdp", insns: BAD })).toThrow(/reserved field imm/);
    const { program } = bundleToProgram({ type: "xdp", insns: BAD }, {}, { lenient: true });
    expect(program.insns).toHaveLength(2);
    expect(Buffer.from(program.bytecode!).toString("hex")).toBe(BAD);
  });

  it("still refuses bytecode that is not whole 8-byte slots", () => {
    expect(() => bundleToProgram({ type: "xdp", insns: "950000000000" }, {}, { lenient: true })).toThrow(/not a multiple of 8/);
  });

  it("names the pc where the partial instruction starts (26 bytes: offset 0x18 is pc 3, not pc 0)", () => {
    const insns = "b700000002000000".repeat(3) + "9500";
    for (const lenient of [false, true]) {
      let err: unknown;
      try { bundleToProgram({ type: "xdp", insns }, {}, { lenient }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(BpfkitError);
      const d = (err as BpfkitError).diagnostics.find((x) => x.code === "BK1001")!;
      expect({ offset: d.offset, pc: d.pc }).toEqual({ offset: 0x18, pc: 3 });
      expect(formatDiagnostic(d)).toMatch(/offset 0x18: pc 3: error: truncated program: 26 bytes is not a multiple of 8 \(the last 2 bytes are an incomplete instruction\)/);
    }
  });

  it("reads a .bin leniently, keeping a cut-off lddw for the verifier", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-lenient-"));
    const bin = join(dir, "cut.bin");
    writeFileSync(bin, Buffer.from("1801000001000000", "hex"));
    await expect(loadProgramFile(bin, { type: "xdp" })).rejects.toThrow(/truncated lddw/);
    const loaded = await loadProgramFile(bin, { type: "xdp", lenient: true });
    expect(loaded.programs[0]!.bytecode).toHaveLength(8);
  });
});
