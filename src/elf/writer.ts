// Programs -> ELF relocatable object that libbpf (bpftool prog loadall) loads, laid out as clang would:
// - each program's own code in the section named by Program.section, one GLOBAL FUNC symbol per program;
// - code reached by bpf-to-bpf calls (the call targets of the linked program) moved to .text as LOCAL FUNC
//   subprograms, each call relocated with R_BPF_64_32 (libbpf re-appends them at load);
// - maps as BTF-defined `.maps` (a struct of __uint() members, described in .BTF) with R_BPF_64_64 on each
//   map lddw; global data maps (`*.rodata`, `*.data`, `*.bss` names with an initial value) as data
//   sections referenced through their section symbol with the offset in the lddw's imm;
// - prog_array / map-in-map initial slots as R_BPF_64_ABS64 relocations in .rel.maps, as clang emits for
//   `.values = { ... }`; the licence in `license`.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { encode, type Instruction, OPCODE_CALL, OPCODE_LDDW } from "../isa/index.js";
import type { MapSpec, Program } from "../program/index.js";
import { BtfBuilder } from "../btf/btf.js";
import { mapTypeIdOf } from "./map-type-names.js";
import { EM_BPF, R_BPF, SHF, SHT, STB, STT } from "./reader.js";

export interface WriteObjectOptions {
  /** Licence when the programs carry none (default "GPL"). */
  license?: string;
}

interface Sym { /** unique key relocations refer to (ELF names of local subprograms may repeat) */ id: string; name: string; value: number; size: number; type: number; bind: number; section: string | undefined }
interface Rel { offset: number; symbol: string; type: number }
interface OutSection { name: string; type: number; flags: number; data: Uint8Array; size: number; align: number; rels: Rel[]; entsize?: number }

const DATA_MAP = /(\.(?:rodata|data|bss)(?:\..*)?)$/;

const fail = (reason: string, where: Partial<Diagnostic> = {}): never => { throw new BpfkitError(diag("BK4012", { reason }, where)); };

