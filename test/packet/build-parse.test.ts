import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { BpfkitError } from "../../src/diagnostics/index.js";
import {
  buildPacket, formatIpv6, parseIpv6, parsePacket, verifyChecksums, type PacketSpec, type TcpFlags,
} from "../../src/packet/index.js";
import { hex, kernelFrames } from "./kernel-frames.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join("."));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpv6);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":"));
const port = fc.integer({ min: 0, max: 0xffff });

const specArb: fc.Arbitrary<PacketSpec> = fc.record({
  family: fc.constantFrom(4, 6),
  l4: fc.constantFrom("tcp", "udp", "icmp"),
  src4: ipv4, dst4: ipv4, src6: ipv6, dst6: ipv6, smac: mac, dmac: mac,
  ttl: fc.nat(255), sport: port, dport: port, seq: fc.nat(0xffffffff), flags: fc.nat(255),
  vlans: fc.array(fc.record({ id: fc.nat(4095), pcp: fc.nat(7), dei: fc.boolean() }), { maxLength: 2 }),
  payload: fc.uint8Array({ maxLength: 300 }),
  df: fc.boolean(), id: fc.nat(0xffff), tcpOpts: fc.uint8Array({ maxLength: 40 }),
}).map((r): PacketSpec => {
  const spec: PacketSpec = { eth: { src: r.smac, dst: r.dmac }, vlan: r.vlans, payload: r.payload };
  if (r.family === 4) spec.ipv4 = { src: r.src4, dst: r.dst4, ttl: r.ttl, df: r.df, id: r.id };
  else spec.ipv6 = { src: r.src6, dst: r.dst6, hopLimit: r.ttl };
  if (r.l4 === "tcp") spec.tcp = { srcPort: r.sport, dstPort: r.dport, seq: r.seq, flags: r.flags, options: r.tcpOpts };
  else if (r.l4 === "udp") spec.udp = { srcPort: r.sport, dstPort: r.dport };
  else if (r.family === 4) spec.icmp = { type: 8, id: r.sport, seq: r.dport };
  else spec.icmpv6 = { type: 128, id: r.sport, seq: r.dport };
  return spec;
});

