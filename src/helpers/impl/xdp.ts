// XDP packet helpers (net/core/filter.c): moving the start of data (adjust_head), its end (adjust_tail) and
// the metadata area (adjust_meta) inside the frame, with the kernel's limits, plus copies in and out.
import { ERRNO } from "../../maps/runtime/map.js";
import { addr, err, helperFail, ok, s32, type HelperCall, type HelperImpl } from "./env.js";
import type { PacketState } from "./env.js";

const ETH_HLEN = 14;

function packet(c: HelperCall): PacketState {
  return c.rt.packet ?? helperFail(c, "the run has no packet");
}

export const xdp_adjust_head: HelperImpl = (c) => {
  const p = packet(c);
  const off = s32(c.args[1]);
  const metalen = p.data - p.meta;
  const data = p.data + off;
  if (data < p.minData + metalen || data > p.dataEnd - ETH_HLEN) return err(ERRNO.EINVAL);
  if (metalen) c.rt.mem.u8.copyWithin(p.meta + off, p.meta, p.data);
  p.meta += off;
  p.data = data;
  c.rt.packetChanged();
  return ok;
};

export const xdp_adjust_tail: HelperImpl = (c) => {
  const p = packet(c);
  const off = s32(c.args[1]);
  const end = p.dataEnd + off;
  if (end > p.maxEnd || end < p.data + ETH_HLEN) return err(ERRNO.EINVAL);
  if (off > 0) c.rt.mem.fill(p.dataEnd, off);
  p.dataEnd = end;
  c.rt.packetChanged();
  return ok;
};

export const xdp_adjust_meta: HelperImpl = (c) => {
  const p = packet(c);
  const off = s32(c.args[1]);
  const meta = p.meta + off;
  const metalen = p.data - meta;
  if (meta < p.minData || meta > p.data) return err(ERRNO.EINVAL);
  // xdp_metalen_invalid: 4-byte aligned and at most what skb_shared_info.meta_len (a u8) can hold
  // (older kernels capped it at 32; 6.18 accepts 44, checked against the kernel).
  if (metalen > 255 || metalen % 4 !== 0) return err(ERRNO.EACCES);
  p.meta = meta;
  c.rt.packetChanged();
  return ok;
};

export const xdp_get_buff_len: HelperImpl = (c) => BigInt(packet(c).dataEnd - packet(c).data);

const copy = (store: boolean): HelperImpl => (c) => {
  const p = packet(c);
  const off = Number(c.args[1] & 0xffffffffn);
  const len = Number(c.args[3] & 0xffffffffn);
  if (off + len > p.dataEnd - p.data || len === 0) return err(ERRNO.EINVAL);
  const buf = addr(c.args[2]);
  if (store) c.rt.mem.write(p.data + off, c.rt.mem.read(buf, len));
  else c.rt.mem.write(buf, c.rt.mem.read(p.data + off, len));
  return ok;
};
export const xdp_load_bytes = copy(false);
export const xdp_store_bytes = copy(true);
