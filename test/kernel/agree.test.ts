// expectEnginesAgree / compareEngines (src/testing/agree.ts): the example objects agree between the
// interpreter and the kernel on packets that take every path, and real or injected disagreements are
// reported with a readable diff (retval, packet bytes, map entries).
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { describeKernel } from "../support/kernel.js";
import { compareEngines, expectEnginesAgree, foldPerCpu, failureKind, type MapSnapshot } from "../../src/testing/index.js";
import type { BpfEngine, EngineKind } from "../../src/engine/index.js";
import { BpfkitError, diag } from "../../src/diagnostics/index.js";
import { KernelError } from "../../src/kernel/errors.js";
import { loadPrograms } from "../../src/load/node.js";
import { buildPacket } from "../../src/packet/index.js";
import { assemble } from "../../src/text/index.js";
import { aluImm, call, exit, link, loadMap, mov64Imm, mov64Reg, R0, R1, R2, R3, R4, R10, storeImm, storeReg } from "../../src/isa/index.js";
import type { Program } from "../../src/program/index.js";

const BPF = join(process.cwd(), "bpf");
const lpmKey = (bits: number, addr: number[]): Uint8Array => {
  const k = new Uint8Array(4 + addr.length);
  new DataView(k.buffer).setUint32(0, bits, true);
  k.set(addr, 4);
  return k;
};

/** XDP: writes bpf_get_prandom_u32() into rand[0] and passes: the engines cannot agree on that value. */
function randomWriter(): Program {
  const insns = link([
    call("get_prandom_u32"), mov64Reg(R3, R0), storeReg(8, R10, -16, R3), // value
    storeImm(4, R10, -4, 0), // key 0
    loadMap(R1, "rand"), mov64Reg(R2, R10), aluImm("add", R2, -4), mov64Reg(R3, R10), aluImm("add", R3, -16), mov64Imm(R4, 0),
    call("map_update_elem"),
    mov64Imm(R0, 2), exit(),
  ], { resolveSymbol: (n) => (n === "rand" ? 0n : undefined) });
  return { name: "rand_writer", section: "xdp", insns, license: "GPL", maps: [{ name: "rand", type: "array", keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }] };
}

describe("foldPerCpu", () => {
  it("sums 8-byte lanes across CPUs (wrapping) and keeps a plain value as it is", () => {
    const v = (n: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; };
    const folded = foldPerCpu([v(3n), v(4n), v(0xffffffffffffffffn)]);
    expect(new DataView(folded.buffer).getBigUint64(0, true)).toBe(6n);
    expect([...foldPerCpu([v(9n)])]).toEqual([...v(9n)]);
  });
});

