// `bpfkit verify X.o` without --prog: every program, one line each (veristat-style), on the bundled
// objects and on fixtures with unknown section names and SEC("?...") programs
// (scripts/build-section-fixtures.mjs); `--type [NAME=]TYPE` choosing types per program; the same
// listing in --json and beside the kernel's verdicts.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { loadProgramFile } from "../../src/load/node.js";
import { verifyListing, formatListing } from "../../src/cli/verify-listing.js";
import { verifySlots } from "../../src/verifier/verifier.js";
import { fromProgram, programType } from "../../src/cli/verify-target.js";
import { describeKernel } from "../support/kernel.js";

const root = new URL("../..", import.meta.url).pathname;
const fixtures = join(root, "test/fixtures/sections");
const legacy = join(fixtures, "legacy_names.o");
const autoload = join(fixtures, "autoload.o");
const bpfkit = (...args: string[]): { code: number; out: string; err: string } => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

interface JsonRow { name: string; section: string; autoload: boolean; type: string | null; verdict: string; reason?: string; typeChosen?: string;
  stats?: { processed: number; totalStates: number; peakStates: number }; timeMs?: number; error?: { pc: number; message: string; file?: string; line?: number };
  kernel?: { verdict: string; processed?: number; same?: boolean } }
interface JsonListing { file: string; programs: JsonRow[]; summary: { accepted: number; rejected: number; unanswered: number } }
const json = (out: string): JsonListing => JSON.parse(out) as JsonListing;
const row = (l: JsonListing, name: string): JsonRow => l.programs.find((p) => p.name === name)!;

describe("verify listing: the bundled objects", () => {
  for (const obj of readdirSync(join(root, "bpf")).filter((f) => f.endsWith(".bpf.o")).sort()) {
    it(`${obj}: one row per program, each with the numbers verify --prog gives`, async () => {
      const file = join(root, "bpf", obj);
      const { programs, unsupported } = await loadProgramFile(file, { lenient: true, allowUnsupported: true });
      const l = verifyListing(file, programs, unsupported);
      expect(l.programs.map((r) => r.name)).toEqual(loadObject(readFileSync(file), { file }).programs.map((p) => p.name));
      for (const r of l.programs) {
        const p = programs.find((x) => x.name === r.name)!;
        const t = fromProgram(p);
        const res = verifySlots(t.insns, t.maps, t.license, { ...programType(t.section, undefined, t.name), hasFuncInfo: t.hasFuncInfo === true,
          ...(t.mapFields ? { mapFields: t.mapFields } : {}), ...(t.funcReturnsScalar ? { funcReturnsScalar: t.funcReturnsScalar } : {}),
          ...(t.funcProtos ? { funcProtos: t.funcProtos } : {}) }, t.lines);
        expect(r.verdict, r.name).toBe("accept");
        expect(r.processed, r.name).toBe(res.stats.processed);
        expect(r.totalStates, r.name).toBe(res.stats.totalStates);
        expect(r.peakStates, r.name).toBe(res.stats.peakStates);
        expect(r.timeMs).toBeGreaterThan(0);
      }
      const text = formatListing(l);
      for (const r of l.programs) expect(text).toMatch(new RegExp(`^${r.name}\\s+${r.section}\\s+\\S+\\s+accepted\\s+${r.processed}\\s+${r.totalStates}\\s+${r.peakStates}\\s`, "m"));
      expect(text).toContain(`${l.programs.length} program${l.programs.length === 1 ? "" : "s"}: ${l.programs.length} accepted, 0 rejected, 0 not answered`);
    });
  }

  it("the CLI prints it and exits 0", () => {
    const r = bpfkit("verify", "bpf/tc_policy.bpf.o");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PROGRAM\s+SECTION\s+TYPE\s+VERDICT\s+INSNS\s+STATES\s+PEAK\s+TIME$/m);
    expect(r.out).toMatch(/^tc_ingress\s+tc\s+sched_cls\s+accepted\s+\d+/m);
    expect(r.out).toMatch(/^tc_egress\s+tc\s+sched_cls\s+accepted\s+\d+/m);
  });
});

