// Field values of the BPF instruction encoding (RFC 9669 section 3 and the kernel's uapi bpf.h).
// An opcode byte is class (3 low bits) | op-or-size/mode | source bit.

export const CLASS = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Load/store size field (bits 3-4). */
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const SIZE_BYTES: Record<number, 1 | 2 | 4 | 8> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/** Load/store mode field (bits 5-7). */
export const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Source bit for ALU and JMP classes: immediate (K) or register (X). */
export const SRC = { K: 0x00, X: 0x08 } as const;

/** ALU operation field (bits 4-7). */
export const ALU = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;

/** JMP operation field (bits 4-7). */
export const JMP = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0, JCOND: 0xe0,
} as const;

/** The imm field of an atomic instruction. */
export const ATOMIC = {
  ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01,
  XCHG: 0xe0 | 0x01, CMPXCHG: 0xf0 | 0x01,
  LOAD_ACQ: 0x100, STORE_REL: 0x110,
} as const;

/** src_reg of a 64-bit immediate load (lddw): what the kernel's loader resolves the constant to. */
export const PSEUDO = {
  IMM: 0, MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6,
} as const;
export const PSEUDO_NAMES = ["imm", "map_fd", "map_value", "btf_id", "func", "map_idx", "map_idx_value"] as const;

/** src_reg of a call instruction. */
export const CALL_SRC = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

export const OPCODE_LDDW = CLASS.LD | SIZE.DW | MODE.IMM; // 0x18
export const OPCODE_CALL = CLASS.JMP | JMP.CALL; // 0x85
export const OPCODE_CALLX = CLASS.JMP | JMP.CALL | SRC.X; // 0x8d
export const OPCODE_EXIT = CLASS.JMP | JMP.EXIT; // 0x95
export const OPCODE_JA = CLASS.JMP | JMP.JA; // 0x05
export const OPCODE_GOTOL = CLASS.JMP32 | JMP.JA; // 0x06

export const classOf = (opcode: number): number => opcode & 0x07;
export const isAluClass = (cls: number): boolean => cls === CLASS.ALU || cls === CLASS.ALU64;
export const isJmpClass = (cls: number): boolean => cls === CLASS.JMP || cls === CLASS.JMP32;

/** Register numbers: r0-r9 general, r10 the read-only frame pointer. */
export const MAX_REG = 10;
export const FRAME_POINTER = 10;
