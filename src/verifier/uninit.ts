// Reads of uninitialized stack as warnings (issue #15 item 12). A privileged loader may read stack bytes
// the program never wrote (allow_uninit_stack); the kernel then returns whatever its stack held, so the
// program's results differ from run to run there, while bpfkit's stack reads zeros. The verifier emulator
// records each such read by pc (VerifyResult.uninitStackReads); this turns them into BK9804 warnings for
// `verify --explain` and checked-mode runs.
import { diag, type Diagnostic } from "../diagnostics/index.js";
import type { UninitStackRead } from "./env.js";
import type { VerifyResult } from "./verifier.js";

export function uninitStackWarning(r: UninitStackRead): Diagnostic {
  const where = `fp${r.fpOff < 0 ? r.fpOff : `+${r.fpOff}`}${r.frameno > 0 ? ` (frame ${r.frameno})` : ""}`;
  return diag("BK9804", { n: r.bytes, s: r.bytes === 1 ? "" : "s", where, via: r.helper ? " (through a helper argument)" : "" },
    { pc: r.pc }, "bpfkit's stack holds zeros or what an earlier run left there, so its results can differ from the kernel's: write the bytes first (`= {}`, __builtin_memset)");
}

/** The warnings of one verification, in pc order. */
export function uninitStackWarnings(res: Pick<VerifyResult, "uninitStackReads">): Diagnostic[] {
  return (res.uninitStackReads ?? []).map((r) => uninitStackWarning(r));
}
