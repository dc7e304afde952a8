// bpfkit's library API, browser entry: everything that runs without Node (instructions, programs, text,
// ELF/BTF, the verifier, the interpreter, packets, fact tables). Nothing reachable from here imports a
// Node module; files, bpf(2), deploy and the kernel engine are in the Node entry (`bpfkit/node`, node.ts).
// The core pipeline is exported flat; each engine and fact table is a namespace so that their option
// types do not collide.
export * from "./diagnostics/index.js";
export * from "./isa/index.js";
export * from "./program/index.js";
export { assemble, disassemble, type AssembleOptions, type DisassembleOptions, type Syntax } from "./text/index.js";
export { loadObject, writeObject, type ElfObject } from "./elf/index.js";
export { detectKind, loadProgramBytes, pickProgram, requireUsable, btfFromBytes, gunzipWithStreams, type LoadedFile, type LoadOptions, type ProgramFileKind } from "./load/index.js";
export { targetFromBtf, type TargetKernel } from "./elf/target.js";

/** BTF: object, split and vmlinux type information. */
export * as btf from "./btf/index.js";
/** The verifier emulator: `verifier.verifyProgram(program)` gives the kernel's verdict, log and states. */
export * as verifier from "./verifier/index.js";
/**
 * The one engine interface: `openEngine(program, { engine: "auto" | "interp" | "compiled" })` -> load, seed
 * maps (`engine.maps.get(name).update`), run / runBatch (or loadPacketBatch / runPackets: packet batches with summary results), read maps, close. The kernel's BPF_PROG_TEST_RUN
 * engine (`kernel.openKernelEngine`, Node entry) implements the same interface.
 */
export { openEngine, seedMaps, typedEngineMap, type BpfEngine, type EngineKind, type EngineMap, type EngineOptions, type EngineRunInput, type EngineRunResult, type BatchOutcome, type MapInput, type MapPrimitives } from "./engine/index.js";
export { loadPacketBatch, runPackets, replayCaptureBatch, type BatchSummary, type BatchRunOptions, type PacketBatch, type PacketList, type PacketSpans } from "./engine/index.js";
/** The BPF-to-WebAssembly compiler (used by the compiled engine; exposed for tools that show its output). */
export * as compiler from "./compiler/index.js";
/** The interpreter and test-run API: `runtime.loadProgram(program).run({ data })`. */
export * as runtime from "./runtime/runtime.js";
/** The simulated socket world for sockops, sk_msg, sk_skb and sock_addr programs: `new sockets.SocketWorld(programs)`. */
export * as sockets from "./sockets/index.js";
/** Packet builders, parsers, checksums and pcap. */
export * as packet from "./packet/index.js";
/** Program types: section names, context layouts, return codes. */
export * as progtypes from "./progtypes/index.js";
/** Helper prototypes and which program types may call them. */
export * as helpers from "./helpers/table.js";
/** Map types and their creation rules. */
export * as mapTypes from "./maps/types.js";
/** Typed map keys and values: `TypedBytes` (u32, u64, ipv4, ipv6, prefix, the BTF-typed `value`) and builders (`u32(7)`, `prefix("192.0.2.0/24")`). */
export * as mapValues from "./maps/typed.js";
/** A map entry written from user space was refused: `.map`, `.errno` (17), `.errnoName` ("EEXIST"). */
export { MapError } from "./maps/errors.js";
