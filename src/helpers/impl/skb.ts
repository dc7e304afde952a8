// __sk_buff packet helpers (net/core/filter.c) on the run's packet: copies in and out, incremental
// checksum updates (all arithmetic on the raw bytes as loaded, as the kernel does, so byte order cancels
// out), csum_diff, hash, packet type and VLAN tag handling. Offsets are from skb->data.
import { ERRNO } from "../../maps/runtime/map.js";
import { addr, err, helperFail, ok, s32, type HelperCall, type HelperImpl, type PacketState } from "./env.js";

const add32 = (a: number, b: number): number => { const s = (a + b) >>> 0; return (s + (s < (b >>> 0) ? 1 : 0)) >>> 0; };
const sub32 = (a: number, b: number): number => add32(a, ~b >>> 0);
const fold = (c: number): number => { let s = (c & 0xffff) + (c >>> 16); s = (s & 0xffff) + (s >>> 16); return ~s & 0xffff; };
const add16 = (a: number, b: number): number => { const s = (a + b) & 0xffff; return (s + (s < b ? 1 : 0)) & 0xffff; };

function packet(c: HelperCall): PacketState {
  return c.rt.packet ?? helperFail(c, "the run has no packet");
}
const len = (p: PacketState): number => p.dataEnd - p.data;

export const skb_load_bytes: HelperImpl = (c) => {
  const p = packet(c);
  const off = s32(c.args[1]);
  const n = Number(c.args[3] & 0xffffffffn);
  const to = addr(c.args[2]);
  if (off < 0 || n === 0 || off + n > len(p)) { if (n) c.rt.mem.fill(to, n); return err(ERRNO.EFAULT); }
  c.rt.mem.write(to, c.rt.mem.read(p.data + off, n));
  return ok;
};

/**
 * bpf_skb_load_bytes_relative(skb, offset, to, len, start_header): like skb_load_bytes but from the MAC
 * header (BPF_HDR_START_MAC 0) or the network header (BPF_HDR_START_NET 1, right after the Ethernet header
 * in a test run), whatever skb->data is for the program type. Offset past 0xffff, an unknown start header or
 * a range past the end of the packet: -EFAULT with the destination zeroed (net/core/filter.c).
 */
export const skb_load_bytes_relative: HelperImpl = (c) => {
  const p = packet(c);
  const off = Number(c.args[1] & 0xffffffffn);
  const to = addr(c.args[2]);
  const n = Number(c.args[3] & 0xffffffffn);
  const start = c.args[4] & 0xffffffffn;
  const mac = p.data - (p.macOffset ?? 0);
  const base = start === 0n ? mac : start === 1n ? mac + ETH_HLEN : -1;
  if (off > 0xffff || base < 0 || base + off + n > p.dataEnd) { if (n) c.rt.mem.fill(to, n); return err(ERRNO.EFAULT); }
  c.rt.mem.write(to, c.rt.mem.read(base + off, n));
  return ok;
};

export const skb_store_bytes: HelperImpl = (c) => {
  const p = packet(c);
  const off = Number(c.args[1] & 0xffffffffn);
  const n = Number(c.args[3] & 0xffffffffn);
  const flags = c.args[4];
  if (flags & ~3n) return err(ERRNO.EINVAL); // BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH
  if (off > 0xffff || n > 0xffff || off + n > len(p)) return err(ERRNO.EFAULT);
  c.rt.mem.write(p.data + off, c.rt.mem.read(addr(c.args[2]), n));
  if (flags & 2n) c.rt.setCtxField("hash", 0);
  return ok;
};

/** The 16-bit checksum field: -EFAULT for an odd offset, one past 0xffff or past the end (checked against the kernel). */
function csumPtr(c: HelperCall, p: PacketState): number | undefined {
  const off = Number(c.args[1] & 0xffffffffn);
  return off > 0xffff || off & 1 || off + 2 > len(p) ? undefined : p.data + off;
}

