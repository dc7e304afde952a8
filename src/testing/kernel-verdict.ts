// The kernel's own verdict for a program, for `verify --compare-kernel`, the corpus recorder and the
// live differential test. Programs go through the kernel loader's one load path (attemptProgramLoad), the
// way libbpf loads them: an ELF object's BTF with func and line info, maps with their BTF and initial
// contents; raw slots (bundles, generated programs) are loaded byte for byte with fresh maps.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { ERRNO, errnoName, KernelError } from "../kernel/errors.js";
import { attemptProgramLoad, explainVerifierLog } from "../kernel/loader.js";
import { closeFd } from "../kernel/sys.js";
import type { MapSpec, Program } from "../program/program.js";
import type { RawInsn } from "../verifier/cfg.js";
import { slotsToHex } from "../verifier/raw-hex.js";
import { errorOfLog } from "../verifier/kernel-log.js";
import type { VerifyResult } from "../verifier/verifier.js";

export interface KernelVerdict {
  verdict: "accept" | "reject";
  errno: number;
  /** First line of the kernel's error message. */
  error?: string;
  errorLines?: string[];
  log: string;
  /** Wall time of the BPF_PROG_LOAD call. */
  timeNs: number;
  /** The kernel's "verification time N usec" (BPF_LOG_STATS), when asked for. */
  verificationUsec?: number;
  /** What the load had to do without (BTF refused, map BTF refused): the verdict may differ from libbpf's. */
  warnings?: string[];
}

/**
 * Load a Program into the kernel with a log (level 1 by default) and return its verdict; the program fd
 * and the maps are closed again. Needs root: without the rights to load, throws BK6003 saying so, never
 * a "reject" the kernel did not give.
 */
export function kernelVerifyProgram(program: Program, logLevel = 1, progType?: number, expectedAttachType?: number): KernelVerdict {
  let a: ReturnType<typeof attemptProgramLoad>;
  try {
    a = attemptProgramLoad(program, { logLevel, licenseAsWritten: true, ...(progType !== undefined ? { progType } : {}),
      ...(expectedAttachType !== undefined ? { expectedAttachType } : {}) });
  } catch (err) {
    // a map the kernel cannot create is no verdict on the program
    if (err instanceof KernelError && err.errno === ERRNO.EPERM) throw kernelUnavailable(err.errno);
    throw err;
  }
  try {
    if (a.fd < 0 && a.errno === ERRNO.EPERM && !a.log) throw kernelUnavailable(a.errno);
    const out: KernelVerdict = { verdict: a.fd >= 0 ? "accept" : "reject", errno: a.errno, log: a.log, timeNs: a.timeNs };
    if (a.warnings.length) out.warnings = a.warnings;
    const m = /verification time (\d+) usec/.exec(a.log);
    if (m) out.verificationUsec = Number(m[1]);
    if (a.fd < 0) {
      const e = errorOfLog(a.log);
      if (e) { out.error = e.first; out.errorLines = e.lines; }
      else out.error = `(no log, errno ${a.errno})`;
    }
    return out;
  } finally {
    if (a.fd >= 0) closeFd(a.fd);
    a.release();
  }
}

/** Raw slots with fresh maps; `type` is a libbpf section name. Needs root. */
export function kernelVerify(type: string, insns: RawInsn[], maps: MapSpec[], license: string, logLevel = 1, progType?: number): KernelVerdict {
  const hex = slotsToHex(insns);
  const bytecode = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  return kernelVerifyProgram({ name: "", section: type, insns: [], maps, license, bytecode }, logLevel, progType);
}

function kernelUnavailable(errno: number): BpfkitError {
  return new BpfkitError(diag("BK6003", { reason: `the kernel refused to load programs (${errnoName(errno)}): bpf(2) needs root or CAP_BPF with CAP_NET_ADMIN / CAP_PERFMON` }), 2);
}

/**
 * The side-by-side table of `verify --compare-kernel`: each verdict, where it points (pc and, from line
 * info, the source line: the kernel's from its `; source @ file:line` log lines) and its first error line,
 * then the notes of the load and whether the two agree.
 */
export function formatKernelComparison(ours: Pick<VerifyResult, "verdict" | "error">, k: KernelVerdict): string {
  const ourFirst = ours.error?.message.split("\n")[0] ?? "";
  const same = ours.verdict === k.verdict && (k.verdict === "accept" || ourFirst === k.error);
  const ourAt = ours.error ? where(ours.error.pc, ours.error.line?.file, ours.error.line?.line) : "-";
  const kWhy = k.verdict === "reject" ? explainVerifierLog(k.log) : undefined;
  const kAt = kWhy ? where(kWhy.pc, kWhy.file, kWhy.line) : "-";
  const rows = [["", "verdict", "where", "first error line"], ["emulator", ours.verdict, ourAt, ourFirst || "-"], ["kernel", k.verdict, kAt, (kWhy && k.error) || "-"]];
  const width = Math.max(...rows.map((r) => r[2]!.length)) + 2;
  let out = rows.map((r) => `${r[0]!.padEnd(10)}${r[1]!.padEnd(9)}${r[2]!.padEnd(width)}${r[3]}`.trimEnd() + "\n").join("");
  for (const w of k.warnings ?? []) out += `note: ${w}\n`;
  out += same ? "agree: same verdict and first error line\n"
    : ours.verdict !== k.verdict ? `DISAGREE: the emulator says ${ours.verdict}, the kernel ${k.verdict}\n`
    : "DISAGREE: both reject, with different first error lines\n";
  return out;
}

/** "pc 17 (loops.bpf.c:80)": where a verdict points. */
function where(pc: number | undefined, file: string | undefined, line: number | undefined): string {
  if (pc === undefined) return "-";
  return file !== undefined ? `pc ${pc} (${file.replace(/^.*\//, "")}:${line})` : `pc ${pc}`;
}
