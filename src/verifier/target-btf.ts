// The target BTF as the verifier reads it (the running kernel's vmlinux BTF, or a bundled one): kfunc and
// attach-target prototypes, struct layouts for BTF-typed pointers (btf_struct_walk, btf_struct_access,
// btf_struct_ids_match), parameter names and suffixes (`__sz`, `__k`, `__ign`, ...), decl tags, and the
// kernel's `<type>__safe_rcu` / `__safe_trusted` allow-list types. Indexes are built once per BTF object.
import { BTF_KIND, type Btf, type BtfType } from "../btf/btf.js";

interface Index {
  /** First FUNC / STRUCT / UNION / TYPEDEF... of each name, by kind. */
  byKindName: Map<string, number>;
  /** decl tags by (target id, component index -1 for the type itself). */
  declTags: Map<number, { component: number; value: string }[]>;
}

const indexes = new WeakMap<Btf, Index>();

function index(btf: Btf): Index {
  let ix = indexes.get(btf);
  if (ix) return ix;
  ix = { byKindName: new Map(), declTags: new Map() };
  for (const t of btf.types) {
    if (t.name) {
      const key = `${t.kind}:${t.name}`;
      if (!ix.byKindName.has(key)) ix.byKindName.set(key, t.id);
    }
    if (t.kind === BTF_KIND.DECL_TAG) {
      const list = ix.declTags.get(t.sizeOrType) ?? [];
      list.push({ component: t.componentIdx ?? -1, value: t.name });
      ix.declTags.set(t.sizeOrType, list);
    }
  }
  indexes.set(btf, ix);
  return ix;
}

/** A BTF reader with its own name index (a lazily decoded vmlinux BTF has one): used instead of a full scan. */
interface IndexedBtf { findByNameKind?: (name: string, kind: number) => number; idsByEssentialName?: (name: string) => readonly number[] }

/** btf_find_by_name_kind: the id of the first type of this kind and name, or -1. */
export function findByNameKind(btf: Btf, name: string, kind: number): number {
  const own = (btf as IndexedBtf).findByNameKind;
  if (typeof own === "function") return own.call(btf, name, kind);
  return index(btf).byKindName.get(`${kind}:${name}`) ?? -1;
}

/** Decl tags (`__attribute__((btf_decl_tag(...)))`) on a FUNC (component -1) or its parameters (0..). */
export function declTags(btf: Btf, id: number, component: number): string[] {
  return (index(btf).declTags.get(id) ?? []).filter((d) => d.component === component).map((d) => d.value);
}

export const typeAt = (btf: Btf, id: number): BtfType | undefined => btf.types[id];

const MODIFIERS: readonly number[] = [BTF_KIND.TYPEDEF, BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG];
export const isModifier = (t: BtfType | undefined): boolean => !!t && MODIFIERS.includes(t.kind);

/** btf_type_skip_modifiers with res_id: the type behind typedefs/qualifiers/type tags and its id. */
export function skipMods(btf: Btf, id: number): { t: BtfType; id: number } {
  let t = btf.types[id] ?? btf.types[0]!;
  for (let guard = 0; guard < 64 && isModifier(t); guard++) { id = t.sizeOrType; t = btf.types[id] ?? btf.types[0]!; }
  return { t, id };
}

export const isStruct = (t: BtfType | undefined): boolean => !!t && (t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION);
export const isInt = (t: BtfType | undefined): boolean => !!t && t.kind === BTF_KIND.INT;
export const isPtr = (t: BtfType | undefined): boolean => !!t && t.kind === BTF_KIND.PTR;
export const isEnum = (t: BtfType | undefined): boolean => !!t && (t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64);
/** btf_type_is_scalar: int, enum or float... as the kernel counts it (ints and enums; floats too). */
export const isScalar = (t: BtfType | undefined): boolean => isInt(t) || isEnum(t) || (!!t && t.kind === BTF_KIND.FLOAT);
export const isVoid = (t: BtfType | undefined): boolean => !t || t.id === 0;

/** btf_type_str: the kind's name as the kernel prints it. */
export function kindStr(t: BtfType | undefined): string {
  if (!t || t.id === 0) return "UNKN";
  return ["UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "FUNC",
    "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64"][t.kind] ?? "UNKN";
}

/** The name of the type at `id` (btf_type_name), "" when anonymous. */
export const typeName = (btf: Btf, id: number): string => btf.types[id]?.name ?? "";

export interface ResolvedSize { t: BtfType; size: number; elemType: BtfType | undefined; elemId: number; nelems: number; id: number }

