// Instruction lowering: one BPF instruction (a pre-decoded slot) to WebAssembly, with the interpreter's
// exact semantics (asm/interpreter.entry.ts): 32-bit results zero-extended, division by zero giving 0
// and modulo by zero leaving the dividend, shifts masked, addresses wrapping at 32 bits, stores into the
// context struct handed to the host where the program type narrows fields. Facts used when the program
// is verified: memory offsets cannot wrap (so a non-negative offset goes into the load's immediate),
// stack accesses through r10 address the frame directly, and a load whose result is dead can go.
import { CTX, CTX_MAX, CTRL, C, STATUS } from "../runtime/layout.js";
import { isAlu, isJcc, type Slot } from "./cfg.js";
import { CTRL_ADDR, type FnFrame } from "./frame.js";
import { lowerCall } from "./calls.js";
import { OP } from "./wasm.js";

const LOAD_SIZE: Record<number, number> = { 0x71: 1, 0x69: 2, 0x61: 4, 0x79: 8, 0x91: 1, 0x89: 2, 0x81: 4 };
const STORE_SIZE: Record<number, number> = { 0x72: 1, 0x6a: 2, 0x62: 4, 0x7a: 8, 0x73: 1, 0x6b: 2, 0x63: 4, 0x7b: 8 };
const LOAD_OP: Record<number, number> = {
  0x71: OP.i64_load8_u, 0x69: OP.i64_load16_u, 0x61: OP.i64_load32_u, 0x79: OP.i64_load,
  0x91: OP.i64_load8_s, 0x89: OP.i64_load16_s, 0x81: OP.i64_load32_s,
};
const STORE_OP: Record<number, number> = { 1: OP.i64_store8, 2: OP.i64_store16, 4: OP.i64_store32, 8: OP.i64_store };
const LOG2: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** Push the i32 address of `reg + off` and return the load/store immediate offset to use with it. */
export function address(f: FnFrame, reg: number, off: number): number {
  const b = f.body;
  if (f.verified && reg === 10 && off + 512 >= 0) { b.get(f.fpb); return off + 512; }
  b.get(f.reg[reg]!).op(OP.i32_wrap_i64);
  if (f.verified && off >= 0) return off;
  if (off !== 0) b.i32(off).op(OP.i32_add);
  return 0;
}

/** Push the second operand as i64 (register or sign-extended immediate). */
function opnd64(f: FnFrame, s: Slot): void {
  if (s.k) f.body.i64(s.imm32); else f.body.get(f.reg[s.opReg]!);
}
/** Push the second operand's low 32 bits. */
function opnd32(f: FnFrame, s: Slot): void {
  if (s.k) f.body.i32(s.imm32); else f.body.get(f.reg[s.opReg]!).op(OP.i32_wrap_i64);
}
const dst64 = (f: FnFrame, s: Slot): void => { f.body.get(f.reg[s.dst]!); };
const dst32 = (f: FnFrame, s: Slot): void => { f.body.get(f.reg[s.dst]!).op(OP.i32_wrap_i64); };
const setDst = (f: FnFrame, s: Slot): void => { f.body.set(f.reg[s.dst]!); };
const setDst32 = (f: FnFrame, s: Slot): void => { f.body.op(OP.i64_extend_i32_u).set(f.reg[s.dst]!); };

/** i32 on the stack -> its bytes reversed (uses t32[0]). */
export function bswap32(f: FnFrame): void {
  const b = f.body, t = f.t32[0]!;
  b.tee(t).i32(8).op(OP.i32_rotl).i32(0x00ff00ff).op(OP.i32_and);
  b.get(t).i32(8).op(OP.i32_rotr).i32(0xff00ff00 | 0).op(OP.i32_and).op(OP.i32_or);
}
/** i32 on the stack -> its low 16 bits swapped, zero-extended (uses t32[0]). */
export function bswap16(f: FnFrame): void {
  const b = f.body, t = f.t32[0]!;
  b.tee(t).i32(8).op(OP.i32_shl).i32(0xff00).op(OP.i32_and);
  b.get(t).i32(8).op(OP.i32_shr_u).i32(0xff).op(OP.i32_and).op(OP.i32_or);
}
/** i64 on the stack -> its bytes reversed (uses t64[0], t32[0]). */
function bswap64(f: FnFrame): void {
  const b = f.body, t = f.t64[0]!;
  b.tee(t).op(OP.i32_wrap_i64);
  bswap32(f);
  b.op(OP.i64_extend_i32_u).i64(32).op(OP.i64_shl);
  b.get(t).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  bswap32(f);
  b.op(OP.i64_extend_i32_u).op(OP.i64_or);
}

