// bpfkit's library API, Node entry (`bpfkit/node`, also what `import "bpfkit"` gives under Node): the
// browser entry plus what needs Node: reading program files, the kernel backend (bpf(2) through koffi,
// loaded lazily), deploy, and engine agreement for tests.
export * from "./index.js";
export { loadProgramFile, loadOneProgram, loadPrograms, resolveTarget, bundledTarget, type TargetOptions } from "./load/node.js";

/** The kernel backend (Linux, root): bpf(2), loader, test-run, attach, deployments. Loads koffi lazily. */
export * as kernel from "./kernel/index.js";
/** Agreement of engines (interp, compiled, kernel) and the kernel's own verifier verdict, for tests. */
export * as testing from "./testing/index.js";
