// Tristate numbers: a 64-bit value where each bit is known 0, known 1 or unknown. `value` holds the
// known-one bits, `mask` the unknown bits (value & mask == 0). This is the kernel's var_off domain
// (kernel/bpf/tnum.c); every operation must over-approximate exactly as the kernel's does, since the
// printed var_off and later bound deductions depend on it.
export interface Tnum { readonly value: bigint; readonly mask: bigint }

export const U64 = (1n << 64n) - 1n;
export const U32 = 0xffffffffn;
const u64 = (x: bigint): bigint => x & U64;

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value: u64(value), mask: u64(mask) });
export const tconst = (v: bigint): Tnum => ({ value: u64(v), mask: 0n });
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };

/** Smallest tnum containing every value of [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = chi === 0n ? 0 : chi.toString(2).length; // index of the highest differing bit + 1
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(min & ~delta, delta);
}

export const tIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tIsUnknown = (a: Tnum): boolean => a.mask === U64;
export const tEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

export const tLshift = (a: Tnum, s: number): Tnum => tnum(a.value << BigInt(s), a.mask << BigInt(s));
export const tRshift = (a: Tnum, s: number): Tnum => tnum(a.value >> BigInt(s), a.mask >> BigInt(s));

/** Arithmetic right shift at `bits` width (32 or 64): the sign bit (known or not) is replicated. */
export function tArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  const sv = bits === 32 ? BigInt.asIntN(32, a.value) : BigInt.asIntN(64, a.value);
  const sm = bits === 32 ? BigInt.asIntN(32, a.mask) : BigInt.asIntN(64, a.mask);
  const w = bits === 32 ? U32 : U64;
  return tnum((sv >> BigInt(s)) & w, (sm >> BigInt(s)) & w);
}

export function tAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu, mu);
}

export function tSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu, mu);
}

export const tNeg = (a: Tnum): Tnum => tSub(tconst(0n), a);

export function tAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v);
}

export function tOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v);
}

export function tXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** Multiplication by long multiplication over the bits of `a`: known-one bits add b's value, unknown bits add uncertainty. */
export function tMul(a: Tnum, b: Tnum): Tnum {
  let accV = tconst(u64(a.value * b.value));
  let accM: Tnum = tconst(0n);
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) accM = tAdd(accM, tnum(0n, y.mask));
    else if ((x.mask & 1n) !== 0n) accM = tAdd(accM, tnum(0n, y.value | y.mask));
    x = tRshift(x, 1);
    y = tLshift(y, 1);
  }
  return tAdd(accV, accM);
}

export function tIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tnum(v & ~mu, mu);
}

/** Truncate to the low `size` bytes. */
export function tCast(a: Tnum, size: number): Tnum {
  if (size >= 8) return a;
  const m = (1n << BigInt(size * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

export const tIsAligned = (a: Tnum, size: number): boolean => size === 0 || ((a.value | a.mask) & BigInt(size - 1)) === 0n;

/** Whether every value of b is a possible value of a. */
export function tIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & ~a.mask);
}

export const tSubreg = (a: Tnum): Tnum => tCast(a, 4);
export const tClearSubreg = (a: Tnum): Tnum => tLshift(tRshift(a, 32), 32);
export const tWithSubreg = (reg: Tnum, sub: Tnum): Tnum => tOr(tClearSubreg(reg), tSubreg(sub));
export const tConstSubreg = (a: Tnum, v: bigint): Tnum => tWithSubreg(a, tconst(v & U32));

/** `(0x..; 0x..)` or the constant, as the kernel's tnum_strn prints it. */
export function tnumStr(a: Tnum): string {
  if (a.mask === 0n) return a.value <= 0xffffn ? a.value.toString() : "0x" + a.value.toString(16);
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}

/** Number of significant bits of x, for 0 <= x < 2^64 (two Number conversions instead of a 64-step loop). */
function bitLength(x: bigint): number {
  const hi = Number(x >> 32n);
  return hi ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(x));
}

/** The k low bits set (module level: tsx wraps a named closure in a costly __name() on every call). */
const lowBits = (k: number): bigint => (1n << BigInt(k)) - 1n;

/** Smallest member of `a` greater than `z`, or undefined when there is none (tnum_step). */
export function tStep(a: Tnum, z: bigint): bigint | undefined {
  const j = z + 1n;
  if (j > U64) return undefined;
  const v = a.value, f = a.mask;
  // highest bit where j disagrees with a fixed bit of the tnum
  const diff = (j ^ v) & ~f;
  if (diff === 0n) return j;
  const b = bitLength(diff) - 1;
  const bitB = 1n << BigInt(b);
  if ((v & bitB) !== 0n) {
    // j has 0 where the tnum has a fixed 1: take j's high part, that 1, and the smallest low part
    return ((j >> BigInt(b + 1)) << BigInt(b + 1)) | bitB | (v & lowBits(b));
  }
  // j has 1 where the tnum has a fixed 0: carry into the lowest free bit above b that is 0 in j
  const free = (f & ~j) >> BigInt(b + 1);
  if (free === 0n) return undefined;
  const k = b + bitLength(free & -free);
  const bit = 1n << BigInt(k);
  return ((j >> BigInt(k + 1)) << BigInt(k + 1)) | bit | (v & lowBits(k));
}
