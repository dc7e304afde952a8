// ALU instructions (check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals): reserved-field
// checks, division by a zero immediate, shift ranges, register moves and the pointer arithmetic rules.
// The checks run in the kernel's order, so the first message is the kernel's first message.
import type { RawInsn } from "./cfg.js";
import { type Env, Reject, checkRegRead, checkRegWrite, regs, sanityCheckBounds } from "./env.js";
import { regTypeStr } from "./log.js";
import { type Bounds, S64_MAX, S64_MIN, coerceToSize, copyBounds, mark32Known, mark32Unbounded, markKnown, markUnknown, scalarAlu,
  syncBounds, zext32, isConst } from "./scalar.js";
import { markChainPrecision } from "./precision.js";
import { type Reg, assignScalarIdBeforeMov, clearScalarId, constScalar, copyReg, isPktPointer, unknownScalar } from "./state.js";
import { U64, tAdd, tSub, tIsConst, tSubreg, tnumRange, tnumStr } from "./tnum.js";

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
      const zero = constScalar(0n);
      scalarAlu("sub", !alu64, zero, d);
      setReg(env, insn.dst, { ...unknownScalar(), ...copyBounds(zero) });
    } else {
      // byte swaps act on the tnum byte by byte: le on this little-endian host only truncates, be and
      // bswap reverse the low imm/8 bytes; the ranges are then rebuilt from the tnum
      const bytes = insn.imm / 8;
      const swap = alu64 || srcX;
      const mask = bytes === 8 ? (1n << 64n) - 1n : (1n << BigInt(bytes * 8)) - 1n;
      const perm = (v: bigint): bigint => {
        if (!swap) return v & mask;
        let out = 0n;
        for (let b = 0; b < bytes; b++) out |= ((v >> BigInt(8 * b)) & 0xffn) << BigInt(8 * (bytes - 1 - b));
        return out;
      };
      if (!swap) {
        // le64 is a no-op here; le16/le32 truncate like a narrow load
        const out = copyReg(d);
        clearScalarId(out);
        if (bytes < 8) coerceToSize(out, bytes);
        setReg(env, insn.dst, out);
        return;
      }
      const out = unknownScalar();
      out.varOff = { value: perm(d.varOff.value), mask: perm(d.varOff.mask) };
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
          const noSext = s.umax < 1n << BigInt(insn.off - 1);
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
          const fits = s.umax <= 0xffffffffn;
          if (fits) assignScalarIdBeforeMov(s, () => ++env.idGen);
          const r = copyReg(s);
          if (!fits) clearScalarId(r);
          zext32(r);
          syncBounds(r);
          setReg(env, insn.dst, r);
        } else {
          const noSext = s.umax < 1n << BigInt(insn.off - 1);
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
      setReg(env, insn.dst, constScalar(alu64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0)));
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
function coerceSubregToSizeSx(r: Bounds, size: number): void {
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
    src = constScalar(BigInt(insn.imm));
    if (dst.type !== "scalar") { adjustPtr(env, insn, op, alu64, dst, src, false); return; }
  }
  if ((op === 4 || op === 5) && tIsConst(src.varOff)) maybeForkScalars(env, insn, dst);
  const before = regs(env)[insn.dst]!;
  const out = copyReg(before);
  scalarAlu(opName, !alu64, out, copyBounds(src));
  linkAfterAlu(out, insn, op, alu64, src, before.umax);
  R[insn.dst] = out;
}

/**
 * After `dst op src` on scalars: adding or subtracting a constant keeps the link with dst's copies as a
 * delta (BPF_ADD_CONST64/32, at most one per link, within s32); any other operation breaks it.
 */
function linkAfterAlu(dst: Reg, insn: RawInsn, op: number, alu64: boolean, src: Reg, umaxBefore: bigint): void {
  const srcX = (insn.code & 8) !== 0;
  const srcConst = alu64 ? tIsConst(src.varOff) : tSubreg(src.varOff).mask === 0n;
  if (!((op === 0 || op === 1) && dst.id && srcConst && !(srcX && insn.src === insn.dst))) { clearScalarId(dst); return; }
  // a 32-bit operation is a delta of the linked value only when that value has no upper bits
  if (!alu64 && umaxBefore > 0xffffffffn) { clearScalarId(dst); return; }
  const val = alu64 ? BigInt.asIntN(64, src.varOff.value) : BigInt.asUintN(32, src.varOff.value);
  if (alu64 && (val < -0x80000000n || val > 0x7fffffffn)) { clearScalarId(dst); return; }
  let off = Number(BigInt.asIntN(32, val));
  if (op === 1) {
    if (off === -0x80000000) { clearScalarId(dst); return; }
    off = -off;
  }
  if (dst.addConst) { clearScalarId(dst); return; }
  dst.addConst = alu64 ? 64 : 32;
  dst.off = off;
}

/**
 * maybe_fork_scalars: `x & K` / `x | K` where x is -1 or 0 (typically a sign mask) is explored as two
 * states, x = 0 (queued, re-running this instruction) and x = -1 (continuing), so both results are exact.
 */
