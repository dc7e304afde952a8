// Conditional jumps (check_cond_jmp_op): decide whether a branch is always or never taken
// (is_branch_taken), otherwise refine both successors: scalar bounds (reg_set_min_max, then the same
// bounds for every register sharing the id), null checks of *_or_null pointers (mark_ptr_or_null_regs)
// and packet ranges from comparisons with data_end (try_match_pkt_pointers / find_good_pkt_pointers).
import { isTrustedReg } from "./btf-ptr.js";
import type { RawInsn } from "./cfg.js";
import { type Env, type EnvOptions, Reject, checkRegRead, forEachReg, sanityCheckBounds } from "./env.js";
import { type Bounds, knownBoundsHL, markUnbounded, scalarAlu, smaxNum, sminNum, syncBounds } from "./scalar.js";
import { INSN_F_DST_REG_STACK, INSN_F_SRC_REG_STACK, collectLinkedRegs, markChainPrecision, pushHist } from "./precision.js";
import { type LinkedReg, type Reg, type State, assignReg, constScalarHL, copyReg, curFrame, isPointer, isPktPointer, knownInto, ownSlot } from "./state.js";
import { add64, rh, rl, slt64, sub64, tIntersect, ult64 } from "./tnum.js";

export const JEQ = 1, JGT = 2, JGE = 3, JSET = 4, JNE = 5, JSGT = 6, JSGE = 7, JLT = 10, JLE = 11, JSLT = 12, JSLE = 13;
const JSET_X = 0x14; // the kernel's "reverse of JSET" pseudo opcode (op index form)
const AT_PKT_END = -1, BEYOND_PKT_END = -2;

const FLIP: Record<number, number> = { [JGT]: JLT, [JLT]: JGT, [JGE]: JLE, [JLE]: JGE, [JSGT]: JSLT, [JSLT]: JSGT, [JSGE]: JSLE, [JSLE]: JSGE, [JEQ]: JEQ, [JNE]: JNE, [JSET]: JSET };
const REV: Record<number, number> = { [JEQ]: JNE, [JNE]: JEQ, [JSET]: JSET_X, [JGE]: JLT, [JGT]: JLE, [JLE]: JGT, [JLT]: JGE, [JSGE]: JSLT, [JSGT]: JSLE, [JSLE]: JSGT, [JSLT]: JSGE };

const isRegConst = (r: Reg, is32: boolean): boolean => r.type === "scalar" && (is32 ? r.varOff.ml === 0 : (r.varOff.mh | r.varOff.ml) === 0);
/** The constant (at the comparison's width) is zero. */
const constIsZero = (r: Reg, is32: boolean): boolean => (is32 ? r.varOff.vl === 0 : (r.varOff.vh | r.varOff.vl) === 0);

/**
 * reg_not_null: pointer types that are never NULL, unless an unbounded variable offset could wrap them to 0.
 */
function notNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  if (sminNum(r) <= -MAX_VAR_OFF || smaxNum(r) >= MAX_VAR_OFF) return false;
  // a trusted BTF pointer is never NULL either
  return NOT_NULL_TYPES.has(r.type) || (r.type === "btf_id" && isTrustedReg(r));
}
const NOT_NULL_TYPES = new Set(["sock", "tcp_sock", "xdp_sock", "buf", "map_value", "map_key", "sock_common", "mem", "map_ptr"]);
const MAX_VAR_OFF = 1 << 29;

/** 1 = always taken, 0 = never, -1 = unknown. */
export function isBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  if (isPktPointer(r1) && r2.type === "pkt_end" && !is32) return pktBranchTaken(r1, r2, op);
  if (r1.type === "pkt_end" && isPktPointer(r2) && !is32) return pktBranchTaken(r1, r2, op);
  if (isPointer(r1) || isPointer(r2)) {
    // the low 32 bits of a valid pointer may well be zero: nothing is known of a 32-bit comparison
    if (is32) return -1;
    let a = r1, b = r2, o = op;
    if (!isRegConst(b, is32)) { o = FLIP[o]!; a = r2; b = r1; }
    if (!isRegConst(b, is32)) return -1;
    if (!notNull(a)) return -1;
    if (!constIsZero(b, is32)) return -1;
    return o === JEQ ? 0 : o === JNE ? 1 : -1;
  }
  return scalarBranchTaken(r1, r2, op, is32);
}