/** __btf_resolve_size: size of a type (arrays multiplied out), the array's element type; undefined for a type without size. */
export function resolveSize(btf: Btf, id: number): ResolvedSize | undefined {
  let t = btf.types[id];
  let arrayType: BtfType | undefined;
  let lastArray: BtfType | undefined;
  let nelems = 1;
  let tid = id;
  for (let i = 0; i < 32 && t; i++) {
    switch (t.kind) {
      case BTF_KIND.INT: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM: case BTF_KIND.FLOAT: case BTF_KIND.ENUM64:
        return { t: arrayType ?? t, size: nelems * t.sizeOrType, elemType: t, elemId: lastArray ? lastArray.array!.type : 0, nelems, id: tid };
      case BTF_KIND.PTR:
        return { t: arrayType ?? t, size: nelems * 8, elemType: t, elemId: lastArray ? lastArray.array!.type : 0, nelems, id: tid };
      case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT: case BTF_KIND.TYPE_TAG:
        tid = t.sizeOrType;
        t = btf.types[t.sizeOrType];
        break;
      case BTF_KIND.ARRAY:
        arrayType ??= t;
        lastArray = t;
        nelems *= t.array!.nelems;
        t = btf.types[t.array!.type];
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** The bit offset and bitfield size of a member (kind_flag structs pack both into `offset`). */
function memberBits(t: BtfType, m: { offset: number }): { bitOff: number; bitSize: number } {
  return t.kflag ? { bitOff: m.offset & 0xffffff, bitSize: m.offset >>> 24 } : { bitOff: m.offset, bitSize: 0 };
}

export type WalkResult =
  | { kind: "scalar" }
  | { kind: "ptr"; id: number; fieldName: string; untrusted: boolean; tag: "" | "user" | "percpu" | "rcu" }
  | { kind: "struct"; id: number; untrusted: boolean }
  | { kind: "error"; message: string };

/** btf_struct_walk: what lies at [off, off+size) of the struct `id` (one level; nested structs returned as "struct"). */
export function structWalk(btf: Btf, id: number, off: number, size: number, walkFlexArrays: boolean, untrustedIn: boolean): WalkResult {
  let untrusted = untrustedIn;
  let t = btf.types[id]!;
  for (let depth = 0; depth < 32; depth++) {
    if (isModifier(t)) t = skipMods(btf, t.sizeOrType).t;
    const tname = t.name;
    if (!isStruct(t)) return { kind: "error", message: `Type '${tname}' is not a struct` };
    const members = t.members ?? [];
    if (t.kind === BTF_KIND.UNION && members.length !== 1 && !untrusted) untrusted = true;
    if (off + size > t.sizeOrType) {
      const err = (): WalkResult => ({ kind: "error", message: `access beyond struct ${tname} at off ${off >>> 0} size ${size}` });
      if (!walkFlexArrays || members.length === 0) return err();
      const last = members[members.length - 1]!;
      const mt = skipMods(btf, last.type).t;
      if (mt.kind !== BTF_KIND.ARRAY || mt.array!.nelems !== 0) return err();
      const moff = memberBits(t, last).bitOff / 8;
      if (off < moff) return err();
      const et = skipMods(btf, mt.array!.type).t;
      if (isInt(et)) return { kind: "scalar" };
      if (!isStruct(et) || !et.sizeOrType) return err();
      off = (off - moff) % et.sizeOrType;
      t = et;
      continue;
    }
    let next: BtfType | undefined;
    for (const m of members) {
      const { bitOff, bitSize } = memberBits(t, m);
      let moff = bitOff / 8;
      if (off + size <= moff) break;
      if (bitSize) {
        const endBit = bitOff + bitSize;
        if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: "scalar" };
        continue;
      }
      if (off < moff) break;
      const r = resolveSize(btf, m.type);
      if (!r) return { kind: "error", message: `field ${m.name} doesn't have size` };
      let msize = r.size;
      let mtype = r.t;
      // __btf_resolve_size moves the member's id past its modifiers (not past arrays)
      let mid = r.id;
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      if (mtype.kind === BTF_KIND.ARRAY) {
        if (moff === mtrueEnd) continue;
        msize = msize / r.nelems;
        const elemIdx = Math.floor((off - moff) / msize);
        moff += elemIdx * msize;
        mtype = r.elemType!;
        mid = r.elemId;
      }
      if (isStruct(mtype)) {
        if (off === moff) return { kind: "struct", id: mid, untrusted };
        off -= moff;
        next = mtype;
        break;
      }
      if (isPtr(mtype)) {
        if (msize !== size || off !== moff) {
          return { kind: "error", message: `cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}` };
        }
        const pointee = btf.types[mtype.sizeOrType];
        let tag: "" | "user" | "percpu" | "rcu" = "";
        if (pointee?.kind === BTF_KIND.TYPE_TAG && (pointee.name === "user" || pointee.name === "percpu" || pointee.name === "rcu")) tag = pointee.name;
        const s = skipMods(btf, mtype.sizeOrType);
        if (isStruct(s.t)) return { kind: "ptr", id: s.id, fieldName: m.name, untrusted, tag };
      }
      if (off + size > mtrueEnd && !untrusted) {
        return { kind: "error", message: `access beyond the end of member ${m.name} (mend:${mtrueEnd}) in struct ${tname} with off ${off} size ${size}` };
      }
      return { kind: "scalar" };
    }
    if (next) { t = next; continue; }
    return { kind: "error", message: `struct ${tname} doesn't have field at offset ${off}` };
  }
  return { kind: "error", message: `struct ${t.name} is nested too deeply` };
}

/** btf_struct_access's walk: through nested structs to a scalar or a pointer member. */
export function structAccess(btf: Btf, id: number, off: number, size: number, walkFlexArrays: boolean, untrustedIn: boolean):
  { kind: "scalar" } | { kind: "ptr"; id: number; fieldName: string; untrusted: boolean; tag: string } | { kind: "error"; message: string } {
  let cur = id;
  let untrusted = untrustedIn;
  for (let i = 0; i < 32; i++) {
    const r = structWalk(btf, cur, off, size, walkFlexArrays, untrusted);
    if (r.kind === "struct") { cur = r.id; off = 0; untrusted = r.untrusted; continue; }
    return r;
  }
  return { kind: "error", message: "nested too deeply" };
}

/** btf_struct_ids_match: the type at `off` of struct `id` is `needId` (or, unless strict, a struct nested at its start). */
export function structIdsMatch(btf: Btf, id: number, off: number, needId: number, strict: boolean, walkFlexArrays: boolean): boolean {
  if (off === 0 && id === needId) return true;
  if (strict) return false;
  let cur = id;
  for (let i = 0; i < 32; i++) {
    const r = structWalk(btf, cur, off, 1, walkFlexArrays, false);
    if (r.kind !== "struct") return false;
    if (r.id === needId) return true;
    cur = r.id;
    off = 0;
  }
  return false;
}

/**
 * btf_nested_type_is_trusted: `field` of the struct `structId` (pointing to `targetId`) is listed in the
 * kernel's `<struct><suffix>` allow-list type (task_struct__safe_rcu, ...), which vmlinux BTF carries.
 */
export function nestedTypeIsTrusted(btf: Btf, structId: number, field: string, targetId: number, suffix: string): boolean {
  const walk = btf.types[structId];
  if (!walk) return false;
  const safeId = findByNameKind(btf, `${walk.name}${suffix}`, walk.kind);
  if (safeId < 0) return false;
  for (const m of btf.types[safeId]!.members ?? []) {
    const mt = btf.types[m.type];
    if (!isPtr(mt)) continue;
    if (skipMods(btf, mt!.sizeOrType).id === targetId && m.name === field) return true;
  }
  return false;
}

/** A FUNC's FUNC_PROTO (undefined when the id is not a function with a prototype). */
export function funcProto(btf: Btf, funcId: number): { fn: BtfType; proto: BtfType } | undefined {
  const fn = btf.types[funcId];
  if (!fn || fn.kind !== BTF_KIND.FUNC) return undefined;
  const proto = btf.types[fn.sizeOrType];
  if (!proto || proto.kind !== BTF_KIND.FUNC_PROTO) return undefined;
  return { fn, proto };
}

/** btf_param_match_suffix: the parameter's name ends in `suffix` (and is longer than it). */
export const paramHasSuffix = (name: string, suffix: string): boolean => name.length > suffix.length && name.endsWith(suffix);

/**
 * The program type's context as struct bpf_ctx_convert in vmlinux BTF lists it (find_canonical_prog_ctx_type
 * for `prog`, the kernel-side type for `kern`), by the type's name (`sched_cls`).
 */
export function progCtxType(btf: Btf, progTypeName: string, which: "prog" | "kern"): BtfType | undefined {
  const id = findByNameKind(btf, "bpf_ctx_convert", BTF_KIND.STRUCT);
  if (id < 0) return undefined;
  const want = `BPF_PROG_TYPE_${progTypeName.toUpperCase()}_${which}`;
  const m = btf.types[id]!.members?.find((x) => x.name === want);
  return m ? btf.types[m.type] : undefined;
}

/** bpf_core_essential_name_len: a name without its `___flavor` suffix. */
export const essentialName = (name: string): string => {
  const i = name.indexOf("___");
  return i > 0 ? name.slice(0, i) : name;
};

/** The target types of the same kind whose essential name is `name`'s (bpf_core_find_cands). */
export function coreCandidates(btf: Btf, name: string, kind: number): number[] {
  const want = essentialName(name);
  const own = (btf as IndexedBtf).idsByEssentialName;
  if (typeof own === "function") return own.call(btf, want).filter((id) => btf.types[id]?.kind === kind);
  const out: number[] = [];
  for (const t of btf.types) if (t.kind === kind && t.name && essentialName(t.name) === want) out.push(t.id);
  return out;
}
