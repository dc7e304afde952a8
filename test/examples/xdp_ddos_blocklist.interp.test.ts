// xdp_ddos_blocklist in the interpreter: LPM-trie source-prefix blocklists (IPv4 and IPv6, one VLAN tag
// looked into), per-prefix drop counters and per-CPU stats, on frames built with src/packet; then the same
// frames through the kernel, which must agree with the interpreter.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleFiles } from "../../scripts/make-sample-packets.js";
import { expectEnginesAgree } from "../../src/testing/agree.js";
import { buildPacket, parseIpv4, parseIpv6, parsePacket, readCapture, replayCapture, verifyChecksums } from "../../src/packet/index.js";
import type { RuntimeProgram } from "../../src/runtime/runtime.js";
import { describeKernel } from "../support/kernel.js";
import { cat, exampleProgram, fromHex, PACKETS_DIR, interpExample, mapOf, MODES, perCpuSum, perCpuValues, readU64, seed, u32le, u64le, enginesOf, type RunMode } from "./support/interp.js";

const XDP_DROP = 1, XDP_PASS = 2;
const STAT_PASS = 0, STAT_DROP_V4 = 1, STAT_DROP_V6 = 2;

const v4Key = (addr: string, len: number) => cat(u32le(len), parseIpv4(addr));
const v6Key = (addr: string, len: number) => cat(u32le(len), parseIpv6(addr));

// The blocklist every test starts from: nested IPv4 prefixes (longest match decides which counter moves),
// a /32, and an IPv6 /48 with a /64 inside it.
const V4 = [["198.51.100.0", 24], ["10.0.0.0", 8], ["10.1.0.0", 16], ["203.0.113.7", 32]] as const;
const V6 = [["2001:db8:bad::", 48], ["2001:db8:bad:1::", 64]] as const;

function fresh(mode: RunMode): RuntimeProgram {
  const rt = interpExample("xdp_ddos_blocklist", { mode });
  for (const [a, l] of V4) seed(rt, "blocklist_v4", v4Key(a, l), u64le(0n));
  for (const [a, l] of V6) seed(rt, "blocklist_v6", v6Key(a, l), u64le(0n));
  return rt;
}
const hits4 = (rt: RuntimeProgram, a: string, l: number) => readU64(mapOf(rt, "blocklist_v4").entries().find((e) => e.key.every((b, i) => b === v4Key(a, l)[i]))!.value as Uint8Array);
const hits6 = (rt: RuntimeProgram, a: string, l: number) => readU64(mapOf(rt, "blocklist_v6").entries().find((e) => e.key.every((b, i) => b === v6Key(a, l)[i]))!.value as Uint8Array);

// Whether a source address lies in a prefix, computed bit by bit from the addresses (independent of the map).
function inPrefix(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((addr[bit >> 3]! & m) !== (prefix[bit >> 3]! & m)) return false;
  }
  return true;
}

