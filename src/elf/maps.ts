// Stage 2: the maps an object declares, in libbpf's order: legacy `maps` section definitions, then
// BTF-defined `.maps`, then one single-entry array per global data section (.rodata*, .data*, .bss*).
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import type { MapSpec } from "../program/index.js";
import { BTF_KIND, type Btf, type BtfType, sizeOf, skipModifiers, typeById } from "../btf/btf.js";
import { mapTypeNameOf } from "./map-type-names.js";
import { type ElfFile, type ElfSection, R_BPF, SHF, SHT, STT, ByteReader } from "./reader.js";

/** A declared map and where it lives in the ELF file (for relocations that point at it). */
export interface ObjectMap {
  spec: MapSpec;
  /** Section index and byte range of its definition (legacy/BTF maps) or the whole data section. */
  sectionIndex: number;
  offset: number;
  size: number;
  kind: "btf" | "legacy" | "data";
}

const BPF_F_RDONLY_PROG = 0x80;
const BPF_F_MMAPABLE = 0x400;
const BPF_OBJ_NAME_LEN = 16;

export const isDataSectionName = (name: string): boolean => /^\.(rodata|data|bss)(\.|$)/.test(name);

/**
 * libbpf's name for a global data map: object name prefix + section name, 15 characters at most;
 * sections with a second dot (`.rodata.str1.1`, `.data.extra`) keep their own name only.
 */
export function internalMapName(objectName: string, section: string): string {
  const sfxLen = Math.max(7, section.length);
  const pfxLen = section.indexOf(".", 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const name = (objectName.slice(0, Math.max(0, pfxLen)) + section.slice(0, sfxLen)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** libbpf's object name: the file's base name up to its first dot. */
export function objectNameOf(file: string): string {
  const base = file.split("/").pop() ?? file;
  const dot = base.indexOf(".");
  return dot > 0 ? base.slice(0, dot) : base || "obj";
}

export function collectMaps(elf: ElfFile, btf: Btf | undefined, objectName: string, problems: Diagnostic[]): ObjectMap[] {
  const out: ObjectMap[] = [];
  const legacy = elf.sections.find((s) => s.name === "maps");
  if (legacy) out.push(...legacyMaps(elf, legacy));
  const maps = elf.sections.find((s) => s.name === ".maps");
  if (maps) {
    if (!btf) throw new BpfkitError(diag("BK4006", { name: ".maps", reason: "BTF-defined maps need a .BTF section, and the object has none" }, { section: ".maps" }));
    out.push(...btfMaps(elf, btf, maps, problems));
  }
  for (const sec of elf.sections) {
    if (!isDataSectionName(sec.name) || sec.size === 0 || !(sec.flags & SHF.ALLOC) || (sec.flags & SHF.EXECINSTR)) continue;
    if (sec.type !== SHT.PROGBITS && sec.type !== SHT.NOBITS) continue;
    const readOnly = !(sec.flags & SHF.WRITE);
    const spec: MapSpec = {
      name: internalMapName(objectName, sec.name), type: "array", keySize: 4, valueSize: sec.size, maxEntries: 1,
      flags: (readOnly ? BPF_F_RDONLY_PROG : 0) | BPF_F_MMAPABLE, initialValue: new Uint8Array(sec.data),
    };
    if (readOnly) spec.readOnly = true;
    const datasec = btf?.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === sec.name);
    if (datasec) spec.btfValueTypeId = datasec.id;
    out.push({ spec, sectionIndex: sec.index, offset: 0, size: sec.size, kind: "data" });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.spec.name)) throw new BpfkitError(diag("BK4006", { name: m.spec.name, reason: "declared twice" }, { section: elf.sections[m.sectionIndex]!.name, offset: m.offset }));
    seen.add(m.spec.name);
  }
  return out;
}

/** `struct bpf_map_def` (20 bytes, samples/bpf) or iproute2's `struct bpf_elf_map` (36 bytes) in SEC("maps"). */
function legacyMaps(elf: ElfFile, sec: ElfSection): ObjectMap[] {
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && (s.type === STT.OBJECT || s.type === STT.NOTYPE) && s.name !== "");
  if (syms.length === 0) return [];
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < 20 || sec.size % syms.length !== 0) {
    throw new BpfkitError(diag("BK4006", { name: "maps", reason: `section size ${sec.size} does not divide into ${syms.length} map definitions of at least 20 bytes` }, { section: "maps" }));
  }
  const r = new ByteReader(sec.data, (o) => ({ section: "maps", offset: o }), "legacy map definition");
  return syms.sort((a, b) => a.value - b.value).map((s) => {
    if (s.value % defSize !== 0) throw new BpfkitError(diag("BK4006", { name: s.name, reason: `definition at offset ${s.value} is not aligned to the ${defSize}-byte definition size` }, { section: "maps", offset: s.value }));
    const b = s.value;
    const spec: MapSpec = {
      name: s.name, type: mapTypeNameOf(r.u32(b)), keySize: r.u32(b + 4), valueSize: r.u32(b + 8), maxEntries: r.u32(b + 12), flags: r.u32(b + 16),
    };
    // iproute2 bpf_elf_map: id, pinning (1 object ns, 2 global ns), inner_id, inner_idx.
    if (defSize >= 36) spec.pinning = r.u32(b + 24) === 0 ? "none" : "by_name";
    return { spec, sectionIndex: sec.index, offset: b, size: defSize, kind: "legacy" as const };
  });
}

