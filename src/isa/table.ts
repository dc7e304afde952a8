// The instruction set as one table. Every valid encoding form of RFC 9669 and of Linux 6.18 has one
// entry; the decoder, encoder, assembler, disassembler, interpreter and verifier all read it, so a
// form that is missing here is missing everywhere (and a form added here is added everywhere).
//
// A form is identified by its opcode plus, where the opcode alone is ambiguous, a fixed value of the
// offset (sdiv/smod, movsx), of the imm (byte swaps, atomics) or of src (call kinds, lddw pseudo
// sources). Fields a form does not use must be zero: the kernel rejects them as "reserved fields".
import { ALU, ATOMIC, CLASS, JMP, MODE, SIZE, SRC } from "./opcodes.js";

export type FormKind =
  | "alu" // dst op= src|imm
  | "neg" // dst = -dst
  | "movsx" // dst = (sN) src
  | "addr_space_cast" // dst = addr_space_cast(src, imm>>16, imm&0xffff)
  | "endian" // dst = le|be|bswap N dst
  | "load" // dst = *(uN *)(src + off)
  | "loadsx" // dst = *(sN *)(src + off)
  | "store_imm" // *(uN *)(dst + off) = imm
  | "store_reg" // *(uN *)(dst + off) = src
  | "atomic" // lock / fetch / xchg / cmpxchg on *(dst + off) with src
  | "load_acquire" // dst = load_acquire(*(uN *)(src + off))
  | "store_release" // store_release(*(uN *)(dst + off), src)
  | "ld_abs" // r0 = ntoh(*(uN *)(skb->data + imm))
  | "ld_ind" // r0 = ntoh(*(uN *)(skb->data + src + imm))
  | "lddw" // dst = imm64 (src selects a pseudo source)
  | "ja" // goto +off
  | "gotol" // goto +imm
  | "jcc" // if dst op src|imm goto +off
  | "may_goto" // goto +off once the loop budget is spent
  | "call" // helper / local / kfunc call
  | "callx" // call through a register
  | "exit";

/** RFC 9669 conformance groups, plus `kernel` for Linux-only extensions the RFC does not list. */
export type ConformanceGroup =
  | "base32" | "base64" | "atomic32" | "atomic64" | "divmul32" | "divmul64" | "packet" | "callx" | "kernel";

/** Which of an instruction's fields carry meaning for a form (the others must be zero). */
export interface FieldUse {
  dst: boolean;
  src: boolean;
  off: boolean;
  imm: boolean;
}

export interface InstructionForm {
  /** Mnemonic in the uBPF / conformance-suite dialect (e.g. `add32`, `lock fetch xor`); the immediate and register variants of an ALU or jump operation share it. */
  readonly name: string;
  readonly opcode: number;
  readonly kind: FormKind;
  /** Fixed field values that select this form among those sharing the opcode. */
  readonly fixed: { off?: number; imm?: number; src?: number };
  readonly uses: FieldUse;
  /** Minimum ISA version (RFC 9669 section 2.2 / the conformance suite's `cpu_v` levels). */
  readonly isa: 1 | 2 | 3 | 4;
  readonly group: ConformanceGroup;
  /** 32-bit operation: ALU (not ALU64) and JMP32 classes, 32-bit atomics. */
  readonly is32: boolean;
  /** Access width in bytes for memory forms; operand width for byte swaps; sign-extension width for movsx. */
  readonly size?: 1 | 2 | 4 | 8;
  /** Operation name shared by families (`add`, `jeq`, `xchg`, `le`, ...). */
  readonly op: string;
  /** Operator in LLVM's syntax where the form has one (`+=`, `s>>=`, `==`, `s<`, ...). */
  readonly llvmOp?: string;
  /** For sign-extending forms: the width sign-extended from. */
  readonly fromBits?: 8 | 16 | 32;
}

const use = (dst: boolean, src: boolean, off: boolean, imm: boolean): FieldUse => ({ dst, src, off, imm });

interface AluOpInfo { op: string; code: number; llvm: string; group32: ConformanceGroup; group64: ConformanceGroup; signedOff?: boolean }
const ALU_OPS: AluOpInfo[] = [
  { op: "add", code: ALU.ADD, llvm: "+=", group32: "base32", group64: "base64" },
  { op: "sub", code: ALU.SUB, llvm: "-=", group32: "base32", group64: "base64" },
  { op: "mul", code: ALU.MUL, llvm: "*=", group32: "divmul32", group64: "divmul64" },
  { op: "div", code: ALU.DIV, llvm: "/=", group32: "divmul32", group64: "divmul64" },
  { op: "or", code: ALU.OR, llvm: "|=", group32: "base32", group64: "base64" },
  { op: "and", code: ALU.AND, llvm: "&=", group32: "base32", group64: "base64" },
  { op: "lsh", code: ALU.LSH, llvm: "<<=", group32: "base32", group64: "base64" },
  { op: "rsh", code: ALU.RSH, llvm: ">>=", group32: "base32", group64: "base64" },
  { op: "mod", code: ALU.MOD, llvm: "%=", group32: "divmul32", group64: "divmul64" },
  { op: "xor", code: ALU.XOR, llvm: "^=", group32: "base32", group64: "base64" },
  { op: "mov", code: ALU.MOV, llvm: "=", group32: "base32", group64: "base64" },
  { op: "arsh", code: ALU.ARSH, llvm: "s>>=", group32: "base32", group64: "base64" },
];

