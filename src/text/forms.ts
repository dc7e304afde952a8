// Finding instruction forms for the text stage. Everything comes from the ISA table (src/isa/table.ts);
// this file only indexes it the way the parsers and printers ask: "the 32-bit register variant of `+=`",
// "the 2-byte sign-extending load".
import { type Instruction, FORMS, FORM_BY_NAME, type FormKind, type InstructionForm, insn, SRC, wide } from "../isa/index.js";

/** The first form matching a predicate; the table lists the immediate (K) variant of ALU and jumps first. */
export function findForm(pred: (f: InstructionForm) => boolean): InstructionForm | undefined {
  return FORMS.find(pred);
}

/** ALU or jump form by LLVM operator, width and source kind. */
// Memoised: the parsers ask these for every line.
const llvmOpCache = new Map<string, InstructionForm | undefined>();
export function formByLlvmOp(kind: "alu" | "jcc", llvmOp: string, is32: boolean, srcReg: boolean): InstructionForm | undefined {
  const key = `${kind} ${llvmOp} ${is32} ${srcReg}`;
  if (!llvmOpCache.has(key)) llvmOpCache.set(key, findForm((f) => f.kind === kind && f.llvmOp === llvmOp && f.is32 === is32 && f.uses.src === srcReg));
  return llvmOpCache.get(key);
}

const kindCache = new Map<string, InstructionForm | undefined>();
export function formOfKind(kind: FormKind, size?: number): InstructionForm | undefined {
  const key = `${kind} ${size}`;
  if (!kindCache.has(key)) kindCache.set(key, findForm((f) => f.kind === kind && (size === undefined || f.size === size)));
  return kindCache.get(key);
}

/** Register (X) variant of a form that shares its name with the immediate (K) variant. */
export function registerVariant(form: InstructionForm): InstructionForm | undefined {
  return findForm((f) => f.name === form.name && f.uses.src && f.opcode === (form.opcode | SRC.X));
}

/** Mnemonic-dialect aliases the conformance suite uses, mapped to the table's names. */
export const MNEMONIC_ALIASES: ReadonlyMap<string, string> = new Map([
  ["swap16", "bswap16"], ["swap32", "bswap32"], ["swap64", "bswap64"],
  ["gotol", "ja32"], ["ldabs", "ldabsw"], ["ldind", "ldindw"],
]);

export function formByMnemonic(name: string): InstructionForm | undefined {
  return FORM_BY_NAME.get(MNEMONIC_ALIASES.get(name) ?? name);
}

export interface Fields { dst?: number; src?: number; off?: number; imm?: number }

/** Build an instruction of a form; the form's fixed fields win over the operands. */
export function build(form: InstructionForm, f: Fields): Instruction {
  if (form.kind === "lddw") return wide(f.dst ?? 0, BigInt(f.imm ?? 0), form.fixed.src ?? 0);
  return insn(form.opcode, f.dst ?? 0, form.fixed.src ?? f.src ?? 0, form.fixed.off ?? f.off ?? 0, form.fixed.imm ?? f.imm ?? 0);
}

export const SIZE_TYPES: Record<number, string> = { 1: "8", 2: "16", 4: "32", 8: "64" };