/** `__uint(name, N)` is `int (*name)[N]`: a pointer to an array whose element count is the value. */
function uintField(btf: Btf, t: BtfType, member: string, mapName: string): number {
  const ptr = skipModifiers(btf, t.sizeOrType);
  if (ptr.kind !== BTF_KIND.PTR) throw new BpfkitError(diag("BK4006", { name: mapName, reason: `member '${member}' is not declared with __uint()` }, { section: ".maps" }));
  const arr = skipModifiers(btf, ptr.sizeOrType);
  if (arr.kind !== BTF_KIND.ARRAY) throw new BpfkitError(diag("BK4006", { name: mapName, reason: `member '${member}' is not declared with __uint()` }, { section: ".maps" }));
  return arr.array!.nelems;
}

/** `__ulong(name, N)` is a single-value enum (libbpf's get_map_field_long); `__uint()` works too. */
function longField(btf: Btf, t: BtfType, member: string, mapName: string): number {
  const e = skipModifiers(btf, t.sizeOrType);
  if (e.kind === BTF_KIND.PTR) return uintField(btf, t, member, mapName);
  if ((e.kind !== BTF_KIND.ENUM && e.kind !== BTF_KIND.ENUM64) || e.vlen !== 1) {
    throw new BpfkitError(diag("BK4006", { name: mapName, reason: `member '${member}' is not declared with __uint() or __ulong()` }, { section: ".maps" }));
  }
  const v = e.enumValues![0]!.value;
  // an enum's 32-bit value is sign-extended to 64 bits, as libbpf reads it
  return Number(e.kind === BTF_KIND.ENUM ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : BigInt.asUintN(64, v));
}

