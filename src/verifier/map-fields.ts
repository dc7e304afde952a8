// Special fields of map values (btf_parse_fields): where a map's value holds a struct bpf_spin_lock or a
// struct bpf_timer, found from the object's BTF (the value type of a BTF-defined map). The verifier needs
// them for bpf_spin_lock/unlock, the "cannot be accessed directly" rule and the per-type restrictions.
import { BTF_KIND, parseBtf, sizeOf, skipModifiers, type Btf } from "../btf/btf.js";
import type { MapSpec } from "../program/program.js";

export interface MapFields {
  /** Byte offset of the struct bpf_spin_lock in the value, or -1. */
  spinLock: number;
  /** Byte offset of the struct bpf_timer, or -1. */
  timer: number;
  /** kptr fields (`__kptr`, `__kptr_untrusted`, `__percpu_kptr` pointers), in nested structs, arrays and global variables too. */
  kptrs?: KptrField[];
}

/** A kptr in a map value: where, which kind, and the struct it points to (by name, and its id in the program's BTF). */
export interface KptrField { off: number; kind: "ref" | "unref" | "percpu"; name: string; localId: number }

/** The most special fields (kptrs, locks, ...) a map value may have (include/linux/bpf.h). */
const BTF_FIELDS_MAX = 11;

const KPTR_TAGS: Record<string, KptrField["kind"]> = { kptr: "ref", kptr_untrusted: "unref", percpu_kptr: "percpu" };

/** btf_parse_fields for kptrs: every tagged pointer in the value type, at its byte offset. */
function findKptrs(btf: Btf, typeId: number, base: number, out: KptrField[], depth: number): void {
  if (depth > 8 || out.length > 64) return;
  const t = skipModifiers(btf, typeId);
  if (t.kind === BTF_KIND.DATASEC) {
    for (const si of t.secinfos ?? []) findKptrs(btf, btf.types[si.type]!.sizeOrType, base + si.offset, out, depth + 1);
    return;
  }
  if (t.kind === BTF_KIND.ARRAY) {
    const elem = sizeOfSafe(btf, t.array!.type);
    if (!elem) return;
    // one element's fields, repeated per element (a value of `char buf[1 << 20]` has none: not walked 2^20 times)
    const one: KptrField[] = [];
    findKptrs(btf, t.array!.type, 0, one, depth + 1);
    if (!one.length) return;
    for (let i = 0; i < t.array!.nelems && out.length <= 64; i++) for (const k of one) out.push({ ...k, off: base + i * elem + k.off });
    return;
  }
  if (t.kind === BTF_KIND.PTR) {
    const tag = btf.types[t.sizeOrType];
    const kind = tag?.kind === BTF_KIND.TYPE_TAG ? KPTR_TAGS[tag.name] : undefined;
    if (kind) {
      const pointee = skipModifiers(btf, tag!.sizeOrType);
      out.push({ off: base, kind, name: pointee.name, localId: pointee.id });
    }
    return;
  }
  if (t.kind !== BTF_KIND.STRUCT && t.kind !== BTF_KIND.UNION) return;
  for (const m of t.members ?? []) findKptrs(btf, m.type, base + (t.kflag ? m.offset & 0xffffff : m.offset) / 8, out, depth + 1);
}

function sizeOfSafe(btf: Btf, id: number): number {
  try { return sizeOf(btf, id); } catch { return 0; }
}

const SIZES: Record<string, number> = { bpf_spin_lock: 4, bpf_timer: 16 };
export const fieldSize = (name: "spinLock" | "timer"): number => (name === "spinLock" ? SIZES.bpf_spin_lock! : SIZES.bpf_timer!);

function find(btf: Btf, typeId: number, name: string, base: number, depth: number): number {
  if (depth > 8) return -1;
  const t = skipModifiers(btf, typeId);
  // a global data section (.data.A, .bss): its variables, as btf_find_datasec_var walks them
  if (t.kind === BTF_KIND.DATASEC) {
    for (const si of t.secinfos ?? []) {
      const r = find(btf, btf.types[si.type]!.sizeOrType, name, base + si.offset, depth + 1);
      if (r >= 0) return r;
    }
    return -1;
  }
  if (t.kind !== BTF_KIND.STRUCT && t.kind !== BTF_KIND.UNION) return -1;
  if (t.name === name) return base;
  for (const m of t.members ?? []) {
    const off = base + (t.kflag ? m.offset & 0xffffff : m.offset) / 8;
    const r = find(btf, m.type, name, off, depth + 1);
    if (r >= 0) return r;
  }
  return -1;
}

