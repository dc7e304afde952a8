// Frame builders: Ethernet (+ 802.1Q/802.1ad tags) / IPv4 or IPv6 / TCP, UDP, ICMP or ICMPv6 with a
// payload, every length and checksum filled in. Any field can be overridden (including checksums and
// lengths) so tests can also build deliberately broken packets.
import { fail } from "../diagnostics/index.js";
import { type AddrInput, parseIpv4, parseIpv6, parseMac } from "./addr.js";
import { internetChecksum, type PseudoHeader, transportChecksum } from "./checksum.js";
import { ETH_HLEN, ETH_P, IPPROTO, IPV4_HLEN, IPV6_HLEN, L4_CSUM_OFFSET, TCP_FLAG, type TcpFlagName, UDP_HLEN, VLAN_HLEN } from "./constants.js";

export interface EthernetSpec {
  src?: AddrInput; // default 02:00:00:00:00:01
  dst?: AddrInput; // default 02:00:00:00:00:02
  /** EtherType after the tags; default from the L3 layer. */
  type?: number;
}

export interface VlanSpec {
  id: number; // VID, 0-4095
  pcp?: number; // priority, 0-7
  dei?: boolean;
  /** Tag protocol identifier: 0x8100 (802.1Q, default) or 0x88a8 (802.1ad outer tag). */
  tpid?: number;
}

export interface Ipv4Spec {
  src?: AddrInput; // default 10.0.0.1
  dst?: AddrInput; // default 10.0.0.2
  ttl?: number; // default 64
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Default from the L4 layer. */
  protocol?: number;
  /** Raw option bytes, padded with zeros (End of Options) to a multiple of 4. */
  options?: Uint8Array;
  totalLength?: number; // override
  checksum?: number; // override (default: correct)
}

export interface Ipv6Spec {
  src?: AddrInput; // default fd00::1
  dst?: AddrInput; // default fd00::2
  hopLimit?: number; // default 64
  trafficClass?: number;
  flowLabel?: number;
  nextHeader?: number; // default from the L4 layer
  payloadLength?: number; // override
}

/** One flag by name, in either case. */
export type TcpFlagWord = TcpFlagName | Lowercase<TcpFlagName>;
/**
 * TCP flags: a byte (0x12), names (["SYN", "ACK"]) or a string of up to three names joined by '|'
 * ("SYN|ACK"), so that a misspelt flag is a type error, not a surprise at run time. Longer strings (and
 * the ',', '+' and ' ' separators the CLI accepts) go through `tcpFlagsValue` as plain strings.
 */
export type TcpFlags = number | readonly TcpFlagWord[] | TcpFlagWord | `${TcpFlagName}|${TcpFlagName}` | `${TcpFlagName}|${TcpFlagName}|${TcpFlagName}`;

export interface TcpSpec {
  srcPort?: number; // default 12345
  dstPort?: number; // default 80
  seq?: number;
  ack?: number;
  flags?: TcpFlags; // default ACK|PSH with a payload, SYN without
  window?: number; // default 65535
  urgent?: number;
  options?: Uint8Array; // padded with zeros to a multiple of 4
  checksum?: number;
}

export interface UdpSpec {
  srcPort?: number; // default 12345
  dstPort?: number; // default 53
  length?: number; // override
  /** Override; 0 means "no checksum" (IPv4 only). */
  checksum?: number;
}

export interface IcmpSpec {
  type?: number; // default: echo request (8 for ICMP, 128 for ICMPv6)
  code?: number;
  id?: number;
  seq?: number;
  /** The 4 bytes after type/code/checksum; replaces id/seq when given. */
  rest?: Uint8Array;
  checksum?: number;
}

export interface PacketSpec {
  /** Ethernet header; `false` builds a raw IP packet (no L2). Default: an Ethernet header. */
  eth?: EthernetSpec | false;
  vlan?: VlanSpec | VlanSpec[];
  ipv4?: Ipv4Spec;
  ipv6?: Ipv6Spec;
  tcp?: TcpSpec;
  udp?: UdpSpec;
  icmp?: IcmpSpec;
  icmpv6?: IcmpSpec;
  payload?: Uint8Array | string;
  /** Pad the frame with zeros to at least this many bytes (60 = Ethernet minimum without FCS). */
  minLength?: number;
}

function check(field: string, v: number | undefined, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0 || v > max) fail("BK9503", { field, value: String(v), expected: `an integer in 0..${max}` });
  return v;
}

export function tcpFlagsValue(flags: TcpFlags | string, field = "tcp.flags"): number {
  if (typeof flags === "number") return check(field, flags, 0xff, 0);
  const names: readonly string[] = typeof flags === "string" ? flags.split(/[|,+ ]+/).filter(Boolean) : flags;
  let v = 0;
  for (const n of names) {
    const bit = TCP_FLAG[n.toUpperCase() as TcpFlagName];
    if (bit === undefined) fail("BK9503", { field, value: JSON.stringify(n), expected: `one of ${Object.keys(TCP_FLAG).join(", ")}` });
    v |= bit;
  }
  return v;
}

