// Tristate numbers: a 64-bit value where each bit is known 0, known 1 or unknown. `value` holds the
// known-one bits, `mask` the unknown bits (value & mask == 0). This is the kernel's var_off domain
// (kernel/bpf/tnum.c); every operation must over-approximate exactly as the kernel's does, since the
// printed var_off and later bound deductions depend on it.
//
// Representation: each 64-bit word is two 32-bit halves held as int32 numbers (V8 small integers, so a
// tnum is four untagged fields and its arithmetic allocates nothing but the result): `vh`/`vl` the high
// and low halves of the value, `mh`/`ml` of the mask. An unsigned half is read with `x >>> 0`. bigint
// conversions (`tnumOf`, `tValue`, `tMask`) are for cold code: printing, messages, tests.
export interface Tnum { readonly vh: number; readonly vl: number; readonly mh: number; readonly ml: number }

/** Build a tnum from halves, normalised like the kernel's TNUM(): known-one bits never overlap the mask. */
export const tnumHL = (vh: number, vl: number, mh: number, ml: number): Tnum => ({ vh: (vh & ~mh) | 0, vl: (vl & ~ml) | 0, mh: mh | 0, ml: ml | 0 });
export const tconstHL = (h: number, l: number): Tnum => ({ vh: h | 0, vl: l | 0, mh: 0, ml: 0 });
export const TNUM_UNKNOWN: Tnum = { vh: 0, vl: 0, mh: -1, ml: -1 };
const TNUM_ZERO: Tnum = { vh: 0, vl: 0, mh: 0, ml: 0 };

// ---- bigint views (cold paths) ----
export const U64 = (1n << 64n) - 1n;
export const U32 = 0xffffffffn;
/** The 64-bit word of two halves, unsigned. */
export const big = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
/** The high and low int32 halves of a bigint taken modulo 2^64. */
// `| 0`: a number converted from a bigint is a heap number to optimised code, and one such store into a
// register's bounds turns those fields into boxed doubles in every register from then on (V8 field
// representation Smi -> Double, for the rest of the process): the whole walk then runs about 1.5x slower
export const hiOf = (x: bigint): number => Number(BigInt.asIntN(32, x >> 32n)) | 0;
export const loOf = (x: bigint): number => Number(BigInt.asIntN(32, x)) | 0;
export const tValue = (a: Tnum): bigint => big(a.vh, a.vl);
export const tMask = (a: Tnum): bigint => big(a.mh, a.ml);
export const tnum = (value: bigint, mask: bigint): Tnum => tnumHL(hiOf(value), loOf(value), hiOf(mask), loOf(mask));
export const tconst = (v: bigint): Tnum => tconstHL(hiOf(v), loOf(v));