function pktBranchTaken(dst: Reg, src: Reg, op: number): number {
  let pkt: Reg;
  if (src.type === "pkt_end") pkt = dst;
  else if (dst.type === "pkt_end") { pkt = src; op = FLIP[op]!; }
  else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case JLE: case JGT:
      if (pkt.range === BEYOND_PKT_END) return op === JGT ? 1 : 0;
      break;
    case JLT: case JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === JGE ? 1 : 0;
      break;
  }
  return -1;
}

/** unsigned a > b for 32-bit bit patterns */
const ugt32 = (a: number, b: number): boolean => a >>> 0 > b >>> 0;

function scalarBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  return is32 ? branchTaken32(r1, r2, op) : branchTaken64(r1, r2, op);
}

function branchTaken32(r1: Reg, r2: Reg, op: number): number {
  const t1 = r1.varOff, t2 = r2.varOff;
  const umin1 = r1.u32min, umax1 = r1.u32max, smin1 = r1.s32min, smax1 = r1.s32max;
  const umin2 = r2.u32min, umax2 = r2.u32max, smin2 = r2.s32min, smax2 = r2.s32max;
  switch (op) {
    case JEQ: case JNE: {
      const eq = op === JEQ;
      if (t1.ml === 0 && t2.ml === 0) return (t1.vl === t2.vl) === eq ? 1 : 0;
      let disjoint = ugt32(umin1, umax2) || ugt32(umin2, umax1) || smin1 > smax2 || smax1 < smin2;
      // tnums with a known bit that differs can never be equal
      if (!disjoint && ((t1.vl ^ t2.vl) & ~(t1.ml | t2.ml)) !== 0) disjoint = true;
      if (disjoint) return eq ? 0 : 1;
      break;
    }
    case JSET: {
      let a = t1, b = t2, bReg = r2;
      if (!isRegConst(bReg, true)) { a = t2; b = t1; bReg = r1; }
      if (!isRegConst(bReg, true)) return -1;
      if (((~a.ml & a.vl) & b.vl) !== 0) return 1;
      if (((a.ml | a.vl) & b.vl) === 0) return 0;
      break;
    }
    case JGT: if (ugt32(umin1, umax2)) return 1; if (!ugt32(umax1, umin2)) return 0; break;
    case JSGT: if (smin1 > smax2) return 1; if (smax1 <= smin2) return 0; break;
    case JLT: if (ugt32(umin2, umax1)) return 1; if (!ugt32(umax2, umin1)) return 0; break;
    case JSLT: if (smax1 < smin2) return 1; if (smin1 >= smax2) return 0; break;
    case JGE: if (!ugt32(umax2, umin1)) return 1; if (ugt32(umin2, umax1)) return 0; break;
    case JSGE: if (smin1 >= smax2) return 1; if (smax1 < smin2) return 0; break;
    case JLE: if (!ugt32(umax1, umin2)) return 1; if (ugt32(umin1, umax2)) return 0; break;
    case JSLE: if (smax1 <= smin2) return 1; if (smin1 > smax2) return 0; break;
  }
  return -1;
}

