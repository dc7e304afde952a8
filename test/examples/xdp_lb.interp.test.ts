// xdp_lb in the interpreter: packets to a VIP:port go back out (XDP_TX) to the backend the 5-tuple hash
// picks, with destination IP and MACs rewritten and both checksums still valid; everything else passes
// untouched. Expectations are derived here from the packets and the program's documented logic (FNV-1a
// over the 5-tuple words, RFC 1624 updates checked by recomputing the sums), then compared with the kernel.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectEnginesAgree } from "../../src/testing/agree.js";
import { buildPacket, parseIpv4, parseMac, parsePacket, readCapture, replayCapture, verifyChecksums, writePcap } from "../../src/packet/index.js";
import type { RuntimeProgram } from "../../src/runtime/runtime.js";
import { describeKernel } from "../support/kernel.js";
import { cat, exampleProgram, fromHex, PACKETS_DIR, interpExample, MODES, perCpuSum, perCpuValues, seed, u16be, u32le, enginesOf, type RunMode } from "./support/interp.js";

const XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;
const FORWARDED = 0, PASSED = 1, NO_BACKEND = 2;
const VIP = "10.0.0.100", VIP_EMPTY = "10.0.0.101", VIP_HOLE = "10.0.0.102";
const HOST_MAC = "02:00:00:00:00:aa", CLIENT_MAC = "02:00:00:00:00:cc";
const BACKENDS = [
  { ip: "192.168.1.10", mac: "02:00:00:00:01:10" },
  { ip: "192.168.1.11", mac: "02:00:00:00:01:11" },
  { ip: "192.168.1.12", mac: "02:00:00:00:01:12" },
  { ip: "192.168.2.20", mac: "02:00:00:00:02:20" }, // the UDP service's only backend
];

const serviceKey = (vip: string, port: number, proto: number) => cat(parseIpv4(vip), u16be(port), Uint8Array.of(proto, 0));
const backendValue = (b: { ip: string; mac: string }) => cat(parseIpv4(b.ip), parseMac(b.mac), new Uint8Array(2));
// services: TCP VIP:80 -> backends 0..2, UDP VIP:53 -> backend 3, VIP_EMPTY:80 -> no backends,
// VIP_HOLE:80 -> 2 backends starting at index 10 (slots never filled: address 0).
const SERVICES = [
  [serviceKey(VIP, 80, 6), cat(u32le(3), u32le(0))],
  [serviceKey(VIP, 53, 17), cat(u32le(1), u32le(3))],
  [serviceKey(VIP_EMPTY, 80, 6), cat(u32le(0), u32le(0))],
  [serviceKey(VIP_HOLE, 80, 6), cat(u32le(2), u32le(10))],
] as const;

function fresh(mode: RunMode): RuntimeProgram {
  const rt = interpExample("xdp_lb", { mode });
  BACKENDS.forEach((b, i) => seed(rt, "backends", u32le(i), backendValue(b)));
  for (const [k, v] of SERVICES) seed(rt, "services", k, v);
  return rt;
}

// The backend the program must pick: FNV-1a over the four 32-bit words the C code builds from the
// network-order fields as a little-endian machine loads them.
function expectedBackend(src: string, dst: string, sport: number, dport: number, proto: number, count: number, first: number): number {
  const le32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  const swap16 = (v: number) => ((v & 0xff) << 8) | (v >> 8);
  const words = [le32(parseIpv4(src)), le32(parseIpv4(dst)), ((swap16(sport) << 16) | swap16(dport)) >>> 0, proto];
  let h = 2166136261;
  for (const w of words) h = Math.imul((h ^ w) >>> 0, 16777619) >>> 0;
  return first + (h % count);
}

const tcpTo = (src: string, sport: number, dst = VIP, dport = 80) =>
  buildPacket({ eth: { src: CLIENT_MAC, dst: HOST_MAC }, ipv4: { src, dst, id: sport & 0xffff }, tcp: { srcPort: sport, dstPort: dport, seq: 1000 }, payload: `GET /${sport}` });

