// Scalar value tracking: a tnum (var_off) plus signed/unsigned 64- and 32-bit ranges, kept consistent
// with each other the way the kernel's reg_bounds_sync() does, and the ALU transfer functions of
// adjust_scalar_min_max_vals().
//
// Representation (the hot path allocates nothing but the occasional tnum): every field is an int32 number
// (a V8 small integer). A 64-bit bound is split into its high and low 32-bit halves (`sminHi`/`sminLo`,
// ...); unsigned values are kept as their bit pattern (`x | 0`) and read with `x >>> 0`, so the u32 bounds
// `u32min`/`u32max` and every low half compare unsigned through `>>> 0`, the s32 bounds and signed high
// halves as they are. The kernel's u64/s64 arithmetic becomes carry/borrow arithmetic on halves (tnum.ts);
// only multiplication, which is rare, goes through bigint. bigint views (`sminOf`, `setUmax`, ...) serve
// printing, messages and tests.
import { type Tnum, TNUM_UNKNOWN, U32, U64, add64, big, hiOf, loOf, rh, rl, sar64, shl64, shr64, sle64, slt64, sub64, tAdd, tAnd, tArshift,
  tCast, tIntersect, tIsConst, tLshift, tMul, tOr, tRshift, tStepHL, tSub, tSubreg, tXor, tconstHL, tnumRangeHL, ule64, ult64 } from "./tnum.js";

export const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n;
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);

const I32_MIN = -0x80000000, I32_MAX = 0x7fffffff;

export interface Bounds {
  varOff: Tnum;
  /** s64 bounds: high half signed, low half as bits. */
  sminHi: number; sminLo: number; smaxHi: number; smaxLo: number;
  /** u64 bounds: both halves as bits. */
  uminHi: number; uminLo: number; umaxHi: number; umaxLo: number;
  /** s32 bounds, and u32 bounds as bits (read with >>> 0). */
  s32min: number; s32max: number; u32min: number; u32max: number;
}

// ---- bigint views (cold paths: printing, messages, tests) ----
export const sminOf = (b: Bounds): bigint => BigInt.asIntN(64, big(b.sminHi, b.sminLo));
export const smaxOf = (b: Bounds): bigint => BigInt.asIntN(64, big(b.smaxHi, b.smaxLo));
export const uminOf = (b: Bounds): bigint => big(b.uminHi, b.uminLo);
export const umaxOf = (b: Bounds): bigint => big(b.umaxHi, b.umaxLo);
export const s32minOf = (b: Bounds): bigint => BigInt(b.s32min);
export const s32maxOf = (b: Bounds): bigint => BigInt(b.s32max);
export const u32minOf = (b: Bounds): bigint => BigInt(b.u32min >>> 0);
export const u32maxOf = (b: Bounds): bigint => BigInt(b.u32max >>> 0);
export function setSmin(b: Bounds, v: bigint): void { b.sminHi = hiOf(v); b.sminLo = loOf(v); }
export function setSmax(b: Bounds, v: bigint): void { b.smaxHi = hiOf(v); b.smaxLo = loOf(v); }
export function setUmin(b: Bounds, v: bigint): void { b.uminHi = hiOf(v); b.uminLo = loOf(v); }
export function setUmax(b: Bounds, v: bigint): void { b.umaxHi = hiOf(v); b.umaxLo = loOf(v); }
export function setS32min(b: Bounds, v: bigint): void { b.s32min = loOf(v); }
export function setS32max(b: Bounds, v: bigint): void { b.s32max = loOf(v); }
export function setU32min(b: Bounds, v: bigint): void { b.u32min = loOf(v); }
export function setU32max(b: Bounds, v: bigint): void { b.u32max = loOf(v); }
/** The constant of a register whose var_off is known, as s64 / u64. */
export const constOf = (b: Bounds): bigint => BigInt.asIntN(64, big(b.varOff.vh, b.varOff.vl));
/** The smin bound as a JS number when it is a small value (|x| < 2^53), for offset arithmetic. */
export const sminNum = (b: Bounds): number => b.sminHi * 0x100000000 + (b.sminLo >>> 0);
export const smaxNum = (b: Bounds): number => b.smaxHi * 0x100000000 + (b.smaxLo >>> 0);
/** The var_off constant as a JS number (s64 view); exact when |x| < 2^53. */
export const constNum = (b: Bounds): number => b.varOff.vh * 0x100000000 + (b.varOff.vl >>> 0);

export function unboundedBounds(): Bounds {
  return { varOff: TNUM_UNKNOWN, sminHi: I32_MIN, sminLo: 0, smaxHi: I32_MAX, smaxLo: -1, uminHi: 0, uminLo: 0, umaxHi: -1, umaxLo: -1,
    s32min: I32_MIN, s32max: I32_MAX, u32min: 0, u32max: -1 };
}
export function knownBoundsHL(h: number, l: number): Bounds {
  const b = unboundedBounds();
  markKnownHL(b, h, l);
  return b;
}
export const knownBounds = (v: bigint): Bounds => knownBoundsHL(hiOf(v), loOf(v));
export const copyBounds = (b: Bounds): Bounds => ({ varOff: b.varOff, sminHi: b.sminHi, sminLo: b.sminLo, smaxHi: b.smaxHi, smaxLo: b.smaxLo,
  uminHi: b.uminHi, uminLo: b.uminLo, umaxHi: b.umaxHi, umaxLo: b.umaxLo, s32min: b.s32min, s32max: b.s32max, u32min: b.u32min, u32max: b.u32max });