export const l3_csum_replace: HelperImpl = (c) => {
  const p = packet(c);
  const flags = Number(c.args[4] & 0xffffffffn);
  if (flags & ~0xf) return err(ERRNO.EINVAL);
  const ptr = csumPtr(c, p);
  if (ptr === undefined) return err(ERRNO.EFAULT);
  const dv = c.rt.mem.dv;
  const sum = dv.getUint16(ptr, true);
  const from = Number(c.args[2] & 0xffffffffn), to = Number(c.args[3] & 0xffffffffn);
  let out: number;
  switch (flags & 0xf) {
    case 0: if (c.args[2] !== 0n) return err(ERRNO.EINVAL); out = fold(add32(to, ~sum >>> 0)); break; // `to` is a diff: `from` must be 0
    case 2: out = ~add16(add16(~sum & 0xffff, ~from & 0xffff), to & 0xffff) & 0xffff; break;
    case 4: out = fold(add32(sub32(~sum >>> 0, from), to)); break;
    default: return err(ERRNO.EINVAL);
  }
  dv.setUint16(ptr, out, true);
  return ok;
};

const BPF_F_PSEUDO_HDR = 0x10, BPF_F_MARK_MANGLED_0 = 0x20, BPF_F_MARK_ENFORCE = 0x40, BPF_F_IPV6 = 0x80;

export const l4_csum_replace: HelperImpl = (c) => {
  const p = packet(c);
  const flags = Number(c.args[4] & 0xffffffffn);
  if (flags & ~(0xf | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_IPV6)) return err(ERRNO.EINVAL);
  const ptr = csumPtr(c, p);
  if (ptr === undefined) return err(ERRNO.EFAULT);
  const dv = c.rt.mem.dv;
  const sum = dv.getUint16(ptr, true);
  const mmzero = (flags & BPF_F_MARK_MANGLED_0) !== 0;
  if (mmzero && sum === 0) return ok;
  const from = Number(c.args[2] & 0xffffffffn), to = Number(c.args[3] & 0xffffffffn);
  let out: number;
  switch (flags & 0xf) {
    case 0: if (c.args[2] !== 0n) return err(ERRNO.EINVAL); out = fold(add32(to, ~sum >>> 0)); break;
    case 2: out = fold(add32(sub32(~sum >>> 0, from & 0xffff), to & 0xffff)); break;
    case 4: out = fold(add32(sub32(~sum >>> 0, from), to)); break;
    default: return err(ERRNO.EINVAL);
  }
  if (mmzero && out === 0) out = 0xffff; // CSUM_MANGLED_0
  dv.setUint16(ptr, out, true);
  return ok;
};

/** csum_partial: the one's complement sum (end-around carry) of `len` bytes read as little-endian 32-bit words, the tail zero-padded, plus `sum`. */
function csumPartial(c: HelperCall, at: number, len: number, sum: number): number {
  const u8 = c.rt.mem.u8;
  for (let i = 0; i < len; i += 4) {
    let w = 0;
    for (let b = 0; b < 4 && i + b < len; b++) w |= u8[at + i + b]! << (8 * b);
    sum = add32(sum, w >>> 0);
  }
  return sum;
}
/** csum_from32to16: fold a 32-bit partial sum to 16 bits (not complemented). */
const from32to16 = (sum: number): number => ((sum + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0) >>> 16;

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed) as kernel 6.18 computes it (checked against the kernel,
 * see test/runtime/kernel-diff-packet.test.ts): any sizes (no multiple of 4 needed),
 * csum_sub(csum_partial(to, seed), csum_partial(from, 0)) folded to 16 bits; only `to`: its partial sum
 * with the seed; only `from`: ~csum_partial(from, ~seed); neither: the seed itself.
 */
export const csum_diff: HelperImpl = (c) => {
  const fromSize = Number(c.args[1] & 0xffffffffn), toSize = Number(c.args[3] & 0xffffffffn);
  const seed = Number(c.args[4] & 0xffffffffn);
  const from = addr(c.args[0]), to = addr(c.args[2]);
  if (fromSize && toSize) return BigInt(from32to16(sub32(csumPartial(c, to, toSize, seed), csumPartial(c, from, fromSize, 0))));
  if (toSize) return BigInt(from32to16(csumPartial(c, to, toSize, seed)));
  if (fromSize) return BigInt(from32to16(~csumPartial(c, from, fromSize, ~seed >>> 0) >>> 0));
  return BigInt(seed);
};

/** Test-run skbs are CHECKSUM_NONE: the kernel answers -ENOTSUPP. */
export const csum_update: HelperImpl = () => err(ERRNO.ENOTSUPP);
/**
 * bpf_csum_level(skb, level): QUERY (0) answers the level while the skb is CHECKSUM_UNNECESSARY, else -EACCES;
 * INC (1) turns CHECKSUM_NONE into UNNECESSARY level 0 or raises the level up to 3; DEC (2) lowers it or
 * goes back to NONE; RESET (3) goes back to NONE (the skb_*_checksum_unnecessary rules, checked against the kernel).
 */
