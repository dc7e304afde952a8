// Stage 3: the object model. Reads the ELF (reader.ts), BTF (btf.ts, btf-ext.ts) and maps (maps.ts), then
// links every program the way libbpf does before BPF_PROG_LOAD (link.ts): relocations applied, .text
// subprograms appended, line/func info rebased. The result is one `Program` per program function.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { decodeAll, type Instruction } from "../isa/index.js";
import type { MapSpec, Program } from "../program/index.js";
import { resolveSection, sectionHint, splitAutoload } from "../progtypes/index.js";
import { type Btf, parseBtf, patchDatasecs } from "../btf/btf.js";
import { type BtfExt, parseBtfExt } from "../btf/btf-ext.js";
import { type ElfFunction, type SectionCode, collectFixups, linkProgram } from "./link.js";
import { collectMaps, objectNameOf, type ObjectMap } from "./maps.js";
import { chosenType, contextTypeName, normalizeTypeChoice, type TypeOption } from "./type-choice.js";
import { type ElfFile, readElf, SHF, SHT, STB, STT } from "./reader.js";

export interface LoadObjectOptions {
  /** File name, for messages and for libbpf-style global data map names (`<obj>.rodata`). */
  file?: string;
  /**
   * Program type (a section name such as `xdp`) chosen by the user: one for every program, or per program
   * or section name (`--type NAME=xdp`). A program whose section libbpf does not know and that no choice
   * covers is still returned, with `sectionHint` saying how to choose.
   */
  type?: TypeOption;
  /**
   * Return programs that use features bpfkit cannot load (CO-RE, kfuncs, .ksyms) instead of throwing;
   * they are listed in `unsupported` and left out of `programs`. `inspect` uses this.
   */
  allowUnsupported?: boolean;
}

export interface ElfObject {
  file: string;
  programs: Program[];
  /** Every map of the object, in libbpf's order (legacy, BTF-defined, global data). */
  maps: MapSpec[];
  license: string;
  /** Contents of the `version` section, when present. */
  kernelVersion?: number;
  /** What bpfkit does not support, one human-readable line each, naming the program and feature. */
  unsupported: string[];
  /** Non-fatal findings (ignored relocations, ...). */
  warnings: Diagnostic[];
  btf?: Btf;
  btfExt?: BtfExt;
}

/** Load a BPF ELF object into Programs. Throws BpfkitError (BK4xxx) naming the section or offset. */
export function loadObject(bytes: Uint8Array, options: LoadObjectOptions = {}): ElfObject {
  const file = options.file ?? "object.o";
  const elf = readElf(bytes, file);
  const warnings: Diagnostic[] = [];
  const license = readLicense(elf);
  const versionSec = elf.sections.find((s) => s.name === "version");
  const kernelVersion = versionSec && versionSec.size >= 4 ? new DataView(versionSec.data.buffer, versionSec.data.byteOffset, 4).getUint32(0, true) : undefined;

  let btf: Btf | undefined;
  let btfExt: BtfExt | undefined;
  const btfSec = elf.sections.find((s) => s.name === ".BTF");
  if (btfSec) {
    btf = parseBtf(btfSec.data);
    patchDatasecs(btf, (name) => elf.sections.find((s) => s.name === name && s.type !== SHT.NULL)?.size, (section, name) => {
      const sec = elf.sections.find((s) => s.name === section);
      return sec ? elf.symbols.find((s) => s.shndx === sec.index && s.name === name)?.value : undefined;
    });
    const extSec = elf.sections.find((s) => s.name === ".BTF.ext");
    if (extSec) btfExt = parseBtfExt(extSec.data, btf);
  }

  const objectMaps = collectMaps(elf, btf, objectNameOf(file), warnings);
  const unsupported: string[] = [];
  // Object-level features bpfkit has no model for: say so by name rather than drop them.
  for (const s of elf.sections) {
    if (s.name.startsWith(".struct_ops")) unsupported.push(`section '${s.name}': struct_ops maps`);
    else if (s.name.startsWith(".addr_space")) unsupported.push(`section '${s.name}': arena (bpf_arena) variables`);
  }
  const code = sectionCode(elf);
  const fixups = collectFixups(elf, code, objectMaps, btf, btfExt);

  const programs: Program[] = [];
  const typeChoice = normalizeTypeChoice(options.type);
  const entries = [...code.values()].filter((c) => c.section.name !== ".text").flatMap((c) => c.functions);
  for (const fn of entries) {
    // libbpf: SEC("?name") is SEC("name") that is not loaded by default; the `?` is no part of the name.
    const { name: sectionName, autoload } = splitAutoload(code.get(fn.sectionIndex)!.section.name);
    const chosen = chosenType(typeChoice, fn.name, sectionName);
    const section = chosen ?? sectionName;
    const linked = linkProgram(fn, code, fixups, objectMaps, btf, btfExt);
    if (linked.unsupported.length) {
      unsupported.push(...linked.unsupported.map((u) => `program '${fn.name}': ${u}`));
      continue;
    }
    const program: Program = {
      name: fn.name, section, insns: linked.insns, maps: linked.maps.map((m) => m.spec), license,
      origin: { file, kind: "elf" },
    };
    if (!autoload) program.autoload = false;
    if (chosen !== undefined && chosen !== sectionName) program.sectionAsWritten = sectionName;
    if (chosen === undefined && !resolveSection(sectionName)) program.sectionHint = sectionHint(sectionName, fn.name, contextTypeName(btf, fn.name));
    if (linked.lines.length) program.lines = linked.lines;
    if (btf) {
      program.btf = { raw: btf.raw };
      if (linked.funcInfo) { program.btf.funcInfo = linked.funcInfo; program.btf.funcInfoRecSize = 8; }
      if (linked.lineInfo) { program.btf.lineInfo = linked.lineInfo; program.btf.lineInfoRecSize = 16; }
    }
    programs.push(program);
  }
  if (unsupported.length && !options.allowUnsupported) {
    throw new BpfkitError(unsupported.map((u) => {
      const m = /^((?:program|section) '[^']*'): (.*)$/.exec(u);
      return diag("BK4009", { name: m?.[1] ?? "the object", feature: m?.[2] ?? u }, { file });
    }));
  }
  if (programs.length === 0 && unsupported.length === 0) throw new BpfkitError(diag("BK4010", {}, { file }));
  const siblings = programs.map((p) => p.name);
  for (const p of programs) p.siblings = siblings;

  const obj: ElfObject = { file, programs, maps: objectMaps.map((m) => m.spec), license, unsupported, warnings };
  if (kernelVersion !== undefined) obj.kernelVersion = kernelVersion;
  if (btf) obj.btf = btf;
  if (btfExt) obj.btfExt = btfExt;
  return obj;
}

