// BTF: one reader for an object's .BTF, the kernel's vmlinux BTF and split BTF (a module's BTF on top of
// vmlinux, as /sys/kernel/btf/<module> is). Opening BTF walks the type section once to find where each
// type record starts (so a 5 MB vmlinux BTF opens in milliseconds); a type is decoded the first time it
// is asked for, and names are indexed on the first lookup by name. Object BTF is small and decoded
// eagerly, so a malformed record is reported when the object loads, with its byte offset.
//
// Also here: what the loader fills in that the compiler leaves open (DATASEC sizes and VAR offsets), the
// libbpf-style size and alignment rules, and a small builder the writer uses. No Node imports: the
// playground uses this too.
import { BpfkitError, diag } from "../diagnostics/index.js";

export const BTF_MAGIC = 0xeb9f;
export const BTF_KIND = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
export const BTF_KIND_NAMES = ["unkn", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile", "const",
  "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64"] as const;
/** BTF_INT_ENCODING bits. */
export const BTF_INT = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;
/** VAR linkage. */
export const BTF_VAR = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;
/** FUNC linkage (the FUNC's vlen). */
export const BTF_FUNC = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;

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
  /** Byte position of this type's record in the raw BTF (for patching); -1 for void. */
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
  /**
   * Every type by id; types[0] is the implicit void. Array-like and decoded on first access, so indexing
   * a vmlinux BTF costs only the types asked for (`type(id)` is the same without the array view).
   */
  readonly types: BtfType[];
  /** The raw bytes (a private copy, so patching never touches the caller's file). */
  readonly raw: Uint8Array;
  strings(offset: number): string;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly strOff: number;
  readonly strLen: number;
  /** For messages: ".BTF", "vmlinux", a file name. */
  readonly name: string;
  /** Split BTF: the BTF this one extends (its ids and strings come first). */
  readonly base?: Btf;
  /** First type id defined by this BTF itself (1, or the base's count for split BTF). */
  readonly startId: number;
  /** Number of type ids including void and, for split BTF, the base's types. */
  readonly count: number;
  /** Type by id, or BK4007 naming the id. */
  type(id: number): BtfType;
  /** Ids of the types with exactly this name (base BTF first), in id order. */
  idsByName(name: string): readonly number[];
  /** Ids of the types whose essential name (the name without a `___flavor` suffix) is this, in id order. */
  idsByEssentialName(essential: string): readonly number[];
  /** First id with this name and kind (libbpf's btf__find_by_name_kind), or -1. */
  findByNameKind(name: string, kind: number): number;
}

export interface ParseBtfOptions {
  /** Base BTF, for split BTF (a kernel module's BTF): ids and string offsets continue after the base's. */
  base?: Btf;
  /** Decode every type now, so a malformed record is reported immediately (object BTF). Default true unless `base` or `lazy`. */
  eager?: boolean;
  /** Name for messages (default ".BTF"). */
  name?: string;
}

const where = (name: string) => (offset: number) => ({ section: name, offset });