export const csum_level: HelperImpl = (c) => {
  const p = packet(c);
  switch (c.args[1]) {
    case 0n: return p.csumLevel === undefined ? err(ERRNO.EACCES) : BigInt(p.csumLevel);
    case 1n: p.csumLevel = p.csumLevel === undefined ? 0 : Math.min(3, p.csumLevel + 1); return ok;
    case 2n: if (p.csumLevel !== undefined) p.csumLevel = p.csumLevel === 0 ? undefined : p.csumLevel - 1; return ok;
    case 3n: delete p.csumLevel; return ok;
    default: return err(ERRNO.EINVAL);
  }
};

/** A deterministic flow hash (FNV-1a over the packet) stands in for the kernel's seeded jhash. */
export const get_hash_recalc: HelperImpl = (c) => {
  const p = packet(c);
  let h = 0x811c9dc5;
  const u8 = c.rt.mem.u8;
  for (let i = p.data; i < p.dataEnd; i++) h = Math.imul(h ^ u8[i]!, 0x01000193) >>> 0;
  if (h === 0) h = 1;
  c.rt.setCtxField("hash", h);
  return BigInt(h);
};
export const set_hash: HelperImpl = (c) => { c.rt.setCtxField("hash", Number(c.args[1] & 0xffffffffn)); return ok; };
export const set_hash_invalid: HelperImpl = (c) => { c.rt.setCtxField("hash", 0); return ok; };
/** The test-run skb belongs to no cgroup: "not under". */
export const skb_under_cgroup: HelperImpl = () => 0n;
export const get_cgroup_classid: HelperImpl = () => 0n;
export const get_route_realm: HelperImpl = () => 0n;

export const skb_change_type: HelperImpl = (c) => {
  const t = Number(c.args[1] & 0xffffffffn);
  const cur = c.rt.ctxField("pkt_type") ?? 0;
  if (cur > 3 || t > 3) return err(ERRNO.EINVAL); // PACKET_OTHERHOST is the last type a program may set
  c.rt.setCtxField("pkt_type", t);
  return ok;
};

/**
 * bpf_skb_vlan_push(skb, proto, tci): the tag goes into the skb's accelerated-tag fields, not the bytes; a
 * protocol other than 802.1Q / 802.1AD counts as 802.1Q, and a tag already there moves into the packet
 * after the MAC addresses (skb->protocol becomes its TPID), as skb_vlan_push does (checked against the kernel).
 */
export const skb_vlan_push: HelperImpl = (c) => {
  let proto = Number(c.args[1] & 0xffffn);
  if (proto !== 0x0081 && proto !== 0xa888) proto = 0x0081; // htons(ETH_P_8021Q / ETH_P_8021AD)
  if (c.rt.ctxField("vlan_present")) {
    const p = packet(c);
    if (p.data - 4 < p.frame) return err(ERRNO.ENOMEM);
    const old = c.rt.ctxField("vlan_proto") ?? 0, tci = c.rt.ctxField("vlan_tci") ?? 0;
    const u8 = c.rt.mem.u8, mac = p.data - (p.macOffset ?? 0);
    u8.copyWithin(mac - 4, mac, mac + 12);
    u8.set([old & 0xff, old >>> 8, (tci >>> 8) & 0xff, tci & 0xff], mac + 8);
    p.data -= 4;
    if (p.meta > p.data) p.meta = p.data;
    c.rt.setCtxField("protocol", old);
    c.rt.packetChanged();
  }
  c.rt.setCtxField("vlan_present", 1);
  c.rt.setCtxField("vlan_tci", Number(c.args[2] & 0xffffn));
  c.rt.setCtxField("vlan_proto", proto);
  return ok;
};
const isVlan = (protoBe: number): boolean => protoBe === 0x0081 || protoBe === 0xa888;

/**
 * __skb_vlan_pop: take the in-band tag after the MAC addresses out of the packet; skb->protocol becomes the
 * encapsulated protocol (vlan_set_encap_proto: below 0x600 it is 802.3 when the next two bytes are 0xffff,
 * else 802.2). Returns the TCI, or a negative errno when the packet is shorter than a tagged header.
 */
