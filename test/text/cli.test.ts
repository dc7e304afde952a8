// `bpfkit asm` and `bpfkit disasm` end to end: outputs, round trips through files, exit codes, --json.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const TSX = join(ROOT, "node_modules/.bin/tsx");
const MAIN = join(ROOT, "src/cli/main.ts");
const bpfkit = (...args: string[]) => {
  const r = spawnSync(TSX, [MAIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const PROGRAM = `.section xdp
.license "GPL"
.map counts, type=array, key=4, value=8, max_entries=1
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = counts ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
out:
  r0 = 2
  exit
`;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bpfkit-text-cli-"));
  writeFileSync(join(dir, "p.s"), PROGRAM);
  writeFileSync(join(dir, "bad.s"), "r0 = 1\nr0 +=\nfoo r1\nexit\n");
});

describe("bpfkit asm / disasm", () => {
  it("asm prints hex by default; .json writes a bundle with the maps", () => {
    const hex = bpfkit("asm", join(dir, "p.s"));
    expect(hex.code).toBe(0);
    expect(hex.stdout.trim()).toMatch(/^620afcff00000000bfa2/);
    const out = join(dir, "p.json");
    expect(bpfkit("asm", join(dir, "p.s"), "-o", out).code).toBe(0);
    const bundle = JSON.parse(readFileSync(out, "utf8"));
    expect(bundle).toMatchObject({ type: "xdp", license: "GPL", maps: [{ name: "counts", type: "array", key_size: 4, value_size: 8, max_entries: 1, flags: 0 }] });
    expect(bundle.insns).toBe(hex.stdout.trim());
  });

  it("bin -> disasm -> asm gives the same bytes, in both syntaxes", () => {
    const bin = join(dir, "p.bin");
    expect(bpfkit("asm", join(dir, "p.s"), "-o", bin).code).toBe(0);
    for (const syntax of ["llvm", "mnemonic"]) {
      const text = bpfkit("disasm", bin, "--syntax", syntax, "--labels");
      expect(text.code).toBe(0);
      writeFileSync(join(dir, `again-${syntax}.s`), text.stdout);
      const again = join(dir, `again-${syntax}.bin`);
      expect(bpfkit("asm", join(dir, `again-${syntax}.s`), "-o", again).code).toBe(0);
      expect(readFileSync(again).equals(readFileSync(bin))).toBe(true);
    }
  });

  it("disasm of a bundle prints the map by name and the directives", () => {
    const out = join(dir, "q.json");
    bpfkit("asm", join(dir, "p.s"), "-o", out);
    const text = bpfkit("disasm", out).stdout;
    expect(text).toContain(".map counts, type=array, key=4, value=8, max_entries=1");
    expect(text).toContain("r1 = counts ll");
  });

  it("errors: exit 1 with every diagnostic as file:line:col; --json gives them as data", () => {
    const r = bpfkit("asm", join(dir, "bad.s"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.s:2:\d+: error: .*\[BK2001\]/);
    expect(r.stderr).toMatch(/bad\.s:3:1: error: unknown instruction 'foo'.*\[BK2002\]/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const j = bpfkit("disasm", join(dir, "bad.s"), "--json");
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).diagnostics.map((d: { line: number }) => d.line)).toEqual([2, 3]);
  });

  it("bad usage and unreadable input exit 2", () => {
    expect(bpfkit("asm", join(dir, "missing.s")).code).toBe(2);
    expect(bpfkit("asm", join(dir, "p.s"), "--format", "zip").code).toBe(2);
    expect(bpfkit("disasm", join(dir, "p.s"), "--syntax", "att").code).toBe(2);
  });

  it("disasm --json lists pc, bytes, text and source line per instruction", () => {
    const r = bpfkit("disasm", join(dir, "p.s"), "--json", "--labels");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const insns = j.programs[0].insns;
    expect(insns[3]).toMatchObject({ pc: 3, text: "r1 = counts ll", source: { line: 7 } });
    // The source label is kept by the assembler and printed back.
    expect(insns.find((i: { label?: string }) => i.label)).toMatchObject({ pc: 9, text: "r0 = 0x2", label: "out" });
  });
});