/** Size of a type record after its 12-byte header, by kind; -1 for a kind BTF does not define. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT: return 4;
    case BTF_KIND.ARRAY: return 12;
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: return 12 * vlen;
    case BTF_KIND.ENUM: return 8 * vlen;
    case BTF_KIND.ENUM64: return 12 * vlen;
    case BTF_KIND.FUNC_PROTO: return 8 * vlen;
    case BTF_KIND.VAR: return 4;
    case BTF_KIND.DATASEC: return 12 * vlen;
    case BTF_KIND.DECL_TAG: return 4;
    case BTF_KIND.PTR: case BTF_KIND.FWD: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT: case BTF_KIND.FUNC: case BTF_KIND.FLOAT: case BTF_KIND.TYPE_TAG:
      return 0;
    default: return -1;
  }
}

const utf8 = new TextDecoder();

class BtfReader implements Btf {
  readonly types: BtfType[];
  readonly raw: Uint8Array;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly strOff: number;
  readonly strLen: number;
  readonly name: string;
  readonly base?: Btf;
  readonly startId: number;
  readonly count: number;
  private readonly view: DataView;
  private readonly sStart: number;
  /** First string offset that is this BTF's own (split BTF: the base's string section comes first). */
  private readonly startStr: number;
  private readonly offsets: Uint32Array;
  private readonly cache: (BtfType | undefined)[];
  private readonly stringCache = new Map<number, string>();
  private index?: NameIndex;
  private readonly where: (offset: number) => { section: string; offset: number };

  constructor(bytes: Uint8Array, options: ParseBtfOptions) {
    this.name = options.name ?? ".BTF";
    this.where = where(this.name);
    // a copy even when given a Node Buffer (whose slice() is a view into a shared pool)
    const raw = new Uint8Array(bytes);
    this.raw = raw;
    this.view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const fail = (reason: string, at: number): never => { throw new BpfkitError(diag("BK4007", { reason }, this.where(at))); };
    if (raw.length < 24) fail(`header is truncated (${raw.length} bytes)`, 0);
    if (this.view.getUint16(0, true) !== BTF_MAGIC) {
      fail(`bad magic 0x${this.view.getUint16(0, true).toString(16)} (expected 0xeb9f; big-endian BTF is not supported)`, 0);
    }
    const hdrLen = this.view.getUint32(4, true);
    const typeOff = this.view.getUint32(8, true), typeLen = this.view.getUint32(12, true);
    const strOff = this.view.getUint32(16, true), strLen = this.view.getUint32(20, true);
    if (hdrLen < 24 || hdrLen > raw.length) fail(`header length ${hdrLen} is invalid`, 4);
    const tStart = hdrLen + typeOff, sStart = hdrLen + strOff;
    if (tStart + typeLen > raw.length || sStart + strLen > raw.length || typeLen % 4 !== 0) {
      fail(`type section (${typeOff}+${typeLen}) or string section (${strOff}+${strLen}) lies outside the ${raw.length - hdrLen} bytes after the header`, 8);
    }
    if (strLen > 0 && raw[sStart + strLen - 1] !== 0) fail("the string section does not end with a NUL byte", sStart + strLen - 1);
    this.hdrLen = hdrLen; this.typeOff = typeOff; this.strOff = strOff; this.strLen = strLen; this.sStart = sStart;
    if (options.base) {
      this.base = options.base;
      this.startId = options.base.count;
      this.startStr = options.base.strLen + (options.base as BtfReader).startStr;
    } else {
      this.startId = 1;
      this.startStr = 0;
    }

    // One pass over the records: where each starts. Kinds and lengths are checked here; contents on decode.
    const offsets = new Uint32Array(Math.floor(typeLen / 12) + 1);
    let n = 0;
    let p = tStart;
    const end = tStart + typeLen;
    while (p < end) {
      const id = this.startId + n;
      if (p + 12 > end) fail(`type #${id} record runs past the end of the type section`, p);
      const info = this.view.getUint32(p + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const extra = extraSize(kind, info & 0xffff);
      if (extra < 0) fail(`type #${id} has unknown kind ${kind}`, p);
      if (p + 12 + extra > end) fail(`type #${id} record runs past the end of the type section`, p);
      offsets[n++] = p;
      p += 12 + extra;
    }
    this.offsets = offsets.subarray(0, n);
    this.count = this.startId + n;
    this.cache = new Array<BtfType | undefined>(n);
    this.types = arrayView(this);
    if (options.eager ?? !options.base) for (let id = this.startId; id < this.count; id++) this.type(id);
  }

  strings(o: number): string {
    if (o < this.startStr) return this.base!.strings(o);
    const local = o - this.startStr;
    const cached = this.stringCache.get(local);
    if (cached !== undefined) return cached;
    if (local >= this.strLen) {
      throw new BpfkitError(diag("BK4007", { reason: `string offset ${o} is outside the string section (${this.strLen} bytes)` }, this.where(this.sStart)));
    }
    const start = this.sStart + local;
    let end = start;
    let ascii = true;
    const raw = this.raw;
    while (raw[end] !== 0) { if (raw[end]! >= 0x80) ascii = false; end++; }
    const s = ascii ? String.fromCharCode.apply(null, raw.subarray(start, end) as unknown as number[]) : utf8.decode(raw.subarray(start, end));
    this.stringCache.set(local, s);
    return s;
  }

  type(id: number): BtfType {
    if (id === 0) return VOID;
    if (id < this.startId && this.base && id > 0) return this.base.type(id);
    const i = id - this.startId;
    if (!Number.isInteger(id) || i < 0 || i >= this.offsets.length) {
      throw new BpfkitError(diag("BK4007", { reason: `type #${id} does not exist (${this.name} has ${this.count - 1} types)` }, { section: this.name }));
    }
    return this.cache[i] ?? (this.cache[i] = this.decode(id, this.offsets[i]!));
  }

  /** Type or undefined, for the array view. */
  typeOrUndefined(id: number): BtfType | undefined {
    return Number.isInteger(id) && id >= 0 && id < this.count ? this.type(id) : undefined;
  }

  private decode(id: number, at: number): BtfType {
    const v = this.view;
    const u32 = (o: number) => v.getUint32(o, true);
    const info = u32(at + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const t: BtfType = { id, kind, name: this.strings(u32(at)), vlen, kflag: info >>> 31 === 1, sizeOrType: u32(at + 8), at };
    let p = at + 12;
    switch (kind) {
      case BTF_KIND.INT: {
        const e = u32(p);
        t.intEncoding = { encoding: (e >>> 24) & 0xf, offset: (e >>> 16) & 0xff, bits: e & 0xff };
        break;
      }
      case BTF_KIND.ARRAY:
        t.array = { type: u32(p), indexType: u32(p + 4), nelems: u32(p + 8) };
        break;
      case BTF_KIND.STRUCT: case BTF_KIND.UNION:
        t.members = [];
        for (let i = 0; i < vlen; i++, p += 12) t.members.push({ name: this.strings(u32(p)), type: u32(p + 4), offset: u32(p + 8) });
        break;
      case BTF_KIND.ENUM: {
        t.enumValues = [];
        for (let i = 0; i < vlen; i++, p += 8) {
          // kflag: signed enumerators; else the 32-bit value is unsigned.
          const value = t.kflag ? BigInt(v.getInt32(p + 4, true)) : BigInt(u32(p + 4));
          t.enumValues.push({ name: this.strings(u32(p)), value });
        }
        break;
      }
      case BTF_KIND.ENUM64:
        t.enumValues = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const u = (BigInt(u32(p + 8)) << 32n) | BigInt(u32(p + 4));
          t.enumValues.push({ name: this.strings(u32(p)), value: t.kflag ? BigInt.asIntN(64, u) : u });
        }
        break;
      case BTF_KIND.FUNC_PROTO:
        t.params = [];
        for (let i = 0; i < vlen; i++, p += 8) t.params.push({ name: this.strings(u32(p)), type: u32(p + 4) });
        break;
      case BTF_KIND.VAR:
        t.linkage = u32(p);
        break;
      case BTF_KIND.DATASEC:
        t.secinfos = [];
        for (let i = 0; i < vlen; i++, p += 12) t.secinfos.push({ type: u32(p), offset: u32(p + 4), size: u32(p + 8), at: p });
        break;
      case BTF_KIND.DECL_TAG:
        t.componentIdx = v.getInt32(p, true);
        break;
      case BTF_KIND.FUNC:
        t.linkage = vlen;
        break;
    }
    return t;
  }

  /**
   * Names hashed straight from the string section (no string is built): one chain per hash bucket for the
   * full name and one for the essential name, each walked in id order.
   */
  private nameIndex(): NameIndex {
    if (this.index) return this.index;
    const n = this.offsets.length;
    let size = 1024;
    while (size < n * 2) size <<= 1;
    const idx: NameIndex = {
      mask: size - 1, headFull: new Int32Array(size).fill(-1), nextFull: new Int32Array(n), headEss: new Int32Array(size).fill(-1),
      nextEss: new Int32Array(n), start: new Uint32Array(n), len: new Uint32Array(n), essLen: new Uint32Array(n),
    };
    const raw = this.raw;
    for (let i = n - 1; i >= 0; i--) {
      const nameOff = this.view.getUint32(this.offsets[i]!, true);
      if (nameOff === 0) { idx.nextFull[i] = -1; idx.nextEss[i] = -1; continue; }
      if (nameOff < this.startStr || nameOff - this.startStr >= this.strLen) this.strings(nameOff); // throws, located
      const start = this.sStart + nameOff - this.startStr;
      let end = start;
      while (raw[end] !== 0) end++;
      const len = end - start;
      const ess = essentialLength(raw, start, len);
      idx.start[i] = start; idx.len[i] = len; idx.essLen[i] = ess;
      const hf = hashBytes(raw, start, len) & idx.mask;
      idx.nextFull[i] = idx.headFull[hf]!; idx.headFull[hf] = i;
      const he = hashBytes(raw, start, ess) & idx.mask;
      idx.nextEss[i] = idx.headEss[he]!; idx.headEss[he] = i;
    }
    this.index = idx;
    return idx;
  }

  private lookup(name: string, essential: boolean): number[] {
    const own: number[] = [];
    const key = utf8Encoder.encode(name);
    if (key.length > 0 && this.offsets.length > 0) {
      const idx = this.nameIndex();
      const h = hashBytes(key, 0, key.length) & idx.mask;
      const raw = this.raw;
      for (let i = essential ? idx.headEss[h]! : idx.headFull[h]!; i >= 0; i = essential ? idx.nextEss[i]! : idx.nextFull[i]!) {
        const len = essential ? idx.essLen[i]! : idx.len[i]!;
        if (len !== key.length) continue;
        const start = idx.start[i]!;
        let same = true;
        for (let k = 0; k < len; k++) if (raw[start + k] !== key[k]) { same = false; break; }
        if (same) own.push(this.startId + i);
      }
    }
    if (!this.base) return own;
    const fromBase = essential ? this.base.idsByEssentialName(name) : this.base.idsByName(name);
    return fromBase.length ? [...fromBase, ...own] : own;
  }

  idsByName(name: string): readonly number[] {
    return this.lookup(name, false);
  }

  idsByEssentialName(essential: string): readonly number[] {
    return this.lookup(essential, true);
  }

  findByNameKind(name: string, kind: number): number {
    for (const id of this.idsByName(name)) if (this.type(id).kind === kind) return id;
    return -1;
  }
}

