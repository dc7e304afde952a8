// What a parser makes of one instruction line: the instruction plus, when an operand is a name, the
// reference the assembler resolves once every label and map of the file is known.
import type { Instruction } from "../isa/index.js";

export interface NameOperand {
  name: string;
  col: number;
  endCol: number;
}

export type Reference =
  /** Jump to a label (or, in the mnemonic dialect, `exit`): fills `off` (goto, if) or `imm` (gotol). */
  | { kind: "jump"; field: "off" | "imm"; target: NameOperand }
  /** `call NAME`: a label makes it a local call, otherwise NAME must be a helper. */
  | { kind: "call"; target: NameOperand }
  /** `call local NAME`: must be a label. */
  | { kind: "local-call"; target: NameOperand }
  /** lddw of a name: a map (src=1, or src=2 with `offset` for map_value), or a label (src=4, a function pointer). */
  | { kind: "symbol"; target: NameOperand; pseudo: "map_fd" | "map_value" | "any"; offset: number };

export interface ParsedInstruction {
  insn: Instruction;
  ref?: Reference;
}

export type Syntax = "llvm" | "mnemonic";
