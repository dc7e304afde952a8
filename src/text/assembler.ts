// Text -> Program. Reads a whole file line by line, collecting a diagnostic for every bad line (one per
// line, at its column) instead of stopping at the first, then resolves labels, helper names and maps
// (which may be used before they are defined) and throws everything found as one BpfkitError.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { decodeAll, helperId, type Instruction, isWide, SlotMap, wide } from "../isa/index.js";
import type { MapSpec, Program, SourceLine } from "../program/index.js";
import { Cursor } from "./cursor.js";
import { directive } from "./directives.js";
import { findForm } from "./forms.js";
import { LLVM_LEADING_WORDS, parseLlvm } from "./parse-llvm.js";
import { isMnemonic, parseMnemonic } from "./parse-mnemonic.js";
import type { ParsedInstruction, Syntax } from "./statement.js";
import { commentStart, LineError, type Token, tokenize } from "./tokens.js";

export interface AssembleOptions {
  /** File name for diagnostics and source lines. */
  file?: string;
  /** `auto` (default) decides per file from the first line that only one syntax accepts. */
  syntax?: Syntax | "auto";
}

interface Statement extends ParsedInstruction {
  line: number;
  col: number;
  text: string;
}

interface LabelDef { index: number; line: number }

const LABEL = /^(\s*)([A-Za-z_.$][A-Za-z0-9_.$]*)\s*:/;
const AMBIGUOUS_WORDS = new Set(["exit", "call", "callx", "may_goto"]);

/** Which syntax a line can only be in, or undefined when both read it the same way (`exit`, `call 1`). */
export function syntaxOfLine(tokens: readonly Token[]): Syntax | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  if (tokens.some((t) => t.kind === "punct" && t.text.includes("=") && t.text !== "==" ) || tokens.some((t) => t.text === "==")) return "llvm";
  if (first.text === "lock") return tokens[1]?.text === "*" ? "llvm" : "mnemonic";
  if (LLVM_LEADING_WORDS.has(first.text)) return "llvm";
  if (tokens.some((t) => t.text.startsWith("%") || t.text === "[")) return "mnemonic";
  if (first.kind === "ident" && !AMBIGUOUS_WORDS.has(first.text) && isMnemonic(first.text)) return "mnemonic";
  if (first.text === "call") {
    const [word, next] = [tokens[1]?.text, tokens[2]?.text];
    if (word === "local" || (word === "kfunc" && next !== "(" && next !== undefined)) return "mnemonic";
    if ((word === "kfunc" && next === "(") || (word === "pc" && (next === "+" || next === "-"))) return "llvm";
  }
  return undefined;
}

