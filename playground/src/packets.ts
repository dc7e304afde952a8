// Packets for the Run tab: the builder's fields (plain strings, so the form, the URL and the tests share
// one shape), hex input and pcap files, all ending as bytes through src/packet.
import { BpfkitError, packet } from "../../src/index.js";

type PacketSpec = packet.PacketSpec;

/** The packet builder's form, field by field, as the user typed it. */
export interface PacketFields {
  ethSrc: string;
  ethDst: string;
  /** 802.1Q VLAN id, empty for no tag. */
  vlan: string;
  vlanPcp: string;
  l3: "ipv4" | "ipv6" | "none";
  ipSrc: string;
  ipDst: string;
  ttl: string;
  l4: "udp" | "tcp" | "icmp" | "none";
  srcPort: string;
  dstPort: string;
  tcpFlags: string;
  icmpType: string;
  icmpCode: string;
  payload: string;
}

/** One packet of the Run tab's list. */
export type PacketInput =
  | { kind: "build"; label: string; fields: PacketFields }
  | { kind: "hex"; label: string; hex: string };

export const DEFAULT_FIELDS: PacketFields = {
  ethSrc: "02:00:00:00:00:01", ethDst: "02:00:00:00:00:02", vlan: "", vlanPcp: "0",
  l3: "ipv4", ipSrc: "10.0.0.1", ipDst: "10.0.0.2", ttl: "64",
  l4: "udp", srcPort: "40000", dstPort: "53", tcpFlags: "SYN", icmpType: "8", icmpCode: "0", payload: "hello",
};

export class PacketError extends Error {}

const num = (field: string, text: string, max: number): number => {
  const t = text.trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketError(`${field}: expected a number 0-${max}, got '${text}'`);
  return v;
};

/** The builder's fields as a src/packet spec (throws PacketError naming the field). */
export function specOf(f: PacketFields): PacketSpec {
  const spec: PacketSpec = { eth: { src: f.ethSrc.trim(), dst: f.ethDst.trim() } };
  if (f.vlan.trim()) spec.vlan = { id: num("VLAN id", f.vlan, 4095), pcp: num("VLAN priority", f.vlanPcp || "0", 7) };
  const v6 = f.l3 === "ipv6";
  if (f.l3 === "ipv4") spec.ipv4 = { src: f.ipSrc.trim(), dst: f.ipDst.trim(), ttl: num("TTL", f.ttl, 255) };
  if (v6) spec.ipv6 = { src: f.ipSrc.trim(), dst: f.ipDst.trim(), hopLimit: num("hop limit", f.ttl, 255) };
  if (f.l3 !== "none") {
    if (f.l4 === "udp") spec.udp = { srcPort: num("source port", f.srcPort, 65535), dstPort: num("destination port", f.dstPort, 65535) };
    if (f.l4 === "tcp") spec.tcp = { srcPort: num("source port", f.srcPort, 65535), dstPort: num("destination port", f.dstPort, 65535), flags: packet.tcpFlagsValue(f.tcpFlags.trim() || "SYN", "TCP flags") };
    const icmp = { type: num("ICMP type", f.icmpType, 255), code: num("ICMP code", f.icmpCode, 255) };
    if (f.l4 === "icmp") { if (v6) spec.icmpv6 = icmp; else spec.icmp = icmp; }
  }
  if (f.payload) spec.payload = f.payload;
  spec.minLength = 60;
  return spec;
}