function popInband(c: HelperCall, p: PacketState): number {
  if (len(p) < 18) return -ERRNO.ENOMEM; // skb_ensure_writable(skb, VLAN_ETH_HLEN)
  const dv = c.rt.mem.dv;
  const tci = dv.getUint16(p.data + 14, false);
  const inner = dv.getUint16(p.data + 16, false);
  const raw = len(p) >= 20 ? dv.getUint16(p.data + 18, false) : 0;
  c.rt.mem.u8.copyWithin(p.data + 4, p.data, p.data + 12);
  p.data += 4;
  const proto = inner >= 0x600 ? inner : raw === 0xffff ? 0x0001 : 0x0004;
  c.rt.setCtxField("protocol", ((proto & 0xff) << 8) | (proto >>> 8)); // __be16 as the program reads it
  c.rt.packetChanged();
  return tci;
}

/**
 * bpf_skb_vlan_pop: clear the accelerated tag, or else pop an in-band one when skb->protocol is a VLAN
 * type; then, if skb->protocol is (still) a VLAN type, the next in-band tag becomes the accelerated one
 * (skb_vlan_pop, checked against the kernel).
 */
export const skb_vlan_pop: HelperImpl = (c) => {
  const p = packet(c);
  if (c.rt.ctxField("vlan_present")) {
    c.rt.setCtxField("vlan_present", 0);
    c.rt.setCtxField("vlan_tci", 0);
    c.rt.setCtxField("vlan_proto", 0);
  } else {
    if (!isVlan(c.rt.ctxField("protocol") ?? 0)) return ok;
    const r = popInband(c, p);
    if (r < 0) return err(-r);
  }
  const proto = c.rt.ctxField("protocol") ?? 0;
  if (!isVlan(proto)) return ok;
  const tci = popInband(c, p);
  if (tci < 0) return err(-tci);
  c.rt.setCtxField("vlan_present", 1);
  c.rt.setCtxField("vlan_tci", tci);
  c.rt.setCtxField("vlan_proto", proto);
  return ok;
};

const ETH_HLEN = 14;
const ETH_P_IP_BE = 0x0008, ETH_P_IPV6_BE = 0xdd86; // htons() values, as programs pass and __sk_buff shows them

/** Insert `n` zero bytes (n > 0) or remove -n bytes (n < 0) at packet offset `off`; false when they do not fit. */
function resize(c: HelperCall, p: PacketState, off: number, n: number): boolean {
  const u8 = c.rt.mem.u8;
  if (n > 0) {
    if (p.dataEnd + n > p.maxEnd) return false;
    u8.copyWithin(p.data + off + n, p.data + off, p.dataEnd);
    u8.fill(0, p.data + off, p.data + off + n);
  } else if (n < 0) {
    if (off - n > len(p)) return false;
    u8.copyWithin(p.data + off, p.data + off - n, p.dataEnd);
  }
  p.dataEnd += n;
  c.rt.packetChanged();
  return true;
}

/** bpf_skb_change_proto(skb, proto, flags): IPv4 <-> IPv6 grows / shrinks the L3 header room by 20 bytes after L2. */
export const skb_change_proto: HelperImpl = (c) => {
  const p = packet(c);
  const to = Number(c.args[1] & 0xffffn);
  if (c.args[2] !== 0n) return err(ERRNO.EINVAL);
  const from = c.rt.ctxField("protocol") ?? 0;
  let diff: number;
  if (from === ETH_P_IP_BE && to === ETH_P_IPV6_BE) diff = 20;
  else if (from === ETH_P_IPV6_BE && to === ETH_P_IP_BE) diff = -20;
  else return err(ERRNO.ENOTSUPP);
  if (!resize(c, p, ETH_HLEN, diff)) return err(ERRNO.ENOMEM);
  c.rt.setCtxField("protocol", to);
  c.rt.setCtxField("hash", 0); // bpf_skb_proto_4_to_6 / 6_to_4 end with skb_clear_hash (checked against the kernel)
  return ok;
};