/** Write programs (and the maps they reference) as a BPF ELF object. Throws BK4012 for what ELF cannot say. */
export function writeObject(programs: Program[], options: WriteObjectOptions = {}): Uint8Array {
  if (programs.length === 0) fail("no programs to write");
  const license = programs.find((p) => p.license)?.license || options.license || "GPL";
  for (const p of programs) if (p.license && p.license !== license) fail(`programs have different licences ('${license}' and '${p.license}')`);

  // Maps of all programs, by name; the same name must mean the same map.
  const maps = new Map<string, MapSpec>();
  for (const p of programs) for (const m of p.maps) {
    const prior = maps.get(m.name);
    if (prior && JSON.stringify(specKey(prior)) !== JSON.stringify(specKey(m))) fail(`map '${m.name}' is declared differently by two programs`);
    if (!prior) maps.set(m.name, m);
  }
  const dataSection = (m: MapSpec): string | undefined => (m.type === "array" && m.maxEntries === 1 && m.keySize === 4 ? DATA_MAP.exec(m.name)?.[1] : undefined);

  const sections: OutSection[] = [];
  const symbols: Sym[] = [];
  const sectionOf = (name: string, type: number, flags: number): OutSection => {
    let s = sections.find((x) => x.name === name);
    if (!s) { s = { name, type, flags, data: new Uint8Array(0), size: 0, align: 8, rels: [] }; sections.push(s); }
    return s;
  };
  const append = (s: OutSection, bytes: Uint8Array): number => {
    const at = s.size;
    const grown = new Uint8Array(at + bytes.length);
    grown.set(s.data);
    grown.set(bytes, at);
    s.data = grown;
    s.size = grown.length;
    return at;
  };

  // Data sections first so their section symbols exist for the code relocations.
  for (const m of maps.values()) {
    const name = dataSection(m);
    if (!name) continue;
    const bss = name.startsWith(".bss");
    const s = sectionOf(name, bss ? SHT.NOBITS : SHT.PROGBITS, SHF.ALLOC | (name.startsWith(".rodata") ? 0 : SHF.WRITE));
    if (s.size) fail(`two data maps would both be section ${name}`);
    const value = m.initialValue ?? new Uint8Array(m.valueSize);
    if (value.length !== m.valueSize) fail(`data map '${m.name}': initial value is ${value.length} bytes, value size ${m.valueSize}`);
    append(s, value);
  }

  const text = sectionOf(".text", SHT.PROGBITS, SHF.ALLOC | SHF.EXECINSTR);
  const placed: PlacedFunction[] = [];
  const usedNames = new Set<string>();
  for (const p of programs) {
    if (usedNames.has(p.name)) fail(`two programs are named '${p.name}'`);
    usedNames.add(p.name);
  }
  for (const p of programs) {
    if (!p.section || p.section === ".text") fail(`program '${p.name}' has no section name`);
    const code = sectionOf(p.section, SHT.PROGBITS, SHF.ALLOC | SHF.EXECINSTR);
    placed.push(...writeProgram(p, code, text, symbols, usedNames, dataSection));
  }

  // .maps: one zero-filled struct per map (8 bytes per __uint member), described in BTF.
  const btf = new BtfBuilder();
  const intId = btf.int("int", 4, true);
  const uintArray = (n: number): number => btf.ptr(btf.array(intId, intId, n));
  const mapsSec = sectionOf(".maps", SHT.PROGBITS, SHF.ALLOC | SHF.WRITE);
  const vars: { type: number; offset: number; size: number }[] = [];
  const defineStruct = (m: MapSpec, withValues: boolean): { id: number; size: number } => {
    const typeId = mapTypeIdOf(m.type);
    if (typeId === undefined) fail(`map '${m.name}' has unknown type '${m.type}'`);
    const fields: [string, number][] = [["type", typeId!], ["key_size", m.keySize], ["value_size", m.valueSize], ["max_entries", m.maxEntries]];
    if (m.flags) fields.push(["map_flags", m.flags]);
    if (m.pinning === "by_name") fields.push(["pinning", 1]);
    if (m.extra) fields.push(["map_extra", m.extra]);
    // libbpf derives key/value sizes of these itself and refuses explicit ones for some.
    const members = fields.filter(([n, v]) => !(v === 0 && (n === "key_size" || n === "value_size")))
      .map(([name, v], i) => ({ name, type: uintArray(v), bitOffset: i * 64 }));
    if (withValues) {
      const target = m.inner ? defineStruct(m.inner, false).id : btf.funcProto(intId, [{ name: "", type: btf.ptr(0) }]);
      members.push({ name: "values", type: btf.array(btf.ptr(target), intId, 0), bitOffset: members.length * 64 });
    }
    return { id: btf.struct("", members.filter((x) => x.name !== "values").length * 8, members), size: members.filter((x) => x.name !== "values").length * 8 };
  };
  for (const m of maps.values()) {
    if (dataSection(m)) continue;
    const withValues = m.inner !== undefined || (m.initialSlots?.length ?? 0) > 0;
    const { id, size } = defineStruct(m, withValues);
    const slotsBytes = withValues ? 8 * Math.max(0, ...(m.initialSlots ?? []).map((s) => s.index + 1)) : 0;
    const offset = append(mapsSec, new Uint8Array(size + slotsBytes));
    for (const s of m.initialSlots ?? []) {
      if (s.index >= m.maxEntries) fail(`map '${m.name}': initial slot ${s.index} is not below max_entries ${m.maxEntries}`);
      mapsSec.rels.push({ offset: offset + size + s.index * 8, symbol: s.target, type: R_BPF.ABS64 });
    }
    vars.push({ type: btf.variable(m.name, id, 1), offset, size: size + slotsBytes });
    symbols.push({ id: m.name, name: m.name, value: offset, size: size + slotsBytes, type: STT.OBJECT, bind: STB.GLOBAL, section: ".maps" });
  }
  if (vars.length) btf.datasec(".maps", mapsSec.size, vars);
  // Targets of initial slots must be maps or programs of this object.
  for (const r of mapsSec.rels) if (!symbols.some((s) => s.id === r.symbol)) fail(`initial slot target '${r.symbol}' is neither a map nor a program being written`);

  const lic = sectionOf("license", SHT.PROGBITS, SHF.ALLOC | SHF.WRITE);
  append(lic, new TextEncoder().encode(license + "\0"));
  symbols.push({ id: "LICENSE", name: "LICENSE", value: 0, size: lic.size, type: STT.OBJECT, bind: STB.GLOBAL, section: "license" });
  // The kernel takes a function's address (bpf_loop callbacks, lddw src=4) only with func_info, which
  // must then describe every function: emit a static `int f(void *)` FUNC for each, in .BTF.ext.
  const ext = programs.some((p) => p.insns.some((i) => i.opcode === OPCODE_LDDW && i.src === 4)) ? funcInfoExt(btf, intId, placed) : undefined;
  const btfSec = sectionOf(".BTF", SHT.PROGBITS, 0);
  append(btfSec, btf.bytes());
  if (ext) append(sectionOf(".BTF.ext", SHT.PROGBITS, 0), ext);

  const kept = sections.filter((s) => s.size > 0 || s.name === "license");
  return layout(kept, symbols);
}

