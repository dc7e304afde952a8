// `bpfkit verify`: exit codes, human/JSON/batch output, --explain and the kernel's log format.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "bpfkit-verify-"));
const cli = (...args: string[]): { code: number; out: string; err: string } => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "verify", ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

// xdp: reads one byte past the checked range
const BAD = `        .section xdp
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r4 = r2
        r4 += 8
        if r4 > r3 goto out
        r0 = *(u8 *)(r2 + 8)
        exit
out:
        r0 = 2
        exit
`;
const GOOD = BAD.replace("r2 + 8", "r2 + 7");
// a loop whose bound the verifier walks to its 1M-instruction limit (seconds of work, never a quick answer)
const SLOW = `        .section xdp
        r0 = 0
loop:
        r0 += 1
        if r0 != 0x7fffffff goto loop
        r0 = 2
        exit
`;
writeFileSync(join(dir, "bad.s"), BAD);
writeFileSync(join(dir, "good.s"), GOOD);
writeFileSync(join(dir, "slow.s"), SLOW);

describe("bpfkit verify", () => {
  it("exit 0 and a summary for an accepted program", () => {
    const r = cli(join(dir, "good.s"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/accepted/);
  });
  it("exit 1 with the kernel's message for a rejected one", () => {
    const r = cli(join(dir, "bad.s"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("rejected at pc 5");
    expect(r.out).toContain("invalid access to packet, off=8 size=1, R2(id=0,off=8,r=8)");
  });
  it("exit 2 for a missing file", () => {
    expect(cli(join(dir, "nope.s")).code).toBe(2);
  });
  it("--json gives verdict, error, states and stats", () => {
    const r = cli(join(dir, "bad.s"), "--json");
    const j = JSON.parse(r.out) as { verdict: string; error: { pc: number; message: string; line: { line: number } }; states: unknown[]; stats: { processed: number } };
    expect(j.verdict).toBe("reject");
    expect(j.error.pc).toBe(5);
    expect(j.error.line.line).toBe(7);
    expect(j.states.length).toBeGreaterThan(3);
    expect(j.stats.processed).toBe(6);
  });
  it("--explain names the path, the register and a bounds check to add", () => {
    const r = cli(join(dir, "bad.s"), "--explain");
    expect(r.out).toContain("pc 4: if r4 > r3 goto pc+2 -> not taken");
    expect(r.out).toContain("register: R2 = pkt(r=8)");
    expect(r.out).toContain("data + 9 > data_end");
  });
  it("--log-level 2 writes the kernel's per-instruction log", () => {
    const r = cli(join(dir, "bad.s"), "--log-level", "2");
    expect(r.out).toContain("0: R1=ctx() R10=fp0\n");
    expect(r.out).toContain("4: (2d) if r4 > r3 goto pc+2          ; R3=pkt_end() R4=pkt(off=8,r=8)\n");
    expect(r.out).toMatch(/processed 6 insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0/);
  });
  it("--batch answers one JSON line per input line, in order", () => {
    const lines = [
      JSON.stringify({ type: "xdp", insns: "b7000000000000009500000000000000" }),
      JSON.stringify({ type: "xdp", insns: "9500000000000000" }),
      JSON.stringify({ type: "xdp", insns: "ff00000000000000b7000000000000009500000000000000" }),
    ];
    writeFileSync(join(dir, "b.jsonl"), lines.join("\n") + "\n");
    const r = cli("--batch", join(dir, "b.jsonl"));
    expect(r.code).toBe(1);
    expect(r.out.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { verdict: "accept" },
      { verdict: "reject", error: { pc: 0, message: "R0 !read_ok" } },
      { verdict: "reject", error: { pc: 0, message: "unknown opcode ff" } },
    ]);
  });
});

describe("bpfkit verify --timeout", () => {
  it("stops a long walk with the verdict timeout and exit 3", () => {
    const r = cli(join(dir, "slow.s"), "--timeout", "0.2");
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^prog \(xdp\): no verdict: timeout after 0\.2 s, \d+ insns processed/);
  });
  it("--json reports it as its own verdict", () => {
    const j = JSON.parse(cli(join(dir, "slow.s"), "--timeout", "0.2", "--json").out) as { verdict: string; error: { message: string }; stats: { processed: number } };
    expect(j.verdict).toBe("timeout");
    expect(j.error.message).toBe(`timeout after 0.2 s, ${j.stats.processed} insns processed`);
    expect(j.stats.processed).toBeGreaterThan(0);
    expect(j.stats.processed).toBeLessThan(1_000_000);
  });
  it("a batch goes on after a timeout and ends with exit 3", () => {
    writeFileSync(join(dir, "t.jsonl"), [join(dir, "slow.s"), join(dir, "good.s"), join(dir, "bad.s")].map((object) => JSON.stringify({ object })).join("\n") + "\n");
    const r = cli("--batch", join(dir, "t.jsonl"), "--timeout", "0.2");
    expect(r.code).toBe(3);
    const rows = r.out.trim().split("\n").map((l) => JSON.parse(l) as { verdict: string; error?: { message: string } });
    expect(rows.map((x) => x.verdict)).toEqual(["timeout", "accept", "reject"]);
    expect(rows[0]!.error!.message).toMatch(/^timeout after 0\.2 s, \d+ insns processed$/);
  });
  it("the listing of several programs reports a timeout as its own verdict, goes on and exits 3", async () => {
    const { loadProgramFile } = await import("../../src/load/node.js");
    const { formatListing, listingExitCode, verifyListing } = await import("../../src/cli/verify-listing.js");
    const slow = (await loadProgramFile(join(dir, "slow.s"))).programs;
    const good = (await loadProgramFile(join(dir, "good.s"))).programs;
    const l = verifyListing("x", [...slow, { ...good[0]!, name: "good" }], [], { verify: { timeoutMs: 200 } });
    expect(l.programs.map((r) => r.verdict)).toEqual(["timeout", "accept"]);
    expect(l.summary).toEqual({ accepted: 1, rejected: 0, unanswered: 0, timedOut: 1 });
    expect(listingExitCode(l)).toBe(3);
    expect(formatListing(l)).toMatch(/1 accepted, 0 rejected, 0 not answered, 1 timed out/);
  });
  it("exit 2 for a timeout that is not a positive number", () => {
    expect(cli(join(dir, "good.s"), "--timeout", "0").code).toBe(2);
    expect(cli(join(dir, "good.s"), "--timeout", "soon").code).toBe(2);
  });
});

describeKernel("bpfkit verify --compare-kernel", () => {
  const loops = join(root, "test/fixtures/verifier/c/loops.bpf.o");
  const rowOf = (out: string, who: string): string => out.split("\n").find((l) => l.startsWith(who)) ?? "";

  it("shows both verdicts, where each points and the first error line, and agrees", () => {
    const r = cli(join(dir, "bad.s"), "--compare-kernel");
    expect(r.code).toBe(1);
    expect(rowOf(r.out, "emulator")).toMatch(/^emulator\s+reject\s+pc 5 \(bad\.s:7\)\s+invalid access to packet/);
    expect(rowOf(r.out, "kernel")).toMatch(/^kernel\s+reject\s+pc 5\s+invalid access to packet/);
    expect(r.out).toMatch(/^agree: same verdict and first error line$/m);
  });

  it("an ELF object is loaded with its BTF: a bpf_loop callback gets the same verdict and source line from both", () => {
    const ok = cli(loops, "--prog", "with_bpf_loop", "--compare-kernel");
    expect(ok.code).toBe(0);
    expect(rowOf(ok.out, "kernel")).toMatch(/^kernel\s+accept\s+-/);
    expect(ok.out).toMatch(/^agree/m);
    const bad = cli(loops, "--prog", "bpf_loop_bad_return", "--compare-kernel");
    expect(bad.code).toBe(1);
    // the kernel's `; source @ loops.bpf.c:N` line gives its row a source position, as the emulator's has
    const where = /pc \d+ \(loops\.bpf\.c:\d+\)/;
    expect(rowOf(bad.out, "emulator").match(where)?.[0]).toBeDefined();
    expect(rowOf(bad.out, "kernel").match(where)?.[0]).toBe(rowOf(bad.out, "emulator").match(where)?.[0]);
    expect(bad.out).toMatch(/^agree/m);
  });

  it("without the rights to load programs: exit 2 and the reason, not a kernel 'reject'", () => {
    const setpriv = spawnSync("setpriv", ["--version"]);
    if (setpriv.status !== 0) return void console.log("setpriv missing: the unprivileged case is not checked here");
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--import", "tsx", join(root, "src/cli/main.ts"), "verify", loops, "--prog", "with_bpf_loop", "--compare-kernel"],
      { cwd: root, encoding: "utf8", env: { ...process.env, HOME: dir } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot compare with the kernel: the kernel refused to load programs \(EPERM\)/);
    expect(r.stdout).not.toMatch(/^kernel\s/m);
  });
});
void execFileSync;