describe("compareEngines with injected engines", () => {
  const fake = (kind: EngineKind, retval: number, data: Uint8Array, maps: Map<string, MapSnapshot>, fail?: () => never): BpfEngine => ({
    kind, program,
    maps: new Map([...maps].map(([name, m]) => [name, { name, type: m.type, keySize: 4, valueSize: 8, perCpu: m.entries[0]!.values.length > 1, entries: () => m.entries, update: () => {} }])),
    run: () => (fail ? fail() : { retval, data, trace: [], duration: 0, ringbuf: [], perf: [] }),
    runBatch: () => [],
    close: () => {},
  });
  const program: Program = { name: "p", section: "xdp", insns: [], maps: [], license: "GPL" };

  it("reports retval, packet and map differences, with where the packets first differ", () => {
    const a = Uint8Array.from([1, 2, 3, 4, 5, 6]), b = Uint8Array.from([1, 2, 3, 9, 5, 6]);
    const mapsA = new Map([["m", { type: "hash", entries: [{ key: Uint8Array.of(1, 0, 0, 0), values: [Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0)] }] }]]);
    const mapsB = new Map([["m", { type: "hash", entries: [{ key: Uint8Array.of(2, 0, 0, 0), values: [Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0)] }] }]]);
    const r = compareEngines(program, [{ data: a, name: "frame one" }], { engines: [() => fake("interp", 2, a, mapsA), () => fake("kernel", 1, b, mapsB)] });
    expect(r.agree).toBe(false);
    expect(r.differences.map((d) => d.what)).toEqual(["retval", "data", "map", "map"]);
    const text = r.text();
    expect(text).toContain("frame one: retval: interp 2, kernel 1");
    expect(text).toContain("first difference at byte 3");
    expect(text).toContain("map m key [01 00 00 00]: interp 05 00 00 00 00 00 00 00 (5), kernel (no entry)");
    expect(text).toContain("map m key [02 00 00 00]: interp (no entry), kernel 05 00 00 00 00 00 00 00 (5)");
    expect(() => expectEnginesAgree(program, [{ data: a }], { engines: [() => fake("interp", 2, a, mapsA), () => fake("kernel", 1, b, mapsB)] })).toThrow(/disagree.*4 differences/);
  });

  it("agrees when the engines give the same results, and per-CPU values compare by their sums", () => {
    const d = Uint8Array.of(7, 7);
    const perCpu = (vals: number[]) => new Map([["c", { type: "percpu_array", entries: [{ key: Uint8Array.of(0, 0, 0, 0), values: vals.map((n) => Uint8Array.of(n, 0, 0, 0, 0, 0, 0, 0)) }] }]]);
    const r = compareEngines(program, [{ data: d }], { engines: [() => fake("interp", 2, d, perCpu([3, 0, 0, 0])), () => fake("kernel", 2, d, perCpu([1, 2]))] });
    expect(r.text()).toBe("");
    expect(r.agree).toBe(true);
  });

  // issue #15 item 8: the same refusal by both engines (the interpreter's input check naming EINVAL, the
  // kernel's KernelError EINVAL) is agreement; a different errno, or a run against a refusal, is not.
  it("engines that fail the same way (both EINVAL) agree; different failures do not", () => {
    const d = Uint8Array.of(1);
    const none = new Map<string, MapSnapshot>();
    const einvalLocal = (): never => { throw new BpfkitError(diag("BK5013", { what: "xdp test runs need at least 14 bytes of packet data, got 1 (BPF_PROG_TEST_RUN answers EINVAL)" }), 2); };
    const einvalKernel = (): never => { throw new KernelError("BPF_PROG_TEST_RUN", 22); };
    const e2big = (): never => { throw new KernelError("BPF_PROG_TEST_RUN", 7); };
    expect(failureKind(new KernelError("BPF_PROG_TEST_RUN", 22))).toBe("EINVAL");
    const same = compareEngines(program, [{ data: d }], { engines: [() => fake("interp", 0, d, none, einvalLocal), () => fake("kernel", 0, d, none, einvalKernel)] });
    expect(same.text()).toBe("");
    expect(same.agree).toBe(true);
    const other = compareEngines(program, [{ data: d }], { engines: [() => fake("interp", 0, d, none, einvalLocal), () => fake("kernel", 0, d, none, e2big)] });
    expect(other.text()).toBe("input #0: error: interp EINVAL, kernel E2BIG");
    const ran = compareEngines(program, [{ data: d }], { engines: [() => fake("interp", 2, d, none), () => fake("kernel", 0, d, none, einvalKernel)] });
    expect(ran.text()).toBe("input #0: error: interp retval 2, kernel EINVAL");
  });
});

