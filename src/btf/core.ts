// CO-RE ("compile once, run everywhere") relocation, computed the way libbpf computes it (relo_core.c and
// the candidate search in libbpf.c, 1.5): a relocation names a local type and an access string
// ("0:1:2" = first element, member 1, member 2); its value is recomputed against a target BTF by finding
// the target types with the same essential name (`___flavor` suffixes stripped), matching the access
// field by field (by member name, through anonymous members, with libbpf's compatibility rules), and,
// when several candidates match, insisting that they agree. This file computes values; patching the
// instruction is the ELF loader's job (src/elf/core-patch.ts), since only it knows instructions.
//
// Results mirror libbpf's: a value for the instruction, or "poison" (libbpf turns the instruction into
// `call 0xbad2310` so the verifier rejects it only if it is reachable), or an error (libbpf refuses to
// load the object). Each carries the reason in words, so `inspect` and `verify --explain` can say which
// field of which type the target lacks.
import { BTF_KIND, BTF_KIND_NAMES, BTF_INT, type Btf, type BtfType, essentialName, memberBits, resolveSize } from "./btf.js";

export const CORE_KIND = {
  FIELD_BYTE_OFFSET: 0, FIELD_BYTE_SIZE: 1, FIELD_EXISTS: 2, FIELD_SIGNED: 3, FIELD_LSHIFT_U64: 4, FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9, ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12,
} as const;

/** libbpf's short names (core_relo_kind_str), as its debug log and our `inspect` print them. */
export const CORE_KIND_NAMES = ["byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id",
  "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches"] as const;

export const coreKindName = (kind: number): string => CORE_KIND_NAMES[kind] ?? `unknown(${kind})`;
const isFieldKind = (k: number): boolean => k <= CORE_KIND.FIELD_RSHIFT_U64;
const isTypeKind = (k: number): boolean => k === CORE_KIND.TYPE_ID_LOCAL || k === CORE_KIND.TYPE_ID_TARGET || k === CORE_KIND.TYPE_EXISTS || k === CORE_KIND.TYPE_MATCHES || k === CORE_KIND.TYPE_SIZE;
const isEnumvalKind = (k: number): boolean => k === CORE_KIND.ENUMVAL_EXISTS || k === CORE_KIND.ENUMVAL_VALUE;

const SPEC_MAX_LEN = 64;

/** One CO-RE relocation record (.BTF.ext core_relo). */
export interface CoreRelo { insnOff: number; typeId: number; accessStr: string; kind: number }

interface Accessor { typeId: number; idx: number; name?: string }

/** libbpf's bpf_core_spec: high-level accessors (named fields, array indexes), the raw access path, the bit offset. */
export interface CoreSpec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  spec: Accessor[];
  raw: number[];
  bitOffset: number;
}

/** A relocation libbpf refuses (it fails the whole object load with this). */
export class CoreReloError extends Error {}

/** What a candidate search found: target types, in id order, pruned as relocations rule some out. */
export interface CoreCandidate { btf: Btf; id: number }

export interface CoreResult {
  origVal: bigint;
  newVal: bigint;
  poison: boolean;
  validate: boolean;
  failMemszAdjust: boolean;
  origSz: number;
  newSz: number;
  origTypeId: number;
  newTypeId: number;
}

export interface CoreResolution {
  res: CoreResult;
  local: CoreSpec;
  /** The matching target spec (absent when nothing matched, or for TYPE_ID_LOCAL). */
  target?: CoreSpec;
  /** Why nothing matched, when nothing did: "struct foo has no field 'bar' on the target", ... */
  missing?: string;
  /** Number of target candidates that matched. */
  matched: number;
}

// ---- type helpers (libbpf's skip_mods_and_typedefs and friends) ----

function typeOf(btf: Btf, id: number): BtfType | undefined {
  return Number.isInteger(id) && id >= 0 && id < btf.count ? btf.type(id) : undefined;
}

const isMod = (t: BtfType): boolean => t.kind === BTF_KIND.VOLATILE || t.kind === BTF_KIND.CONST || t.kind === BTF_KIND.RESTRICT || t.kind === BTF_KIND.TYPE_TAG;

/** Skip modifiers and typedefs: the type and its id, or undefined for a dangling id. */
function skipMods(btf: Btf, id: number): { t: BtfType; id: number } | undefined {
  let t = typeOf(btf, id);
  for (let guard = 0; t && guard < 256; guard++) {
    if (!isMod(t) && t.kind !== BTF_KIND.TYPEDEF) return { t, id };
    id = t.sizeOrType;
    t = typeOf(btf, id);
  }
  return undefined;
}