export function assignBounds(dst: Bounds, src: Bounds): void {
  dst.varOff = src.varOff; dst.sminHi = src.sminHi; dst.sminLo = src.sminLo; dst.smaxHi = src.smaxHi; dst.smaxLo = src.smaxLo;
  dst.uminHi = src.uminHi; dst.uminLo = src.uminLo; dst.umaxHi = src.umaxHi; dst.umaxLo = src.umaxLo;
  dst.s32min = src.s32min; dst.s32max = src.s32max; dst.u32min = src.u32min; dst.u32max = src.u32max;
}

/** __mark_reg_known: every bound is the constant. */
export function markKnownHL(b: Bounds, h: number, l: number): void {
  b.varOff = tconstHL(h, l);
  b.sminHi = b.smaxHi = b.uminHi = b.umaxHi = h | 0;
  b.sminLo = b.smaxLo = b.uminLo = b.umaxLo = l | 0;
  b.s32min = b.s32max = b.u32min = b.u32max = l | 0;
}
export const markKnown = (b: Bounds, v: bigint): void => markKnownHL(b, hiOf(v), loOf(v));
/** __mark_reg32_known: the low half is the constant. */
export function mark32Known(b: Bounds, v: number): void {
  const t = b.varOff;
  b.varOff = { vh: t.vh, vl: v | 0, mh: t.mh, ml: 0 };
  b.s32min = b.s32max = b.u32min = b.u32max = v | 0;
}
export function mark64Unbounded(b: Bounds): void {
  b.sminHi = I32_MIN; b.sminLo = 0; b.smaxHi = I32_MAX; b.smaxLo = -1; b.uminHi = 0; b.uminLo = 0; b.umaxHi = -1; b.umaxLo = -1;
}
export function mark32Unbounded(b: Bounds): void { b.s32min = I32_MIN; b.s32max = I32_MAX; b.u32min = 0; b.u32max = -1; }
export function markUnbounded(b: Bounds): void { mark64Unbounded(b); mark32Unbounded(b); }
export function markUnknown(b: Bounds): void { b.varOff = TNUM_UNKNOWN; markUnbounded(b); }

export const isConst = (b: Bounds): boolean => tIsConst(b.varOff);
export const isSubregConst = (b: Bounds): boolean => b.varOff.ml === 0;
/** Whether the register is the constant 0. */
export const isZero = (b: Bounds): boolean => (b.varOff.mh | b.varOff.ml | b.varOff.vh | b.varOff.vl) === 0;
export const isUnbounded = (b: Bounds): boolean => b.sminHi === I32_MIN && b.sminLo === 0 && b.smaxHi === I32_MAX && b.smaxLo === -1 &&
  b.uminHi === 0 && b.uminLo === 0 && b.umaxHi === -1 && b.umaxLo === -1 &&
  b.s32min === I32_MIN && b.s32max === I32_MAX && b.u32min === 0 && b.u32max === -1;
/** umax < 2^bits (the value fits in `bits` unsigned bits), for 0 < bits <= 64. */
export function umaxFits(b: Bounds, bits: number): boolean {
  if (bits >= 64) return true;
  if (bits >= 32) return bits === 32 ? b.umaxHi === 0 : b.umaxHi >>> 0 < 2 ** (bits - 32);
  return b.umaxHi === 0 && b.umaxLo >>> 0 < 2 ** bits;
}

function update32(b: Bounds): void {
  const vl = b.varOff.vl, ml = b.varOff.ml;
  const smin = vl | (ml & I32_MIN), smax = vl | (ml & I32_MAX);
  if (smin > b.s32min) b.s32min = smin;
  if (smax < b.s32max) b.s32max = smax;
  if (vl >>> 0 > b.u32min >>> 0) b.u32min = vl;
  const umax = vl | ml;
  if (umax >>> 0 < b.u32max >>> 0) b.u32max = umax;
}

function update64(b: Bounds): void {
  const v = b.varOff;
  const vh = v.vh, vl = v.vl, mh = v.mh, ml = v.ml;
  let h = vh | (mh & I32_MIN), l = vl;
  if (slt64(b.sminHi, b.sminLo, h, l)) { b.sminHi = h; b.sminLo = l; }
  h = vh | (mh & I32_MAX); l = vl | ml;
  if (slt64(h, l, b.smaxHi, b.smaxLo)) { b.smaxHi = h; b.smaxLo = l; }
  if (ult64(b.uminHi, b.uminLo, vh, vl)) { b.uminHi = vh; b.uminLo = vl; }
  const tmaxH = vh | mh, tmaxL = vl | ml;
  if (ult64(tmaxH, tmaxL, b.umaxHi, b.umaxLo)) { b.umaxHi = tmaxH; b.umaxLo = tmaxL; }
  // the u64 range and the tnum may overlap in a single value: then the register is that constant. Done
  // exactly as the kernel does it, also when the bounds are already contradictory (umin past the tnum's
  // largest member, or a constant tnum outside the range): the kernel then makes the register that
  // constant rather than finding the branch dead, and walks on.
  const uh = b.uminHi, ul = b.uminLo;
  kernelTnumStep(v, uh, ul);
  const nh = KH, nl = KL;
  const uminIn = (uh & ~mh) === vh && (ul & ~ml) === vl;
  if (uminIn) {
    if (ult64(b.umaxHi, b.umaxLo, nh, nl)) markKnownHL(b, uh, ul);
  } else if (nh === tmaxH && nl === tmaxL) {
    markKnownHL(b, tmaxH, tmaxL);
  } else if (ule64(nh, nl, b.umaxHi, b.umaxLo)) {
    kernelTnumStep(v, nh, nl);
    if (ult64(b.umaxHi, b.umaxLo, KH, KL)) markKnownHL(b, nh, nl);
  }
}

