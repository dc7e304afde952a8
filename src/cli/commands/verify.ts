// `bpfkit verify FILE [--type [NAME=]T] [--prog P] [--log-level 1|2] [--json] [--explain] [--compare-kernel]`
// `bpfkit verify --batch FILE.jsonl`: the verifier emulator (Linux 6.18, privileged loader). Exit 0 when
// the program is accepted, 1 when rejected, 2 for bad input, 3 when `--timeout SECONDS` ran out first (no
// verdict). The rejection message is the kernel's own.
// An object (or any file of several programs) without --prog: every program, one line each, like veristat
// (src/cli/verify-listing.ts); exit 1 when any is rejected.
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { BpfkitError, diag, formatDiagnostic } from "../../diagnostics/index.js";
import { hostCpus } from "../../load/host-cpus.js";
import { progTypeName } from "../../progtypes/index.js";
import type { Program } from "../../program/program.js";
import { loadProgramFile, loadPrograms } from "../../load/node.js";
import { bundleToProgram } from "../../program/bundle.js";
import { pickProgram } from "../../load/node.js";
import { explain, formatExplanation } from "../../verifier/explain.js";
import { uninitStackWarnings } from "../../verifier/uninit.js";
import { verifySlots, type VerifyResult } from "../../verifier/verifier.js";
import { chosenType, type ProgramTypeChoice } from "../../elf/type-choice.js";
import { action } from "../run-command.js";
import { progChoice, progOption } from "../prog-option.js";
import { typeChoice, typeOption } from "../type-option.js";
import { formatListing, kernelComparer, listingExitCode, listingJson, verifyListing } from "../verify-listing.js";
import { fromProgram, programType, type Target } from "../verify-target.js";
import { addTargetOptions, targetOptions } from "../target-options.js";
import { resolveTarget } from "../../load/target-node.js";
import type { Btf } from "../../btf/index.js";
import { poisonExplanation, poisonNote } from "../../elf/poison-note.js";

interface VerifyOpts {
  type?: string[];
  prog?: string;
  program?: string;
  logLevel?: string;
  json?: boolean;
  explain?: boolean;
  batch?: string;
  compareKernel?: boolean;
  timeout?: string;
  btf?: string;
  kconfig?: string;
}

export function register(program: Command): void {
  typeOption(addTargetOptions(progOption(program
    .command("verify")
    .description("check a program the way the Linux 6.18 verifier does (privileged loader); exit 0 accepted, 1 rejected, 2 bad input, 3 timed out; every program of an object, one line each, without --prog")
    .argument("[file]", "program file: .s, .json/.jsonl bundle, .bin, .o"), "only this program, in detail (without it an object's programs are listed one line each)"))
    .option("--log-level <n>", "print the verifier log as the kernel writes it: 1 (the failing path) or 2 (every instruction)")
    .option("--json", "print the result as JSON: verdict, error {pc, message, line}, states, stats")
    .option("--explain", "for a rejection: source line, branch path, the register at fault and a fix")
    .option("--batch <file>", "verify every line of a JSONL file (a bundle, or {\"object\": \"x.o\", \"program\": \"name\"}); one JSON result per line")
    .option("--compare-kernel", "also load the program into the running kernel and show both verdicts side by side")
    .option("--timeout <seconds>", "give up on a program after this many seconds: verdict \"timeout\" (exit 3), so a batch always ends"))
    .action(action(async (file: string | undefined, opts: VerifyOpts) => {
      const level = opts.logLevel === undefined ? 0 : Number(opts.logLevel);
      if (![0, 1, 2].includes(level)) return usage("--log-level must be 1 or 2");
      const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout) * 1000;
      // bpf_get_smp_processor_id() is bounded by this machine's CPU count, as its kernel would bound it
      const nrCpus = hostCpus();
      if (timeoutMs !== undefined && !(timeoutMs > 0)) return usage("--timeout must be a positive number of seconds");
      const limits = { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(nrCpus !== undefined ? { nrCpus } : {}) };
      if (opts.batch) return runBatch(opts.batch, opts, limits);
      if (!file) return usage("give a program file (or --batch FILE.jsonl)");
      const choice = typeChoice(opts);
      // Leniently: bytecode the kernel would refuse gets the kernel's verdict, not a decode error.
      const loaded = await loadProgramFile(file, { lenient: true, ...targetOptions(opts), ...(choice ? { type: choice } : {}) });
      const chosen = progChoice(opts);
      const listing = chosen === undefined && level === 0 && !opts.explain && (loaded.kind === "elf" || loaded.programs.length > 1);
      if (listing) return runListing(file, loaded.programs, loaded.unsupported, opts, limits);
      // a program bpfkit cannot use (its `unsupported` reasons) is refused by pickProgram; its neighbours are not
      const prog = pickProgram(loaded.programs, file, chosen);
      const target = fromProgram(prog);
      const kind = programType(target.section, undefined, target.name, prog, fallbackBtf(opts), kernelConfig(opts));
      const wantStates = opts.json === true;
      const res = verifySlots(target.insns, target.maps, target.license,
        { ...kind, logLevel: level || (opts.explain ? 1 : 0), recordStates: wantStates, captureRegs: opts.explain === true, hasFuncInfo: target.hasFuncInfo === true,
          ...limits,
          ...(target.mapFields ? { mapFields: target.mapFields } : {}),
          ...(target.funcReturnsScalar ? { funcReturnsScalar: target.funcReturnsScalar } : {}),
          ...(target.funcProtos ? { funcProtos: target.funcProtos } : {}), ...(target.progBtf ? { progBtf: target.progBtf } : {}) }, target.lines);
      if (opts.json) {
        process.stdout.write(JSON.stringify(toJson(res, target, kind.progType, level > 0, opts.explain === true), null, 2) + "\n");
      } else {
        if (level > 0) process.stdout.write(res.log);
        printHuman(res, target, kind.progType, opts.explain === true);
      }
      if (opts.compareKernel) await compareKernel(prog, kind, res);
      return exitCodeOf(res.verdict);
    }));
}