function readLicense(elf: ElfFile): string {
  const sec = elf.sections.find((s) => s.name === "license");
  if (!sec) return "";
  const end = sec.data.indexOf(0);
  return new TextDecoder().decode(sec.data.subarray(0, end < 0 ? sec.data.length : end));
}

/** Decode each executable section and find its functions (FUNC symbols, by value and size). */
function sectionCode(elf: ElfFile): Map<number, SectionCode> {
  const out = new Map<number, SectionCode>();
  for (const section of elf.sections) {
    if (section.type !== SHT.PROGBITS || !(section.flags & SHF.EXECINSTR) || section.size === 0) continue;
    if (section.size % 8 !== 0) throw new BpfkitError(diag("BK4003", { what: "code section", reason: `size ${section.size} is not a multiple of 8` }, { section: section.name, offset: section.size }));
    const { insns, diagnostics } = decodeAll(section.data, { lenient: true });
    if (diagnostics.length) {
      const d = diagnostics[0]!;
      throw new BpfkitError(diag("BK4003", { what: "code section", reason: d.message }, { section: section.name, offset: (d.pc ?? 0) * 8 }));
    }
    const bySlot: (Instruction | undefined)[] = [];
    for (const i of insns) { bySlot.push(i); if (i.opcode === 0x18) bySlot.push(undefined); }
    const syms = elf.symbols.filter((s) => s.shndx === section.index && s.type === STT.FUNC).sort((a, b) => a.value - b.value);
    const functions: ElfFunction[] = [];
    for (const s of syms) {
      if (s.value % 8 !== 0 || s.size % 8 !== 0 || s.value + s.size > section.size || s.size === 0) {
        throw new BpfkitError(diag("BK4003", { what: `function symbol '${s.name}'`, reason: `range ${s.value}+${s.size} is not whole instructions inside the ${section.size}-byte section` }, { section: section.name, offset: s.value }));
      }
      if (bySlot[s.value / 8] === undefined) throw new BpfkitError(diag("BK4003", { what: `function symbol '${s.name}'`, reason: "starts in the middle of an lddw" }, { section: section.name, offset: s.value }));
      functions.push({ name: s.name, sectionIndex: section.index, start: s.value / 8, end: (s.value + s.size) / 8, global: s.bind !== STB.LOCAL });
    }
    // Hand-written objects may have no symbols at all: the whole section is then one program.
    if (functions.length === 0 && section.name !== ".text") {
      functions.push({ name: section.name.replace(/[^A-Za-z0-9_]/g, "_"), sectionIndex: section.index, start: 0, end: section.size / 8, global: true });
    }
    out.set(section.index, { section, bySlot, functions });
  }
  return out;
}

export type { ObjectMap };