// ---- 64-bit arithmetic on halves: results in RH/RL (module registers, so nothing is allocated) ----
let RH = 0, RL = 0;
/** Results of the last half-pair operation (read right after the call). */
export const rh = (): number => RH;
export const rl = (): number => RL;
export function add64(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al >>> 0) + (bl >>> 0);
  RL = lo | 0;
  RH = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
}
export function sub64(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al >>> 0) - (bl >>> 0);
  RL = lo | 0;
  RH = (ah - bh - (lo < 0 ? 1 : 0)) | 0;
}
/** Logical shift left by 0..63. */
export function shl64(h: number, l: number, s: number): void {
  if (s === 0) { RH = h; RL = l; } else if (s < 32) { RH = (h << s) | (l >>> (32 - s)); RL = l << s; } else { RH = l << (s - 32); RL = 0; }
}
/** Logical shift right by 0..63. */
export function shr64(h: number, l: number, s: number): void {
  if (s === 0) { RH = h; RL = l; } else if (s < 32) { RL = (l >>> s) | (h << (32 - s)); RH = (h >>> s) | 0; } else { RL = (h >>> (s - 32)) | 0; RH = 0; }
}
/** Arithmetic shift right by 0..63. */
export function sar64(h: number, l: number, s: number): void {
  if (s === 0) { RH = h; RL = l; } else if (s < 32) { RL = (l >>> s) | (h << (32 - s)); RH = h >> s; } else { RL = h >> (s - 32); RH = h >> 31; }
}
/** Unsigned a < b, a <= b; signed a < b, a <= b. */
export const ult64 = (ah: number, al: number, bh: number, bl: number): boolean => (ah !== bh ? ah >>> 0 < bh >>> 0 : al >>> 0 < bl >>> 0);
export const ule64 = (ah: number, al: number, bh: number, bl: number): boolean => (ah !== bh ? ah >>> 0 < bh >>> 0 : al >>> 0 <= bl >>> 0);
export const slt64 = (ah: number, al: number, bh: number, bl: number): boolean => (ah !== bh ? ah < bh : al >>> 0 < bl >>> 0);
export const sle64 = (ah: number, al: number, bh: number, bl: number): boolean => (ah !== bh ? ah < bh : al >>> 0 <= bl >>> 0);
/** Number of significant bits of the unsigned word (0 for 0). */
export const bitLen64 = (h: number, l: number): number => (h ? 64 - Math.clz32(h) : 32 - Math.clz32(l));

// ---- tnum operations (kernel/bpf/tnum.c) ----

/** Smallest tnum containing every value of [min, max] (unsigned). */
export function tnumRangeHL(minH: number, minL: number, maxH: number, maxL: number): Tnum {
  const bits = bitLen64(minH ^ maxH, minL ^ maxL); // index of the highest differing bit + 1
  if (bits > 63) return TNUM_UNKNOWN;
  // delta = 2^bits - 1
  const dh = bits > 32 ? -1 >>> (64 - bits) : 0, dl = bits >= 32 ? -1 : bits === 0 ? 0 : -1 >>> (32 - bits);
  return { vh: (minH & ~dh) | 0, vl: (minL & ~dl) | 0, mh: dh | 0, ml: dl | 0 };
}
export const tnumRange = (min: bigint, max: bigint): Tnum => tnumRangeHL(hiOf(min), loOf(min), hiOf(max), loOf(max));

export const tIsConst = (a: Tnum): boolean => (a.mh | a.ml) === 0;
export const tIsUnknown = (a: Tnum): boolean => (a.mh & a.ml) === -1;
export const tEquals = (a: Tnum, b: Tnum): boolean => a.vh === b.vh && a.vl === b.vl && a.mh === b.mh && a.ml === b.ml;

export function tLshift(a: Tnum, s: number): Tnum {
  shl64(a.vh, a.vl, s); const vh = RH, vl = RL;
  shl64(a.mh, a.ml, s);
  return { vh, vl, mh: RH, ml: RL };
}
export function tRshift(a: Tnum, s: number): Tnum {
  shr64(a.vh, a.vl, s); const vh = RH, vl = RL;
  shr64(a.mh, a.ml, s);
  return { vh, vl, mh: RH, ml: RL };
}

/** Arithmetic right shift at `bits` width (32 or 64): the sign bit (known or not) is replicated. */
export function tArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  if (bits === 32) return { vh: 0, vl: (a.vl >> s) | 0, mh: 0, ml: (a.ml >> s) | 0 };
  sar64(a.vh, a.vl, s); const vh = RH, vl = RL;
  sar64(a.mh, a.ml, s);
  return { vh, vl, mh: RH, ml: RL };
}

export function tAdd(a: Tnum, b: Tnum): Tnum {
  add64(a.mh, a.ml, b.mh, b.ml); const smh = RH, sml = RL;
  add64(a.vh, a.vl, b.vh, b.vl); const svh = RH, svl = RL;
  add64(smh, sml, svh, svl);
  const muh = (RH ^ svh) | a.mh | b.mh, mul = (RL ^ svl) | a.ml | b.ml;
  return { vh: svh & ~muh, vl: svl & ~mul, mh: muh, ml: mul };
}

