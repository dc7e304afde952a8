// The verifier emulator (Linux 6.18, privileged loader): `verifyProgram(program, { progType })` gives the
// kernel's verdict, its first error message and its log; `explain()` turns a rejection into words.
export { verifyProgram, verifySlots, toRawSlots, isGplCompatible, COMPLEXITY_LIMIT_INSNS, type VerifyOptions, type VerifyResult, type VerifyStats, type InsnState } from "./verifier.js";
export { explain, formatExplanation, applyFix, patchText, type Explanation, type FixPatch } from "./explain.js";
export { errorOfLog } from "./kernel-log.js";
export type { RawInsn } from "./cfg.js";
