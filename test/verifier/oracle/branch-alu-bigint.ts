// The verifier's scalar domain as it was before issue #11 (bigint bounds), kept as the oracle the
// property tests compare the int32-halves domain against: the branch transfer functions of branch.ts
// (is_branch_taken on scalars, regs_refine_cond_op) and the sign-extending coercions of alu.ts, copied
// unchanged except for imports and exports. Test code only.
import { type Bounds, S32_MAX, S32_MIN, markKnown, markUnbounded, s32, s64, syncBounds, u32, u64 } from "./scalar-bigint.js";
import { type Tnum, U32, U64, tAnd, tIntersect, tIsConst, tOr, tSubreg, tWithSubreg, tconst, tnumRange } from "./tnum-bigint.js";

export interface OReg extends Bounds { type: string }

export const JEQ = 1, JGT = 2, JGE = 3, JSET = 4, JNE = 5, JSGT = 6, JSGE = 7, JLT = 10, JLE = 11, JSLT = 12, JSLE = 13;
export const JSET_X = 0x14;
const FLIP: Record<number, number> = { [JGT]: JLT, [JLT]: JGT, [JGE]: JLE, [JLE]: JGE, [JSGT]: JSLT, [JSLT]: JSGT, [JSGE]: JSLE, [JSLE]: JSGE, [JEQ]: JEQ, [JNE]: JNE, [JSET]: JSET };
export const REV: Record<number, number> = { [JEQ]: JNE, [JNE]: JEQ, [JSET]: JSET_X, [JGE]: JLT, [JGT]: JLE, [JLE]: JGT, [JLT]: JGE, [JSGE]: JSLT, [JSGT]: JSLE, [JSLE]: JSGT, [JSLT]: JSGE };
const isRegConst = (r: OReg, is32: boolean): boolean => r.type === "scalar" && (is32 ? tSubreg(r.varOff).mask === 0n : r.varOff.mask === 0n);
type Reg = OReg;
void tnumRange;
export function scalarBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  const t1 = is32 ? tSubreg(r1.varOff) : r1.varOff, t2 = is32 ? tSubreg(r2.varOff) : r2.varOff;
  const umin1 = is32 ? r1.u32min : r1.umin, umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin, smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin, umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin, smax2 = is32 ? r2.s32max : r2.smax;
  switch (op) {
    case JEQ: case JNE: {
      const eq = op === JEQ;
      if (t1.mask === 0n && t2.mask === 0n) return (t1.value === t2.value) === eq ? 1 : 0;
      let disjoint = umin1 > umax2 || umax1 < umin2 || smin1 > smax2 || smax1 < smin2;
      if (!is32 && !disjoint) {
        disjoint = r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min;
      }
      // tnums with a known bit that differs can never be equal
      if (!disjoint && ((t1.value ^ t2.value) & ~(t1.mask | t2.mask)) !== 0n) disjoint = true;
      if (disjoint) return eq ? 0 : 1;
      break;
    }
    case JSET: {
      let a = t1, b = t2, bReg = r2;
      if (!isRegConst(bReg, is32)) { a = t2; b = t1; bReg = r1; }
      if (!isRegConst(bReg, is32)) return -1;
      if (((~a.mask & a.value) & b.value) !== 0n) return 1;
      if (((a.mask | a.value) & b.value) === 0n) return 0;
      break;
    }
    case JGT: if (umin1 > umax2) return 1; if (umax1 <= umin2) return 0; break;
    case JSGT: if (smin1 > smax2) return 1; if (smax1 <= smin2) return 0; break;
    case JLT: if (umax1 < umin2) return 1; if (umin1 >= umax2) return 0; break;
    case JSLT: if (smax1 < smin2) return 1; if (smin1 >= smax2) return 0; break;
    case JGE: if (umin1 >= umax2) return 1; if (umax1 < umin2) return 0; break;
    case JSGE: if (smin1 >= smax2) return 1; if (smax1 < smin2) return 0; break;
    case JLE: if (umax1 <= umin2) return 1; if (umin1 > umax2) return 0; break;
    case JSLE: if (smax1 <= smin2) return 1; if (smin1 > smax2) return 0; break;
  }
  return -1;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** regs_refine_cond_op: what `r1 op r2` being true says about both. */
