// The runtime's memory layout facts the compiled code relies on (src/runtime/layout.ts, and the map
// descriptor fields the interpreter's in-Wasm array lookup reads), in one place.
export { C, CTRL, MAX_FRAMES, NULL_GUARD_END, REGS, STACK, STACK_FRAME, STATUS } from "../runtime/layout.js";
export { DESC, DESC_MAGIC } from "../maps/runtime/map.js";
