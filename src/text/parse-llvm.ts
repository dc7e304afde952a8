// The LLVM BPF assembly syntax, as llvm-mc accepts it and llvm-objdump prints it:
//   r0 = 1 | w1 += w2 | if r1 s> 5 goto +3 | *(u32 *)(r10 - 4) = w1 | r0 = *(u8 *)skb[10] | call 1 ...
// One function per statement shape; every form comes from the ISA table through ./forms.ts.
import { type Instruction, wide } from "../isa/index.js";
import { Cursor, imm32, imm64, inRange, off16, type Register } from "./cursor.js";
import { build, findForm, formByLlvmOp, formOfKind } from "./forms.js";
import type { NameOperand, ParsedInstruction, Reference } from "./statement.js";
import { LineError, type Token } from "./tokens.js";

const ALU_OPS = new Set(["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "%=", "^=", "s>>=", "s/=", "s%="]);
const JMP_OPS = new Set(["==", "!=", ">", ">=", "<", "<=", "&", "s>", "s>=", "s<", "s<="]);
const SIZE_OF_TYPE: Record<string, 1 | 2 | 4 | 8> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8 };
const ATOMIC_FETCH = /^atomic_fetch_(add|or|and|xor)$/;
const PSEUDO_NAMES = ["imm", "map_fd", "map_value", "btf_id", "func", "map_idx", "map_idx_value"];

/** Words that start an LLVM-only statement, for syntax detection. */
export const LLVM_LEADING_WORDS = new Set(["if", "goto", "gotol", "lock", "store_release", "ld_pseudo"]);

export function parseLlvm(c: Cursor): ParsedInstruction {
  const first = c.peek()!;
  if (first.text === "*") return storeStatement(c);
  if (first.kind === "ident") {
    switch (first.text) {
      case "exit": c.next(); c.expectEnd(); return { insn: build(formOfKind("exit")!, {}) };
      case "call": c.next(); return callStatement(c);
      case "callx": { c.next(); const r = c.expectRegister(); c.expectEnd(); return { insn: build(formOfKind("callx")!, { dst: r.reg }) }; }
      case "goto": c.next(); return jumpTo(c, formOfKind("ja")!.opcode, "off", {});
      case "gotol": c.next(); return jumpTo(c, formOfKind("gotol")!.opcode, "imm", {});
      case "may_goto": c.next(); return jumpTo(c, formOfKind("may_goto")!.opcode, "off", {});
      case "if": c.next(); return conditionalJump(c);
      case "lock": c.next(); return lockStatement(c);
      case "store_release": c.next(); return storeRelease(c);
      case "ld_pseudo": c.next(); return ldPseudo(c);
    }
    // A register-like word starts an assignment; expectRegister reports r11 and friends precisely.
    if (/^[rw]\d+$/.test(first.text)) return registerStatement(c);
  }
  if (first.kind === "ident") {
    throw new LineError(first.col, first.endCol, "BK2002", { name: first.text, syntax: "llvm" },
      "LLVM statements look like 'r0 = 1', 'w1 += w2', 'if r1 > r2 goto +1', 'call 1', 'exit' (see docs/asm-syntax.md)");
  }
  return c.fail("an instruction (e.g. 'r0 = 1', 'if r1 > r2 goto +1', 'call 1', 'exit')", first);
}

function target(c: Cursor): { off: number } | { name: NameOperand } {
  if (c.isInteger()) {
    const n = c.expectInteger("a jump offset (+N, -N) or a label");
    return { off: Number(n.value) };
  }
  const t = c.peek();
  if (t?.kind !== "ident") c.fail("a jump offset (+N, -N) or a label", t);
  c.next();
  return { name: { name: t.text, col: t.col, endCol: t.endCol } };
}

/** `goto T`, `gotol T`, `may_goto T`, and the tail of `if ... goto T`. */
function jumpTo(c: Cursor, opcode: number, field: "off" | "imm", fields: { dst?: number; src?: number; imm?: number }): ParsedInstruction {
  const startTok = c.peek();
  const t = target(c);
  c.expectEnd();
  const insn: Instruction = { opcode, dst: fields.dst ?? 0, src: fields.src ?? 0, off: 0, imm: fields.imm ?? 0 };
  if ("name" in t) return { insn, ref: { kind: "jump", field, target: t.name } };
  const range = field === "off" ? [-(1n << 15n), (1n << 15n) - 1n] : [-(1n << 31n), (1n << 31n) - 1n];
  const v = inRange(BigInt(t.off), range[0]!, range[1]!, "jump offset", startTok!.col, c.peek(-1)?.endCol ?? startTok!.endCol);
  insn[field] = v;
  return { insn };
}

function conditionalJump(c: Cursor): ParsedInstruction {
  const dst = c.expectRegister();
  const opTok = c.next();
  if (!opTok || !JMP_OPS.has(opTok.text)) c.fail("a comparison (==, !=, >, >=, <, <=, &, s>, s>=, s<, s<=)", opTok);
  const is32 = dst.width === "w";
  let src: number | undefined;
  let imm = 0;
  if (c.isRegister()) {
    const r = c.expectRegister();
    checkWidth(r, dst.width);
    src = r.reg;
  } else {
    imm = imm32(c.expectInteger("a register or an immediate"));
  }
  const form = formByLlvmOp("jcc", opTok.text, is32, src !== undefined)!;
  c.expect("goto", "'goto'");
  return jumpTo(c, form.opcode, "off", { dst: dst.reg, src: src ?? 0, imm });
}

function callStatement(c: Cursor): ParsedInstruction {
  const t = c.peek();
  if (c.isInteger()) {
    const imm = imm32(c.expectInteger("a helper number, helper name or label"), "helper number");
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "call" && f.fixed.src === 0)!, { imm }) };
  }
  if (t?.kind !== "ident") c.fail("a helper number, helper name or label", t);
  c.next();
  // `call pc+N`: a local call by relative offset (the kernel's verifier log spelling).
  if (t.text === "pc" && (c.isNext("+") || c.isNext("-"))) {
    const imm = imm32(c.expectInteger("a relative offset"), "call offset");
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "call" && f.fixed.src === 1)!, { imm }) };
  }
  // `call kfunc(ID)` or `call kfunc(ID, MODULE_FD_INDEX)`.
  if (t.text === "kfunc" && c.isNext("(")) {
    c.next();
    const imm = imm32(c.expectInteger("a BTF id"), "BTF id");
    let off = 0;
    if (c.accept(",")) off = off16(c.expectInteger("a module BTF index"), "module BTF index");
    c.expect(")");
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "call" && f.fixed.src === 2)!, { imm, off }) };
  }
  c.expectEnd();
  return { insn: build(findForm((f) => f.kind === "call" && f.fixed.src === 0)!, {}), ref: { kind: "call", target: nameOf(t) } };
}