interface JmpOpInfo { op: string; code: number; llvm: string; isa: 1 | 2 }
const JMP_OPS: JmpOpInfo[] = [
  { op: "jeq", code: JMP.JEQ, llvm: "==", isa: 1 },
  { op: "jgt", code: JMP.JGT, llvm: ">", isa: 1 },
  { op: "jge", code: JMP.JGE, llvm: ">=", isa: 1 },
  { op: "jset", code: JMP.JSET, llvm: "&", isa: 1 },
  { op: "jne", code: JMP.JNE, llvm: "!=", isa: 1 },
  { op: "jsgt", code: JMP.JSGT, llvm: "s>", isa: 1 },
  { op: "jsge", code: JMP.JSGE, llvm: "s>=", isa: 1 },
  { op: "jlt", code: JMP.JLT, llvm: "<", isa: 2 },
  { op: "jle", code: JMP.JLE, llvm: "<=", isa: 2 },
  { op: "jslt", code: JMP.JSLT, llvm: "s<", isa: 2 },
  { op: "jsle", code: JMP.JSLE, llvm: "s<=", isa: 2 },
];

const SIZES: { size: 1 | 2 | 4 | 8; code: number; suffix: string }[] = [
  { size: 4, code: SIZE.W, suffix: "w" },
  { size: 2, code: SIZE.H, suffix: "h" },
  { size: 1, code: SIZE.B, suffix: "b" },
  { size: 8, code: SIZE.DW, suffix: "dw" },
];

interface AtomicOpInfo { op: string; imm: number; llvm?: string }
const ATOMIC_OPS: AtomicOpInfo[] = [
  { op: "add", imm: ATOMIC.ADD, llvm: "+=" },
  { op: "or", imm: ATOMIC.OR, llvm: "|=" },
  { op: "and", imm: ATOMIC.AND, llvm: "&=" },
  { op: "xor", imm: ATOMIC.XOR, llvm: "^=" },
  { op: "fetch add", imm: ATOMIC.ADD | ATOMIC.FETCH },
  { op: "fetch or", imm: ATOMIC.OR | ATOMIC.FETCH },
  { op: "fetch and", imm: ATOMIC.AND | ATOMIC.FETCH },
  { op: "fetch xor", imm: ATOMIC.XOR | ATOMIC.FETCH },
  { op: "xchg", imm: ATOMIC.XCHG },
  { op: "cmpxchg", imm: ATOMIC.CMPXCHG },
];