function branchTaken64(r1: Reg, r2: Reg, op: number): number {
  const t1 = r1.varOff, t2 = r2.varOff;
  switch (op) {
    case JEQ: case JNE: {
      const eq = op === JEQ;
      if ((t1.mh | t1.ml) === 0 && (t2.mh | t2.ml) === 0) return (t1.vh === t2.vh && t1.vl === t2.vl) === eq ? 1 : 0;
      let disjoint = ult64(r2.umaxHi, r2.umaxLo, r1.uminHi, r1.uminLo) || ult64(r1.umaxHi, r1.umaxLo, r2.uminHi, r2.uminLo) ||
        slt64(r2.smaxHi, r2.smaxLo, r1.sminHi, r1.sminLo) || slt64(r1.smaxHi, r1.smaxLo, r2.sminHi, r2.sminLo);
      if (!disjoint) {
        disjoint = ugt32(r1.u32min, r2.u32max) || ugt32(r2.u32min, r1.u32max) || r1.s32min > r2.s32max || r1.s32max < r2.s32min;
      }
      if (!disjoint && (((t1.vh ^ t2.vh) & ~(t1.mh | t2.mh)) !== 0 || ((t1.vl ^ t2.vl) & ~(t1.ml | t2.ml)) !== 0)) disjoint = true;
      if (disjoint) return eq ? 0 : 1;
      break;
    }
    case JSET: {
      let a = t1, b = t2, bReg = r2;
      if (!isRegConst(bReg, false)) { a = t2; b = t1; bReg = r1; }
      if (!isRegConst(bReg, false)) return -1;
      if (((~a.mh & a.vh) & b.vh) !== 0 || ((~a.ml & a.vl) & b.vl) !== 0) return 1;
      if (((a.mh | a.vh) & b.vh) === 0 && ((a.ml | a.vl) & b.vl) === 0) return 0;
      break;
    }
    case JGT:
      if (ult64(r2.umaxHi, r2.umaxLo, r1.uminHi, r1.uminLo)) return 1;
      if (!ult64(r2.uminHi, r2.uminLo, r1.umaxHi, r1.umaxLo)) return 0;
      break;
    case JSGT:
      if (slt64(r2.smaxHi, r2.smaxLo, r1.sminHi, r1.sminLo)) return 1;
      if (!slt64(r2.sminHi, r2.sminLo, r1.smaxHi, r1.smaxLo)) return 0;
      break;
    case JLT:
      if (ult64(r1.umaxHi, r1.umaxLo, r2.uminHi, r2.uminLo)) return 1;
      if (!ult64(r1.uminHi, r1.uminLo, r2.umaxHi, r2.umaxLo)) return 0;
      break;
    case JSLT:
      if (slt64(r1.smaxHi, r1.smaxLo, r2.sminHi, r2.sminLo)) return 1;
      if (!slt64(r1.sminHi, r1.sminLo, r2.smaxHi, r2.smaxLo)) return 0;
      break;
    case JGE:
      if (!ult64(r1.uminHi, r1.uminLo, r2.umaxHi, r2.umaxLo)) return 1;
      if (ult64(r1.umaxHi, r1.umaxLo, r2.uminHi, r2.uminLo)) return 0;
      break;
    case JSGE:
      if (!slt64(r1.sminHi, r1.sminLo, r2.smaxHi, r2.smaxLo)) return 1;
      if (slt64(r1.smaxHi, r1.smaxLo, r2.sminHi, r2.sminLo)) return 0;
      break;
    case JLE:
      if (!ult64(r2.uminHi, r2.uminLo, r1.umaxHi, r1.umaxLo)) return 1;
      if (ult64(r2.umaxHi, r2.umaxLo, r1.uminHi, r1.uminLo)) return 0;
      break;
    case JSLE:
      if (!slt64(r2.sminHi, r2.sminLo, r1.smaxHi, r1.smaxLo)) return 1;
      if (slt64(r2.smaxHi, r2.smaxLo, r1.sminHi, r1.sminLo)) return 0;
      break;
  }
  return -1;
}

/** max/min at u32 / s32 / u64 / s64 on halves. */
const umax32 = (a: number, b: number): number => (a >>> 0 > b >>> 0 ? a : b);
const umin32 = (a: number, b: number): number => (a >>> 0 < b >>> 0 ? a : b);

