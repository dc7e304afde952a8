// ORACLE for test/verifier/scalar-oracle.test.ts: src/verifier/scalar.ts as it was before issue #11 (bigint
// bounds), with one fix where the old code left canonical form (deduceMixed on contradictory s32 bounds).
//
// Scalar value tracking: a tnum (var_off) plus signed/unsigned 64- and 32-bit ranges, kept consistent
// with each other the way the kernel's reg_bounds_sync() does, and the ALU transfer functions of
// adjust_scalar_min_max_vals(). All numbers are bigints in canonical form: s64/s32 as signed values,
// u64/u32 as unsigned values, so comparisons need no casts at the call sites.
import { type Tnum, TNUM_UNKNOWN, U32, U64, tAdd, tAnd, tArshift, tCast, tClearSubreg, tconst, tIntersect, tIsConst,
  tLshift, tMul, tOr, tRshift, tStep, tSub, tSubreg, tXor, tnumRange } from "./tnum-bigint.js";

export const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n;
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export interface Bounds {
  varOff: Tnum;
  smin: bigint; smax: bigint; umin: bigint; umax: bigint;
  s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
}

export function unboundedBounds(): Bounds {
  return { varOff: TNUM_UNKNOWN, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64, s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32 };
}
export function knownBounds(v: bigint): Bounds {
  const b = unboundedBounds();
  markKnown(b, v);
  return b;
}
export const copyBounds = (b: Bounds): Bounds => ({ varOff: b.varOff, smin: b.smin, smax: b.smax, umin: b.umin, umax: b.umax,
  s32min: b.s32min, s32max: b.s32max, u32min: b.u32min, u32max: b.u32max });
export function assignBounds(dst: Bounds, src: Bounds): void {
  dst.varOff = src.varOff; dst.smin = src.smin; dst.smax = src.smax; dst.umin = src.umin; dst.umax = src.umax;
  dst.s32min = src.s32min; dst.s32max = src.s32max; dst.u32min = src.u32min; dst.u32max = src.u32max;
}

export function markKnown(b: Bounds, v: bigint): void {
  b.varOff = tconst(v);
  b.smin = b.smax = s64(v); b.umin = b.umax = u64(v);
  b.s32min = b.s32max = s32(v); b.u32min = b.u32max = u32(v);
}
export function mark32Known(b: Bounds, v: bigint): void {
  b.varOff = tOr(tClearSubreg(b.varOff), tconst(u32(v)));
  b.s32min = b.s32max = s32(v); b.u32min = b.u32max = u32(v);
}
export function mark64Unbounded(b: Bounds): void { b.smin = S64_MIN; b.smax = S64_MAX; b.umin = 0n; b.umax = U64; }
export function mark32Unbounded(b: Bounds): void { b.s32min = S32_MIN; b.s32max = S32_MAX; b.u32min = 0n; b.u32max = U32; }
export function markUnbounded(b: Bounds): void { mark64Unbounded(b); mark32Unbounded(b); }
export function markUnknown(b: Bounds): void { b.varOff = TNUM_UNKNOWN; markUnbounded(b); }

export const isConst = (b: Bounds): boolean => tIsConst(b.varOff);
export const isSubregConst = (b: Bounds): boolean => tSubreg(b.varOff).mask === 0n;
export const isUnbounded = (b: Bounds): boolean => b.smin === S64_MIN && b.smax === S64_MAX && b.umin === 0n && b.umax === U64 &&
  b.s32min === S32_MIN && b.s32max === S32_MAX && b.u32min === 0n && b.u32max === U32;

