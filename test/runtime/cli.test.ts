// `bpfkit run` and `bpfkit conformance` end to end (through tsx, no build needed).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writePcap } from "../../src/packet/pcap.js";
import { describeKernel } from "../support/kernel.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "bpfkit-run-"));

describe("bpfkit run", () => {
  it("prints retval, action, packet change and map change", () => {
    const file = join(dir, "p.s");
    writeFileSync(file, `.section xdp
.map counts, type=array, key=4, value=8, max_entries=2
  r6 = r1
  *(u32 *)(r10 - 4) = 1
  r1 = counts ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 5
  *(u64 *)(r0 + 0) = r1
  r2 = *(u32 *)(r6 + 0)
  r3 = *(u32 *)(r6 + 4)
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  *(u8 *)(r2 + 1) = 0xaa
out:
  r0 = 1
  exit
`);
    const r = cli("run", file, "--data", "00".repeat(20));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^retval 1 \(0x1\) XDP_DROP$/m);
    expect(r.stdout).toMatch(/^packet\+1: 00 -> aa$/m);
    expect(r.stdout).toMatch(/^map counts\[01000000\]: \(none\) -> 0500000000000000$/m);
    const j = cli("run", file, "--data", "00".repeat(20), "--json");
    expect(JSON.parse(j.stdout)).toMatchObject({ retval: 1, action: "XDP_DROP" });
  });
  it("--batch prints one JSON line per bundle and keeps going after a bad one", () => {
    const file = join(dir, "b.jsonl");
    writeFileSync(file, [
      JSON.stringify({ type: "xdp", insns: "b7000000030000009500000000000000", runs: [{ data: "00".repeat(14) }, { data: "00" }] }),
      "{not json",
      JSON.stringify({ type: "xdp", insns: "b7000000020000009500000000000000", runs: [{ data: "11".repeat(14) }] }),
    ].join("\n"));
    const r = cli("run", "--batch", file);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].runs[0]).toEqual({ retval: 3, data_out: "00".repeat(14) });
    expect(lines[0].runs[1].error).toMatch(/BK5013/);
    expect(lines[1].error).toMatch(/BK3001|JSON/);
    expect(lines[2].runs[0]).toEqual({ retval: 2, data_out: "11".repeat(14) });
    expect(r.status).toBe(1);
  });
  it("--pcap runs once per packet", () => {
    const file = join(dir, "len.s");
    writeFileSync(file, ".section xdp\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr3 -= r2\nr0 = r3\nexit\n");
    const pcap = join(dir, "two.pcap");
    writeFileSync(pcap, writePcap([new Uint8Array(20), new Uint8Array(33)]));
    const r = cli("run", file, "--pcap", pcap, "--json");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).map((x: { retval: number }) => x.retval)).toEqual([20, 33]);
  });
  it("a faulting program exits 1 with the diagnostic, bad usage exits 2", () => {
    const file = join(dir, "f.s");
    writeFileSync(file, ".section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 100)\nexit\n");
    const r = cli("run", file, "--data", "00".repeat(20));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/pc 1: error: 1-byte read at packet\+100 is past data_end \(packet is 20 bytes\) \[BK5006\]/);
    expect(cli("run", file, "--mode", "turbo").status).toBe(2);
  });
});

const suite = join(repo, "..", "shared", "conformance", "tests");
(existsSync(suite) ? describe : describe.skip)("bpfkit conformance", () => {
  it("prints the totals per group and version", () => {
    const r = cli("conformance", suite);
    expect(r.stdout).toMatch(/^313 passed, 0 failed \(mode checked\)$/m);
    expect(r.stdout).toMatch(/^\s+callx\s+1 passed\s+0 failed$/m);
    expect(r.status).toBe(0);
  });
});

// The README's example: seed the blocklist from the command line, run the bundled packet, see the verdict
// and the counters; the kernel engine must print the same verdict and map changes in the same format.
const example = ["run", "bpf/xdp_ddos_blocklist.bpf.o", "--map", "blocklist_v4:192.0.2.0/24=1", "--data", readFileSync(join(repo, "bpf/packets/blocked_ipv4.hex"), "utf8").trim()];
describe("bpfkit run --map", () => {
  it("seeds an lpm_trie from ADDR/LEN and shows the verdict and counter changes", () => {
    const plain = cli(...example.filter((_, i) => i !== 2 && i !== 3));
    expect(plain.stdout).toMatch(/^retval 2 \(0x2\) XDP_PASS$/m); // nothing blocked without the seed
    const r = cli(...example);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^retval 1 \(0x1\) XDP_DROP$/m);
    // the matching prefix's hit counter (u64 value 1 -> 2) and a per-CPU stats counter
    expect(r.stdout).toMatch(/^map blocklist_v4\[18000000c0000200\]: 0100000000000000 -> 0200000000000000$/m);
    expect(r.stdout).toMatch(/^map stats\[\w+\]: \(none\) -> cpu0:0100000000000000$/m);
  });
  it("rejects an unknown map, a bad key and a malformed spec with exit code 2", () => {
    const unknown = cli(...example.slice(0, 2), "--map", "nosuch:1=1");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/map 'nosuch': the program has no such map \(it has blocklist_v4, blocklist_v6, stats\)/);
    const prefix = cli(...example.slice(0, 2), "--map", "blocklist_v4:192.0.2.0/33=1");
    expect(prefix.status).toBe(2);
    expect(prefix.stderr).toMatch(/prefix length of at most 32/);
    const shape = cli(...example.slice(0, 2), "--map", "blocklist_v4");
    expect(shape.status).toBe(2);
    expect(shape.stderr).toMatch(/must be NAME:KEY=VALUE/);
    expect(cli(...example, "--engine", "jit").stderr).toMatch(/--engine must be auto, interp, compiled or kernel/);
  });
});

describeKernel("bpfkit run --engine kernel", () => {
  it("gives the interpreter's verdict and map changes for the README example", () => {
    const interp = cli(...example, "--json");
    const kernel = cli(...example, "--json", "--engine", "kernel");
    expect(kernel.stderr).toBe("");
    expect(kernel.status).toBe(0);
    const a = JSON.parse(interp.stdout), b = JSON.parse(kernel.stdout);
    expect(b.action).toBe("XDP_DROP");
    expect([b.retval, b.data_out]).toEqual([a.retval, a.data_out]);
    // per-CPU values name the CPU the run happened on, which the kernel picks: compare the rest
    const strip = (m: { map: string; key: string; after?: string }[]) => m.map((c) => ({ ...c, key: c.map === "stats" ? "" : c.key, after: c.after?.replace(/^cpu\d+:/, "") }));
    expect(strip(b.maps)).toEqual(strip(a.maps));
  });
  it("--batch runs bundles on the kernel too", () => {
    const file = join(dir, "kb.jsonl");
    writeFileSync(file, JSON.stringify({ type: "xdp", insns: "b7000000020000009500000000000000", runs: [{ data: "00".repeat(20) }] }) + "\n");
    const i = cli("run", "--batch", file), k = cli("run", "--batch", file, "--engine", "kernel");
    expect(k.status).toBe(0);
    expect(JSON.parse(k.stdout)).toEqual(JSON.parse(i.stdout));
    expect(JSON.parse(k.stdout).runs[0].retval).toBe(2);
  });
});