let KH = 0, KL = 0;
/**
 * The kernel's tnum_step(t, z), into KH/KL: the smallest member of t greater than z, except that it
 * answers t's largest member when z is at or past it (there is no greater one), and t's smallest when z
 * is below it.
 */
function kernelTnumStep(t: Tnum, zh: number, zl: number): void {
  const th = t.vh | t.mh, tl = t.vl | t.ml;
  if (ule64(th, tl, zh, zl)) { KH = th; KL = tl; return; }
  if (ult64(zh, zl, t.vh, t.vl)) { KH = t.vh; KL = t.vl; return; }
  tStepHL(t, zh, zl); // z < tmax: a greater member exists
  KH = rh(); KL = rl();
}
export function updateBounds(b: Bounds): void { update32(b); update64(b); }

/** max/min of the u32 bound `cur` and a u32 bit pattern `x`. */
const umax32 = (cur: number, x: number): number => (x >>> 0 > cur >>> 0 ? x : cur);
const umin32 = (cur: number, x: number): number => (x >>> 0 < cur >>> 0 ? x : cur);

/** Learn 32-bit bounds from 64-bit ones where the upper halves pin them down (__reg32_deduce_bounds). */
function deduce32(b: Bounds): void {
  if (b.uminHi === b.umaxHi) {
    b.u32min = umax32(b.u32min, b.uminLo);
    b.u32max = umin32(b.u32max, b.umaxLo);
    if (b.uminLo <= b.umaxLo) {
      if (b.uminLo > b.s32min) b.s32min = b.uminLo;
      if (b.umaxLo < b.s32max) b.s32max = b.umaxLo;
    }
  }
  if (b.sminHi === b.smaxHi) {
    if (b.sminLo >>> 0 <= b.smaxLo >>> 0) {
      b.u32min = umax32(b.u32min, b.sminLo);
      b.u32max = umin32(b.u32max, b.smaxLo);
    }
    if (b.sminLo <= b.smaxLo) {
      if (b.sminLo > b.s32min) b.s32min = b.sminLo;
      if (b.smaxLo < b.s32max) b.s32max = b.smaxLo;
    }
  }
  // Upper halves differ by one and the range crosses the 32-bit sign boundary: still a valid s32 range.
  if (((b.uminHi + 1) | 0) === b.umaxHi && b.uminLo < 0 && b.umaxLo >= 0) {
    if (b.uminLo > b.s32min) b.s32min = b.uminLo;
    if (b.umaxLo < b.s32max) b.s32max = b.umaxLo;
  }
  if (((b.sminHi + 1) | 0) === b.smaxHi && b.sminLo < 0 && b.smaxLo >= 0) {
    if (b.sminLo > b.s32min) b.s32min = b.sminLo;
    if (b.smaxLo < b.s32max) b.s32max = b.smaxLo;
  }
  if (b.u32min <= b.u32max) {
    if (b.u32min > b.s32min) b.s32min = b.u32min;
    if (b.u32max < b.s32max) b.s32max = b.u32max;
  }
  if (b.s32min >>> 0 <= b.s32max >>> 0) {
    b.u32min = umax32(b.u32min, b.s32min);
    b.u32max = umin32(b.u32max, b.s32max);
  } else if (b.u32max >>> 0 < b.s32min >>> 0) {
    b.s32min = b.u32min;
    b.u32max = umin32(b.u32max, b.s32max);
  } else if (b.s32max >>> 0 < b.u32min >>> 0) {
    b.s32max = b.u32max;
    b.u32min = umax32(b.u32min, b.s32min);
  }
}

