// Decode a frame back into fields (tests assert on rewritten packets with it). Unknown EtherTypes and
// protocols stop decoding and leave the rest as payload; a header cut short, or lengths that point past
// the frame, are BpfkitErrors (BK9501/BK9502) naming the layer, field and offset.
import { fail } from "../diagnostics/index.js";
import { formatIpv4, formatIpv6, formatMac } from "./addr.js";
import { ETH_HLEN, ETH_P, IPPROTO, tcpFlagNames, type TcpFlagName } from "./constants.js";

export interface EthernetHeader { offset: number; dst: string; src: string; type: number }
export interface VlanTag { offset: number; tpid: number; pcp: number; dei: boolean; id: number }
export interface Ipv4Header {
  offset: number; headerLength: number; tos: number; totalLength: number; id: number;
  df: boolean; mf: boolean; fragOffset: number; ttl: number; protocol: number; checksum: number;
  src: string; dst: string; srcBytes: Uint8Array; dstBytes: Uint8Array; options: Uint8Array;
}
export interface Ipv6Extension { type: number; offset: number; length: number }
export interface Ipv6Header {
  offset: number; trafficClass: number; flowLabel: number; payloadLength: number; nextHeader: number;
  hopLimit: number; src: string; dst: string; srcBytes: Uint8Array; dstBytes: Uint8Array;
  /** Extension headers walked (hop-by-hop, routing, fragment, destination options). */
  extensions: Ipv6Extension[];
  /** The upper-layer protocol after the extension headers. */
  protocol: number;
  fragment?: { offset: number; mf: boolean; id: number };
}
export interface TcpHeader {
  offset: number; srcPort: number; dstPort: number; seq: number; ack: number; headerLength: number;
  flags: number; flagNames: TcpFlagName[]; window: number; checksum: number; urgent: number; options: Uint8Array;
}
export interface UdpHeader { offset: number; srcPort: number; dstPort: number; length: number; checksum: number }
export interface IcmpHeader { offset: number; type: number; code: number; checksum: number; id: number; seq: number; rest: Uint8Array }

export interface ParsedPacket {
  eth?: EthernetHeader;
  vlans: VlanTag[];
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Header;
  tcp?: TcpHeader;
  udp?: UdpHeader;
  icmp?: IcmpHeader;
  icmpv6?: IcmpHeader;
  /** Where the IP datagram ends (from its length fields); bytes after it are link padding. */
  l3End?: number;
  l3Offset?: number;
  l4Offset?: number;
  payloadOffset: number;
  /** Bytes after the last decoded header, up to the end of the IP datagram (or of the frame). */
  payload: Uint8Array;
}

export interface ParseOptions {
  /** "ethernet" (default) or "ip" for raw IP packets (LINKTYPE_RAW), version from the first nibble. */
  link?: "ethernet" | "ip";
}

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function need(frame: Uint8Array, layer: string, offset: number, n: number, limit = frame.length): void {
  if (offset + n > limit) fail("BK9501", { layer, offset, need: n, have: Math.max(0, limit - offset) }, { offset });
}

