// One option chooses a program of a file on every command that takes one: `--prog NAME`, with `--program
// NAME` accepted as an alias (issue #15 item 4). The message for a file that holds several names the
// option, and the option it names works.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const obj = "bpf/tc_policy.bpf.o"; // two programs: tc_ingress, tc_egress

// What each command prints when it worked on tc_egress alone.
const commands: { name: string; args: string[]; picked: RegExp }[] = [
  { name: "verify", args: ["verify", obj], picked: /^tc_egress \(sched_cls\): accepted/m },
  { name: "run", args: ["run", obj], picked: /^retval \d+ \(0x[0-9a-f]+\) TC_ACT_/m },
  { name: "disasm", args: ["disasm", obj], picked: /^\.name tc_egress$/m },
  { name: "inspect", args: ["inspect", obj], picked: /programs \(1\):\n.*\n\s+tc_egress\s+tc/ },
];

describe("choosing a program: --prog everywhere, --program as an alias", () => {
  for (const c of commands) {
    it(`${c.name} takes --prog`, () => {
      const r = cli(...c.args, "--prog", "tc_egress");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(c.picked);
      expect(r.stdout).not.toMatch(/tc_ingress/);
    });
    it(`${c.name} takes --program`, () => {
      const r = cli(...c.args, "--program", "tc_egress");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(c.picked);
    });
    it(`${c.name} names --prog for a program the file does not have`, () => {
      const r = cli(...c.args, "--prog", "nope");
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/no program named 'nope' in .*; it has: tc_ingress, tc_egress/);
    });
  }

  it("the message for a file with several programs names the option that works", () => {
    // (verify lists every program of an object without --prog: wt-sections' veristat-style listing)
    for (const cmd of ["run"]) {
      const r = cli(cmd, obj);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/holds 2 programs .*; choose one with --prog/);
    }
  });

  it("the two spellings at once must agree", () => {
    const r = cli("verify", obj, "--prog", "tc_egress", "--program", "tc_ingress");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--prog and --program name different programs/);
  });

  it("help shows --prog (the alias is accepted, not advertised)", () => {
    for (const cmd of ["verify", "run", "disasm", "deploy", "inspect"]) {
      const r = cli(cmd, "--help");
      expect(r.stdout, cmd).toMatch(/--prog <name>/);
      expect(r.stdout, cmd).not.toMatch(/--program <name>/);
    }
  });
});