function deduce64(b: Bounds): void {
  if (sle64(b.uminHi, b.uminLo, b.umaxHi, b.umaxLo)) {
    if (slt64(b.sminHi, b.sminLo, b.uminHi, b.uminLo)) { b.sminHi = b.uminHi; b.sminLo = b.uminLo; }
    if (slt64(b.umaxHi, b.umaxLo, b.smaxHi, b.smaxLo)) { b.smaxHi = b.umaxHi; b.smaxLo = b.umaxLo; }
  }
  if (ule64(b.sminHi, b.sminLo, b.smaxHi, b.smaxLo)) {
    if (ult64(b.uminHi, b.uminLo, b.sminHi, b.sminLo)) { b.uminHi = b.sminHi; b.uminLo = b.sminLo; }
    if (ult64(b.smaxHi, b.smaxLo, b.umaxHi, b.umaxLo)) { b.umaxHi = b.smaxHi; b.umaxLo = b.smaxLo; }
  } else if (ult64(b.umaxHi, b.umaxLo, b.sminHi, b.sminLo)) {
    b.sminHi = b.uminHi; b.sminLo = b.uminLo;
    if (ult64(b.smaxHi, b.smaxLo, b.umaxHi, b.umaxLo)) { b.umaxHi = b.smaxHi; b.umaxLo = b.smaxLo; }
  } else if (ult64(b.smaxHi, b.smaxLo, b.uminHi, b.uminLo)) {
    b.smaxHi = b.umaxHi; b.smaxLo = b.umaxLo;
    if (ult64(b.uminHi, b.uminLo, b.sminHi, b.sminLo)) { b.uminHi = b.sminHi; b.uminLo = b.sminLo; }
  }
}

/** Feed the 32-bit bounds back into the low halves of the 64-bit ones (__reg_deduce_mixed_bounds). */
function deduceMixed(b: Bounds): void {
  let lo = b.u32min, hi = b.u32max;
  if (ult64(b.uminHi, b.uminLo, b.uminHi, lo)) b.uminLo = lo;
  if (ult64(b.umaxHi, hi, b.umaxHi, b.umaxLo)) b.umaxLo = hi;
  if (slt64(b.sminHi, b.sminLo, b.sminHi, lo)) b.sminLo = lo;
  if (slt64(b.smaxHi, hi, b.smaxHi, b.smaxLo)) b.smaxLo = hi;
  if (b.s32min >>> 0 <= b.s32max >>> 0) {
    lo = b.s32min; hi = b.s32max;
    if (ult64(b.uminHi, b.uminLo, b.uminHi, lo)) b.uminLo = lo;
    if (ult64(b.umaxHi, hi, b.umaxHi, b.umaxLo)) b.umaxLo = hi;
    if (slt64(b.sminHi, b.sminLo, b.sminHi, lo)) b.sminLo = lo;
    if (slt64(b.smaxHi, hi, b.smaxHi, b.smaxLo)) b.smaxLo = hi;
  }
  // smin >= S32_MIN and smax <= S32_MAX (s64 compares on halves)
  if (b.s32min >= 0 && sle64(-1, I32_MIN, b.sminHi, b.sminLo) && sle64(b.smaxHi, b.smaxLo, 0, I32_MAX)) {
    // s32 -> s64 sign-extends (the kernel assigns s32 to s64 and u64)
    const minH = b.s32min < 0 ? -1 : 0, maxH = b.s32max < 0 ? -1 : 0;
    b.sminHi = b.uminHi = minH; b.sminLo = b.uminLo = b.s32min;
    b.smaxHi = b.umaxHi = maxH; b.smaxLo = b.umaxLo = b.s32max;
    b.varOff = tIntersect(b.varOff, tnumRangeHL(minH, b.s32min, maxH, b.s32max));
  }
}

function deduce(b: Bounds): void { deduce32(b); deduce64(b); deduceMixed(b); }

/** The kernel's three deduction rounds; a round that changes nothing would leave every later one unchanged too. */
function deduceRounds(b: Bounds): void {
  for (let round = 0; round < 3; round++) {
    const v = b.varOff, a = b.sminHi, c = b.sminLo, d = b.smaxHi, e = b.smaxLo, f = b.uminHi, g = b.uminLo, h = b.umaxHi, i = b.umaxLo,
      j = b.s32min, k = b.s32max, l = b.u32min, m = b.u32max;
    deduce(b);
    if (b.sminHi === a && b.sminLo === c && b.smaxHi === d && b.smaxLo === e && b.uminHi === f && b.uminLo === g && b.umaxHi === h &&
      b.umaxLo === i && b.s32min === j && b.s32max === k && b.u32min === l && b.u32max === m &&
      b.varOff.vh === v.vh && b.varOff.vl === v.vl && b.varOff.mh === v.mh && b.varOff.ml === v.ml) return;
  }
}

function boundOffset(b: Bounds): void {
  const v64 = tIntersect(b.varOff, tnumRangeHL(b.uminHi, b.uminLo, b.umaxHi, b.umaxLo));
  const r32 = tnumRangeHL(0, b.u32min, 0, b.u32max);
  // tIntersect(tSubreg(v64), r32), then joined with v64's high half
  const ml = v64.ml & r32.ml;
  b.varOff = { vh: v64.vh, vl: (v64.vl | r32.vl) & ~ml, mh: v64.mh, ml };
}

/**
 * A known constant whose bounds all equal its value is a fixed point of reg_bounds_sync (every step takes
 * the max or min of equal values, and the tnum intersections give the constant back). About half the
 * syncs are on such constants.
 */
function isSettledConst(b: Bounds): boolean {
  const v = b.varOff;
  if ((v.mh | v.ml) !== 0) return false;
  const h = v.vh, l = v.vl;
  return b.uminHi === h && b.uminLo === l && b.umaxHi === h && b.umaxLo === l && b.sminHi === h && b.sminLo === l &&
    b.smaxHi === h && b.smaxLo === l && b.u32min === l && b.u32max === l && b.s32min === l && b.s32max === l;
}

