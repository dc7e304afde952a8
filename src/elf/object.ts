// Stage 3: the object model. Reads the ELF (reader.ts), BTF (src/btf) and maps (maps.ts), resolves externs
// (externs.ts) and CO-RE relocations (core-relocate.ts) against the target kernel, then links every program
// the way libbpf does before BPF_PROG_LOAD (link.ts): relocations applied, .text subprograms appended,
// line/func info rebased. The result is one `Program` per program function, each with its own status:
// what one program uses never makes its neighbours unusable.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { decodeAll, type Instruction } from "../isa/index.js";
import type { MapSpec, Program, ProgramExtern, ProgramIssue } from "../program/index.js";
import { resolveSection, sectionHint, splitAutoload } from "../progtypes/index.js";
import { attachBtfIdOf, attachTargetOf } from "./attach-target.js";
import { BTF_KIND, type Btf, describeType, essentialName, parseBtf, patchDatasecs, skipModifiers, sizeOf } from "../btf/btf.js";
import { type BtfExt, parseBtfExt } from "../btf/btf-ext.js";
import { applyCoreRelocations, type FunctionCore } from "./core-relocate.js";
import { collectExterns, type ExternDesc, type Externs } from "./externs.js";
import { type ElfFunction, type SectionCode, collectFixups, linkProgram } from "./link.js";
import { collectMaps, objectNameOf, type ObjectMap } from "./maps.js";
import { chosenType, contextTypeName, normalizeTypeChoice, type TypeOption } from "./type-choice.js";
import { type ElfFile, readElf, SHF, SHT, STB, STT } from "./reader.js";
import { collectStructOpsBindings, isStructOpsProgram, resolveStructOps, structOpsMapData, type StructOpsMapData } from "./struct-ops.js";
import type { TargetKernel } from "./target.js";

export interface LoadObjectOptions {
  /** File name, for messages and for libbpf-style global data map names (`<obj>.rodata`). */
  file?: string;
  /**
   * Program type (a section name such as `xdp`) chosen by the user: one for every program, or per program
   * or section name (`--type NAME=xdp`). A program whose section libbpf does not know and that no choice
   * covers is still returned, with `sectionHint` saying how to choose.
   */
  type?: TypeOption;
  /** Kept for compatibility: programs with unsupported features are always returned, each with its `unsupported` list. */
  allowUnsupported?: boolean;
  /**
   * The kernel to relocate for: target BTF (CO-RE, kfuncs, typed .ksyms), kernel configuration
   * (.kconfig), release and symbol addresses. Called only when the object needs it. Without one, CO-RE
   * relocations and BTF-resolved externs make the programs that use them unusable.
   */
  target?: TargetKernel | (() => TargetKernel | undefined);
}

export interface ElfObject {
  file: string;
  /** Every program of the object, each with its own status (`Program.unsupported`). */
  programs: Program[];
  /** Every map of the object, in libbpf's order (legacy, BTF-defined, global data, .kconfig, struct_ops). */
  maps: MapSpec[];
  license: string;
  /** Contents of the `version` section, when present. */
  kernelVersion?: number;
  /** What keeps programs from loading, one line each naming the program (or section) and feature. */
  unsupported: string[];
  /** Non-fatal findings (ignored relocations, ...). */
  warnings: Diagnostic[];
  btf?: Btf;
  btfExt?: BtfExt;
  /** The target kernel's description, when the object needed one (CO-RE or externs). */
  target?: string;
  /** Every extern of the object, in libbpf's order, with how it was resolved. */
  externs?: ProgramExtern[];
  /** struct_ops maps: the local struct's bytes and the programs its members name (for registering it). */
  structOps?: StructOpsMapData[];
}