const nameOf = (t: Token): NameOperand => ({ name: t.text, col: t.col, endCol: t.endCol });

function checkWidth(r: Register, want: "r" | "w"): void {
  if (r.width !== want) {
    throw new LineError(r.token.col, r.token.endCol, "BK2001", {
      expected: `a ${want === "w" ? "32-bit (w)" : "64-bit (r)"} register like the destination`, found: `'${r.token.text}'`,
    });
  }
}

function expectBase(c: Cursor): Register {
  const r = c.expectRegister("a base register (r0-r10)");
  checkWidth(r, "r");
  return r;
}

/** `*(u32 *)` or `(u32 *)`: returns the access size and whether the type was signed. */
function pointerType(c: Cursor, leadingStar: boolean): { size: 1 | 2 | 4 | 8; signed: boolean; token: Token } {
  if (leadingStar) c.expect("*", "'*('");
  c.expect("(", "'(' and a type like 'u32 *'");
  const t = c.peek();
  const size = t?.kind === "ident" ? SIZE_OF_TYPE[t.text] : undefined;
  if (!size) c.fail("a type (u8, u16, u32, u64, s8, s16, s32)", t);
  c.next();
  c.expect("*");
  c.expect(")");
  return { size, signed: t!.text.startsWith("s"), token: t! };
}

/** `(r1 + 8)`, `(r1 - 8)`, `(r1)`: base register and offset. */
function address(c: Cursor, parens = true): { base: Register; off: number } {
  if (parens) c.expect("(", "'(' and an address like '(r1 + 8)'");
  const base = expectBase(c);
  let off = 0;
  if (c.isNext("+") || c.isNext("-")) off = off16(c.expectInteger("an offset"));
  if (parens) c.expect(")");
  return { base, off };
}