/** regs_refine_cond_op: what `r1 op r2` being true says about both (C arithmetic: bounds wrap, never trap). */
function refine(r1: Bounds, r2: Bounds, op: number, is32: boolean, r1Const: boolean, r2Const: boolean): void {
  if (op === JGE || op === JGT || op === JSGE || op === JSGT) {
    op = FLIP[op]!;
    [r1, r2] = [r2, r1];
    [r1Const, r2Const] = [r2Const, r1Const];
  }
  switch (op) {
    case JEQ:
      if (is32) {
        r1.u32min = umax32(r1.u32min, r2.u32min); r1.u32max = umin32(r1.u32max, r2.u32max);
        r1.s32min = Math.max(r1.s32min, r2.s32min); r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const a = r1.varOff, b = r2.varOff, ml = a.ml & b.ml, vl = (a.vl | b.vl) & ~ml;
        r1.varOff = { vh: a.vh, vl, mh: a.mh, ml }; r2.varOff = { vh: b.vh, vl, mh: b.mh, ml };
      } else {
        if (ult64(r1.uminHi, r1.uminLo, r2.uminHi, r2.uminLo)) { r1.uminHi = r2.uminHi; r1.uminLo = r2.uminLo; }
        if (ult64(r2.umaxHi, r2.umaxLo, r1.umaxHi, r1.umaxLo)) { r1.umaxHi = r2.umaxHi; r1.umaxLo = r2.umaxLo; }
        if (slt64(r1.sminHi, r1.sminLo, r2.sminHi, r2.sminLo)) { r1.sminHi = r2.sminHi; r1.sminLo = r2.sminLo; }
        if (slt64(r2.smaxHi, r2.smaxLo, r1.smaxHi, r1.smaxLo)) { r1.smaxHi = r2.smaxHi; r1.smaxLo = r2.smaxLo; }
        r2.uminHi = r1.uminHi; r2.uminLo = r1.uminLo; r2.umaxHi = r1.umaxHi; r2.umaxLo = r1.umaxLo;
        r2.sminHi = r1.sminHi; r2.sminLo = r1.sminLo; r2.smaxHi = r1.smaxHi; r2.smaxLo = r1.smaxLo;
        r1.varOff = tIntersect(r1.varOff, r2.varOff); r2.varOff = r1.varOff;
      }
      break;
    case JNE: {
      if (!r2Const) { [r1, r2] = [r2, r1]; [r1Const, r2Const] = [r2Const, r1Const]; }
      if (!r2Const) break;
      const vh = r2.varOff.vh, vl = r2.varOff.vl;
      if (is32) {
        if (r1.u32min === vl) r1.u32min = (r1.u32min + 1) | 0;
        if (r1.u32max === vl) r1.u32max = (r1.u32max - 1) | 0;
        if (r1.s32min === vl) r1.s32min = (r1.s32min + 1) | 0;
        if (r1.s32max === vl) r1.s32max = (r1.s32max - 1) | 0;
      } else {
        if (r1.uminHi === vh && r1.uminLo === vl) { add64(vh, vl, 0, 1); r1.uminHi = rh(); r1.uminLo = rl(); }
        if (r1.umaxHi === vh && r1.umaxLo === vl) { sub64(vh, vl, 0, 1); r1.umaxHi = rh(); r1.umaxLo = rl(); }
        if (r1.sminHi === vh && r1.sminLo === vl) { add64(vh, vl, 0, 1); r1.sminHi = rh(); r1.sminLo = rl(); }
        if (r1.smaxHi === vh && r1.smaxLo === vl) { sub64(vh, vl, 0, 1); r1.smaxHi = rh(); r1.smaxLo = rl(); }
      }
      break;
    }
    case JSET: case JSET_X: {
      if (!r2Const) { [r1, r2] = [r2, r1]; [r1Const, r2Const] = [r2Const, r1Const]; }
      if (!r2Const) break;
      const vh = is32 ? 0 : r2.varOff.vh, vl = r2.varOff.vl;
      const t = r1.varOff;
      if (op === JSET) {
        // one bit set: that bit is known 1
        const oneBit = vh === 0 ? vl !== 0 && (vl & (vl - 1)) === 0 : vl === 0 && (vh & (vh - 1)) === 0;
        if (!oneBit) break;
        r1.varOff = { vh: t.vh | vh, vl: t.vl | vl, mh: t.mh & ~vh, ml: t.ml & ~vl };
      } else {
        // 6.17+: forget the ranges before narrowing the tnum, so a dead branch cannot violate invariants
        markUnbounded(r1);
        r1.varOff = is32 ? { vh: t.vh, vl: t.vl & ~vl, mh: t.mh, ml: t.ml & ~vl } : { vh: t.vh & ~vh, vl: t.vl & ~vl, mh: t.mh & ~vh, ml: t.ml & ~vl };
      }
      break;
    }
    case JLE:
      if (is32) { r1.u32max = umin32(r1.u32max, r2.u32max); r2.u32min = umax32(r1.u32min, r2.u32min); }
      else {
        if (ult64(r2.umaxHi, r2.umaxLo, r1.umaxHi, r1.umaxLo)) { r1.umaxHi = r2.umaxHi; r1.umaxLo = r2.umaxLo; }
        if (ult64(r2.uminHi, r2.uminLo, r1.uminHi, r1.uminLo)) { r2.uminHi = r1.uminHi; r2.uminLo = r1.uminLo; }
      }
      break;
    case JLT:
      if (is32) { r1.u32max = umin32(r1.u32max, (r2.u32max - 1) | 0); r2.u32min = umax32((r1.u32min + 1) | 0, r2.u32min); }
      else {
        sub64(r2.umaxHi, r2.umaxLo, 0, 1);
        if (ult64(rh(), rl(), r1.umaxHi, r1.umaxLo)) { r1.umaxHi = rh(); r1.umaxLo = rl(); }
        add64(r1.uminHi, r1.uminLo, 0, 1);
        if (ult64(r2.uminHi, r2.uminLo, rh(), rl())) { r2.uminHi = rh(); r2.uminLo = rl(); }
      }
      break;
    case JSLE:
      if (is32) { r1.s32max = Math.min(r1.s32max, r2.s32max); r2.s32min = Math.max(r1.s32min, r2.s32min); }
      else {
        if (slt64(r2.smaxHi, r2.smaxLo, r1.smaxHi, r1.smaxLo)) { r1.smaxHi = r2.smaxHi; r1.smaxLo = r2.smaxLo; }
        if (slt64(r2.sminHi, r2.sminLo, r1.sminHi, r1.sminLo)) { r2.sminHi = r1.sminHi; r2.sminLo = r1.sminLo; }
      }
      break;
    case JSLT:
      if (is32) { r1.s32max = Math.min(r1.s32max, (r2.s32max - 1) | 0); r2.s32min = Math.max((r1.s32min + 1) | 0, r2.s32min); }
      else {
        sub64(r2.smaxHi, r2.smaxLo, 0, 1);
        if (slt64(rh(), rl(), r1.smaxHi, r1.smaxLo)) { r1.smaxHi = rh(); r1.smaxLo = rl(); }
        add64(r1.sminHi, r1.sminLo, 0, 1);
        if (slt64(r2.sminHi, r2.sminLo, rh(), rl())) { r2.sminHi = rh(); r2.sminLo = rl(); }
      }
      break;
  }
}