export function refine(r1: Bounds, r2: Bounds, op: number, is32: boolean, r1Const: boolean, r2Const: boolean): void {
  if (op === JGE || op === JGT || op === JSGE || op === JSGT) {
    op = FLIP[op]!;
    [r1, r2] = [r2, r1];
    [r1Const, r2Const] = [r2Const, r1Const];
  }
  switch (op) {
    case JEQ:
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min); r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min); r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tIntersect(tSubreg(r1.varOff), tSubreg(r2.varOff));
        r1.varOff = tWithSubreg(r1.varOff, t); r2.varOff = tWithSubreg(r2.varOff, t);
      } else {
        r1.umin = max(r1.umin, r2.umin); r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin); r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        r1.varOff = tIntersect(r1.varOff, r2.varOff); r2.varOff = r1.varOff;
      }
      break;
    case JNE: {
      if (!r2Const) { [r1, r2] = [r2, r1]; [r1Const, r2Const] = [r2Const, r1Const]; }
      if (!r2Const) break;
      const val = is32 ? u32(r2.varOff.value) : r2.varOff.value;
      if (is32) {
        if (r1.u32min === u32(val)) r1.u32min++;
        if (r1.u32max === u32(val)) r1.u32max--;
        if (r1.s32min === s32(val)) r1.s32min++;
        if (r1.s32max === s32(val)) r1.s32max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === s64(val)) r1.smin++;
        if (r1.smax === s64(val)) r1.smax--;
      }
      break;
    }
    case JSET: case JSET_X: {
      if (!r2Const) { [r1, r2] = [r2, r1]; [r1Const, r2Const] = [r2Const, r1Const]; }
      if (!r2Const) break;
      const val = is32 ? u32(r2.varOff.value) : r2.varOff.value;
      if (op === JSET) {
        if (val === 0n || (val & (val - 1n)) !== 0n) break; // one bit set: that bit is known 1
        if (is32) r1.varOff = tWithSubreg(r1.varOff, tOr(tSubreg(r1.varOff), tconst(val)));
        else r1.varOff = tOr(r1.varOff, tconst(val));
      } else {
        // 6.17+: forget the ranges before narrowing the tnum, so a dead branch cannot violate invariants
        markUnbounded(r1);
        if (is32) r1.varOff = tWithSubreg(r1.varOff, tAnd(tSubreg(r1.varOff), tconst(~val & U32)));
        else r1.varOff = tAnd(r1.varOff, tconst(~val & U64));
      }
      break;
    }
    case JLE:
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max); r2.u32min = max(r1.u32min, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax); r2.umin = max(r1.umin, r2.umin); }
      break;
    case JLT:
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max - 1n); r2.u32min = max(r1.u32min + 1n, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax - 1n); r2.umin = max(r1.umin + 1n, r2.umin); }
      break;
    case JSLE:
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max); r2.s32min = max(r1.s32min, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax); r2.smin = max(r1.smin, r2.smin); }
      break;
    case JSLT:
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max - 1n); r2.s32min = max(r1.s32min + 1n, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax - 1n); r2.smin = max(r1.smin + 1n, r2.smin); }
      break;
  }
}

/** (oracle fix, as the kernel's C arithmetic: a bound stepped past its type's end wraps) */
function wrap(b: Bounds): void {
  b.umin = u64(b.umin); b.umax = u64(b.umax); b.smin = s64(b.smin); b.smax = s64(b.smax);
  b.u32min = u32(b.u32min); b.u32max = u32(b.u32max); b.s32min = s32(b.s32min); b.s32max = s32(b.s32max);
}

export function refineAndSync(r1: Reg, r2: Reg, op: number, is32: boolean): void {
  refine(r1, r2, op, is32, isRegConst(r1, is32), isRegConst(r2, is32));
  wrap(r1); wrap(r2);
  syncBounds(r1); syncBounds(r2);
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes; a range that stays on one side of zero is kept. */
export function coerceToSizeSx(r: Bounds, size: number): void {
  const bits = size * 8;
  if (tIsConst(r.varOff)) { markKnown(r, BigInt.asIntN(bits, r.varOff.value)); return; }
  const top = (v: bigint): bigint => (BigInt.asUintN(64, v) >> BigInt(bits)) << BigInt(bits);
  if (top(r.smax) === top(r.smin)) {
    const a = BigInt.asIntN(bits, r.smax), b = BigInt.asIntN(bits, r.smin);
    const hi = a > b ? a : b, lo = a > b ? b : a;
    if ((hi >= 0n) === (lo >= 0n)) {
      r.smin = lo; r.smax = hi; r.s32min = BigInt.asIntN(32, lo); r.s32max = BigInt.asIntN(32, hi);
      r.umin = BigInt.asUintN(64, lo); r.umax = BigInt.asUintN(64, hi); r.u32min = BigInt.asUintN(32, lo); r.u32max = BigInt.asUintN(32, hi);
      r.varOff = tnumRange(BigInt.asUintN(64, lo), BigInt.asUintN(64, hi));
      return;
    }
  }
  const lo = -(1n << BigInt(bits - 1)), hi = (1n << BigInt(bits - 1)) - 1n;
  r.smin = lo; r.smax = hi; r.s32min = lo; r.s32max = hi;
  r.umin = 0n; r.umax = (1n << 64n) - 1n; r.u32min = 0n; r.u32max = 0xffffffffn;
  r.varOff = { value: 0n, mask: (1n << 64n) - 1n };
}

/** coerce_subreg_to_size_sx: the same on the low 32 bits (32-bit movsx). */
export function coerceSubregToSizeSx(r: Bounds, size: number): void {
  const bits = size * 8;
  if (tSubreg(r.varOff).mask === 0n) {
    const v = BigInt.asUintN(32, BigInt.asIntN(bits, r.varOff.value));
    r.varOff = { value: v, mask: 0n };
    r.s32min = r.s32max = BigInt.asIntN(32, v); r.u32min = r.u32max = v;
    return;
  }
  const top = (v: bigint): bigint => (BigInt.asUintN(32, v) >> BigInt(bits)) << BigInt(bits);
  if (top(r.s32max) === top(r.s32min)) {
    const a = BigInt.asIntN(bits, r.s32max), b = BigInt.asIntN(bits, r.s32min);
    const hi = a > b ? a : b, lo = a > b ? b : a;
    if ((hi >= 0n) === (lo >= 0n)) {
      r.s32min = lo; r.s32max = hi; r.u32min = BigInt.asUintN(32, lo); r.u32max = BigInt.asUintN(32, hi);
      r.varOff = tSubreg(tnumRange(BigInt.asUintN(64, lo), BigInt.asUintN(64, hi)));
      return;
    }
  }
  r.s32min = -(1n << BigInt(bits - 1)); r.s32max = (1n << BigInt(bits - 1)) - 1n; r.u32min = 0n; r.u32max = 0xffffffffn;
  r.varOff = { value: 0n, mask: 0xffffffffn };
}