function storeStatement(c: Cursor): ParsedInstruction {
  const type = pointerType(c, true);
  if (type.signed) c.fail("an unsigned type for a store (u8, u16, u32, u64)", type.token);
  const { base, off } = address(c);
  c.expect("=", "'='");
  if (c.isRegister()) {
    const src = c.expectRegister();
    if (type.size === 8) checkWidth(src, "r");
    c.expectEnd();
    return { insn: build(formOfKind("store_reg", type.size)!, { dst: base.reg, src: src.reg, off }) };
  }
  const imm = imm32(c.expectInteger("a register or an immediate"));
  c.expectEnd();
  return { insn: build(formOfKind("store_imm", type.size)!, { dst: base.reg, off, imm }) };
}

function lockStatement(c: Cursor): ParsedInstruction {
  const type = pointerType(c, true);
  if (type.size !== 4 && type.size !== 8) c.fail("u32 or u64 (atomics are 32 or 64 bits wide)", type.token);
  const { base, off } = address(c);
  const opTok = c.next();
  const form = findForm((f) => f.kind === "atomic" && f.llvmOp === opTok?.text && f.size === type.size);
  if (!form) c.fail("an atomic operator (+=, |=, &=, ^=)", opTok);
  const src = c.expectRegister();
  c.expectEnd();
  return { insn: build(form, { dst: base.reg, src: src.reg, off }) };
}

function storeRelease(c: Cursor): ParsedInstruction {
  c.expect("(");
  const type = pointerType(c, false);
  const { base, off } = address(c);
  c.expect(",");
  const src = c.expectRegister();
  c.expect(")");
  c.expectEnd();
  return { insn: build(formOfKind("store_release", type.size)!, { dst: base.reg, src: src.reg, off }) };
}

/** `ld_pseudo r1, SRC, IMM`: lddw with any pseudo source and a raw constant. */
function ldPseudo(c: Cursor): ParsedInstruction {
  const dst = expectBase(c);
  c.expect(",");
  const srcTok = c.peek();
  const src = c.expectInteger("a pseudo source number (0-6)");
  const form = findForm((f) => f.kind === "lddw" && BigInt(f.fixed.src ?? -1) === src.value);
  if (!form) throw new LineError(srcTok!.col, src.endCol, "BK2003", { what: "pseudo source", value: src.value.toString(), range: `0 to ${PSEUDO_NAMES.length - 1}` });
  c.expect(",");
  const value = imm64(c.expectInteger("a 64-bit constant"));
  c.expectEnd();
  return { insn: wide(dst.reg, value, form.fixed.src) };
}

/** Every statement that starts with a register: moves, ALU, loads, byte swaps, atomics with a result, lddw. */
function registerStatement(c: Cursor): ParsedInstruction {
  const dst = c.expectRegister();
  const opTok = c.next();
  if (opTok && ALU_OPS.has(opTok.text)) return aluStatement(c, dst, opTok.text);
  if (opTok?.text !== "=") c.fail("'=' or an operator such as '+='", opTok);
  const is32 = dst.width === "w";
  const t = c.peek();
  if (!t) c.fail("a value");

  // r1 = -r1
  if (t.text === "-" && c.isRegister(1)) {
    c.next();
    const r = c.expectRegister();
    if (r.reg !== dst.reg || r.width !== dst.width) c.fail(`'${dst.token.text}' (negation works in place)`, r.token);
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "neg" && f.is32 === is32)!, { dst: dst.reg }) };
  }
  // r1 = (s16)r2
  if (t.text === "(") return signExtendingMove(c, dst);
  // r0 = *(u32 *)(r1 + 4) | *(s8 *)(...) | *(u8 *)skb[...]
  if (t.text === "*") return loadStatement(c, dst);
  if (t.kind === "ident" && !c.isRegister()) {
    const word = t.text;
    const endian = /^(le|be|bswap)(16|32|64)$/.exec(word);
    if (endian) {
      c.next();
      const r = c.expectRegister();
      if (r.reg !== dst.reg) c.fail(`'${dst.token.text}' (byte swaps work in place)`, r.token);
      c.expectEnd();
      const form = findForm((f) => f.kind === "endian" && f.op === endian[1] && f.size === Number(endian[2]) / 8)!;
      return { insn: build(form, { dst: dst.reg }) };
    }
    if (word === "addr_space_cast") return addrSpaceCast(c, dst);
    if (ATOMIC_FETCH.test(word)) return atomicFetch(c, dst, word);
    if (/^(xchg_64|xchg32_32|cmpxchg_64|cmpxchg32_32)$/.test(word)) return exchange(c, dst, word);
    if (word === "load_acquire") return loadAcquire(c, dst);
    if (word === "map_value") return symbolLoad(c, dst, "map_value");
    // r1 = my_map ll (map or function by name)
    return symbolLoad(c, dst, "any");
  }
  if (c.isRegister()) {
    const src = c.expectRegister();
    checkWidth(src, dst.width);
    c.expectEnd();
    return { insn: build(formByLlvmOp("alu", "=", is32, true)!, { dst: dst.reg, src: src.reg }) };
  }
  const n = c.expectInteger("a register, an immediate, a load '*(u32 *)(r1 + 0)' or a byte swap");
  if (c.accept("ll")) {
    if (is32) throw new LineError(dst.token.col, dst.token.endCol, "BK2001", { expected: "a 64-bit register for 'll'", found: `'${dst.token.text}'` });
    const value = imm64(n);
    c.expectEnd();
    return { insn: wide(dst.reg, value) };
  }
  const imm = imm32(n);
  c.expectEnd();
  return { insn: build(formByLlvmOp("alu", "=", is32, false)!, { dst: dst.reg, imm }) };
}

