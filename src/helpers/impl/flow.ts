// Control-flow helpers: tail calls through a prog_array, and redirects (recorded as the run's outcome).
import { ERRNO, u32Bytes } from "../../maps/runtime/map.js";
import { ProgArrayMap } from "../../maps/runtime/prog-array.js";
import { RedirectTargetMap } from "../../maps/runtime/redirect-target.js";
import { err, helperFail, type HelperImpl } from "./env.js";

const XDP_ABORTED = 0n, XDP_REDIRECT = 4n;
const TC_ACT_SHOT = 2n, TC_ACT_REDIRECT = 7n;
const BPF_F_INGRESS = 1n;
const BPF_F_BROADCAST = 8n, BPF_F_EXCLUDE_INGRESS = 16n;

/** bpf_tail_call(ctx, prog_array, index): on success execution continues in the target and never returns. */
export const tail_call: HelperImpl = (c) => {
  const m = c.rt.map(c.args[1], c.name);
  if (!(m instanceof ProgArrayMap)) return helperFail(c, `map '${m.name}' is a ${m.spec.type}, not a prog_array`);
  const index = Number(c.args[2] & 0xffffffffn);
  return c.rt.tailCall(m, index) ? 0n : err(ERRNO.ENOENT);
};

/** bpf_redirect(ifindex, flags): XDP_REDIRECT / TC_ACT_REDIRECT, recorded; bad flags abort / shoot. */
export const redirect: HelperImpl = (c) => {
  const xdp = c.rt.progTypeName === "xdp";
  const flags = c.args[1];
  if (xdp ? flags !== 0n : (flags & ~BPF_F_INGRESS) !== 0n) return xdp ? XDP_ABORTED : TC_ACT_SHOT;
  c.rt.capture.redirect = { helper: "redirect", ifindex: Number(c.args[0] & 0xffffffffn), flags: Number(flags) };
  return xdp ? XDP_REDIRECT : TC_ACT_REDIRECT;
};

/** bpf_redirect_map(map, key, flags): XDP_REDIRECT when the key has a target, else the action in flags' low bits. */
export const redirect_map: HelperImpl = (c) => {
  const m = c.rt.map(c.args[0], c.name);
  if (!(m instanceof RedirectTargetMap)) return helperFail(c, `map '${m.name}' is a ${m.spec.type}, not a devmap, devmap_hash, cpumap or xskmap`);
  const flags = c.args[2];
  if (flags > (3n | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) return XDP_ABORTED;
  const key = Number(c.args[1] & 0xffffffffn);
  const target = m.target(u32Bytes(key).subarray(0, Math.max(m.spec.keySize, 4)));
  if (!target && !(flags & BPF_F_BROADCAST)) return flags & 3n;
  const t = target ? new DataView(target.buffer, target.byteOffset, target.byteLength).getUint32(0, true) : undefined;
  c.rt.capture.redirect = { helper: "redirect_map", map: m.name, key, flags: Number(flags), ...(t !== undefined ? { target: t } : {}) };
  return XDP_REDIRECT;
};
