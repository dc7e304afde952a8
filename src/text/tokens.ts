// Splits one source line into tokens with their columns. Both syntaxes share it: LLVM's operators
// (`s>>=`, `<<=`, `*(u32 *)`) and the mnemonic dialect's `%r1`, `[%r10-8]` are all plain tokens here;
// the parsers give them meaning. Comments (`#`, `;`, `//`) end the line outside string literals.

import type { DiagnosticCode } from "../diagnostics/index.js";

export type TokenKind = "ident" | "number" | "punct" | "string";

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based column of the first character. */
  col: number;
  /** 1-based column just after the last character. */
  endCol: number;
}

/** Raised for a malformed line; the assembler turns it into one diagnostic for the line (acorn-style). */
export class LineError extends Error {
  constructor(readonly col: number, readonly endCol: number, readonly code: DiagnosticCode,
    readonly args: Record<string, string | number>, readonly hint?: string) {
    super(code);
  }
}

// Longest first, so `<<=` wins over `<<` and `<`.
const OPERATORS = [
  "s>>=", "s<=", "s>=", "s/=", "s%=", "s<", "s>",
  "<<=", ">>=", "==", "!=", ">=", "<=", "+=", "-=", "*=", "/=", "|=", "&=", "^=", "%=",
  "<", ">", "=", "+", "-", "*", "(", ")", "[", "]", ",", "&", ":",
];

// Character classes by code (hot: called for every character of every line).
const isLetter = (k: number): boolean => (k >= 65 && k <= 90) || (k >= 97 && k <= 122);
const isDigitCode = (k: number): boolean => k >= 48 && k <= 57;
const isIdentStart = (c: string): boolean => { const k = c.charCodeAt(0); return isLetter(k) || k === 95 || k === 46 || k === 36 || k === 64; };
const isIdentChar = (c: string): boolean => { const k = c.charCodeAt(0); return isLetter(k) || isDigitCode(k) || k === 95 || k === 46 || k === 36; };
const isDigit = (c: string): boolean => isDigitCode(c.charCodeAt(0));
const isNumberChar = (c: string): boolean => { const k = c.charCodeAt(0); return isLetter(k) || isDigitCode(k) || k === 95; };

/** Index where a comment starts (outside strings), or the line length. */
export function commentStart(line: string): number {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "#" || c === ";" || (c === "/" && line[i + 1] === "/")) return i;
  }
  return line.length;
}

export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  const end = commentStart(line);
  let i = 0;
  while (i < end) {
    const c = line[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") { i++; continue; }
    const start = i;
    const push = (kind: TokenKind, text: string): void => {
      tokens.push({ kind, text, col: start + 1, endCol: start + 1 + text.length });
    };
    // Signed operators start with an `s` that is not part of a longer identifier (`s>>=`, `s<`).
    const after = line[i + 1];
    if (c === "s" && (after === "<" || after === ">" || after === "/" || after === "%")) {
      const op = OPERATORS.find((o) => o.startsWith("s") && line.startsWith(o, i));
      if (op) { push("punct", op); i += op.length; continue; }
    }
    if (c === "%" && isIdentStart(line[i + 1] ?? "")) { // `%r1` in the mnemonic dialect
      let j = i + 1;
      while (j < end && isIdentChar(line[j]!)) j++;
      push("ident", line.slice(i, j)); i = j; continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < end && isIdentChar(line[j]!)) j++;
      push("ident", line.slice(i, j)); i = j; continue;
    }
    if (isDigit(c)) {
      let j = i + 1;
      while (j < end && isNumberChar(line[j]!)) j++;
      push("number", line.slice(i, j)); i = j; continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = "";
      while (j < end && line[j] !== '"') {
        if (line[j] === "\\" && j + 1 < end) { value += line[j + 1]; j += 2; } else { value += line[j]; j++; }
      }
      if (j >= end) throw new LineError(start + 1, end + 1, "BK2001", { expected: "a closing '\"'", found: "end of line" });
      tokens.push({ kind: "string", text: value, col: start + 1, endCol: j + 2 });
      i = j + 1; continue;
    }
    const op = OPERATORS.find((o) => !o.startsWith("s") && line.startsWith(o, i));
    if (op) { push("punct", op); i += op.length; continue; }
    throw new LineError(start + 1, start + 2, "BK2001", { expected: "an instruction, operand or directive", found: `'${c}'` });
  }
  return tokens;
}
