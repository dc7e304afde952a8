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

function csumPtr(c: HelperCall, p: PacketState): number | undefined {
  const off = Number(c.args[1] & 0xffffffffn);
  return off + 2 > len(p) ? undefined : p.data + off;
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
    case 0: out = fold(add32(to, ~sum >>> 0)); break;
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
    case 0: out = fold(add32(to, ~sum >>> 0)); break;
    case 2: out = fold(add32(sub32(~sum >>> 0, from & 0xffff), to & 0xffff)); break;
    case 4: out = fold(add32(sub32(~sum >>> 0, from), to)); break;
    default: return err(ERRNO.EINVAL);
  }
  if (mmzero && out === 0) out = 0xffff; // CSUM_MANGLED_0
  dv.setUint16(ptr, out, true);
  return ok;
};

/** bpf_csum_diff(from, from_size, to, to_size, seed): one's complement sum of ~from words, to words and seed. */
export const csum_diff: HelperImpl = (c) => {
  const fromSize = Number(c.args[1] & 0xffffffffn), toSize = Number(c.args[3] & 0xffffffffn);
  if (fromSize % 4 || toSize % 4 || fromSize + toSize > 512 * 2) return err(ERRNO.EINVAL);
  const dv = c.rt.mem.dv;
  let sum = Number(c.args[4] & 0xffffffffn);
  for (let i = 0; i < fromSize; i += 4) sum = add32(sum, ~dv.getUint32(addr(c.args[0]) + i, true) >>> 0);
  for (let i = 0; i < toSize; i += 4) sum = add32(sum, dv.getUint32(addr(c.args[2]) + i, true));
  // csum_partial on x86-64 (kernel 6.18) hands back the sum folded to 16 bits, not complemented
  // (measured with BPF_PROG_TEST_RUN; see test/runtime/kernel-helpers.test.ts).
  let s16 = (sum & 0xffff) + (sum >>> 16);
  s16 = (s16 & 0xffff) + (s16 >>> 16);
  return BigInt(s16);
};

/** Test-run skbs are CHECKSUM_NONE: the kernel answers -ENOTSUPP. */
export const csum_update: HelperImpl = () => err(ERRNO.ENOTSUPP);
export const csum_level: HelperImpl = (c) => (c.args[1] === 3n ? 0n : c.args[1] <= 2n ? 0n : err(ERRNO.EINVAL));

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

/** bpf_skb_vlan_push(skb, proto, tci): the tag goes into the skb's accelerated-tag fields, not the bytes. */
export const skb_vlan_push: HelperImpl = (c) => {
  const proto = Number(c.args[1] & 0xffffn);
  if (proto !== 0x0081 && proto !== 0xa888) return err(ERRNO.EINVAL); // htons(ETH_P_8021Q / ETH_P_8021AD)
  if (c.rt.ctxField("vlan_present")) helperFail(c, "pushing a second VLAN tag (moving the first into the packet) is not supported by the runtime");
  c.rt.setCtxField("vlan_present", 1);
  c.rt.setCtxField("vlan_tci", Number(c.args[2] & 0xffffn));
  c.rt.setCtxField("vlan_proto", proto);
  return ok;
};
export const skb_vlan_pop: HelperImpl = (c) => {
  if (c.rt.ctxField("vlan_present")) {
    c.rt.setCtxField("vlan_present", 0);
    c.rt.setCtxField("vlan_tci", 0);
    c.rt.setCtxField("vlan_proto", 0);
    return ok;
  }
  // An in-band tag: remove the 4 bytes after the MAC addresses.
  const p = packet(c);
  const dv = c.rt.mem.dv;
  if (len(p) < 18) return ok;
  const tpid = dv.getUint16(p.data + 12, false);
  if (tpid !== 0x8100 && tpid !== 0x88a8) return ok;
  c.rt.mem.u8.copyWithin(p.data + 4, p.data, p.data + 12);
  p.data += 4;
  c.rt.setCtxField("protocol", dv.getUint16(p.data + 12, true));
  c.rt.packetChanged();
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
  return ok;
};

const BPF_ADJ_ROOM_NET = 0, BPF_ADJ_ROOM_MAC = 1;
// BPF_F_ADJ_ROOM_FIXED_GSO | ENCAP_L3_IPV4 | ENCAP_L3_IPV6 | ENCAP_L4_GRE | ENCAP_L4_UDP | NO_CSUM_RESET | ENCAP_L2_ETH | DECAP_L3_IPV4 | DECAP_L3_IPV6, plus the L2 length in bits 56-63
const ADJ_ROOM_FLAGS = 0x1ffn | (0xffn << 56n);

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags): room after the MAC header (BPF_ADJ_ROOM_MAC) or after
 * the fixed-size network header (BPF_ADJ_ROOM_NET: 20 bytes for IPv4, 40 for IPv6), zero-filled on growth.
 * The encapsulation flags only change GSO metadata in the kernel; they are accepted and have no effect here.
 */
export const skb_adjust_room: HelperImpl = (c) => {
  const p = packet(c);
  const diff = s32(c.args[1]);
  const mode = Number(c.args[2] & 0xffffffffn);
  if (c.args[3] & ~ADJ_ROOM_FLAGS) return err(ERRNO.EINVAL);
  const proto = c.rt.ctxField("protocol") ?? 0;
  if (proto !== ETH_P_IP_BE && proto !== ETH_P_IPV6_BE) return err(ERRNO.ENOTSUPP);
  if (mode !== BPF_ADJ_ROOM_NET && mode !== BPF_ADJ_ROOM_MAC) return err(ERRNO.ENOTSUPP);
  if (Math.abs(diff) > 0xfff) return err(ERRNO.EFAULT);
  const netLen = proto === ETH_P_IP_BE ? 20 : 40;
  const off = ETH_HLEN + (mode === BPF_ADJ_ROOM_NET ? netLen : 0);
  if (diff < 0 && len(p) + diff < ETH_HLEN + netLen) return err(ERRNO.ENOTSUPP);
  return resize(c, p, off, diff) ? ok : err(ERRNO.ENOTSUPP);
};