const specKey = (m: MapSpec): unknown => ({ ...m, initialValue: m.initialValue ? Array.from(m.initialValue) : undefined });

/** Split a linked program back into its main code and subprograms, and append them with relocations. */
interface PlacedFunction { name: string; section: OutSection; base: number }

/** .BTF.ext with only func_info: one record per function, at its byte offset in its section. */
function funcInfoExt(btf: BtfBuilder, intId: number, placed: PlacedFunction[]): Uint8Array {
  const proto = btf.funcProto(intId, [{ name: "ctx", type: btf.ptr(0) }]);
  const bySection = new Map<OutSection, { off: number; type: number }[]>();
  for (const f of placed) {
    const list = bySection.get(f.section) ?? [];
    list.push({ off: f.base, type: btf.func(f.name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "_"), proto, 0) });
    bySection.set(f.section, list);
  }
  const words: number[] = [8];
  for (const [sec, list] of bySection) {
    words.push(btf.str(sec.name), list.length);
    for (const r of list.sort((a, b) => a.off - b.off)) words.push(r.off, r.type);
  }
  const out = new Uint8Array(24 + words.length * 4);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1);
  v.setUint32(4, 24, true); v.setUint32(8, 0, true); v.setUint32(12, words.length * 4, true); v.setUint32(16, words.length * 4, true); v.setUint32(20, 0, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  return out;
}

