// Relocation and linking, as libbpf does before BPF_PROG_LOAD:
// - R_BPF_64_64 on an lddw: a map (src=1, imm = index into program.maps) or a global variable (src=2,
//   imm = index of the data map, second imm = byte offset), or a function address (src=4, pc-relative).
// - R_BPF_64_32 on a call: a bpf-to-bpf call; the callee (a .text function) is appended after the
//   program once, depth first in the order calls are met, and imm becomes pc-relative in the final program.
// - Calls with src=1 and no relocation target the same section (imm already relative to it).
// - Externs (externs.ts): a .kconfig variable is a src=2 lddw into the .kconfig map; a typed .ksyms
//   variable a src=3 lddw of its target BTF id; a typeless one its address; a kfunc call src=2 with the
//   target BTF id (a weak kfunc that is missing becomes libbpf's `call 2002000000+N`).
// - __arena globals (.addr_space.1) are src=2 lddws into the object's arena map.
// CO-RE relocations were applied to the section code before linking (core-relocate.ts); the linker
// carries their reports and failures to each program that includes the function.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { type Instruction, OPCODE_CALL, OPCODE_LDDW } from "../isa/index.js";
import type { ProgramIssue, SourceLine } from "../program/index.js";
import type { Btf } from "../btf/btf.js";
import type { BtfExt } from "../btf/btf-ext.js";
import type { CoreRelocationReport, FunctionCore } from "./core-relocate.js";
import type { ExternDesc, Externs } from "./externs.js";
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
  | { kind: "extern"; ext: ExternDesc }
  | { kind: "unsupported"; what: string; refused?: boolean };

/** Fixups by section index, then by slot. */
export type Fixups = Map<number, Map<number, Fixup>>;

/** Poisoned call for a weak kfunc the target lacks (libbpf's POISON_CALL_KFUNC_BASE + extern index). */
export const KFUNC_POISON_BASE = 2002000000;

export function collectFixups(elf: ElfFile, code: Map<number, SectionCode>, maps: ObjectMap[], externs: Externs): Fixups {
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
        if (sym.shndx === SHN_UNDEF) { fixups.set(slot, externFixup(externs, sym.index, sym.name)); continue; }
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
        } else if (target!.name === ARENA_SEC) {
          const map = maps.find((m) => m.spec.type === "arena");
          if (!map) bad(`__arena variable '${sym.name}' is used, but the object declares no arena map in .maps`);
          fixups.set(slot, { kind: "data", map: map!, offset: sym.value + insn!.imm });
        } else if (target!.flags & SHF.EXECINSTR) {
          fixups.set(slot, { kind: "func", sectionIndex: sym.shndx, slot: (sym.value + insn!.imm) / 8 });
        } else {
          bad(`lddw refers to '${sym.name}' in ${target!.name}, which is neither a map, global data nor code`);
        }
      } else if (rel.type === R_BPF.R64_32) {
        if (insn!.opcode !== OPCODE_CALL) bad(`R_BPF_64_32 at ${sc.section.name}+${rel.offset} is not on a call (opcode 0x${insn!.opcode.toString(16)})`);
        if (sym.shndx === SHN_UNDEF) { fixups.set(slot, externFixup(externs, sym.index, sym.name)); continue; }
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
  }
  return all;
}

/** The section libbpf maps onto the arena map (`__arena` globals). */
export const ARENA_SEC = ".addr_space.1";

function externFixup(externs: Externs, symIndex: number, name: string): Fixup {
  const ext = externs.bySymbol.get(symIndex);
  if (!ext) return { kind: "unsupported", what: `extern '${name}' ${externs.problems[0] ?? "has no BTF description"}`, refused: true };
  return { kind: "extern", ext };
}

export interface LinkedProgram {
  insns: Instruction[];
  maps: ObjectMap[];
  lines: SourceLine[];
  funcInfo?: Uint8Array;
  lineInfo?: Uint8Array;
  /** What keeps this program from loading (pc in the linked program). */
  unsupported: ProgramIssue[];
  /** Its CO-RE relocations, pcs rebased to the linked program. */
  relocations: CoreRelocationReport[];
  /** The externs it references. */
  externs: ExternDesc[];
}