interface NameIndex {
  mask: number;
  headFull: Int32Array; nextFull: Int32Array;
  headEss: Int32Array; nextEss: Int32Array;
  /** Per own type: where its name starts in raw, its length, and the length of its essential name. */
  start: Uint32Array; len: Uint32Array; essLen: Uint32Array;
}

const utf8Encoder = new TextEncoder();

/** FNV-1a over bytes. */
function hashBytes(b: Uint8Array, start: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** essentialName() on the bytes of a name: the length of the part before a `___flavor` suffix. */
function essentialLength(b: Uint8Array, start: number, len: number): number {
  const U = 0x5f;
  for (let i = len - 5; i >= 0; i--) {
    const p = start + i;
    if (b[p] !== U && b[p + 1] === U && b[p + 2] === U && b[p + 3] === U && b[p + 4] !== U) return i + 1;
  }
  return len;
}

const VOID: BtfType = Object.freeze({ id: 0, kind: 0, name: "void", vlen: 0, kflag: false, sizeOrType: 0, at: -1 }) as BtfType;

/** `types` as an array whose elements are decoded when read (Array methods and iteration work on it). */
function arrayView(reader: BtfReader): BtfType[] {
  return new Proxy([] as BtfType[], {
    get(target, prop, receiver) {
      if (prop === "length") return reader.count;
      if (typeof prop === "string") {
        const c = prop.charCodeAt(0);
        if (c >= 48 && c <= 57) return reader.typeOrUndefined(Number(prop));
      }
      return Reflect.get(target, prop, receiver);
    },
    has(target, prop) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) return Number(prop) < reader.count;
      return Reflect.has(target, prop);
    },
    set() { return false; },
  });
}

