// Reads of uninitialized stack (issue #15 item 12): a privileged loader may read stack bytes the program
// never wrote, and the kernel then returns whatever was on its stack, so the verifier emulator records
// each such read by pc, `verify --explain` names it, and checked-mode runs warn at the pc.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { openEngine } from "../../src/engine/index.js";
import { progTypeByName } from "../../src/progtypes/index.js";
const XDP = progTypeByName("xdp")!.id;

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "bpfkit-uninit-"));

const SOURCES = {
  // one byte at fp-16 never written; fp-8's four bytes are
  byte: `r1 = 0
*(u32 *)(r10 - 8) = r1
r0 = *(u8 *)(r10 - 16)
r2 = *(u32 *)(r10 - 8)
r0 += r2`,
  // a helper reads 8 bytes of which the upper 4 were never written (bpf_trace_printk's format)
  helper: `r1 = 0
*(u32 *)(r10 - 8) = r1
r1 = r10
r1 += -8
r2 = 8
call 6
r0 = 2`,
  // everything read was written first: no warning
  clean: `r1 = 7
*(u64 *)(r10 - 8) = r1
r0 = *(u32 *)(r10 - 8)`,
};
const program = (name: keyof typeof SOURCES) => assemble(`.section xdp\n.license "GPL"\n${SOURCES[name]}\nexit\n`, { file: `${name}.s` });
for (const name of Object.keys(SOURCES)) writeFileSync(join(dir, `${name}.s`), `.section xdp\n.license "GPL"\n${SOURCES[name as keyof typeof SOURCES]}\nexit\n`);

describe("verifier: reads of uninitialized stack", () => {
  it("records the pc, the number of bytes and where (a direct load)", () => {
    const r = verifyProgram(program("byte"), { progType: XDP });
    expect(r.verdict).toBe("accept");
    expect(r.uninitStackReads).toEqual([{ pc: 2, bytes: 1, fpOff: -16, frameno: 0 }]);
  });
  it("records memory a helper reads (the first unwritten byte, and how many)", () => {
    const r = verifyProgram(program("helper"), { progType: XDP });
    expect(r.verdict).toBe("accept");
    expect(r.uninitStackReads).toEqual([{ pc: 5, bytes: 4, fpOff: -4, frameno: 0, helper: true }]);
  });
  it("says nothing when every byte read was written", () => {
    expect(verifyProgram(program("clean"), { progType: XDP }).uninitStackReads).toBeUndefined();
  });
});

describe("engines: checked mode warns at the pc", () => {
  it("the interpreter in checked mode warns; fast mode does not", () => {
    const checked = openEngine(program("byte"), { engine: "interp" }).run({ data: new Uint8Array(64) });
    expect(checked.warnings?.map((w) => [w.pc, w.code, w.message])).toEqual([[2, "BK9804", "reads 1 uninitialized byte at fp-16: the kernel returns stack garbage here"]]);
    expect(openEngine(program("byte"), { engine: "interp", mode: "fast" }).run({ data: new Uint8Array(64) }).warnings).toBeUndefined();
    expect(openEngine(program("clean"), { engine: "interp" }).run({ data: new Uint8Array(64) }).warnings).toBeUndefined();
  });
});

describe("CLI", () => {
  it("run: the warning at the pc on stderr (once), and in --json", () => {
    const r = cli("run", join(dir, "byte.s"), "--engine", "interp");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("pc 2: warning: reads 1 uninitialized byte at fp-16: the kernel returns stack garbage here [BK9804]");
    const j = cli("run", join(dir, "helper.s"), "--engine", "interp", "--json");
    expect((JSON.parse(j.stdout) as { warnings: unknown }).warnings).toEqual([{ pc: 5, code: "BK9804", message: "reads 4 uninitialized bytes at fp-4 (through a helper argument): the kernel returns stack garbage here" }]);
  });
  it("verify --explain names it; plain verify keeps its one line", () => {
    const e = cli("verify", join(dir, "byte.s"), "--explain");
    expect(e.status).toBe(0);
    expect(e.stdout).toMatch(/accepted.*\n  pc 2: warning: reads 1 uninitialized byte at fp-16: the kernel returns stack garbage here/);
    expect(cli("verify", join(dir, "byte.s")).stdout.trim().split("\n")).toHaveLength(1);
    expect(cli("verify", join(dir, "clean.s"), "--explain").stdout).not.toMatch(/warning/);
  });
});
