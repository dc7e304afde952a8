// Which checksums in a frame are right: the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum
// (with pseudo-header). A checksum verifies when the ones'-complement sum over its coverage, the stored
// value included, is 0xffff: that accepts both encodings of zero (0x0000 and 0xffff) as RFC 1624 allows.
import { internetChecksum, onesSum, transportChecksum } from "./checksum.js";
import { L4_CSUM_OFFSET } from "./constants.js";
import { type ParseOptions, type ParsedPacket, parsePacket } from "./parse.js";

export interface ChecksumCheck {
  layer: "ipv4" | "tcp" | "udp" | "icmp" | "icmpv6";
  /** Byte offset of the checksum field in the frame. */
  offset: number;
  found: number;
  /** What the field should hold (computed with the field zeroed). */
  expected: number;
  ok: boolean;
  /** Set when there was nothing to check: UDP over IPv4 with checksum 0 ("none"). */
  absent?: boolean;
}

export interface ChecksumReport {
  ok: boolean;
  checks: ChecksumCheck[];
  /** Checks that failed, for short assertions: `expect(report.bad).toEqual([])`. */
  bad: ChecksumCheck[];
}

export function verifyChecksums(frame: Uint8Array, options: ParseOptions | ParsedPacket = {}): ChecksumReport {
  const p = "vlans" in options ? options : parsePacket(frame, options);
  const checks: ChecksumCheck[] = [];
  const u16 = (o: number) => (frame[o]! << 8) | frame[o + 1]!;
  if (p.ipv4) {
    const o = p.ipv4.offset, hl = p.ipv4.headerLength;
    const copy = frame.slice(o, o + hl);
    copy[10] = 0; copy[11] = 0;
    checks.push({ layer: "ipv4", offset: o + 10, found: p.ipv4.checksum, expected: internetChecksum(copy), ok: onesSum(frame, o, o + hl) === 0xffff });
  }
  const l4 = p.tcp ? "tcp" : p.udp ? "udp" : p.icmp ? "icmp" : p.icmpv6 ? "icmpv6" : undefined;
  if (l4 && p.l4Offset !== undefined && p.l3End !== undefined) {
    const start = p.l4Offset, end = p.l3End;
    const ip = p.ipv4 ?? p.ipv6!;
    const pseudo = l4 === "icmp" ? undefined : {
      family: p.ipv4 ? 4 as const : 6 as const, src: ip.srcBytes, dst: ip.dstBytes,
      protocol: p.ipv4 ? p.ipv4.protocol : p.ipv6!.protocol,
    };
    const at = start + L4_CSUM_OFFSET[l4];
    const found = u16(at);
    let expected = transportChecksum(frame, start, end, L4_CSUM_OFFSET[l4], pseudo);
    if (l4 === "udp" && expected === 0) expected = 0xffff;
    // Verify by summing with the stored value: ~expected + found == 0xffff iff they are equal in ones' complement.
    const sumWithout = ~transportChecksum(frame, start, end, L4_CSUM_OFFSET[l4], pseudo) & 0xffff;
    const ok = onesSum(new Uint8Array([found >> 8, found & 0xff]), 0, 2, sumWithout) === 0xffff;
    const check: ChecksumCheck = { layer: l4, offset: at, found, expected, ok };
    if (l4 === "udp" && found === 0) {
      // RFC 768: zero means the sender computed none; IPv6 forbids that (RFC 8200 section 8.1).
      check.ok = p.ipv4 !== undefined;
      if (p.ipv4) check.absent = true;
    }
    checks.push(check);
  }
  const bad = checks.filter((c) => !c.ok);
  return { ok: bad.length === 0, checks, bad };
}