function writeProgram(p: Program, code: OutSection, text: OutSection, symbols: Sym[], usedNames: Set<string>, dataSection: (m: MapSpec) => string | undefined): PlacedFunction[] {
  const slotOf: number[] = [];
  let slot = 0;
  for (const i of p.insns) { slotOf.push(slot); slot += i.opcode === OPCODE_LDDW ? 2 : 1; }
  const total = slot;
  const isLocalCall = (i: Instruction): boolean => i.opcode === OPCODE_CALL && i.src === 1;
  const isFuncAddr = (i: Instruction): boolean => i.opcode === OPCODE_LDDW && i.src === 4;
  const targets = new Set<number>();
  p.insns.forEach((i, k) => {
    if (isLocalCall(i) || isFuncAddr(i)) {
      const t = slotOf[k]! + i.imm + 1;
      if (t <= 0 || t >= total) fail(`program '${p.name}': call at pc ${slotOf[k]} targets pc ${t}, outside the program`, { pc: slotOf[k]! });
      targets.add(t);
    }
  });
  const starts = [0, ...[...targets].sort((a, b) => a - b)];
  const funcs = starts.map((start, n) => {
    const end = starts[n + 1] ?? total;
    const label = p.insns[slotOf.indexOf(start)]?.label;
    // Subprogram names are local symbols: the same name may appear once per program that calls it.
    const name = n === 0 ? p.name : label && !usedNames.has(label) ? label : `${p.name}__sub${n}`;
    return { start, end, name, id: n === 0 ? p.name : `${p.name}/${n}/${name}`, section: n === 0 ? code : text, base: 0 };
  });
  for (const f of funcs) if (slotOf.indexOf(f.start) < 0) fail(`program '${p.name}': a call targets pc ${f.start}, the second half of an lddw`);
  const funcAt = (s: number) => funcs.find((f) => s >= f.start && s < f.end)!;
  const addressFixups: { fn: (typeof funcs)[number]; offset: number; target: (typeof funcs)[number] }[] = [];
  for (const f of funcs) {
    const insns = p.insns.filter((_, k) => slotOf[k]! >= f.start && slotOf[k]! < f.end).map((i) => ({ ...i }));
    const rels: Rel[] = [];
    let s = f.start;
    for (const i of insns) {
      const at = (s - f.start) * 8;
      if (isLocalCall(i)) {
        rels.push({ offset: at, symbol: funcAt(s + i.imm + 1).id, type: R_BPF.R64_32 });
        i.imm = -1;
      } else if (isFuncAddr(i)) {
        // libbpf takes a function address only against the .text section symbol, with the function's
        // byte offset in imm (as clang emits it); the offset is known once every function is placed.
        const target = funcAt(s + i.imm + 1);
        rels.push({ offset: at, symbol: ".text", type: R_BPF.R64_64 });
        addressFixups.push({ fn: f, offset: at, target });
        i.imm = 0; i.imm64 = 0n;
      } else if (i.opcode === OPCODE_LDDW && (i.src === 1 || i.src === 2)) {
        const map = p.maps[i.imm];
        if (!map) fail(`program '${p.name}': lddw at pc ${s} refers to map #${i.imm}, but the program has ${p.maps.length} maps`, { pc: s });
        const data = dataSection(map!);
        if (i.src === 2) {
          if (!data) fail(`program '${p.name}': lddw at pc ${s} takes a value address of '${map!.name}', which is not a global data map`, { pc: s });
          const offset = Number(BigInt.asUintN(64, i.imm64 ?? 0n) >> 32n);
          rels.push({ offset: at, symbol: data!, type: R_BPF.R64_64 });
          i.src = 0; i.imm = offset; i.imm64 = BigInt(offset);
        } else {
          if (data) fail(`program '${p.name}': lddw at pc ${s} loads global data map '${map!.name}' as a map fd; ELF can only express its value address`, { pc: s });
          rels.push({ offset: at, symbol: map!.name, type: R_BPF.R64_64 });
          i.src = 0; i.imm = 0; i.imm64 = 0n;
        }
      } else if (i.opcode === OPCODE_LDDW && i.src !== 0) {
        fail(`program '${p.name}': lddw at pc ${s} with src=${i.src} cannot be written to ELF`, { pc: s });
      }
      s += i.opcode === OPCODE_LDDW ? 2 : 1;
    }
    const clean = insns.map((i) => { const c = { ...i }; delete c.label; return c; });
    const bytes = encode(clean);
    // Pad the section to 8 bytes is implicit (instructions are 8 bytes); functions are consecutive.
    const base = f.section.size;
    const grown = new Uint8Array(base + bytes.length);
    grown.set(f.section.data);
    grown.set(bytes, base);
    f.section.data = grown;
    f.section.size = grown.length;
    f.base = base;
    for (const r of rels) f.section.rels.push({ ...r, offset: r.offset + base });
    symbols.push({ id: f.id, name: f.name, value: base, size: bytes.length, type: STT.FUNC, bind: f.section.name === ".text" ? STB.LOCAL : STB.GLOBAL, section: f.section.name });
  }
  for (const fix of addressFixups) {
    const v = new DataView(fix.fn.section.data.buffer, fix.fn.section.data.byteOffset);
    v.setInt32(fix.fn.base + fix.offset + 4, fix.target.base, true);
  }
  return funcs.map((f) => ({ name: f.name, section: f.section, base: f.base }));
}