const SIMPLE64: Record<number, number> = { 0x07: OP.i64_add, 0x17: OP.i64_sub, 0x27: OP.i64_mul, 0x47: OP.i64_or, 0x57: OP.i64_and, 0xa7: OP.i64_xor, 0x67: OP.i64_shl, 0x77: OP.i64_shr_u, 0xc7: OP.i64_shr_s };
const SIMPLE32: Record<number, number> = { 0x04: OP.i32_add, 0x14: OP.i32_sub, 0x24: OP.i32_mul, 0x44: OP.i32_or, 0x54: OP.i32_and, 0xa4: OP.i32_xor, 0x64: OP.i32_shl, 0x74: OP.i32_shr_u, 0xc4: OP.i32_shr_s };

function lowerAlu(f: FnFrame, s: Slot): void {
  const b = f.body, op = s.op, aux = s.aux;
  const t = f.t64[1]!, u = f.t32[1]!;
  if (SIMPLE64[op] !== undefined) { dst64(f, s); opnd64(f, s); b.op(SIMPLE64[op]!); setDst(f, s); return; }
  if (SIMPLE32[op] !== undefined) { dst32(f, s); opnd32(f, s); b.op(SIMPLE32[op]!); setDst32(f, s); return; }
  switch (op) {
    case 0x37: case 0x97: { // div / mod (64)
      const signed = aux !== 0, div = op === 0x37;
      if (s.k) {
        const k = s.imm32;
        if (k === 0) { if (div) b.i64(0).set(f.reg[s.dst]!); return; } // mod by zero leaves dst unchanged
        if (signed && k === -1) { // MIN / -1 = MIN (= -x wrapping); x % -1 = 0
          if (div) { b.i64(0); dst64(f, s); b.op(OP.i64_sub); } else b.i64(0);
          setDst(f, s);
          return;
        }
        dst64(f, s); b.i64(k); b.op(div ? (signed ? OP.i64_div_s : OP.i64_div_u) : (signed ? OP.i64_rem_s : OP.i64_rem_u)); setDst(f, s);
        return;
      }
      b.get(f.reg[s.opReg]!).tee(t).op(OP.i64_eqz).if_();
      if (div) b.i64(0).set(f.reg[s.dst]!);
      b.else_();
      if (signed && div) {
        // MIN / -1 traps in WebAssembly; BPF gives MIN (= 0 - MIN).
        b.get(t).i64(-1).op(OP.i64_eq).if_();
        b.i64(0); dst64(f, s); b.op(OP.i64_sub); setDst(f, s);
        b.else_();
        dst64(f, s); b.get(t).op(OP.i64_div_s); setDst(f, s);
        b.end();
      } else {
        dst64(f, s); b.get(t).op(div ? (signed ? OP.i64_div_s : OP.i64_div_u) : (signed ? OP.i64_rem_s : OP.i64_rem_u)); setDst(f, s);
      }
      b.end();
      return;
    }
    case 0x34: case 0x94: { // div / mod (32)
      const signed = aux !== 0, div = op === 0x34;
      if (s.k) {
        const k = s.imm32;
        if (k === 0) { if (div) b.i64(0).set(f.reg[s.dst]!); else { dst32(f, s); setDst32(f, s); } return; }
        if (signed && k === -1) {
          if (div) { b.i32(0); dst32(f, s); b.op(OP.i32_sub); } else b.i32(0);
          setDst32(f, s);
          return;
        }
        dst32(f, s); b.i32(k); b.op(div ? (signed ? OP.i32_div_s : OP.i32_div_u) : (signed ? OP.i32_rem_s : OP.i32_rem_u)); setDst32(f, s);
        return;
      }
      b.get(f.reg[s.opReg]!).op(OP.i32_wrap_i64).tee(u).op(OP.i32_eqz).if_();
      if (div) b.i64(0).set(f.reg[s.dst]!); else { dst32(f, s); setDst32(f, s); }
      b.else_();
      if (signed && div) {
        b.get(u).i32(-1).op(OP.i32_eq).if_();
        b.i32(0); dst32(f, s); b.op(OP.i32_sub); setDst32(f, s);
        b.else_();
        dst32(f, s); b.get(u).op(OP.i32_div_s); setDst32(f, s);
        b.end();
      } else {
        dst32(f, s); b.get(u).op(div ? (signed ? OP.i32_div_s : OP.i32_div_u) : (signed ? OP.i32_rem_s : OP.i32_rem_u)); setDst32(f, s);
      }
      b.end();
      return;
    }
    case 0x87: b.i64(0); dst64(f, s); b.op(OP.i64_sub); setDst(f, s); return;
    case 0x84: b.i32(0); dst32(f, s); b.op(OP.i32_sub); setDst32(f, s); return;
    case 0xb7: // mov / movsx (64)
      opnd64(f, s);
      if (aux === 8) b.op(OP.i64_extend8_s); else if (aux === 16) b.op(OP.i64_extend16_s); else if (aux !== 0) b.op(OP.i64_extend32_s);
      setDst(f, s);
      return;
    case 0xb4: // mov / movsx (32)
      opnd32(f, s);
      if (aux === 8) b.op(OP.i32_extend8_s); else if (aux !== 0) b.op(OP.i32_extend16_s);
      setDst32(f, s);
      return;
    case 0xd4: // le: truncate
      if (aux === 16) { dst64(f, s); b.i64(0xffff).op(OP.i64_and); setDst(f, s); }
      else if (aux === 32) { dst64(f, s); b.i64(0xffffffff).op(OP.i64_and); setDst(f, s); }
      return;
    case 0xdc: case 0xd7: // be / bswap
      if (aux === 16) { dst32(f, s); bswap16(f); setDst32(f, s); }
      else if (aux === 32) { dst32(f, s); bswap32(f); setDst32(f, s); }
      else { dst64(f, s); bswap64(f); setDst(f, s); }
      return;
  }
  throw new Error(`compiler: no lowering for ALU op 0x${op.toString(16)}`);
}