/** reg_bounds_sync(): make tnum and all four ranges agree. */
export function syncBounds(b: Bounds): void {
  if (isSettledConst(b)) return;
  updateBounds(b);
  deduceRounds(b);
  boundOffset(b);
  updateBounds(b);
}

/**
 * reg_bounds_sanity_check's finding: the first way the bounds and the tnum contradict each other, or
 * undefined when they agree. (No value fits such a register; the kernel reports it and walks on.)
 */
export function invariantViolation(b: Bounds): string | undefined {
  if (boundsInvalid(b)) return "range bounds violation";
  const v = b.varOff;
  if ((v.mh | v.ml) === 0) {
    const h = v.vh, l = v.vl;
    if (b.uminHi !== h || b.uminLo !== l || b.umaxHi !== h || b.umaxLo !== l || b.sminHi !== h || b.sminLo !== l || b.smaxHi !== h || b.smaxLo !== l) {
      return "const tnum out of sync with range bounds";
    }
  }
  if (v.ml === 0) {
    const l = v.vl;
    if (b.u32min !== l || b.u32max !== l || b.s32min !== l || b.s32max !== l) return "const subreg tnum out of sync with range bounds";
  }
  return undefined;
}

/** The kernel's message for a violation: every bound as the C format %#llx / %#x prints it. */
export function invariantReport(b: Bounds): string {
  const h = (v: bigint): string => `0x${v.toString(16)}`;
  return `u64=[${h(uminOf(b))}, ${h(umaxOf(b))}] s64=[${h(big(b.sminHi, b.sminLo))}, ${h(big(b.smaxHi, b.smaxLo))}] ` +
    `u32=[${h(u32minOf(b))}, ${h(u32maxOf(b))}] s32=[${h(BigInt(b.s32min >>> 0))}, ${h(BigInt(b.s32max >>> 0))}] ` +
    `var_off=(${h(big(b.varOff.vh, b.varOff.vl))}, ${h(big(b.varOff.mh, b.varOff.ml))})`;
}

/** Whether any range is empty (min above max). */
export function boundsInvalid(b: Bounds): boolean {
  return ult64(b.umaxHi, b.umaxLo, b.uminHi, b.uminLo) || slt64(b.smaxHi, b.smaxLo, b.sminHi, b.sminLo) ||
    b.u32max >>> 0 < b.u32min >>> 0 || b.s32max < b.s32min;
}

/** After a 32-bit operation the upper half is zero: rebuild the 64-bit view from the 32-bit one (zext_32_to_64). */
export function zext32(b: Bounds): void {
  b.varOff = tSubreg(b.varOff);
  b.uminHi = 0; b.uminLo = b.u32min; b.umaxHi = 0; b.umaxLo = b.u32max;
  // signed 32-bit bounds carry over only when both are non-negative; otherwise refine from the tnum later
  if (b.s32min >= 0 && b.s32max >= 0) { b.sminHi = 0; b.sminLo = b.s32min; b.smaxHi = 0; b.smaxLo = b.s32max; }
  else { b.sminHi = 0; b.sminLo = 0; b.smaxHi = 0; b.smaxLo = -1; }
}

// ---- ALU transfer functions ----

/** s32 range add/sub: the exact result, or unbounded when either end overflows. */
function s32AddSub(dst: Bounds, lo: number, hi: number): void {
  if (lo < I32_MIN || lo > I32_MAX || hi < I32_MIN || hi > I32_MAX) { dst.s32min = I32_MIN; dst.s32max = I32_MAX; }
  else { dst.s32min = lo; dst.s32max = hi; }
}
/** u32 range add/sub (6.16+): exact when no end or both ends wrap, unbounded when only one does. */
function u32AddSub(dst: Bounds, lo: number, hi: number, add: boolean): void {
  const loWraps = add ? lo > 0xffffffff : lo < 0;
  const hiWraps = add ? hi > 0xffffffff : hi < 0;
  if (add ? !loWraps && hiWraps : loWraps && !hiWraps) { dst.u32min = 0; dst.u32max = -1; return; }
  dst.u32min = lo | 0; dst.u32max = hi | 0;
}

function scalarAdd(dst: Bounds, src: Bounds): void {
  s32AddSub(dst, dst.s32min + src.s32min, dst.s32max + src.s32max);
  u32AddSub(dst, (dst.u32min >>> 0) + (src.u32min >>> 0), (dst.u32max >>> 0) + (src.u32max >>> 0), true);
  // s64: each end, unbounded if either overflows (same-sign operands giving the other sign)
  add64(dst.sminHi, dst.sminLo, src.sminHi, src.sminLo);
  const lh = rh(), ll = rl();
  const ovLo = ((dst.sminHi ^ lh) & (src.sminHi ^ lh)) < 0;
  add64(dst.smaxHi, dst.smaxLo, src.smaxHi, src.smaxLo);
  const hh = rh(), hl = rl();
  const ovHi = ((dst.smaxHi ^ hh) & (src.smaxHi ^ hh)) < 0;
  if (ovLo || ovHi) { dst.sminHi = I32_MIN; dst.sminLo = 0; dst.smaxHi = I32_MAX; dst.smaxLo = -1; }
  else { dst.sminHi = lh; dst.sminLo = ll; dst.smaxHi = hh; dst.smaxLo = hl; }
  // u64: carry out of each end
  add64(dst.uminHi, dst.uminLo, src.uminHi, src.uminLo);
  const nlh = rh(), nll = rl();
  const loWraps = ult64(nlh, nll, dst.uminHi, dst.uminLo);
  add64(dst.umaxHi, dst.umaxLo, src.umaxHi, src.umaxLo);
  const nhh = rh(), nhl = rl();
  const hiWraps = ult64(nhh, nhl, dst.umaxHi, dst.umaxLo);
  if (!loWraps && hiWraps) { dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1; }
  else { dst.uminHi = nlh; dst.uminLo = nll; dst.umaxHi = nhh; dst.umaxLo = nhl; }
  dst.varOff = tAdd(dst.varOff, src.varOff);
}

