// `bpfkit run --pcap IN --pcap-out OUT`: replay a capture through a program and save what it lets through.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildPacket, readCapture, parsePacket } from "../../src/packet/index.js";
import { writePcap } from "../../src/packet/pcap.js";
import { REWRITE_XDP } from "../support/xdp-programs.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "bpfkit-pcap-"));

describe("bpfkit run with captures", () => {
  it("runs each packet, numbers them, and writes only the packets that pass, in order, with their timestamps", () => {
    const srcs = ["192.0.2.7", "198.51.100.1", "192.0.2.200", "203.0.113.9"];
    const frames = srcs.map((src) => buildPacket({ ipv4: { src, dst: "10.0.0.1" }, udp: { srcPort: 1000, dstPort: 53 }, payload: new Uint8Array(8) }));
    const input = join(dir, "in.pcap");
    const output = join(dir, "out.pcap");
    writeFileSync(input, writePcap(frames.map((data, i) => ({ timestamp: 1_000_000_000n * BigInt(i + 1), data, originalLength: data.length }))));
    const r = cli("run", join(repo, "bpf/xdp_ddos_blocklist.bpf.o"), "--map", "blocklist_v4:192.0.2.0/24=0", "--pcap", input, "--pcap-out", output);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^# packet \d of 4/gm)).toHaveLength(4);
    expect(r.stdout.match(/XDP_DROP/g)).toHaveLength(2);
    const kept = readCapture(new Uint8Array(readFileSync(output))).packets;
    // Only the sources outside 192.0.2.0/24 survive, in capture order, keeping their timestamps.
    expect(kept.map((p) => parsePacket(p.data).ipv4?.src)).toEqual(["198.51.100.1", "203.0.113.9"]);
    expect(kept.map((p) => p.timestamp)).toEqual([2_000_000_000n, 4_000_000_000n]);
  });
});

describe("bpfkit run --pcap as one batch", () => {
  // No maps: the capture runs as one batch (runBatch), and every packet's output is what a run of that packet alone prints.
  const prog = join(dir, "rewrite.s");
  writeFileSync(prog, REWRITE_XDP);
  const frames = [0, 1, 2, 3, 0, 5].map((k) => buildPacket({ ipv4: { src: `192.0.2.${k + 1}`, dst: "10.0.0.1", protocol: 17 }, udp: { srcPort: 1000 + k, dstPort: 53 }, payload: new Uint8Array(k * 3) }));
  frames.forEach((f, k) => { f[13] = k % 2; });
  const input = join(dir, "batch.pcap");
  writeFileSync(input, writePcap(frames.map((data, i) => ({ timestamp: BigInt(i + 1) * 1000n, data, originalLength: data.length }))));
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const timing = (s: string) => s.replace(/[\d.]+ ns per run/g, "T ns per run");

  for (const engine of ["compiled", "interp"]) {
    it(`prints for each packet what a run of it alone prints (${engine})`, { timeout: 60_000 }, () => {
      const all = cli("run", prog, "--engine", engine, "--pcap", input);
      expect(all.stderr).toBe("");
      expect(all.status).toBe(0);
      const blocks = all.stdout.split(/\n?# packet \d+ of \d+ \(\d+ bytes\)\n/).slice(1);
      expect(blocks).toHaveLength(frames.length);
      frames.forEach((f, i) => {
        const one = cli("run", prog, "--engine", engine, "--data", hex(f));
        expect(timing(blocks[i]!.trimEnd())).toBe(timing(one.stdout.trimEnd()));
      });
      const json = JSON.parse(cli("run", prog, "--engine", engine, "--pcap", input, "--json").stdout) as { duration_ns: number; retval: number; data_out: string }[];
      expect(json.map((r) => r.retval)).toEqual([1, 3, 1, 3, 1, 3]);
      // The compiled engine runs the capture as one batch inside WebAssembly: its packets share the batch's time per packet.
      if (engine === "compiled") expect(new Set(json.map((r) => r.duration_ns)).size).toBe(1);
    });
  }
});
