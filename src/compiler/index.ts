// The BPF-to-WebAssembly compiler: programs loaded into a runtime (pre-decoded by src/runtime/predecode.ts)
// become one WebAssembly module that shares the runtime's memory, helpers and calling protocol, so the
// engine that runs it differs from the interpreter only in speed. Stages, one per file:
//   cfg.ts        functions, basic blocks, dominators, loops
//   liveness.ts   live registers (dead results are not computed)
//   structure.ts  structured control flow (Ramsey's algorithm; a br_table dispatcher for irreducible graphs)
//   lower.ts      instructions
//   calls.ts      helper calls, map operations in WebAssembly, tail calls, bpf-to-bpf calls
//   frame.ts      registers as locals, the calling convention, stopping a run
//   module.ts     the module and its `run` export; wasm.ts writes the bytes
// Nothing here imports Node: the browser playground compiles programs the same way.
export { buildModule, BATCH, type ModuleInfo, type ModuleOptions, type XdpBatchLayout } from "./module.js";
export type { CodeImage } from "./cfg.js";