describe("build -> parse", () => {
  it("round-trips every field and produces valid checksums", () => {
    fc.assert(fc.property(specArb, (spec) => {
      const f = buildPacket(spec);
      const p = parsePacket(f);
      const eth = spec.eth as { src: string; dst: string };
      expect(p.eth!.src).toBe(eth.src);
      expect(p.eth!.dst).toBe(eth.dst);
      expect(p.vlans.map(({ id, pcp, dei }) => ({ id, pcp, dei }))).toEqual(spec.vlan);
      if (spec.ipv4) {
        expect(p.ipv4).toMatchObject({ src: spec.ipv4.src, dst: spec.ipv4.dst, ttl: spec.ipv4.ttl, df: spec.ipv4.df, id: spec.ipv4.id });
      } else {
        expect(p.ipv6!.srcBytes).toEqual(parseIpv6(spec.ipv6!.src as string));
        expect(p.ipv6!.hopLimit).toBe(spec.ipv6!.hopLimit);
      }
      if (spec.tcp) {
        expect(p.tcp).toMatchObject({ srcPort: spec.tcp.srcPort, dstPort: spec.tcp.dstPort, seq: spec.tcp.seq, flags: spec.tcp.flags });
        expect(p.tcp!.options.subarray(0, spec.tcp.options!.length)).toEqual(spec.tcp.options);
      }
      if (spec.udp) expect(p.udp).toMatchObject({ srcPort: spec.udp.srcPort, dstPort: spec.udp.dstPort, length: 8 + (spec.payload as Uint8Array).length });
      const icmp = p.icmp ?? p.icmpv6;
      if (spec.icmp || spec.icmpv6) expect(icmp).toMatchObject({ id: (spec.icmp ?? spec.icmpv6)!.id, seq: (spec.icmp ?? spec.icmpv6)!.seq });
      expect(p.payload).toEqual(spec.payload);
      const r = verifyChecksums(f);
      expect(r.bad).toEqual([]);
      expect(r.checks.length).toBe(spec.ipv4 ? 2 : 1);
    }));
  });

  it("detects any single bit flip in a checksummed header", () => {
    fc.assert(fc.property(specArb, fc.nat(), fc.nat(7), (spec, at, bit) => {
      const f = buildPacket(spec);
      const p = parsePacket(f);
      // Bytes some checksum covers: the whole IPv4 header; IPv6 addresses (pseudo-header); the L4 header.
      const ranges: [number, number][] = [];
      if (p.ipv4) ranges.push([p.ipv4.offset, p.ipv4.offset + p.ipv4.headerLength]);
      else ranges.push([p.ipv6!.offset + 8, p.ipv6!.offset + 40]);
      ranges.push([p.l4Offset!, p.payloadOffset]);
      const bytes = ranges.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
      const g = f.slice();
      g[bytes[at % bytes.length]!]! ^= 1 << bit;
      let detected: boolean;
      try {
        const r = verifyChecksums(g);
        // A UDP checksum with one bit set can flip to 0, which IPv4 defines as "no checksum": undetectable.
        detected = !r.ok || r.checks.some((c) => c.absent);
      } catch (e) {
        expect(e).toBeInstanceOf(BpfkitError); // e.g. the version nibble or a length field broke parsing
        detected = true;
      }
      expect(detected).toBe(true);
    }), { numRuns: fuzzRuns(500) });
  });

  it("builds frames identical to the kernel's when given the same fields", () => {
    // Frame 0 of the fixture: UDP 10.77.0.1:50416 -> 10.77.0.2:5353 "hello, kernel!", IP id 0x9da3, DF.
    const k = kernelFrames[0]!;
    const p = parsePacket(k);
    const mine = buildPacket({
      eth: { src: p.eth!.src, dst: p.eth!.dst },
      ipv4: { src: p.ipv4!.src, dst: p.ipv4!.dst, id: p.ipv4!.id, df: p.ipv4!.df, ttl: p.ipv4!.ttl },
      udp: { srcPort: p.udp!.srcPort, dstPort: p.udp!.dstPort },
      payload: "hello, kernel!",
    });
    expect(Buffer.from(mine).toString("hex")).toBe(Buffer.from(k).toString("hex"));
    // And the TCP data segment (options, flags, window copied from the capture).
    const t = kernelFrames.find((x) => parsePacket(x).tcp && parsePacket(x).payload.length > 0)!;
    const q = parsePacket(t);
    const again = buildPacket({
      eth: { src: q.eth!.src, dst: q.eth!.dst },
      ipv4: { src: q.ipv4!.src, dst: q.ipv4!.dst, id: q.ipv4!.id, df: q.ipv4!.df, ttl: q.ipv4!.ttl },
      tcp: { srcPort: q.tcp!.srcPort, dstPort: q.tcp!.dstPort, seq: q.tcp!.seq, ack: q.tcp!.ack, flags: q.tcp!.flagNames, window: q.tcp!.window, options: q.tcp!.options },
      payload: q.payload,
    });
    expect(Buffer.from(again).toString("hex")).toBe(Buffer.from(t).toString("hex"));
  });

  it("parses the shared benchmark frame in place", () => {
    const f = hex(readFileSync("/work/shared/bench/udp_packet.hex", "utf8"));
    const p = parsePacket(f);
    expect(p.eth).toMatchObject({ dst: "0a:0b:0c:0d:0e:0f", src: "01:02:03:04:05:06", type: 0x0800 });
    expect(p.ipv4).toMatchObject({ src: "10.0.0.1", dst: "192.168.1.2", ttl: 64, protocol: 17, totalLength: 50 });
    expect(p.udp).toMatchObject({ srcPort: 12345, dstPort: 53, length: 30, checksum: 0 });
    expect(new TextDecoder().decode(p.payload.subarray(0, 11))).toBe("hello, bpf!");
    // Its IPv4 checksum field is 0 (never filled in) and its UDP checksum is "none".
    const r = verifyChecksums(f);
    expect(r.bad.map((c) => c.layer)).toEqual(["ipv4"]);
    expect(r.checks.find((c) => c.layer === "udp")!.absent).toBe(true);
  });

  it("builds VLAN, TCP flag names, ICMPv6 and IPv6 defaults", () => {
    const f = buildPacket({ vlan: [{ id: 100, tpid: 0x88a8 }, { id: 200, pcp: 5 }], ipv6: { dst: "2001:db8::7" }, tcp: { flags: "SYN|ACK", dstPort: 443 }, minLength: 120 });
    const p = parsePacket(f);
    expect(f.length).toBe(120);
    expect(p.vlans.map((v) => [v.tpid, v.id, v.pcp])).toEqual([[0x88a8, 100, 0], [0x8100, 200, 5]]);
    expect(p.ipv6).toMatchObject({ src: "fd00::1", dst: "2001:db8::7", payloadLength: 20 });
    expect(p.tcp!.flagNames).toEqual(["SYN", "ACK"]);
    expect(p.payload.length).toBe(0); // padding is not payload
    expect(verifyChecksums(f).ok).toBe(true);
    const n = buildPacket({ eth: false, ipv6: {}, icmpv6: { type: 135, rest: new Uint8Array(4) }, payload: new Uint8Array(16) });
    expect(parsePacket(n, { link: "ip" }).icmpv6!.type).toBe(135);
    expect(verifyChecksums(n, { link: "ip" }).ok).toBe(true);
  });

  it("reports overridden (wrong) checksums", () => {
    const f = buildPacket({ ipv4: { checksum: 0x1234 }, udp: { checksum: 0x4321 }, payload: "x" });
    const r = verifyChecksums(f);
    expect(r.bad.map((c) => [c.layer, c.found])).toEqual([["ipv4", 0x1234], ["udp", 0x4321]]);
    const good = buildPacket({ ipv4: {}, udp: {}, payload: "x" });
    expect(r.bad.map((c) => c.expected)).toEqual([parsePacket(good).ipv4!.checksum, parsePacket(good).udp!.checksum]);
  });
});

