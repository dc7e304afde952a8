export * from "./opcodes.js";
export * from "./instruction.js";
export * from "./table.js";
export * from "./codec.js";
export * from "./helpers.js";
export * from "./builders.js";
export * from "./patch.js";
