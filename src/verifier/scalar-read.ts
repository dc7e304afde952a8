// Reads of a register's scalar domain by value, for the kfunc, dynptr, iterator, kptr and BTF-pointer
// code: that code asks what a register holds, never how its bounds are stored. The domain itself is
// scalar.ts's (int32 halves); these are its accessors under the names that code uses.
import { type Bounds, isConst, setSmax, setSmin, sminOf, smaxOf, syncBounds } from "./scalar.js";
import { big } from "./tnum.js";

export { constOf, isZero, s32maxOf, s32minOf, smaxOf, sminOf, u32, umaxOf, uminOf } from "./scalar.js";

/** The value of a known register as the kernel's u64 var_off.value. */
export const uconstOf = (b: Bounds): bigint => big(b.varOff.vh, b.varOff.vl);
export { isConst };

/** __mark_reg_s32_range: narrow both signed ranges to [lo, hi], then reg_bounds_sync. */
export function markS32Range(b: Bounds, lo: number, hi: number): void {
  if (b.s32min < lo) b.s32min = lo | 0;
  if (b.s32max > hi) b.s32max = hi | 0;
  if (sminOf(b) < BigInt(lo)) setSmin(b, BigInt(lo));
  if (smaxOf(b) > BigInt(hi)) setSmax(b, BigInt(hi));
  syncBounds(b);
}
