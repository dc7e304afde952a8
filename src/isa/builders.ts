// Readable builders for instructions, in the spirit of cilium/ebpf's asm package:
//   [mov64Imm(R0, 0), label("loop", aluReg("add", R0, R1)), jmpImm("jne", R1, 0, "loop"), exit()]
// Every builder goes through the ISA table (`make`), so an opcode is never spelled twice.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { helperId } from "./helpers.js";
import { type Instruction, insn, SlotMap, wide } from "./instruction.js";
import { FORM_BY_NAME } from "./table.js";

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

export interface Fields { dst?: number; src?: number; off?: number; imm?: number; ref?: string }

/** Build an instruction of the named form (uBPF mnemonic, e.g. `add32`, `ldxw`, `lock fetch add`). */
export function make(name: string, f: Fields = {}): Instruction {
  const form = FORM_BY_NAME.get(name);
  if (!form) throw new Error(`unknown instruction form '${name}'`);
  const i = insn(form.opcode, f.dst ?? 0, form.fixed.src ?? f.src ?? 0, form.fixed.off ?? f.off ?? 0, form.fixed.imm ?? f.imm ?? 0);
  if (f.ref !== undefined) i.ref = f.ref;
  return i;
}

const sfx = (is32: boolean): string => (is32 ? "32" : "");
export const aluImm = (op: string, dst: number, imm: number, is32 = false): Instruction => make(op + sfx(is32), { dst, imm });
export const aluReg = (op: string, dst: number, src: number, is32 = false): Instruction => {
  const i = make(op + sfx(is32), { dst, src });
  i.opcode |= 0x08;
  return i;
};
export const mov64Imm = (dst: number, imm: number): Instruction => aluImm("mov", dst, imm);
export const mov64Reg = (dst: number, src: number): Instruction => aluReg("mov", dst, src);
export const neg = (dst: number, is32 = false): Instruction => make("neg" + sfx(is32), { dst });

/** Conditional jump to a label (string) or a relative offset (number). */
export function jmpImm(op: string, dst: number, imm: number, target: string | number, is32 = false): Instruction {
  return make(op + sfx(is32), typeof target === "string" ? { dst, imm, ref: target } : { dst, imm, off: target });
}
export function jmpReg(op: string, dst: number, src: number, target: string | number, is32 = false): Instruction {
  const i = make(op + sfx(is32), typeof target === "string" ? { dst, src, ref: target } : { dst, src, off: target });
  i.opcode |= 0x08;
  return i;
}
export const ja = (target: string | number): Instruction => make("ja", typeof target === "string" ? { ref: target } : { off: target });
export const exit = (): Instruction => make("exit");

/** Call a helper by number or name (`bpf_map_lookup_elem` or `map_lookup_elem`). */
export function call(helper: number | string): Instruction {
  const id = typeof helper === "number" ? helper : helperId(helper);
  if (id === undefined) throw new Error(`unknown helper '${helper}'`);
  return make("call", { imm: id });
}
export const callLocal = (label: string): Instruction => make("call local", { ref: label });

const SIZE_SUFFIX: Record<number, string> = { 1: "b", 2: "h", 4: "w", 8: "dw" };
export const load = (size: 1 | 2 | 4 | 8, dst: number, src: number, off: number): Instruction => make("ldx" + SIZE_SUFFIX[size], { dst, src, off });
export const storeImm = (size: 1 | 2 | 4 | 8, dst: number, off: number, imm: number): Instruction => make("st" + SIZE_SUFFIX[size], { dst, off, imm });
export const storeReg = (size: 1 | 2 | 4 | 8, dst: number, off: number, src: number): Instruction => make("stx" + SIZE_SUFFIX[size], { dst, src, off });

/** 64-bit immediate load. */
export const lddw = (dst: number, value: bigint | number): Instruction => wide(dst, BigInt(value));
/** lddw of a map by name (src=1); `link()` turns the name into the map's index. */
export function loadMap(dst: number, mapName: string): Instruction {
  const i = wide(dst, 0n, 1);
  i.ref = mapName;
  return i;
}

/** Attach a label to an instruction (for jumps by label). */
export function label(name: string, i: Instruction): Instruction {
  i.label = name;
  return i;
}

export interface LinkOptions {
  /** Resolve the symbolic reference of an lddw (map or variable name) to its constant; undefined = unknown. */
  resolveSymbol?: (name: string, insn: Instruction) => bigint | undefined;
}

/**
 * Resolve every `ref`: labels become jump offsets / call targets (counted in slots), lddw symbols go
 * through `resolveSymbol`. Returns new instructions; throws with every unresolved name.
 */
export function link(insns: readonly Instruction[], options: LinkOptions = {}): Instruction[] {
  const slots = new SlotMap(insns);
  const labels = new Map<string, number>();
  insns.forEach((i, idx) => { if (i.label !== undefined) labels.set(i.label, slots.slotOf[idx]!); });
  const problems: Diagnostic[] = [];
  const out = insns.map((i, idx) => {
    if (i.ref === undefined) return { ...i };
    const pc = slots.slotOf[idx]!;
    const copy: Instruction = { ...i };
    delete copy.ref;
    if (i.opcode === 0x18) {
      const value = options.resolveSymbol?.(i.ref, i);
      if (value === undefined) problems.push(diag("BK1009", { ref: i.ref }, { pc }));
      else return { ...wide(copy.dst, value, copy.src), ...(copy.label !== undefined ? { label: copy.label } : {}) };
      return copy;
    }
    const target = labels.get(i.ref);
    if (target === undefined) {
      problems.push(diag("BK1009", { ref: i.ref }, { pc }));
      return copy;
    }
    const rel = target - (pc + 1);
    if (i.opcode === 0x06 || i.opcode === 0x85) copy.imm = rel; // gotol and local call: imm
    else copy.off = rel;
    return copy;
  });
  if (problems.length) throw new BpfkitError(problems, 1);
  return out;
}