export function tSub(a: Tnum, b: Tnum): Tnum {
  sub64(a.vh, a.vl, b.vh, b.vl); const dvh = RH, dvl = RL;
  add64(dvh, dvl, a.mh, a.ml); const ah = RH, al = RL;
  sub64(dvh, dvl, b.mh, b.ml);
  const muh = (ah ^ RH) | a.mh | b.mh, mul = (al ^ RL) | a.ml | b.ml;
  return { vh: dvh & ~muh, vl: dvl & ~mul, mh: muh, ml: mul };
}

export const tNeg = (a: Tnum): Tnum => tSub(TNUM_ZERO, a);

export function tAnd(a: Tnum, b: Tnum): Tnum {
  const vh = a.vh & b.vh, vl = a.vl & b.vl;
  return { vh, vl, mh: (a.vh | a.mh) & (b.vh | b.mh) & ~vh, ml: (a.vl | a.ml) & (b.vl | b.ml) & ~vl };
}

export function tOr(a: Tnum, b: Tnum): Tnum {
  const vh = a.vh | b.vh, vl = a.vl | b.vl;
  return { vh, vl, mh: (a.mh | b.mh) & ~vh, ml: (a.ml | b.ml) & ~vl };
}

export function tXor(a: Tnum, b: Tnum): Tnum {
  const mh = a.mh | b.mh, ml = a.ml | b.ml;
  return { vh: (a.vh ^ b.vh) & ~mh, vl: (a.vl ^ b.vl) & ~ml, mh, ml };
}

/** The low 64 bits of a * b (unsigned), exactly: rare enough (tnum and range multiplication) to use bigint. */
function mulLow64(ah: number, al: number, bh: number, bl: number): void {
  const p = BigInt.asUintN(64, big(ah, al) * big(bh, bl));
  RH = hiOf(p); RL = loOf(p);
}

/** Multiplication by long multiplication over the bits of `a`: known-one bits add b's value, unknown bits add uncertainty. */
export function tMul(a: Tnum, b: Tnum): Tnum {
  mulLow64(a.vh, a.vl, b.vh, b.vl);
  const accV: Tnum = { vh: RH, vl: RL, mh: 0, ml: 0 };
  let accM: Tnum = TNUM_ZERO;
  let x = a;
  let y = b;
  while ((x.vh | x.vl | x.mh | x.ml) !== 0) {
    if (x.vl & 1) accM = tAdd(accM, { vh: 0, vl: 0, mh: y.mh, ml: y.ml });
    else if (x.ml & 1) accM = tAdd(accM, { vh: 0, vl: 0, mh: y.vh | y.mh, ml: y.vl | y.ml });
    x = tRshift(x, 1);
    y = tLshift(y, 1);
  }
  return tAdd(accV, accM);
}

export function tIntersect(a: Tnum, b: Tnum): Tnum {
  const mh = a.mh & b.mh, ml = a.ml & b.ml;
  return { vh: (a.vh | b.vh) & ~mh, vl: (a.vl | b.vl) & ~ml, mh, ml };
}

/** Truncate to the low `size` bytes. */
export function tCast(a: Tnum, size: number): Tnum {
  if (size >= 8) return a;
  if (size === 4) return { vh: 0, vl: a.vl, mh: 0, ml: a.ml };
  const m = (1 << (size * 8)) - 1;
  return { vh: 0, vl: a.vl & m, mh: 0, ml: a.ml & m };
}

export const tIsAligned = (a: Tnum, size: number): boolean => size === 0 || ((a.vl | a.ml) & (size - 1)) === 0;

/** Whether every value of b is a possible value of a. */
export function tIn(a: Tnum, b: Tnum): boolean {
  if ((b.mh & ~a.mh) !== 0 || (b.ml & ~a.ml) !== 0) return false;
  return a.vh === (b.vh & ~a.mh) && a.vl === (b.vl & ~a.ml);
}