function update32(b: Bounds): void {
  const v = tSubreg(b.varOff);
  b.s32min = max(b.s32min, s32(v.value | (v.mask & 0x80000000n)));
  b.s32max = min(b.s32max, s32(v.value | (v.mask & 0x7fffffffn)));
  b.u32min = max(b.u32min, v.value);
  b.u32max = min(b.u32max, v.value | v.mask);
}
function update64(b: Bounds): void {
  const v = b.varOff;
  b.smin = max(b.smin, s64(v.value | (v.mask & (1n << 63n))));
  b.smax = min(b.smax, s64(v.value | (v.mask & S64_MAX)));
  b.umin = max(b.umin, v.value);
  b.umax = min(b.umax, v.value | v.mask);
  // the u64 range and the tnum may overlap in a single value: then the register is that constant. Done
  // exactly as the kernel does it, also when the bounds are already contradictory (umin past the tnum's
  // largest member, or a constant tnum outside the range): the kernel then makes the register that
  // constant rather than finding the branch dead, and walks on.
  const next = kernelTnumStep(v, b.umin);
  const uminIn = (b.umin & ~v.mask) === v.value;
  const tmax = v.value | v.mask;
  if (uminIn && next > b.umax) markKnown(b, b.umin);
  else if (!uminIn && next === tmax) markKnown(b, tmax);
  else if (!uminIn && next <= b.umax && kernelTnumStep(v, next) > b.umax) markKnown(b, next);
}

/**
 * The kernel's tnum_step(t, z): the smallest member of t greater than z, except that it answers t's
 * largest member when z is at or past it (there is no greater one), and t's smallest when z is below it.
 */
function kernelTnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  return tStep(t, z)!; // z < tmax: a greater member exists
}
export function updateBounds(b: Bounds): void { update32(b); update64(b); }

/** Learn 32-bit bounds from 64-bit ones where the upper halves pin them down (__reg32_deduce_bounds). */
function deduce32(b: Bounds): void {
  if (b.umin >> 32n === b.umax >> 32n) {
    b.u32min = max(b.u32min, u32(b.umin));
    b.u32max = min(b.u32max, u32(b.umax));
    if (s32(b.umin) <= s32(b.umax)) {
      b.s32min = max(b.s32min, s32(b.umin));
      b.s32max = min(b.s32max, s32(b.umax));
    }
  }
  if (b.smin >> 32n === b.smax >> 32n) {
    if (u32(b.smin) <= u32(b.smax)) {
      b.u32min = max(b.u32min, u32(b.smin));
      b.u32max = min(b.u32max, u32(b.smax));
    }
    if (s32(b.smin) <= s32(b.smax)) {
      b.s32min = max(b.s32min, s32(b.smin));
      b.s32max = min(b.s32max, s32(b.smax));
    }
  }
  // Upper halves differ by one and the range crosses the 32-bit sign boundary: still a valid s32 range.
  if (u32((b.umin >> 32n) + 1n) === u32(b.umax >> 32n) && s32(b.umin) < 0n && s32(b.umax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.umin));
    b.s32max = min(b.s32max, s32(b.umax));
  }
  if (u32((b.smin >> 32n) + 1n) === u32(b.smax >> 32n) && s32(b.smin) < 0n && s32(b.smax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.smin));
    b.s32max = min(b.s32max, s32(b.smax));
  }
  if (s32(b.u32min) <= s32(b.u32max)) {
    b.s32min = max(b.s32min, s32(b.u32min));
    b.s32max = min(b.s32max, s32(b.u32max));
  }
  if (u32(b.s32min) <= u32(b.s32max)) {
    b.u32min = max(u32(b.s32min), b.u32min);
    b.u32max = min(u32(b.s32max), b.u32max);
  } else if (b.u32max < u32(b.s32min)) {
    b.s32min = s32(b.u32min);
    b.u32max = min(b.u32max, u32(b.s32max));
  } else if (u32(b.s32max) < b.u32min) {
    b.s32max = s32(b.u32max);
    b.u32min = max(b.u32min, u32(b.s32min));
  }
}

function deduce64(b: Bounds): void {
  if (s64(b.umin) <= s64(b.umax)) {
    b.smin = max(b.smin, s64(b.umin));
    b.smax = min(b.smax, s64(b.umax));
  }
  if (u64(b.smin) <= u64(b.smax)) {
    b.umin = max(u64(b.smin), b.umin);
    b.umax = min(u64(b.smax), b.umax);
  } else if (b.umax < u64(b.smin)) {
    b.smin = s64(b.umin);
    b.umax = min(b.umax, u64(b.smax));
  } else if (u64(b.smax) < b.umin) {
    b.smax = s64(b.umax);
    b.umin = max(b.umin, u64(b.smin));
  }
}

