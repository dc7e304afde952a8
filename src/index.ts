// bpfkit's library API. The core pipeline (instructions, programs, text, ELF) is exported flat; each
// engine and fact table is a namespace so that their option types do not collide.
export * from "./diagnostics/index.js";
export * from "./isa/index.js";
export * from "./program/index.js";
export { assemble, disassemble, type AssembleOptions, type DisassembleOptions, type Syntax } from "./text/index.js";
export { loadObject, writeObject, type ElfObject } from "./elf/index.js";

/** The interpreter and test-run API: `runtime.loadProgram(program).run({ data })`. */
export * as runtime from "./runtime/runtime.js";
/** Packet builders, parsers, checksums and pcap. */
export * as packet from "./packet/index.js";
/** Program types: section names, context layouts, return codes. */
export * as progtypes from "./progtypes/index.js";
/** Helper prototypes and which program types may call them. */
export * as helpers from "./helpers/table.js";
/** Map types and their creation rules. */
export * as mapTypes from "./maps/types.js";
/** The kernel backend (Linux, root): bpf(2), loader, test-run, attach, deployments. Loads koffi lazily. */
export * as kernel from "./kernel/index.js";
/** Interpreter-vs-kernel agreement for tests. */
export * as testing from "./testing/index.js";
