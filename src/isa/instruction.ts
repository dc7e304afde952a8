// The one value every stage passes around: a decoded BPF instruction.
import { OPCODE_LDDW } from "./opcodes.js";

/**
 * One BPF instruction. A wide `lddw` is one Instruction that occupies two 8-byte slots; its 64-bit
 * constant is `imm64` (the authoritative value; `imm` then holds its low 32 bits, signed).
 *
 * `off` is a signed 16-bit value, `imm` a signed 32-bit value, registers are 0-15 (0-10 valid).
 */
export interface Instruction {
  opcode: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** Only for lddw (opcode 0x18): the full constant, as an unsigned 64-bit value. */
  imm64?: bigint;
  /**
   * Symbolic reference still to be resolved: a label for jumps and local calls, a map or global
   * variable name for lddw. `link()` turns it into off/imm and removes it; `encode()` refuses
   * instructions that still carry one.
   */
  ref?: string;
  /** Label defined at this instruction (the assembler's `name:`), kept for disassembly. */
  label?: string;
}

export const isWide = (insn: { opcode: number }): boolean => insn.opcode === OPCODE_LDDW;

/** Number of 8-byte slots an instruction occupies. */
export const slotsOf = (insn: { opcode: number }): 1 | 2 => (isWide(insn) ? 2 : 1);

export const toS32 = (v: number): number => v | 0;
export const toS16 = (v: number): number => (v << 16) >> 16;
export const toU64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Build an instruction, normalising field widths. */
export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Instruction {
  return { opcode: opcode & 0xff, dst: dst & 0xf, src: src & 0xf, off: toS16(off), imm: toS32(imm) };
}

/** Build a wide lddw carrying a 64-bit constant (any bigint; stored modulo 2^64). */
export function wide(dst: number, value: bigint, src = 0): Instruction {
  const imm64 = toU64(value);
  return { opcode: OPCODE_LDDW, dst: dst & 0xf, src: src & 0xf, off: 0, imm: Number(BigInt.asIntN(32, imm64)), imm64 };
}

/** The slot index at which each instruction starts (pc in the kernel's sense). */
export function slotIndexes(insns: readonly Instruction[]): number[] {
  const out: number[] = [];
  let slot = 0;
  for (const i of insns) {
    out.push(slot);
    slot += slotsOf(i);
  }
  return out;
}

/** Total number of 8-byte slots of a program. */
export const slotCount = (insns: readonly Instruction[]): number => insns.reduce((n, i) => n + slotsOf(i), 0);

/**
 * Maps between instruction indexes and slot indexes (pc). Jump offsets, verifier messages and the
 * kernel's logs count slots; arrays of Instruction count instructions.
 */
export class SlotMap {
  readonly slotOf: number[];
  private readonly indexAt: Int32Array;
  constructor(insns: readonly Instruction[]) {
    this.slotOf = slotIndexes(insns);
    this.indexAt = new Int32Array(slotCount(insns) + 1).fill(-1);
    this.slotOf.forEach((slot, index) => { this.indexAt[slot] = index; });
    this.indexAt[this.indexAt.length - 1] = insns.length;
  }
  /** Instruction index starting at a slot, or -1 when the slot is the second half of an lddw or out of range. */
  indexOf(slot: number): number {
    return slot >= 0 && slot < this.indexAt.length ? this.indexAt[slot]! : -1;
  }
}
