// ALU instructions (check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals): reserved-field
// checks, division by a zero immediate, shift ranges, register moves and the pointer arithmetic rules.
// The checks run in the kernel's order, so the first message is the kernel's first message.
import type { RawInsn } from "./cfg.js";
import { type Env, Reject, checkRegRead, checkRegWrite, regs, sanityCheckBounds } from "./env.js";
import { regTypeStr } from "./log.js";
import { type Bounds, assignBounds, coerceToSize, mark32Known, mark32Unbounded, markKnownHL, scalarAlu, sext32, sminNum, sminOf, syncBounds,
  umaxFits, zext32 } from "./scalar.js";
import { markChainPrecision } from "./precision.js";
import { type Reg, assignScalarIdBeforeMov, clearScalarId, constScalarHL, copyReg, isPktPointer, knownInto, unknownScalar } from "./state.js";
import { add64, big, rh, rl, sub64, tAdd, tIsConst, tSub, tnumRangeHL, tnumStr, ult64 } from "./tnum.js";

const OPS = ["add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor", "mov", "arsh", "end"];
export const ALU_STR = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian"];
const MAX_VAR_OFF = 1 << 29;

function setReg(env: Env, regno: number, r: Reg): void { regs(env)[regno] = r; }

/** check_alu_op: the operation, then the kernel's sanity check of the result's bounds. */
export function checkAlu(env: Env, insn: RawInsn): void {
  checkAluOp(env, insn);
  sanityCheckBounds(env, regs(env)[insn.dst]!, "alu");
}