function lowerLoad(f: FnFrame, s: Slot): void {
  const size = LOAD_SIZE[s.op]!;
  const off = address(f, s.src, s.off);
  f.body.mem(LOAD_OP[s.op]!, LOG2[size]!, off);
  setDst(f, s);
}

function lowerStore(f: FnFrame, s: Slot): void {
  const b = f.body;
  const size = STORE_SIZE[s.op]!;
  const imm = (s.op & 7) === 2;
  const value = (): void => { if (imm) b.i64(s.imm32); else b.get(f.reg[s.src]!); };
  // The interpreter hands stores into the context struct to the host; the stack never is the context.
  if (f.ctxHook && !(f.verified && s.dst === 10)) {
    const a = f.t64[1]!;
    b.get(f.reg[s.dst]!).i64(s.off).op(OP.i64_add).tee(a).i64(CTX).op(OP.i64_sub).i64(CTX_MAX).op(OP.i64_lt_u).if_();
    b.get(a).op(OP.i32_wrap_i64).i32(size);
    value();
    b.i32(imm ? 1 : 0).call(f.ids.ctxStore);
    b.else_();
    b.get(a).op(OP.i32_wrap_i64);
    value();
    b.mem(STORE_OP[size]!, LOG2[size]!, 0);
    b.end();
    return;
  }
  const off = address(f, s.dst, s.off);
  value();
  b.mem(STORE_OP[size]!, LOG2[size]!, off);
}

