// The veristat-style listing of `bpfkit verify X.o` (no --prog) and `bpfkit build`: every program of a
// file verified on its own, one line each (verdict, processed insns, states, time, first error line).
// A program bpfkit cannot answer (unknown section, a feature bpfkit lacks, a verifier error of ours) is
// listed with the reason; it never stops the listing. With `compareKernel`, the kernel's verdict for the
// same program stands beside ours, as veristat's compare mode.
import { BpfkitError, formatDiagnostic } from "../diagnostics/index.js";
import { progTypeName } from "../progtypes/index.js";
import type { Program } from "../program/program.js";
import type { Btf } from "../btf/index.js";
import { verifySlots, type VerifyOptions } from "../verifier/verifier.js";
import { fromProgram, programType, type ProgramKind } from "./verify-target.js";

/** What the kernel said of one program (compare mode). */
export interface KernelColumn {
  verdict: "accept" | "reject" | "error";
  /** First error line (reject), or why the program could not be loaded at all (error). */
  error?: string;
  processed?: number;
  timeUs?: number;
  /** Same verdict and, for rejections, the same first error line as ours. */
  same?: boolean;
}

export interface ListingRow {
  name: string;
  /** The section as written (without the `?`). */
  section: string;
  /** The type bpfkit judged it as (`xdp`), when known. */
  type?: string;
  /** The section when `--type` replaced it. */
  typeChosen?: string;
  /** False for `SEC("?...")`: answered, but libbpf would not load it by default. */
  autoload: boolean;
  /** timeout: `--timeout` ran out first (no verdict). */
  verdict: "accept" | "reject" | "timeout" | "unanswered";
  /** Why bpfkit cannot answer (unanswered only). */
  reason?: string;
  processed?: number;
  totalStates?: number;
  peakStates?: number;
  timeMs?: number;
  error?: { pc: number; message: string; file?: string; line?: number };
  kernel?: KernelColumn;
}

export interface Listing {
  file: string;
  programs: ListingRow[];
  /** Object-level features bpfkit does not model (struct_ops maps, arenas), one line each. */
  notes: string[];
  /** timedOut only when some program ran out of `--timeout`. */
  summary: { accepted: number; rejected: number; unanswered: number; timedOut?: number };
}

export interface ListingOptions {
  /** Load each answerable program into the running kernel too (needs root; the caller checks first). */
  compareKernel?: (program: Program, kind: { progType: number; attachType?: number }) => KernelColumn;
  /** Passed to every verification (`timeoutMs`, `insnLimit`, ...). */
  verify?: Partial<Pick<VerifyOptions, "timeoutMs" | "insnLimit" | "nrCpus">>;
  /** The target BTF for programs the loader kept none for (kfuncs, BTF-typed pointers, attach targets). */
  target?: () => Btf | undefined;
  /** The target kernel's .config, for helpers offered only under a kernel option. */
  kernelConfig?: () => string | undefined;
}

/** A program's own "cannot answer" status from the loader (wt-core's per-program status), when present. */
type WithStatus = Program & { unsupported?: { what: string; pc?: number; refusedByLibbpf?: true }[] };

/**
 * `unsupported` lines of today's ELF loader (`program 'NAME': feature`), grouped by program: programs the
 * loader left out because of them. Lines of no program (`section '.struct_ops': ...`) are notes.
 */
function leftOut(unsupported: readonly string[]): { byProgram: Map<string, string[]>; notes: string[] } {
  const byProgram = new Map<string, string[]>();
  const notes: string[] = [];
  for (const u of unsupported) {
    const m = /^program '([^']*)': (.*)$/.exec(u);
    if (!m) { notes.push(u); continue; }
    const list = byProgram.get(m[1]!) ?? [];
    if (!list.includes(m[2]!)) list.push(m[2]!);
    byProgram.set(m[1]!, list);
  }
  return { byProgram, notes };
}

/** "uses X, which bpfkit does not support" in one line for a program's features (first three). */
function unsupportedReason(features: readonly string[]): string {
  const shown = features.slice(0, 3).join("; ");
  return `uses ${shown}${features.length > 3 ? ` (and ${features.length - 3} more)` : ""}, which bpfkit does not support yet`;
}

function errorText(err: unknown): string {
  if (err instanceof BpfkitError) return err.diagnostics.map((d) => formatDiagnostic(d).replace(/^error: /, "")).join("; ");
  return `internal error: ${err instanceof Error ? err.message : String(err)} (a bug in bpfkit)`;
}