function checkAluOp(env: Env, insn: RawInsn): void {
  const op = insn.code >> 4;
  const alu64 = (insn.code & 7) === 7;
  const srcX = (insn.code & 8) !== 0;
  const R = regs(env);

  if (op === 8 || op === 13) { // NEG, END
    if (op === 8) {
      if (insn.src !== 0 || insn.off !== 0 || insn.imm !== 0 || srcX) throw new Reject("BPF_NEG uses reserved fields", 22);
    } else if (insn.src !== 0 || insn.off !== 0 || (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) || (alu64 && srcX)) {
      throw new Reject("BPF_END uses reserved fields", 22);
    }
    checkRegRead(env, insn.dst);
    checkRegWrite(env, insn.dst);
    const d = R[insn.dst]!;
    if (d.type !== "scalar") { setReg(env, insn.dst, unknownScalar()); return; }
    if (op === 8) {
      const out = unknownScalar();
      assignBounds(out, constScalarHL(0, 0));
      scalarAlu("sub", !alu64, out, d);
      setReg(env, insn.dst, out);
    } else {
      // byte swaps act on the tnum byte by byte: le on this little-endian host only truncates, be and
      // bswap reverse the low imm/8 bytes; the ranges are then rebuilt from the tnum
      const bytes = insn.imm / 8;
      const swap = alu64 || srcX;
      if (!swap) {
        // le64 is a no-op here; le16/le32 truncate like a narrow load
        const out = copyReg(d);
        clearScalarId(out);
        if (bytes < 8) coerceToSize(out, bytes);
        setReg(env, insn.dst, out);
        return;
      }
      const out = unknownScalar();
      const t = d.varOff;
      out.varOff = { vh: swapHi(t.vh, t.vl, bytes), vl: swapLo(t.vh, t.vl, bytes), mh: swapHi(t.mh, t.ml, bytes), ml: swapLo(t.mh, t.ml, bytes) };
      syncBounds(out);
      setReg(env, insn.dst, out);
    }
    return;
  }

  if (op === 11) { // MOV
    if (srcX) {
      if (insn.imm !== 0 && !(alu64 && insn.off === 1)) throw new Reject("BPF_MOV uses reserved fields", 22);
      const okOff = alu64 ? [0, 1, 8, 16, 32] : [0, 8, 16];
      if (!okOff.includes(insn.off)) throw new Reject("BPF_MOV uses reserved fields", 22);
      if (alu64 && insn.off === 1) {
        if (insn.imm !== 1 && insn.imm !== 1 << 16) throw new Reject("addr_space_cast insn can only convert between address space 1 and 0", 22);
        if (!env.opts.maps.some((m) => m.type === "arena")) throw new Reject("addr_space_cast insn can only be used in a program that has an associated arena", 22);
      }
      checkRegRead(env, insn.src);
    } else if (insn.src !== 0 || insn.off !== 0) {
      throw new Reject("BPF_MOV uses reserved fields", 22);
    }
    checkRegWrite(env, insn.dst);
    if (srcX) {
      const s = R[insn.src]!;
      if (alu64) {
        if (insn.off === 0) {
          // a copy of an unknown scalar shares its id, so a later bounds check refines both
          assignScalarIdBeforeMov(s, () => ++env.idGen);
          setReg(env, insn.dst, copyReg(s));
        } else if (insn.off === 1) {
          // addr_space_cast: from the arena's user address space (1) to the kernel's (0) gives an arena pointer
          const r = unknownScalar();
          if (insn.imm === 1) r.type = "arena";
          setReg(env, insn.dst, r);
        } else {
          if (s.type !== "scalar") { setReg(env, insn.dst, unknownScalar()); return; }
          const noSext = umaxFits(s, insn.off - 1);
          if (noSext) assignScalarIdBeforeMov(s, () => ++env.idGen);
          const r = copyReg(s);
          if (!noSext) clearScalarId(r);
          coerceToSizeSx(r, insn.off / 8);
          setReg(env, insn.dst, r);
        }
      } else {
        if (s.type !== "scalar") {
          // a 32-bit copy of a pointer is some 32-bit number
          const r = unknownScalar();
          zext32(r);
          syncBounds(r);
          setReg(env, insn.dst, r);
          return;
        }
        if (insn.off === 0) {
          // a copy of a value that fits in 32 bits stays linked to its source (same id)
          const fits = s.umaxHi === 0;
          if (fits) assignScalarIdBeforeMov(s, () => ++env.idGen);
          const r = copyReg(s);
          if (!fits) clearScalarId(r);
          zext32(r);
          syncBounds(r);
          setReg(env, insn.dst, r);
        } else {
          const noSext = umaxFits(s, insn.off - 1);
          if (noSext) assignScalarIdBeforeMov(s, () => ++env.idGen);
          const r = copyReg(s);
          if (!noSext) clearScalarId(r);
          coerceSubregToSizeSx(r, insn.off / 8);
          zext32(r);
          syncBounds(r);
          setReg(env, insn.dst, r);
        }
      }
    } else {
      setReg(env, insn.dst, constScalarHL(alu64 && insn.imm < 0 ? -1 : 0, insn.imm));
    }
    return;
  }

  if (op > 13) throw new Reject(`invalid BPF_ALU opcode ${(op << 4).toString(16)}`, 22);

  if (srcX) {
    if (insn.imm !== 0 || insn.off > 1 || insn.off < 0 || (insn.off === 1 && op !== 9 && op !== 3)) throw new Reject("BPF_ALU uses reserved fields", 22);
    checkRegRead(env, insn.src);
  } else if (insn.src !== 0 || insn.off > 1 || insn.off < 0 || (insn.off === 1 && op !== 9 && op !== 3)) {
    throw new Reject("BPF_ALU uses reserved fields", 22);
  }
  checkRegRead(env, insn.dst);
  if ((op === 9 || op === 3) && !srcX && insn.imm === 0) throw new Reject("div by zero", 22);
  if ((op === 6 || op === 7 || op === 12) && !srcX) {
    const size = alu64 ? 64 : 32;
    if (insn.imm < 0 || insn.imm >= size) throw new Reject(`invalid shift ${insn.imm}`, 22);
  }
  checkRegWrite(env, insn.dst);
  adjustRegMinMax(env, insn, op, alu64, srcX);
}