export function assemble(source: string, options: AssembleOptions = {}): Program {
  const file = options.file ?? "<input>";
  const diagnostics: Diagnostic[] = [];
  const statements: Statement[] = [];
  const labels = new Map<string, LabelDef>();
  const maps: { spec: MapSpec; line: number; inner?: { name: string; col: number; endCol: number } }[] = [];
  let section = "";
  let license = "";
  let name: string | undefined;
  let explicitName = false;
  let syntax: Syntax | undefined = options.syntax === "auto" ? undefined : options.syntax;
  let decidedBy = options.syntax && options.syntax !== "auto" ? "set by option" : "";

  const report = (code: Parameters<typeof diag>[0], args: Record<string, string | number>, line: number, col?: number, endCol?: number, hint?: string): void => {
    diagnostics.push(diag(code, args, { file, line, ...(col !== undefined ? { col } : {}), ...(endCol !== undefined ? { endCol } : {}) }, hint));
  };

  const lines = source.split("\n");
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    let text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    text = text.slice(0, commentStart(text));
    try {
      // Labels: `name:` (several may precede one instruction). Blank them out to keep columns.
      let m: RegExpExecArray | null;
      while ((m = LABEL.exec(text))) {
        const labelName = m[2]!;
        const col = m[1]!.length + 1;
        const prev = labels.get(labelName);
        if (prev) report("BK2005", { name: labelName, line: prev.line }, lineNo, col, col + labelName.length);
        else labels.set(labelName, { index: statements.length, line: lineNo });
        text = " ".repeat(m[0].length) + text.slice(m[0].length);
      }
      const body = text.trim();
      if (!body) return;
      const indent = text.length - text.trimStart().length;
      if (/^\.[A-Za-z_]/.test(body)) {
        directive(body, indent, {
          setSection: (s) => { section = s; },
          setLicense: (l) => { license = l; },
          setName: (n, explicit) => { if (explicit || !explicitName) { name = n; explicitName ||= explicit; } },
          addMap: (spec, inner, col, endCol) => {
            const prev = maps.find((x) => x.spec.name === spec.name);
            if (prev) report("BK2009", { name: spec.name, line: prev.line }, lineNo, col, endCol);
            else maps.push({ spec, line: lineNo, ...(inner ? { inner } : {}) });
          },
          addRaw: (words, col) => { statements.push({ insn: rawInstruction(words, col), line: lineNo, col, text: body }); },
        });
        return;
      }
      const tokens = tokenize(text);
      const lineSyntax = syntaxOfLine(tokens);
      if (lineSyntax && !syntax) { syntax = lineSyntax; decidedBy = `decided by line ${lineNo}`; }
      if (lineSyntax && syntax && lineSyntax !== syntax) {
        report("BK2012", { found: lineSyntax, expected: syntax, why: decidedBy }, lineNo, tokens[0]!.col, tokens[tokens.length - 1]!.endCol);
        return;
      }
      const cursor = new Cursor(tokens, text.length);
      const parsed = (syntax ?? lineSyntax ?? "llvm") === "mnemonic" ? parseMnemonic(cursor) : parseLlvm(cursor);
      statements.push({ ...parsed, line: lineNo, col: tokens[0]!.col, text: body });
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      report(err.code, err.args, lineNo, err.col, err.endCol, err.hint);
    }
  });

  if (statements.length === 0 && diagnostics.length === 0) diagnostics.push(diag("BK2013", {}, { file }));

  // Inner map templates may name maps declared later.
  for (const m of maps) {
    if (!m.inner) continue;
    const inner = maps.find((x) => x.spec.name === m.inner!.name);
    if (!inner) report("BK2006", { name: m.inner.name }, m.line, m.inner.col, m.inner.endCol);
    else m.spec.inner = inner.spec;
  }

  const insns = statements.map((s) => s.insn);
  const slots = new SlotMap(insns);
  const slotOfIndex = (index: number): number => (index < insns.length ? slots.slotOf[index]! : slotsTotal(insns));
  const exitOpcode = findForm((f) => f.kind === "exit")!.opcode;
  const firstExit = insns.findIndex((i) => i.opcode === exitOpcode);
  for (const [labelName, def] of labels) {
    if (def.index < insns.length && insns[def.index]!.label === undefined) insns[def.index]!.label = labelName;
  }

  statements.forEach((s, index) => {
    const ref = s.ref;
    if (!ref) return;
    const pc = slots.slotOf[index]!;
    const t = ref.target;
    const at = (code: Parameters<typeof diag>[0], args: Record<string, string | number>): void => report(code, args, s.line, t.col, t.endCol);
    const labelIndex = (): number | undefined => labels.get(t.name)?.index ?? (t.name === "exit" && firstExit >= 0 ? firstExit : undefined);
    const relative = (targetIndex: number, bits: 16 | 32, field: string): number | undefined => {
      const distance = slotOfIndex(targetIndex) - (pc + 1);
      const limit = 2 ** (bits - 1);
      if (distance < -limit || distance >= limit) { at("BK2011", { target: t.name, distance, bits, field }); return undefined; }
      return distance;
    };
    switch (ref.kind) {
      case "jump": {
        const target = labelIndex();
        if (target === undefined) { at("BK2004", { name: t.name }); return; }
        const d = relative(target, ref.field === "off" ? 16 : 32, ref.field === "off" ? "offset" : "imm");
        if (d !== undefined) s.insn[ref.field] = d;
        return;
      }
      case "call": case "local-call": {
        const target = labels.get(t.name)?.index;
        if (target !== undefined) {
          const d = relative(target, 32, "imm");
          s.insn.src = findForm((f) => f.kind === "call" && f.fixed.src === 1)!.fixed.src!;
          if (d !== undefined) s.insn.imm = d;
          return;
        }
        const id = ref.kind === "call" ? helperId(t.name) : undefined;
        if (id === undefined) at(ref.kind === "call" ? "BK2010" : "BK2004", { name: t.name });
        else s.insn.imm = id;
        return;
      }
      case "symbol": {
        const mapIndex = maps.findIndex((m) => m.spec.name === t.name);
        if (mapIndex >= 0) {
          const value = ref.pseudo === "map_value" ? (BigInt(ref.offset) << 32n) | BigInt(mapIndex) : BigInt(mapIndex);
          s.insn = keepLabel(s.insn, wide(s.insn.dst, value, ref.pseudo === "map_value" ? 2 : 1));
          return;
        }
        const target = ref.pseudo === "any" ? labels.get(t.name)?.index : undefined;
        if (target !== undefined) {
          // A function pointer: lddw src=4 (BPF_PSEUDO_FUNC) with the relative offset in imm.
          const d = relative(target, 32, "imm");
          if (d !== undefined) s.insn = keepLabel(s.insn, wide(s.insn.dst, BigInt(d), 4));
          return;
        }
        at("BK2006", { name: t.name });
        return;
      }
    }
  });

  if (diagnostics.length) {
    diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
    throw new BpfkitError(diagnostics, 1);
  }

  const finalInsns = statements.map((s) => s.insn);
  const lineInfo: SourceLine[] = statements.map((s, index) => ({ pc: slots.slotOf[index]!, file, line: s.line, col: s.col, text: s.text }));
  return {
    name: name ?? "prog",
    section,
    insns: finalInsns,
    maps: maps.map((m) => m.spec),
    license,
    lines: lineInfo,
    origin: { file, kind: "asm" },
  };
}

const slotsTotal = (insns: readonly Instruction[]): number => insns.reduce((n, i) => n + (isWide(i) ? 2 : 1), 0);

function keepLabel(old: Instruction, next: Instruction): Instruction {
  if (old.label !== undefined) next.label = old.label;
  return next;
}

/** `.raw 0xWORD[, 0xWORD]`: any encoding, even one the ISA table rejects (for testing verifiers). */
function rawInstruction(words: bigint[], col: number): Instruction {
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, w, true));
  const wideFirst = (Number(words[0]! & 0xffn)) === 0x18;
  if (wideFirst !== (words.length === 2) || words.length > 2) {
    throw new LineError(col, col + 1, "BK2008", {
      directive: ".raw",
      problem: wideFirst ? "an lddw (opcode 0x18) needs its two 64-bit words on one line" : "expected one 64-bit word (two only for lddw)",
    });
  }
  return decodeAll(bytes, { lenient: true }).insns[0]!;
}