/** (exported for the domain tests) regs_refine_cond_op then reg_bounds_sync on both operands: what `r1 op r2` being true says about them. */
export function refineAndSync(r1: Reg, r2: Reg, op: number, is32: boolean): void {
  refine(r1, r2, op, is32, isRegConst(r1, is32), isRegConst(r2, is32));
  syncBounds(r1); syncBounds(r2);
}

/**
 * Copy refined bounds to every scalar sharing the id (sync_linked_regs). 6.18 links only registers live
 * at the jump (dead ones in the current frame keep their bounds).
 */
function syncLinked(env: Env, s: State, r: Reg): void {
  if (r.type !== "scalar" || !r.id) return;
  const live = env.liveRegs?.[env.insnIdx] ?? 0xffff;
  s.frames.forEach((f, fr) => {
    const inner = fr === s.frames.length - 1;
    f.regs.forEach((o, j) => {
      if (inner && !(live & (1 << j))) return;
      syncOne(o, r);
    });
    for (let i = 0; i < f.stack.length; i++) {
      const slot = f.stack[i]!;
      // (syncOne changes only a scalar linked to r: only its slot is owned)
      if ((slot.kinds[7] === 1 || slot.spilled.type !== "not_init") && slot.spilled.type === "scalar" && slot.spilled.id === r.id) syncOne(ownSlot(f, i).spilled, r);
    }
  });
}