// The frame the program must produce, built from scratch: same flow, destination = backend, MACs moved.
// Its checksums are computed by the builder, so comparing bytes also checks the incremental updates.
const rewrittenTcp = (src: string, sport: number, be: { ip: string; mac: string }) =>
  buildPacket({ eth: { src: HOST_MAC, dst: be.mac }, ipv4: { src, dst: be.ip, id: sport & 0xffff }, tcp: { srcPort: sport, dstPort: 80, seq: 1000 }, payload: `GET /${sport}` });

describe.each(MODES)("xdp_lb in the interpreter (%s mode)", (mode) => {
  it("forwards TCP flows to the hashed backend, rewritten exactly as a fresh build of the new frame", () => {
    const rt = fresh(mode);
    const chosen = new Set<number>();
    for (let i = 0; i < 32; i++) {
      const src = `172.16.${i}.${(i * 37) % 250 + 1}`, sport = 40000 + i * 101;
      const input = tcpTo(src, sport);
      const r = rt.run({ data: input });
      expect(r.retval).toBe(XDP_TX);
      expect(r.action).toBe("XDP_TX");
      const want = expectedBackend(src, VIP, sport, 80, 6, 3, 0);
      chosen.add(want);
      const p = parsePacket(r.data);
      expect(p.ipv4!.dst).toBe(BACKENDS[want]!.ip);
      expect(p.eth!.dst).toBe(BACKENDS[want]!.mac);
      expect(p.eth!.src).toBe(HOST_MAC);
      expect(verifyChecksums(r.data).bad).toEqual([]);
      expect(r.data).toEqual(rewrittenTcp(src, sport, BACKENDS[want]!));
      // The same flow lands on the same backend again.
      expect(rt.run({ data: input }).data).toEqual(r.data);
    }
    expect(chosen.size).toBe(3);
    expect(perCpuSum(rt, "lb_stats", FORWARDED)).toBe(64n);
    expect(perCpuSum(rt, "lb_stats", PASSED)).toBe(0n);
  });

  it("forwards UDP with a checksum, and keeps an absent (zero) UDP checksum zero", () => {
    const rt = fresh(mode);
    const withSum = buildPacket({ eth: { src: CLIENT_MAC, dst: HOST_MAC }, ipv4: { src: "172.16.0.1", dst: VIP }, udp: { srcPort: 5000, dstPort: 53 }, payload: "query" });
    const r = rt.run({ data: withSum });
    expect(r.retval).toBe(XDP_TX);
    const p = parsePacket(r.data);
    expect(p.ipv4!.dst).toBe(BACKENDS[3]!.ip);
    expect(p.eth).toMatchObject({ src: HOST_MAC, dst: BACKENDS[3]!.mac });
    expect(r.data).toEqual(buildPacket({ eth: { src: HOST_MAC, dst: BACKENDS[3]!.mac }, ipv4: { src: "172.16.0.1", dst: BACKENDS[3]!.ip }, udp: { srcPort: 5000, dstPort: 53 }, payload: "query" }));
    const check = verifyChecksums(r.data);
    expect(check.bad).toEqual([]);
    expect(check.checks.map((c) => c.layer)).toEqual(["ipv4", "udp"]);

    const noSum = buildPacket({ ipv4: { src: "172.16.0.1", dst: VIP }, udp: { srcPort: 5000, dstPort: 53, checksum: 0 }, payload: "query" });
    const s = rt.run({ data: noSum });
    expect(s.retval).toBe(XDP_TX);
    expect(parsePacket(s.data).udp!.checksum).toBe(0);
    const report = verifyChecksums(s.data);
    expect(report.bad).toEqual([]);
    expect(report.checks.find((c) => c.layer === "udp")!.absent).toBe(true);
    expect(perCpuSum(rt, "lb_stats", FORWARDED)).toBe(2n);
  });

  it("writes 0xffff, not 0, when the updated UDP checksum comes out as zero", () => {
    const rt = fresh(mode);
    // Search a source port whose rewritten datagram has a computed checksum of 0 (sent as 0xffff).
    const frame = (sport: number, dst: string) => buildPacket({ ipv4: { src: "172.16.0.1", dst }, udp: { srcPort: sport, dstPort: 53 }, payload: "zz" });
    let sport = 1;
    for (; sport < 65536; sport++) if (parsePacket(frame(sport, BACKENDS[3]!.ip)).udp!.checksum === 0xffff) break;
    expect(sport).toBeLessThan(65536);
    const r = rt.run({ data: frame(sport, VIP) });
    expect(r.retval).toBe(XDP_TX);
    expect(parsePacket(r.data).udp!.checksum).toBe(0xffff);
    expect(verifyChecksums(r.data).bad).toEqual([]);
  });

  it("passes what is not a service, untouched", () => {
    const rt = fresh(mode);
    const frames = [
      tcpTo("172.16.0.1", 1234, VIP, 443), // port without a service
      tcpTo("172.16.0.1", 1234, "10.0.0.99"), // not a VIP
      buildPacket({ ipv4: { dst: VIP }, udp: { dstPort: 80 } }), // the TCP service's port over UDP
      buildPacket({ ipv4: { dst: VIP }, icmp: {} }),
      buildPacket({ ipv6: { dst: "fd00::100" }, tcp: { dstPort: 80 } }),
      buildPacket({ vlan: { id: 7 }, ipv4: { dst: VIP }, tcp: { dstPort: 80 } }), // tagged: not looked into
      buildPacket({ ipv4: { dst: VIP, options: Uint8Array.of(1, 1, 1, 1) }, tcp: { dstPort: 80 } }), // IP options
      buildPacket({ ipv4: { dst: VIP, mf: true }, tcp: { dstPort: 80 } }), // first fragment
      buildPacket({ ipv4: { dst: VIP, fragOffset: 3 }, tcp: { dstPort: 80 } }), // later fragment
      tcpTo("172.16.0.1", 1234).subarray(0, 14 + 20 + 19), // TCP header one byte short
      buildPacket({ ipv4: { dst: VIP }, udp: { dstPort: 53 } }).subarray(0, 14 + 20 + 7), // UDP header cut
      tcpTo("172.16.0.1", 1234).subarray(0, 14 + 19), // IPv4 header cut
      buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }),
    ];
    for (const [i, f] of frames.entries()) {
      const r = rt.run({ data: f });
      expect(r.retval, `frame ${i}`).toBe(XDP_PASS);
      expect(r.data, `frame ${i}`).toEqual(f);
    }
    expect(perCpuSum(rt, "lb_stats", PASSED)).toBe(BigInt(frames.length));
    expect(perCpuSum(rt, "lb_stats", FORWARDED)).toBe(0n);
  });

  it("drops traffic to services without a usable backend", () => {
    const rt = fresh(mode);
    const a = tcpTo("172.16.0.1", 1234, VIP_EMPTY);
    const b = tcpTo("172.16.0.1", 1234, VIP_HOLE);
    for (const f of [a, b]) {
      const r = rt.run({ data: f });
      expect(r.retval).toBe(XDP_DROP);
      expect(r.data).toEqual(f);
    }
    expect(perCpuSum(rt, "lb_stats", NO_BACKEND)).toBe(2n);
    // Filling the hole makes the service work.
    const want = expectedBackend("172.16.0.1", VIP_HOLE, 1234, 80, 6, 2, 10);
    seed(rt, "backends", u32le(want), backendValue(BACKENDS[1]!));
    const r = rt.run({ data: b });
    expect(r.retval).toBe(XDP_TX);
    expect(r.data).toEqual(rewrittenTcp("172.16.0.1", 1234, BACKENDS[1]!));
  });

  it("forwards the bpf/packets/lb_vip_tcp.hex sample", () => {
    const rt = fresh(mode);
    const f = fromHex(readFileSync(join(PACKETS_DIR, "lb_vip_tcp.hex"), "utf8"));
    const q = parsePacket(f);
    const r = rt.run({ data: f });
    expect(r.retval).toBe(XDP_TX);
    const be = BACKENDS[expectedBackend(q.ipv4!.src, q.ipv4!.dst, q.tcp!.srcPort, q.tcp!.dstPort, 6, 3, 0)]!;
    expect(parsePacket(r.data)).toMatchObject({ eth: { src: q.eth!.dst, dst: be.mac }, ipv4: { src: q.ipv4!.src, dst: be.ip } });
    expect(verifyChecksums(r.data).bad).toEqual([]);
    expect(parsePacket(r.data).payload).toEqual(q.payload);
  });

  it("counts per CPU", () => {
    const rt = fresh(mode);
    rt.run({ data: tcpTo("172.16.0.1", 1), cpu: 2 });
    rt.run({ data: tcpTo("172.16.0.1", 2), cpu: 2 });
    rt.run({ data: tcpTo("172.16.0.1", 3, VIP, 22), cpu: 1 });
    expect(perCpuValues(rt, "lb_stats", FORWARDED)).toEqual([0n, 0n, 2n, 0n]);
    expect(perCpuValues(rt, "lb_stats", PASSED)).toEqual([0n, 1n, 0n, 0n]);
  });

  it("replays a pcap and saves the forwarded packets as a pcap", async () => {
    const rt = fresh(mode);
    const sent = [tcpTo("172.16.9.1", 1111), tcpTo("172.16.9.2", 2222, VIP, 443), tcpTo("172.16.9.3", 3333)];
    const input = writePcap(sent.map((data, i) => ({ timestamp: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, data, originalLength: data.length })), { precision: "nano" });
    const { results, packets } = await replayCapture(readCapture(input), (d) => rt.run({ data: d }), (rv) => rv === XDP_TX);
    expect(results.map((r) => r.retval)).toEqual([XDP_TX, XDP_PASS, XDP_TX]);
    const out = readCapture(writePcap(packets, { precision: "nano" }));
    expect(out.packets.map((p) => p.timestamp)).toEqual([1_700_000_000_000_000_000n, 1_700_000_000_002_000_000n]);
    expect(out.packets.map((p) => p.data)).toEqual([
      rewrittenTcp("172.16.9.1", 1111, BACKENDS[expectedBackend("172.16.9.1", VIP, 1111, 80, 6, 3, 0)]!),
      rewrittenTcp("172.16.9.3", 3333, BACKENDS[expectedBackend("172.16.9.3", VIP, 3333, 80, 6, 3, 0)]!),
    ]);
  });
});