function scalarSub(dst: Bounds, src: Bounds): void {
  s32AddSub(dst, dst.s32min - src.s32max, dst.s32max - src.s32min);
  u32AddSub(dst, (dst.u32min >>> 0) - (src.u32max >>> 0), (dst.u32max >>> 0) - (src.u32min >>> 0), false);
  // s64: overflow when the operands' signs differ and the result's differs from the minuend's
  sub64(dst.sminHi, dst.sminLo, src.smaxHi, src.smaxLo);
  const lh = rh(), ll = rl();
  const ovLo = ((dst.sminHi ^ src.smaxHi) & (dst.sminHi ^ lh)) < 0;
  sub64(dst.smaxHi, dst.smaxLo, src.sminHi, src.sminLo);
  const hh = rh(), hl = rl();
  const ovHi = ((dst.smaxHi ^ src.sminHi) & (dst.smaxHi ^ hh)) < 0;
  if (ovLo || ovHi) { dst.sminHi = I32_MIN; dst.sminLo = 0; dst.smaxHi = I32_MAX; dst.smaxLo = -1; }
  else { dst.sminHi = lh; dst.sminLo = ll; dst.smaxHi = hh; dst.smaxLo = hl; }
  // u64: borrow out of each end
  const loWraps = ult64(dst.uminHi, dst.uminLo, src.umaxHi, src.umaxLo);
  const hiWraps = ult64(dst.umaxHi, dst.umaxLo, src.uminHi, src.uminLo);
  sub64(dst.uminHi, dst.uminLo, src.umaxHi, src.umaxLo);
  const nlh = rh(), nll = rl();
  sub64(dst.umaxHi, dst.umaxLo, src.uminHi, src.uminLo);
  if (loWraps && !hiWraps) { dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1; }
  else { dst.uminHi = nlh; dst.uminLo = nll; dst.umaxHi = rh(); dst.umaxLo = rl(); }
  dst.varOff = tSub(dst.varOff, src.varOff);
}

/** 6.14+ multiplication: products of the range ends, unless one of them may overflow (bigint: a rare op). */
function scalarMul(dst: Bounds, src: Bounds): void {
  dst.varOff = tMul(dst.varOff, src.varOff);
  const du32min = u32minOf(dst), du32max = u32maxOf(dst), su32min = u32minOf(src), su32max = u32maxOf(src);
  const umx32 = du32max * su32max, umn32 = du32min * su32min;
  if (umx32 > U32 || umn32 > U32) { dst.u32min = 0; dst.u32max = -1; } else { dst.u32min = loOf(umn32); dst.u32max = loOf(umx32); }
  const a32 = BigInt(dst.s32min), b32 = BigInt(dst.s32max), c32 = BigInt(src.s32min), d32 = BigInt(src.s32max);
  const p32 = [a32 * c32, a32 * d32, b32 * c32, b32 * d32];
  if (p32.some((x) => x < S32_MIN || x > S32_MAX)) { dst.s32min = I32_MIN; dst.s32max = I32_MAX; }
  else { dst.s32min = Number(p32.reduce((m, x) => (x < m ? x : m))) | 0; dst.s32max = Number(p32.reduce((m, x) => (x > m ? x : m))) | 0; }
  const umx = umaxOf(dst) * umaxOf(src), umn = uminOf(dst) * uminOf(src);
  if (umx > U64 || umn > U64) { dst.uminHi = dst.uminLo = 0; dst.umaxHi = dst.umaxLo = -1; } else { setUmin(dst, umn); setUmax(dst, umx); }
  const a = sminOf(dst), b = smaxOf(dst), c = sminOf(src), d = smaxOf(src);
  const p64 = [a * c, a * d, b * c, b * d];
  if (p64.some((x) => x < S64_MIN || x > S64_MAX)) { dst.sminHi = I32_MIN; dst.sminLo = 0; dst.smaxHi = I32_MAX; dst.smaxLo = -1; }
  else { setSmin(dst, p64.reduce((m, x) => (x < m ? x : m))); setSmax(dst, p64.reduce((m, x) => (x > m ? x : m))); }
}

