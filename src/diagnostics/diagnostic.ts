// One Diagnostic shape for every stage, one error class that carries them, one formatter.
import { DIAGNOSTIC_CODES, type DiagnosticCode, type Severity } from "./codes.js";

/** Where a problem is: a source position, an instruction (pc = slot index), or a byte offset in a file section. */
export interface Location {
  file?: string;
  line?: number; // 1-based
  col?: number; // 1-based
  endCol?: number;
  pc?: number;
  section?: string;
  offset?: number;
}

export interface Diagnostic extends Location {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  hint?: string;
}

/** Build a diagnostic from its code and the template's arguments. */
export function diag(code: DiagnosticCode, args: Record<string, string | number | bigint> = {}, where: Location = {},
  hint?: string): Diagnostic {
  const spec = DIAGNOSTIC_CODES[code];
  const message = spec.message.replace(/\{(\w+)\}/g, (_, k: string) => (k in args ? String(args[k]) : `{${k}}`));
  const d: Diagnostic = { code, severity: spec.severity, message, ...where };
  if (hint) d.hint = hint;
  return d;
}

/** `file:line:col: error: message [BKnnnn]`, or `pc N: ...`, or `section+0xOFF: ...`, plus an indented hint. */
export function formatDiagnostic(d: Diagnostic): string {
  let where = "";
  if (d.file !== undefined) {
    where = d.file;
    if (d.line !== undefined) where += `:${d.line}` + (d.col !== undefined ? `:${d.col}` : "");
  }
  if (d.section !== undefined) where += (where ? ": " : "") + `section ${d.section}` + (d.offset !== undefined ? `+0x${d.offset.toString(16)}` : "");
  else if (d.offset !== undefined) where += (where ? ": " : "") + `offset 0x${d.offset.toString(16)}`;
  if (d.pc !== undefined) where += (where ? ": " : "") + `pc ${d.pc}`;
  const head = `${where ? where + ": " : ""}${d.severity}: ${d.message} [${d.code}]`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

/**
 * The error every bpfkit stage throws for bad input: it carries all the diagnostics found, not just
 * the first. `exitCode` follows the CLI convention: 1 = the program is at fault, 2 = bad input/usage.
 */
export class BpfkitError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly exitCode: 1 | 2;
  constructor(diagnostics: Diagnostic[] | Diagnostic, exitCode: 1 | 2 = 2) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map(formatDiagnostic).join("\n"));
    this.name = "BpfkitError";
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
  get code(): DiagnosticCode | undefined {
    return this.diagnostics[0]?.code;
  }
}

/** Shorthand: throw one diagnostic as a BpfkitError. */
export function fail(code: DiagnosticCode, args: Record<string, string | number | bigint> = {}, where: Location = {},
  hint?: string, exitCode: 1 | 2 = 2): never {
  throw new BpfkitError(diag(code, args, where, hint), exitCode);
}
