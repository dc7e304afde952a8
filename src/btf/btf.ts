// BTF (.BTF section): parse every type kind (include/uapi/linux/btf.h), resolve names and sizes, and
// patch what clang leaves for the loader to fill in: DATASEC sizes and VAR offsets come from the ELF
// section and symbol tables (the kernel rejects a DATASEC of size 0). Also a small builder the writer
// uses to emit BTF for the maps it declares.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { ByteReader } from "./byte-reader.js";

export const BTF_MAGIC = 0xeb9f;
export const BTF_KIND = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
export const BTF_KIND_NAMES = ["unkn", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile", "const",
  "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64"] as const;

export interface BtfMember { name: string; type: number; /** bit offset (kflag: low 24 bits) */ offset: number }
export interface BtfParam { name: string; type: number }
export interface BtfEnumValue { name: string; value: bigint }
export interface BtfVarSecinfo { type: number; offset: number; size: number; /** byte position of this record in the raw BTF */ at: number }

export interface BtfType {
  id: number;
  kind: number;
  name: string;
  vlen: number;
  kflag: boolean;
  /** size for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT/ENUM64, else the referenced type id. */
  sizeOrType: number;
  /** Byte position of this type's record in the raw BTF (for patching). */
  at: number;
  intEncoding?: { encoding: number; offset: number; bits: number };
  array?: { type: number; indexType: number; nelems: number };
  members?: BtfMember[];
  params?: BtfParam[];
  enumValues?: BtfEnumValue[];
  /** VAR linkage (0 static, 1 global, 2 extern) or FUNC linkage (0 static, 1 global, 2 extern). */
  linkage?: number;
  secinfos?: BtfVarSecinfo[];
  componentIdx?: number;
}

export interface Btf {
  /** types[0] is the implicit void. */
  types: BtfType[];
  /** The raw bytes (a private copy, so patching never touches the caller's file). */
  raw: Uint8Array;
  strings: (offset: number) => string;
  hdrLen: number;
  typeOff: number;
  strOff: number;
}

const where = (offset: number) => ({ section: ".BTF", offset });

