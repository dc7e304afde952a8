// Reads of a register's scalar domain by value, for the kfunc, dynptr, iterator, kptr and BTF-pointer
// code: that code asks what a register holds, never how its bounds are stored, so a change of the
// domain's representation (scalar.ts, tnum.ts) is met here alone.
import { type Bounds, isConst, syncBounds } from "./scalar.js";

/** The value of a known register as the kernel's u64 var_off.value. */
export const uconstOf = (b: Bounds): bigint => b.varOff.value;
/** The value of a known register, signed. */
export const constOf = (b: Bounds): bigint => BigInt.asIntN(64, b.varOff.value);
/** register_is_null on a scalar: known to be 0. */
export const isZero = (b: Bounds): boolean => isConst(b) && b.varOff.value === 0n;
export const sminOf = (b: Bounds): bigint => b.smin;
export const smaxOf = (b: Bounds): bigint => b.smax;
export const umaxOf = (b: Bounds): bigint => b.umax;
export const s32minOf = (b: Bounds): bigint => b.s32min;
export const s32maxOf = (b: Bounds): bigint => b.s32max;

/** __mark_reg_s32_range: narrow both signed ranges to [lo, hi], then reg_bounds_sync. */
export function markS32Range(b: Bounds, lo: number, hi: number): void {
  const l = BigInt(lo), h = BigInt(hi);
  if (b.s32min < l) b.s32min = l;
  if (b.s32max > h) b.s32max = h;
  if (b.smin < l) b.smin = l;
  if (b.smax > h) b.smax = h;
  syncBounds(b);
}