function scalarBitwise(op: "and" | "or" | "xor", dst: Bounds, src: Bounds): void {
  const srcK32 = isSubregConst(src), dstK32 = isSubregConst(dst), srcK = isConst(src), dstK = isConst(dst);
  dst.varOff = op === "and" ? tAnd(dst.varOff, src.varOff) : op === "or" ? tOr(dst.varOff, src.varOff) : tXor(dst.varOff, src.varOff);
  const v = dst.varOff;
  if (srcK32 && dstK32) mark32Known(dst, v.vl);
  else {
    if (op === "and") { dst.u32min = v.vl; dst.u32max = umin32(dst.u32max, src.u32max); }
    else if (op === "or") { dst.u32min = umax32(dst.u32min, src.u32min); dst.u32max = v.vl | v.ml; }
    else { dst.u32min = v.vl; dst.u32max = v.vl | v.ml; }
    if (dst.u32min <= dst.u32max) { dst.s32min = dst.u32min; dst.s32max = dst.u32max; }
    else { dst.s32min = I32_MIN; dst.s32max = I32_MAX; }
  }
  if (srcK && dstK) markKnownHL(dst, dst.varOff.vh, dst.varOff.vl);
  else {
    const t = dst.varOff;
    if (op === "and") {
      dst.uminHi = t.vh; dst.uminLo = t.vl;
      if (ult64(src.umaxHi, src.umaxLo, dst.umaxHi, dst.umaxLo)) { dst.umaxHi = src.umaxHi; dst.umaxLo = src.umaxLo; }
    } else if (op === "or") {
      if (ult64(dst.uminHi, dst.uminLo, src.uminHi, src.uminLo)) { dst.uminHi = src.uminHi; dst.uminLo = src.uminLo; }
      dst.umaxHi = t.vh | t.mh; dst.umaxLo = t.vl | t.ml;
    } else {
      dst.uminHi = t.vh; dst.uminLo = t.vl; dst.umaxHi = t.vh | t.mh; dst.umaxLo = t.vl | t.ml;
    }
    if (sle64(dst.uminHi, dst.uminLo, dst.umaxHi, dst.umaxLo)) { dst.sminHi = dst.uminHi; dst.sminLo = dst.uminLo; dst.smaxHi = dst.umaxHi; dst.smaxLo = dst.umaxLo; }
    else { dst.sminHi = I32_MIN; dst.sminLo = 0; dst.smaxHi = I32_MAX; dst.smaxLo = -1; }
    updateBounds(dst);
  }
}

/** __scalar32_min_max_lsh with the shift amount's range [lo, hi] (the 64-bit bounds of the source). */
function lsh32(dst: Bounds, lo: number, hi: number): void {
  dst.s32min = I32_MIN; dst.s32max = I32_MAX;
  if (hi > 31 || dst.u32max >>> 0 > 2 ** (31 - hi)) { dst.u32min = 0; dst.u32max = -1; }
  else { dst.u32min = dst.u32min << lo; dst.u32max = dst.u32max << hi; }
}

/**
 * ALU transfer functions on scalars (adjust_scalar_min_max_vals). `op` is add, sub, mul, and, or, xor,
 * lsh, rsh or arsh; anything else (or a shift by an unknown or too large amount) makes dst unknown.
 */
export function scalarAlu(op: string, alu32: boolean, dst: Bounds, src: Bounds): void {
  switch (op) {
    case "add": scalarAdd(dst, src); break;
    case "sub": scalarSub(dst, src); break;
    case "mul": scalarMul(dst, src); break;
    case "and": case "or": case "xor": scalarBitwise(op, dst, src); break;
    case "lsh": case "rsh": case "arsh": {
      const srcConst = alu32 ? isSubregConst(src) && src.s32min === src.s32max && src.u32min === src.u32max
        : isConst(src) && src.sminHi === src.smaxHi && src.sminLo === src.smaxLo && src.uminHi === src.umaxHi && src.uminLo === src.umaxLo;
      // is_safe_to_compute_dst_reg_range: a constant amount below the width (its u64 bound)
      if (!srcConst || src.umaxHi !== 0 || src.umaxLo >>> 0 >= (alu32 ? 32 : 64)) { markUnknown(dst); return; }
      shiftAlu(op, alu32, dst, src);
      break;
    }
    default: markUnknown(dst); return;
  }
  if (alu32) zext32(dst);
  syncBounds(dst);
}