/** Byte-reversed low `bytes` bytes of the 64-bit word (h, l): its high half, then its low half. */
function swapHi(h: number, l: number, bytes: number): number {
  return bytes === 8 ? bswap32(l) : 0;
}
function swapLo(h: number, l: number, bytes: number): number {
  if (bytes === 8) return bswap32(h);
  if (bytes === 4) return bswap32(l);
  return ((l & 0xff) << 8) | ((l >>> 8) & 0xff);
}
const bswap32 = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | ((x >>> 24) & 0xff);

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes; a range that stays on one side of zero is kept. */
export function coerceToSizeSx(r: Bounds, size: number): void {
  const bits = size * 8;
  if (tIsConst(r.varOff)) {
    const l = sext32(r.varOff.vl, bits);
    markKnownHL(r, l < 0 ? -1 : 0, l);
    return;
  }
  // the bits above `bits` equal in smin and smax (top(smax) === top(smin))
  const sameTop = bits === 32 ? r.smaxHi === r.sminHi : r.smaxHi === r.sminHi && r.smaxLo >>> bits === r.sminLo >>> bits;
  if (sameTop) {
    const a = sext32(r.smaxLo, bits), b = sext32(r.sminLo, bits);
    const hi = a > b ? a : b, lo = a > b ? b : a;
    if ((hi >= 0) === (lo >= 0)) {
      const loH = lo < 0 ? -1 : 0, hiH = hi < 0 ? -1 : 0;
      r.sminHi = r.uminHi = loH; r.sminLo = r.uminLo = lo; r.smaxHi = r.umaxHi = hiH; r.smaxLo = r.umaxLo = hi;
      r.s32min = r.u32min = lo; r.s32max = r.u32max = hi;
      r.varOff = tnumRangeHL(loH, lo, hiH, hi);
      return;
    }
  }
  const lo = -(2 ** (bits - 1)), hi = 2 ** (bits - 1) - 1;
  r.sminHi = -1; r.sminLo = lo | 0; r.smaxHi = 0; r.smaxLo = hi | 0; r.s32min = lo | 0; r.s32max = hi | 0;
  r.uminHi = 0; r.uminLo = 0; r.umaxHi = -1; r.umaxLo = -1; r.u32min = 0; r.u32max = -1;
  r.varOff = { vh: 0, vl: 0, mh: -1, ml: -1 };
}

/** coerce_subreg_to_size_sx: the same on the low 32 bits (32-bit movsx). */
export function coerceSubregToSizeSx(r: Bounds, size: number): void {
  const bits = size * 8;
  if (r.varOff.ml === 0) {
    const v = sext32(r.varOff.vl, bits);
    r.varOff = { vh: 0, vl: v, mh: 0, ml: 0 };
    r.s32min = r.s32max = r.u32min = r.u32max = v;
    return;
  }
  if (r.s32max >>> bits === r.s32min >>> bits) {
    const a = sext32(r.s32max, bits), b = sext32(r.s32min, bits);
    const hi = a > b ? a : b, lo = a > b ? b : a;
    if ((hi >= 0) === (lo >= 0)) {
      r.s32min = r.u32min = lo; r.s32max = r.u32max = hi;
      const t = tnumRangeHL(lo < 0 ? -1 : 0, lo, hi < 0 ? -1 : 0, hi);
      r.varOff = { vh: 0, vl: t.vl, mh: 0, ml: t.ml };
      return;
    }
  }
  r.s32min = -(2 ** (bits - 1)) | 0; r.s32max = (2 ** (bits - 1) - 1) | 0; r.u32min = 0; r.u32max = -1;
  r.varOff = { vh: 0, vl: 0, mh: 0, ml: -1 };
}