const isComposite = (t: BtfType): boolean => t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION;
const isAnyEnum = (t: BtfType): boolean => t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64;
const kindCompat = (a: BtfType, b: BtfType): boolean => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
const intOffset = (t: BtfType): number => t.intEncoding?.offset ?? 0;
const kindStr = (t: BtfType): string => (BTF_KIND_NAMES[t.kind] ?? "unknown").toUpperCase();

/** `struct foo`, `union <anon>`, `enum bar` for messages. */
export function typeLabel(btf: Btf, id: number): string {
  const t = typeOf(btf, id);
  if (!t) return `type #${id}`;
  if (id === 0) return "void";
  const kind = t.kind === BTF_KIND.ENUM64 ? "enum" : BTF_KIND_NAMES[t.kind] ?? "type";
  return `${kind} ${t.name || "<anon>"}`;
}

/** Raw enumerator value as libbpf reads it for ENUMVAL_VALUE: a 32-bit enum's __s32 sign-extended, an enum64's u64. */
function enumRaw(t: BtfType, idx: number): bigint {
  const v = t.enumValues![idx]!.value;
  return t.kind === BTF_KIND.ENUM ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : BigInt.asUintN(64, v);
}

// ---- spec parsing (bpf_core_parse_spec) ----

/** Turn a relocation's access string into a spec; throws CoreReloError as libbpf fails with -EINVAL. */
export function parseSpec(btf: Btf, relo: CoreRelo): CoreSpec {
  const bad = (why: string): never => { throw new CoreReloError(why); };
  const spec: CoreSpec = { btf, rootTypeId: relo.typeId, kind: relo.kind, spec: [], raw: [], bitOffset: 0 };
  const str = relo.accessStr;
  if (str === "" || str[0] === ":") bad(`access string '${str}' is empty or starts with ':'`);
  if (isTypeKind(relo.kind)) {
    if (str !== "0") bad(`a type relocation's access string must be "0", not '${str}'`);
    return spec;
  }
  // sscanf("%d") after an optional ':' — digits only, as clang writes them.
  let p = 0;
  while (p < str.length) {
    if (str[p] === ":") p++;
    const m = /^[+-]?\d+/.exec(str.slice(p));
    if (!m) bad(`access string '${str}' is not a list of numbers`);
    const v = Number(m![0]);
    if (v < 0 || v > 0x7fffffff) bad(`access string '${str}' has a negative or huge index`);
    if (spec.raw.length === SPEC_MAX_LEN) bad(`access string '${str}' is longer than ${SPEC_MAX_LEN} steps`);
    spec.raw.push(v);
    p += m![0].length;
  }
  if (spec.raw.length === 0) bad(`access string '${str}' is empty`);

  const root = skipMods(btf, relo.typeId);
  if (!root) bad(`local type #${relo.typeId} does not exist`);
  let id = root!.id;
  let t = root!.t;
  const first = spec.raw[0]!;
  spec.spec.push({ typeId: id, idx: first });

  if (isEnumvalKind(relo.kind)) {
    if (!isAnyEnum(t) || spec.raw.length > 1 || first >= t.vlen) bad(`enum value access '${str}' does not name an enumerator of ${typeLabel(btf, relo.typeId)}`);
    spec.spec[0]!.name = t.enumValues![first]!.name;
    return spec;
  }
  if (!isFieldKind(relo.kind)) bad(`unknown relocation kind ${relo.kind}`);

  let sz = resolveSize(btf, id);
  if (sz < 0) bad(`cannot size ${typeLabel(btf, id)}`);
  spec.bitOffset = (first * sz * 8) >>> 0;
  for (let i = 1; i < spec.raw.length; i++) {
    const s = skipMods(btf, id);
    if (!s) bad(`type #${id} does not exist`);
    ({ t, id } = s!);
    const idx = spec.raw[i]!;
    if (isComposite(t)) {
      if (idx >= t.vlen) bad(`${typeLabel(btf, id)} has ${t.vlen} members, access '${str}' asks for member ${idx}`);
      spec.bitOffset = (spec.bitOffset + memberBits(t, idx).bitOffset) >>> 0;
      const m = t.members![idx]!;
      if (m.name) spec.spec.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === BTF_KIND.ARRAY) {
      const a = t.array!;
      const elem = skipMods(btf, a.type);
      if (!elem) bad(`array element type #${a.type} does not exist`);
      id = elem!.id;
      const flex = isFlexArray(btf, spec.spec[spec.spec.length - 1]!, a.nelems);
      if (!flex && idx >= a.nelems) bad(`index ${idx} is past the ${a.nelems} elements of the array`);
      spec.spec.push({ typeId: id, idx });
      sz = resolveSize(btf, id);
      if (sz < 0) bad(`cannot size ${typeLabel(btf, id)}`);
      spec.bitOffset = (spec.bitOffset + idx * sz * 8) >>> 0;
    } else {
      bad(`access '${str}' step ${i} goes into ${kindStr(t)} [${id}], which has no members or elements`);
    }
  }
  return spec;
}

