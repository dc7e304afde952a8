// Context changes by field name (issue #15 item 11): `bpfkit run` prints the fields of the context a program
// changed (skb->mark, priority, tc_classid, cb[]) by name, in text and --json, from the program type's
// context table (src/progtypes/context.ts), instead of leaving them in ctx_out's hex.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "bpfkit-ctx-"));
const packet = readFileSync(join(repo, "bpf/packets/allowed_ipv4.hex"), "utf8").trim();

// __sk_buff: mark at 8, priority at 32, cb[1] at 52, tc_classid at 72
const CLASSIFY = `.section tc
r2 = 42
*(u32 *)(r1 + 8) = r2
r2 = 7
*(u32 *)(r1 + 32) = r2
r2 = 0x10002
*(u32 *)(r1 + 72) = r2
r2 = 0xdead
*(u32 *)(r1 + 52) = r2
r0 = 0
exit
`;
writeFileSync(join(dir, "classify.s"), CLASSIFY);

describe("run: context changes by field name", () => {
  it("text: each field the program changed, before -> after; fields it left alone are not listed", () => {
    const r = cli("run", join(dir, "classify.s"), "--data", packet);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("skb->"));
    expect(lines).toEqual([
      "skb->mark: 0 -> 42 (0x2a)",
      "skb->priority: 0 -> 7",
      "skb->cb[1]: 0 -> 57005 (0xdead)",
      "skb->tc_classid: 0 -> 2", // tc_classid is a u16 in the skb: the kernel keeps the low 16 bits
    ]);
  });

  it("--json: ctx_changes with field names and numbers, beside ctx_out", () => {
    const r = cli("run", join(dir, "classify.s"), "--data", packet, "--json");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { ctx_changes: unknown; ctx_out: string };
    expect(j.ctx_changes).toEqual([
      { field: "skb->mark", before: 0, after: 42 }, { field: "skb->priority", before: 0, after: 7 },
      { field: "skb->cb[1]", before: 0, after: 0xdead }, { field: "skb->tc_classid", before: 0, after: 2 },
    ]);
    expect(typeof j.ctx_out).toBe("string");
  });

  it("a real program: tc_policy marks the packet (skb->mark = MARK_BASE | protocol)", () => {
    const r = cli("run", join(repo, "bpf/tc_policy.bpf.o"), "--prog", "tc_ingress", "--data", packet);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^skb->mark: 0 -> \d+ \(0x[0-9a-f]+\)$/m);
  });

  it("--ctx: changes are against the given context (a mark already set and kept is no change)", () => {
    const ctx = new Uint8Array(192);
    ctx[8] = 42; // mark = 42 already
    const hex = Buffer.from(ctx).toString("hex");
    const r = cli("run", join(dir, "classify.s"), "--data", packet, "--ctx", hex);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/skb->mark/);
    expect(r.stdout).toMatch(/^skb->priority: 0 -> 7$/m);
  });
});

describeKernel("run --engine kernel: context changes from ctx_out", () => {
  it("names the fields BPF_PROG_TEST_RUN copies back (mark, priority, cb), as the local engines do", () => {
    const hex = Buffer.from(new Uint8Array(192)).toString("hex");
    const r = cli("run", join(dir, "classify.s"), "--data", packet, "--ctx", hex, "--engine", "kernel", "--json");
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as { ctx_changes: { field: string }[] };
    expect(j.ctx_changes.map((c) => c.field)).toEqual(["skb->mark", "skb->priority", "skb->cb[1]"]);
  });
});