/** Parse .BTF; throws BK4007 naming the byte offset on malformed input. */
export function parseBtf(bytes: Uint8Array): Btf {
  const raw = bytes.slice();
  const r = new ByteReader(raw, where, ".BTF");
  if (raw.length < 24) throw new BpfkitError(diag("BK4007", { reason: `header is truncated (${raw.length} bytes)` }, where(0)));
  if (r.u16(0) !== BTF_MAGIC) throw new BpfkitError(diag("BK4007", { reason: `bad magic 0x${r.u16(0).toString(16)} (expected 0xeb9f; big-endian BTF is not supported)` }, where(0)));
  const hdrLen = r.u32(4);
  const typeOff = r.u32(8), typeLen = r.u32(12), strOff = r.u32(16), strLen = r.u32(20);
  if (hdrLen < 24 || hdrLen > raw.length) throw new BpfkitError(diag("BK4007", { reason: `header length ${hdrLen} is invalid` }, where(4)));
  const tStart = hdrLen + typeOff, sStart = hdrLen + strOff;
  if (tStart + typeLen > raw.length || sStart + strLen > raw.length || typeLen % 4 !== 0) {
    throw new BpfkitError(diag("BK4007", { reason: `type section (${typeOff}+${typeLen}) or string section (${strOff}+${strLen}) lies outside the ${raw.length - hdrLen} bytes after the header` }, where(8)));
  }
  const strings = (o: number): string => {
    if (o >= strLen) throw new BpfkitError(diag("BK4007", { reason: `string offset ${o} is outside the string section (${strLen} bytes)` }, where(sStart)));
    const end = raw.indexOf(0, sStart + o);
    if (end < 0 || end >= sStart + strLen) throw new BpfkitError(diag("BK4007", { reason: `string at ${o} is not NUL-terminated` }, where(sStart + o)));
    return new TextDecoder().decode(raw.subarray(sStart + o, end));
  };
  const types: BtfType[] = [{ id: 0, kind: 0, name: "void", vlen: 0, kflag: false, sizeOrType: 0, at: -1 }];
  let p = tStart;
  const end = tStart + typeLen;
  const need = (n: number, at: number): void => {
    if (p + n > end) throw new BpfkitError(diag("BK4007", { reason: `type #${types.length} record runs past the end of the type section` }, where(at)));
  };
  while (p < end) {
    const at = p;
    need(12, at);
    const info = r.u32(p + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const t: BtfType = { id: types.length, kind, name: strings(r.u32(p)), vlen, kflag: info >>> 31 === 1, sizeOrType: r.u32(p + 8), at };
    p += 12;
    switch (kind) {
      case BTF_KIND.INT: {
        need(4, at);
        const v = r.u32(p);
        t.intEncoding = { encoding: (v >>> 24) & 0xf, offset: (v >>> 16) & 0xff, bits: v & 0xff };
        p += 4;
        break;
      }
      case BTF_KIND.ARRAY:
        need(12, at);
        t.array = { type: r.u32(p), indexType: r.u32(p + 4), nelems: r.u32(p + 8) };
        p += 12;
        break;
      case BTF_KIND.STRUCT: case BTF_KIND.UNION:
        need(12 * vlen, at);
        t.members = [];
        for (let i = 0; i < vlen; i++, p += 12) t.members.push({ name: strings(r.u32(p)), type: r.u32(p + 4), offset: r.u32(p + 8) });
        break;
      case BTF_KIND.ENUM:
        need(8 * vlen, at);
        t.enumValues = [];
        for (let i = 0; i < vlen; i++, p += 8) t.enumValues.push({ name: strings(r.u32(p)), value: BigInt(r.i32(p + 4)) });
        break;
      case BTF_KIND.ENUM64:
        need(12 * vlen, at);
        t.enumValues = [];
        for (let i = 0; i < vlen; i++, p += 12) t.enumValues.push({ name: strings(r.u32(p)), value: (BigInt(r.u32(p + 8)) << 32n) | BigInt(r.u32(p + 4)) });
        break;
      case BTF_KIND.FUNC_PROTO:
        need(8 * vlen, at);
        t.params = [];
        for (let i = 0; i < vlen; i++, p += 8) t.params.push({ name: strings(r.u32(p)), type: r.u32(p + 4) });
        break;
      case BTF_KIND.VAR:
        need(4, at);
        t.linkage = r.u32(p);
        p += 4;
        break;
      case BTF_KIND.DATASEC:
        need(12 * vlen, at);
        t.secinfos = [];
        for (let i = 0; i < vlen; i++, p += 12) t.secinfos.push({ type: r.u32(p), offset: r.u32(p + 4), size: r.u32(p + 8), at: p });
        break;
      case BTF_KIND.DECL_TAG:
        need(4, at);
        t.componentIdx = r.i32(p);
        p += 4;
        break;
      case BTF_KIND.FUNC:
        t.linkage = vlen;
        break;
      case BTF_KIND.PTR: case BTF_KIND.FWD: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
      case BTF_KIND.RESTRICT: case BTF_KIND.FLOAT: case BTF_KIND.TYPE_TAG:
        break;
      default:
        throw new BpfkitError(diag("BK4007", { reason: `type #${t.id} has unknown kind ${kind}` }, where(at)));
    }
    types.push(t);
  }
  return { types, raw, strings, hdrLen, typeOff, strOff };
}

/** Type by id, or a diagnostic naming the reference that pointed at a missing one. */
export function typeById(btf: Btf, id: number, context: string): BtfType {
  const t = btf.types[id];
  if (!t) throw new BpfkitError(diag("BK4007", { reason: `${context} refers to type #${id}, but there are ${btf.types.length - 1} types` }, { section: ".BTF" }));
  return t;
}

/** Follow typedefs and qualifiers to the underlying type. */
export function skipModifiers(btf: Btf, id: number): BtfType {
  let t = typeById(btf, id, "a type reference");
  for (let guard = 0; guard < 64; guard++) {
    if (t.kind === BTF_KIND.TYPEDEF || t.kind === BTF_KIND.VOLATILE || t.kind === BTF_KIND.CONST || t.kind === BTF_KIND.RESTRICT || t.kind === BTF_KIND.TYPE_TAG) {
      t = typeById(btf, t.sizeOrType, `type #${t.id}`);
    } else return t;
  }
  throw new BpfkitError(diag("BK4007", { reason: `type #${id}: modifier chain is too long or loops` }, { section: ".BTF" }));
}

/** Byte size of a type (as the kernel's btf_type_size resolution computes it). */
export function sizeOf(btf: Btf, id: number, depth = 0): number {
  if (depth > 64) throw new BpfkitError(diag("BK4007", { reason: `type #${id}: size resolution loops` }, { section: ".BTF" }));
  const t = skipModifiers(btf, id);
  switch (t.kind) {
    case BTF_KIND.INT: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM: case BTF_KIND.ENUM64: case BTF_KIND.FLOAT: case BTF_KIND.DATASEC:
      return t.sizeOrType;
    case BTF_KIND.PTR: return 8;
    case BTF_KIND.ARRAY: return t.array!.nelems * sizeOf(btf, t.array!.type, depth + 1);
    case BTF_KIND.VAR: return sizeOf(btf, t.sizeOrType, depth + 1);
    default: return 0;
  }
}

/**
 * Fill in what the compiler leaves to the loader, as libbpf does before BTF_LOAD: every DATASEC gets the
 * size of its ELF section and each VAR the value of its symbol; secinfos are sorted by offset. DATASECs of
 * sections that do not exist (`.ksyms`, `.kconfig`) are left alone (their externs are reported elsewhere).
 */
export function patchDatasecs(btf: Btf, sectionSize: (name: string) => number | undefined, symbolOffset: (section: string, name: string) => number | undefined): void {
  const view = new DataView(btf.raw.buffer, btf.raw.byteOffset, btf.raw.byteLength);
  for (const t of btf.types) {
    if (t.kind !== BTF_KIND.DATASEC) continue;
    const size = sectionSize(t.name);
    if (size === undefined) continue;
    t.sizeOrType = size;
    view.setUint32(t.at + 8, size, true);
    for (const s of t.secinfos!) {
      const v = typeById(btf, s.type, `DATASEC ${t.name}`);
      const offset = v.kind === BTF_KIND.VAR ? symbolOffset(t.name, v.name) : undefined;
      if (offset !== undefined) s.offset = offset;
    }
    const sorted = [...t.secinfos!].sort((a, b) => a.offset - b.offset);
    sorted.forEach((s, i) => {
      const at = t.secinfos![i]!.at;
      view.setUint32(at, s.type, true);
      view.setUint32(at + 4, s.offset, true);
      view.setUint32(at + 8, s.size, true);
    });
    t.secinfos = sorted.map((s, i) => ({ ...s, at: t.secinfos![i]!.at }));
  }
}

/** Minimal BTF builder (for the writer): add types in order, get their ids, then `bytes()`. */
export class BtfBuilder {
  private readonly strs: number[] = [0];
  private readonly strIndex = new Map<string, number>([["", 0]]);
  private readonly typeWords: number[] = [];
  private count = 0;
  str(s: string): number {
    const known = this.strIndex.get(s);
    if (known !== undefined) return known;
    const off = this.strs.length;
    this.strs.push(...new TextEncoder().encode(s), 0);
    this.strIndex.set(s, off);
    return off;
  }
  private add(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[]): number {
    this.typeWords.push(this.str(name), ((kind & 0x1f) << 24) | (vlen & 0xffff), sizeOrType, ...extra);
    return ++this.count;
  }
  int(name: string, size: number, signed = false): number { return this.add(name, BTF_KIND.INT, 0, size, [(signed ? 1 << 24 : 0) | (size * 8)]); }
  ptr(type: number): number { return this.add("", BTF_KIND.PTR, 0, type, []); }
  array(type: number, indexType: number, nelems: number): number { return this.add("", BTF_KIND.ARRAY, 0, 0, [type, indexType, nelems]); }
  struct(name: string, size: number, members: { name: string; type: number; bitOffset: number }[]): number {
    return this.add(name, BTF_KIND.STRUCT, members.length, size, members.flatMap((m) => [this.str(m.name), m.type, m.bitOffset]));
  }
  funcProto(ret: number, params: { name: string; type: number }[]): number {
    return this.add("", BTF_KIND.FUNC_PROTO, params.length, ret, params.flatMap((p) => [this.str(p.name), p.type]));
  }
  func(name: string, proto: number, linkage: number): number { return this.add(name, BTF_KIND.FUNC, linkage, proto, []); }
  variable(name: string, type: number, linkage: number): number { return this.add(name, BTF_KIND.VAR, 0, type, [linkage]); }
  datasec(name: string, size: number, vars: { type: number; offset: number; size: number }[]): number {
    return this.add(name, BTF_KIND.DATASEC, vars.length, size, vars.flatMap((v) => [v.type, v.offset, v.size]));
  }
  bytes(): Uint8Array {
    const typeLen = this.typeWords.length * 4;
    const strLen = this.strs.length;
    const out = new Uint8Array(24 + typeLen + strLen);
    const v = new DataView(out.buffer);
    v.setUint16(0, BTF_MAGIC, true); v.setUint8(2, 1); v.setUint8(3, 0);
    v.setUint32(4, 24, true); v.setUint32(8, 0, true); v.setUint32(12, typeLen, true); v.setUint32(16, typeLen, true); v.setUint32(20, strLen, true);
    this.typeWords.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
    out.set(this.strs, 24 + typeLen);
    return out;
  }
}