/** Feed the 32-bit bounds back into the low halves of the 64-bit ones (__reg_deduce_mixed_bounds). */
function deduceMixed(b: Bounds): void {
  const HI = ~0xffffffffn;
  b.umin = max(b.umin, u64((b.umin & HI) | b.u32min));
  b.umax = min(b.umax, u64((b.umax & HI) | b.u32max));
  b.smin = max(b.smin, s64((b.smin & HI) | b.u32min));
  b.smax = min(b.smax, s64((b.smax & HI) | b.u32max));
  if (u32(b.s32min) <= u32(b.s32max)) {
    b.umin = max(b.umin, u64((b.umin & HI) | u32(b.s32min)));
    b.umax = min(b.umax, u64((b.umax & HI) | u32(b.s32max)));
    b.smin = max(b.smin, s64((b.smin & HI) | u32(b.s32min)));
    b.smax = min(b.smax, s64((b.smax & HI) | u32(b.s32max)));
  }
  if (b.s32min >= 0n && b.smin >= S32_MIN && b.smax <= S32_MAX) {
    // (oracle fix, as the kernel: s32 -> u64 sign-extends, tnum_range takes u64)
    b.smin = b.s32min; b.smax = b.s32max; b.umin = u64(b.s32min); b.umax = u64(b.s32max);
    b.varOff = tIntersect(b.varOff, tnumRange(u64(b.smin), u64(b.smax)));
  }
}

function deduce(b: Bounds): void { deduce32(b); deduce64(b); deduceMixed(b); }

/** The kernel's three deduction rounds; a round that changes nothing would leave every later one unchanged too. */
function deduceRounds(b: Bounds): void {
  for (let round = 0; round < 3; round++) {
    const { varOff, smin, smax, umin, umax, s32min, s32max, u32min, u32max } = b;
    deduce(b);
    if (b.smin === smin && b.smax === smax && b.umin === umin && b.umax === umax && b.s32min === s32min && b.s32max === s32max &&
      b.u32min === u32min && b.u32max === u32max && b.varOff.value === varOff.value && b.varOff.mask === varOff.mask) return;
  }
}

function boundOffset(b: Bounds): void {
  const v64 = tIntersect(b.varOff, tnumRange(b.umin, b.umax));
  const v32 = tIntersect(tSubreg(v64), tnumRange(b.u32min, b.u32max));
  b.varOff = tOr(tClearSubreg(v64), v32);
}

/**
 * A known constant whose eight bounds all equal its value is a fixed point of reg_bounds_sync (every step
 * takes the max or min of equal values, and the tnum intersections give the constant back). About half
 * the syncs are on such constants, and checking costs four conversions instead of the ~150 bigint
 * operations of a full sync.
 */
function isSettledConst(b: Bounds): boolean {
  if (b.varOff.mask !== 0n) return false;
  const c = b.varOff.value;
  if (b.umin !== c || b.umax !== c) return false;
  const c64 = s64(c);
  if (b.smin !== c64 || b.smax !== c64) return false;
  const cu32 = u32(c);
  if (b.u32min !== cu32 || b.u32max !== cu32) return false;
  const cs32 = s32(c);
  return b.s32min === cs32 && b.s32max === cs32;
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
  if (b.varOff.mask === 0n) {
    const u = b.varOff.value;
    if (b.umin !== u || b.umax !== u || b.smin !== s64(u) || b.smax !== s64(u)) return "const tnum out of sync with range bounds";
  }
  const sub = tSubreg(b.varOff);
  if (sub.mask === 0n) {
    const u = sub.value;
    if (b.u32min !== u || b.u32max !== u || b.s32min !== s32(u) || b.s32max !== s32(u)) return "const subreg tnum out of sync with range bounds";
  }
  return undefined;
}

