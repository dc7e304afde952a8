// The abstract domain must be sound: every concrete result of an operation lies inside the abstract
// result (tnum arithmetic, range transfer functions, branch refinement). Property tests with fast-check.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Bounds, copyBounds, knownBounds, scalarAlu, setSmax, setSmin, setUmax, setUmin, s32maxOf, s32minOf, smaxOf, sminOf, syncBounds,
  u32maxOf, u32minOf, umaxOf, uminOf, unboundedBounds, u64, s64, u32, s32 } from "../../src/verifier/scalar.js";
import { tAdd, tAnd, tMul, tOr, tStep, tSub, tValue, tXor, tIn, tconst, tnum, tnumRange, tnumStr, type Tnum } from "../../src/verifier/tnum.js";
import { isBranchTaken } from "../../src/verifier/branch.js";
import { constScalar, unknownScalar, type Reg } from "../../src/verifier/state.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const U64 = (1n << 64n) - 1n;
const big = fc.bigInt({ min: 0n, max: U64 });
/** A tnum and a concrete member of it. */
const member = fc.tuple(big, big, big).map(([v, m, pick]) => {
  const mask = m;
  const value = v & ~mask;
  return { t: tnum(value, mask), x: value | (pick & mask) };
});
const contains = (t: Tnum, x: bigint): boolean => tIn(t, tconst(x));

describe("tnum", () => {
  it("prints like the kernel", () => {
    expect(tnumStr(tnum(0n, 0xffn))).toBe("(0x0; 0xff)");
    expect(tnumStr(tconst(5n))).toBe("5");
    expect(tnumStr(tconst(0x10000n))).toBe("0x10000");
  });
  it("step finds the next member (checked exhaustively on 8-bit tnums)", () => {
    fc.assert(fc.property(fc.nat(255), fc.nat(255), fc.nat(255), (v, m, z) => {
      const t = tnum(BigInt(v & ~m), BigInt(m));
      const got = tStep(t, BigInt(z));
      let want: bigint | undefined;
      for (let x = z + 1; x < 256; x++) if ((x & ~m) === (v & ~m)) { want = BigInt(x); break; }
      return got === want || (want === undefined && got !== undefined && got > 255n);
    }), { numRuns: fuzzRuns(2000) });
  });
  it("range covers its ends", () => {
    fc.assert(fc.property(big, big, (a, b) => {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const t = tnumRange(lo, hi);
      return contains(t, lo) && contains(t, hi);
    }));
  });
  for (const [name, f, g] of [
    ["add", tAdd, (a: bigint, b: bigint) => u64(a + b)], ["sub", tSub, (a: bigint, b: bigint) => u64(a - b)],
    ["mul", tMul, (a: bigint, b: bigint) => u64(a * b)], ["and", tAnd, (a: bigint, b: bigint) => a & b],
    ["or", tOr, (a: bigint, b: bigint) => a | b], ["xor", tXor, (a: bigint, b: bigint) => a ^ b],
  ] as const) {
    it(`${name} is sound`, () => {
      fc.assert(fc.property(member, member, (a, b) => contains(f(a.t, b.t), g(a.x, b.x))));
    });
  }
});

/** A scalar with random bounds and a concrete value inside them (or undefined if the sync found none). */
const scalarArb = fc.tuple(fc.bigInt({ min: -300n, max: 300n }), fc.nat(600), fc.boolean(), fc.nat(1 << 20)).map(([lo, width, wide, pick]) => {
  const b = unboundedBounds();
  if (wide) { setSmin(b, lo << 33n); setSmax(b, (lo << 33n) + (BigInt(width) << 30n)); } else { setSmin(b, lo); setSmax(b, lo + BigInt(width)); }
  syncBounds(b);
  const span = smaxOf(b) - sminOf(b);
  const x = sminOf(b) + (span === 0n ? 0n : BigInt(pick) % (span + 1n));
  return { b, x };
});

function inBounds(b: Bounds, x: bigint): boolean {
  const ux = u64(x), sx = s64(x);
  return uminOf(b) <= ux && ux <= umaxOf(b) && sminOf(b) <= sx && sx <= smaxOf(b) && u32minOf(b) <= u32(x) && u32(x) <= u32maxOf(b) &&
    s32minOf(b) <= s32(x) && s32(x) <= s32maxOf(b) && contains(b.varOff, ux);
}

const CONCRETE: Record<string, (a: bigint, b: bigint) => bigint> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, and: (a, b) => a & b, or: (a, b) => a | b, xor: (a, b) => a ^ b,
};

describe("scalar ranges", () => {
  for (const op of Object.keys(CONCRETE)) {
    for (const alu32 of [false, true]) {
      it(`${op}${alu32 ? "32" : ""} keeps every concrete result inside the bounds`, () => {
        fc.assert(fc.property(scalarArb, scalarArb, (a, c) => {
          if (!inBounds(a.b, a.x) || !inBounds(c.b, c.x)) return true;
          const dst = copyBounds(a.b);
          scalarAlu(op, alu32, dst, c.b);
          const r = alu32 ? u32(CONCRETE[op]!(u32(a.x), u32(c.x))) : CONCRETE[op]!(a.x, c.x);
          return inBounds(dst, r);
        }), { numRuns: fuzzRuns(300) });
      });
    }
  }
  it("shifts by constants are exact on constants", () => {
    const d = knownBounds(0x1234n);
    scalarAlu("lsh", false, d, knownBounds(4n));
    expect(tValue(d.varOff)).toBe(0x12340n);
    expect(uminOf(d)).toBe(0x12340n);
  });
});

describe("branch decisions", () => {
  const reg = (lo: bigint, hi: bigint): Reg => { const r = unknownScalar(); setUmin(r, lo); setUmax(r, hi); syncBounds(r); return r; };
  it("decides ranges that do not overlap", () => {
    expect(isBranchTaken(reg(0n, 10n), constScalar(11n), 2 /* JGT */, false)).toBe(0);
    expect(isBranchTaken(reg(20n, 30n), constScalar(11n), 2, false)).toBe(1);
    expect(isBranchTaken(reg(0n, 30n), constScalar(11n), 2, false)).toBe(-1);
    expect(isBranchTaken(constScalar(3n), constScalar(3n), 1 /* JEQ */, false)).toBe(1);
  });
});
