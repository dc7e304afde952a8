// The scalar domain on int32 halves (src/verifier/scalar.ts, tnum.ts and the transfer functions of
// branch.ts and alu.ts) must compute exactly what the bigint domain it replaced computed: the old code
// is kept as the oracle (test/verifier/oracle/*-bigint.ts) and both run on the same random operands,
// drawn with a bias towards the edges (0, +-1, the s32/u32/s64/u64 limits and their neighbours, powers of
// two), for every tnum operation, reg_bounds_sync, every ALU transfer function at both widths, the
// truncating and sign-extending coercions, is_branch_taken and regs_refine_cond_op for every condition.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coerceSubregToSizeSx, coerceToSizeSx } from "../../src/verifier/alu.js";
import { isBranchTaken, refineAndSync } from "../../src/verifier/branch.js";
import { type Bounds, boundsInvalid, coerceToSize, invariantViolation, rangeWithin, scalarAlu, setS32max, setS32min, setSmax, setSmin,
  setU32max, setU32min, setUmax, setUmin, s32maxOf, s32minOf, smaxOf, sminOf, syncBounds, u32maxOf, u32minOf, umaxOf, uminOf, unboundedBounds,
  zext32 } from "../../src/verifier/scalar.js";
import { assignBounds } from "../../src/verifier/scalar.js";
import { unknownScalar, type Reg } from "../../src/verifier/state.js";
import * as T from "../../src/verifier/tnum.js";
import * as OB from "./oracle/branch-alu-bigint.js";
import * as OS from "./oracle/scalar-bigint.js";
import * as OT from "./oracle/tnum-bigint.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const U64 = (1n << 64n) - 1n;
const EDGES = [0n, 1n, 2n, 3n, 7n, 8n, 0xffn, 0x100n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xfffffffen, 0xffffffffn,
  0x100000000n, 0x100000001n, 0x1ffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n, U64 - 1n, U64, 1n << 29n, 1n << 53n];
/** A u64, near an edge more often than not. */
const u64arb = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.tuple(fc.constantFrom(...EDGES), fc.integer({ min: -4, max: 4 })).map(([e, d]) => BigInt.asUintN(64, e + BigInt(d))),
  fc.bigInt({ min: 0n, max: 0xffffn }),
  fc.bigInt({ min: 0n, max: U64 }),
  fc.bigInt({ min: -0x10000n, max: 0x10000n }).map((x) => BigInt.asUintN(64, x)),
);
const maskArb = fc.oneof(fc.constant(0n), fc.constant(U64), fc.integer({ min: 0, max: 64 }).map((k) => (1n << BigInt(k)) - 1n), u64arb);
const tnumArb = fc.tuple(u64arb, maskArb).map(([v, m]) => ({ value: v & ~m, mask: m }));

const oTnum = (t: T.Tnum): OT.Tnum => ({ value: T.tValue(t), mask: T.tMask(t) });
const nTnum = (t: OT.Tnum): T.Tnum => T.tnum(t.value, t.mask);

/** Oracle bounds (canonical bigints) from random words: any combination, consistent or not. */
const rawBoundsArb = fc.tuple(tnumArb, u64arb, u64arb, u64arb, u64arb, u64arb, u64arb, u64arb, u64arb).map(([t, a, b, c, d, e, f, g, h]): OS.Bounds => ({
  varOff: t, smin: OS.s64(a), smax: OS.s64(b), umin: c, umax: d, s32min: OS.s32(e), s32max: OS.s32(f), u32min: OS.u32(g), u32max: OS.u32(h),
}));
/** Oracle bounds as registers usually hold them: a value range (either signedness) synced with a tnum. */
const syncedBoundsArb = fc.tuple(tnumArb, u64arb, u64arb, fc.boolean(), fc.boolean()).map(([t, a, b, signed, withTnum]): OS.Bounds => {
  const o = OS.unboundedBounds();
  if (withTnum) o.varOff = t;
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  if (signed) { const x = OS.s64(a), y = OS.s64(b); o.smin = x < y ? x : y; o.smax = x < y ? y : x; } else { o.umin = lo; o.umax = hi; }
  OS.syncBounds(o);
  return o;
});
const constBoundsArb = u64arb.map((v) => OS.knownBounds(v));
const boundsArb = fc.oneof({ weight: 3, arbitrary: syncedBoundsArb }, { weight: 1, arbitrary: constBoundsArb }, { weight: 1, arbitrary: rawBoundsArb });

