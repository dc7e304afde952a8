// Conditional jumps (check_cond_jmp_op): decide whether a branch is always or never taken
// (is_branch_taken), otherwise refine both successors: scalar bounds (reg_set_min_max, then the same
// bounds for every register sharing the id), null checks of *_or_null pointers (mark_ptr_or_null_regs)
// and packet ranges from comparisons with data_end (try_match_pkt_pointers / find_good_pkt_pointers).
import { isTrustedReg } from "./btf-ptr.js";
import type { RawInsn } from "./cfg.js";
import { type Env, type EnvOptions, Reject, checkRegRead, forEachReg, sanityCheckBounds } from "./env.js";
import { type Bounds, knownBounds, markUnbounded, s32, s64, scalarAlu, syncBounds, u32 } from "./scalar.js";
import { INSN_F_DST_REG_STACK, INSN_F_SRC_REG_STACK, collectLinkedRegs, markChainPrecision, pushHist } from "./precision.js";
import { type LinkedReg, type Reg, type State, constScalar, copyReg, curFrame, isPointer, isPktPointer } from "./state.js";
import { U32, U64, tAnd, tIntersect, tOr, tSubreg, tWithSubreg, tconst } from "./tnum.js";

export const JEQ = 1, JGT = 2, JGE = 3, JSET = 4, JNE = 5, JSGT = 6, JSGE = 7, JLT = 10, JLE = 11, JSLT = 12, JSLE = 13;
const JSET_X = 0x14; // the kernel's "reverse of JSET" pseudo opcode (op index form)
const AT_PKT_END = -1, BEYOND_PKT_END = -2;

const FLIP: Record<number, number> = { [JGT]: JLT, [JLT]: JGT, [JGE]: JLE, [JLE]: JGE, [JSGT]: JSLT, [JSLT]: JSGT, [JSGE]: JSLE, [JSLE]: JSGE, [JEQ]: JEQ, [JNE]: JNE, [JSET]: JSET };
const REV: Record<number, number> = { [JEQ]: JNE, [JNE]: JEQ, [JSET]: JSET_X, [JGE]: JLT, [JGT]: JLE, [JLE]: JGT, [JLT]: JGE, [JSGE]: JSLT, [JSGT]: JSLE, [JSLE]: JSGT, [JSLT]: JSGE };

const isRegConst = (r: Reg, is32: boolean): boolean => r.type === "scalar" && (is32 ? tSubreg(r.varOff).mask === 0n : r.varOff.mask === 0n);
const constVal = (r: Reg, is32: boolean): bigint => (is32 ? u32(r.varOff.value) : r.varOff.value);

function notNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  // reg_not_null: a trusted BTF pointer is never NULL either
  return ["sock", "tcp_sock", "map_value", "map_key", "sock_common", "mem"].includes(r.type) || (r.type === "btf_id" && isTrustedReg(r));
}

/** 1 = always taken, 0 = never, -1 = unknown. */
export function isBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  if (isPktPointer(r1) && r2.type === "pkt_end" && !is32) return pktBranchTaken(r1, r2, op);
  if (r1.type === "pkt_end" && isPktPointer(r2) && !is32) return pktBranchTaken(r1, r2, op);
  if (isPointer(r1) || isPointer(r2)) {
    let a = r1, b = r2, o = op;
    if (!isRegConst(b, is32)) { o = FLIP[o]!; a = r2; b = r1; }
    if (!isRegConst(b, is32)) return -1;
    if (!notNull(a)) return -1;
    if (constVal(b, is32) !== 0n) return -1;
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

function scalarBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
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
function refine(r1: Bounds, r2: Bounds, op: number, is32: boolean, r1Const: boolean, r2Const: boolean): void {
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

/** regs_refine_cond_op then reg_bounds_sync on both operands: what `r1 op r2` being true says about them. */
function refineAndSync(r1: Reg, r2: Reg, op: number, is32: boolean): void {
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
    for (const slot of f.stack) if (slot.kinds[7] === 1 || slot.spilled.type !== "not_init") syncOne(slot.spilled, r);
  });
}

/** One register of sync_linked_regs: the known register's state, moved by the difference of their deltas. */
function syncOne(o: Reg, known: Reg): void {
  if (o === known || o.type !== "scalar" || o.id !== known.id) return;
  if ((!o.addConst && !known.addConst) || o.off === known.off) { Object.assign(o, copyReg(known)); return; }
  const { off, id, addConst } = o;
  Object.assign(o, copyReg(known));
  o.off = off; o.id = id; o.addConst = addConst;
  // reg = known + (delta of reg - delta of known); a 32-bit delta zero-extends
  scalarAlu("add", addConst === 32, o, knownBounds(BigInt(off) - BigInt(known.off)));
}

/**
 * mark_ptr_not_null_reg: a map lookup's result becomes what the map holds once it is known not NULL (the
 * inner map of a map-in-map, a socket of a sockmap/sockhash/xskmap); other types just lose the NULL.
 */