/** What every verification of this command gets: `--timeout` and the host's CPU count. */
type Limits = { timeoutMs?: number; nrCpus?: number };

/** 0 accepted, 1 rejected, 3 timed out (no verdict). */
const exitCodeOf = (verdict: VerifyResult["verdict"]): number => (verdict === "accept" ? 0 : verdict === "timeout" ? 3 : 1);
/** A batch's exit code is its most severe line's: bad input (2) over a timeout (3) over a rejection (1). */
const SEVERITY = [0, 1, 3, 2];
const worse = (a: number, b: number): number => (SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a);

/** Every program of the file, one line each (or one JSON object per program). */
async function runListing(file: string, programs: Program[], unsupported: string[], opts: VerifyOpts, limits: Limits): Promise<number> {
  let compare;
  if (opts.compareKernel) {
    const { kernelBackendProblem } = await import("../../kernel/index.js"); // only here: start-up time
    const problem = kernelBackendProblem();
    if (problem) throw new BpfkitError(diag("BK6003", { reason: problem }), 2);
    compare = await kernelComparer();
  }
  const l = verifyListing(file, programs, unsupported, { verify: limits, target: fallbackBtf(opts), kernelConfig: kernelConfig(opts),
    ...(compare ? { compareKernel: compare } : {}) });
  process.stdout.write(opts.json ? JSON.stringify(listingJson(l), null, 2) + "\n" : formatListing(l));
  return listingExitCode(l);
}

/** The target BTF (--btf, the running kernel's, or the bundled one) for programs the loader kept none for; opened on first need. */
function fallbackBtf(opts: { btf?: string; kconfig?: string }): () => Btf | undefined {
  return () => resolveTarget(targetOptions(opts)).btf();
}

/** The target kernel's configuration (--kconfig, the running kernel's, or the bundled one), read on first need. */
function kernelConfig(opts: { btf?: string; kconfig?: string }): () => string | undefined {
  return () => resolveTarget(targetOptions(opts)).kconfig?.()?.text;
}

function usage(message: string): number {
  process.stderr.write(`bpfkit verify: ${message}\n`);
  return 2;
}

function printHuman(res: VerifyResult, t: Target, progType: number, withExplain: boolean): void {
  const typeName = progTypeName(progType) ?? String(progType);
  // --explain also names what the kernel accepts but runs differently: reads of uninitialized stack
  const warnings = (): void => { if (withExplain) for (const w of uninitStackWarnings(res)) process.stdout.write(`  ${formatDiagnostic(w).replace(/\n/g, "\n  ")}\n`); };
  if (res.verdict === "accept") {
    process.stdout.write(`${t.name} (${typeName}): accepted, ${res.stats.processed} insns processed, ${res.stats.totalStates} states\n`);
    warnings();
    return;
  }
  warnings();
  const e = res.error!;
  if (res.verdict === "timeout") {
    process.stdout.write(`${t.name} (${typeName}): no verdict: ${e.message} (the kernel's own limit is 1,000,000 insns; raise --timeout to go on)\n`);
    return;
  }
  if (withExplain) {
    const ex = explain(res, t.insns, t.maps, progType);
    const poisoned = t.program && poisonExplanation(t.program, e.pc);
    if (ex && poisoned) { ex.why = poisoned.why; ex.fix = poisoned.fix; }
    if (ex) { process.stdout.write(`${t.name} (${typeName}): ${formatExplanation(ex)}\n`); return; }
  }
  const where = e.line ? ` (${e.line.file}:${e.line.line})` : "";
  const [first, ...rest] = e.message.split("\n");
  process.stdout.write(`${t.name} (${typeName}): rejected at pc ${e.pc}${where}: ${first}\n`);
  for (const l of rest) process.stdout.write(`  ${l}\n`);
  const note = t.program && poisonNote(t.program, e.pc);
  if (note) process.stdout.write(`  note (bpfkit): ${note}\n`);
}

