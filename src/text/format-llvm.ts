// One instruction in LLVM syntax, exactly as `llvm-objdump-19 -d --mcpu=v4` prints it (hex immediates,
// `w` registers for sub-64-bit memory operands). Where objdump's text would lose information (local
// and kfunc calls, ld_ind's offset, lddw pseudo sources with a 64-bit value, LLVM 20's load-acquire /
// store-release) we print a spelling our assembler reads back to the same bytes; docs/asm-syntax.md lists them.
import type { Instruction, InstructionForm } from "../isa/index.js";
import { SIZE_TYPES } from "./forms.js";

export interface FormatContext {
  /** Label to print for a jump/call target (slot index), when labels are on. */
  label(targetPc: number): string | undefined;
  /** Map name for an lddw map index, when the program declares it. */
  mapName(index: number): string | undefined;
  /** Slot index of the instruction being printed. */
  pc: number;
}

/** objdump's immediates: `0x5`, `-0x3`. */
export const hex = (v: number | bigint): string => (v < 0 ? `-0x${(-BigInt(v)).toString(16)}` : `0x${BigInt(v).toString(16)}`);
/** objdump's jump offsets: `+0x3`, `-0x8`. */
export const signedHex = (v: number): string => (v < 0 ? hex(v) : `+${hex(v)}`);

const reg = (n: number, w = false): string => `${w ? "w" : "r"}${n}`;
const addr = (base: number, off: number): string => `(${reg(base)} ${off < 0 ? "-" : "+"} ${hex(Math.abs(off))})`;
const ptr = (size: number, signed = false): string => `(${signed ? "s" : "u"}${SIZE_TYPES[size]} *)`;

export function formatLlvm(i: Instruction, f: InstructionForm, ctx: FormatContext): string {
  const w = f.is32;
  const jumpTarget = (rel: number): string => ctx.label(ctx.pc + 1 + rel) ?? signedHex(rel);
  switch (f.kind) {
    case "alu": {
      const rhs = f.uses.src ? reg(i.src, w) : hex(i.imm);
      return f.llvmOp === "=" ? `${reg(i.dst, w)} = ${rhs}` : `${reg(i.dst, w)} ${f.llvmOp} ${rhs}`;
    }
    case "neg": return `${reg(i.dst, w)} = -${reg(i.dst, w)}`;
    case "movsx": return `${reg(i.dst, w)} = (s${f.fromBits})${reg(i.src, w)}`;
    case "addr_space_cast": return `${reg(i.dst)} = addr_space_cast(${reg(i.src)}, ${hex((i.imm >>> 16) & 0xffff)}, ${hex(i.imm & 0xffff)})`;
    case "endian": return `${reg(i.dst)} = ${f.op}${f.size! * 8} ${reg(i.dst)}`;
    case "load": return `${reg(i.dst, f.size !== 8)} = *${ptr(f.size!)}${addr(i.src, i.off)}`;
    case "loadsx": return `${reg(i.dst)} = *${ptr(f.size!, true)}${addr(i.src, i.off)}`;
    case "store_imm": return `*${ptr(f.size!)}${addr(i.dst, i.off)} = ${hex(i.imm)}`;
    case "store_reg": return `*${ptr(f.size!)}${addr(i.dst, i.off)} = ${reg(i.src, f.size !== 8)}`;
    case "load_acquire": return `${reg(i.dst, f.size !== 8)} = load_acquire(${ptr(f.size!)}${addr(i.src, i.off)})`;
    case "store_release": return `store_release(${ptr(f.size!)}${addr(i.dst, i.off)}, ${reg(i.src, f.size !== 8)})`;
    case "atomic": {
      const at = `${ptr(f.size!)}${addr(i.dst, i.off)}`;
      const bare = `${reg(i.dst)} ${i.off < 0 ? "-" : "+"} ${hex(Math.abs(i.off))}`;
      const s = reg(i.src, w);
      if (f.llvmOp) return `lock *${at} ${f.llvmOp} ${s}`;
      if (f.op.startsWith("fetch_")) return `${s} = atomic_${f.op}(${at}, ${s})`;
      const sfx = w ? "32_32" : "_64";
      if (f.op === "xchg") return `${s} = xchg${sfx}(${bare}, ${s})`;
      return `${reg(0, w)} = cmpxchg${sfx}(${bare}, ${reg(0, w)}, ${s})`;
    }
    case "ld_abs": return `r0 = *${ptr(f.size!)}skb[${hex(i.imm)}]`;
    case "ld_ind": return `r0 = *${ptr(f.size!)}skb[${reg(i.src)}${i.imm === 0 ? "" : ` ${i.imm < 0 ? "-" : "+"} ${hex(Math.abs(i.imm))}`}]`;
    case "lddw": return formatLddw(i, ctx);
    case "ja": return `goto ${jumpTarget(i.off)}`;
    case "gotol": return `gotol ${jumpTarget(i.imm)}`;
    case "may_goto": return `may_goto ${jumpTarget(i.off)}`;
    case "jcc": return `if ${reg(i.dst, w)} ${f.llvmOp} ${f.uses.src ? reg(i.src, w) : hex(i.imm)} goto ${jumpTarget(i.off)}`;
    case "call":
      if (f.fixed.src === 1) return `call ${ctx.label(ctx.pc + 1 + i.imm) ?? `pc${i.imm < 0 ? "" : "+"}${i.imm}`}`;
      if (f.fixed.src === 2) return `call kfunc(${i.imm}${i.off ? `, ${i.off}` : ""})`;
      return `call ${hex(i.imm)}`;
    case "callx": return `callx ${reg(i.dst)}`;
    case "exit": return "exit";
  }
}

function formatLddw(i: Instruction, ctx: FormatContext): string {
  const value = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm >>> 0));
  const low = Number(value & 0xffffffffn);
  const high = value >> 32n;
  if (i.src === 0) return `${reg(i.dst)} = ${hex(BigInt.asIntN(64, value))} ll`;
  if (i.src === 1 && high === 0n) {
    const name = ctx.mapName(low);
    if (name !== undefined) return `${reg(i.dst)} = ${name} ll`;
  }
  if (i.src === 2) {
    const name = ctx.mapName(low);
    if (name !== undefined) return `${reg(i.dst)} = map_value(${name}${high ? ` + ${high}` : ""}) ll`;
  }
  if (i.src === 4 && high === 0n) {
    const name = ctx.label(ctx.pc + 1 + (low | 0));
    if (name !== undefined) return `${reg(i.dst)} = ${name} ll`;
  }
  // objdump prints the low half only; the full value keeps the round trip exact when the high half is set.
  return `ld_pseudo\t${reg(i.dst)}, ${hex(i.src)}, ${hex(high ? value : low)}`;
}