function maybeForkScalars(env: Env, insn: RawInsn, dst: Reg): void {
  let alu32: boolean;
  if (dst.smin === -1n && dst.smax === 0n) alu32 = false;
  else if (dst.s32min === -1n && dst.s32max === 0n) alu32 = true;
  else return;
  const branch = env.clone(env.cur);
  const bdst = branch.frames[branch.frames.length - 1]!.regs[insn.dst]!;
  if (alu32) { mark32Known(bdst, 0n); mark32Known(dst, -1n); }
  else { markKnown(bdst, 0n); markKnown(dst, -1n); }
  env.push(branch, env.insnIdx);
}

function saneOffset(reg: Bounds & { off?: number }, type: string, isOffReg: boolean): void {
  const known = tIsConst(reg.varOff);
  const val = reg.smin;
  const name = type;
  if (known && (val >= BigInt(MAX_VAR_OFF) || val <= -BigInt(MAX_VAR_OFF))) throw new Reject(`math between ${name} pointer and ${val} is not allowed`, 22);
  if (!isOffReg && reg.off !== undefined && (reg.off >= MAX_VAR_OFF || reg.off <= -MAX_VAR_OFF)) throw new Reject(`${name} pointer offset ${reg.off} is not allowed`, 22);
  if (reg.smin === S64_MIN) throw new Reject(`math between ${name} pointer and register with unbounded min value is not allowed`, 22);
  if (reg.smin >= BigInt(MAX_VAR_OFF) || reg.smin <= -BigInt(MAX_VAR_OFF)) throw new Reject(`value ${reg.smin} makes ${name} pointer be out of bounds`, 22);
}

const ARITH_OK = new Set(["ctx", "map_value", "map_key", "stack", "pkt_meta", "pkt", "tp_buffer", "mem", "buf", "func", "btf_id", "dynptr_ptr"]);

/** Pointer arithmetic (adjust_ptr_min_max_vals): `ptr op scalar` or, with `scalarIsDst`, `scalar += ptr`. */
function adjustPtr(env: Env, insn: RawInsn, op: number, alu64: boolean, ptr: Reg, offReg: Reg, scalarIsDst: boolean): void {
  const R = regs(env);
  const d = insn.dst;
  const known = tIsConst(offReg.varOff);
  const smin = offReg.smin, smax = offReg.smax, umin = offReg.umin, umax = offReg.umax;
  if (!alu64) {
    if (op === 1) { R[d] = unknownScalar(); return; }
    throw new Reject(`R${d} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.maybeNull) throw new Reject(`R${d} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  const tname = regTypeStr(ptr);
  if (!ARITH_OK.has(ptr.type)) {
    const okMap = (ptr.type === "map_ptr" && known && smin === 0n && op === 0) || (ptr.type === "flow_keys" && known);
    if (!okMap) throw new Reject(`R${d} pointer arithmetic on ${tname} prohibited`);
  }
  const out = copyReg(ptr);
  out.id = ptr.id;
  saneOffset(offReg, tname, true);
  saneOffset({ ...copyBounds(ptr), off: ptr.off }, tname, false);
  mark32Unbounded(out);
  switch (op) {
    case 0: { // add
      if (known && fitsS32(ptr.off + Number(smin))) {
        Object.assign(out, copyBounds(ptr));
        mark32Unbounded(out);
        out.off = ptr.off + Number(smin);
        break;
      }
      const a = ptr.smin + smin, b = ptr.smax + smax;
      if (a < S64_MIN || a > S64_MAX || b < S64_MIN || b > S64_MAX) { out.smin = S64_MIN; out.smax = S64_MAX; } else { out.smin = a; out.smax = b; }
      const umn = ptr.umin + umin, umx = ptr.umax + umax;
      if (umn > U64 || umx > U64) { out.umin = 0n; out.umax = U64; } else { out.umin = umn; out.umax = umx; }
      out.varOff = tAdd(ptr.varOff, offReg.varOff);
      out.off = ptr.off;
      if (isPktPointer(ptr)) { out.id = ++env.idGen; out.range = 0; }
      break;
    }
    case 1: { // sub
      if (scalarIsDst) throw new Reject(`R${d} tried to subtract pointer from scalar`);
      if (ptr.type === "stack") throw new Reject(`R${d} subtraction from stack pointer prohibited`);
      if (known && fitsS32(ptr.off - Number(smin))) {
        Object.assign(out, copyBounds(ptr));
        mark32Unbounded(out);
        out.off = ptr.off - Number(smin);
        break;
      }
      const a = ptr.smin - smax, b = ptr.smax - smin;
      if (a < S64_MIN || b > S64_MAX) { out.smin = S64_MIN; out.smax = S64_MAX; } else { out.smin = a; out.smax = b; }
      if (ptr.umin < umax) { out.umin = 0n; out.umax = U64; } else { out.umin = ptr.umin - umax; out.umax = ptr.umax - umin; }
      out.varOff = tSub(ptr.varOff, offReg.varOff);
      out.off = ptr.off;
      if (isPktPointer(ptr)) { out.id = ++env.idGen; if (smin < 0n) out.range = 0; }
      break;
    }
    case 4: case 5: case 10:
      throw new Reject(`R${d} bitwise operator ${ALU_STR[op]} on pointer prohibited`);
    default:
      throw new Reject(`R${d} pointer arithmetic with ${ALU_STR[op]} operator prohibited`);
  }
  saneOffset({ ...copyBounds(out), off: out.off }, tname, false);
  syncBounds(out);
  R[d] = out;
}

const fitsS32 = (v: number): boolean => v >= -0x80000000 && v <= 0x7fffffff;

export { tnumStr, zext32 };