/** A zero-length array that is the last member of the struct holding it (libbpf's is_flex_arr). */
function isFlexArray(btf: Btf, parent: Accessor, nelems: number): boolean {
  if (!parent.name || nelems > 0) return false;
  const t = typeOf(btf, parent.typeId)!;
  return parent.idx === t.vlen - 1;
}

// ---- compatibility (bpf_core_types_are_compat, bpf_core_fields_are_compat, bpf_core_types_match) ----

/** Type relocations: 1 compatible, 0 not, -1 error. Root names were already matched by the caller. */
export function typesAreCompat(lb: Btf, lid: number, tb: Btf, tid: number, level = 32): number {
  let lt = typeOf(lb, lid), tt = typeOf(tb, tid);
  if (!lt || !tt) return -1;
  if (!kindCompat(lt, tt)) return 0;
  for (let depth = 32; ; ) {
    if (--depth < 0) return -1;
    const l = skipMods(lb, lid), r = skipMods(tb, tid);
    if (!l || !r) return -1;
    ({ t: lt, id: lid } = l); ({ t: tt, id: tid } = r);
    if (!kindCompat(lt!, tt!)) return 0;
    switch (lt!.kind) {
      case BTF_KIND.UNKN: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM: case BTF_KIND.FWD: case BTF_KIND.ENUM64:
        return 1;
      case BTF_KIND.INT:
        return intOffset(lt!) === 0 && intOffset(tt!) === 0 ? 1 : 0;
      case BTF_KIND.PTR:
        lid = lt!.sizeOrType; tid = tt!.sizeOrType;
        continue;
      case BTF_KIND.ARRAY:
        lid = lt!.array!.type; tid = tt!.array!.type;
        continue;
      case BTF_KIND.FUNC_PROTO: {
        if (lt!.vlen !== tt!.vlen) return 0;
        for (let i = 0; i < lt!.vlen; i++) {
          if (level <= 0) return -1;
          const lp = skipMods(lb, lt!.params![i]!.type), tp = skipMods(tb, tt!.params![i]!.type);
          if (!lp || !tp) return -1;
          const r2 = typesAreCompat(lb, lp.id, tb, tp.id, level - 1);
          if (r2 <= 0) return r2;
        }
        const lr = skipMods(lb, lt!.sizeOrType), tr = skipMods(tb, tt!.sizeOrType);
        if (!lr || !tr) return -1;
        lid = lr.id; tid = tr.id;
        continue;
      }
      default:
        return 0;
    }
  }
}

function namesEssentiallyEqual(a: string, b: string): boolean {
  return essentialName(a) === essentialName(b);
}

/** Field relocations: 1 compatible, 0 not, -1 error. */
function fieldsAreCompat(lb: Btf, lid: number, tb: Btf, tid: number): number {
  for (let guard = 0; guard < 256; guard++) {
    const l = skipMods(lb, lid), r = skipMods(tb, tid);
    if (!l || !r) return -1;
    const lt = l.t, tt = r.t;
    if (isComposite(lt) && isComposite(tt)) return 1;
    if (!kindCompat(lt, tt)) return 0;
    switch (lt.kind) {
      case BTF_KIND.PTR: case BTF_KIND.FLOAT: return 1;
      case BTF_KIND.FWD: case BTF_KIND.ENUM64: case BTF_KIND.ENUM: {
        const ln = essentialName(lt.name), tn = essentialName(tt.name);
        return ln.length === 0 || tn.length === 0 || ln === tn ? 1 : 0;
      }
      case BTF_KIND.INT: return intOffset(lt) === 0 && intOffset(tt) === 0 ? 1 : 0;
      case BTF_KIND.ARRAY:
        lid = lt.array!.type; tid = tt.array!.type;
        continue;
      default: return 0;
    }
  }
  return -1;
}

