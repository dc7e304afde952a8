// Program | Instruction[] -> text, in LLVM syntax (objdump's) or the mnemonic dialect. Jump and call
// targets can be named (`label_N`, or the label the assembler kept), map loads print the map's name,
// and optional columns show pc and bytes like `llvm-objdump -d`. Encodings that fit no valid form are
// printed as `.raw 0x...` so the text still assembles back to the same bytes.
import { encode, formOf, helperName, type Instruction, SlotMap, slotCount, validate } from "../isa/index.js";
import type { MapSpec, Program } from "../program/index.js";
import { type FormatContext, formatLlvm } from "./format-llvm.js";
import { formatMnemonic } from "./format-mnemonic.js";
import type { Syntax } from "./statement.js";

export interface DisassembleOptions {
  syntax: Syntax;
  /** Name jump and local-call targets (`goto label_7`) and print the labels on their own lines. */
  labels?: boolean;
  /** Prefix each line with its pc, right-aligned like objdump (`       3:\t`). */
  offsets?: boolean;
  /** Show the instruction's bytes like objdump (`07 01 00 00 05 00 00 00\t`). */
  bytes?: boolean;
  /** For a Program: start with the directives (.section, .license, .map, .name) it needs to assemble back. Default true. */
  directives?: boolean;
  /**
   * Annotate helper calls with the helper's name (`call 0x1 # bpf_map_lookup_elem`). Off by default so
   * the instruction text stays exactly objdump's; the CLI turns it on.
   */
  helperNames?: boolean;
  /**
   * For a Program with source lines (C line info from BTF): print each source line as a `; ...` comment
   * before the first instruction it produced, as `llvm-objdump -S` does. The text still assembles back.
   */
  source?: boolean;
}

/** Where each relative reference of an instruction points (slot index), or undefined. */
function targetOf(i: Instruction, pc: number): number | undefined {
  const f = formOf(i);
  if (!f) return undefined;
  switch (f.kind) {
    case "ja": case "jcc": case "may_goto": return pc + 1 + i.off;
    case "gotol": return pc + 1 + i.imm;
    case "call": return f.fixed.src === 1 ? pc + 1 + i.imm : undefined;
    case "lddw": return i.src === 4 && (i.imm64 ?? 0n) >> 32n === 0n ? pc + 1 + i.imm : undefined;
    default: return undefined;
  }
}

export function disassemble(program: Program | readonly Instruction[], options: DisassembleOptions): string {
  const insns: readonly Instruction[] = Array.isArray(program) ? program : (program as Program).insns;
  const maps = Array.isArray(program) ? [] : (program as Program).maps;
  const slots = new SlotMap(insns);

  // Label every target that starts an instruction; keep names the source gave.
  const labelAt = new Map<number, string>();
  if (options.labels) {
    const used = new Set<string>();
    insns.forEach((i, index) => { if (i.label !== undefined) { labelAt.set(slots.slotOf[index]!, i.label); used.add(i.label); } });
    insns.forEach((i, index) => {
      const t = targetOf(i, slots.slotOf[index]!);
      if (t === undefined || labelAt.has(t) || slots.indexOf(t) < 0) return;
      let name = `label_${t}`;
      while (used.has(name)) name += "_";
      used.add(name);
      labelAt.set(t, name);
    });
  }

  const out: string[] = [];
  if (!Array.isArray(program) && options.directives !== false) out.push(...directivesOf(program as Program));
  const sourceAt = options.source && !Array.isArray(program) ? sourceLinesByPc(program as Program) : new Map<number, string>();
  insns.forEach((insn, index) => {
    const pc = slots.slotOf[index]!;
    const source = sourceAt.get(pc);
    if (source !== undefined) out.push(source);
    const label = labelAt.get(pc);
    if (label !== undefined && options.labels) out.push(`${label}:`);
    const ctx: FormatContext = {
      pc,
      label: (t) => (options.labels ? labelAt.get(t) : undefined),
      mapName: (idx) => maps[idx]?.name,
    };
    let text: string;
    const form = formOf(insn);
    if (!form || validate(insn, pc).length > 0 || !fieldsFit(insn)) text = rawText(insn);
    else text = options.syntax === "llvm" ? formatLlvm(insn, form, ctx) : formatMnemonic(insn, form, ctx);
    if (options.helperNames && form?.kind === "call" && insn.src === 0) {
      const name = helperName(insn.imm);
      if (name !== undefined) text += `\t# ${name}`;
    }
    let prefix = "";
    if (options.offsets) prefix += `${String(pc).padStart(8)}:\t`;
    if (options.bytes) prefix += `${bytesOf(insn)}\t`;
    out.push(prefix + (options.offsets || options.bytes || !options.labels ? text : `\t${text}`));
  });
  // A jump may target the slot just past the last instruction.
  const endLabel = labelAt.get(slotCount(insns));
  if (endLabel !== undefined && options.labels) out.push(`${endLabel}:`);
  return out.length ? out.join("\n") + "\n" : "";
}