const put16 = (b: Uint8Array, o: number, v: number) => { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; };
const put32 = (b: Uint8Array, o: number, v: number) => { put16(b, o, v >>> 16); put16(b, o + 2, v & 0xffff); };

function padTo4(options: Uint8Array | undefined, field: string, max: number): Uint8Array {
  if (!options) return new Uint8Array(0);
  const len = (options.length + 3) & ~3;
  if (len > max) fail("BK9503", { field, value: `${options.length} bytes`, expected: `at most ${max} bytes of options` });
  const out = new Uint8Array(len);
  out.set(options);
  return out;
}

/** Build one frame from a spec. Exactly one of ipv4/ipv6 (or neither, for a bare Ethernet frame) and at most one L4 layer. */
export function buildPacket(spec: PacketSpec): Uint8Array {
  const l4Layers = (["tcp", "udp", "icmp", "icmpv6"] as const).filter((k) => spec[k] !== undefined);
  if (spec.ipv4 && spec.ipv6) fail("BK9503", { field: "ipv4/ipv6", value: "both", expected: "at most one IP layer" });
  if (l4Layers.length > 1) fail("BK9503", { field: l4Layers.join("/"), value: "several", expected: "at most one transport layer" });
  const l4 = l4Layers[0];
  if (l4 && !spec.ipv4 && !spec.ipv6) fail("BK9503", { field: l4, value: "set", expected: "a transport layer needs ipv4 or ipv6" });
  if (l4 === "icmp" && spec.ipv6) fail("BK9503", { field: "icmp", value: "with ipv6", expected: "use icmpv6 over IPv6" });
  if (l4 === "icmpv6" && spec.ipv4) fail("BK9503", { field: "icmpv6", value: "with ipv4", expected: "use icmp over IPv4" });
  if (spec.eth === false && spec.vlan) fail("BK9503", { field: "vlan", value: "set", expected: "VLAN tags need an Ethernet header" });

  const payload = typeof spec.payload === "string" ? new TextEncoder().encode(spec.payload) : (spec.payload ?? new Uint8Array(0));
  const vlans = spec.vlan === undefined ? [] : Array.isArray(spec.vlan) ? spec.vlan : [spec.vlan];
  const ipOpts = padTo4(spec.ipv4?.options, "ipv4.options", 40);
  const tcpOpts = padTo4(spec.tcp?.options, "tcp.options", 40);

  const l2Len = spec.eth === false ? 0 : ETH_HLEN + VLAN_HLEN * vlans.length;
  const l3Len = spec.ipv4 ? IPV4_HLEN + ipOpts.length : spec.ipv6 ? IPV6_HLEN : 0;
  const l4Len = l4 === "tcp" ? 20 + tcpOpts.length : l4 === "udp" ? UDP_HLEN : l4 ? 8 : 0;
  const l3Off = l2Len, l4Off = l2Len + l3Len, payOff = l4Off + l4Len;
  const end = payOff + payload.length;
  const minLength = check("minLength", spec.minLength, 0x40000, 0);
  const frame = new Uint8Array(Math.max(end, minLength));
  frame.set(payload, payOff);

  const protocol = l4 === "tcp" ? IPPROTO.TCP : l4 === "udp" ? IPPROTO.UDP : l4 === "icmp" ? IPPROTO.ICMP : l4 === "icmpv6" ? IPPROTO.ICMPV6 : IPPROTO.NONE;

  // L2
  if (spec.eth !== false) {
    const eth = spec.eth ?? {};
    frame.set(parseMac(eth.dst ?? "02:00:00:00:00:02", "eth.dst"), 0);
    frame.set(parseMac(eth.src ?? "02:00:00:00:00:01", "eth.src"), 6);
    const l3Type = spec.ipv4 ? ETH_P.IPV4 : spec.ipv6 ? ETH_P.IPV6 : 0x88b5; // 0x88b5: IEEE local experimental
    let o = 12;
    vlans.forEach((v, i) => {
      const f = `vlan[${i}]`;
      put16(frame, o, check(`${f}.tpid`, v.tpid, 0xffff, ETH_P.VLAN));
      put16(frame, o + 2, (check(`${f}.pcp`, v.pcp, 7, 0) << 13) | ((v.dei ? 1 : 0) << 12) | check(`${f}.id`, v.id, 4095, 0));
      o += 4;
    });
    put16(frame, o, check("eth.type", eth.type, 0xffff, l3Type));
  }

  // L3
  let pseudo: PseudoHeader;
  if (spec.ipv4) {
    const ip = spec.ipv4;
    const src = parseIpv4(ip.src ?? "10.0.0.1", "ipv4.src"), dst = parseIpv4(ip.dst ?? "10.0.0.2", "ipv4.dst");
    const proto = check("ipv4.protocol", ip.protocol, 255, protocol);
    frame[l3Off] = 0x40 | (l3Len >> 2);
    frame[l3Off + 1] = check("ipv4.tos", ip.tos, 255, 0);
    put16(frame, l3Off + 2, check("ipv4.totalLength", ip.totalLength, 0xffff, end - l3Off));
    put16(frame, l3Off + 4, check("ipv4.id", ip.id, 0xffff, 0));
    put16(frame, l3Off + 6, (ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | check("ipv4.fragOffset", ip.fragOffset, 0x1fff, 0));
    frame[l3Off + 8] = check("ipv4.ttl", ip.ttl, 255, 64);
    frame[l3Off + 9] = proto;
    frame.set(src, l3Off + 12);
    frame.set(dst, l3Off + 16);
    frame.set(ipOpts, l3Off + 20);
    put16(frame, l3Off + 10, ip.checksum !== undefined ? check("ipv4.checksum", ip.checksum, 0xffff, 0) : internetChecksum(frame, l3Off, l4Off));
    pseudo = { family: 4, src, dst, protocol: proto };
  } else if (spec.ipv6) {
    const ip = spec.ipv6;
    const src = parseIpv6(ip.src ?? "fd00::1", "ipv6.src"), dst = parseIpv6(ip.dst ?? "fd00::2", "ipv6.dst");
    const tc = check("ipv6.trafficClass", ip.trafficClass, 255, 0);
    const fl = check("ipv6.flowLabel", ip.flowLabel, 0xfffff, 0);
    put32(frame, l3Off, ((6 << 28) | (tc << 20) | fl) >>> 0);
    put16(frame, l3Off + 4, check("ipv6.payloadLength", ip.payloadLength, 0xffff, end - l4Off));
    const nh = check("ipv6.nextHeader", ip.nextHeader, 255, protocol);
    frame[l3Off + 6] = nh;
    frame[l3Off + 7] = check("ipv6.hopLimit", ip.hopLimit, 255, 64);
    frame.set(src, l3Off + 8);
    frame.set(dst, l3Off + 24);
    pseudo = { family: 6, src, dst, protocol: nh };
  }

  // L4
  if (l4 === "tcp") {
    const t = spec.tcp!;
    put16(frame, l4Off, check("tcp.srcPort", t.srcPort, 0xffff, 12345));
    put16(frame, l4Off + 2, check("tcp.dstPort", t.dstPort, 0xffff, 80));
    put32(frame, l4Off + 4, check("tcp.seq", t.seq, 0xffffffff, 1));
    put32(frame, l4Off + 8, check("tcp.ack", t.ack, 0xffffffff, 0));
    frame[l4Off + 12] = (l4Len >> 2) << 4;
    frame[l4Off + 13] = t.flags === undefined ? (payload.length ? TCP_FLAG.ACK | TCP_FLAG.PSH : TCP_FLAG.SYN) : tcpFlagsValue(t.flags);
    put16(frame, l4Off + 14, check("tcp.window", t.window, 0xffff, 65535));
    put16(frame, l4Off + 18, check("tcp.urgent", t.urgent, 0xffff, 0));
    frame.set(tcpOpts, l4Off + 20);
  } else if (l4 === "udp") {
    const u = spec.udp!;
    put16(frame, l4Off, check("udp.srcPort", u.srcPort, 0xffff, 12345));
    put16(frame, l4Off + 2, check("udp.dstPort", u.dstPort, 0xffff, 53));
    put16(frame, l4Off + 4, check("udp.length", u.length, 0xffff, end - l4Off));
  } else if (l4 === "icmp" || l4 === "icmpv6") {
    const c = spec[l4]!;
    frame[l4Off] = check(`${l4}.type`, c.type, 255, l4 === "icmp" ? 8 : 128);
    frame[l4Off + 1] = check(`${l4}.code`, c.code, 255, 0);
    if (c.rest) {
      if (c.rest.length !== 4) fail("BK9503", { field: `${l4}.rest`, value: `${c.rest.length} bytes`, expected: "exactly 4 bytes" });
      frame.set(c.rest, l4Off + 4);
    } else {
      put16(frame, l4Off + 4, check(`${l4}.id`, c.id, 0xffff, 0));
      put16(frame, l4Off + 6, check(`${l4}.seq`, c.seq, 0xffff, 0));
    }
  }
  if (l4) {
    const csumAt = l4Off + L4_CSUM_OFFSET[l4];
    const override = spec[l4]!.checksum;
    let sum: number;
    if (override !== undefined) sum = check(`${l4}.checksum`, override, 0xffff, 0);
    else {
      sum = transportChecksum(frame, l4Off, end, L4_CSUM_OFFSET[l4], l4 === "icmp" ? undefined : pseudo);
      // In UDP a zero checksum means "none"; a computed zero is sent as all ones (RFC 768).
      if (l4 === "udp" && sum === 0) sum = 0xffff;
    }
    put16(frame, csumAt, sum);
  }
  return frame;
}