describe("verify listing: unknown and legacy section names", () => {
  it("each unknown section is that program's own status with a hint; its neighbour is still verified", () => {
    const r = bpfkit("verify", legacy, "--json");
    expect(r.code).toBe(0);
    const l = json(r.out);
    expect(l.summary).toEqual({ accepted: 1, rejected: 0, unanswered: 4 });
    expect(row(l, "plain_xdp")).toMatchObject({ verdict: "accept", type: "xdp", section: "xdp" });
    expect(row(l, "xdp_auth_prog")).toMatchObject({ verdict: "unanswered", section: "xdp_auth", type: null });
    expect(row(l, "xdp_auth_prog").reason).toMatch(/unknown section 'xdp_auth': did you mean 'xdp'\? .* --type xdp_auth_prog=xdp/);
    expect(row(l, "socket_one").reason).toMatch(/did you mean 'socket'\? .*--type socket_one=socket/);
    expect(row(l, "cls_foo").reason).toMatch(/did you mean 'classifier'\? .*--type cls_foo=classifier/);
    // the name says nothing: the context argument does
    expect(row(l, "guess_me").reason).toMatch(/did you mean 'xdp'\? \(its context argument is struct xdp_md \*\) choose with --type guess_me=xdp/);
  });

  it("--type NAME=TYPE (by program or by section name) answers them; what the hint says works", () => {
    const r = bpfkit("verify", legacy, "--json", "--type", "xdp_auth_prog=xdp", "--type", "socket1=socket", "--type", "cls_foo=classifier", "--type", "guess_me=xdp");
    expect(r.err).toBe("");
    const l = json(r.out);
    expect(l.summary).toEqual({ accepted: 5, rejected: 0, unanswered: 0 });
    expect(row(l, "xdp_auth_prog")).toMatchObject({ section: "xdp_auth", typeChosen: "xdp", type: "xdp" });
    expect(row(l, "socket_one")).toMatchObject({ section: "socket1", typeChosen: "socket", type: "socket_filter" });
    expect(row(l, "cls_foo")).toMatchObject({ type: "sched_cls" });
  });

  it("--type TYPE gives every program that type; --prog then verifies one in detail", () => {
    const all = bpfkit("verify", legacy, "--json", "--type", "xdp");
    expect(json(all.out).programs.map((p) => p.type)).toEqual(["xdp", "xdp", "xdp", "xdp", "xdp"]);
    const one = bpfkit("verify", legacy, "--prog", "xdp_auth_prog", "--type", "xdp_auth_prog=xdp");
    expect(one.code).toBe(0);
    expect(one.out).toBe("xdp_auth_prog (xdp): accepted, 2 insns processed, 0 states\n");
  });

  it("--prog on an unknown section without --type: exit 2 with the hint", () => {
    const r = bpfkit("verify", legacy, "--prog", "socket_one");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown program section 'socket1' (program 'socket_one') [BK4004]");
    expect(r.err).toContain("choose with --type socket_one=socket");
    expect(r.out).toBe("");
  });

  it("a --type naming no program or section, or no type, is exit 2 saying so", () => {
    const nobody = bpfkit("verify", legacy, "--type", "xdp_auht_prog=xdp");
    expect(nobody.code).toBe(2);
    expect(nobody.err).toMatch(/--type xdp_auht_prog=xdp: .*legacy_names\.o has no program or section named 'xdp_auht_prog' \(programs: xdp_auth_prog, socket_one, cls_foo, guess_me, plain_xdp\) \[BK8102\]/);
    const badType = bpfkit("verify", legacy, "--type", "xdp_auth_prog=xdpp");
    expect(badType.code).toBe(2);
    expect(badType.err).toMatch(/invalid --type 'xdp_auth_prog=xdpp': 'xdpp' is neither a section name libbpf 1\.5 knows nor a kernel program type \[BK8101\]/);
    expect(badType.err).toContain("did you mean 'xdp'?");
    const twice = bpfkit("verify", legacy, "--type", "xdp", "--type", "tc");
    expect(twice.code).toBe(2);
    expect(twice.err).toContain("--type xdp already gives every program its type");
  });

  it("inspect and run take the same --type", () => {
    const i = bpfkit("inspect", legacy, "--type", "xdp_auth_prog=xdp", "--json");
    const progs = (JSON.parse(i.out) as { programs: { name: string; type: string; hint?: string; sectionAsWritten?: string }[] }).programs;
    expect(progs.find((p) => p.name === "xdp_auth_prog")).toMatchObject({ type: "xdp", sectionAsWritten: "xdp_auth" });
    expect(progs.find((p) => p.name === "socket_one")?.hint).toMatch(/did you mean 'socket'/);
    const run = bpfkit("run", legacy, "--program", "guess_me", "--type", "guess_me=xdp");
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^retval 1 \(0x1\) XDP_DROP$/m);
    const unchosen = bpfkit("run", legacy, "--program", "guess_me");
    expect(unchosen.code).toBe(2);
    expect(unchosen.err).toContain("choose with --type guess_me=xdp");
  });
});

