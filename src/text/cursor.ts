// A cursor over one line's tokens. Every `expect*` either returns what was asked for or throws a
// LineError that names what was expected and what was found, at the found token's column: one
// function (`fail`) raises every syntax error, so messages stay uniform.
import { FRAME_POINTER, MAX_REG } from "../isa/index.js";
import { LineError, type Token } from "./tokens.js";

export interface Register {
  reg: number;
  /** `w` (32-bit view) or `r`. */
  width: "r" | "w";
  token: Token;
}

export class Cursor {
  private index = 0;
  constructor(readonly tokens: readonly Token[], private readonly lineLength: number) {}

  get atEnd(): boolean { return this.index >= this.tokens.length; }
  peek(ahead = 0): Token | undefined { return this.tokens[this.index + ahead]; }
  next(): Token | undefined { return this.tokens[this.index++]; }
  get position(): number { return this.index; }
  reset(position: number): void { this.index = position; }

  /** Whether the next token is this punctuation/word (does not consume). */
  isNext(text: string, ahead = 0): boolean { return this.tokens[this.index + ahead]?.text === text; }
  /** Consume the token if it is this text. */
  accept(text: string): Token | undefined {
    if (this.isNext(text)) return this.next();
    return undefined;
  }

  fail(expected: string, token: Token | undefined = this.peek(), hint?: string): never {
    const found = token ? `'${token.text}'` : "end of line";
    const col = token?.col ?? this.lineLength + 1;
    throw new LineError(col, token?.endCol ?? col + 1, "BK2001", { expected, found }, hint);
  }

  expect(text: string, what = `'${text}'`): Token {
    const t = this.peek();
    if (t?.text !== text) this.fail(what, t);
    return this.next()!;
  }

  expectIdent(what: string): Token {
    const t = this.peek();
    if (t?.kind !== "ident") this.fail(what, t);
    return this.next()!;
  }

  expectEnd(): void {
    if (!this.atEnd) this.fail("end of line");
  }

  /** Register token `r0`..`r10`, `w0`..`w10`, with or without a leading `%`. */
  isRegister(ahead = 0): boolean {
    const t = this.peek(ahead);
    return t?.kind === "ident" && parseRegisterName(t.text) !== undefined;
  }

  expectRegister(what = "a register (r0-r10)"): Register {
    const t = this.peek();
    const r = t?.kind === "ident" ? parseRegisterName(t.text) : undefined;
    if (!r) {
      if (t?.kind === "ident" && /^%?[rw]\d+$/.test(t.text)) {
        throw new LineError(t.col, t.endCol, "BK2003", { what: "register", value: t.text, range: `r0-r${MAX_REG}` });
      }
      this.fail(what, t);
    }
    this.next();
    return { ...r, token: t! };
  }

  /** Integer with optional sign: `5`, `-0x10`, `+3`. */
  expectInteger(what = "a number"): { value: bigint; token: Token; endCol: number } {
    const first = this.peek();
    let negative = false;
    if (first?.text === "-" || first?.text === "+") {
      negative = first.text === "-";
      this.next();
    }
    const t = this.peek();
    if (t?.kind !== "number") {
      if (first?.text === "-" || first?.text === "+") this.fail(what, t);
      this.fail(what, first);
    }
    this.next();
    const magnitude = parseIntegerText(t.text);
    if (magnitude === undefined) throw new LineError(t.col, t.endCol, "BK2001", { expected: what, found: `'${t.text}'` });
    return { value: negative ? -magnitude : magnitude, token: first!, endCol: t.endCol };
  }

  isInteger(ahead = 0): boolean {
    const t = this.peek(ahead);
    if (t?.text === "-" || t?.text === "+") return this.peek(ahead + 1)?.kind === "number";
    return t?.kind === "number";
  }
}

/** `0x1f`, `31`, `0b101`, `0o17`; undefined when malformed. */
export function parseIntegerText(text: string): bigint | undefined {
  if (/^0x[0-9a-f]+$/i.test(text) || /^0b[01]+$/i.test(text) || /^0o[0-7]+$/i.test(text) || /^[0-9]+$/.test(text)) {
    return BigInt(text.toLowerCase());
  }
  return undefined;
}

export function parseRegisterName(text: string): { reg: number; width: "r" | "w" } | undefined {
  const m = /^%?([rw])(\d+)$/.exec(text);
  if (!m) return undefined;
  const reg = Number(m[2]);
  if (reg > FRAME_POINTER || m[2]!.length > 2 || (m[2]!.length === 2 && m[2]![0] === "0")) return undefined;
  return { reg, width: m[1] as "r" | "w" };
}

/** Check a value against a range and return it as a number, or throw BK2003 at the operand. */
export function inRange(value: bigint, min: bigint, max: bigint, what: string, col: number, endCol: number): number {
  if (value < min || value > max) {
    throw new LineError(col, endCol, "BK2003", { what, value: value.toString(), range: `${min} to ${max}` });
  }
  return Number(value);
}

/** 32-bit immediate: LLVM accepts -2^31 .. 2^32-1 and stores it modulo 2^32 (0xffffffff is -1). */
export function imm32(n: { value: bigint; token: Token; endCol: number }, what = "immediate"): number {
  const v = inRange(n.value, -(1n << 31n), (1n << 32n) - 1n, what, n.token.col, n.endCol);
  return v | 0;
}

/** 16-bit signed offset. */
export function off16(n: { value: bigint; token: Token; endCol: number }, what = "offset"): number {
  return inRange(n.value, -(1n << 15n), (1n << 15n) - 1n, what, n.token.col, n.endCol);
}

/** 64-bit constant of lddw: -2^63 .. 2^64-1, stored modulo 2^64. */
export function imm64(n: { value: bigint; token: Token; endCol: number }): bigint {
  if (n.value < -(1n << 63n) || n.value > (1n << 64n) - 1n) {
    throw new LineError(n.token.col, n.endCol, "BK2003", { what: "64-bit constant", value: n.value.toString(), range: `${-(1n << 63n)} to ${(1n << 64n) - 1n}` });
  }
  return BigInt.asUintN(64, n.value);
}