function lowerAtomic(f: FnFrame, s: Slot, adj: number): void {
  const b = f.body, kind = s.aux;
  const size = s.op === 0xdb ? 8 : s.op === 0xc3 ? 4 : s.op === 0xcb ? 2 : 1;
  const p = f.t32[1]!, old = f.t64[1]!;
  if (kind === 11) { // load_acquire
    const off = address(f, s.src, s.off);
    b.mem(size === 8 ? OP.i64_load : size === 4 ? OP.i64_load32_u : size === 2 ? OP.i64_load16_u : OP.i64_load8_u, LOG2[size]!, off);
    setDst(f, s);
    return;
  }
  if (kind === 12) { // store_release
    const off = address(f, s.dst, s.off);
    b.get(f.reg[s.src]!).mem(STORE_OP[size]!, LOG2[size]!, off);
    return;
  }
  if (kind < 1 || kind > 10) { f.halt(STATUS.BAD_INSN, s.ip, adj); return; }
  // p = address; old = *p; *p = old OP src
  const off = address(f, s.dst, s.off);
  if (off) b.i32(off).op(OP.i32_add);
  b.set(p);
  const wide = size === 8;
  const load = (): void => { b.get(p); if (wide) b.mem(OP.i64_load, 3, 0); else b.mem(OP.i64_load32_u, 2, 0); };
  const store = (): void => { b.mem(wide ? OP.i64_store : OP.i64_store32, wide ? 3 : 2, 0); };
  load(); b.set(old);
  const src = f.reg[s.src]!;
  if (kind === 10) { // cmpxchg: if (old == r0) *p = src; r0 = old
    b.get(old);
    b.get(f.reg[0]!);
    if (!wide) b.i64(0xffffffff).op(OP.i64_and);
    b.op(OP.i64_eq).if_().get(p).get(src);
    store();
    b.end();
    b.get(old).set(f.reg[0]!);
    return;
  }
  b.get(p);
  if (kind === 9) b.get(src);
  else {
    b.get(old).get(src);
    const base = (kind - 1) % 4;
    b.op([OP.i64_add, OP.i64_or, OP.i64_and, OP.i64_xor][base]!);
  }
  store();
  if (kind >= 5) b.get(old).set(src); // fetch variants and xchg: src = old (zero-extended for 32-bit)
}

/** ld_abs / ld_ind: r0 = ntoh(packet[k (+ src)]); out of bounds ends the program with r0 = 0. */
function lowerLdAbs(f: FnFrame, s: Slot, adj: number): void {
  const b = f.body;
  const size = (s.op & 0x18) === 0x10 ? 1 : (s.op & 0x18) === 0x08 ? 2 : 4;
  const off = f.t64[1]!;
  b.i64(s.imm32);
  if (s.op >= 0x40) b.get(f.reg[s.src]!).op(OP.i32_wrap_i64).op(OP.i64_extend_i32_s).op(OP.i64_add);
  b.tee(off).i64(0).op(OP.i64_lt_s);
  b.get(off).i64(size).op(OP.i64_add).i32(CTRL_ADDR("PKT_LEN")).mem(OP.i64_load32_u, 2, 0).op(OP.i64_gt_s);
  b.op(OP.i32_or).if_();
  f.halt(STATUS.EXIT, s.ip, adj, 0);
  b.end();
  b.i32(CTRL_ADDR("PKT")).mem(OP.i32_load, 2, 0).get(off).op(OP.i32_wrap_i64).op(OP.i32_add);
  if (size === 1) b.mem(OP.i32_load8_u, 0, 0);
  else if (size === 2) { b.mem(OP.i32_load16_u, 1, 0); bswap16(f); }
  else { b.mem(OP.i32_load, 2, 0); bswap32(f); }
  b.op(OP.i64_extend_i32_u).set(f.reg[0]!);
}

/**
 * Lower one non-terminating instruction. `adj` = instructions of the block after this one (the count is
 * added at the block's start), `liveOut` = registers read later.
 */