describe.each(MODES)("xdp_ddos_blocklist in the interpreter (%s mode)", (mode) => {
  it("drops IPv4 TCP and UDP from a blocked prefix and counts the drop on that prefix", () => {
    const rt = fresh(mode);
    const tcp = buildPacket({ ipv4: { src: "198.51.100.23", dst: "192.0.2.1" }, tcp: { srcPort: 40000, dstPort: 443 }, payload: "hello" });
    const udp = buildPacket({ ipv4: { src: "198.51.100.200" }, udp: { dstPort: 53 }, payload: "q" });
    for (const f of [tcp, udp]) {
      const r = rt.run({ data: f });
      expect(r.retval).toBe(XDP_DROP);
      expect(r.action).toBe("XDP_DROP");
      expect(r.data).toEqual(f); // the program never writes the packet
    }
    expect(hits4(rt, "198.51.100.0", 24)).toBe(2n);
    expect(perCpuSum(rt, "stats", STAT_DROP_V4)).toBe(2n);
    expect(perCpuSum(rt, "stats", STAT_PASS)).toBe(0n);
  });

  it("passes IPv4 from elsewhere untouched, with valid checksums", () => {
    const rt = fresh(mode);
    const f = buildPacket({ ipv4: { src: "198.51.101.1", dst: "192.0.2.1" }, tcp: { dstPort: 80 }, payload: "GET / HTTP/1.1\r\n\r\n" });
    const r = rt.run({ data: f });
    expect(r.retval).toBe(XDP_PASS);
    expect(r.data).toEqual(f);
    expect(verifyChecksums(r.data).bad).toEqual([]);
    expect(parsePacket(r.data).ipv4!.src).toBe("198.51.101.1");
    expect(perCpuSum(rt, "stats", STAT_PASS)).toBe(1n);
    expect(mapOf(rt, "blocklist_v4").entries().map((e) => readU64(e.value as Uint8Array))).toEqual([0n, 0n, 0n, 0n]);
  });

  it("counts on the longest matching prefix only", () => {
    const rt = fresh(mode);
    const sources = ["10.1.2.3", "10.1.255.255", "10.2.0.1", "10.255.0.9", "203.0.113.7", "203.0.113.8", "11.0.0.1"];
    const want = new Map<string, bigint>(V4.map(([a, l]) => [`${a}/${l}`, 0n]));
    let dropped = 0n, passed = 0n;
    for (const src of sources) {
      const r = rt.run({ data: buildPacket({ ipv4: { src }, udp: {} }) });
      // Expected: the longest prefix containing src, from the prefix list itself.
      const match = V4.filter(([a, l]) => inPrefix(parseIpv4(src), parseIpv4(a), l)).sort((x, y) => y[1] - x[1])[0];
      expect(r.retval, src).toBe(match ? XDP_DROP : XDP_PASS);
      if (match) { want.set(`${match[0]}/${match[1]}`, want.get(`${match[0]}/${match[1]}`)! + 1n); dropped++; } else passed++;
    }
    for (const [a, l] of V4) expect(hits4(rt, a, l), `${a}/${l}`).toBe(want.get(`${a}/${l}`));
    expect(want.get("10.1.0.0/16")).toBe(2n); // the test exercises nesting
    expect(perCpuSum(rt, "stats", STAT_DROP_V4)).toBe(dropped);
    expect(perCpuSum(rt, "stats", STAT_PASS)).toBe(passed);
  });

  it("drops IPv6 from a blocked prefix (longest match) and passes other IPv6", () => {
    const rt = fresh(mode);
    const blocked = [
      buildPacket({ ipv6: { src: "2001:db8:bad::1" }, tcp: { dstPort: 22 } }),
      buildPacket({ ipv6: { src: "2001:db8:bad:1::99" }, udp: {}, payload: "x" }),
      buildPacket({ ipv6: { src: "2001:db8:bad:ffff::1" }, icmpv6: {} }),
    ];
    for (const f of blocked) expect(rt.run({ data: f }).retval).toBe(XDP_DROP);
    const ok = buildPacket({ ipv6: { src: "2001:db8:bae::1", dst: "2001:db8::2" }, tcp: { dstPort: 443 }, payload: "tls" });
    const r = rt.run({ data: ok });
    expect(r.retval).toBe(XDP_PASS);
    expect(r.data).toEqual(ok);
    expect(verifyChecksums(r.data).bad).toEqual([]);
    expect(hits6(rt, "2001:db8:bad::", 48)).toBe(2n);
    expect(hits6(rt, "2001:db8:bad:1::", 64)).toBe(1n);
    expect(perCpuSum(rt, "stats", STAT_DROP_V6)).toBe(3n);
    expect(perCpuSum(rt, "stats", STAT_DROP_V4)).toBe(0n);
    expect(perCpuSum(rt, "stats", STAT_PASS)).toBe(1n);
  });

  it("looks into one 802.1Q or 802.1ad tag, but not two", () => {
    const rt = fresh(mode);
    const q = buildPacket({ vlan: { id: 100 }, ipv4: { src: "198.51.100.1" }, tcp: {} });
    const ad = buildPacket({ vlan: { id: 200, tpid: 0x88a8 }, ipv6: { src: "2001:db8:bad::5" }, udp: {} });
    expect(parsePacket(q).vlans).toHaveLength(1);
    expect(rt.run({ data: q }).retval).toBe(XDP_DROP);
    expect(rt.run({ data: ad }).retval).toBe(XDP_DROP);
    // Q-in-Q: the inner tag hides the IP header from a program that looks past one tag only.
    const qinq = buildPacket({ vlan: [{ id: 10, tpid: 0x88a8 }, { id: 20 }], ipv4: { src: "198.51.100.1" }, tcp: {} });
    expect(parsePacket(qinq).vlans).toHaveLength(2);
    expect(rt.run({ data: qinq }).retval).toBe(XDP_PASS);
    // A tagged frame from an allowed source passes.
    expect(rt.run({ data: buildPacket({ vlan: { id: 100 }, ipv4: { src: "192.0.2.9" }, tcp: {} }) }).retval).toBe(XDP_PASS);
    expect(perCpuSum(rt, "stats", STAT_DROP_V4)).toBe(1n);
    expect(perCpuSum(rt, "stats", STAT_DROP_V6)).toBe(1n);
    expect(perCpuSum(rt, "stats", STAT_PASS)).toBe(2n);
  });

  it("passes non-IP and truncated frames without looking up the blocklist", () => {
    const rt = fresh(mode);
    const blockedV4 = buildPacket({ ipv4: { src: "198.51.100.1" }, tcp: {} });
    const blockedV6 = buildPacket({ ipv6: { src: "2001:db8:bad::1" }, tcp: {} });
    const frames = [
      buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }), // ARP-sized, not IP
      blockedV4.subarray(0, 14 + 19), // IPv4 header one byte short
      blockedV6.subarray(0, 14 + 39), // IPv6 header one byte short
      buildPacket({ vlan: { id: 1 }, ipv4: { src: "198.51.100.1" }, tcp: {} }).subarray(0, 14 + 3), // VLAN tag cut
      blockedV4.subarray(0, 14), // Ethernet header only
    ];
    for (const f of frames) {
      const r = rt.run({ data: f });
      expect(r.retval).toBe(XDP_PASS);
      expect(r.data).toEqual(f);
    }
    // The same source in a whole header is dropped: the truncation is what made the difference.
    expect(rt.run({ data: blockedV4.subarray(0, 14 + 20) }).retval).toBe(XDP_DROP);
    expect(rt.run({ data: blockedV6.subarray(0, 14 + 40) }).retval).toBe(XDP_DROP);
    expect(perCpuSum(rt, "stats", STAT_PASS)).toBe(BigInt(frames.length));
    expect(hits4(rt, "198.51.100.0", 24)).toBe(1n);
    expect(hits6(rt, "2001:db8:bad::", 48)).toBe(1n);
  });

  it("refuses frames shorter than an Ethernet header, as BPF_PROG_TEST_RUN does", () => {
    const rt = fresh(mode);
    expect(() => rt.run({ data: new Uint8Array(13) })).toThrow(/at least 14 bytes/);
  });

  it("keeps stats per CPU and the per-prefix counters shared", () => {
    const rt = fresh(mode);
    const f = buildPacket({ ipv4: { src: "10.9.9.9" }, udp: {} });
    const g = buildPacket({ ipv4: { src: "192.0.2.1" }, udp: {} });
    rt.run({ data: f, cpu: 1 });
    rt.run({ data: f, cpu: 3 });
    rt.run({ data: f, cpu: 3 });
    rt.run({ data: g, cpu: 2 });
    expect(perCpuValues(rt, "stats", STAT_DROP_V4)).toEqual([0n, 1n, 0n, 2n]);
    expect(perCpuValues(rt, "stats", STAT_PASS)).toEqual([0n, 0n, 1n, 0n]);
    expect(hits4(rt, "10.0.0.0", 8)).toBe(3n);
  });

  it("stops dropping once a prefix is removed from the map", () => {
    const rt = fresh(mode);
    const f = buildPacket({ ipv4: { src: "203.0.113.7" }, tcp: {} });
    expect(rt.run({ data: f }).retval).toBe(XDP_DROP);
    expect(mapOf(rt, "blocklist_v4").delete(v4Key("203.0.113.7", 32))).toBe(0);
    expect(rt.run({ data: f }).retval).toBe(XDP_PASS);
  });
});