function aluStatement(c: Cursor, dst: Register, op: string): ParsedInstruction {
  const is32 = dst.width === "w";
  if (c.isRegister()) {
    const src = c.expectRegister();
    checkWidth(src, dst.width);
    c.expectEnd();
    return { insn: build(formByLlvmOp("alu", op, is32, true)!, { dst: dst.reg, src: src.reg }) };
  }
  const imm = imm32(c.expectInteger("a register or an immediate"));
  c.expectEnd();
  return { insn: build(formByLlvmOp("alu", op, is32, false)!, { dst: dst.reg, imm }) };
}

function signExtendingMove(c: Cursor, dst: Register): ParsedInstruction {
  c.expect("(");
  const t = c.peek();
  const m = t?.kind === "ident" ? /^s(8|16|32)$/.exec(t.text) : null;
  if (!m) c.fail("a sign-extension type (s8, s16, s32)", t);
  c.next();
  c.expect(")");
  const src = c.expectRegister();
  checkWidth(src, dst.width);
  c.expectEnd();
  const is32 = dst.width === "w";
  const form = findForm((f) => f.kind === "movsx" && f.is32 === is32 && f.fromBits === Number(m[1]));
  if (!form) c.fail(is32 ? "s8 or s16 for a 32-bit sign-extending move" : "s8, s16 or s32", t);
  return { insn: build(form, { dst: dst.reg, src: src.reg }) };
}

function loadStatement(c: Cursor, dst: Register): ParsedInstruction {
  const type = pointerType(c, true);
  if (c.isNext("skb")) return packetLoad(c, dst, type);
  const { base, off } = address(c);
  c.expectEnd();
  if (type.size === 8 || type.signed) checkWidth(dst, "r");
  const form = formOfKind(type.signed ? "loadsx" : "load", type.size);
  if (!form) c.fail("u64 or a type of up to 32 bits for a sign-extending load", type.token);
  return { insn: build(form, { dst: dst.reg, src: base.reg, off }) };
}

/** Legacy packet loads: `r0 = *(u8 *)skb[10]`, `r0 = *(u32 *)skb[r1]`, `r0 = *(u32 *)skb[r1 + 4]`. */
function packetLoad(c: Cursor, dst: Register, type: { size: number; signed: boolean; token: Token }): ParsedInstruction {
  c.next();
  if (dst.reg !== 0 || dst.width !== "r") c.fail("r0 (packet loads always write r0)", dst.token);
  if (type.signed || type.size === 8) c.fail("u8, u16 or u32 for a packet load", type.token);
  c.expect("[");
  if (c.isRegister()) {
    const src = expectBase(c);
    let imm = 0;
    if (c.isNext("+") || c.isNext("-")) imm = imm32(c.expectInteger("an offset"));
    c.expect("]");
    c.expectEnd();
    return { insn: build(formOfKind("ld_ind", type.size)!, { src: src.reg, imm }) };
  }
  const imm = imm32(c.expectInteger("a packet offset or a register"));
  c.expect("]");
  c.expectEnd();
  return { insn: build(formOfKind("ld_abs", type.size)!, { imm }) };
}