function toNew(o: OS.Bounds): Bounds {
  const b = unboundedBounds();
  b.varOff = nTnum(o.varOff);
  setSmin(b, o.smin); setSmax(b, o.smax); setUmin(b, o.umin); setUmax(b, o.umax);
  setS32min(b, o.s32min); setS32max(b, o.s32max); setU32min(b, o.u32min); setU32max(b, o.u32max);
  return b;
}
function toOld(b: Bounds): OS.Bounds {
  return { varOff: oTnum(b.varOff), smin: sminOf(b), smax: smaxOf(b), umin: uminOf(b), umax: umaxOf(b), s32min: s32minOf(b), s32max: s32maxOf(b),
    u32min: u32minOf(b), u32max: u32maxOf(b) };
}
const copyOld = (o: OS.Bounds): OS.Bounds => ({ ...o, varOff: { ...o.varOff } });
const reg = (b: Bounds): Reg => { const r = unknownScalar(); assignBounds(r, b); return r; };
const oreg = (o: OS.Bounds): OB.OReg => ({ ...copyOld(o), type: "scalar" });

const runs = { numRuns: fuzzRuns(3000) };

describe("tnum on int32 halves = the bigint tnum", () => {
  const binary: [string, (a: T.Tnum, b: T.Tnum) => T.Tnum, (a: OT.Tnum, b: OT.Tnum) => OT.Tnum][] = [
    ["add", T.tAdd, OT.tAdd], ["sub", T.tSub, OT.tSub], ["mul", T.tMul, OT.tMul], ["and", T.tAnd, OT.tAnd], ["or", T.tOr, OT.tOr],
    ["xor", T.tXor, OT.tXor], ["intersect", T.tIntersect, OT.tIntersect], ["with_subreg", T.tWithSubreg, OT.tWithSubreg],
  ];
  for (const [name, n, o] of binary) {
    it(name, () => fc.assert(fc.property(tnumArb, tnumArb, (a, b) => {
      expect(oTnum(n(nTnum(a), nTnum(b)))).toEqual(o(a, b));
      return true;
    }), runs));
  }
  it("shifts, casts, subregisters, negation", () => fc.assert(fc.property(tnumArb, fc.integer({ min: 0, max: 63 }), (a, s) => {
    const t = nTnum(a);
    expect(oTnum(T.tLshift(t, s))).toEqual(OT.tLshift(a, s));
    expect(oTnum(T.tRshift(t, s))).toEqual(OT.tRshift(a, s));
    expect(oTnum(T.tArshift(t, s, 64))).toEqual(OT.tArshift(a, s, 64));
    expect(oTnum(T.tArshift(T.tSubreg(t), s & 31, 32))).toEqual(OT.tArshift(OT.tSubreg(a), s & 31, 32));
    for (const size of [1, 2, 4, 8]) expect(oTnum(T.tCast(t, size))).toEqual(OT.tCast(a, size));
    expect(oTnum(T.tSubreg(t))).toEqual(OT.tSubreg(a));
    expect(oTnum(T.tClearSubreg(t))).toEqual(OT.tClearSubreg(a));
    expect(oTnum(T.tNeg(t))).toEqual(OT.tNeg(a));
    for (const size of [1, 2, 4, 8]) expect(T.tIsAligned(t, size)).toBe(OT.tIsAligned(a, size));
    expect(T.tnumStr(t)).toBe(OT.tnumStr(a));
    return true;
  }), runs));
  it("range, membership, step", () => fc.assert(fc.property(u64arb, u64arb, tnumArb, tnumArb, (x, y, a, b) => {
    const [lo, hi] = x <= y ? [x, y] : [y, x];
    expect(oTnum(T.tnumRange(lo, hi))).toEqual(OT.tnumRange(lo, hi));
    expect(T.tIn(nTnum(a), nTnum(b))).toBe(OT.tIn(a, b));
    expect(T.tStep(nTnum(a), x)).toBe(OT.tStep(a, x));
    return true;
  }), runs));
});