/** The kernel's message for a violation: every bound as the C format %#llx / %#x prints it. */
export function invariantReport(b: Bounds): string {
  const h = (v: bigint): string => `0x${v.toString(16)}`;
  return `u64=[${h(b.umin)}, ${h(b.umax)}] s64=[${h(BigInt.asUintN(64, b.smin))}, ${h(BigInt.asUintN(64, b.smax))}] ` +
    `u32=[${h(b.u32min)}, ${h(b.u32max)}] s32=[${h(BigInt.asUintN(32, b.s32min))}, ${h(BigInt.asUintN(32, b.s32max))}] ` +
    `var_off=(${h(b.varOff.value)}, ${h(b.varOff.mask)})`;
}

/** Whether any range is empty (min above max). */
export function boundsInvalid(b: Bounds): boolean {
  return b.umin > b.umax || b.smin > b.smax || b.u32min > b.u32max || b.s32min > b.s32max;
}

/** After a 32-bit operation the upper half is zero: rebuild the 64-bit view from the 32-bit one (zext_32_to_64). */
export function zext32(b: Bounds): void {
  b.varOff = tSubreg(b.varOff);
  b.umin = b.u32min; b.umax = b.u32max;
  // signed 32-bit bounds carry over only when both are non-negative; otherwise refine from the tnum later
  if (b.s32min >= 0n && b.s32max >= 0n) { b.smin = b.s32min; b.smax = b.s32max; } else { b.smin = 0n; b.smax = U32; }
}

/** Unsigned add/sub bounds: exact when no end or both ends wrap around, unbounded when only one does. */
function wrapRange(b: Bounds, lo: "umin" | "u32min", hi: "umax" | "u32max", newLo: bigint, newHi: bigint, max: bigint, add: boolean): void {
  const loWraps = add ? newLo > max : newLo < 0n;
  const hiWraps = add ? newHi > max : newHi < 0n;
  if (add ? !loWraps && hiWraps : loWraps && !hiWraps) { b[lo] = 0n; b[hi] = max; return; }
  b[lo] = newLo & max;
  b[hi] = newHi & max;
}

const addOv = (a: bigint, c: bigint, lo: bigint, hi: bigint): bigint | undefined => { const r = a + c; return r < lo || r > hi ? undefined : r; };