/** bpf_core_names_match: an anonymous target matches only an anonymous local; else essential names equal. */
function namesMatch(local: string, targ: string): boolean {
  if (targ === "") return local === "";
  return namesEssentiallyEqual(local, targ);
}

/** TYPE_MATCHES (bpf_core_types_match): 1 match, 0 not, -1 error. */
export function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr = false, level = 32): number {
  if (level <= 0) return -1;
  for (let depth = 32; ; ) {
    if (--depth < 0) return -1;
    const l = skipMods(lb, lid), r = skipMods(tb, tid);
    if (!l || !r) return -1;
    const lt = l.t, tt = r.t;
    lid = l.id; tid = r.id;
    if (!namesMatch(lt.name, tt.name)) return 0;
    const lk = lt.kind, tk = tt.kind;
    switch (lk) {
      case BTF_KIND.UNKN: return lk === tk ? 1 : 0;
      case BTF_KIND.FWD:
        if (behindPtr) {
          if (lk === tk) return lt.kflag === tt.kflag ? 1 : 0;
          return (tk === BTF_KIND.STRUCT && !lt.kflag) || (tk === BTF_KIND.UNION && lt.kflag) ? 1 : 0;
        }
        if (lk !== tk) return 0;
        return lt.kflag === tt.kflag ? 1 : 0;
      case BTF_KIND.ENUM: case BTF_KIND.ENUM64:
        if (!isAnyEnum(tt)) return 0;
        return enumsMatch(lt, tt);
      case BTF_KIND.STRUCT: case BTF_KIND.UNION:
        if (behindPtr) {
          if (lk === tk) return 1;
          if (tk !== BTF_KIND.FWD) return 0;
          return (lk === BTF_KIND.UNION) === tt.kflag ? 1 : 0;
        }
        if (lk !== tk) return 0;
        return compositesMatch(lb, lt, tb, tt, behindPtr, level);
      case BTF_KIND.INT: {
        if (lk !== tk) return 0;
        const ls = (lt.intEncoding!.encoding & BTF_INT.SIGNED) !== 0, ts = (tt.intEncoding!.encoding & BTF_INT.SIGNED) !== 0;
        return lt.sizeOrType === tt.sizeOrType && ls === ts ? 1 : 0;
      }
      case BTF_KIND.PTR:
        if (lk !== tk) return 0;
        behindPtr = true;
        lid = lt.sizeOrType; tid = tt.sizeOrType;
        continue;
      case BTF_KIND.ARRAY:
        if (lk !== tk) return 0;
        if (lt.array!.nelems !== tt.array!.nelems) return 0;
        lid = lt.array!.type; tid = tt.array!.type;
        continue;
      case BTF_KIND.FUNC_PROTO: {
        if (lk !== tk) return 0;
        if (lt.vlen !== tt.vlen) return 0;
        for (let i = 0; i < lt.vlen; i++) {
          const r2 = typesMatch(lb, lt.params![i]!.type, tb, tt.params![i]!.type, behindPtr, level - 1);
          if (r2 <= 0) return r2;
        }
        lid = lt.sizeOrType; tid = tt.sizeOrType;
        continue;
      }
      default:
        return 0;
    }
  }
}

function enumsMatch(lt: BtfType, tt: BtfType): number {
  if (lt.sizeOrType !== tt.sizeOrType) return 0;
  if (lt.vlen > tt.vlen) return 0;
  for (const lv of lt.enumValues!) if (!tt.enumValues!.some((tv) => namesMatch(lv.name, tv.name))) return 0;
  return 1;
}

function compositesMatch(lb: Btf, lt: BtfType, tb: Btf, tt: BtfType, behindPtr: boolean, level: number): number {
  if (lt.vlen > tt.vlen) return 0;
  for (const lm of lt.members!) {
    let matched = false;
    for (const tm of tt.members!) {
      if (!namesMatch(lm.name, tm.name)) continue;
      const r = typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1);
      if (r < 0) return r;
      if (r > 0) { matched = true; break; }
    }
    if (!matched) return 0;
  }
  return 1;
}

// ---- matching a local spec against one candidate (bpf_core_spec_match) ----