/** Verify one program for the listing; never throws. */
function rowOf(p: WithStatus, options: ListingOptions): ListingRow {
  const row: ListingRow = { name: p.name, section: p.sectionAsWritten ?? p.section, autoload: p.autoload !== false, verdict: "unanswered" };
  if (p.sectionAsWritten !== undefined) row.typeChosen = p.section;
  if (p.sectionHint !== undefined) {
    row.reason = `unknown section '${p.section}': ${p.sectionHint}`;
    return row;
  }
  let kind: ProgramKind;
  try {
    kind = programType(p.section, undefined, p.name, p, options.target, options.kernelConfig);
  } catch (err) {
    row.reason = errorText(err);
    return row;
  }
  row.type = progTypeName(kind.progType) ?? String(kind.progType);
  if (p.unsupported?.length) {
    const what = p.unsupported.map((u) => (u.pc !== undefined ? `${u.what} (pc ${u.pc})` : u.what));
    // what libbpf itself refuses (a struct_ops type the kernel lacks, an unresolvable extern) is no gap of bpfkit's
    row.reason = p.unsupported.every((u) => u.refusedByLibbpf) ? `libbpf refuses it, the kernel would never see it: ${what.slice(0, 3).join("; ")}` : unsupportedReason(what);
  } else {
    try {
      const t = fromProgram(p);
      const t0 = performance.now();
      const res = verifySlots(t.insns, t.maps, t.license, {
        ...kind, ...options.verify, hasFuncInfo: t.hasFuncInfo === true,
        ...(t.mapFields ? { mapFields: t.mapFields } : {}), ...(t.funcReturnsScalar ? { funcReturnsScalar: t.funcReturnsScalar } : {}),
        ...(t.funcProtos ? { funcProtos: t.funcProtos } : {}), ...(t.progBtf ? { progBtf: t.progBtf } : {}),
      }, t.lines);
      row.timeMs = performance.now() - t0;
      row.verdict = res.verdict;
      row.processed = res.stats.processed;
      row.totalStates = res.stats.totalStates;
      row.peakStates = res.stats.peakStates;
      if (res.error) {
        row.error = { pc: res.error.pc, message: res.error.message.split("\n")[0]! };
        if (res.error.line) { row.error.file = res.error.line.file; row.error.line = res.error.line.line; }
      }
    } catch (err) {
      row.verdict = "unanswered";
      row.reason = errorText(err);
    }
  }
  if (options.compareKernel) {
    try {
      const k = options.compareKernel(p, kind);
      if (k.verdict !== "error" && row.verdict !== "unanswered" && row.verdict !== "timeout") {
        k.same = k.verdict === row.verdict && (k.verdict === "accept" || k.error === row.error?.message);
      }
      row.kernel = k;
    } catch (err) {
      // no rights to load at all: the whole comparison is off, not this one program
      if (err instanceof BpfkitError && err.diagnostics.some((d) => d.code === "BK6003")) throw err;
      row.kernel = { verdict: "error", error: errorText(err) };
    }
  }
  return row;
}

/**
 * Verify every program of a file. `unsupported` is the loader's list for programs it left out (today's
 * ElfObject.unsupported); they are listed as not answered, after the others.
 */
export function verifyListing(file: string, programs: readonly Program[], unsupported: readonly string[], options: ListingOptions = {}): Listing {
  const rows = programs.map((p) => rowOf(p, options));
  const { byProgram, notes } = leftOut(unsupported);
  for (const [name, features] of byProgram) {
    if (rows.some((r) => r.name === name)) continue;
    rows.push({ name, section: "-", autoload: true, verdict: "unanswered", reason: unsupportedReason(features) });
  }
  const count = (v: ListingRow["verdict"]): number => rows.filter((r) => r.verdict === v).length;
  const summary: Listing["summary"] = { accepted: count("accept"), rejected: count("reject"), unanswered: count("unanswered") };
  if (count("timeout")) summary.timedOut = count("timeout");
  return { file, programs: rows, notes, summary };
}

const VERDICT_WORD = { accept: "accepted", reject: "rejected", timeout: "timed out", unanswered: "not answered" } as const;