describe("bpf/packets samples with xdp_ddos_blocklist", () => {
  it("are what scripts/make-sample-packets.ts builds", () => {
    for (const [name, bytes] of sampleFiles()) expect(new Uint8Array(readFileSync(join(PACKETS_DIR, name))), name).toEqual(bytes);
  });

  // What the blocklist must do with a frame, from its parsed headers: blocked when at most one VLAN tag and
  // the IPv4/IPv6 source lies in one of the blocked prefixes.
  const BLOCK4 = [["192.0.2.0", 24]] as const, BLOCK6 = [["2001:db8:bad::", 48]] as const;
  const verdict = (f: Uint8Array): number => {
    const p = parsePacket(f);
    if (p.vlans.length > 1) return XDP_PASS;
    if (p.ipv4 && BLOCK4.some(([a, l]) => inPrefix(p.ipv4!.srcBytes, parseIpv4(a), l))) return XDP_DROP;
    if (p.ipv6 && BLOCK6.some(([a, l]) => inPrefix(p.ipv6!.srcBytes, parseIpv6(a), l))) return XDP_DROP;
    return XDP_PASS;
  };

  for (const mode of MODES) {
    it(`drop the blocked samples and pass the allowed one, and replay mixed.pcap (${mode} mode)`, async () => {
      const rt = interpExample("xdp_ddos_blocklist", { mode });
      for (const [a, l] of BLOCK4) seed(rt, "blocklist_v4", v4Key(a, l), u64le(0n));
      for (const [a, l] of BLOCK6) seed(rt, "blocklist_v6", v6Key(a, l), u64le(0n));
      const hex = (n: string) => fromHex(readFileSync(join(PACKETS_DIR, `${n}.hex`), "utf8"));
      expect(rt.run({ data: hex("blocked_ipv4") }).retval).toBe(XDP_DROP);
      expect(rt.run({ data: hex("allowed_ipv4") }).retval).toBe(XDP_PASS);
      expect(rt.run({ data: hex("blocked_ipv6") }).retval).toBe(XDP_DROP);
      const capture = readCapture(new Uint8Array(readFileSync(join(PACKETS_DIR, "mixed.pcap"))));
      const { results, packets } = await replayCapture(capture, (d) => rt.run({ data: d }), (rv) => rv === XDP_PASS);
      const want = capture.packets.map((p) => verdict(p.data));
      expect(results.map((r) => r.retval)).toEqual(want);
      expect(want).toContain(XDP_DROP);
      expect(packets.map((p) => p.data)).toEqual(capture.packets.filter((_, i) => want[i] === XDP_PASS).map((p) => p.data));
      const drops = BigInt(want.filter((v) => v === XDP_DROP).length + 2);
      expect(perCpuSum(rt, "stats", STAT_DROP_V4) + perCpuSum(rt, "stats", STAT_DROP_V6)).toBe(drops);
    });
  }
});