function adjustRegMinMax(env: Env, insn: RawInsn, op: number, alu64: boolean, srcX: boolean): void {
  const R = regs(env);
  const dst = R[insn.dst]!;
  const opName = OPS[op]!;
  // an arena pointer on either side: any arithmetic, and the result is an arena pointer (arena.ts)
  if (dst.type === "arena" || (srcX && R[insn.src]!.type === "arena")) {
    if (dst.type !== "arena") R[insn.dst] = copyReg(R[insn.src]!);
    return;
  }
  let src: Reg;
  if (srcX) {
    src = R[insn.src]!;
    if (src.type !== "scalar") {
      if (dst.type !== "scalar") {
        // pointer - pointer gives a scalar for a privileged loader; anything else is refused
        if (op === 1) { R[insn.dst] = unknownScalar(); return; }
        throw new Reject(`R${insn.dst} pointer ${ALU_STR[op]} pointer prohibited`);
      }
      // scalar += pointer: the scalar's range becomes the pointer's offset
      markChainPrecision(env, insn.dst);
      adjustPtr(env, insn, op, alu64, src, dst, true);
      return;
    }
    if (dst.type !== "scalar") { markChainPrecision(env, insn.src); adjustPtr(env, insn, op, alu64, dst, src, false); return; }
    if (dst.precise) markChainPrecision(env, insn.src);
  } else {
    if (dst.type !== "scalar") { adjustPtr(env, insn, op, alu64, dst, constScalarHL(insn.imm < 0 ? -1 : 0, insn.imm), false); return; }
    // the immediate's fake register: only read below, so one scratch register serves every instruction
    src = knownInto(IMM, insn.imm < 0 ? -1 : 0, insn.imm);
  }
  if ((op === 4 || op === 5) && tIsConst(src.varOff)) maybeForkScalars(env, insn, dst);
  const before = regs(env)[insn.dst]!;
  const wideBefore = before.umaxHi !== 0;
  // the register is changed in place (no state shares register objects), unless it is also the source
  const out = srcX && insn.src === insn.dst ? copyReg(before) : before;
  scalarAlu(opName, !alu64, out, src);
  linkAfterAlu(out, insn, op, alu64, src, wideBefore);
  R[insn.dst] = out;
}

const IMM: Reg = constScalarHL(0, 0);

/**
 * After `dst op src` on scalars: adding or subtracting a constant keeps the link with dst's copies as a
 * delta (BPF_ADD_CONST64/32, at most one per link, within s32); any other operation breaks it.
 */
function linkAfterAlu(dst: Reg, insn: RawInsn, op: number, alu64: boolean, src: Reg, wideBefore: boolean): void {
  const srcX = (insn.code & 8) !== 0;
  const srcConst = alu64 ? tIsConst(src.varOff) : src.varOff.ml === 0;
  if (!((op === 0 || op === 1) && dst.id && srcConst && !(srcX && insn.src === insn.dst))) { clearScalarId(dst); return; }
  // a 32-bit operation is a delta of the linked value only when that value has no upper bits
  if (!alu64 && wideBefore) { clearScalarId(dst); return; }
  // a 64-bit delta must be an s32 (its high half the sign extension of its low half)
  if (alu64 && src.varOff.vh !== src.varOff.vl >> 31) { clearScalarId(dst); return; }
  let off = src.varOff.vl;
  if (op === 1) {
    if (off === -0x80000000) { clearScalarId(dst); return; }
    off = -off | 0; // never -0: a register field holding -0 becomes a boxed double in every register
  }
  if (dst.addConst) { clearScalarId(dst); return; }
  dst.addConst = alu64 ? 64 : 32;
  dst.off = off;
}

/**
 * A packet pointer compared with pkt_end carries AT_PKT_END / BEYOND_PKT_END (a negative range); any
 * arithmetic on it, even `+= 0`, drops that mark (6.18 stable clears it: the moved pointer may be back
 * inside the packet, so a later `if r <= pkt_end` is no longer decided).
 */
function clearPktEndMark(r: Reg): void {
  if (isPktPointer(r) && r.range < 0) r.range = 0;
}

/**
 * maybe_fork_scalars: `x & K` / `x | K` where x is -1 or 0 (typically a sign mask) is explored as two
 * states, x = 0 (queued, re-running this instruction) and x = -1 (continuing), so both results are exact.
 */
