// xdp_lb in the kernel: packets to a VIP go back out (XDP_TX) to a backend chosen by the 5-tuple hash,
// with destination IP/MAC rewritten and valid checksums.
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildPacket, parseIpv4, parseMac, parsePacket, readCapture, replayCapture, verifyChecksums, writePcap } from "../../src/packet/index.js";
import { describeKernel } from "../support/kernel.js";
import { cat, type Loaded, loadAll, mapUpdate, perCpuSum, progRun, u32le, unload } from "./bpftool.js";

const XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;
const VIP = "10.0.0.100", HOST_MAC = "02:00:00:00:00:aa", CLIENT_MAC = "02:00:00:00:00:cc";
const BACKENDS = [
  { ip: "192.168.1.10", mac: "02:00:00:00:01:10" },
  { ip: "192.168.1.11", mac: "02:00:00:00:01:11" },
  { ip: "192.168.1.12", mac: "02:00:00:00:01:12" },
  { ip: "192.168.2.20", mac: "02:00:00:00:02:20" }, // the UDP service's only backend
];

const be16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
const serviceKey = (vip: string, port: number, proto: number) => cat(parseIpv4(vip), be16(port), Uint8Array.of(proto, 0));

// The backend the program must pick, from its documented hash (FNV-1a over the four 32-bit words the C code
// builds from network-order fields as a little-endian host loads them).
function expectedBackend(src: string, dst: string, sport: number, dport: number, proto: number, count: number, first: number): number {
  const le32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  const le16 = (v: number) => ((v & 0xff) << 8) | (v >> 8);
  const words = [le32(parseIpv4(src)), le32(parseIpv4(dst)), ((le16(sport) << 16) | le16(dport)) >>> 0, proto];
  let h = 2166136261;
  for (const w of words) h = Math.imul((h ^ w) >>> 0, 16777619) >>> 0;
  return first + (h % count);
}

describeKernel("xdp_lb (kernel)", () => {
  let l: Loaded | undefined;
  const prog = () => `${l!.progs}/xdp_lb`;
  const map = (m: string) => `${l!.maps}/${m}`;
  beforeAll(() => {
    l = loadAll("xdp_lb");
    BACKENDS.forEach((b, i) => mapUpdate(map("backends"), u32le(i), cat(parseIpv4(b.ip), parseMac(b.mac), new Uint8Array(2))));
    mapUpdate(map("services"), serviceKey(VIP, 80, 6), cat(u32le(3), u32le(0)));
    mapUpdate(map("services"), serviceKey(VIP, 53, 17), cat(u32le(1), u32le(3)));
    mapUpdate(map("services"), serviceKey("10.0.0.101", 80, 6), cat(u32le(0), u32le(0))); // no backends
  });
  afterAll(() => unload(l));

  const tcpTo = (src: string, sport: number, dst = VIP, dport = 80) =>
    buildPacket({ eth: { src: CLIENT_MAC, dst: HOST_MAC }, ipv4: { src, dst, id: sport }, tcp: { srcPort: sport, dstPort: dport, seq: 1000 }, payload: `GET /${sport}` });

  it("forwards TCP flows to the hashed backend with a correct rewrite", () => {
    const chosen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const src = `172.16.${i}.${(i * 37) % 250 + 1}`, sport = 40000 + i * 101;
      const input = tcpTo(src, sport);
      const r = progRun(prog(), input);
      expect(r.retval).toBe(XDP_TX);
      const want = expectedBackend(src, VIP, sport, 80, 6, 3, 0);
      chosen.add(want);
      const p = parsePacket(r.data), q = parsePacket(input);
      expect(p.ipv4!.dst).toBe(BACKENDS[want]!.ip);
      expect(p.eth!.dst).toBe(BACKENDS[want]!.mac);
      expect(p.eth!.src).toBe(HOST_MAC);
      expect(verifyChecksums(r.data).bad).toEqual([]);
      // Nothing else changed.
      expect({ ...p.ipv4, dst: 0, dstBytes: 0, checksum: 0 }).toEqual({ ...q.ipv4, dst: 0, dstBytes: 0, checksum: 0 });
      expect({ ...p.tcp, checksum: 0 }).toEqual({ ...q.tcp, checksum: 0 });
      expect(p.payload).toEqual(q.payload);
      // The same flow always lands on the same backend.
      expect(progRun(prog(), input).data).toEqual(r.data);
    }
    expect(chosen.size).toBeGreaterThan(1);
  });

  it("forwards UDP, keeping a zero (absent) checksum zero", () => {
    const withSum = buildPacket({ ipv4: { src: "172.16.0.1", dst: VIP }, udp: { srcPort: 5000, dstPort: 53 }, payload: "query" });
    const r = progRun(prog(), withSum);
    expect(r.retval).toBe(XDP_TX);
    expect(parsePacket(r.data).ipv4!.dst).toBe(BACKENDS[3]!.ip);
    expect(verifyChecksums(r.data).bad).toEqual([]);
    const noSum = buildPacket({ ipv4: { src: "172.16.0.1", dst: VIP }, udp: { srcPort: 5000, dstPort: 53, checksum: 0 }, payload: "query" });
    const s = progRun(prog(), noSum);
    expect(parsePacket(s.data).udp!.checksum).toBe(0);
    expect(verifyChecksums(s.data).bad).toEqual([]);
  });

  it("passes non-service traffic untouched and drops services without backends", () => {
    for (const f of [tcpTo("172.16.0.1", 1234, VIP, 443), tcpTo("172.16.0.1", 1234, "10.0.0.99"), buildPacket({ ipv4: { dst: VIP }, icmp: {} }),
      buildPacket({ ipv6: {}, tcp: { dstPort: 80 } }), buildPacket({ ipv4: { dst: VIP, options: Uint8Array.of(1, 1, 1, 1) }, tcp: { dstPort: 80 } })]) {
      const r = progRun(prog(), f);
      expect(r.retval).toBe(XDP_PASS);
      expect(r.data).toEqual(f);
    }
    expect(progRun(prog(), tcpTo("172.16.0.1", 1234, "10.0.0.101")).retval).toBe(XDP_DROP);
    expect(perCpuSum(map("lb_stats"), 0)).toBe(24n * 2n + 2n);
    expect(perCpuSum(map("lb_stats"), 1)).toBe(5n);
    expect(perCpuSum(map("lb_stats"), 2)).toBe(1n);
  });

  it("replays a pcap capture and saves the forwarded packets as a pcap", async () => {
    const input = writePcap([tcpTo("172.16.9.1", 1111), tcpTo("172.16.9.2", 2222, VIP, 443), tcpTo("172.16.9.3", 3333)].map((data, i) =>
      ({ timestamp: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, data, originalLength: data.length })), { precision: "nano" });
    const { results, packets } = await replayCapture(readCapture(input), (d) => progRun(prog(), d), (rv) => rv === XDP_TX);
    expect(results.map((r) => r.retval)).toEqual([XDP_TX, XDP_PASS, XDP_TX]);
    const out = readCapture(writePcap(packets, { precision: "nano" }));
    expect(out.packets.map((p) => p.timestamp)).toEqual([1_700_000_000_000_000_000n, 1_700_000_000_002_000_000n]);
    for (const p of out.packets) {
      expect(BACKENDS.map((b) => b.ip)).toContain(parsePacket(p.data).ipv4!.dst);
      expect(verifyChecksums(p.data).bad).toEqual([]);
    }
  });
});