function buildForms(): InstructionForm[] {
  const forms: InstructionForm[] = [];
  const add = (f: InstructionForm): void => { forms.push(f); };

  // ALU and ALU64: every operation with an immediate or a register source.
  for (const is32 of [false, true]) {
    const cls = is32 ? CLASS.ALU : CLASS.ALU64;
    const sfx = is32 ? "32" : "";
    for (const o of ALU_OPS) {
      const group = is32 ? o.group32 : o.group64;
      for (const [src, srcUse] of [[SRC.K, false], [SRC.X, true]] as const) {
        add({
          name: o.op + sfx, opcode: cls | o.code | src, kind: "alu", fixed: { off: 0 },
          uses: use(true, srcUse, false, !srcUse), isa: 1, group, is32, op: o.op, llvmOp: o.llvm,
        });
        if (o.op === "div" || o.op === "mod") {
          add({
            name: "s" + o.op + sfx, opcode: cls | o.code | src, kind: "alu", fixed: { off: 1 },
            uses: use(true, srcUse, false, !srcUse), isa: 4, group, is32, op: "s" + o.op, llvmOp: "s" + o.llvm,
          });
        }
      }
    }
    add({ name: "neg" + sfx, opcode: cls | ALU.NEG, kind: "neg", fixed: { off: 0 }, uses: use(true, false, false, false),
      isa: 1, group: is32 ? "base32" : "base64", is32, op: "neg" });
    // Sign-extending moves: off is the width extended from (8/16 for 32-bit, 8/16/32 for 64-bit).
    for (const bits of is32 ? ([8, 16] as const) : ([8, 16, 32] as const)) {
      add({
        name: `movsx${bits}${is32 ? "32" : "64"}`, opcode: cls | ALU.MOV | SRC.X, kind: "movsx", fixed: { off: bits },
        uses: use(true, true, false, false), isa: 4, group: is32 ? "base32" : "base64", is32, op: "movsx",
        fromBits: bits, size: is32 ? 4 : 8,
      });
    }
  }
  // Arena pointer cast (kernel 6.9+): ALU64 MOV X with off=1, imm = dst_as << 16 | src_as.
  add({ name: "addr_space_cast", opcode: CLASS.ALU64 | ALU.MOV | SRC.X, kind: "addr_space_cast", fixed: { off: 1 },
    uses: use(true, true, false, true), isa: 4, group: "kernel", is32: false, op: "addr_space_cast" });

  // Byte swaps: le/be (ALU class, source bit selects the target order) and bswap (ALU64, v4).
  for (const [name, opcode, isa] of [["le", CLASS.ALU | ALU.END | SRC.K, 1], ["be", CLASS.ALU | ALU.END | SRC.X, 1],
    ["bswap", CLASS.ALU64 | ALU.END | SRC.K, 4]] as const) {
    for (const bits of [16, 32, 64] as const) {
      add({ name: name + bits, opcode, kind: "endian", fixed: { imm: bits, off: 0 }, uses: use(true, false, false, false),
        isa, group: "base32", is32: false, op: name, size: (bits / 8) as 2 | 4 | 8 });
    }
  }

  // Memory: loads, sign-extending loads, stores of an immediate or a register.
  for (const s of SIZES) {
    add({ name: "ldx" + s.suffix, opcode: CLASS.LDX | MODE.MEM | s.code, kind: "load", fixed: {}, uses: use(true, true, true, false),
      isa: 1, group: "base32", is32: false, op: "ldx", size: s.size });
    if (s.size !== 8) {
      add({ name: "ldxs" + s.suffix, opcode: CLASS.LDX | MODE.MEMSX | s.code, kind: "loadsx", fixed: {},
        uses: use(true, true, true, false), isa: 4, group: "base32", is32: false, op: "ldxs", size: s.size,
        fromBits: (s.size * 8) as 8 | 16 | 32 });
    }
    add({ name: "st" + s.suffix, opcode: CLASS.ST | MODE.MEM | s.code, kind: "store_imm", fixed: {}, uses: use(true, false, true, true),
      isa: 1, group: "base32", is32: false, op: "st", size: s.size });
    add({ name: "stx" + s.suffix, opcode: CLASS.STX | MODE.MEM | s.code, kind: "store_reg", fixed: {}, uses: use(true, true, true, false),
      isa: 1, group: "base32", is32: false, op: "stx", size: s.size });
    // Load-acquire / store-release (kernel 6.15+), all four sizes.
    add({ name: "ldacq" + s.suffix, opcode: CLASS.STX | MODE.ATOMIC | s.code, kind: "load_acquire", fixed: { imm: ATOMIC.LOAD_ACQ },
      uses: use(true, true, true, false), isa: 4, group: "kernel", is32: s.size !== 8, op: "load_acquire", size: s.size });
    add({ name: "strel" + s.suffix, opcode: CLASS.STX | MODE.ATOMIC | s.code, kind: "store_release", fixed: { imm: ATOMIC.STORE_REL },
      uses: use(true, true, true, false), isa: 4, group: "kernel", is32: s.size !== 8, op: "store_release", size: s.size });
    // Legacy packet loads (socket filters and tc only): no DW.
    if (s.size !== 8) {
      add({ name: "ldabs" + s.suffix, opcode: CLASS.LD | MODE.ABS | s.code, kind: "ld_abs", fixed: {}, uses: use(false, false, false, true),
        isa: 1, group: "packet", is32: false, op: "ldabs", size: s.size });
      add({ name: "ldind" + s.suffix, opcode: CLASS.LD | MODE.IND | s.code, kind: "ld_ind", fixed: {}, uses: use(false, true, false, true),
        isa: 1, group: "packet", is32: false, op: "ldind", size: s.size });
    }
  }
  // Atomic read-modify-write on 32 and 64 bits.
  for (const [size, code, sfx] of [[8, SIZE.DW, ""], [4, SIZE.W, "32"]] as const) {
    for (const a of ATOMIC_OPS) {
      add({ name: `lock ${a.op}${sfx}`, opcode: CLASS.STX | MODE.ATOMIC | code, kind: "atomic", fixed: { imm: a.imm },
        uses: use(true, true, true, false), isa: 3, group: size === 8 ? "atomic64" : "atomic32", is32: size === 4,
        op: a.op.replace(" ", "_"), size, llvmOp: a.llvm });
    }
  }
  // 64-bit immediate load: one form per pseudo source so the table says which are valid.
  const pseudo = ["", "map_fd", "map_value", "btf_id", "func", "map_idx", "map_idx_value"];
  pseudo.forEach((p, src) => {
    add({ name: p ? `lddw.${p}` : "lddw", opcode: CLASS.LD | MODE.IMM | SIZE.DW, kind: "lddw", fixed: { src, off: 0 },
      uses: use(true, false, false, true), isa: 1, group: src === 0 ? "base64" : "kernel", is32: false, op: "lddw", size: 8 });
  });

  // Jumps.
  add({ name: "ja", opcode: CLASS.JMP | JMP.JA, kind: "ja", fixed: {}, uses: use(false, false, true, false), isa: 1,
    group: "base32", is32: false, op: "ja" });
  add({ name: "ja32", opcode: CLASS.JMP32 | JMP.JA, kind: "gotol", fixed: {}, uses: use(false, false, false, true), isa: 4,
    group: "base32", is32: true, op: "gotol" });
  for (const is32 of [false, true]) {
    const cls = is32 ? CLASS.JMP32 : CLASS.JMP;
    for (const j of JMP_OPS) {
      for (const [src, srcUse] of [[SRC.K, false], [SRC.X, true]] as const) {
        add({ name: j.op + (is32 ? "32" : ""), opcode: cls | j.code | src, kind: "jcc", fixed: {},
          uses: use(true, srcUse, true, !srcUse), isa: is32 ? 3 : j.isa, group: is32 ? "base32" : "base64", is32,
          op: j.op, llvmOp: j.llvm });
      }
    }
  }
  add({ name: "may_goto", opcode: CLASS.JMP | JMP.JCOND, kind: "may_goto", fixed: { src: 0 }, uses: use(false, false, true, false),
    isa: 4, group: "kernel", is32: false, op: "may_goto" });
  add({ name: "call", opcode: CLASS.JMP | JMP.CALL, kind: "call", fixed: { src: 0, off: 0 }, uses: use(false, false, false, true),
    isa: 1, group: "base32", is32: false, op: "call" });
  add({ name: "call local", opcode: CLASS.JMP | JMP.CALL, kind: "call", fixed: { src: 1, off: 0 }, uses: use(false, false, false, true),
    isa: 1, group: "base32", is32: false, op: "call_local" });
  // kfunc: imm is the BTF id, off the index of the module BTF fd (0 = vmlinux).
  add({ name: "call kfunc", opcode: CLASS.JMP | JMP.CALL, kind: "call", fixed: { src: 2 }, uses: use(false, false, true, true),
    isa: 1, group: "kernel", is32: false, op: "call_kfunc" });
  // callx: LLVM and the conformance suite put the register in dst (the kernel rejects the opcode).
  add({ name: "callx", opcode: CLASS.JMP | JMP.CALL | SRC.X, kind: "callx", fixed: {}, uses: use(true, false, false, false),
    isa: 1, group: "callx", is32: false, op: "callx" });
  add({ name: "exit", opcode: CLASS.JMP | JMP.EXIT, kind: "exit", fixed: {}, uses: use(false, false, false, false), isa: 1,
    group: "base32", is32: false, op: "exit" });
  return forms;
}