/** The builder's fields for a spec (lessons and examples give specs). */
export function fieldsOf(spec: PacketSpec, base: PacketFields = DEFAULT_FIELDS): PacketFields {
  const s = (v: unknown, d: string): string => (v === undefined ? d : typeof v === "string" ? v : Array.isArray(v) ? String(v.join(".")) : String(v));
  const eth = spec.eth || {};
  const f: PacketFields = { ...base, ethSrc: s(eth.src, base.ethSrc), ethDst: s(eth.dst, base.ethDst) };
  const vlan = Array.isArray(spec.vlan) ? spec.vlan[0] : spec.vlan;
  f.vlan = vlan ? String(vlan.id) : "";
  f.vlanPcp = vlan ? String(vlan.pcp ?? 0) : "0";
  if (spec.ipv4) { f.l3 = "ipv4"; f.ipSrc = s(spec.ipv4.src, "10.0.0.1"); f.ipDst = s(spec.ipv4.dst, "10.0.0.2"); f.ttl = String(spec.ipv4.ttl ?? 64); }
  else if (spec.ipv6) { f.l3 = "ipv6"; f.ipSrc = s(spec.ipv6.src, "fd00::1"); f.ipDst = s(spec.ipv6.dst, "fd00::2"); f.ttl = String(spec.ipv6.hopLimit ?? 64); }
  else f.l3 = "none";
  const l4 = spec.tcp ?? spec.udp;
  if (spec.udp) f.l4 = "udp";
  else if (spec.tcp) { f.l4 = "tcp"; f.tcpFlags = typeof spec.tcp.flags === "string" ? spec.tcp.flags : "SYN"; }
  else if (spec.icmp || spec.icmpv6) { f.l4 = "icmp"; const i = spec.icmp ?? spec.icmpv6!; f.icmpType = String(i.type ?? (spec.icmp ? 8 : 128)); f.icmpCode = String(i.code ?? 0); }
  else f.l4 = "none";
  if (l4) { f.srcPort = String(l4.srcPort ?? 12345); f.dstPort = String(l4.dstPort ?? (spec.udp ? 53 : 80)); }
  f.payload = typeof spec.payload === "string" ? spec.payload : "";
  return f;
}

/** Hex text (spaces, newlines, `0x`, `:` and `#` comments allowed) -> bytes. */
export function hexToBytes(text: string): Uint8Array {
  const clean = text.split("\n").map((l) => l.replace(/#.*$/, "")).join(" ").replace(/0x/gi, "").replace(/[\s:,]/g, "");
  if (!/^[0-9a-f]*$/i.test(clean)) throw new PacketError(`hex: unexpected character '${/[^0-9a-f]/i.exec(clean)![0]}'`);
  if (clean.length % 2) throw new PacketError("hex: an odd number of digits");
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export const bytesToHex = (b: Uint8Array, sep = ""): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(sep);

/** Hex as the Run tab shows it: bytes separated by spaces, 16 to a line. */
export const hexLines = (hex: string): string => (hex.replace(/\s+/g, "").match(/.{1,32}/g) ?? []).map((l) => l.match(/../g)!.join(" ")).join("\n");

/** The bytes of one packet of the list. */
export function packetBytes(p: PacketInput): Uint8Array {
  if (p.kind === "hex") return hexToBytes(p.hex);
  try {
    return packet.buildPacket(specOf(p.fields));
  } catch (err) {
    if (err instanceof BpfkitError) throw new PacketError(err.diagnostics[0]?.message ?? err.message);
    throw err;
  }
}

/** A one-line summary of a frame (what src/packet's parser sees). */
export function describePacket(bytes: Uint8Array): string {
  try {
    const p = packet.parsePacket(bytes);
    const parts: string[] = [];
    if (p.vlans?.length) parts.push(`VLAN ${p.vlans.map((v) => v.id).join("/")}`);
    const ip = p.ipv4 ?? p.ipv6;
    if (ip) parts.push(`${p.ipv4 ? "IPv4" : "IPv6"} ${ip.src} → ${ip.dst}`);
    if (p.tcp) parts.push(`TCP ${p.tcp.srcPort} → ${p.tcp.dstPort}`);
    else if (p.udp) parts.push(`UDP ${p.udp.srcPort} → ${p.udp.dstPort}`);
    else if (p.icmp) parts.push(`ICMP type ${p.icmp.type}`);
    if (!parts.length && p.eth) parts.push(`Ethernet type 0x${p.eth.type.toString(16).padStart(4, "0")}`);
    return `${parts.join(", ")} (${bytes.length} bytes)`;
  } catch {
    return `${bytes.length} bytes`;
  }
}

/** The packets of a pcap or pcapng file, as hex entries of the list (Ethernet captures only). */
export function packetsOfCapture(name: string, bytes: Uint8Array, limit = 64): PacketInput[] {
  let cap: packet.Capture;
  try {
    cap = packet.readCapture(bytes);
  } catch (err) {
    if (err instanceof BpfkitError) throw new PacketError(`${name}: ${err.diagnostics[0]?.message ?? err.message}`);
    throw err;
  }
  if (cap.linkType !== packet.LINKTYPE.ETHERNET) throw new PacketError(`${name}: link type ${cap.linkType} is not Ethernet; XDP and tc programs see Ethernet frames`);
  return cap.packets.slice(0, limit).map((p, i) => ({ kind: "hex" as const, label: `${name} #${i + 1}`, hex: bytesToHex(p.data) }));
}