function shiftAlu(op: "lsh" | "rsh" | "arsh", alu32: boolean, dst: Bounds, src: Bounds): void {
  if (op === "lsh") {
    // amounts below 64 (checked by the caller) sit in the low halves
    const lo = alu32 ? src.u32min >>> 0 : src.uminLo >>> 0, hi = alu32 ? src.u32max >>> 0 : src.umaxLo >>> 0;
    if (alu32) {
      const sub = tSubreg(dst.varOff);
      lsh32(dst, lo, hi);
      dst.varOff = tSubreg(tLshift(sub, lo));
      mark64Unbounded(dst);
      update32(dst);
    } else {
      if (lo === 32 && hi === 32) { dst.smaxHi = dst.s32max; dst.smaxLo = 0; dst.sminHi = dst.s32min; dst.sminLo = 0; }
      else { dst.sminHi = I32_MIN; dst.sminLo = 0; dst.smaxHi = I32_MAX; dst.smaxLo = -1; }
      // umax > 1 << (63 - hi): overflow possible
      shl64(0, 1, 63 - hi);
      if (ult64(rh(), rl(), dst.umaxHi, dst.umaxLo)) { dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1; }
      else {
        shl64(dst.uminHi, dst.uminLo, lo); dst.uminHi = rh(); dst.uminLo = rl();
        shl64(dst.umaxHi, dst.umaxLo, hi); dst.umaxHi = rh(); dst.umaxLo = rl();
      }
      lsh32(dst, lo, hi);
      dst.varOff = tLshift(dst.varOff, lo);
      updateBounds(dst);
    }
    return;
  }
  if (op === "rsh") {
    if (alu32) {
      const sub = tSubreg(dst.varOff);
      dst.s32min = I32_MIN; dst.s32max = I32_MAX;
      dst.varOff = tRshift(sub, src.u32min >>> 0);
      dst.u32min = (dst.u32min >>> (src.u32max >>> 0)) | 0; dst.u32max = (dst.u32max >>> (src.u32min >>> 0)) | 0;
      mark64Unbounded(dst);
      update32(dst);
    } else {
      dst.sminHi = I32_MIN; dst.sminLo = 0; dst.smaxHi = I32_MAX; dst.smaxLo = -1;
      dst.varOff = tRshift(dst.varOff, src.uminLo >>> 0);
      shr64(dst.uminHi, dst.uminLo, src.umaxLo >>> 0); dst.uminHi = rh(); dst.uminLo = rl();
      shr64(dst.umaxHi, dst.umaxLo, src.uminLo >>> 0); dst.umaxHi = rh(); dst.umaxLo = rl();
      mark32Unbounded(dst);
      updateBounds(dst);
    }
    return;
  }
  if (alu32) {
    const sh = src.u32min >>> 0;
    // the kernel stores the shifted s32 through a u32 cast: same bits, reinterpreted as s32
    dst.s32min >>= sh; dst.s32max >>= sh;
    dst.varOff = tArshift(tSubreg(dst.varOff), sh, 32);
    dst.u32min = 0; dst.u32max = -1;
    mark64Unbounded(dst);
    update32(dst);
  } else {
    const sh = src.uminLo >>> 0;
    sar64(dst.sminHi, dst.sminLo, sh); dst.sminHi = rh(); dst.sminLo = rl();
    sar64(dst.smaxHi, dst.smaxLo, sh); dst.smaxHi = rh(); dst.smaxLo = rl();
    dst.varOff = tArshift(dst.varOff, sh, 64);
    dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1;
    mark32Unbounded(dst);
    updateBounds(dst);
  }
}

/** Every range and the tnum equal (the bounds part of regs_exact). */
export function boundsEqual(a: Bounds, b: Bounds): boolean {
  const x = a.varOff, y = b.varOff;
  return x.vh === y.vh && x.vl === y.vl && x.mh === y.mh && x.ml === y.ml && a.uminHi === b.uminHi && a.uminLo === b.uminLo &&
    a.umaxHi === b.umaxHi && a.umaxLo === b.umaxLo && a.sminHi === b.sminHi && a.sminLo === b.sminLo && a.smaxHi === b.smaxHi &&
    a.smaxLo === b.smaxLo && a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max;
}

/** range_within: every range of `c` lies inside the same range of `o`. */
export function rangeWithin(o: Bounds, c: Bounds): boolean {
  return ule64(o.uminHi, o.uminLo, c.uminHi, c.uminLo) && ule64(c.umaxHi, c.umaxLo, o.umaxHi, o.umaxLo) &&
    sle64(o.sminHi, o.sminLo, c.sminHi, c.sminLo) && sle64(c.smaxHi, c.smaxLo, o.smaxHi, o.smaxLo) &&
    o.u32min >>> 0 <= c.u32min >>> 0 && o.u32max >>> 0 >= c.u32max >>> 0 && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

/** Truncate a scalar to `size` bytes (coerce_reg_to_size): narrow loads, 32-bit moves. */
export function coerceToSize(b: Bounds, size: number): void {
  b.varOff = tCast(b.varOff, size);
  if (size === 4) {
    if (b.uminHi === b.umaxHi) { b.uminHi = 0; b.umaxHi = 0; }
    else { b.uminHi = 0; b.uminLo = 0; b.umaxHi = 0; b.umaxLo = -1; }
  } else {
    const m = size === 1 ? 0xff : 0xffff;
    if (b.uminHi === b.umaxHi && (b.uminLo & ~m) === (b.umaxLo & ~m)) { b.uminHi = 0; b.uminLo &= m; b.umaxHi = 0; b.umaxLo &= m; }
    else { b.uminHi = 0; b.uminLo = 0; b.umaxHi = 0; b.umaxLo = m; }
  }
  b.sminHi = b.uminHi; b.sminLo = b.uminLo; b.smaxHi = b.umaxHi; b.smaxLo = b.umaxLo;
  // below 32 bits the subregister was truncated too: let the sync rebuild it from the 64-bit view
  if (size < 4) mark32Unbounded(b);
  syncBounds(b);
}

/** Sign-extend the low `bits` (8, 16, 32) of an int32 bit pattern. */
export const sext32 = (x: number, bits: number): number => (bits >= 32 ? x | 0 : (x << (32 - bits)) >> (32 - bits));

export { tconstHL, U32, U64 };