const BPF_ADJ_ROOM_NET = 0, BPF_ADJ_ROOM_MAC = 1;
const F_FIXED_GSO = 1n, F_ENCAP_L3_IPV4 = 2n, F_ENCAP_L3_IPV6 = 4n, F_ENCAP_L4_GRE = 8n, F_ENCAP_L4_UDP = 16n;
const F_NO_CSUM_RESET = 32n, F_ENCAP_L2_ETH = 64n, F_DECAP_L3_IPV4 = 128n, F_DECAP_L3_IPV6 = 256n;
const F_ENCAP_L3 = F_ENCAP_L3_IPV4 | F_ENCAP_L3_IPV6, F_DECAP_L3 = F_DECAP_L3_IPV4 | F_DECAP_L3_IPV6;
// Every flag bpf_skb_adjust_room knows, plus the inner L2 length in bits 56-63 (BPF_ADJ_ROOM_ENCAP_L2).
const ADJ_ROOM_FLAGS = 0x1ffn | (0xffn << 56n);
const EALREADY = 114;

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags): room after the MAC header (BPF_ADJ_ROOM_MAC) or after
 * the fixed-size network header (BPF_ADJ_ROOM_NET: 20 bytes for IPv4, 40 for IPv6), zero-filled on growth.
 * The checks and their order are net/core/filter.c's (checked against the kernel): unknown flags, the
 * 0xfff limit, the protocol, the mode, decap flags only when shrinking, the length left; shrinking takes
 * only FIXED_GSO / DECAP / NO_CSUM_RESET; growing with encap flags checks their combinations and refuses a
 * second encapsulation (-EALREADY), and both may switch skb->protocol to the new outer L3 header. Without
 * NO_CSUM_RESET a change resets CHECKSUM_UNNECESSARY. GSO metadata is not modelled (test-run skbs have none).
 */
export const skb_adjust_room: HelperImpl = (c) => {
  const p = packet(c);
  const diff = s32(c.args[1]);
  const abs = Math.abs(diff);
  const shrink = diff < 0;
  const mode = Number(c.args[2] & 0xffffffffn);
  const flags = c.args[3];
  if (flags & ~ADJ_ROOM_FLAGS) return err(ERRNO.EINVAL);
  if (abs > 0xfff) return err(ERRNO.EFAULT);
  const proto = c.rt.ctxField("protocol") ?? 0;
  if (proto !== ETH_P_IP_BE && proto !== ETH_P_IPV6_BE) return err(ERRNO.ENOTSUPP);
  const netLen = proto === ETH_P_IP_BE ? 20 : 40;
  if (mode !== BPF_ADJ_ROOM_NET && mode !== BPF_ADJ_ROOM_MAC) return err(ERRNO.ENOTSUPP);
  const off = ETH_HLEN + (mode === BPF_ADJ_ROOM_NET ? netLen : 0);
  let lenMin = netLen;
  if (flags & F_DECAP_L3) {
    if (!shrink) return err(ERRNO.EINVAL);
    if ((flags & F_DECAP_L3) === F_DECAP_L3) return err(ERRNO.EINVAL);
    lenMin = flags & F_DECAP_L3_IPV4 ? 20 : 40;
  }
  const lenCur = len(p) - ETH_HLEN;
  if (shrink && (abs >= lenCur || lenCur - abs < lenMin)) return err(ERRNO.ENOTSUPP);
  let newProto = proto;
  if (shrink) {
    if (flags & ~(F_FIXED_GSO | F_DECAP_L3 | F_NO_CSUM_RESET)) return err(ERRNO.EINVAL);
    if (off + abs > len(p)) return err(ERRNO.ENOMEM); // bpf_skb_net_hdr_pop: pskb_may_pull
    if (flags & F_DECAP_L3_IPV4) newProto = ETH_P_IP_BE;
    else if (flags & F_DECAP_L3_IPV6) newProto = ETH_P_IPV6_BE;
  } else if (flags & F_ENCAP_L3) {
    const innerMacLen = Number(flags >> 56n);
    if ((flags & F_ENCAP_L3) === F_ENCAP_L3) return err(ERRNO.EINVAL);
    if (flags & F_ENCAP_L4_GRE && flags & F_ENCAP_L4_UDP) return err(ERRNO.EINVAL);
    if (flags & F_ENCAP_L2_ETH && innerMacLen !== ETH_HLEN) return err(ERRNO.EINVAL);
    if (p.encapsulated) return err(EALREADY);
    if (innerMacLen > abs) return err(ERRNO.EINVAL);
    if (proto === ETH_P_IP_BE && flags & F_ENCAP_L3_IPV6) newProto = ETH_P_IPV6_BE;
    else if (proto === ETH_P_IPV6_BE && flags & F_ENCAP_L3_IPV4) newProto = ETH_P_IP_BE;
  }
  if (!resize(c, p, off, diff)) return err(ERRNO.ENOTSUPP);
  if (!shrink && flags & F_ENCAP_L3) p.encapsulated = true;
  c.rt.setCtxField("protocol", newProto);
  if (!(flags & F_NO_CSUM_RESET)) delete p.csumLevel;
  return ok;
};