export function lowerInsn(f: FnFrame, s: Slot, adj: number, liveOut: number): void {
  const op = s.op;
  if (isAlu(op)) {
    if (!(liveOut & (1 << s.dst))) return; // dead result: no side effects to keep
    lowerAlu(f, s);
    return;
  }
  if (op === 0x18) { if (liveOut & (1 << s.dst)) f.body.i64(BigInt.asIntN(64, s.imm)).set(f.reg[s.dst]!); return; }
  if (LOAD_SIZE[op] !== undefined) {
    // A load can trap in fast mode (as the interpreter's does), unless the verifier proved it in bounds.
    if (f.verified && !(liveOut & (1 << s.dst))) return;
    lowerLoad(f, s);
    return;
  }
  if (STORE_SIZE[op] !== undefined) { lowerStore(f, s); return; }
  if (op === 0xdb || op === 0xc3 || op === 0xcb || op === 0xd3) { lowerAtomic(f, s, adj); return; }
  if (op === 0x20 || op === 0x28 || op === 0x30 || op === 0x40 || op === 0x48 || op === 0x50) { lowerLdAbs(f, s, adj); return; }
  if (op === 0x85 || op === 0x8d) { lowerCall(f, s, adj, liveOut); return; }
  throw new Error(`compiler: no lowering for op 0x${op.toString(16)} at pc ${s.pc}`);
}

const JCC64: Record<number, number> = { 0x15: OP.i64_eq, 0x25: OP.i64_gt_u, 0x35: OP.i64_ge_u, 0x55: OP.i64_ne, 0x65: OP.i64_gt_s, 0x75: OP.i64_ge_s, 0xa5: OP.i64_lt_u, 0xb5: OP.i64_le_u, 0xc5: OP.i64_lt_s, 0xd5: OP.i64_le_s };
const JCC32: Record<number, number> = { 0x16: OP.i32_eq, 0x26: OP.i32_gt_u, 0x36: OP.i32_ge_u, 0x56: OP.i32_ne, 0x66: OP.i32_gt_s, 0x76: OP.i32_ge_s, 0xa6: OP.i32_lt_u, 0xb6: OP.i32_le_u, 0xc6: OP.i32_lt_s, 0xd6: OP.i32_le_s };

/** Push the i32 "jump taken" of a conditional jump. */
export function lowerCondition(f: FnFrame, s: Slot): void {
  const b = f.body, op = s.op;
  if (!isJcc(op)) throw new Error(`compiler: 0x${op.toString(16)} is not a conditional jump`);
  if (op === 0x45) { dst64(f, s); opnd64(f, s); b.op(OP.i64_and).op(OP.i64_eqz).op(OP.i32_eqz); return; }
  if (op === 0x46) { dst32(f, s); opnd32(f, s); b.op(OP.i32_and).op(OP.i32_eqz).op(OP.i32_eqz); return; }
  if (JCC64[op] !== undefined) {
    if (s.k && s.imm32 === 0 && op === 0x15) { dst64(f, s); b.op(OP.i64_eqz); return; }
    dst64(f, s); opnd64(f, s); b.op(JCC64[op]!); return;
  }
  if (s.k && s.imm32 === 0 && op === 0x16) { dst32(f, s); b.op(OP.i32_eqz); return; }
  dst32(f, s); opnd32(f, s); b.op(JCC32[op]!);
}

/** may_goto: push i32 "budget spent" (jump taken); the fall-through path spends one (mayGotoSpend). */
export function lowerMayGoto(f: FnFrame): void {
  f.body.i32(CTRL_ADDR("MAY_GOTO")).mem(OP.i32_load, 2, 0).tee(f.t32[1]!).op(OP.i32_eqz);
}
export function mayGotoSpend(f: FnFrame): void {
  f.body.i32(CTRL_ADDR("MAY_GOTO")).get(f.t32[1]!).i32(1).op(OP.i32_sub).mem(OP.i32_store, 2, 0);
}

export { C, CTRL };
