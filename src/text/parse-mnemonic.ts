// The uBPF / conformance-suite mnemonic syntax: `mov %r0, 1`, `ldxw %r0, [%r1+4]`, `stxdw [%r10-8], %r1`,
// `jgt %r1, %r2, +3`, `lock fetch add32 [%r10-8], %r1`, `call 5`, `call local f`, `call %r2`.
// The mnemonic is the form's `name` in the ISA table (plus a few aliases); its kind says the operands.
import { type Instruction, wide } from "../isa/index.js";
import { Cursor, imm32, imm64, inRange, off16, type Register } from "./cursor.js";
import { build, findForm, formByMnemonic, MNEMONIC_ALIASES, registerVariant } from "./forms.js";
import type { NameOperand, ParsedInstruction } from "./statement.js";
import { LineError, type Token } from "./tokens.js";

const nameOf = (t: Token): NameOperand => ({ name: t.text, col: t.col, endCol: t.endCol });

/** Whether a word is an instruction name of the mnemonic dialect (for syntax detection). */
export function isMnemonic(word: string): boolean {
  return formByMnemonic(word) !== undefined || MNEMONIC_ALIASES.has(word);
}

export function parseMnemonic(c: Cursor): ParsedInstruction {
  const first = c.expectIdent("an instruction mnemonic (e.g. 'mov', 'ldxw', 'jeq', 'exit')");
  if (first.text === "lock") return lockStatement(c, first);
  if (first.text === "call") return callStatement(c);
  if (first.text === "callx") {
    const r = c.expectRegister();
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "callx")!, { dst: r.reg }) };
  }
  const form = formByMnemonic(first.text);
  if (!form || form.name === "call local" || form.name === "call kfunc") {
    throw new LineError(first.col, first.endCol, "BK2002", { name: first.text, syntax: "mnemonic" });
  }
  switch (form.kind) {
    case "alu": {
      const dst = c.expectRegister();
      c.expect(",");
      if (c.isRegister()) {
        const src = c.expectRegister();
        c.expectEnd();
        return { insn: build(registerVariant(form)!, { dst: dst.reg, src: src.reg }) };
      }
      const imm = imm32(c.expectInteger("a register or an immediate"));
      c.expectEnd();
      return { insn: build(form, { dst: dst.reg, imm }) };
    }
    case "neg": case "endian": {
      const dst = c.expectRegister();
      c.expectEnd();
      return { insn: build(form, { dst: dst.reg }) };
    }
    case "movsx": {
      const dst = c.expectRegister();
      c.expect(",");
      const src = c.expectRegister();
      c.expectEnd();
      return { insn: build(form, { dst: dst.reg, src: src.reg }) };
    }
    case "addr_space_cast": {
      const dst = c.expectRegister();
      c.expect(",");
      const src = c.expectRegister();
      c.expect(",");
      const to = c.expectInteger("the destination address space");
      c.expect(",");
      const from = c.expectInteger("the source address space");
      c.expectEnd();
      const a = inRange(to.value, 0n, 0xffffn, "address space", to.token.col, to.endCol);
      const b = inRange(from.value, 0n, 0xffffn, "address space", from.token.col, from.endCol);
      return { insn: build(form, { dst: dst.reg, src: src.reg, imm: ((a << 16) | b) | 0 }) };
    }
    case "load": case "loadsx": case "load_acquire": {
      const dst = c.expectRegister();
      c.expect(",");
      const { base, off } = memory(c);
      c.expectEnd();
      return { insn: build(form, { dst: dst.reg, src: base.reg, off }) };
    }
    case "store_imm": {
      const { base, off } = memory(c);
      c.expect(",");
      const imm = imm32(c.expectInteger("an immediate"));
      c.expectEnd();
      return { insn: build(form, { dst: base.reg, off, imm }) };
    }
    case "store_reg": case "store_release": {
      const { base, off } = memory(c);
      c.expect(",");
      const src = c.expectRegister();
      c.expectEnd();
      return { insn: build(form, { dst: base.reg, src: src.reg, off }) };
    }
    case "ld_abs": {
      const imm = imm32(c.expectInteger("a packet offset"));
      c.expectEnd();
      return { insn: build(form, { imm }) };
    }
    case "ld_ind": {
      const src = c.expectRegister();
      c.expect(",");
      const imm = imm32(c.expectInteger("a packet offset"));
      c.expectEnd();
      return { insn: build(form, { src: src.reg, imm }) };
    }
    case "lddw": return lddw(c, form.fixed.src ?? 0);
    case "ja": case "may_goto": return jump(c, { opcode: form.opcode, dst: 0, src: 0, off: 0, imm: 0 }, "off");
    case "gotol": return jump(c, { opcode: form.opcode, dst: 0, src: 0, off: 0, imm: 0 }, "imm");
    case "jcc": {
      const dst = c.expectRegister();
      c.expect(",");
      let insn: Instruction;
      if (c.isRegister()) {
        const src = c.expectRegister();
        insn = build(registerVariant(form)!, { dst: dst.reg, src: src.reg });
      } else {
        insn = build(form, { dst: dst.reg, imm: imm32(c.expectInteger("a register or an immediate")) });
      }
      c.expect(",");
      return jump(c, insn, "off");
    }
    case "exit": c.expectEnd(); return { insn: build(form, {}) };
    default:
      throw new LineError(first.col, first.endCol, "BK2002", { name: first.text, syntax: "mnemonic" });
  }
}

