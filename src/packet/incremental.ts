// Incremental checksum update (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')) and the bpf_csum_diff
// building block. Pure functions on numbers and byte arrays: the runtime's bpf_l3_csum_replace,
// bpf_l4_csum_replace and bpf_csum_diff can be written on top of them, and tests compare them to
// full recomputation.
import { fold, onesSum } from "./checksum.js";

/** New checksum after a 16-bit word of the covered data changes from `oldWord` to `newWord`. */
export function csumReplace16(checksum: number, oldWord: number, newWord: number): number {
  return ~fold((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}

/** New checksum after a 32-bit value (two adjacent aligned words, e.g. an IPv4 address) changes. */
export function csumReplace32(checksum: number, oldValue: number, newValue: number): number {
  const o = oldValue >>> 0;
  const n = newValue >>> 0;
  const s = (~checksum & 0xffff) + (~(o >>> 16) & 0xffff) + (~o & 0xffff) + (n >>> 16) + (n & 0xffff);
  return ~fold(s) & 0xffff;
}

/** New checksum after aligned bytes change from `oldBytes` to `newBytes` (same length, even offset). */
export function csumReplaceBytes(checksum: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  if (oldBytes.length !== newBytes.length) throw new RangeError("csumReplaceBytes: lengths differ");
  const s = (~checksum & 0xffff) + (~onesSum(oldBytes) & 0xffff) + onesSum(newBytes);
  return ~fold(s) & 0xffff;
}

/** Add a ones'-complement sum delta (as bpf_csum_diff returns) to a stored checksum. */
export function csumAddDelta(checksum: number, delta: number): number {
  return ~fold((~checksum & 0xffff) + fold(delta >>> 0)) & 0xffff;
}

/**
 * The checksum delta of replacing `from` by `to` (what bpf_csum_diff computes), seeded by `seed`, as a
 * folded 16-bit ones'-complement sum of big-endian words. The kernel returns an unfolded 32-bit sum of
 * native-order words instead; folding it and byte-swapping on little-endian hosts gives this value, so a
 * runtime helper built on this must convert at that boundary.
 */
export function csumDiff(from: Uint8Array, to: Uint8Array, seed = 0): number {
  const fromSum = onesSum(from);
  // ~sum(from) is the ones'-complement negation; an empty `from` contributes nothing.
  const neg = from.length ? (~fromSum & 0xffff) : 0;
  return fold(fold(seed >>> 0) + neg + onesSum(to));
}
