// One instruction in the uBPF / conformance-suite mnemonic dialect. The mnemonic is the form's name in
// the ISA table; the operand layout follows from its kind (the same layout parse-mnemonic.ts reads).
import type { Instruction, InstructionForm } from "../isa/index.js";
import type { FormatContext } from "./format-llvm.js";

const reg = (n: number): string => `%r${n}`;
const mem = (base: number, off: number): string => `[${reg(base)}${off < 0 ? "-" : "+"}${Math.abs(off)}]`;
const rel = (v: number): string => (v < 0 ? `${v}` : `+${v}`);

export function formatMnemonic(i: Instruction, f: InstructionForm, ctx: FormatContext): string {
  const jumpTarget = (r: number): string => ctx.label(ctx.pc + 1 + r) ?? rel(r);
  switch (f.kind) {
    case "alu": return `${f.name} ${reg(i.dst)}, ${f.uses.src ? reg(i.src) : i.imm}`;
    case "neg": case "endian": return `${f.name} ${reg(i.dst)}`;
    case "movsx": return `${f.name} ${reg(i.dst)}, ${reg(i.src)}`;
    case "addr_space_cast": return `${f.name} ${reg(i.dst)}, ${reg(i.src)}, ${(i.imm >>> 16) & 0xffff}, ${i.imm & 0xffff}`;
    case "load": case "loadsx": case "load_acquire": return `${f.name} ${reg(i.dst)}, ${mem(i.src, i.off)}`;
    case "store_imm": return `${f.name} ${mem(i.dst, i.off)}, ${i.imm}`;
    case "store_reg": case "store_release": case "atomic": return `${f.name} ${mem(i.dst, i.off)}, ${reg(i.src)}`;
    case "ld_abs": return `${f.name} ${i.imm}`;
    case "ld_ind": return `${f.name} ${reg(i.src)}, ${i.imm}`;
    case "lddw": {
      const value = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm >>> 0));
      const low = Number(value & 0xffffffffn);
      const high = value >> 32n;
      const name = i.src === 1 && high === 0n ? ctx.mapName(low)
        : i.src === 2 ? ctx.mapName(low)
          : i.src === 4 && high === 0n ? ctx.label(ctx.pc + 1 + (low | 0)) : undefined;
      if (name !== undefined) return i.src === 2 ? `${f.name} ${reg(i.dst)}, ${name}${high ? `+${high}` : ""}` : `lddw ${reg(i.dst)}, ${name}`;
      return `${f.name} ${reg(i.dst)}, 0x${value.toString(16)}`;
    }
    case "ja": case "may_goto": return `${f.name} ${jumpTarget(i.off)}`;
    case "gotol": return `${f.name} ${jumpTarget(i.imm)}`;
    case "jcc": return `${f.name} ${reg(i.dst)}, ${f.uses.src ? reg(i.src) : i.imm}, ${jumpTarget(i.off)}`;
    case "call":
      if (f.fixed.src === 1) return `call local ${jumpTarget(i.imm)}`;
      if (f.fixed.src === 2) return `call kfunc ${i.imm}${i.off ? `, ${i.off}` : ""}`;
      return `call ${i.imm}`;
    case "callx": return `call ${reg(i.dst)}`;
    case "exit": return "exit";
  }
}