/** `[%r1+4]`, `[%r10-8]`, `[%r1]`, `[%r1 + 0x2]`. */
function memory(c: Cursor): { base: Register; off: number } {
  c.expect("[", "'[' and an address like '[%r1+4]'");
  const base = c.expectRegister("a base register");
  let off = 0;
  if (c.isNext("+") || c.isNext("-")) off = off16(c.expectInteger("an offset"));
  c.expect("]");
  return { base, off };
}

function jump(c: Cursor, insn: Instruction, field: "off" | "imm"): ParsedInstruction {
  const t = c.peek();
  if (c.isInteger()) {
    const n = c.expectInteger("a jump offset or a label");
    c.expectEnd();
    insn[field] = field === "off" ? off16(n, "jump offset") : inRange(n.value, -(1n << 31n), (1n << 31n) - 1n, "jump offset", n.token.col, n.endCol);
    return { insn };
  }
  if (t?.kind !== "ident") c.fail("a jump offset (+N, -N) or a label", t);
  c.next();
  c.expectEnd();
  return { insn, ref: { kind: "jump", field, target: nameOf(t) } };
}

function lockStatement(c: Cursor, lock: Token): ParsedInstruction {
  let name = "lock";
  if (c.accept("fetch")) name += " fetch";
  const op = c.expectIdent("an atomic operation (add, or, and, xor, xchg, cmpxchg, with '32' for 32 bits)");
  name += " " + op.text;
  const form = formByMnemonic(name);
  if (!form) throw new LineError(lock.col, op.endCol, "BK2002", { name, syntax: "mnemonic" });
  const { base, off } = memory(c);
  c.expect(",");
  const src = c.expectRegister();
  c.expectEnd();
  return { insn: build(form, { dst: base.reg, src: src.reg, off }) };
}

/** `call 5`, `call bpf_map_lookup_elem`, `call local f`, `call local +3`, `call kfunc 123[, 1]`, `call %r2`. */
function callStatement(c: Cursor): ParsedInstruction {
  const helper = findForm((f) => f.kind === "call" && f.fixed.src === 0)!;
  if (c.isRegister()) {
    const r = c.expectRegister();
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "callx")!, { dst: r.reg }) };
  }
  if (c.accept("local")) {
    const local = findForm((f) => f.kind === "call" && f.fixed.src === 1)!;
    const parsed = jump(c, build(local, {}), "imm");
    if (parsed.ref?.kind === "jump") parsed.ref = { kind: "local-call", target: parsed.ref.target };
    return parsed;
  }
  if (c.isNext("kfunc") && c.isInteger(1)) {
    c.next();
    const imm = imm32(c.expectInteger("a BTF id"), "BTF id");
    let off = 0;
    if (c.accept(",")) off = off16(c.expectInteger("a module BTF index"), "module BTF index");
    c.expectEnd();
    return { insn: build(findForm((f) => f.kind === "call" && f.fixed.src === 2)!, { imm, off }) };
  }
  if (c.isInteger()) {
    const imm = imm32(c.expectInteger("a helper number"), "helper number");
    c.expectEnd();
    return { insn: build(helper, { imm }) };
  }
  const t = c.expectIdent("a helper number, a helper name, 'local LABEL' or a register");
  c.expectEnd();
  return { insn: build(helper, {}), ref: { kind: "call", target: nameOf(t) } };
}

/** `lddw %r0, 0x1122334455667788`, `lddw %r1, my_map`, `lddw.map_value %r1, my_map+8`, `lddw.btf_id %r1, 5`. */
function lddw(c: Cursor, src: number): ParsedInstruction {
  const dst = c.expectRegister();
  c.expect(",");
  if (c.isInteger()) {
    const value = imm64(c.expectInteger("a 64-bit constant"));
    c.expectEnd();
    return { insn: wide(dst.reg, value, src) };
  }
  const t = c.expectIdent("a 64-bit constant, a map name or a label");
  let offset = 0;
  if (src === 2 && (c.isNext("+") || c.isNext("-"))) {
    const n = c.expectInteger("an offset into the map value");
    offset = inRange(n.value, 0n, (1n << 32n) - 1n, "map value offset", n.token.col, n.endCol);
  }
  c.expectEnd();
  if (src !== 0 && src !== 1 && src !== 2) c.fail("a number (only lddw, lddw.map_fd and lddw.map_value take names)", t);
  const pseudo = src === 2 ? "map_value" : src === 1 ? "map_fd" : "any";
  return { insn: wide(dst.reg, 0n, src === 0 ? 1 : src), ref: { kind: "symbol", target: nameOf(t), pseudo, offset } };
}