export function markNotNull(r: Reg, opts: EnvOptions): void {
  r.maybeNull = false;
  if (r.type !== "map_value") return;
  const m = opts.maps[r.map];
  const inner = opts.innerMap[r.map] ?? -1;
  if (inner >= 0) { r.type = "map_ptr"; r.map = inner; }
  else if (m?.type === "xskmap") r.type = "xdp_sock";
  else if (m?.type === "sockmap" || m?.type === "sockhash") r.type = "sock";
}

function markPtrOrNull(s: State, regno: number, isNull: boolean, opts: EnvOptions): void {
  const f = curFrame(s);
  const reg = f.regs[regno]!;
  const id = reg.id;
  if (reg.refObjId && reg.refObjId === id && isNull) s.refs = s.refs.filter((r) => r.id !== id);
  forEachReg(s, (r) => {
    if (!r.maybeNull || r.id !== id) return;
    if (isNull) {
      Object.assign(r, constScalar(0n));
      return;
    }
    markNotNull(r, opts);
    // the id stays on values holding a bpf_spin_lock: it names the lock (reg_may_point_to_spin_lock)
    if (!(r.type === "map_value" && (opts.fields[r.map]?.spinLock ?? -1) >= 0)) r.id = 0;
  });
}

function findGoodPkt(s: State, reg: Reg, rightOpen: boolean): void {
  if (reg.off < 0 || (reg.off === 0 && rightOpen)) return;
  const MAX_PACKET_OFF = 0xffffn;
  if (reg.umax > MAX_PACKET_OFF || reg.umax + BigInt(reg.off) > MAX_PACKET_OFF) return;
  const newRange = reg.off + (rightOpen ? 1 : 0);
  const type = reg.type, id = reg.id;
  forEachReg(s, (r) => { if (r.type === type && r.id === id) r.range = Math.max(r.range, newRange); });
}

function markPktEnd(s: State, regno: number, open: boolean): void {
  const r = curFrame(s).regs[regno]!;
  if (r.type !== "pkt") return;
  r.range = open ? BEYOND_PKT_END : AT_PKT_END;
}

const initPkt = (r: Reg, t: string): boolean => r.type === t && r.off === 0 && r.varOff.mask === 0n && r.varOff.value === 0n;

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
    src = constScalar(is32 ? BigInt(insn.imm) & U32 : BigInt(insn.imm));
    if (!is32) src = constScalar(BigInt(insn.imm));
  }
  const dst = R[insn.dst]!;
  // a stack pointer compared is not a scalar to back-track through
  const stackFlags = (insn.code & 8 && src.type === "stack" ? INSN_F_SRC_REG_STACK : 0) | (dst.type === "stack" ? INSN_F_DST_REG_STACK : 0);
  if (stackFlags) pushHist(env, stackFlags);
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred >= 0) markBranchOperands(env, insn, dst, src);
  if (pred === 1) return { only: true };
  if (pred === 0) return { only: false };

  // scalars linked with the operands get their bounds from this jump too: remember them for back-tracking
  const linked: LinkedReg[] = [];
  const live = env.liveRegs?.[env.insnIdx] ?? 0xffff;
  if (insn.code & 8 && src.type === "scalar" && src.id) collectLinkedRegs(env.cur, src.id, live, linked);
  if (dst.type === "scalar" && dst.id) collectLinkedRegs(env.cur, dst.id, live, linked);
  if (linked.length > 1) pushHist(env, 0, linked);

  const other = clone(env.cur);
  const oR = curFrame(other).regs;
  if (dst.type === "scalar" && src.type === "scalar") {
    // reg_set_min_max: the fall-through learns the reversed condition, the jump target the condition; an
    // immediate operand is a fake register of its own on each side. A refinement that leaves no possible
    // value (a branch no value can take, which is_branch_taken did not see) is reported and its ranges
    // forgotten, as 6.18 does, rather than treated as a dead branch.
    const trueSrc = insn.code & 8 ? oR[insn.src]! : { ...src };
    const falseSrc = insn.code & 8 ? src : { ...src };
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
  // two pointers compared for (in)equality, one possibly NULL and the other not: equal means not NULL
  if (!is32 && (insn.code & 8) && (op === JEQ || op === JNE) && isPtr(src) && isPtr(dst) && src.maybeNull !== dst.maybeNull) {
    const eq = op === JEQ ? other : env.cur;
    markNotNull(curFrame(eq).regs[src.maybeNull ? insn.src : insn.dst]!, env.opts);
  }
  if (!is32 && !(insn.code & 8) && insn.imm === 0 && (op === JEQ || op === JNE) && dst.maybeNull) {
    markPtrOrNull(env.cur, insn.dst, op === JNE, env.opts);
    markPtrOrNull(other, insn.dst, op === JEQ, env.opts);
  } else {
    matchPkt(insn, op, dst, src, env.cur, other);
  }
  return { other };
}