describeKernel("xdp_ddos_blocklist: interpreter and kernel agree", () => {
  const inputs = [
    { name: "blocked v4 tcp", data: buildPacket({ ipv4: { src: "198.51.100.23" }, tcp: { dstPort: 443 }, payload: "x" }) },
    { name: "nested v4 /16", data: buildPacket({ ipv4: { src: "10.1.2.3" }, udp: {} }) },
    { name: "nested v4 /8", data: buildPacket({ ipv4: { src: "10.2.2.3" }, udp: {} }) },
    { name: "allowed v4", data: buildPacket({ ipv4: { src: "192.0.2.1" }, tcp: {} }) },
    { name: "blocked v6 /64", data: buildPacket({ ipv6: { src: "2001:db8:bad:1::2" }, tcp: {} }) },
    { name: "blocked v6 /48", data: buildPacket({ ipv6: { src: "2001:db8:bad:7::2" }, udp: {} }) },
    { name: "allowed v6", data: buildPacket({ ipv6: { src: "2001:db8::1" }, icmpv6: {} }) },
    { name: "802.1Q blocked", data: buildPacket({ vlan: { id: 5 }, ipv4: { src: "198.51.100.9" }, udp: {} }) },
    { name: "802.1ad blocked v6", data: buildPacket({ vlan: { id: 5, tpid: 0x88a8 }, ipv6: { src: "2001:db8:bad::9" }, udp: {} }) },
    { name: "q-in-q", data: buildPacket({ vlan: [{ id: 1, tpid: 0x88a8 }, { id: 2 }], ipv4: { src: "198.51.100.9" }, udp: {} }) },
    { name: "arp", data: buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }) },
    { name: "truncated v4", data: buildPacket({ ipv4: { src: "198.51.100.9" }, udp: {} }).subarray(0, 30) },
    { name: "eth only", data: buildPacket({ eth: { type: 0x0800 } }) },
  ];
  const maps = {
    blocklist_v4: V4.map(([a, l]) => [v4Key(a, l), u64le(0n)] as const),
    blocklist_v6: V6.map(([a, l]) => [v6Key(a, l), u64le(0n)] as const),
  };
  for (const mode of MODES) {
    it(`agrees on every frame, and on the maps after each (${mode} mode)`, () => {
      const report = expectEnginesAgree(exampleProgram("xdp_ddos_blocklist"), inputs, { maps, ...enginesOf(mode) });
      // The comparison is not vacuous: both actions occur.
      expect(new Set(report.results.map((r) => r.kernel!.retval))).toEqual(new Set([XDP_DROP, XDP_PASS]));
    });
  }
});