/** `; <source text>` for the first instruction of each source line (repeats of the same line are dropped). */
function sourceLinesByPc(p: Program): Map<number, string> {
  const out = new Map<number, string>();
  let previous = "";
  for (const l of p.lines ?? []) {
    const key = `${l.file}:${l.line}`;
    if (key === previous) continue;
    previous = key;
    const text = l.text !== undefined && l.text.trim() !== "" ? l.text.trim() : `${l.file}:${l.line}`;
    out.set(l.pc, `; ${text}`);
  }
  return out;
}

/** The directives that recreate a Program's section, license, name and maps. */
export function directivesOf(p: Program): string[] {
  const out: string[] = [];
  if (p.section) out.push(`.section ${p.section}`);
  if (p.license) out.push(`.license ${JSON.stringify(p.license)}`);
  if (p.name && p.name !== "prog") out.push(`.name ${p.name}`);
  const declared = new Set(p.maps);
  const emit = (m: MapSpec): void => {
    let line = `.map ${m.name}, type=${m.type}, key=${m.keySize}, value=${m.valueSize}, max_entries=${m.maxEntries}`;
    if (m.flags) line += `, flags=0x${m.flags.toString(16)}`;
    if (m.pinning && m.pinning !== "none") line += `, pinning=${m.pinning}`;
    if (m.extra !== undefined) line += `, extra=${m.extra}`;
    if (m.inner) {
      // An inner template that is not one of the program's maps gets its own declaration first.
      if (!declared.has(m.inner)) { declared.add(m.inner); emit(m.inner); }
      line += `, inner=${m.inner.name}`;
    }
    out.push(line);
  };
  for (const m of p.maps) emit(m);
  return out;
}

function fieldsFit(i: Instruction): boolean {
  return Number.isInteger(i.imm) && i.imm >= -0x80000000 && i.imm <= 0x7fffffff && i.off >= -0x8000 && i.off <= 0x7fff
    && i.dst >= 0 && i.dst <= 15 && i.src >= 0 && i.src <= 15 && i.ref === undefined;
}

function encodeOne(i: Instruction): Uint8Array {
  const copy: Instruction = { ...i };
  delete copy.ref;
  delete copy.label;
  return encode([copy]);
}

function bytesOf(i: Instruction): string {
  try {
    return Array.from(encodeOne(i), (b) => b.toString(16).padStart(2, "0")).join(" ");
  } catch {
    return "?? ?? ?? ?? ?? ?? ?? ??";
  }
}

/** `.raw 0x...` (two words for an lddw): the exact slots, for encodings no form describes. */
function rawText(i: Instruction): string {
  let bytes: Uint8Array;
  try {
    bytes = encodeOne(i);
  } catch {
    return `.raw <unencodable opcode=${i.opcode} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}>`;
  }
  const view = new DataView(bytes.buffer);
  const words: string[] = [];
  for (let k = 0; k < bytes.length; k += 8) words.push(`0x${view.getBigUint64(k, true).toString(16).padStart(16, "0")}`);
  return `.raw ${words.join(", ")}`;
}