/**
 * Parsed BTF per raw buffer. Every program of an object shares its object's BTF bytes (and the loader never
 * writes into them afterwards), so each verifyProgram call need not parse the whole BTF again, twice.
 * `null` remembers a BTF that does not parse. Anything else in the verifier that reads the BTF should use it too.
 */
const parsedBtf = new WeakMap<Uint8Array, Btf | null>();
export function cachedBtf(raw: Uint8Array): Btf | undefined {
  let btf = parsedBtf.get(raw);
  if (btf === undefined) {
    try { btf = parseBtf(raw); } catch { btf = null; }
    parsedBtf.set(raw, btf);
  }
  return btf ?? undefined;
}

/** The special fields of each map (index as in `maps`); none when the program has no BTF. */
export function mapFields(maps: readonly MapSpec[], rawBtf: Uint8Array | undefined): MapFields[] {
  const btf = rawBtf ? cachedBtf(rawBtf) : undefined;
  let known = btf ? fieldsCache.get(btf) : undefined;
  if (btf && !known) fieldsCache.set(btf, (known = new Map()));
  return maps.map((m) => {
    if (!btf || !m.btfValueTypeId) return { spinLock: -1, timer: -1 };
    // (each verify of a program of the object asks again: the answer depends on the BTF and the type only)
    const seen = known!.get(m.btfValueTypeId);
    if (seen) return seen.kptrs ? { ...seen, kptrs: seen.kptrs.slice() } : { ...seen };
    const fields = valueFields(btf, m.btfValueTypeId);
    known!.set(m.btfValueTypeId, fields);
    return fields.kptrs ? { ...fields, kptrs: fields.kptrs.slice() } : { ...fields };
  });
}

const fieldsCache = new WeakMap<Btf, Map<number, MapFields>>();

function valueFields(btf: Btf, valueTypeId: number): MapFields {
  try {
    const out: MapFields = { spinLock: find(btf, valueTypeId, "bpf_spin_lock", 0, 0), timer: find(btf, valueTypeId, "bpf_timer", 0, 0) };
    const kptrs: KptrField[] = [];
    findKptrs(btf, valueTypeId, 0, kptrs, 0);
    // more special fields than BTF_FIELDS_MAX: btf_parse_fields fails and the map's record has none
    if (kptrs.length && kptrs.length <= BTF_FIELDS_MAX) out.kptrs = kptrs;
    return out;
  } catch { return { spinLock: -1, timer: -1 }; }
}

/** The records of .BTF.ext func info (struct bpf_func_info: insn_off, type_id), `recSize` bytes apart. */
export function* funcInfoRecords(funcInfo: Uint8Array, recSize: number): Generator<{ pc: number; typeId: number }> {
  const dv = new DataView(funcInfo.buffer, funcInfo.byteOffset, funcInfo.byteLength);
  for (let at = 0; at + 8 <= funcInfo.byteLength; at += Math.max(8, recSize)) yield { pc: dv.getUint32(at, true), typeId: dv.getUint32(at + 4, true) };
}

/**
 * check_btf_func: for each sub-program start (pc) of the func info, whether its BTF return type is a
 * scalar (an int of at most 8 bytes or an enum): LD_ABS and tail calls need that in sub-programs.
 */
export function funcReturnsScalar(rawBtf: Uint8Array, funcInfo: Uint8Array, recSize: number): Map<number, boolean> {
  const out = new Map<number, boolean>();
  const btf = cachedBtf(rawBtf);
  if (!btf) return out;
  for (const { pc, typeId } of funcInfoRecords(funcInfo, recSize)) {
    try {
      const fn = btf.types[typeId];
      const proto = fn ? btf.types[fn.sizeOrType] : undefined;
      if (!proto || !proto.sizeOrType) { out.set(pc, false); continue; }
      const ret = skipModifiers(btf, proto.sizeOrType);
      out.set(pc, (ret.kind === BTF_KIND.INT && ret.sizeOrType <= 8) || ret.kind === BTF_KIND.ENUM || ret.kind === BTF_KIND.ENUM64);
    } catch { /* malformed: leave it to the kernel's BTF checks */ }
  }
  return out;
}