describe("scalar bounds on int32 halves = the bigint bounds", () => {
  it("reg_bounds_sync on any bounds, and the sanity check", () => fc.assert(fc.property(rawBoundsArb, (o) => {
    const n = toNew(o);
    expect(toOld(n)).toEqual(o);
    expect(invariantViolation(n)).toBe(OS.invariantViolation(o));
    expect(boundsInvalid(n)).toBe(OS.boundsInvalid(o));
    syncBounds(n); OS.syncBounds(o);
    expect(toOld(n)).toEqual(o);
    return true;
  }), runs));
  for (const op of ["add", "sub", "mul", "and", "or", "xor", "lsh", "rsh", "arsh", "div"]) {
    for (const alu32 of [false, true]) {
      it(`${op}${alu32 ? "32" : "64"}`, () => {
        // shifts are computed only for a constant amount below the width: give them one most of the time
        const srcArb = ["lsh", "rsh", "arsh"].includes(op)
          ? fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: alu32 ? 31 : 63 }).map((k) => OS.knownBounds(BigInt(k))) }, { weight: 1, arbitrary: boundsArb })
          : boundsArb;
        fc.assert(fc.property(boundsArb, srcArb, (d, s) => {
          const nd = toNew(d), ns = toNew(s);
          const od = copyOld(d);
          scalarAlu(op, alu32, nd, ns);
          OS.scalarAlu(op, alu32, od, copyOld(s));
          expect(toOld(nd)).toEqual(od);
          expect(toOld(ns)).toEqual(s);
          return true;
        }), runs);
      });
    }
  }
  it("zero extension and the coercions to 1, 2 and 4 bytes, plain and sign-extending", () => fc.assert(fc.property(boundsArb, (o) => {
    for (const size of [1, 2, 4]) {
      const n = toNew(o), c = copyOld(o);
      coerceToSize(n, size); OS.coerceToSize(c, size);
      expect(toOld(n)).toEqual(c);
      const nx = toNew(o), cx = copyOld(o);
      coerceToSizeSx(nx, size); OB.coerceToSizeSx(cx, size);
      expect(toOld(nx)).toEqual(cx);
      if (size < 4) {
        const ns = toNew(o), cs = copyOld(o);
        coerceSubregToSizeSx(ns, size); OB.coerceSubregToSizeSx(cs, size);
        expect(toOld(ns)).toEqual(cs);
      }
    }
    const z = toNew(o), oz = copyOld(o);
    zext32(z); OS.zext32(oz);
    expect(toOld(z)).toEqual(oz);
    return true;
  }), runs));
});

describe("branch transfer functions on int32 halves = the bigint ones", () => {
  const OPS = [OB.JEQ, OB.JNE, OB.JSET, OB.JGT, OB.JGE, OB.JLT, OB.JLE, OB.JSGT, OB.JSGE, OB.JSLT, OB.JSLE];
  it("is_branch_taken on scalars, every condition at both widths", () => fc.assert(fc.property(boundsArb, boundsArb, (a, b) => {
    for (const op of OPS) for (const is32 of [false, true]) {
      expect(isBranchTaken(reg(toNew(a)), reg(toNew(b)), op, is32), `op ${op} is32 ${is32}`).toBe(OB.scalarBranchTaken(oreg(a), oreg(b), op, is32));
    }
    return true;
  }), runs));
  // (as the verifier uses it: only for a branch is_branch_taken left undecided; the reverse of JSET, the
  // kernel's pseudo-op for its fall-through, where JSET is undecided)
  it("regs_refine_cond_op and the sync, every condition and its reverse at both widths", () => fc.assert(fc.property(boundsArb, boundsArb, (a, b) => {
    for (const op of [...OPS, OB.JSET_X]) for (const is32 of [false, true]) {
      if (OB.scalarBranchTaken(oreg(a), oreg(b), op === OB.JSET_X ? OB.JSET : op, is32) !== -1) continue;
      const n1 = reg(toNew(a)), n2 = reg(toNew(b));
      const o1 = oreg(a), o2 = oreg(b);
      refineAndSync(n1, n2, op, is32);
      OB.refineAndSync(o1, o2, op, is32);
      expect(toOld(n1), `op ${op} is32 ${is32} r1`).toEqual(OSfields(o1));
      expect(toOld(n2), `op ${op} is32 ${is32} r2`).toEqual(OSfields(o2));
    }
    return true;
  }), runs));
  it("range_within", () => fc.assert(fc.property(boundsArb, boundsArb, (a, b) => {
    const o = a, c = b;
    const want = o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax && o.u32min <= c.u32min && o.u32max >= c.u32max &&
      o.s32min <= c.s32min && o.s32max >= c.s32max;
    expect(rangeWithin(toNew(a), toNew(b))).toBe(want);
    return true;
  }), runs));
});

/** The bounds fields of an oracle register. */
function OSfields(r: OB.OReg): OS.Bounds {
  return { varOff: r.varOff, smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax, s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max };
}