function toJson(res: VerifyResult, t: Target, progType: number, withLog: boolean, withExplain: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { name: t.name, type: progTypeName(progType) ?? progType, verdict: res.verdict };
  if (t.program?.targetBtfSource) out.target = t.program.targetBtfSource;
  if (res.error) {
    const err: Record<string, unknown> = { pc: res.error.pc, message: res.error.message };
    if (res.error.line) err.line = res.error.line;
    const note = t.program && poisonNote(t.program, res.error.pc);
    if (note) err.note = note;
    out.error = err;
    if (withExplain && res.verdict === "reject") {
      const ex = explain(res, t.insns, t.maps, progType);
      const poisoned = t.program && poisonExplanation(t.program, res.error.pc);
      if (ex && poisoned) { ex.why = poisoned.why; ex.fix = poisoned.fix; }
      out.explanation = ex;
    }
  }
  if (withExplain && res.uninitStackReads) out.warnings = uninitStackWarnings(res).map((w) => ({ pc: w.pc, code: w.code, message: w.message }));
  out.stats = res.stats;
  if (res.states) out.states = res.states.map((s) => ({ pc: s.pc, state: s.text }));
  if (withLog) out.log = res.log;
  return out;
}

/**
 * The kernel's verdict next to ours: loaded the way libbpf loads it (the object's BTF, func and line info,
 * maps with BTF and initial contents), so both judge the same program.
 */
async function compareKernel(prog: Program, kind: { progType: number; attachType?: number }, ours: VerifyResult): Promise<void> {
  // imported only here: a plain `verify` starts without the kernel backend (issue #15 item 9)
  const { kernelBackendProblem } = await import("../../kernel/index.js");
  const problem = kernelBackendProblem();
  if (problem) throw new BpfkitError(diag("BK6003", { reason: problem }), 2);
  // loaded lazily: the kernel binding needs koffi and Linux
  const { formatKernelComparison, kernelVerifyProgram } = await import("../../testing/kernel-verdict.js");
  // the type and attach type the emulator judged by (--type overrides the section for both)
  const k = kernelVerifyProgram(prog, 1, kind.progType, kind.attachType);
  process.stdout.write("\n" + formatKernelComparison(ours, k));
}

async function runBatch(file: string, opts: VerifyOpts, limits: Limits): Promise<number> {
  let text: string;
  try { text = await readFile(file, "utf8"); } catch (err) {
    return usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let worst = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let result: Record<string, unknown>;
    try {
      const t = await batchTarget(JSON.parse(line) as Record<string, unknown>, i + 1, typeChoice(opts));
      const kind = programType(t.section, undefined, t.name, t.program, fallbackBtf(opts), kernelConfig(opts));
      const res = verifySlots(t.insns, t.maps, t.license, { ...kind, hasFuncInfo: t.hasFuncInfo === true, ...(t.mapFields ? { mapFields: t.mapFields } : {}),
        ...(t.funcReturnsScalar ? { funcReturnsScalar: t.funcReturnsScalar } : {}), ...(t.funcProtos ? { funcProtos: t.funcProtos } : {}),
        ...(t.progBtf ? { progBtf: t.progBtf } : {}), ...limits }, t.lines);
      result = { verdict: res.verdict };
      if (res.error) result.error = { pc: res.error.pc, message: res.error.message.split("\n")[0] };
      worst = worse(worst, exitCodeOf(res.verdict));
    } catch (err) {
      const message = err instanceof BpfkitError ? err.diagnostics.map(formatDiagnostic).join("; ") : err instanceof SyntaxError ? `not JSON: ${err.message}` : String(err);
      result = { verdict: "invalid", error: { pc: -1, message } };
      worst = worse(worst, 2);
    }
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  return worst;
}

async function batchTarget(obj: Record<string, unknown>, line: number, type?: ProgramTypeChoice): Promise<Target> {
  if (typeof obj.object === "string") {
    const programs = await loadPrograms(obj.object, type !== undefined ? { type } : {});
    // "program" as batch files say it, or "prog" as the command line does
    const name = typeof obj.program === "string" ? obj.program : typeof obj.prog === "string" ? obj.prog : undefined;
    return fromProgram(pickProgram(programs, obj.object, name));
  }
  if (typeof obj.insns !== "string") {
    throw new BpfkitError(diag("BK6002", { line, problem: "expected a bundle {\"type\", \"insns\": hex} or {\"object\": \"x.o\", \"program\": \"name\"}" }), 2);
  }
  // The same bundle reader as every command, leniently: malformed encodings get the kernel's verdict.
  const { program } = bundleToProgram(obj, { line }, { lenient: true });
  if (typeof obj.name !== "string") program.name = `line${line}`;
  // --type gives a type to bundles that have none (as before), by name too
  const chosen = program.section ? type?.byName?.[program.name] : chosenType(type, program.name, "");
  if (chosen !== undefined) program.section = chosen;
  return fromProgram(program);
}