export function parsePacket(frame: Uint8Array, options: ParseOptions = {}): ParsedPacket {
  const p: ParsedPacket = { vlans: [], payloadOffset: 0, payload: frame };
  let o = 0;
  let type: number;
  if ((options.link ?? "ethernet") === "ethernet") {
    need(frame, "ethernet", 0, ETH_HLEN);
    type = u16(frame, 12);
    p.eth = { offset: 0, dst: formatMac(frame.subarray(0, 6)), src: formatMac(frame.subarray(6, 12)), type };
    o = 12;
    while (type === ETH_P.VLAN || type === ETH_P.QINQ) {
      need(frame, "vlan", o, 6);
      const tci = u16(frame, o + 2);
      p.vlans.push({ offset: o, tpid: type, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, id: tci & 0xfff });
      o += 4;
      type = u16(frame, o);
    }
    p.eth.type = type;
    o += 2;
  } else {
    need(frame, "ip", 0, 1);
    const v = frame[0]! >> 4;
    type = v === 4 ? ETH_P.IPV4 : v === 6 ? ETH_P.IPV6 : fail("BK9502", { layer: "ip", field: "version", value: v, offset: 0, expected: "4 or 6" }, { offset: 0 });
  }
  let end = frame.length;
  let proto: number | undefined;
  let fragmented = false;
  if (type === ETH_P.IPV4) {
    need(frame, "ipv4", o, 20);
    const vihl = frame[o]!;
    const bad = (field: string, value: number, expected: string) => fail("BK9502", { layer: "ipv4", field, value, offset: o, expected }, { offset: o });
    if (vihl >> 4 !== 4) bad("version", vihl >> 4, "4");
    const hl = (vihl & 0xf) * 4;
    if (hl < 20) bad("ihl", vihl & 0xf, "at least 5 (20 bytes)");
    need(frame, "ipv4", o, hl);
    const total = u16(frame, o + 2);
    if (total < hl) bad("totalLength", total, `at least the header length ${hl}`);
    need(frame, "ipv4 datagram (totalLength)", o, total);
    const frag = u16(frame, o + 6);
    p.ipv4 = {
      offset: o, headerLength: hl, tos: frame[o + 1]!, totalLength: total, id: u16(frame, o + 4),
      df: (frag & 0x4000) !== 0, mf: (frag & 0x2000) !== 0, fragOffset: frag & 0x1fff, ttl: frame[o + 8]!,
      protocol: frame[o + 9]!, checksum: u16(frame, o + 10),
      srcBytes: frame.slice(o + 12, o + 16), dstBytes: frame.slice(o + 16, o + 20),
      src: formatIpv4(frame.subarray(o + 12, o + 16)), dst: formatIpv4(frame.subarray(o + 16, o + 20)),
      options: frame.slice(o + 20, o + hl),
    };
    p.l3Offset = o;
    end = o + total;
    p.l3End = end;
    proto = p.ipv4.protocol;
    fragmented = p.ipv4.fragOffset !== 0; // later fragments carry no L4 header
    o += hl;
  } else if (type === ETH_P.IPV6) {
    need(frame, "ipv6", o, 40);
    const w = u32(frame, o);
    if (w >>> 28 !== 6) fail("BK9502", { layer: "ipv6", field: "version", value: w >>> 28, offset: o, expected: "6" }, { offset: o });
    const plen = u16(frame, o + 4);
    need(frame, "ipv6 datagram (payloadLength)", o, 40 + plen);
    const ip: Ipv6Header = {
      offset: o, trafficClass: (w >>> 20) & 0xff, flowLabel: w & 0xfffff, payloadLength: plen, nextHeader: frame[o + 6]!,
      hopLimit: frame[o + 7]!, srcBytes: frame.slice(o + 8, o + 24), dstBytes: frame.slice(o + 24, o + 40),
      src: formatIpv6(frame.subarray(o + 8, o + 24)), dst: formatIpv6(frame.subarray(o + 24, o + 40)),
      extensions: [], protocol: frame[o + 6]!,
    };
    p.ipv6 = ip;
    p.l3Offset = o;
    end = o + 40 + plen;
    p.l3End = end;
    o += 40;
    let nh = ip.nextHeader;
    while (nh === IPPROTO.HOPOPTS || nh === IPPROTO.ROUTING || nh === IPPROTO.DSTOPTS || nh === IPPROTO.FRAGMENT) {
      need(frame, "ipv6 extension header", o, 8, end);
      const len = nh === IPPROTO.FRAGMENT ? 8 : (frame[o + 1]! + 1) * 8;
      need(frame, "ipv6 extension header", o, len, end);
      ip.extensions.push({ type: nh, offset: o, length: len });
      if (nh === IPPROTO.FRAGMENT) {
        const fo = u16(frame, o + 2);
        ip.fragment = { offset: fo >> 3, mf: (fo & 1) !== 0, id: u32(frame, o + 4) };
        fragmented = ip.fragment.offset !== 0;
      }
      nh = frame[o]!;
      o += len;
    }
    ip.protocol = nh;
    proto = nh;
  }
  if (proto !== undefined && !fragmented) {
    p.l4Offset = o;
    if (proto === IPPROTO.TCP) {
      need(frame, "tcp", o, 20, end);
      const hl = (frame[o + 12]! >> 4) * 4;
      if (hl < 20) fail("BK9502", { layer: "tcp", field: "dataOffset", value: hl / 4, offset: o, expected: "at least 5 (20 bytes)" }, { offset: o + 12 });
      need(frame, "tcp", o, hl, end);
      const flags = frame[o + 13]!;
      p.tcp = {
        offset: o, srcPort: u16(frame, o), dstPort: u16(frame, o + 2), seq: u32(frame, o + 4), ack: u32(frame, o + 8),
        headerLength: hl, flags, flagNames: tcpFlagNames(flags), window: u16(frame, o + 14), checksum: u16(frame, o + 16),
        urgent: u16(frame, o + 18), options: frame.slice(o + 20, o + hl),
      };
      o += hl;
    } else if (proto === IPPROTO.UDP) {
      need(frame, "udp", o, 8, end);
      p.udp = { offset: o, srcPort: u16(frame, o), dstPort: u16(frame, o + 2), length: u16(frame, o + 4), checksum: u16(frame, o + 6) };
      o += 8;
    } else if (proto === IPPROTO.ICMP || proto === IPPROTO.ICMPV6) {
      const layer = proto === IPPROTO.ICMP ? "icmp" : "icmpv6";
      need(frame, layer, o, 8, end);
      p[layer] = { offset: o, type: frame[o]!, code: frame[o + 1]!, checksum: u16(frame, o + 2), id: u16(frame, o + 4), seq: u16(frame, o + 6), rest: frame.slice(o + 4, o + 8) };
      o += 8;
    }
  }
  p.payloadOffset = o;
  p.payload = frame.slice(o, end);
  return p;
}