/** One register of sync_linked_regs: the known register's state, moved by the difference of their deltas. */
function syncOne(o: Reg, known: Reg): void {
  if (o === known || o.type !== "scalar" || o.id !== known.id) return;
  // an alu32 delta on one and an alu64 delta on the other: no relation holds across the widths
  if (o.addConst && known.addConst && o.addConst !== known.addConst) return;
  if ((!o.addConst && !known.addConst) || o.off === known.off) { assignReg(o, known); return; }
  const off = o.off, id = o.id, addConst = o.addConst;
  assignReg(o, known);
  o.off = off; o.id = id; o.addConst = addConst;
  // reg = known + (delta of reg - delta of known); an alu32 delta on either side zero-extends (both deltas are s32)
  const delta = off - known.off;
  scalarAlu("add", addConst === 32 || known.addConst === 32, o, knownBoundsHL(Math.floor(delta / 2 ** 32), delta | 0));
}

/**
 * mark_ptr_not_null_reg: a map lookup's result becomes what the map holds once it is known not NULL (a
 * socket of a sockmap/sockhash/xskmap); other types just lose the NULL (a map-in-map lookup is already
 * the inner map).
 */
export function markNotNull(r: Reg, opts: EnvOptions): void {
  r.maybeNull = false;
  if (r.type !== "map_value") return;
  const m = opts.maps[r.map];
  if (m?.type === "xskmap") r.type = "xdp_sock";
  else if (m?.type === "sockmap" || m?.type === "sockhash") r.type = "sock";
}

function markPtrOrNull(s: State, regno: number, isNull: boolean, opts: EnvOptions): void {
  const f = curFrame(s);
  const reg = f.regs[regno]!;
  const id = reg.id;
  if (reg.refObjId && reg.refObjId === id && isNull) s.refs = s.refs.filter((r) => r.id !== id);
  forEachReg(s, (r) => {
    if (isNull) {
      assignReg(r, constScalarHL(0, 0));
      return;
    }
    markNotNull(r, opts);
    // the id stays on values holding a bpf_spin_lock: it names the lock (reg_may_point_to_spin_lock)
    if (!(r.type === "map_value" && (opts.fields[r.map]?.spinLock ?? -1) >= 0)) r.id = 0;
  }, (r) => r.maybeNull && r.id === id);
}

function findGoodPkt(s: State, reg: Reg, rightOpen: boolean): void {
  if (reg.off < 0 || (reg.off === 0 && rightOpen)) return;
  // umax > MAX_PACKET_OFF (0xffff) or umax + off past it
  if (reg.umaxHi !== 0 || reg.umaxLo >>> 0 > 0xffff || (reg.umaxLo >>> 0) + reg.off > 0xffff) return;
  const newRange = reg.off + (rightOpen ? 1 : 0);
  const type = reg.type, id = reg.id;
  forEachReg(s, (r) => { r.range = Math.max(r.range, newRange); }, (r) => r.type === type && r.id === id);
}

function markPktEnd(s: State, regno: number, open: boolean): void {
  const r = curFrame(s).regs[regno]!;
  if (r.type !== "pkt") return;
  r.range = open ? BEYOND_PKT_END : AT_PKT_END;
}