export interface LinkContext {
  code: Map<number, SectionCode>;
  fixups: Fixups;
  objectMaps: ObjectMap[];
  btf: Btf | undefined;
  btfExt: BtfExt | undefined;
  core: Map<ElfFunction, FunctionCore>;
  /** The .kconfig map (an ObjectMap of kind data), when the object has kconfig externs. */
  kconfigMap?: ObjectMap;
}

interface Placed { fn: ElfFunction; at: number /* final slot */; index: number /* in the output array */ }

/** Link one program: its code, then every subprogram it reaches, depth first (libbpf's order). */
export function linkProgram(main: ElfFunction, ctx: LinkContext): LinkedProgram {
  const { code, fixups, objectMaps, btf, btfExt } = ctx;
  const out: Instruction[] = [];
  let slots = 0;
  const placed: Placed[] = [];
  const unsupported: ProgramIssue[] = [];
  const usedExterns = new Set<ExternDesc>();
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
      if (f?.kind === "unsupported") unsupported.push({ what: f.what, pc: finalSlot, ...(f.refused ? { refusedByLibbpf: true as const } : {}) });
      else if (f?.kind === "extern") {
        usedExterns.add(f.ext);
        const problem = applyExtern(here, f.ext, pendingMaps, index, ctx.kconfigMap);
        if (problem) unsupported.push({ what: problem, pc: finalSlot, refusedByLibbpf: true });
      } else if (f?.kind === "map") { here.src = 1; pendingMaps.push({ index, map: f.map }); }
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

  // CO-RE reports and failures of every placed function, at their final pcs.
  const relocations: CoreRelocationReport[] = [];
  for (const p of placed) {
    const c = ctx.core.get(p.fn);
    if (!c) continue;
    const pcOf = (slot: number) => slot - p.fn.start + p.at;
    for (const r of c.reports) relocations.push({ ...r, pc: pcOf(r.pc) });
    for (const e of c.errors) unsupported.push({ what: e.what, pc: pcOf(e.slot), refusedByLibbpf: true });
  }
  relocations.sort((a, b) => a.pc - b.pc);

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

  const result: LinkedProgram = { insns: out, maps, lines: [], unsupported, relocations, externs: [...usedExterns].sort((a, b) => a.index - b.index) };
  if (btf && btfExt) rebaseInfo(result, placed, code, btf, btfExt);
  return result;
}

/**
 * Patch one extern reference (bpf_object__relocate_data's RELO_EXTERN_LD64 / RELO_EXTERN_CALL); returns a
 * problem when the extern cannot be resolved and libbpf would refuse the object.
 */
function applyExtern(insn: Instruction, ext: ExternDesc, pendingMaps: { index: number; map: ObjectMap; offset?: number }[], index: number, kconfigMap: ObjectMap | undefined): string | undefined {
  if (ext.problem) return ext.problem;
  if (insn.opcode === OPCODE_CALL) {
    if (ext.type !== "ksym" || !ext.ksym?.isFunc) return `call to extern '${ext.name}', which is not a kfunc`;
    if (ext.resolved) { insn.src = 2; insn.imm = ext.kernelBtfId!; insn.off = 0; }
    else { insn.src = 0; insn.dst = 0; insn.off = 0; insn.imm = KFUNC_POISON_BASE + ext.index; }
    return undefined;
  }
  if (ext.type === "kcfg") {
    if (!kconfigMap) return `extern '${ext.name}' has no .kconfig map`;
    insn.src = 2;
    pendingMaps.push({ index, map: kconfigMap, offset: ext.kcfg!.dataOff });
    return undefined;
  }
  if (ext.ksym && (ext.ksym.typeId !== 0 || ext.ksym.isFunc) && ext.resolved) {
    // typed ksym (or a kfunc's address): BPF_PSEUDO_BTF_ID, imm = BTF id, second imm = BTF object fd (0: vmlinux)
    insn.src = 3;
    insn.imm = ext.kernelBtfId!;
    insn.imm64 = BigInt(ext.kernelBtfId!);
    return undefined;
  }
  const addr = ext.addr ?? 0n;
  insn.src = 0;
  insn.imm64 = BigInt.asUintN(64, addr);
  insn.imm = Number(BigInt.asIntN(32, addr));
  return undefined;
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