/** Open BTF bytes. Throws BK4007 naming the byte offset on malformed input. */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  return new BtfReader(bytes, options);
}

/**
 * libbpf's essential name: `task_struct___v2` -> `task_struct` (the part before the last `___` that has a
 * non-underscore on both sides); names without a flavor are their own essential name.
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== "_" && name[i + 1] === "_" && name[i + 2] === "_" && name[i + 3] === "_" && name[i + 4] !== "_") return name.slice(0, i + 1);
  }
  return name;
}

/** Type by id, or a diagnostic naming the reference that pointed at a missing one. */
export function typeById(btf: Btf, id: number, context: string): BtfType {
  if (!Number.isInteger(id) || id < 0 || id >= btf.count) {
    throw new BpfkitError(diag("BK4007", { reason: `${context} refers to type #${id}, but there are ${btf.count - 1} types` }, { section: btf.name }));
  }
  return btf.type(id);
}

const isModifierKind = (k: number): boolean =>
  k === BTF_KIND.TYPEDEF || k === BTF_KIND.VOLATILE || k === BTF_KIND.CONST || k === BTF_KIND.RESTRICT || k === BTF_KIND.TYPE_TAG;

/** Follow typedefs and qualifiers to the underlying type. */
export function skipModifiers(btf: Btf, id: number): BtfType {
  let t = typeById(btf, id, "a type reference");
  for (let guard = 0; guard < 64; guard++) {
    if (isModifierKind(t.kind)) t = typeById(btf, t.sizeOrType, `type #${t.id}`);
    else return t;
  }
  throw new BpfkitError(diag("BK4007", { reason: `type #${id}: modifier chain is too long or loops` }, { section: btf.name }));
}