/** ALU transfer functions on scalars (adjust_scalar_min_max_vals). Returns false when the result is simply unknown. */
export function scalarAlu(op: string, alu32: boolean, dst: Bounds, src: Bounds): void {
  const bits = alu32 ? 32n : 64n;
  let srcConst: boolean;
  if (alu32) srcConst = isSubregConst(src) && src.s32min === src.s32max && src.u32min === src.u32max;
  else srcConst = isConst(src) && src.smin === src.smax && src.umin === src.umax;
  const safe = ["add", "sub", "and", "xor", "or", "mul"].includes(op) || (["lsh", "rsh", "arsh"].includes(op) && srcConst && src.umax < bits);
  if (!safe) { markUnknown(dst); return; }
  switch (op) {
    case "add": {
      let a = addOv(dst.s32min, src.s32min, S32_MIN, S32_MAX), c = addOv(dst.s32max, src.s32max, S32_MIN, S32_MAX);
      if (a === undefined || c === undefined) { dst.s32min = S32_MIN; dst.s32max = S32_MAX; } else { dst.s32min = a; dst.s32max = c; }
      // unsigned (6.16+): when both ends wrap, the wrapped range is still exact; only a partial wrap loses it
      wrapRange(dst, "u32min", "u32max", dst.u32min + src.u32min, dst.u32max + src.u32max, U32, true);
      a = addOv(dst.smin, src.smin, S64_MIN, S64_MAX); c = addOv(dst.smax, src.smax, S64_MIN, S64_MAX);
      if (a === undefined || c === undefined) { dst.smin = S64_MIN; dst.smax = S64_MAX; } else { dst.smin = a; dst.smax = c; }
      wrapRange(dst, "umin", "umax", dst.umin + src.umin, dst.umax + src.umax, U64, true);
      dst.varOff = tAdd(dst.varOff, src.varOff);
      break;
    }
    case "sub": {
      let a = addOv(dst.s32min, -src.s32max, S32_MIN, S32_MAX), c = addOv(dst.s32max, -src.s32min, S32_MIN, S32_MAX);
      if (a === undefined || c === undefined) { dst.s32min = S32_MIN; dst.s32max = S32_MAX; } else { dst.s32min = a; dst.s32max = c; }
      wrapRange(dst, "u32min", "u32max", dst.u32min - src.u32max, dst.u32max - src.u32min, U32, false);
      a = addOv(dst.smin, -src.smax, S64_MIN, S64_MAX); c = addOv(dst.smax, -src.smin, S64_MIN, S64_MAX);
      if (a === undefined || c === undefined) { dst.smin = S64_MIN; dst.smax = S64_MAX; } else { dst.smin = a; dst.smax = c; }
      wrapRange(dst, "umin", "umax", dst.umin - src.umax, dst.umax - src.umin, U64, false);
      dst.varOff = tSub(dst.varOff, src.varOff);
      break;
    }
    case "mul": {
      // 6.14+: products of the range ends, unless one of them may overflow
      dst.varOff = tMul(dst.varOff, src.varOff);
      const ovU = (x: bigint, lim: bigint): boolean => x > lim;
      const umx32 = dst.u32max * src.u32max, umn32 = dst.u32min * src.u32min;
      if (ovU(umx32, U32) || ovU(umn32, U32)) { dst.u32min = 0n; dst.u32max = U32; } else { dst.u32min = umn32; dst.u32max = umx32; }
      const p32 = [dst.s32min * src.s32min, dst.s32min * src.s32max, dst.s32max * src.s32min, dst.s32max * src.s32max];
      if (p32.some((x) => x < S32_MIN || x > S32_MAX)) { dst.s32min = S32_MIN; dst.s32max = S32_MAX; }
      else { dst.s32min = p32.reduce((m, x) => (x < m ? x : m)); dst.s32max = p32.reduce((m, x) => (x > m ? x : m)); }
      const umx = dst.umax * src.umax, umn = dst.umin * src.umin;
      if (ovU(umx, U64) || ovU(umn, U64)) { dst.umin = 0n; dst.umax = U64; } else { dst.umin = umn; dst.umax = umx; }
      const p64 = [dst.smin * src.smin, dst.smin * src.smax, dst.smax * src.smin, dst.smax * src.smax];
      if (p64.some((x) => x < S64_MIN || x > S64_MAX)) { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      else { dst.smin = p64.reduce((m, x) => (x < m ? x : m)); dst.smax = p64.reduce((m, x) => (x > m ? x : m)); }
      break;
    }
    case "and": case "or": case "xor": {
      const tf = op === "and" ? tAnd : op === "or" ? tOr : tXor;
      const srcK32 = isSubregConst(src), dstK32 = isSubregConst(dst), srcK = isConst(src), dstK = isConst(dst);
      dst.varOff = tf(dst.varOff, src.varOff);
      const v32 = tSubreg(dst.varOff);
      if (srcK32 && dstK32) { mark32Known(dst, v32.value); }
      else {
        if (op === "and") { dst.u32min = v32.value; dst.u32max = min(dst.u32max, src.u32max); }
        else if (op === "or") { dst.u32min = max(dst.u32min, src.u32min); dst.u32max = v32.value | v32.mask; }
        else { dst.u32min = v32.value; dst.u32max = v32.value | v32.mask; }
        if (s32(dst.u32min) <= s32(dst.u32max)) { dst.s32min = s32(dst.u32min); dst.s32max = s32(dst.u32max); }
        else { dst.s32min = S32_MIN; dst.s32max = S32_MAX; }
      }
      if (srcK && dstK) { markKnown(dst, dst.varOff.value); }
      else {
        const v = dst.varOff;
        if (op === "and") { dst.umin = v.value; dst.umax = min(dst.umax, src.umax); }
        else if (op === "or") { dst.umin = max(dst.umin, src.umin); dst.umax = v.value | v.mask; }
        else { dst.umin = v.value; dst.umax = v.value | v.mask; }
        if (s64(dst.umin) <= s64(dst.umax)) { dst.smin = s64(dst.umin); dst.smax = s64(dst.umax); }
        else { dst.smin = S64_MIN; dst.smax = S64_MAX; }
        updateBounds(dst);
      }
      break;
    }
    case "lsh": {
      const lo = alu32 ? src.u32min : src.umin, hi = alu32 ? src.u32max : src.umax;
      const lsh32 = (): void => {
        dst.s32min = S32_MIN; dst.s32max = S32_MAX;
        if (hi > 31n || dst.u32max > 1n << (31n - hi)) { dst.u32min = 0n; dst.u32max = U32; }
        else { dst.u32min = u32(dst.u32min << lo); dst.u32max = u32(dst.u32max << hi); }
      };
      if (alu32) {
        const sub = tSubreg(dst.varOff);
        lsh32();
        dst.varOff = tSubreg(tLshift(sub, Number(lo)));
        mark64Unbounded(dst);
        update32(dst);
      } else {
        if (lo === 32n && hi === 32n) { dst.smax = dst.s32max << 32n; dst.smin = dst.s32min << 32n; }
        else { dst.smax = S64_MAX; dst.smin = S64_MIN; }
        if (dst.umax > 1n << (63n - hi)) { dst.umin = 0n; dst.umax = U64; }
        else { dst.umin = u64(dst.umin << lo); dst.umax = u64(dst.umax << hi); }
        lsh32();
        dst.varOff = tLshift(dst.varOff, Number(lo));
        updateBounds(dst);
      }
      break;
    }
    case "rsh": {
      if (alu32) {
        const sub = tSubreg(dst.varOff);
        dst.s32min = S32_MIN; dst.s32max = S32_MAX;
        dst.varOff = tRshift(sub, Number(src.u32min));
        dst.u32min >>= src.u32max; dst.u32max >>= src.u32min;
        mark64Unbounded(dst);
        update32(dst);
      } else {
        dst.smin = S64_MIN; dst.smax = S64_MAX;
        dst.varOff = tRshift(dst.varOff, Number(src.umin));
        dst.umin >>= src.umax; dst.umax >>= src.umin;
        mark32Unbounded(dst);
        updateBounds(dst);
      }
      break;
    }
    case "arsh": {
      if (alu32) {
        const sh = src.u32min;
        // the kernel stores the shifted s32 through a u32 cast: same bits, reinterpreted as s32
        dst.s32min = s32(dst.s32min >> sh); dst.s32max = s32(dst.s32max >> sh);
        dst.varOff = tArshift(tSubreg(dst.varOff), Number(sh), 32);
        dst.u32min = 0n; dst.u32max = U32;
        mark64Unbounded(dst);
        update32(dst);
      } else {
        const sh = src.umin;
        dst.smin >>= sh; dst.smax >>= sh;
        dst.varOff = tArshift(dst.varOff, Number(sh), 64);
        dst.umin = 0n; dst.umax = U64;
        mark32Unbounded(dst);
        updateBounds(dst);
      }
      break;
    }
  }
  if (alu32) zext32(dst);
  syncBounds(dst);
}

/** Truncate a scalar to `size` bytes (coerce_reg_to_size): narrow loads, 32-bit moves. */
export function coerceToSize(b: Bounds, size: number): void {
  b.varOff = tCast(b.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((b.umin & ~mask) === (b.umax & ~mask)) { b.umin &= mask; b.umax &= mask; }
  else { b.umin = 0n; b.umax = mask; }
  b.smin = b.umin; b.smax = b.umax;
  // below 32 bits the subregister was truncated too: let the sync rebuild it from the 64-bit view
  if (size < 4) mark32Unbounded(b);
  syncBounds(b);
}

export { tconst, U32, U64 };