describe("verify listing: SEC(\"?...\") programs", () => {
  it("are answered and marked not loaded by default; a rejection makes the exit 1 and shows its first error line", () => {
    const r = bpfkit("verify", autoload);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^main_xdp\s+xdp\s+xdp\s+accepted\s/m);
    expect(r.out).toMatch(/^optional_bad\s+\?xdp\s+xdp\s+rejected\s+\d+\s+\d+\s+\d+\s+\S+ \S+\s+pc 1 \(autoload\.c:20\): invalid access to packet, off=0 size=1, R1\(id=0,off=0,r=0\)$/m);
    expect(r.out).toMatch(/^optional_rawtp\s+\?raw_tp\/sys_enter\s+raw_tracepoint\s+accepted\s/m);
    expect(r.out).toContain(`note: optional_bad: SEC("?xdp") is not loaded by default`);
    expect(r.out).toContain("3 programs: 2 accepted, 1 rejected, 0 not answered");
    const l = json(bpfkit("verify", autoload, "--json").out);
    expect(row(l, "optional_bad")).toMatchObject({ autoload: false, section: "xdp", verdict: "reject", error: { pc: 1, file: "./src/autoload.c", line: 20 } });
    expect(row(l, "main_xdp").autoload).toBe(true);
  });

  it("a default run takes the one program libbpf would load; a ? program only when named", () => {
    const r = bpfkit("run", autoload, "--data", "ff".repeat(64));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/XDP_DROP/);
    const named = bpfkit("verify", autoload, "--prog", "optional_bad");
    expect(named.code).toBe(1);
    expect(named.out).toMatch(/^optional_bad \(xdp\): rejected at pc 1/);
  });
});

describe("verify listing: programs bpfkit cannot answer never stop it", () => {
  it("programs the loader left out are listed with their features; object-level ones are notes", async () => {
    const { programs, unsupported } = await loadProgramFile(join(fixtures, "autoload.o"), { allowUnsupported: true });
    const l = verifyListing("x.o", programs.filter((p) => p.name !== "main_xdp"),
      [...unsupported, "program 'main_xdp': kfunc or extern function 'bpf_rcu_read_lock'", "program 'main_xdp': CO-RE relocation field_byte_offset of 'task_struct'", "section '.struct_ops': struct_ops maps"]);
    const left = l.programs.find((r) => r.name === "main_xdp")!;
    expect(left).toMatchObject({ verdict: "unanswered", section: "-" });
    expect(left.reason).toBe("uses kfunc or extern function 'bpf_rcu_read_lock'; CO-RE relocation field_byte_offset of 'task_struct', which bpfkit does not support yet");
    expect(l.notes).toEqual(["section '.struct_ops': struct_ops maps"]);
    expect(l.summary).toEqual({ accepted: 1, rejected: 1, unanswered: 1 });
    expect(formatListing(l)).toContain("note: not modelled: section '.struct_ops': struct_ops maps");
  });

  it("a per-program status from the loader (Program.unsupported) is the reason, verification is not tried", async () => {
    const { programs } = await loadProgramFile(autoload);
    const withStatus = programs.map((p) => (p.name === "main_xdp" ? { ...p, unsupported: [{ what: "arena map 'arena'", pc: 3 }] } : p));
    const l = verifyListing("x.o", withStatus, []);
    expect(l.programs[0]).toMatchObject({ name: "main_xdp", verdict: "unanswered", type: "xdp", reason: "uses arena map 'arena' (pc 3), which bpfkit does not support yet" });
    expect(l.programs[0]!.processed).toBeUndefined();
  });

  it("the CLI lists an object with CO-RE, kfunc and .ksyms uses instead of failing", () => {
    const r = bpfkit("verify", join(root, "test/fixtures/elf/unsupported.o"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^core\s/m);
    expect(r.out).toMatch(/1 program: /);
  });
});

describeKernel("verify listing --compare-kernel", () => {
  it("the kernel's verdict and processed count beside ours, per program", () => {
    const r = bpfkit("verify", autoload, "--compare-kernel", "--json");
    expect(r.code).toBe(1);
    const l = json(r.out);
    for (const p of l.programs) {
      expect(p.kernel?.verdict, p.name).toBe(p.verdict);
      expect(p.kernel?.same, p.name).toBe(true);
      expect(p.kernel?.processed, p.name).toBe(p.stats?.processed);
    }
    const text = bpfkit("verify", autoload, "--compare-kernel");
    expect(text.out).toMatch(/^PROGRAM\s+SECTION\s+TYPE\s+VERDICT\s+INSNS\s+STATES\s+PEAK\s+TIME\s+KERNEL\s+K\.INSNS\s+SAME/m);
    expect(text.out).toMatch(/^optional_bad\s+\?xdp\s+xdp\s+rejected\s.*\srejected\s+\d+\s+yes\s+pc 1/m);
    expect(text.out).toContain("kernel agrees on 3 of 3");
  });

  it("run --engine kernel loads the object as libbpf would: not its rejected SEC(\"?xdp\") neighbour", () => {
    const r = bpfkit("run", autoload, "--engine", "kernel", "--data", "ff".repeat(64));
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^retval 1 \(0x1\) XDP_DROP$/m);
  });
});