export const tSubreg = (a: Tnum): Tnum => (a.vh === 0 && a.mh === 0 ? a : { vh: 0, vl: a.vl, mh: 0, ml: a.ml });
export const tClearSubreg = (a: Tnum): Tnum => ({ vh: a.vh, vl: 0, mh: a.mh, ml: 0 });
/** The high half of `reg` with the low half of `sub` (tnum_with_subreg). */
export const tWithSubreg = (reg: Tnum, sub: Tnum): Tnum => ({ vh: reg.vh, vl: sub.vl, mh: reg.mh, ml: sub.ml });
export const tConstSubreg = (a: Tnum, v: number): Tnum => ({ vh: a.vh, vl: v | 0, mh: a.mh, ml: 0 });

/** `(0x..; 0x..)` or the constant, as the kernel's tnum_strn prints it. */
export function tnumStr(a: Tnum): string {
  const v = tValue(a);
  if (tIsConst(a)) return v <= 0xffffn ? v.toString() : "0x" + v.toString(16);
  return `(0x${v.toString(16)}; 0x${tMask(a).toString(16)})`;
}

/** The k low bits of a 64-bit word set, as halves. */
function lowBitsH(k: number): number { return k > 32 ? -1 >>> (64 - k) | 0 : 0; }
function lowBitsL(k: number): number { return k >= 32 ? -1 : k === 0 ? 0 : (-1 >>> (32 - k)) | 0; }

/**
 * Smallest member of `a` greater than `z` (tnum_step), in RH/RL; returns false when there is none.
 */
export function tStepHL(a: Tnum, zh: number, zl: number): boolean {
  if (zh === -1 && zl === -1) return false; // z + 1 overflows
  add64(zh, zl, 0, 1);
  const jh = RH, jl = RL;
  const vh = a.vh, vl = a.vl, fh = a.mh, fl = a.ml;
  // highest bit where j disagrees with a fixed bit of the tnum
  const dh = (jh ^ vh) & ~fh, dl = (jl ^ vl) & ~fl;
  if ((dh | dl) === 0) { RH = jh; RL = jl; return true; }
  const b = bitLen64(dh, dl) - 1;
  const bitSet = b >= 32 ? (vh >>> (b - 32)) & 1 : (vl >>> b) & 1;
  if (bitSet) {
    // j has 0 where the tnum has a fixed 1: take j's high part, that 1, and the smallest low part
    keepHighSetBit(jh, jl, b);
    RH |= vh & lowBitsH(b); RL |= vl & lowBitsL(b);
    return true;
  }
  // j has 1 where the tnum has a fixed 0: carry into the lowest free bit above b that is 0 in j
  if (b === 63) return false;
  shr64(fh & ~jh, fl & ~jl, b + 1);
  const freeH = RH, freeL = RL;
  if ((freeH | freeL) === 0) return false;
  // lowest set bit of free, as a bit index
  const low = freeL ? 31 - Math.clz32(freeL & -freeL) : 63 - Math.clz32(freeH & -freeH);
  const k = b + 1 + low;
  keepHighSetBit(jh, jl, k);
  RH |= vh & lowBitsH(k); RL |= vl & lowBitsL(k);
  return true;
}

/** (j >> (k+1)) << (k+1) | 1 << k, into RH/RL. */
function keepHighSetBit(jh: number, jl: number, k: number): void {
  // clear bits 0..k of j, set bit k
  const ch = k >= 32 ? lowBitsH(k + 1) : 0, cl = k >= 31 ? -1 : lowBitsL(k + 1);
  RH = (jh & ~ch) | (k >= 32 ? 1 << (k - 32) : 0);
  RL = (jl & ~cl) | (k < 32 ? 1 << k : 0);
}

/** The same with bigints, undefined when there is none. */
export function tStep(a: Tnum, z: bigint): bigint | undefined {
  return tStepHL(a, hiOf(z), loOf(z)) ? big(RH, RL) : undefined;
}