/** bpf_core_match_member: find the local named member in a target composite, through anonymous members. */
function matchMember(local: CoreSpec, acc: Accessor, tb: Btf, targId: number, spec: CoreSpec, next: { id: number }): number {
  const s = skipMods(tb, targId);
  if (!s) return -1;
  const { t: tt, id: tid } = s;
  if (!isComposite(tt)) return 0;
  const lt = local.btf.type(acc.typeId);
  const lm = lt.members![acc.idx]!;
  for (let i = 0; i < tt.vlen; i++) {
    const bits = memberBits(tt, i).bitOffset;
    if (spec.raw.length === SPEC_MAX_LEN) return -2;
    spec.bitOffset = (spec.bitOffset + bits) >>> 0;
    spec.raw.push(i);
    const m = tt.members![i]!;
    if (m.name === "") {
      const found = matchMember(local, acc, tb, m.type, spec, next);
      if (found) return found;
    } else if (m.name === lm.name) {
      spec.spec.push({ typeId: tid, idx: i, name: m.name });
      next.id = m.type;
      const found = fieldsAreCompat(local.btf, lm.type, tb, m.type);
      if (!found) spec.spec.pop();
      return found;
    }
    spec.bitOffset = (spec.bitOffset - bits) >>> 0;
    spec.raw.pop();
  }
  return 0;
}

/**
 * Match the local spec to one target candidate: 1 and the target spec, 0 and why not, <0 on error
 * (-2: nesting too deep).
 */
function specMatch(local: CoreSpec, tb: Btf, targId: number): { r: number; spec: CoreSpec; why?: string } {
  const spec: CoreSpec = { btf: tb, rootTypeId: targId, kind: local.kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeKind(local.kind)) {
    const r = local.kind === CORE_KIND.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, tb, targId)
      : typesAreCompat(local.btf, local.rootTypeId, tb, targId);
    return { r, spec, ...(r === 0 ? { why: `${typeLabel(tb, targId)} [${targId}] is not ${local.kind === CORE_KIND.TYPE_MATCHES ? "a match for" : "compatible with"} the local ${typeLabel(local.btf, local.rootTypeId)}` } : {}) };
  }
  if (isEnumvalKind(local.kind)) {
    const s = skipMods(tb, targId);
    if (!s) return { r: -1, spec };
    if (!isAnyEnum(s.t)) return { r: 0, spec, why: `${typeLabel(tb, targId)} is not an enum` };
    const want = essentialName(local.spec[0]!.name!);
    const i = s.t.enumValues!.findIndex((v) => essentialName(v.name) === want);
    if (i < 0) return { r: 0, spec, why: `${typeLabel(tb, s.id)} has no enumerator ${local.spec[0]!.name}` };
    spec.spec.push({ typeId: s.id, idx: i, name: s.t.enumValues![i]!.name });
    spec.raw.push(i);
    return { r: 1, spec };
  }
  if (!isFieldKind(local.kind)) return { r: -1, spec };

  let tid = targId;
  for (let i = 0; i < local.spec.length; i++) {
    const acc = local.spec[i]!;
    const s = skipMods(tb, tid);
    if (!s) return { r: -1, spec };
    tid = s.id;
    if (acc.name !== undefined) {
      const next = { id: tid };
      const container = typeLabel(tb, tid);
      const r = matchMember(local, acc, tb, tid, spec, next);
      if (r <= 0) {
        const lt = local.btf.type(acc.typeId);
        const why = r < 0 ? undefined : !isComposite(s.t)
          ? `${container} [${tid}] is not a struct or union (needed for field '${acc.name}')`
          : hasMemberNamed(tb, tid, acc.name)
            ? `field '${acc.name}' of ${container} [${tid}] has an incompatible type (local ${typeLabel(local.btf, lt.members![acc.idx]!.type)})`
            : `${container} [${tid}] has no field '${acc.name}'`;
        return { r, spec, ...(why ? { why } : {}) };
      }
      tid = next.id;
    } else {
      if (i > 0) {
        if (s.t.kind !== BTF_KIND.ARRAY) return { r: 0, spec, why: `${typeLabel(tb, tid)} [${tid}] is not an array (local index [${acc.idx}])` };
        const a = s.t.array!;
        const flex = isFlexArray(tb, spec.spec[spec.spec.length - 1]!, a.nelems);
        if (!flex && acc.idx >= a.nelems) return { r: 0, spec, why: `index [${acc.idx}] is past the ${a.nelems} elements of the target array` };
        const e = skipMods(tb, a.type);
        if (!e) return { r: -1, spec };
        tid = e.id;
      }
      if (spec.raw.length === SPEC_MAX_LEN) return { r: -2, spec };
      spec.spec.push({ typeId: tid, idx: acc.idx });
      spec.raw.push(acc.idx);
      const sz = resolveSize(tb, tid);
      if (sz < 0) return { r: -1, spec };
      spec.bitOffset = (spec.bitOffset + acc.idx * sz * 8) >>> 0;
    }
  }
  return { r: 1, spec };
}