describeKernel("xdp_lb: interpreter and kernel agree", () => {
  const inputs = [
    ...Array.from({ length: 8 }, (_, i) => ({ name: `tcp flow ${i}`, data: tcpTo(`172.16.${i}.9`, 30000 + i * 7) })),
    { name: "udp", data: buildPacket({ ipv4: { src: "172.16.0.1", dst: VIP }, udp: { srcPort: 5000, dstPort: 53 }, payload: "query" }) },
    { name: "udp no checksum", data: buildPacket({ ipv4: { src: "172.16.0.1", dst: VIP }, udp: { srcPort: 5000, dstPort: 53, checksum: 0 }, payload: "q" }) },
    { name: "no service", data: tcpTo("172.16.0.1", 1234, VIP, 443) },
    { name: "no backends", data: tcpTo("172.16.0.1", 1234, VIP_EMPTY) },
    { name: "backend hole", data: tcpTo("172.16.0.1", 1234, VIP_HOLE) },
    { name: "ipv6", data: buildPacket({ ipv6: {}, tcp: { dstPort: 80 } }) },
    { name: "ip options", data: buildPacket({ ipv4: { dst: VIP, options: Uint8Array.of(1, 1, 1, 1) }, tcp: { dstPort: 80 } }) },
    { name: "fragment", data: buildPacket({ ipv4: { dst: VIP, fragOffset: 3 }, tcp: { dstPort: 80 } }) },
    { name: "truncated tcp", data: tcpTo("172.16.0.1", 1234).subarray(0, 14 + 20 + 10) },
    { name: "icmp", data: buildPacket({ ipv4: { dst: VIP }, icmp: {} }) },
  ];
  const maps = {
    backends: BACKENDS.map((b, i) => [u32le(i), backendValue(b)] as const),
    services: SERVICES.map(([k, v]) => [k, v] as const),
  };
  for (const mode of MODES) {
    it(`agrees on actions, rewritten frames and maps (${mode} mode)`, () => {
      const report = expectEnginesAgree(exampleProgram("xdp_lb"), inputs, { maps, ...enginesOf(mode) });
      expect(new Set(report.results.map((r) => r.kernel!.retval))).toEqual(new Set([XDP_TX, XDP_PASS, XDP_DROP]));
      for (const r of report.results) if (r.kernel!.retval === XDP_TX) expect(verifyChecksums(r.kernel!.data).bad).toEqual([]);
    });
  }
});