const initPkt = (r: Reg, t: string): boolean => r.type === t && r.off === 0 && (r.varOff.mh | r.varOff.ml | r.varOff.vh | r.varOff.vl) === 0;

/** Register `no` of the state's current frame (module level: tsx wraps a named closure in a costly __name() on every call). */
const regIn = (s: State, no: number): Reg => curFrame(s).regs[no]!;

/** try_match_pkt_pointers: `this` is the fall-through state, `other` the jump-taken one. */
function matchPkt(insn: RawInsn, op: number, dst: Reg, src: Reg, thisS: State, otherS: State): boolean {
  if (!(insn.code & 8) || (insn.code & 7) === 6) return false;
  const dstFirst = (dst.type === "pkt" && src.type === "pkt_end") || (dst.type === "pkt_meta" && initPkt(src, "pkt"));
  const srcFirst = (dst.type === "pkt_end" && src.type === "pkt") || (initPkt(dst, "pkt") && src.type === "pkt_meta");
  const D = insn.dst, S = insn.src;
  switch (op) {
    case JGT:
      if (dstFirst) { findGoodPkt(thisS, regIn(thisS, D), false); markPktEnd(otherS, D, true); }
      else if (srcFirst) { findGoodPkt(otherS, regIn(otherS, S), true); markPktEnd(thisS, S, false); }
      else return false;
      return true;
    case JLT:
      if (dstFirst) { findGoodPkt(otherS, regIn(otherS, D), true); markPktEnd(thisS, D, false); }
      else if (srcFirst) { findGoodPkt(thisS, regIn(thisS, S), false); markPktEnd(otherS, S, true); }
      else return false;
      return true;
    case JGE:
      if (dstFirst) { findGoodPkt(thisS, regIn(thisS, D), true); markPktEnd(otherS, D, false); }
      else if (srcFirst) { findGoodPkt(otherS, regIn(otherS, S), false); markPktEnd(thisS, S, true); }
      else return false;
      return true;
    case JLE:
      if (dstFirst) { findGoodPkt(otherS, regIn(otherS, D), false); markPktEnd(thisS, D, true); }
      else if (srcFirst) { findGoodPkt(thisS, regIn(thisS, S), true); markPktEnd(otherS, S, false); }
      else return false;
      return true;
  }
  return false;
}

/** A branch decided by the operands' ranges relies on them: both become precise (scalars only). */
function markBranchOperands(env: Env, insn: RawInsn, dst: Reg, src: Reg): void {
  if (!isPointer(dst)) markChainPrecision(env, insn.dst);
  if (insn.code & 8 && !isPointer(src)) markChainPrecision(env, insn.src);
}

export interface JumpOutcome {
  /** Only one successor: true = the jump, false = fall through. */
  only?: boolean;
  /** Both: the state for the jump target (the current state continues as the fall-through). */
  other?: State;
}

const isPtr = (r: Reg): boolean => r.type !== "scalar" && r.type !== "not_init";

const IMM_FALSE: Reg = constScalarHL(0, 0), IMM_TRUE: Reg = constScalarHL(0, 0);
function copyInto(dst: Reg, src: Reg): Reg { assignReg(dst, src); return dst; }
const ALWAYS_TAKEN: JumpOutcome = Object.freeze({ only: true });
const NEVER_TAKEN: JumpOutcome = Object.freeze({ only: false });

