// `bpfkit verify` judges bytecode the kernel would refuse the way the kernel does (exit 1, its
// message), where other commands refuse to decode it (exit 2): the user asked for the verdict.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "bpfkit-verify-"));

describe("verify on malformed bytecode", () => {
  // add32 r1, r2 with imm 5: a reserved field set.
  const file = join(dir, "reserved.json");
  writeFileSync(file, JSON.stringify({ type: "xdp", insns: "0c21000005000000" + "9500000000000000" }));

  it("gives the kernel's verdict, exit 1", () => {
    const r = cli("verify", file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/rejected at pc 0: BPF_ALU uses reserved fields/);
  });

  it("while disasm refuses to decode it, exit 2, naming pc and field", () => {
    const r = cli("disasm", file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/pc 0: error: reserved field imm is 5, must be 0 for add32/);
  });
});