/** Whether a composite (or an anonymous member inside it) has a member with this name. */
function hasMemberNamed(btf: Btf, id: number, name: string, depth = 0): boolean {
  const s = skipMods(btf, id);
  if (!s || !isComposite(s.t) || depth > 32) return false;
  return s.t.members!.some((m) => m.name === name || (m.name === "" && hasMemberNamed(btf, m.type, name, depth + 1)));
}

// ---- computing values (bpf_core_calc_*_relo) ----

interface FieldValue { val: bigint; fieldSz: number; typeId: number; validate: boolean }

/** -EUCLEAN in libbpf: the instruction is to be poisoned. */
const POISON = Symbol("poison");

function calcField(relo: CoreRelo, spec: CoreSpec | undefined): FieldValue | typeof POISON {
  const out: FieldValue = { val: 0n, fieldSz: 0, typeId: 0, validate: true };
  if (relo.kind === CORE_KIND.FIELD_EXISTS) { out.val = spec ? 1n : 0n; return out; }
  if (!spec) return POISON;
  const acc = spec.spec[spec.spec.length - 1]!;
  const t = spec.btf.type(acc.typeId);
  if (acc.name === undefined) {
    // an array element: only its offset and size can be relocated
    const sz = resolveSize(spec.btf, acc.typeId);
    if (sz < 0) throw new CoreReloError(`cannot size ${typeLabel(spec.btf, acc.typeId)}`);
    if (relo.kind === CORE_KIND.FIELD_BYTE_OFFSET) {
      out.val = BigInt(Math.floor(spec.bitOffset / 8));
      out.fieldSz = sz;
      out.typeId = acc.typeId;
    } else if (relo.kind === CORE_KIND.FIELD_BYTE_SIZE) {
      out.val = BigInt(sz);
    } else {
      throw new CoreReloError(`relocation ${coreKindName(relo.kind)} cannot be applied to an array element`);
    }
    return out;
  }
  const m = t.members![acc.idx]!;
  const mt = skipMods(spec.btf, m.type);
  if (!mt) throw new CoreReloError(`member type #${m.type} does not exist`);
  const bitOff = spec.bitOffset;
  let bitSz = memberBits(t, acc.idx).bitSize;
  const bitfield = bitSz > 0;
  let byteSz: number, byteOff: number;
  if (bitfield) {
    byteSz = mt.t.sizeOrType;
    byteOff = Math.floor(Math.floor(bitOff / 8) / byteSz) * byteSz;
    // the smallest load that holds the whole bitfield
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreReloError(`bitfield '${acc.name}' cannot be read with a 64-bit load`);
      byteSz *= 2;
      byteOff = Math.floor(Math.floor(bitOff / 8) / byteSz) * byteSz;
    }
  } else {
    const sz = resolveSize(spec.btf, mt.id);
    if (sz < 0) throw new CoreReloError(`cannot size the type of field '${acc.name}'`);
    byteSz = sz;
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  // bitfield offsets and sizes may legitimately differ from the compiler's, so only signedness and shifts are checked
  out.validate = !bitfield;
  switch (relo.kind) {
    case CORE_KIND.FIELD_BYTE_OFFSET:
      out.val = BigInt(byteOff);
      if (!bitfield) { out.fieldSz = byteSz; out.typeId = mt.id; }
      break;
    case CORE_KIND.FIELD_BYTE_SIZE:
      out.val = BigInt(byteSz);
      break;
    case CORE_KIND.FIELD_SIGNED:
      out.val = (isAnyEnum(mt.t) && mt.t.kflag) || (mt.t.kind === BTF_KIND.INT && (mt.t.intEncoding!.encoding & BTF_INT.SIGNED) !== 0) ? 1n : 0n;
      out.validate = true;
      break;
    case CORE_KIND.FIELD_LSHIFT_U64:
      out.val = BigInt.asUintN(64, BigInt(64 - (bitOff + bitSz - byteOff * 8)));
      break;
    case CORE_KIND.FIELD_RSHIFT_U64:
      out.val = BigInt.asUintN(64, BigInt(64 - bitSz));
      out.validate = true;
      break;
    default:
      throw new CoreReloError(`unrecognized CO-RE relocation ${coreKindName(relo.kind)} (${relo.kind})`);
  }
  return out;
}