describe("bad input", () => {
  const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(BpfkitError); return (e as BpfkitError).diagnostics[0]; } throw new Error("no error"); };

  it("a misspelt TCP flag is a type error in TypeScript, not only at run time", () => {
    // npm run typecheck fails if any of these lines stops being an error
    // @ts-expect-error "SYNN" is no flag
    expect(() => buildPacket({ ipv4: {}, tcp: { flags: "SYNN" } })).toThrow(/SYNN/);
    // @ts-expect-error one misspelt name in a combination
    expect(() => buildPacket({ ipv4: {}, tcp: { flags: "SYN|AKC" } })).toThrow(/AKC/);
    // @ts-expect-error one misspelt name in a list
    expect(() => buildPacket({ ipv4: {}, tcp: { flags: ["SYN", "BOGUS"] } })).toThrow(/BOGUS/);
    // the right spellings type-check and build the same byte
    const byte = (flags: TcpFlags): number => buildPacket({ ipv4: {}, tcp: { flags } })[14 + 20 + 13]!;
    expect([byte("SYN|ACK"), byte(["syn", "ACK"]), byte(0x12)]).toEqual([0x12, 0x12, 0x12]);
    expect(byte("fin")).toBe(0x01);
  });

  it("names the field of a bad spec", () => {
    expect(code(() => buildPacket({ ipv4: { ttl: 256 } }))).toMatchObject({ code: "BK9503", message: expect.stringContaining("ipv4.ttl") });
    expect(code(() => buildPacket({ ipv4: { src: "10.0.0.256" } }))).toMatchObject({ code: "BK9503", message: expect.stringContaining("ipv4.src") });
    expect(code(() => buildPacket({ ipv6: { dst: "1::2::3" } })).message).toContain("ipv6.dst");
    expect(code(() => buildPacket({ eth: { src: "zz:00:00:00:00:00" } })).message).toContain("eth.src");
    expect(code(() => buildPacket({ udp: {} })).message).toContain("needs ipv4 or ipv6");
    // a spec read from JSON at run time is still checked, flag by flag
    expect(code(() => buildPacket(JSON.parse('{"ipv4": {}, "tcp": {"flags": "SYN|BOGUS"}}'))).message).toContain("BOGUS");
    expect(code(() => buildPacket({ vlan: { id: 5000 } })).message).toContain("vlan[0].id");
  });

  it("names layer and offset of a truncated or inconsistent frame", () => {
    const f = buildPacket({ vlan: { id: 1 }, ipv4: {}, tcp: {}, payload: "abc" });
    expect(code(() => parsePacket(f.subarray(0, 10)))).toMatchObject({ code: "BK9501", offset: 0 });
    expect(code(() => parsePacket(f.subarray(0, 30)))).toMatchObject({ code: "BK9501", offset: 18, message: expect.stringContaining("ipv4") });
    expect(code(() => parsePacket(f.subarray(0, f.length - 1)))).toMatchObject({ code: "BK9501", message: expect.stringContaining("totalLength") });
    const g = f.slice(); g[18] = 0x44; // ihl 4
    expect(code(() => parsePacket(g))).toMatchObject({ code: "BK9502", offset: 18, message: expect.stringContaining("ihl") });
    const h = f.slice(); h[18 + 20 + 12] = 0x20; // TCP data offset 2
    expect(code(() => parsePacket(h))).toMatchObject({ code: "BK9502", message: expect.stringContaining("dataOffset") });
  });
});
