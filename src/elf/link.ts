// Relocation and linking, as libbpf does before BPF_PROG_LOAD:
// - R_BPF_64_64 on an lddw: a map (src=1, imm = index into program.maps) or a global variable (src=2,
//   imm = index of the data map, second imm = byte offset), or a function address (src=4, pc-relative).
// - R_BPF_64_32 on a call: a bpf-to-bpf call; the callee (a .text function) is appended after the
//   program once, depth first in the order calls are met, and imm becomes pc-relative in the final program.
// - Calls with src=1 and no relocation target the same section (imm already relative to it).
// - Externs (.ksyms, kfuncs, .kconfig) and CO-RE relocations are reported by name, never guessed.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { type Instruction, OPCODE_CALL, OPCODE_LDDW } from "../isa/index.js";
import type { SourceLine } from "../program/index.js";
import { type Btf, typeById } from "../btf/btf.js";
import type { BtfExt } from "../btf/btf-ext.js";
import { isDataSectionName, type ObjectMap } from "./maps.js";
import { type ElfFile, type ElfSection, R_BPF, SHF, SHN_UNDEF, STT } from "./reader.js";

export interface ElfFunction {
  name: string;
  sectionIndex: number;
  /** Slot range within the section. */
  start: number;
  end: number;
  global: boolean;
}

export interface SectionCode {
  section: ElfSection;
  /** Instructions by slot (undefined for the second half of an lddw). */
  bySlot: (Instruction | undefined)[];
  functions: ElfFunction[];
}

export type Fixup =
  | { kind: "map"; map: ObjectMap }
  | { kind: "data"; map: ObjectMap; offset: number }
  | { kind: "call" | "func"; sectionIndex: number; slot: number }
  | { kind: "unsupported"; what: string };

/** Fixups by section index, then by slot. */
export type Fixups = Map<number, Map<number, Fixup>>;

