import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  csumAddDelta, csumDiff, csumReplace16, csumReplace32, csumReplaceBytes, internetChecksum, onesSum,
  parsePacket, verifyChecksums,
} from "../../src/packet/index.js";
import { hex, kernelFrames } from "./kernel-frames.js";

// Reference: a deliberately naive RFC 1071 sum (BigInt, fold once at the end), independent of src/packet.
function naiveChecksum(bytes: Uint8Array): number {
  let s = 0n;
  for (let i = 0; i < bytes.length; i += 2) s += BigInt(bytes[i]! * 256 + (bytes[i + 1] ?? 0));
  while (s > 0xffffn) s = (s & 0xffffn) + (s >> 16n);
  return Number(~s & 0xffffn);
}

describe("internet checksum", () => {
  it("matches RFC 1071 section 3's worked example", () => {
    // 00 01 f2 03 f4 f5 f6 f7: the sum is 0x2ddf0, folded 0xddf2, so the checksum is 0x220d.
    const data = hex("0001f203f4f5f6f7");
    expect(onesSum(data)).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
  });

  it("matches the naive reference on random data (odd lengths included)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (d) => { expect(internetChecksum(d)).toBe(naiveChecksum(d)); }));
  });

  it("verifies the IPv4 header checksum of every kernel-built frame with the naive reference", () => {
    let n = 0;
    for (const f of kernelFrames) {
      const p = parsePacket(f);
      if (!p.ipv4) continue;
      n++;
      // A header with a correct checksum sums to 0xffff, so the complement of the sum is 0.
      expect(naiveChecksum(f.subarray(p.ipv4.offset, p.ipv4.offset + p.ipv4.headerLength))).toBe(0);
    }
    expect(n).toBeGreaterThanOrEqual(4);
  });

  it("finds every checksum in kernel-built frames correct (TCP, UDP, ICMP over IPv4 and IPv6)", () => {
    const layers = new Set<string>();
    for (const f of kernelFrames) {
      const r = verifyChecksums(f);
      expect(r.bad).toEqual([]);
      for (const c of r.checks) { expect(c.found).toBe(c.expected); layers.add(`${c.layer}/${parsePacket(f).ipv4 ? 4 : 6}`); }
    }
    expect([...layers].sort()).toEqual(["icmp/4", "icmpv6/6", "ipv4/4", "tcp/4", "udp/4", "udp/6"]);
  });
});

describe("incremental checksum (RFC 1624)", () => {
  const evenData = fc.integer({ min: 2, max: 200 }).chain((n) => fc.uint8Array({ minLength: n * 2, maxLength: n * 2 }));

  it("csumReplace16 equals full recomputation after changing one word", () => {
    fc.assert(fc.property(evenData, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (d, at, w) => {
      const i = (at % (d.length / 2)) * 2;
      const old = (d[i]! << 8) | d[i + 1]!;
      const before = internetChecksum(d);
      const e = d.slice(); e[i] = w >> 8; e[i + 1] = w & 0xff;
      // Either encoding of zero is a valid result (RFC 1624 section 3).
      const got = csumReplace16(before, old, w), want = internetChecksum(e);
      expect(got === want || (got ^ want) === 0xffff && (got === 0 || want === 0)).toBe(true);
    }));
  });

  it("csumReplace32 and csumReplaceBytes equal full recomputation", () => {
    fc.assert(fc.property(evenData.filter((d) => d.length >= 8), fc.nat(), fc.uint8Array({ minLength: 4, maxLength: 4 }), (d, at, nv) => {
      const i = (at % (d.length / 2 - 1)) * 2;
      const before = internetChecksum(d);
      const old = d.slice(i, i + 4);
      const e = d.slice(); e.set(nv, i);
      const want = internetChecksum(e);
      const v = (b: Uint8Array) => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      const same = (x: number) => x === want || (x === 0 && want === 0xffff) || (x === 0xffff && want === 0);
      expect(same(csumReplace32(before, v(old), v(nv)))).toBe(true);
      expect(same(csumReplaceBytes(before, old, nv))).toBe(true);
      expect(same(csumAddDelta(before, csumDiff(old, nv)))).toBe(true);
    }));
  });

  it("rewriting a kernel frame's IPv4 destination incrementally keeps both checksums valid", () => {
    const f = kernelFrames.find((x) => parsePacket(x).tcp && parsePacket(x).ipv4)!.slice();
    const p = parsePacket(f);
    const ip = p.ipv4!.offset, tcp = p.tcp!.offset;
    const u16 = (o: number) => (f[o]! << 8) | f[o + 1]!;
    const set16 = (o: number, v: number) => { f[o] = v >> 8; f[o + 1] = v & 0xff; };
    const oldDst = f.slice(ip + 16, ip + 20), newDst = hex("c0a80a07");
    set16(ip + 10, csumReplaceBytes(u16(ip + 10), oldDst, newDst));
    set16(tcp + 16, csumReplaceBytes(u16(tcp + 16), oldDst, newDst)); // the address is in the pseudo-header
    f.set(newDst, ip + 16);
    expect(parsePacket(f).ipv4!.dst).toBe("192.168.10.7");
    expect(verifyChecksums(f).bad).toEqual([]);
  });
});
