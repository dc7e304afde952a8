// Engines behind one interface (types.ts): `openEngine(program, { engine })` for the interpreter and the
// compiled engine (browser-safe); the kernel's BPF_PROG_TEST_RUN engine is in the Node entry
// (`kernel.openKernelEngine`, src/kernel/testrun.ts) and implements the same interface.
export * from "./types.js";
export { openEngine, verifiedForCompile, type EngineOptions, type LocalEngineInfo } from "./local.js";
export { typedEngineMap, type MapPrimitives } from "./typed-map.js";
export { loadPacketBatch, runPackets, replayCaptureBatch, type BatchSummary, type BatchRunOptions, type PacketBatch, type PacketList, type PacketSpans } from "./batch.js";