function maybeForkScalars(env: Env, insn: RawInsn, dst: Reg): void {
  let alu32: boolean;
  if (dst.sminHi === -1 && dst.sminLo === -1 && dst.smaxHi === 0 && dst.smaxLo === 0) alu32 = false;
  else if (dst.s32min === -1 && dst.s32max === 0) alu32 = true;
  else return;
  const branch = env.clone(env.cur);
  const bdst = branch.frames[branch.frames.length - 1]!.regs[insn.dst]!;
  if (alu32) { mark32Known(bdst, 0); mark32Known(dst, -1); }
  else { markKnownHL(bdst, 0, 0); markKnownHL(dst, -1, -1); }
  env.push(branch, env.insnIdx);
}

/** -MAX_VAR_OFF < x < MAX_VAR_OFF for the s64 (h, l). */
const inVarOffRange = (h: number, l: number): boolean => (h === 0 && l >>> 0 < MAX_VAR_OFF) || (h === -1 && l > -MAX_VAR_OFF && l < 0);

/** check_reg_sane_offset. `off` is the pointer's fixed offset (undefined for the scalar operand). */
function saneOffset(reg: Bounds, off: number | undefined, name: string): void {
  const v = reg.varOff;
  if (tIsConst(v) && !inVarOffRange(v.vh, v.vl)) throw new Reject(`math between ${name} pointer and ${BigInt.asIntN(64, big(v.vh, v.vl))} is not allowed`, 22);
  if (off !== undefined && (off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF)) throw new Reject(`${name} pointer offset ${off} is not allowed`, 22);
  if (reg.sminHi === -0x80000000 && reg.sminLo === 0) throw new Reject(`math between ${name} pointer and register with unbounded min value is not allowed`, 22);
  if (!inVarOffRange(reg.sminHi, reg.sminLo)) throw new Reject(`value ${sminOf(reg)} makes ${name} pointer be out of bounds`, 22);
}

const ARITH_OK = new Set(["ctx", "map_value", "map_key", "stack", "pkt_meta", "pkt", "tp_buffer", "mem", "buf", "func", "btf_id", "dynptr_ptr"]);