/** Byte size of a type (as the kernel's btf_type_size resolution computes it); 0 when it has none. */
export function sizeOf(btf: Btf, id: number, depth = 0): number {
  if (depth > 64) throw new BpfkitError(diag("BK4007", { reason: `type #${id}: size resolution loops` }, { section: btf.name }));
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
 * libbpf's btf__resolve_size: the size of a type through modifiers, VARs and arrays; -1 where libbpf
 * fails (void, functions, forward declarations, loops, sizes past 32 bits).
 */
export function resolveSize(btf: Btf, id: number): number {
  let nelems = 1;
  let t: BtfType | undefined;
  for (let depth = 0; depth < 32; depth++) {
    if (!Number.isInteger(id) || id <= 0 || id >= btf.count) return -1;
    t = btf.type(id);
    switch (t.kind) {
      case BTF_KIND.INT: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM: case BTF_KIND.ENUM64:
      case BTF_KIND.DATASEC: case BTF_KIND.FLOAT: {
        const size = nelems * t.sizeOrType;
        return size > 0xffffffff ? -1 : size;
      }
      case BTF_KIND.PTR: return nelems * 8;
      case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT:
      case BTF_KIND.VAR: case BTF_KIND.DECL_TAG: case BTF_KIND.TYPE_TAG:
        id = t.sizeOrType;
        break;
      case BTF_KIND.ARRAY:
        if (nelems && t.array!.nelems > 0x7fffffff / nelems) return -1;
        nelems *= t.array!.nelems;
        id = t.array!.type;
        break;
      default: return -1;
    }
  }
  return -1;
}

/** libbpf's btf__align_of for the kinds .kconfig externs use; 0 where it has no answer. */
export function alignOf(btf: Btf, id: number, depth = 0): number {
  if (depth > 32 || id <= 0 || id >= btf.count) return 0;
  const t = btf.type(id);
  switch (t.kind) {
    case BTF_KIND.INT: case BTF_KIND.ENUM: case BTF_KIND.ENUM64: case BTF_KIND.FLOAT: return Math.min(t.sizeOrType, 8);
    case BTF_KIND.PTR: return 8;
    case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT: case BTF_KIND.TYPE_TAG:
      return alignOf(btf, t.sizeOrType, depth + 1);
    case BTF_KIND.ARRAY: return alignOf(btf, t.array!.type, depth + 1);
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: {
      let max = 1;
      for (const m of t.members!) {
        const a = alignOf(btf, m.type, depth + 1);
        if (a <= 0) return 0;
        const bitOff = t.kflag ? m.offset & 0xffffff : m.offset;
        // a member off its natural alignment means the struct is packed
        if (bitOff % (8 * a) !== 0) return 1;
        max = Math.max(max, a);
      }
      return max;
    }
    default: return 0;
  }
}

/** Bit offset and bitfield size of member `i` (kind_flag encodes the size in the top 8 bits). */
export function memberBits(t: BtfType, i: number): { bitOffset: number; bitSize: number } {
  const m = t.members![i]!;
  return t.kflag ? { bitOffset: m.offset & 0xffffff, bitSize: m.offset >>> 24 } : { bitOffset: m.offset, bitSize: 0 };
}

/** `struct task_struct`, `int`, `enum x`, `<anon struct>` ... for messages. */
export function describeType(btf: Btf, id: number): string {
  if (id === 0) return "void";
  if (id < 0 || id >= btf.count) return `type #${id}`;
  const t = btf.type(id);
  const kind = BTF_KIND_NAMES[t.kind] ?? `kind ${t.kind}`;
  const name = t.name || "<anon>";
  switch (t.kind) {
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM: case BTF_KIND.ENUM64: case BTF_KIND.FWD:
      return `${t.kind === BTF_KIND.ENUM64 ? "enum" : kind} ${name}`;
    case BTF_KIND.INT: case BTF_KIND.FLOAT: case BTF_KIND.TYPEDEF: return name;
    case BTF_KIND.PTR: return `${describeType(btf, t.sizeOrType)} *`;
    default: return t.name ? `${kind} ${t.name}` : kind;
  }
}

/**
 * Fill in what the compiler leaves to the loader, as libbpf does before BTF_LOAD: every DATASEC gets the
 * size of its ELF section and each VAR the value of its symbol; secinfos are sorted by offset. DATASECs of
 * sections that do not exist (`.ksyms`, `.kconfig`) are left alone (the extern pass lays them out).
 */
export function patchDatasecs(btf: Btf, sectionSize: (name: string) => number | undefined, symbolOffset: (section: string, name: string) => number | undefined): void {
  const view = new DataView(btf.raw.buffer, btf.raw.byteOffset, btf.raw.byteLength);
  for (let id = btf.startId; id < btf.count; id++) {
    const t = btf.type(id);
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
  private add(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[], kflag = false): number {
    this.typeWords.push(this.str(name), ((kflag ? 1 : 0) << 31) | ((kind & 0x1f) << 24) | (vlen & 0xffff), sizeOrType, ...extra);
    return ++this.count;
  }
  int(name: string, size: number, signed = false, encoding?: number): number {
    return this.add(name, BTF_KIND.INT, 0, size, [((encoding ?? (signed ? BTF_INT.SIGNED : 0)) << 24) | (size * 8)]);
  }
  ptr(type: number): number { return this.add("", BTF_KIND.PTR, 0, type, []); }
  array(type: number, indexType: number, nelems: number): number { return this.add("", BTF_KIND.ARRAY, 0, 0, [type, indexType, nelems]); }
  struct(name: string, size: number, members: { name: string; type: number; bitOffset: number; bitSize?: number }[], union = false): number {
    const kflag = members.some((m) => m.bitSize);
    return this.add(name, union ? BTF_KIND.UNION : BTF_KIND.STRUCT, members.length, size,
      members.flatMap((m) => [this.str(m.name), m.type, kflag ? ((m.bitSize ?? 0) << 24) | m.bitOffset : m.bitOffset]), kflag);
  }
  enumeration(name: string, size: number, values: { name: string; value: number }[], signed = false): number {
    return this.add(name, BTF_KIND.ENUM, values.length, size, values.flatMap((v) => [this.str(v.name), v.value >>> 0]), signed);
  }
  enum64(name: string, size: number, values: { name: string; value: bigint }[], signed = false): number {
    return this.add(name, BTF_KIND.ENUM64, values.length, size, values.flatMap((v) => {
      const u = BigInt.asUintN(64, v.value);
      return [this.str(v.name), Number(u & 0xffffffffn), Number(u >> 32n)];
    }), signed);
  }
  float(name: string, size: number): number { return this.add(name, BTF_KIND.FLOAT, 0, size, []); }
  typedef(name: string, type: number): number { return this.add(name, BTF_KIND.TYPEDEF, 0, type, []); }
  modifier(kind: "const" | "volatile" | "restrict", type: number): number {
    return this.add("", kind === "const" ? BTF_KIND.CONST : kind === "volatile" ? BTF_KIND.VOLATILE : BTF_KIND.RESTRICT, 0, type, []);
  }
  fwd(name: string, union = false): number { return this.add(name, BTF_KIND.FWD, 0, 0, [], union); }
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