describeKernel("interpreter and kernel agree on the example objects", () => {
  it("xdp_ddos_blocklist: blocked and passed IPv4/IPv6, VLAN-tagged and runt frames, with a seeded LPM trie", async () => {
    const [program] = await loadPrograms(join(BPF, "xdp_ddos_blocklist.bpf.o"));
    const inputs = [
      { name: "blocked v4", data: buildPacket({ ipv4: { src: "192.0.2.77", dst: "10.0.0.2" }, udp: {} }) },
      { name: "passed v4", data: buildPacket({ ipv4: { src: "198.51.100.1", dst: "10.0.0.2" }, tcp: {} }) },
      { name: "blocked v4 in 802.1Q", data: buildPacket({ vlan: { id: 10 }, ipv4: { src: "192.0.2.1", dst: "10.0.0.2" }, udp: {} }) },
      { name: "blocked v6", data: buildPacket({ ipv6: { src: "2001:db8::5", dst: "2001:db8:1::1" }, udp: {} }) },
      { name: "passed v6", data: buildPacket({ ipv6: { src: "2001:db9::5", dst: "2001:db8:1::1" }, icmpv6: {} }) },
      { name: "runt", data: buildPacket({ ipv4: { src: "192.0.2.1" }, udp: {} }).subarray(0, 20) },
    ];
    const report = expectEnginesAgree(program!, inputs, {
      maps: {
        blocklist_v4: [[lpmKey(24, [192, 0, 2, 0]), new Uint8Array(8)]],
        blocklist_v6: [[lpmKey(32, [0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)]), new Uint8Array(8)]],
      },
    });
    // Not vacuous: both verdicts happened, in the kernel too.
    expect(report.results.map((r) => r.kernel!.retval)).toEqual([1, 2, 1, 1, 2, 2]);
  });

  it("xdp_feature_tour: global data, bpf-to-bpf calls, the loop and the tail call", async () => {
    const programs = await loadPrograms(join(BPF, "xdp_feature_tour.bpf.o"));
    const main = programs.find((p) => p.name === "xdp_feature_tour")!;
    const report = expectEnginesAgree(main, [
      { name: "ttl 1", data: buildPacket({ ipv4: { ttl: 1 }, udp: {}, payload: "a" }) },
      { name: "ttl 64", data: buildPacket({ ipv4: { ttl: 64 }, udp: {}, payload: "bcdefgh" }) },
      { name: "short", data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14) },
    ], { others: programs });
    expect(report.results.map((r) => r.kernel!.retval)).toEqual([1, 2, 2]);
  });

  it("tc_policy: counters, marks and a blocked port", async () => {
    const programs = await loadPrograms(join(BPF, "tc_policy.bpf.o"));
    const ingress = programs.find((p) => p.name === "tc_ingress")!;
    const portKey = Uint8Array.of(0x00, 0x35, 17, 0); // UDP port 53 (network order), proto 17
    const report = expectEnginesAgree(ingress, [
      { name: "udp 53", data: buildPacket({ ipv4: {}, udp: { dstPort: 53 } }) },
      { name: "udp 54", data: buildPacket({ ipv4: {}, udp: { dstPort: 54 } }) },
      { name: "tcp 53", data: buildPacket({ ipv4: {}, tcp: { dstPort: 53 } }) },
    ], { maps: { blocked_ports: [[portKey, new Uint8Array(8)]] } });
    expect(new Set(report.results.map((r) => r.kernel!.retval)).size).toBeGreaterThan(1);
  });

  it("lwt_in / lwt_out / lwt_xmit: the packet from the network header, skb->len and mark, xmit's packet write", () => {
    for (const section of ["lwt_in", "lwt_out", "lwt_xmit"]) {
      // r0 = ip->protocol + skb->len + skb->protocol + (mark = 77); lwt_xmit also rewrites the TTL
      const program = assemble(`  .section ${section}
  .license "GPL"
  r6 = r1
  r2 = *(u32 *)(r1 + 76)
  r3 = *(u32 *)(r1 + 80)
  r4 = r2
  r4 += 20
  if r4 > r3 goto out
  r0 = *(u8 *)(r2 + 9)
  ${section === "lwt_xmit" ? "r5 = 33\n  *(u8 *)(r2 + 8) = r5" : ""}
  r5 = *(u32 *)(r6 + 0)
  r0 += r5
  r5 = *(u32 *)(r6 + 16)
  r0 += r5
  r5 = 77
  *(u32 *)(r6 + 8) = r5
  r5 = *(u32 *)(r6 + 8)
  r0 += r5
  exit
out:
  r0 = 2
  exit
`, { file: `${section}.s` });
      const report = expectEnginesAgree(program, [
        { name: "udp", data: buildPacket({ ipv4: { ttl: 9 }, udp: {}, payload: "abc" }) },
        { name: "10 bytes after a local EtherType", data: Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) },
      ]);
      // 17 (udp) + 31 (len from the IP header) + 8 (htons(ETH_P_IP) as the program reads it) + 77
      expect(report.results.map((r) => r.kernel!.retval), section).toEqual([133, 2]);
      if (section === "lwt_xmit") expect(report.results[0]!.kernel!.data![14 + 8]).toBe(33);
    }
  });

  it("a real disagreement (bpf_get_prandom_u32 stored in a map) is reported with the map entry", () => {
    const r = compareEngines(randomWriter(), [{ data: buildPacket({ ipv4: {}, udp: {} }) }]);
    expect(r.agree).toBe(false);
    expect(r.differences).toHaveLength(1);
    expect(r.differences[0]).toMatchObject({ what: "map", map: "rand", key: "00 00 00 00" });
    expect(r.text()).toMatch(/^input #0: map rand key \[00 00 00 00\]: compiled [0-9a-f ]+ \(\d+\), kernel [0-9a-f ]+ \(\d+\)$/);
  });

  // issue #15 item 8, against the real kernel: a frame shorter than an Ethernet header is EINVAL for both.
  it("a runt frame both engines refuse (EINVAL) is no difference", () => {
    const xdp = assemble(".section xdp\n  r0 = 2\n  exit\n", { file: "pass.s" });
    const report = compareEngines(xdp, [{ name: "10 bytes", data: new Uint8Array(10) }, { name: "64 bytes", data: new Uint8Array(64) }]);
    expect(report.text()).toBe("");
    expect(report.results.map((r) => r.kernel?.retval)).toEqual([undefined, 2]);
  });
});