function calcType(relo: CoreRelo, spec: CoreSpec | undefined): { val: bigint; validate: boolean } {
  if (!spec) return { val: 0n, validate: true };
  switch (relo.kind) {
    case CORE_KIND.TYPE_ID_TARGET: return { val: BigInt(spec.rootTypeId), validate: false };
    case CORE_KIND.TYPE_EXISTS: case CORE_KIND.TYPE_MATCHES: return { val: 1n, validate: true };
    case CORE_KIND.TYPE_SIZE: {
      const sz = resolveSize(spec.btf, spec.rootTypeId);
      if (sz < 0) throw new CoreReloError(`cannot size ${typeLabel(spec.btf, spec.rootTypeId)}`);
      return { val: BigInt(sz), validate: true };
    }
    default: throw new CoreReloError(`unrecognized CO-RE relocation ${coreKindName(relo.kind)} (${relo.kind})`);
  }
}

function calcEnumval(relo: CoreRelo, spec: CoreSpec | undefined): bigint | typeof POISON {
  if (relo.kind === CORE_KIND.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (relo.kind !== CORE_KIND.ENUMVAL_VALUE) throw new CoreReloError(`unrecognized CO-RE relocation ${coreKindName(relo.kind)} (${relo.kind})`);
  if (!spec) return POISON;
  const acc = spec.spec[0]!;
  return enumRaw(spec.btf.type(acc.typeId), acc.idx);
}

/** bpf_core_calc_relo: original (local) and new (target) values for one candidate, or for none. */
function calcRelo(relo: CoreRelo, local: CoreSpec, targ: CoreSpec | undefined): CoreResult {
  const res: CoreResult = { origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0 };
  if (isFieldKind(relo.kind)) {
    const o = calcField(relo, local);
    if (o === POISON) { res.poison = true; return res; }
    res.origVal = o.val; res.origSz = o.fieldSz; res.origTypeId = o.typeId; res.validate = o.validate;
    const n = calcField(relo, targ);
    if (n === POISON) { res.poison = true; return res; }
    res.newVal = n.val; res.newSz = n.fieldSz; res.newTypeId = n.typeId;
    if (res.origSz !== res.newSz) {
      // a load's size may change only for pointers and unsigned integers (zero extension keeps the value)
      const ot = local.btf.type(res.origTypeId), nt = targ!.btf.type(res.newTypeId);
      const unsignedInt = (t: BtfType) => t.kind === BTF_KIND.INT && t.intEncoding!.encoding !== BTF_INT.SIGNED;
      if (!(ot.kind === BTF_KIND.PTR && nt.kind === BTF_KIND.PTR) && !(unsignedInt(ot) && unsignedInt(nt))) res.failMemszAdjust = true;
    }
  } else if (isTypeKind(relo.kind)) {
    const o = calcType(relo, local);
    res.origVal = o.val; res.validate = o.validate;
    res.newVal = calcType(relo, targ).val;
  } else if (isEnumvalKind(relo.kind)) {
    const o = calcEnumval(relo, local);
    if (o === POISON) { res.poison = true; return res; }
    res.origVal = o;
    const n = calcEnumval(relo, targ);
    if (n === POISON) { res.poison = true; return res; }
    res.newVal = n;
  } else {
    throw new CoreReloError(`unrecognized CO-RE relocation ${coreKindName(relo.kind)} (${relo.kind})`);
  }
  return res;
}

// ---- candidates and the whole computation (bpf_core_find_cands, bpf_core_calc_relo_insn) ----

/** Target types whose kind is compatible and whose essential name equals the local type's, in id order. */
export function findCandidates(localBtf: Btf, localId: number, target: Btf): CoreCandidate[] {
  const lt = localBtf.type(localId);
  const essential = essentialName(lt.name);
  const out: CoreCandidate[] = [];
  for (const id of target.idsByEssentialName(essential)) {
    if (id < 1) continue;
    const t = target.type(id);
    if (t.name !== "" && kindCompat(t, lt)) out.push({ btf: target, id });
  }
  return out;
}

/**
 * Resolve one relocation against its (cached, mutable) candidate list, as libbpf does: candidates that do
 * not match are dropped from the list when at least one matches, so later relocations of the same local
 * type see only the survivors. Throws CoreReloError where libbpf fails the load.
 */
export function resolveCoreRelo(localBtf: Btf, relo: CoreRelo, cands: CoreCandidate[] | undefined): CoreResolution {
  const lt = typeOf(localBtf, relo.typeId);
  if (!lt) throw new CoreReloError(`local type #${relo.typeId} does not exist`);
  const local = parseSpec(localBtf, relo);
  if (relo.kind === CORE_KIND.TYPE_ID_LOCAL) {
    const id = BigInt(local.rootTypeId);
    return { res: { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0 }, local, matched: 0 };
  }
  if (lt.name === "") throw new CoreReloError(`<${coreKindName(relo.kind)}> relocation of an anonymous type is not supported (libbpf refuses it)`);
  const list = cands ?? [];
  let best: { res: CoreResult; spec: CoreSpec } | undefined;
  let kept = 0;
  const whys: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    const m = specMatch(local, c.btf, c.id);
    if (m.r < 0) throw new CoreReloError(`matching candidate ${typeLabel(c.btf, c.id)} [${c.id}] failed${m.r === -2 ? ": nesting too deep" : ""}`);
    if (m.r === 0) { if (m.why) whys.push(m.why); continue; }
    const res = calcRelo(relo, local, m.spec);
    if (!best) best = { res, spec: m.spec };
    else if (m.spec.bitOffset !== best.spec.bitOffset) {
      throw new CoreReloError(`field offset ambiguity: candidates ${typeLabel(c.btf, c.id)} [${c.id}] and [${best.spec.rootTypeId}] put the field at different offsets (${m.spec.bitOffset} != ${best.spec.bitOffset} bits)`);
    } else if (res.poison !== best.res.poison || res.newVal !== best.res.newVal) {
      throw new CoreReloError(`relocation decision ambiguity: candidates [${c.id}] and [${best.spec.rootTypeId}] give ${res.poison ? "failure" : res.newVal} and ${best.res.poison ? "failure" : best.res.newVal}`);
    }
    list[kept++] = c;
  }
  if (kept > 0) {
    list.length = kept;
    return { res: best!.res, local, target: best!.spec, matched: kept };
  }
  const res = calcRelo(relo, local, undefined);
  const missing = list.length === 0
    ? `the target has no ${typeLabel(localBtf, relo.typeId).replace(/ .*/, "")} named ${essentialName(lt.name)}`
    : unique(whys).join("; ") || `no candidate of ${typeLabel(localBtf, relo.typeId)} matches`;
  return { res, local, matched: 0, missing };
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/**
 * libbpf's spec print (bpf_core_format_spec), without the kind prefix: `[12] struct foo.bar[3].baz
 * (0:1:3:2 @ offset 20)`, `[5] enum e::V = 2`, `[7] struct foo`.
 */
export function formatSpec(spec: CoreSpec): string {
  const t = typeOf(spec.btf, spec.rootTypeId);
  let out = `[${spec.rootTypeId}] ${t ? kindStr(t).toLowerCase() : "?"} ${t?.name || "<anon>"}`;
  if (isTypeKind(spec.kind)) return out;
  if (isEnumvalKind(spec.kind)) {
    const s = skipMods(spec.btf, spec.rootTypeId);
    const idx = spec.raw[0] ?? spec.spec[0]?.idx ?? 0;
    const e = s?.t.enumValues?.[idx];
    if (e) out += `::${e.name} = ${e.value}`;
    return out;
  }
  out += accessPath(spec);
  out += ` (${spec.raw.join(":")} @ offset ${Math.floor(spec.bitOffset / 8)}${spec.bitOffset % 8 ? `.${spec.bitOffset % 8}` : ""})`;
  return out;
}

/** The C view of a field spec's access: `.a[3].b` (libbpf prints `[i]` for the first index only when non-zero). */
export function accessPath(spec: CoreSpec): string {
  let out = "";
  spec.spec.forEach((a, i) => {
    if (a.name !== undefined) out += `.${a.name}`;
    else if (i > 0 || a.idx > 0) out += `[${a.idx}]`;
  });
  return out;
}