/** Parse one BTF map definition struct (libbpf parse_btf_map_def). */
function btfMapDef(btf: Btf, structId: number, name: string, depth: number): { spec: MapSpec; valuesBitOffset?: number } {
  const st = skipModifiers(btf, structId);
  if (st.kind !== BTF_KIND.STRUCT) throw new BpfkitError(diag("BK4006", { name, reason: `definition is a ${st.kind} type, not a struct` }, { section: ".maps" }));
  const spec: MapSpec = { name, type: "unspec", keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  let valuesBitOffset: number | undefined;
  for (const m of st.members!) {
    const mt: BtfType = { ...typeById(btf, m.type, `map ${name} member ${m.name}`), sizeOrType: m.type };
    switch (m.name) {
      case "type": spec.type = mapTypeNameOf(uintField(btf, mt, m.name, name)); break;
      case "max_entries": spec.maxEntries = uintField(btf, mt, m.name, name); break;
      case "map_flags": spec.flags = uintField(btf, mt, m.name, name); break;
      case "key_size": spec.keySize = uintField(btf, mt, m.name, name); break;
      case "value_size": spec.valueSize = uintField(btf, mt, m.name, name); break;
      case "map_extra": spec.extra = longField(btf, mt, m.name, name); break;
      case "numa_node": uintField(btf, mt, m.name, name); break;
      case "pinning": {
        const v = uintField(btf, mt, m.name, name);
        if (v > 1) throw new BpfkitError(diag("BK4006", { name, reason: `pinning ${v} is not LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1)` }, { section: ".maps" }));
        spec.pinning = v === 1 ? "by_name" : "none";
        break;
      }
      case "key": case "value": {
        const ptr = skipModifiers(btf, m.type);
        if (ptr.kind !== BTF_KIND.PTR) throw new BpfkitError(diag("BK4006", { name, reason: `member '${m.name}' is not declared with __type()` }, { section: ".maps" }));
        const size = sizeOf(btf, ptr.sizeOrType);
        if (m.name === "key") { spec.keySize = size; spec.btfKeyTypeId = ptr.sizeOrType; } else { spec.valueSize = size; spec.btfValueTypeId = ptr.sizeOrType; }
        break;
      }
      case "values": {
        // __array(values, T) is `T *values[]`: an empty array of pointers; T is the inner map definition
        // (map-in-map) or a function prototype (prog_array).
        const arr = skipModifiers(btf, m.type);
        const ptr = arr.kind === BTF_KIND.ARRAY ? skipModifiers(btf, arr.array!.type) : undefined;
        if (!ptr || ptr.kind !== BTF_KIND.PTR) throw new BpfkitError(diag("BK4006", { name, reason: "member 'values' is not declared with __array()" }, { section: ".maps" }));
        const target = skipModifiers(btf, ptr.sizeOrType);
        if (target.kind === BTF_KIND.STRUCT) {
          if (depth > 0) throw new BpfkitError(diag("BK4006", { name, reason: "an inner map cannot itself hold maps" }, { section: ".maps" }));
          spec.inner = btfMapDef(btf, target.id, `${name}.inner`, depth + 1).spec;
        }
        valuesBitOffset = m.offset;
        break;
      }
      default:
        throw new BpfkitError(diag("BK4006", { name, reason: `unknown member '${m.name}' in the map definition` }, { section: ".maps" }));
    }
  }
  if (spec.inner && spec.valueSize === 0) spec.valueSize = 4;
  if (spec.type === "prog_array" && spec.valueSize === 0) spec.valueSize = 4;
  // Per-CPU event arrays and friends default their sizes to 4 in libbpf.
  if (spec.type === "perf_event_array") { if (!spec.keySize) spec.keySize = 4; if (!spec.valueSize) spec.valueSize = 4; }
  const result: { spec: MapSpec; valuesBitOffset?: number } = { spec };
  if (valuesBitOffset !== undefined) result.valuesBitOffset = valuesBitOffset;
  return result;
}

function btfMaps(elf: ElfFile, btf: Btf, sec: ElfSection, problems: Diagnostic[]): ObjectMap[] {
  const datasec = btf.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === ".maps");
  if (!datasec) throw new BpfkitError(diag("BK4006", { name: ".maps", reason: "the .BTF section has no DATASEC '.maps' describing the map definitions" }, { section: ".maps" }));
  const out: ObjectMap[] = [];
  const symbols = new Map(elf.symbols.filter((s) => s.shndx === sec.index).map((s) => [s.name, s]));
  const valuesAt = new Map<string, { offset: number; bitOffset: number; map: ObjectMap }>();
  for (const info of datasec.secinfos!) {
    const v = typeById(btf, info.type, "DATASEC .maps");
    if (v.kind !== BTF_KIND.VAR) continue;
    const sym = symbols.get(v.name);
    if (!sym) throw new BpfkitError(diag("BK4006", { name: v.name, reason: "no symbol in .maps for this BTF map variable" }, { section: ".maps" }));
    const { spec, valuesBitOffset } = btfMapDef(btf, v.sizeOrType, v.name, 0);
    if (spec.inner) spec.inner.name = `${v.name}.inner`;
    const map: ObjectMap = { spec, sectionIndex: sec.index, offset: sym.value, size: sizeOf(btf, v.sizeOrType), kind: "btf" };
    out.push(map);
    if (valuesBitOffset !== undefined) valuesAt.set(v.name, { offset: sym.value, bitOffset: valuesBitOffset, map });
  }
  // Initial values of __array(values, ...): R_BPF_64_ABS64 relocations in .rel.maps at values[i].
  const rels = elf.relocations.get(sec.index);
  for (const rel of rels?.entries ?? []) {
    if (rel.type !== R_BPF.ABS64) {
      problems.push(diag("BK4013", { what: `relocation #${rel.index} of type ${rel.type}`, reason: "only R_BPF_64_ABS64 is meaningful in .maps" }, { section: rels!.section, offset: rel.index * 16 }));
      continue;
    }
    // The owner is the map whose definition starts closest before the relocated slot.
    const owner = [...valuesAt.values()].filter((v) => rel.offset >= v.offset + v.bitOffset / 8).sort((a, b) => b.offset - a.offset)[0];
    const sym = elf.symbols[rel.symbol]!;
    if (!owner) throw new BpfkitError(diag("BK4005", { index: rel.index, reason: `relocation at .maps+${rel.offset} (to '${sym.name}') is not inside the values[] of a map` }, { section: rels!.section }));
    const slot = (rel.offset - owner.offset - owner.bitOffset / 8) / 8;
    if (!Number.isInteger(slot) || slot >= owner.map.spec.maxEntries) {
      throw new BpfkitError(diag("BK4005", { index: rel.index, reason: `initial value slot ${slot} of map '${owner.map.spec.name}' is not an aligned index below max_entries ${owner.map.spec.maxEntries}` }, { section: rels!.section }));
    }
    (owner.map.spec.initialSlots ??= []).push({ index: slot, target: sym.name });
  }
  for (const v of valuesAt.values()) v.map.spec.initialSlots?.sort((a, b) => a.index - b.index);
  return out;
}