/** Load a BPF ELF object into Programs. Throws BpfkitError (BK4xxx) naming the section or offset for a malformed object. */
export function loadObject(bytes: Uint8Array, options: LoadObjectOptions = {}): ElfObject {
  const file = options.file ?? "object.o";
  const elf = readElf(bytes, file);
  const warnings: Diagnostic[] = [];
  const license = readLicense(elf);
  const versionSec = elf.sections.find((s) => s.name === "version");
  const kernelVersion = versionSec && versionSec.size >= 4 ? new DataView(versionSec.data.buffer, versionSec.data.byteOffset, 4).getUint32(0, true) : undefined;
  let targetUsed: TargetKernel | undefined;
  let targetAsked = false;
  const target = (): TargetKernel | undefined => {
    if (!targetAsked) {
      targetAsked = true;
      targetUsed = typeof options.target === "function" ? options.target() : options.target;
    }
    return targetUsed;
  };

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

  const objectName = objectNameOf(file);
  const externs: Externs = collectExterns(elf, btf, objectName, target);
  // libbpf loads the BTF it patched for the externs (allocated VARs, dummy_ksym): so do maps and programs
  if (externs.btfRaw) btf = parseBtf(externs.btfRaw);
  const objectMaps = collectMaps(elf, btf, objectName, warnings);
  let kconfigMap: ObjectMap | undefined;
  if (externs.kconfigMap) {
    kconfigMap = { spec: externs.kconfigMap, sectionIndex: -1, offset: 0, size: externs.kconfigMap.valueSize, kind: "data" };
    objectMaps.push(kconfigMap);
  }
  objectMaps.push(...structOpsMaps(elf, btf, target));
  const unsupported: string[] = [];
  for (const p of externs.problems) unsupported.push(`the object's externs: ${p}`);
  const code = sectionCode(elf);
  checkCoreSections(btfExt, code, btf);
  const core: Map<ElfFunction, FunctionCore> = btf && btfExt ? applyCoreRelocations(code, btf, btfExt, target) : new Map();
  const fixups = collectFixups(elf, code, objectMaps, externs);

  const programs: Program[] = [];
  const typeChoice = normalizeTypeChoice(options.type);
  const entries = [...code.values()].filter((c) => c.section.name !== ".text").flatMap((c) => c.functions);
  const sectionOf = (fn: ElfFunction): string => {
    const { name } = splitAutoload(code.get(fn.sectionIndex)!.section.name);
    return chosenType(typeChoice, fn.name, name) ?? name;
  };
  const structOps = collectStructOpsBindings(elf, btf, entries, sectionOf);
  for (const fn of entries) {
    // libbpf: SEC("?name") is SEC("name") that is not loaded by default; the `?` is no part of the name.
    const { name: sectionName, autoload } = splitAutoload(code.get(fn.sectionIndex)!.section.name);
    const chosen = chosenType(typeChoice, fn.name, sectionName);
    const section = chosen ?? sectionName;
    // An unknown section is not an issue of this list: `sectionHint` (below) says how to choose a type.
    const issues: ProgramIssue[] = [];
    // struct_ops: the kernel struct and member it implements (attach_btf_id, expected_attach_type)
    const stOps = isStructOpsProgram(section) ? resolveStructOps(structOps.get(fn) ?? [], target()?.btf(), fn.name) : undefined;
    // (without a target BTF bpfkit cannot tell; with one, what fails is what makes libbpf refuse the object)
    if (typeof stOps === "string") issues.push({ what: stOps, ...(target()?.btf() ? { refusedByLibbpf: true as const } : {}) });
    const linked = linkProgram(fn, { code, fixups, objectMaps, btf, btfExt, core, ...(kconfigMap ? { kconfigMap } : {}) });
    issues.push(...linked.unsupported);
    const program: Program = {
      name: fn.name, section, insns: linked.insns, maps: linked.maps.map((m) => m.spec), license,
      origin: { file, kind: "elf" },
    };
    if (!autoload) program.autoload = false;
    if (stOps && typeof stOps !== "string") {
      program.structOps = { map: stOps.map, struct: stOps.struct, member: stOps.member, memberIndex: stOps.memberIndex };
      Object.defineProperty(program, "attachBtfId", { value: stOps.structId, enumerable: false, configurable: true, writable: true });
    }
    // libbpf: a program bound only to members of maps it does not create (`?.struct_ops`) is not loaded
    const bindings = structOps.get(fn);
    if (bindings?.length && bindings.every((b) => b.section.startsWith("?"))) program.autoload = false;
    if (chosen !== undefined && chosen !== sectionName) program.sectionAsWritten = sectionName;
    if (chosen === undefined && !resolveSection(sectionName)) program.sectionHint = sectionHint(sectionName, fn.name, contextTypeName(btf, fn.name));
    if (linked.lines.length) program.lines = linked.lines;
    if (btf) {
      program.btf = { raw: btf.raw };
      if (linked.funcInfo) { program.btf.funcInfo = linked.funcInfo; program.btf.funcInfoRecSize = 8; }
      if (linked.lineInfo) { program.btf.lineInfo = linked.lineInfo; program.btf.lineInfoRecSize = 16; }
    }
    if (issues.length) {
      program.unsupported = issues;
      unsupported.push(...issues.map((u) => `program '${fn.name}': ${u.what}${u.pc !== undefined ? ` at pc ${u.pc}` : ""}`));
    }
    if (linked.relocations.length) program.relocations = linked.relocations;
    if (linked.externs.length) program.externs = linked.externs.map(externReport);
    programs.push(program);
  }
  const siblings = programs.map((p) => p.name);
  for (const p of programs) p.siblings = siblings;
  // A BTF-attached program (tp_btf, fentry, lsm, iter) is verified against its target's prototype even
  // when nothing in it needed relocating: ask for the target (opened lazily) for such programs too.
  if (!targetUsed && options.target && programs.some((p) => attachTargetOf(p.section))) target();
  if (targetUsed) {
    const t = targetUsed;
    for (const p of programs) {
      if (attachTargetOf(p.section) && !p.structOps) {
        Object.defineProperty(p, "attachBtfId", { get: () => attachBtfIdOf(p.section, t.btf()), enumerable: false, configurable: true });
      }
      p.targetBtfSource = t.description;
      // opened on first read, and kept out of JSON and deep comparisons
      Object.defineProperty(p, "targetBtf", { get: () => t.btf(), enumerable: false, configurable: true });
    }
  }

  const obj: ElfObject = { file, programs, maps: objectMaps.map((m) => m.spec), license, unsupported, warnings };
  if (kernelVersion !== undefined) obj.kernelVersion = kernelVersion;
  if (btf) obj.btf = btf;
  if (btfExt) obj.btfExt = btfExt;
  if (targetUsed) obj.target = targetUsed.description;
  if (externs.list.length) obj.externs = externs.list.map(externReport);
  const stOpsMaps = structOpsMapData(elf, btf, structOps);
  if (stOpsMaps.length) obj.structOps = stOpsMaps;
  return obj;
}