function fmtTime(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(0)} us`;
}

function errorCell(r: ListingRow): string {
  if (r.verdict === "unanswered") return r.reason ?? "";
  if (!r.error) return "";
  const where = r.error.file !== undefined ? ` (${r.error.file.replace(/^.*\//, "")}:${r.error.line})` : "";
  return `pc ${r.error.pc}${where}: ${r.error.message}`;
}

function kernelCell(k: KernelColumn | undefined): string[] {
  if (!k) return ["-", "-", "-"];
  if (k.verdict === "error") return ["error", "-", "-"];
  return [VERDICT_WORD[k.verdict], k.processed !== undefined ? String(k.processed) : "-", k.same === undefined ? "-" : k.same ? "yes" : "NO"];
}

/** The listing as text: a table, then the notes and one summary line. */
export function formatListing(l: Listing): string {
  const compare = l.programs.some((r) => r.kernel);
  // the last column only when some program has an error or a reason to show
  const last = l.programs.some((r) => errorCell(r) !== "");
  const head = ["PROGRAM", "SECTION", "TYPE", "VERDICT", "INSNS", "STATES", "PEAK", "TIME", ...(compare ? ["KERNEL", "K.INSNS", "SAME"] : []), ...(last ? ["ERROR / NOTE"] : [])];
  const rows = l.programs.map((r) => [
    r.name, (r.autoload ? "" : "?") + r.section + (r.typeChosen ? ` (--type ${r.typeChosen})` : ""), r.type ?? "-", VERDICT_WORD[r.verdict],
    r.processed !== undefined ? String(r.processed) : "-", r.totalStates !== undefined ? String(r.totalStates) : "-",
    r.peakStates !== undefined ? String(r.peakStates) : "-", fmtTime(r.timeMs), ...(compare ? kernelCell(r.kernel) : []), ...(last ? [errorCell(r)] : []),
  ]);
  const numeric = new Set([4, 5, 6, 7, ...(compare ? [9] : [])]);
  const widths = head.map((_, c) => Math.max(...[head, ...rows].map((row) => row[c]!.length)));
  const line = (row: string[]): string => row.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  let out = [head, ...rows].map(line).join("\n") + "\n";
  const notes: string[] = [];
  for (const r of l.programs) {
    if (!r.autoload) notes.push(`${r.name}: SEC("?${r.section}") is not loaded by default (libbpf's autoload off); answered anyway, deploy or run it with --prog ${r.name}`);
    if (r.kernel?.verdict === "error") notes.push(`${r.name}: the kernel could not be asked: ${r.kernel.error}`);
    else if (r.kernel && r.kernel.same === false) notes.push(`${r.name}: DISAGREE: bpfkit ${VERDICT_WORD[r.verdict]}${r.error ? ` (${r.error.message})` : ""}, kernel ${VERDICT_WORD[r.kernel.verdict]}${r.kernel.error ? ` (${r.kernel.error})` : ""}`);
  }
  for (const n of l.notes) notes.push(`not modelled: ${n}`);
  if (notes.length) out += "\n" + notes.map((n) => `note: ${n}\n`).join("");
  const s = l.summary;
  out += `\n${l.file}: ${l.programs.length} program${l.programs.length === 1 ? "" : "s"}: ${s.accepted} accepted, ${s.rejected} rejected, ${s.unanswered} not answered${s.timedOut ? `, ${s.timedOut} timed out` : ""}`;
  if (compare) {
    const asked = l.programs.filter((r) => r.kernel?.same !== undefined);
    out += `; kernel agrees on ${asked.filter((r) => r.kernel!.same).length} of ${asked.length}`;
  }
  return out + "\n";
}

/** The listing as JSON (`--json`): the same facts per program. */
export function listingJson(l: Listing): Record<string, unknown> {
  return {
    file: l.file,
    programs: l.programs.map((r) => ({
      name: r.name, section: r.section, ...(r.typeChosen ? { typeChosen: r.typeChosen } : {}), autoload: r.autoload, type: r.type ?? null,
      verdict: r.verdict, ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.processed !== undefined ? { stats: { processed: r.processed, totalStates: r.totalStates, peakStates: r.peakStates } } : {}),
      ...(r.timeMs !== undefined ? { timeMs: Number(r.timeMs.toFixed(3)) } : {}),
      ...(r.error ? { error: r.error } : {}), ...(r.kernel ? { kernel: r.kernel } : {}),
    })),
    notes: l.notes,
    summary: l.summary,
  };
}

/** Exit code of a listing: 3 when any program timed out (verify --timeout), else 1 when any is rejected,
 * else 0 (not answered is said, not failed). */
export const listingExitCode = (l: Listing): number => ((l.summary.timedOut ?? 0) > 0 ? 3 : l.summary.rejected > 0 ? 1 : 0);

/**
 * The kernel column's source: each program loaded into the running kernel the way libbpf loads it
 * (src/testing/kernel-verdict.ts), as the program type bpfkit judged it. Loaded lazily (koffi, Linux).
 */
export async function kernelComparer(): Promise<NonNullable<ListingOptions["compareKernel"]>> {
  const { kernelVerifyProgram } = await import("../testing/kernel-verdict.js");
  return (program, kind) => {
    const k = kernelVerifyProgram(program, 1, kind.progType, kind.attachType);
    const processed = /processed (\d+) insns/.exec(k.log);
    const col: KernelColumn = { verdict: k.verdict, timeUs: Math.round(k.timeNs / 1000) };
    if (processed) col.processed = Number(processed[1]);
    if (k.error !== undefined) col.error = k.error;
    return col;
  };
}
