// The text stage: assembler (LLVM and mnemonic syntaxes, directives) and disassembler.
export { assemble, type AssembleOptions, syntaxOfLine } from "./assembler.js";
export { disassemble, type DisassembleOptions } from "./disassembler.js";
export type { Syntax } from "./statement.js";