export function checkCondJmp(env: Env, insn: RawInsn, clone: (s: State) => State): JumpOutcome {
  const op = insn.code >> 4;
  const is32 = (insn.code & 7) === 6;
  if (op === 0 || op > 13 || op === 8 || op === 9) throw new Reject(`invalid BPF_JMP/JMP32 opcode ${(op << 4).toString(16)}`, 22);
  checkRegRead(env, insn.dst);
  const R = curFrame(env.cur).regs;
  let src: Reg;
  if (insn.code & 8) {
    if (insn.imm !== 0) throw new Reject("BPF_JMP/JMP32 uses reserved fields", 22);
    checkRegRead(env, insn.src);
    src = R[insn.src]!;
  } else {
    if (insn.src !== 0) throw new Reject("BPF_JMP/JMP32 uses reserved fields", 22);
    // the kernel's fake register holds the immediate sign-extended, for JMP32 too (__mark_reg_known(imm));
    // a scratch register (never kept by a state: refined and read by this call only)
    src = knownInto(IMM_FALSE, insn.imm < 0 ? -1 : 0, insn.imm);
  }
  const dst = R[insn.dst]!;
  // a stack pointer compared is not a scalar to back-track through
  const stackFlags = (insn.code & 8 && src.type === "stack" ? INSN_F_SRC_REG_STACK : 0) | (dst.type === "stack" ? INSN_F_DST_REG_STACK : 0);
  if (stackFlags) pushHist(env, stackFlags);
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred >= 0) markBranchOperands(env, insn, dst, src);
  if (pred === 1) return ALWAYS_TAKEN;
  if (pred === 0) return NEVER_TAKEN;

  // scalars linked with the operands get their bounds from this jump too: remember them for back-tracking
  const srcLinked = (insn.code & 8) !== 0 && src.type === "scalar" && src.id !== 0, dstLinked = dst.type === "scalar" && dst.id !== 0;
  if (srcLinked || dstLinked) {
    const linked: LinkedReg[] = [];
    const live = env.liveRegs?.[env.insnIdx] ?? 0xffff;
    if (srcLinked) collectLinkedRegs(env.cur, src.id, live, linked);
    if (dstLinked) collectLinkedRegs(env.cur, dst.id, live, linked);
    if (linked.length > 1) pushHist(env, 0, linked);
  }

  const other = clone(env.cur);
  const oR = curFrame(other).regs;
  if (dst.type === "scalar" && src.type === "scalar") {
    // reg_set_min_max: the fall-through learns the reversed condition, the jump target the condition; an
    // immediate operand is a fake register of its own on each side. A refinement that leaves no possible
    // value (a branch no value can take, which is_branch_taken did not see) is reported and its ranges
    // forgotten, as 6.18 does, rather than treated as a dead branch.
    const trueSrc = insn.code & 8 ? oR[insn.src]! : copyInto(IMM_TRUE, src);
    // (the immediate's fake register is this call's own: the fall-through refines it in place)
    const falseSrc = src;
    refineAndSync(dst, falseSrc, REV[op]!, is32);
    refineAndSync(oR[insn.dst]!, trueSrc, op, is32);
    sanityCheckBounds(env, oR[insn.dst]!, "true_reg1");
    sanityCheckBounds(env, trueSrc, "true_reg2");
    sanityCheckBounds(env, dst, "false_reg1");
    sanityCheckBounds(env, falseSrc, "false_reg2");
    // the source's links first, then the destination's, as the kernel does: when both share an id, the
    // source's refined state is copied over the destination first, so it is the one they all end with
    if (insn.code & 8) { syncLinked(env, env.cur, src); syncLinked(env, other, oR[insn.src]!); }
    syncLinked(env, env.cur, dst); syncLinked(env, other, oR[insn.dst]!);
  }
  // two pointers compared for (in)equality, one possibly NULL and the other never: equal means not NULL
  if (!is32 && (insn.code & 8) && (op === JEQ || op === JNE) && isPtr(src) && isPtr(dst)) {
    const eq = curFrame(op === JEQ ? other : env.cur).regs;
    if (notNull(dst) && src.maybeNull) markNotNull(eq[insn.src]!, env.opts);
    if (notNull(src) && dst.maybeNull) markNotNull(eq[insn.dst]!, env.opts);
  }
  if (!is32 && !(insn.code & 8) && insn.imm === 0 && (op === JEQ || op === JNE) && dst.maybeNull) {
    markPtrOrNull(env.cur, insn.dst, op === JNE, env.opts);
    markPtrOrNull(other, insn.dst, op === JEQ, env.opts);
  } else {
    matchPkt(insn, op, dst, src, env.cur, other);
  }
  return { other };
}