/** Every valid instruction form. */
export const FORMS: readonly InstructionForm[] = buildForms();

/** Forms by mnemonic (uBPF dialect); for ALU and jump names, the immediate (K) variant. */
export const FORM_BY_NAME: ReadonlyMap<string, InstructionForm> = (() => {
  const m = new Map<string, InstructionForm>();
  for (const f of FORMS) if (!m.has(f.name)) m.set(f.name, f);
  return m;
})();

/** Forms sharing each opcode byte, for decoding. */
export const FORMS_BY_OPCODE: ReadonlyArray<readonly InstructionForm[]> = (() => {
  const byOp: InstructionForm[][] = Array.from({ length: 256 }, () => []);
  for (const f of FORMS) byOp[f.opcode]!.push(f);
  return byOp;
})();

/** Whether an opcode byte names any instruction at all. */
export const isKnownOpcode = (opcode: number): boolean => (FORMS_BY_OPCODE[opcode & 0xff]?.length ?? 0) > 0;

/** The form an encoded instruction belongs to, or undefined when its discriminating fields fit none. */
export function formOf(insn: { opcode: number; src: number; off: number; imm: number }): InstructionForm | undefined {
  const candidates = FORMS_BY_OPCODE[insn.opcode & 0xff] ?? [];
  for (const f of candidates) {
    if (f.fixed.off !== undefined && f.fixed.off !== insn.off) continue;
    if (f.fixed.imm !== undefined && f.fixed.imm !== insn.imm) continue;
    if (f.fixed.src !== undefined && f.fixed.src !== insn.src) continue;
    return f;
  }
  return undefined;
}