/** Assemble sections, symbol table and relocation sections into the final file. */
function layout(sections: OutSection[], symbols: Sym[]): Uint8Array {
  const all: OutSection[] = [...sections];
  const index = (name: string): number => all.findIndex((s) => s.name === name) + 1;
  // Symbol table: null, section symbols, local, then global (ELF requires locals first).
  const sectionSyms: Sym[] = sections.filter((s) => s.type === SHT.PROGBITS || s.type === SHT.NOBITS).map((s) => ({ id: `section:${s.name}`, name: "", value: 0, size: 0, type: STT.SECTION, bind: STB.LOCAL, section: s.name }));
  const ordered = [...sectionSyms, ...symbols.filter((s) => s.bind === STB.LOCAL), ...symbols.filter((s) => s.bind !== STB.LOCAL)];
  const strtab = new StringTable();
  const symIndex = (name: string): number => {
    const i = ordered.findIndex((s) => s.id === name && s.type !== STT.SECTION);
    if (i >= 0) return i + 1;
    const sec = ordered.findIndex((s) => s.type === STT.SECTION && s.section === name);
    if (sec < 0) fail(`relocation against unknown symbol '${name}'`);
    return sec + 1;
  };
  for (const s of sections) {
    if (!s.rels.length) continue;
    const data = new Uint8Array(16 * s.rels.length);
    const v = new DataView(data.buffer);
    s.rels.forEach((r, k) => {
      v.setBigUint64(k * 16, BigInt(r.offset), true);
      v.setUint32(k * 16 + 8, r.type, true);
      v.setUint32(k * 16 + 12, symIndex(r.symbol), true);
    });
    all.push({ name: ".rel" + s.name, type: SHT.REL, flags: 0x40 /* SHF_INFO_LINK */, data, size: data.length, align: 8, rels: [], entsize: 16, relTarget: s.name } as OutSection & { relTarget: string });
  }
  const symData = new Uint8Array(24 * (ordered.length + 1));
  const sv = new DataView(symData.buffer);
  const symtabAt = all.length + 1;
  all.push({ name: ".symtab", type: SHT.SYMTAB, flags: 0, data: symData, size: symData.length, align: 8, rels: [], entsize: 24 });
  const strtabSec: OutSection = { name: ".strtab", type: SHT.STRTAB, flags: 0, data: new Uint8Array(0), size: 0, align: 1, rels: [] };
  all.push(strtabSec);
  const shstr = new StringTable();
  const shstrSec: OutSection = { name: ".shstrtab", type: SHT.STRTAB, flags: 0, data: new Uint8Array(0), size: 0, align: 1, rels: [] };
  all.push(shstrSec);
  ordered.forEach((s, k) => {
    const b = (k + 1) * 24;
    sv.setUint32(b, s.type === STT.SECTION ? 0 : strtab.add(s.name), true);
    sv.setUint8(b + 4, (s.bind << 4) | s.type);
    sv.setUint16(b + 6, s.section ? index(s.section) : 0, true);
    sv.setBigUint64(b + 8, BigInt(s.value), true);
    sv.setBigUint64(b + 16, BigInt(s.size), true);
  });
  strtabSec.data = strtab.bytes(); strtabSec.size = strtabSec.data.length;
  const nameOffs = all.map((s) => shstr.add(s.name));
  shstrSec.data = shstr.bytes(); shstrSec.size = shstrSec.data.length;

  // File: header, contents (8-aligned), section headers.
  let off = 64;
  const offsets = all.map((s) => {
    off = align(off, s.align);
    const at = off;
    if (s.type !== SHT.NOBITS) off += s.data.length;
    return at;
  });
  const shoff = align(off, 8);
  const out = new Uint8Array(shoff + 64 * (all.length + 1));
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, all.length + 1, true);
  v.setUint16(62, all.length, true); // .shstrtab is last
  all.forEach((s, k) => {
    if (s.type !== SHT.NOBITS) out.set(s.data, offsets[k]!);
    const h = shoff + (k + 1) * 64;
    v.setUint32(h, nameOffs[k]!, true);
    v.setUint32(h + 4, s.type, true);
    v.setBigUint64(h + 8, BigInt(s.flags), true);
    v.setBigUint64(h + 24, BigInt(offsets[k]!), true);
    v.setBigUint64(h + 32, BigInt(s.size), true);
    const relTarget = (s as OutSection & { relTarget?: string }).relTarget;
    if (s.type === SHT.REL) { v.setUint32(h + 40, symtabAt, true); v.setUint32(h + 44, index(relTarget!), true); }
    if (s.type === SHT.SYMTAB) { v.setUint32(h + 40, symtabAt + 1, true); v.setUint32(h + 44, 1 + sectionSyms.length + symbols.filter((x) => x.bind === STB.LOCAL).length, true); }
    v.setBigUint64(h + 48, BigInt(s.align), true);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return out;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

class StringTable {
  private readonly parts: number[] = [0];
  private readonly known = new Map<string, number>([["", 0]]);
  add(s: string): number {
    const k = this.known.get(s);
    if (k !== undefined) return k;
    const at = this.parts.length;
    this.parts.push(...new TextEncoder().encode(s), 0);
    this.known.set(s, at);
    return at;
  }
  bytes(): Uint8Array { return Uint8Array.from(this.parts); }
}