function externReport(e: ExternDesc): ProgramExtern {
  const r: ProgramExtern = { name: e.name, index: e.index, kind: e.type === "kcfg" ? "kconfig" : e.ksym?.isFunc ? "kfunc" : "ksym", weak: e.weak, resolved: e.resolved, note: e.problem ?? e.note };
  if (e.kernelBtfId !== undefined) r.btfId = e.kernelBtfId;
  return r;
}

/**
 * CO-RE records must point at instructions of a code section (libbpf fails the object at .BTF.ext otherwise,
 * or skips what it cannot place): a record outside its section is malformed input, reported with the
 * section, the record and the local type it names.
 */
function checkCoreSections(ext: BtfExt | undefined, code: Map<number, SectionCode>, btf: Btf | undefined): void {
  if (!ext) return;
  const sizes = new Map([...code.values()].map((c) => [c.section.name, c.section.size]));
  for (const [sec, relos] of ext.coreRelos) {
    const size = sizes.get(sec);
    if (relos.length && size === undefined) {
      throw new BpfkitError(diag("BK4008", { reason: `${relos.length} CO-RE relocation(s) for section '${sec}', which holds no code` }, { section: ".BTF.ext" }));
    }
    relos.forEach((r, i) => {
      const type = btf && r.typeId < btf.count ? describeType(btf, r.typeId) : `type #${r.typeId}`;
      const what = `CO-RE relocation #${i} of '${sec}' (${type}, access ${JSON.stringify(r.accessStr)})`;
      if (r.insnOff % 8 !== 0) throw new BpfkitError(diag("BK4008", { reason: `${what} has instruction offset ${r.insnOff}, not a multiple of 8` }, { section: ".BTF.ext" }));
      if (r.insnOff >= size!) throw new BpfkitError(diag("BK4008", { reason: `${what} points at offset ${r.insnOff}, outside the ${size}-byte section` }, { section: ".BTF.ext" }));
    });
  }
}

/**
 * struct_ops maps: one per variable of the `.struct_ops` / `.struct_ops.link` sections (libbpf's
 * init_struct_ops_maps). The value is the kernel's `struct bpf_struct_ops_<name>` (its size from the target
 * BTF, as libbpf sets it at load); without a target, the local struct's size.
 */
function structOpsMaps(elf: ElfFile, btf: Btf | undefined, target: () => TargetKernel | undefined): ObjectMap[] {
  const out: ObjectMap[] = [];
  if (!btf) return out;
  for (const sec of elf.sections) {
    if (!/^\??\.struct_ops(\.link)?$/.test(sec.name)) continue;
    const datasec = btf.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === sec.name);
    for (const vs of datasec?.secinfos ?? []) {
      const v = btf.type(vs.type);
      if (v.kind !== BTF_KIND.VAR) continue;
      const st = skipModifiers(btf, v.sizeOrType);
      const tbtf = target()?.btf();
      const kern = tbtf?.findByNameKind(`bpf_struct_ops_${essentialName(st.name)}`, BTF_KIND.STRUCT) ?? -1;
      const spec: MapSpec = {
        name: v.name, type: "struct_ops", keySize: 4, valueSize: kern > 0 ? tbtf!.type(kern).sizeOrType : sizeOf(btf, st.id), maxEntries: 1,
        flags: sec.name.endsWith(".struct_ops.link") ? 0x2000 : 0,
        btfValueTypeId: st.id,
      };
      out.push({ spec, sectionIndex: sec.index, offset: vs.offset, size: vs.size, kind: "btf" });
    }
  }
  return out;
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