/** Pointer arithmetic (adjust_ptr_min_max_vals): `ptr op scalar` or, with `scalarIsDst`, `scalar += ptr`. */
function adjustPtr(env: Env, insn: RawInsn, op: number, alu64: boolean, ptr: Reg, offReg: Reg, scalarIsDst: boolean): void {
  const R = regs(env);
  const d = insn.dst;
  const known = tIsConst(offReg.varOff);
  if (!alu64) {
    if (op === 1) { R[d] = unknownScalar(); return; }
    throw new Reject(`R${d} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.maybeNull) throw new Reject(`R${d} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  const tname = regTypeStr(ptr);
  if (!ARITH_OK.has(ptr.type)) {
    const okMap = (ptr.type === "map_ptr" && known && offReg.sminHi === 0 && offReg.sminLo === 0 && op === 0) || (ptr.type === "flow_keys" && known);
    if (!okMap) throw new Reject(`R${d} pointer arithmetic on ${tname} prohibited`);
  }
  const out = copyReg(ptr);
  saneOffset(offReg, undefined, tname);
  saneOffset(ptr, ptr.off, tname);
  mark32Unbounded(out);
  // the operand's smin as a number (exact: saneOffset bounded it to +-2^29)
  const smin = sminNum(offReg);
  switch (op) {
    case 0: { // add
      if (known && fitsS32(ptr.off + smin)) {
        out.off = (ptr.off + smin) | 0; // an int32 field: a sum of doubles would box every register's off (fitsS32 holds)
        clearPktEndMark(out);
        break;
      }
      add64(ptr.sminHi, ptr.sminLo, offReg.sminHi, offReg.sminLo);
      const ah = rh(), al = rl(), ovA = ((ptr.sminHi ^ ah) & (offReg.sminHi ^ ah)) < 0;
      add64(ptr.smaxHi, ptr.smaxLo, offReg.smaxHi, offReg.smaxLo);
      const bh = rh(), bl = rl(), ovB = ((ptr.smaxHi ^ bh) & (offReg.smaxHi ^ bh)) < 0;
      if (ovA || ovB) { out.sminHi = -0x80000000; out.sminLo = 0; out.smaxHi = 0x7fffffff; out.smaxLo = -1; }
      else { out.sminHi = ah; out.sminLo = al; out.smaxHi = bh; out.smaxLo = bl; }
      add64(ptr.uminHi, ptr.uminLo, offReg.uminHi, offReg.uminLo);
      const ch = rh(), cl = rl(), ovC = ult64(ch, cl, ptr.uminHi, ptr.uminLo);
      add64(ptr.umaxHi, ptr.umaxLo, offReg.umaxHi, offReg.umaxLo);
      const eh = rh(), el = rl(), ovE = ult64(eh, el, ptr.umaxHi, ptr.umaxLo);
      if (ovC || ovE) { out.uminHi = 0; out.uminLo = 0; out.umaxHi = -1; out.umaxLo = -1; }
      else { out.uminHi = ch; out.uminLo = cl; out.umaxHi = eh; out.umaxLo = el; }
      out.varOff = tAdd(ptr.varOff, offReg.varOff);
      if (isPktPointer(ptr)) { out.id = ++env.idGen; out.range = 0; }
      break;
    }
    case 1: { // sub
      if (scalarIsDst) throw new Reject(`R${d} tried to subtract pointer from scalar`);
      if (ptr.type === "stack") throw new Reject(`R${d} subtraction from stack pointer prohibited`);
      if (known && fitsS32(ptr.off - smin)) {
        out.off = (ptr.off - smin) | 0;
        clearPktEndMark(out);
        break;
      }
      sub64(ptr.sminHi, ptr.sminLo, offReg.smaxHi, offReg.smaxLo);
      const ah = rh(), al = rl(), ovA = ((ptr.sminHi ^ offReg.smaxHi) & (ptr.sminHi ^ ah)) < 0;
      sub64(ptr.smaxHi, ptr.smaxLo, offReg.sminHi, offReg.sminLo);
      const bh = rh(), bl = rl(), ovB = ((ptr.smaxHi ^ offReg.sminHi) & (ptr.smaxHi ^ bh)) < 0;
      if (ovA || ovB) { out.sminHi = -0x80000000; out.sminLo = 0; out.smaxHi = 0x7fffffff; out.smaxLo = -1; }
      else { out.sminHi = ah; out.sminLo = al; out.smaxHi = bh; out.smaxLo = bl; }
      if (ult64(ptr.uminHi, ptr.uminLo, offReg.umaxHi, offReg.umaxLo)) { out.uminHi = 0; out.uminLo = 0; out.umaxHi = -1; out.umaxLo = -1; }
      else {
        sub64(ptr.uminHi, ptr.uminLo, offReg.umaxHi, offReg.umaxLo); out.uminHi = rh(); out.uminLo = rl();
        sub64(ptr.umaxHi, ptr.umaxLo, offReg.uminHi, offReg.uminLo); out.umaxHi = rh(); out.umaxLo = rl();
      }
      out.varOff = tSub(ptr.varOff, offReg.varOff);
      if (isPktPointer(ptr)) { out.id = ++env.idGen; if (offReg.sminHi < 0) out.range = 0; else clearPktEndMark(out); }
      break;
    }
    case 4: case 5: case 10:
      throw new Reject(`R${d} bitwise operator ${ALU_STR[op]} on pointer prohibited`);
    default:
      throw new Reject(`R${d} pointer arithmetic with ${ALU_STR[op]} operator prohibited`);
  }
  saneOffset(out, out.off, tname);
  syncBounds(out);
  R[d] = out;
}

const fitsS32 = (v: number): boolean => v >= -0x80000000 && v <= 0x7fffffff;

export { tnumStr, zext32 };