function addrSpaceCast(c: Cursor, dst: Register): ParsedInstruction {
  c.next();
  checkWidth(dst, "r");
  c.expect("(");
  const src = expectBase(c);
  c.expect(",");
  const to = inRangeOf(c, 0xffff, "destination address space");
  c.expect(",");
  const from = inRangeOf(c, 0xffff, "source address space");
  c.expect(")");
  c.expectEnd();
  return { insn: build(formOfKind("addr_space_cast")!, { dst: dst.reg, src: src.reg, imm: ((to << 16) | from) | 0 }) };
}

function inRangeOf(c: Cursor, max: number, what: string): number {
  const n = c.expectInteger(`a ${what}`);
  return inRange(n.value, 0n, BigInt(max), what, n.token.col, n.endCol);
}

/** `r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)`: fetched value goes to the source register, which must be the destination. */
function atomicFetch(c: Cursor, dst: Register, word: string): ParsedInstruction {
  c.next();
  const op = ATOMIC_FETCH.exec(word)![1]!;
  c.expect("(");
  const type = pointerType(c, false);
  const { base, off } = address(c);
  c.expect(",");
  const src = c.expectRegister();
  c.expect(")");
  c.expectEnd();
  if (src.reg !== dst.reg) c.fail(`'${dst.token.text}' (the fetched value replaces the source register)`, src.token);
  const form = findForm((f) => f.kind === "atomic" && f.op === `fetch_${op}` && f.size === type.size);
  if (!form) c.fail("u32 or u64 (atomics are 32 or 64 bits wide)", type.token);
  return { insn: build(form, { dst: base.reg, src: src.reg, off }) };
}

/** `r2 = xchg_64(r1 + 8, r2)`, `r0 = cmpxchg_64(r1 + 8, r0, r2)` and their 32-bit forms. */
function exchange(c: Cursor, dst: Register, word: string): ParsedInstruction {
  c.next();
  const is32 = word.includes("32_32");
  const cmp = word.startsWith("cmpxchg");
  c.expect("(");
  const { base, off } = address(c, false);
  c.expect(",");
  if (cmp) {
    const r0 = c.expectRegister("r0 (the compared value)");
    if (r0.reg !== 0) c.fail("r0 or w0 (cmpxchg compares with r0)", r0.token);
    if (dst.reg !== 0) c.fail("r0 or w0 (cmpxchg writes the old value to r0)", dst.token);
    c.expect(",");
  }
  const src = c.expectRegister();
  c.expect(")");
  c.expectEnd();
  if (!cmp && src.reg !== dst.reg) c.fail(`'${dst.token.text}' (xchg writes the old value to its source register)`, src.token);
  const form = findForm((f) => f.kind === "atomic" && f.op === (cmp ? "cmpxchg" : "xchg") && f.size === (is32 ? 4 : 8))!;
  return { insn: build(form, { dst: base.reg, src: src.reg, off }) };
}

/** LLVM 20: `r0 = load_acquire((u64 *)(r1 + 0))`, `w0 = load_acquire((u8 *)(r1 + 0))`. */
function loadAcquire(c: Cursor, dst: Register): ParsedInstruction {
  c.next();
  c.expect("(");
  const type = pointerType(c, false);
  const { base, off } = address(c);
  c.expect(")");
  c.expectEnd();
  return { insn: build(formOfKind("load_acquire", type.size)!, { dst: dst.reg, src: base.reg, off }) };
}

/** `r1 = my_map ll`, `r1 = map_value(my_map + 8) ll`, `r1 = my_func ll`. */
function symbolLoad(c: Cursor, dst: Register, pseudo: "any" | "map_value"): ParsedInstruction {
  checkWidth(dst, "r");
  if (pseudo === "map_value") { c.next(); c.expect("("); }
  const t = c.expectIdent("a map name, a label or a constant");
  let offset = 0;
  if (pseudo === "map_value") {
    if (c.isNext("+") || c.isNext("-")) {
      const n = c.expectInteger("an offset into the map value");
      offset = inRange(n.value, 0n, (1n << 32n) - 1n, "map value offset", n.token.col, n.endCol);
    }
    c.expect(")");
  }
  c.expect("ll", "'ll' (a 64-bit load of a symbol)");
  c.expectEnd();
  const ref: Reference = { kind: "symbol", target: nameOf(t), pseudo, offset };
  return { insn: wide(dst.reg, 0n, pseudo === "map_value" ? 2 : 1), ref };
}