const CORE_KINDS = ["field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64", "field_rshift_u64",
  "type_id_local", "type_id_target", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches"];

export function collectFixups(elf: ElfFile, code: Map<number, SectionCode>, maps: ObjectMap[], btf: Btf | undefined, btfExt: BtfExt | undefined): Fixups {
  const all: Fixups = new Map();
  for (const [index, sc] of code) {
    const fixups = new Map<number, Fixup>();
    all.set(index, fixups);
    const rels = elf.relocations.get(index);
    for (const rel of rels?.entries ?? []) {
      const where = { section: rels!.section, offset: rel.index * 16 };
      const bad = (reason: string): never => { throw new BpfkitError(diag("BK4005", { index: rel.index, reason }, where)); };
      if (rel.type === R_BPF.NONE) continue;
      if (rel.offset % 8 !== 0 || rel.offset >= sc.section.size) bad(`offset ${rel.offset} is not an instruction of ${sc.section.name} (${sc.section.size} bytes)`);
      const slot = rel.offset / 8;
      const insn = sc.bySlot[slot];
      if (!insn) bad(`offset ${rel.offset} in ${sc.section.name} is the second half of an lddw`);
      const sym = elf.symbols[rel.symbol]!;
      const target = sym.shndx < elf.sections.length ? elf.sections[sym.shndx] : undefined;
      if (rel.type === R_BPF.R64_64) {
        if (insn!.opcode !== OPCODE_LDDW) bad(`R_BPF_64_64 at ${sc.section.name}+${rel.offset} is not on an lddw (opcode 0x${insn!.opcode.toString(16)})`);
        if (sym.shndx === SHN_UNDEF) { fixups.set(slot, { kind: "unsupported", what: `extern variable '${sym.name}' (.ksyms/.kconfig)` }); continue; }
        if (!target) bad(`symbol '${sym.name}' is in section ${sym.shndx}, which does not exist`);
        if (target!.name === ".maps" || target!.name === "maps") {
          const offset = sym.value + (sym.type === STT.SECTION ? insn!.imm : 0);
          const map = maps.find((m) => m.sectionIndex === sym.shndx && m.offset === offset);
          if (!map) bad(`no map is defined at ${target!.name}+${offset} (symbol '${sym.name}')`);
          fixups.set(slot, { kind: "map", map: map! });
        } else if (isDataSectionName(target!.name)) {
          const map = maps.find((m) => m.kind === "data" && m.sectionIndex === sym.shndx);
          if (!map) bad(`global variable '${sym.name}' is in ${target!.name}, which is not a data map`);
          // REL: the addend (offset within the symbol) is the lddw's own imm.
          const offset = sym.value + insn!.imm;
          if (offset < 0 || offset >= map!.size) bad(`offset ${offset} of '${sym.name}' is outside ${target!.name} (${map!.size} bytes)`);
          fixups.set(slot, { kind: "data", map: map!, offset });
        } else if (target!.flags & SHF.EXECINSTR) {
          fixups.set(slot, { kind: "func", sectionIndex: sym.shndx, slot: (sym.value + insn!.imm) / 8 });
        } else {
          bad(`lddw refers to '${sym.name}' in ${target!.name}, which is neither a map, global data nor code`);
        }
      } else if (rel.type === R_BPF.R64_32) {
        if (insn!.opcode !== OPCODE_CALL) bad(`R_BPF_64_32 at ${sc.section.name}+${rel.offset} is not on a call (opcode 0x${insn!.opcode.toString(16)})`);
        if (sym.shndx === SHN_UNDEF) { fixups.set(slot, { kind: "unsupported", what: `kfunc or extern function '${sym.name}'` }); continue; }
        if (!target || !(target.flags & SHF.EXECINSTR)) bad(`call target '${sym.name}' is not in a code section`);
        fixups.set(slot, { kind: "call", sectionIndex: sym.shndx, slot: sym.value / 8 + insn!.imm + 1 });
      } else if (rel.type === R_BPF.ABS64 || rel.type === R_BPF.ABS32 || rel.type === R_BPF.NODYLD32) {
        bad(`data relocation type ${rel.type} cannot apply to code`);
      } else {
        bad(`unknown relocation type ${rel.type}`);
      }
    }
    // Relocation-less local calls (within the section, imm already relative).
    sc.bySlot.forEach((insn, slot) => {
      if (insn && insn.opcode === OPCODE_CALL && insn.src === 1 && !fixups.has(slot)) fixups.set(slot, { kind: "call", sectionIndex: index, slot: slot + insn.imm + 1 });
    });
    for (const relo of btfExt?.coreRelos.get(sc.section.name) ?? []) {
      const type = btf ? typeById(btf, relo.typeId, "CO-RE relocation").name : `#${relo.typeId}`;
      fixups.set(relo.insnOff / 8, { kind: "unsupported", what: `CO-RE relocation ${CORE_KINDS[relo.kind] ?? relo.kind} of '${type}' (access ${relo.accessStr})` });
    }
  }
  return all;
}

export interface LinkedProgram {
  insns: Instruction[];
  maps: ObjectMap[];
  lines: SourceLine[];
  funcInfo?: Uint8Array;
  lineInfo?: Uint8Array;
  unsupported: string[];
}

interface Placed { fn: ElfFunction; at: number /* final slot */; index: number /* in the output array */ }

/** Link one program: its code, then every subprogram it reaches, depth first (libbpf's order). */
export function linkProgram(main: ElfFunction, code: Map<number, SectionCode>, fixups: Fixups, objectMaps: ObjectMap[], btf: Btf | undefined, btfExt: BtfExt | undefined): LinkedProgram {
  const out: Instruction[] = [];
  let slots = 0;
  const placed: Placed[] = [];
  const unsupported: string[] = [];
  const pendingMaps: { index: number; map: ObjectMap; offset?: number }[] = [];

  const place = (fn: ElfFunction): Placed => {
    const p = { fn, at: slots, index: out.length };
    placed.push(p);
    const sc = code.get(fn.sectionIndex)!;
    for (let s = fn.start; s < fn.end; s++) {
      const insn = sc.bySlot[s];
      if (!insn) continue;
      out.push({ ...insn });
      slots += insn.opcode === OPCODE_LDDW ? 2 : 1;
    }
    return p;
  };
  const findFunction = (sectionIndex: number, slot: number, from: string): ElfFunction => {
    const fn = code.get(sectionIndex)?.functions.find((f) => slot >= f.start && slot < f.end);
    const secName = code.get(sectionIndex)?.section.name ?? `#${sectionIndex}`;
    if (!fn) throw new BpfkitError(diag("BK4011", { reason: `call from '${from}' to ${secName}+${slot * 8} hits no function` }, { section: secName, offset: slot * 8 }));
    if (fn.start !== slot) throw new BpfkitError(diag("BK4011", { reason: `call from '${from}' lands inside '${fn.name}' (+${(slot - fn.start) * 8}), not at its start` }, { section: secName, offset: slot * 8 }));
    return fn;
  };

  const process = (p: Placed): void => {
    const sc = code.get(p.fn.sectionIndex)!;
    const table = fixups.get(p.fn.sectionIndex)!;
    let index = p.index;
    let finalSlot = p.at;
    for (let s = p.fn.start; s < p.fn.end; s++) {
      const insn = sc.bySlot[s];
      if (!insn) continue;
      const f = table.get(s);
      const here = out[index]!;
      if (f?.kind === "unsupported") unsupported.push(`${f.what} at pc ${finalSlot}`);
      else if (f?.kind === "map") { here.src = 1; pendingMaps.push({ index, map: f.map }); }
      else if (f?.kind === "data") { here.src = 2; pendingMaps.push({ index, map: f.map, offset: f.offset }); }
      else if (f?.kind === "call" || f?.kind === "func") {
        // A call inside the function itself (hand-written code with one symbol) needs no fixup.
        if (!(f.sectionIndex === p.fn.sectionIndex && f.slot >= p.fn.start && f.slot < p.fn.end)) {
          const callee = findFunction(f.sectionIndex, f.slot, p.fn.name);
          let target = placed.find((q) => q.fn === callee);
          if (!target) {
            target = place(callee);
            // Name the subprogram's first instruction, so disassembly shows `call twice`, not an offset.
            out[target.index]!.label = callee.name;
            process(target);
          }
          const rel = target.at - finalSlot - 1;
          if (f.kind === "call") { here.src = 1; here.imm = rel; } else { here.src = 4; here.imm = rel; here.imm64 = BigInt(rel >>> 0); }
        }
      }
      finalSlot += insn.opcode === OPCODE_LDDW ? 2 : 1;
      index++;
    }
  };

  process(place(main));

  // Program maps: those referenced, in object order, then the maps their initial slots name.
  const used = new Set(pendingMaps.map((m) => m.map));
  for (const m of [...used]) for (const s of m.spec.initialSlots ?? []) {
    const inner = objectMaps.find((o) => o.spec.name === s.target);
    if (inner) used.add(inner);
  }
  const maps = objectMaps.filter((m) => used.has(m));
  for (const pm of pendingMaps) {
    const idx = maps.indexOf(pm.map);
    const hi = BigInt(pm.offset ?? 0) << 32n;
    const insn = out[pm.index]!;
    insn.imm = idx;
    insn.imm64 = hi | BigInt(idx);
  }

  const result: LinkedProgram = { insns: out, maps, lines: [], unsupported };
  if (btf && btfExt) rebaseInfo(result, placed, code, btf, btfExt);
  return result;
}

/** func_info/line_info of each placed function, rebased to final slots (kernel wants insn indexes). */
function rebaseInfo(result: LinkedProgram, placed: Placed[], code: Map<number, SectionCode>, btf: Btf, ext: BtfExt): void {
  const func: number[] = [];
  const line: number[] = [];
  for (const p of placed) {
    const secName = code.get(p.fn.sectionIndex)!.section.name;
    const rebase = (insnOff: number): number | undefined => {
      const s = insnOff / 8;
      return s >= p.fn.start && s < p.fn.end ? s - p.fn.start + p.at : undefined;
    };
    for (const r of ext.funcInfo.get(secName) ?? []) {
      const pc = rebase(r.insnOff);
      if (pc !== undefined) func.push(pc, r.typeId);
    }
    for (const r of ext.lineInfo.get(secName) ?? []) {
      const pc = rebase(r.insnOff);
      if (pc === undefined) continue;
      line.push(pc, r.fileNameOff, r.lineOff, (r.line << 10) | r.col);
      const text = btf.strings(r.lineOff);
      const l: SourceLine = { pc, file: btf.strings(r.fileNameOff), line: r.line, col: r.col };
      if (text) l.text = text;
      result.lines.push(l);
    }
  }
  result.lines.sort((a, b) => a.pc - b.pc);
  const pack = (words: number[], per: number): Uint8Array => {
    // Records must be in pc order for the kernel.
    const recs: number[][] = [];
    for (let i = 0; i < words.length; i += per) recs.push(words.slice(i, i + per));
    recs.sort((a, b) => a[0]! - b[0]!);
    const bytes = new Uint8Array(words.length * 4);
    const v = new DataView(bytes.buffer);
    recs.flat().forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
    return bytes;
  };
  if (func.length) result.funcInfo = pack(func, 2);
  if (line.length) result.lineInfo = pack(line, 4);
}
