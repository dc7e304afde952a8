// Bytes <-> Instruction. Little-endian, 8 bytes per slot, lddw spanning two slots (RFC 9669 section 3).
// Decoding validates against the ISA table: an unknown opcode, a discriminator that fits no form or a
// non-zero reserved field is an error naming the instruction index (slot, as the kernel counts pc) and the field.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { type Instruction, isWide, toS16, toS32 } from "./instruction.js";
import { MAX_REG, OPCODE_LDDW } from "./opcodes.js";
import { FORMS_BY_OPCODE, formOf, type InstructionForm } from "./table.js";

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, "0");

export interface DecodeResult {
  insns: Instruction[];
  diagnostics: Diagnostic[];
}

export interface DecodeOptions {
  /**
   * Accept encodings that fit no form or have non-zero reserved fields (the verifier reports them
   * itself). The second slot of an lddw keeps only its imm here: keep the bytes for an exact view.
   */
  lenient?: boolean;
}

/** Decode bytecode, collecting every problem instead of stopping at the first. */
export function decodeAll(bytes: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const diagnostics: Diagnostic[] = [];
  const insns: Instruction[] = [];
  if (bytes.length % 8 !== 0) {
    // The partial slot starts at the first byte past the last whole one: that is its offset and its pc.
    const whole = bytes.length - (bytes.length % 8);
    diagnostics.push(diag("BK1001", { bytes: bytes.length, extra: bytes.length % 8 }, { offset: whole, pc: whole / 8 }));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const slots = Math.floor(bytes.length / 8);
  for (let pc = 0; pc < slots; pc++) {
    const base = pc * 8;
    const opcode = view.getUint8(base);
    const regs = view.getUint8(base + 1);
    const insn: Instruction = {
      opcode, dst: regs & 0xf, src: regs >> 4, off: view.getInt16(base + 2, true), imm: view.getInt32(base + 4, true),
    };
    if (opcode === OPCODE_LDDW) {
      if (pc + 1 >= slots) {
        diagnostics.push(diag("BK1005", {}, { pc }));
        insn.imm64 = BigInt(insn.imm >>> 0);
      } else {
        const next = base + 8;
        const fields: [string, number][] = [["opcode", view.getUint8(next)], ["dst/src", view.getUint8(next + 1)], ["offset", view.getInt16(next + 2, true)]];
        for (const [field, value] of fields) {
          if (value !== 0 && !options.lenient) diagnostics.push(diag("BK1006", { field, value }, { pc: pc + 1 }));
        }
        insn.imm64 = (BigInt(view.getUint32(next + 4, true)) << 32n) | BigInt(insn.imm >>> 0);
      }
    }
    if (!options.lenient) diagnostics.push(...validate(insn, pc));
    insns.push(insn);
    if (isWide(insn)) pc++;
  }
  return { insns, diagnostics };
}

/** Decode bytecode; throws a BpfkitError listing every invalid instruction. */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Instruction[] {
  const { insns, diagnostics } = decodeAll(bytes, options);
  // Leniently, only a length that is not whole slots is fatal; a cut-off lddw is the verifier's to judge.
  const fatal = options.lenient ? diagnostics.filter((d) => d.code === "BK1001") : diagnostics;
  if (fatal.length) throw new BpfkitError(fatal, 1);
  return insns;
}

/** Problems with one instruction's fields, judged by the ISA table. `pc` is only used for the location. */
export function validate(insn: Instruction, pc: number): Diagnostic[] {
  const out: Diagnostic[] = [];
  const where = { pc };
  const candidates = FORMS_BY_OPCODE[insn.opcode & 0xff] ?? [];
  if (candidates.length === 0) return [diag("BK1002", { opcode: hex2(insn.opcode) }, where)];
  const form = formOf(insn);
  if (!form) {
    out.push(diag("BK1004", { ...discriminatorMismatch(candidates, insn), opcode: hex2(insn.opcode) }, where));
    return out;
  }
  for (const field of ["dst", "src", "off", "imm"] as const) {
    if (form.uses[field] || (field !== "dst" && form.fixed[field] !== undefined)) continue;
    if (field === "imm" && form.kind === "lddw") continue;
    const value = insn[field];
    if (value !== 0) out.push(diag("BK1003", { field: fieldName(field), value, form: form.name }, where));
  }
  if (form.uses.dst && insn.dst > MAX_REG) out.push(diag("BK1007", { reg: insn.dst, field: "dst" }, where));
  if (form.uses.src && insn.src > MAX_REG) out.push(diag("BK1007", { reg: insn.src, field: "src" }, where));
  return out;
}

const fieldName = (f: "dst" | "src" | "off" | "imm"): string => (f === "off" ? "offset" : f);

/** Explain which discriminating field made an opcode's forms all fail to match. */
function discriminatorMismatch(candidates: readonly InstructionForm[], insn: Instruction): { field: string; value: number; expected: string } {
  for (const field of ["src", "off", "imm"] as const) {
    const allowed = [...new Set(candidates.map((f) => f.fixed[field]).filter((v): v is number => v !== undefined))];
    if (allowed.length && !allowed.includes(insn[field])) {
      const shown = field === "imm" ? allowed.map((v) => `0x${v.toString(16)}`) : allowed.map(String);
      return { field: fieldName(field), value: insn[field], expected: `expected one of ${shown.join(", ")} (${candidates.map((c) => c.name).join(", ")})` };
    }
  }
  return { field: "fields", value: 0, expected: "no instruction form matches" };
}

/** Encode instructions to bytecode. Throws when a field does not fit or a reference is unresolved. */
export function encode(insns: readonly Instruction[]): Uint8Array {
  const problems: Diagnostic[] = [];
  let slots = 0;
  for (const i of insns) slots += isWide(i) ? 2 : 1;
  const out = new Uint8Array(slots * 8);
  const view = new DataView(out.buffer);
  let pc = 0;
  for (const i of insns) {
    const base = pc * 8;
    // link() clears `ref` once it has filled in the offset or constant; one left over would be
    // encoded as a silent "goto +0" or "r1 = 0 ll".
    if (i.ref !== undefined) problems.push(diag("BK1009", { ref: i.ref }, { pc }));
    checkRange(problems, pc, "opcode", i.opcode, 0, 0xff, 8);
    checkRange(problems, pc, "dst", i.dst, 0, 15, 4);
    checkRange(problems, pc, "src", i.src, 0, 15, 4);
    checkRange(problems, pc, "offset", i.off, -0x8000, 0x7fff, 16);
    if (!isWide(i)) checkRange(problems, pc, "imm", i.imm, -0x80000000, 0xffffffff, 32);
    view.setUint8(base, i.opcode & 0xff);
    view.setUint8(base + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    view.setInt16(base + 2, toS16(i.off), true);
    if (isWide(i)) {
      const v = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm >>> 0));
      view.setUint32(base + 4, Number(v & 0xffffffffn), true);
      view.setUint32(base + 12, Number(v >> 32n), true);
      pc += 2;
    } else {
      view.setInt32(base + 4, toS32(i.imm), true);
      pc += 1;
    }
  }
  if (problems.length) throw new BpfkitError(problems, 2);
  return out;
}

function checkRange(out: Diagnostic[], pc: number, field: string, value: number, min: number, max: number, bits: number): void {
  if (!Number.isInteger(value) || value < min || value > max) out.push(diag("BK1008", { field, value, bits }, { pc }));
}

/** Hex text of bytecode (no separators), the bundle's `insns` format. */
export const toHex = (bytes: Uint8Array): string => Array.from(bytes, hex2).join("");

/** Parse hex text (whitespace and an optional 0x prefix allowed). Returns undefined for malformed text. */
export function fromHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/^0x/i, "").replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
