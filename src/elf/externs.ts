// Extern variables and functions, resolved as libbpf resolves them (bpf_object__collect_externs,
// bpf_object__resolve_externs, libbpf 1.5):
// - `.kconfig` (`extern int CONFIG_X __kconfig`): values from the target's kernel configuration, or
//   libbpf's virtual LINUX_KERNEL_VERSION / LINUX_HAS_BPF_COOKIE / LINUX_HAS_SYSCALL_WRAPPER; laid out
//   (alignment descending, size ascending, name) in one read-only array map `<obj>.kconfig`.
// - typed `.ksyms` variables: the BTF id of the VAR in the target BTF (lddw src=3).
// - typeless `.ksyms` (`extern const void x __ksym`): the symbol's address from the kernel's symbol table.
// - kfuncs (`extern int bpf_x(...) __ksym`): the BTF id of the FUNC in the target BTF (call src=2).
// A weak extern that cannot be resolved is 0 (a weak kfunc call is poisoned, as libbpf does); a strong one
// makes libbpf refuse the object, and here makes the programs that use it unusable (not their neighbours).
//
// The object's BTF is patched as libbpf patches it before BPF_BTF_LOAD (extern VARs become allocated
// ints in a laid-out DATASEC; kfunc FUNCs become global and are replaced in .ksyms by `dummy_ksym`), so
// the kernel accepts it.
import { BTF_FUNC, BTF_INT, BTF_KIND, BTF_VAR, type Btf, type BtfType, alignOf, essentialName, parseBtf, resolveSize } from "../btf/btf.js";
import { typesAreCompat, typeLabel } from "../btf/core.js";
import type { MapSpec } from "../program/index.js";
import { internalMapName } from "./maps.js";
import { type ElfFile, SHN_UNDEF, STB, STT } from "./reader.js";
import { KSYM_PLACEHOLDER_ADDR, kernelVersionCode, type TargetKernel } from "./target.js";

/** libbpf's kcfg types (find_kcfg_type). */
export type KcfgType = "bool" | "tristate" | "char" | "int" | "char_arr";

export interface ExternDesc {
  name: string;
  symIndex: number;
  /** Index in libbpf's sorted extern list (the low digits of a poisoned kfunc call's `2002000000 + N`). */
  index: number;
  weak: boolean;
  btfId: number;
  type: "kcfg" | "ksym";
  kcfg?: { size: number; align: number; type: KcfgType; signed: boolean; dataOff: number };
  /** ksym: the local type behind modifiers (0 for a typeless symbol), and whether it is a function. */
  ksym?: { typeId: number; isFunc: boolean };
  /** libbpf's is_set: the extern has its value. */
  resolved: boolean;
  /** Target BTF id (typed ksym, kfunc). */
  kernelBtfId?: number;
  /** Address (typeless ksym). */
  addr?: bigint;
  /** Why libbpf would refuse the object because of this extern (strong and unresolved, or a type mismatch). */
  problem?: string;
  /** How it was resolved, for `inspect`: `vmlinux [1234]`, `CONFIG_HZ=250 (/proc/config.gz)`, `weak, not found: 0`. */
  note: string;
}

export interface Externs {
  list: ExternDesc[];
  bySymbol: Map<number, ExternDesc>;
  /** The `.kconfig` map when the object has kconfig externs. */
  kconfigMap?: MapSpec;
  /** Object-level problems (an extern without BTF, in an unknown section). */
  problems: string[];
  /** The object's BTF patched as libbpf loads it, when there were externs to patch. */
  btfRaw?: Uint8Array;
}

const KCONFIG_SEC = ".kconfig";
const KSYMS_SEC = ".ksyms";
const BPF_F_RDONLY_PROG = 0x80;
const BPF_F_MMAPABLE = 0x400;

const isExternSymbol = (s: { shndx: number; bind: number; type: number }): boolean =>
  s.shndx === SHN_UNDEF && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.type === STT.NOTYPE;

/** Collect, lay out and resolve the object's externs. `target` is asked only when an extern needs it. */
export function collectExterns(elf: ElfFile, btf: Btf | undefined, objectName: string, target: (() => TargetKernel | undefined)): Externs {
  const out: Externs = { list: [], bySymbol: new Map(), problems: [] };
  const syms = elf.symbols.filter((s) => s.name !== "" && isExternSymbol(s));
  if (syms.length === 0) return out;
  if (!btf) {
    out.problems.push(`externs (${syms.map((s) => s.name).join(", ")}) need BTF, and the object has none`);
    return out;
  }
  // DATASEC of each extern VAR/FUNC
  const secOf = new Map<number, BtfType>();
  for (let id = 1; id < btf.count; id++) {
    const t = btf.type(id);
    if (t.kind === BTF_KIND.DATASEC) for (const vs of t.secinfos!) if (!secOf.has(vs.type)) secOf.set(vs.type, t);
  }
  let kcfgSec: BtfType | undefined, ksymSec: BtfType | undefined;
  for (const sym of syms) {
    const ext: ExternDesc = { name: sym.name, symIndex: sym.index, index: -1, weak: sym.bind === STB.WEAK, btfId: 0, type: "ksym", resolved: false, note: "" };
    const found = findExternBtf(btf, sym.name);
    if (typeof found === "string") { ext.problem = found; out.list.push(ext); continue; }
    ext.btfId = found;
    const t = btf.type(found);
    const sec = secOf.get(found);
    if (!sec) {
      ext.problem = `extern ${t.kind === BTF_KIND.FUNC ? "function" : "variable"} '${sym.name}' is neither __kconfig nor __ksym: it is defined in another object (link them first, e.g. with bpftool gen object)`;
      out.list.push(ext);
      continue;
    }
    if (sec.name === KCONFIG_SEC) {
      kcfgSec = sec;
      ext.type = "kcfg";
      if (t.kind === BTF_KIND.FUNC) { ext.problem = `extern function ${sym.name} cannot be in ${KCONFIG_SEC}`; out.list.push(ext); continue; }
      const size = resolveSize(btf, t.sizeOrType);
      const align = alignOf(btf, t.sizeOrType);
      const kt = kcfgTypeOf(btf, t.sizeOrType);
      if (size <= 0 || align <= 0 || !kt) { ext.problem = `extern (kcfg) '${sym.name}': type is unsupported`; out.list.push(ext); continue; }
      ext.kcfg = { size, align, type: kt.type, signed: kt.signed, dataOff: 0 };
    } else if (sec.name === KSYMS_SEC) {
      ksymSec = sec;
      ext.type = "ksym";
      let id = t.sizeOrType;
      for (let guard = 0; guard < 64; guard++) {
        const u = btf.type(id);
        if (u.kind === BTF_KIND.TYPEDEF || u.kind === BTF_KIND.VOLATILE || u.kind === BTF_KIND.CONST || u.kind === BTF_KIND.RESTRICT || u.kind === BTF_KIND.TYPE_TAG) id = u.sizeOrType;
        else break;
      }
      ext.ksym = { typeId: id, isFunc: t.kind === BTF_KIND.FUNC };
    } else {
      ext.problem = `unrecognized extern section '${sec.name}'`;
    }
    out.list.push(ext);
  }
  // libbpf's order: kcfg before ksym; kcfg by alignment (descending), size (ascending); then by name.
  const rank = (e: ExternDesc) => (e.type === "kcfg" ? 1 : 2);
  out.list.sort((a, b) => rank(a) - rank(b)
    || (a.type === "kcfg" && b.type === "kcfg" && a.kcfg && b.kcfg ? (b.kcfg.align - a.kcfg.align) || (a.kcfg.size - b.kcfg.size) : 0)
    || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  out.list.forEach((e, i) => { e.index = i; out.bySymbol.set(e.symIndex, e); });

  // .kconfig layout and values
  let kcfgSize = 0;
  for (const e of out.list) {
    if (!e.kcfg) continue;
    e.kcfg.dataOff = roundUp(kcfgSize, e.kcfg.align);
    kcfgSize = e.kcfg.dataOff + e.kcfg.size;
  }
  const patched = patchExternBtf(btf, out.list, kcfgSec, ksymSec, kcfgSize);
  if (patched) out.btfRaw = patched;
  if (out.list.some((e) => e.kcfg)) {
    const data = new Uint8Array(kcfgSize);
    resolveKconfig(out.list, data, target);
    const spec: MapSpec = {
      name: internalMapName(objectName, KCONFIG_SEC), type: "array", keySize: 4, valueSize: kcfgSize, maxEntries: 1,
      flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, initialValue: data, readOnly: true,
    };
    if (kcfgSec) spec.btfValueTypeId = kcfgSec.id;
    out.kconfigMap = spec;
  }
  if (out.list.some((e) => e.type === "ksym" && !e.problem)) resolveKsyms(btf, out.list, target);
  for (const e of out.list) {
    if (e.problem || e.resolved) continue;
    if (e.weak) e.note ||= "weak, not resolved: 0";
    else e.problem = `extern '${e.name}' (strong) is not resolved${e.note ? `: ${e.note}` : ""}`;
  }
  return out;
}

const roundUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** find_extern_btf_id: the VAR or FUNC with this name, which must have extern linkage. */
function findExternBtf(btf: Btf, name: string): number | string {
  for (const id of btf.idsByName(name)) {
    const t = btf.type(id);
    if (t.kind !== BTF_KIND.VAR && t.kind !== BTF_KIND.FUNC) continue;
    if (t.kind === BTF_KIND.VAR && t.linkage !== BTF_VAR.GLOBAL_EXTERN) return `BTF for extern '${name}' is a VAR without extern linkage`;
    if (t.kind === BTF_KIND.FUNC && t.linkage !== BTF_FUNC.EXTERN) return `BTF for extern '${name}' is a FUNC without extern linkage`;
    return id;
  }
  return `no BTF VAR or FUNC for extern '${name}'`;
}

function kcfgTypeOf(btf: Btf, id: number, depth = 0): { type: KcfgType; signed: boolean } | undefined {
  let t = btf.type(id);
  for (let g = 0; g < 64 && (t.kind === BTF_KIND.TYPEDEF || t.kind === BTF_KIND.VOLATILE || t.kind === BTF_KIND.CONST || t.kind === BTF_KIND.RESTRICT || t.kind === BTF_KIND.TYPE_TAG); g++) t = btf.type(t.sizeOrType);
  switch (t.kind) {
    case BTF_KIND.INT: {
      const enc = t.intEncoding!.encoding;
      const size = t.sizeOrType;
      if (enc & BTF_INT.BOOL) return size === 1 ? { type: "bool", signed: false } : undefined;
      const signed = (enc & BTF_INT.SIGNED) !== 0;
      if (size === 1) return { type: "char", signed };
      if (size < 1 || size > 8 || (size & (size - 1))) return undefined;
      return { type: "int", signed };
    }
    case BTF_KIND.ENUM:
      return t.sizeOrType === 4 && t.name === "libbpf_tristate" ? { type: "tristate", signed: false } : undefined;
    case BTF_KIND.ENUM64:
      return t.name === "libbpf_tristate" ? { type: "tristate", signed: false } : undefined;
    case BTF_KIND.ARRAY:
      if (t.array!.nelems === 0 || depth > 0) return undefined;
      return kcfgTypeOf(btf, t.array!.type, depth + 1)?.type === "char" ? { type: "char_arr", signed: false } : undefined;
    default:
      return undefined;
  }
}

// ---- .kconfig values ----

function setNum(e: ExternDesc, data: Uint8Array, value: bigint): string | undefined {
  const k = e.kcfg!;
  if (k.type !== "int" && k.type !== "char" && k.type !== "bool") return `value '${value}' implies integer, char, or boolean type`;
  if (k.type === "bool" && value > 1n) return `value '${value}' isn't boolean compatible`;
  const bits = BigInt(k.size * 8);
  if (k.size !== 8) {
    const fits = k.signed ? BigInt.asUintN(64, value + (1n << (bits - 1n))) < (1n << bits) : (value >> bits) === 0n;
    if (!fits) return `value '${value}' doesn't fit in ${k.size} bytes`;
  }
  const v = new DataView(data.buffer, data.byteOffset + k.dataOff, k.size);
  const u = BigInt.asUintN(Number(bits), value);
  if (k.size === 1) v.setUint8(0, Number(u)); else if (k.size === 2) v.setUint16(0, Number(u), true);
  else if (k.size === 4) v.setUint32(0, Number(u), true); else v.setBigUint64(0, u, true);
  e.resolved = true;
  return undefined;
}

function setTristate(e: ExternDesc, data: Uint8Array, c: "y" | "n" | "m"): string | undefined {
  const k = e.kcfg!;
  const v = new DataView(data.buffer, data.byteOffset + k.dataOff, k.size);
  switch (k.type) {
    case "bool":
      if (c === "m") return `value '${c}' implies tristate or char type`;
      v.setUint8(0, c === "y" ? 1 : 0);
      break;
    case "tristate":
      // enum libbpf_tristate { TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2 }
      if (k.size === 8) v.setBigUint64(0, BigInt(c === "y" ? 1 : c === "m" ? 2 : 0), true);
      else v.setUint32(0, c === "y" ? 1 : c === "m" ? 2 : 0, true);
      break;
    case "char":
      v.setUint8(0, c.charCodeAt(0));
      break;
    default:
      return `value '${c}' implies bool, tristate, or char type`;
  }
  e.resolved = true;
  return undefined;
}

function setString(e: ExternDesc, data: Uint8Array, value: string): string | undefined {
  const k = e.kcfg!;
  if (k.type !== "char_arr") return `value '${value}' implies char array type`;
  if (value.length < 2 || !value.endsWith('"')) return `invalid string config '${value}'`;
  let bytes = new TextEncoder().encode(value.slice(1, -1));
  if (bytes.length >= k.size) bytes = bytes.subarray(0, k.size - 1);
  data.set(bytes, k.dataOff);
  data[k.dataOff + bytes.length] = 0;
  e.resolved = true;
  return undefined;
}

/** strtoull(value, 0) as libbpf's parse_u64 uses it: decimal, 0x hex or 0 octal, with an optional sign (wrapping). */
function parseU64(value: string): bigint | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
  if (!m) return undefined;
  const digits = m[2]!;
  let v = digits.length > 1 && digits[0] === "0" && digits[1] !== "x" && digits[1] !== "X" ? BigInt("0o" + digits.slice(1)) : BigInt(digits);
  if (v > 0xffffffffffffffffn) return undefined;
  if (m[1] === "-") v = BigInt.asUintN(64, -v);
  return v;
}

/** One `CONFIG_X=value` line (bpf_object__process_kconfig_line); returns a problem or undefined. */
function kconfigLine(byName: Map<string, ExternDesc>, data: Uint8Array, line: string): void {
  if (!line.startsWith("CONFIG_")) return;
  const sep = line.indexOf("=");
  if (sep < 0 || sep === line.length - 1) return;
  const name = line.slice(0, sep);
  const e = byName.get(name);
  if (!e || e.resolved || e.problem) return;
  const value = line.slice(sep + 1);
  let problem: string | undefined;
  if (value[0] === "y" || value[0] === "n" || value[0] === "m") problem = setTristate(e, data, value[0]);
  else if (value[0] === '"') problem = setString(e, data, value);
  else {
    const num = parseU64(value);
    if (num === undefined) problem = `value '${value}' isn't a valid integer`;
    else if (e.kcfg!.type !== "int" && e.kcfg!.type !== "char") problem = `value '${value}' implies integer type`;
    else problem = setNum(e, data, num);
  }
  if (problem) e.problem = `extern (kcfg) '${name}': ${problem}`;
}

function resolveKconfig(list: ExternDesc[], data: Uint8Array, target: () => TargetKernel | undefined): void {
  let needConfig = false;
  for (const e of list) {
    if (!e.kcfg || e.problem) continue;
    if (e.name.startsWith("CONFIG_")) { needConfig = true; continue; }
    let value: bigint;
    if (e.name === "LINUX_KERNEL_VERSION") {
      const t = target();
      const code = kernelVersionCode(t?.release);
      if (!code) { e.problem = `extern (kcfg) '${e.name}': the target kernel's version is not known`; continue; }
      value = BigInt(code);
      e.note = `${t!.release} (${value})`;
    } else if (e.name === "LINUX_HAS_BPF_COOKIE" || e.name === "LINUX_HAS_SYSCALL_WRAPPER") {
      // libbpf probes the running kernel (loading bpf_get_attach_cookie; a kprobe on __<arch>_sys_bpf);
      // bpfkit asks the target BTF for the same functions.
      const btf = target()?.btf();
      const names = e.name === "LINUX_HAS_BPF_COOKIE" ? ["bpf_get_attach_cookie_trace"] : ["__x64_sys_bpf", "__arm64_sys_bpf", "__s390x_sys_bpf", "__riscv_sys_bpf", "__powerpc_sys_bpf"];
      const found = btf ? names.find((n) => btf.findByNameKind(n, BTF_KIND.FUNC) > 0) : undefined;
      value = found ? 1n : 0n;
      e.note = btf ? (found ? `1 (the target has ${found})` : `0 (the target has no ${names[0]})`) : "0 (no target BTF)";
    } else if (!e.name.startsWith("LINUX_") || !e.weak) {
      e.problem = `extern (kcfg) '${e.name}': unrecognized virtual extern`;
      continue;
    } else {
      value = 0n;
      e.note = "unrecognized weak LINUX_ extern: 0";
    }
    const p = setNum(e, data, value);
    if (p) e.problem = `extern (kcfg) '${e.name}': ${p}`;
  }
  if (!needConfig) return;
  const config = target()?.kconfig?.();
  if (!config) {
    for (const e of list) if (e.kcfg && e.name.startsWith("CONFIG_") && !e.problem) e.note = "no kernel configuration is available";
    return;
  }
  const byName = new Map(list.filter((e) => e.kcfg).map((e) => [e.name, e]));
  for (const line of config.text.split("\n")) kconfigLine(byName, data, line.replace(/\r$/, ""));
  for (const e of list) {
    if (!e.kcfg || !e.name.startsWith("CONFIG_")) continue;
    if (e.resolved) e.note = `from ${config.source}`;
    else if (!e.problem) e.note = `not set in ${config.source}`;
  }
}

// ---- .ksyms ----

function resolveKsyms(btf: Btf, list: ExternDesc[], target: () => TargetKernel | undefined): void {
  const typeless = list.filter((e) => e.type === "ksym" && !e.problem && e.ksym && e.ksym.typeId === 0 && !e.ksym.isFunc);
  const typed = list.filter((e) => e.type === "ksym" && !e.problem && e.ksym && (e.ksym.typeId !== 0 || e.ksym.isFunc));
  const t = target();
  if (typeless.length) {
    const table = t?.kallsyms?.(typeless.map((e) => e.name));
    for (const e of typeless) {
      if (!table) {
        // No symbol table to ask: a strong symbol must exist for libbpf to load the object at all, so it gets a
        // placeholder address; a weak one is taken as absent (0), the answer that keeps its guards honest.
        if (e.weak) { e.note = "weak, and no kernel symbol table to find it in: 0"; continue; }
        e.resolved = true;
        e.addr = KSYM_PLACEHOLDER_ADDR;
        e.note = `no kernel symbol table: placeholder 0x${KSYM_PLACEHOLDER_ADDR.toString(16)}`;
        continue;
      }
      const hits = table.get(e.name) ?? [];
      const addrs = [...new Set(hits.map((h) => h.addr))];
      if (addrs.length > 1) { e.problem = `extern (ksym) '${e.name}': resolution is ambiguous: 0x${addrs[0]!.toString(16)} or 0x${addrs[1]!.toString(16)}`; continue; }
      if (addrs.length === 1) { e.resolved = true; e.addr = addrs[0]!; e.note = `kallsyms 0x${e.addr.toString(16)}`; }
      else e.note = "not in the kernel's symbol table";
    }
  }
  if (!typed.length) return;
  if (!t) {
    for (const e of typed) e.note = "no target BTF";
    return;
  }
  const target_ = t.btf();
  for (const e of typed) {
    const lt = btf.type(e.btfId);
    if (lt.kind === BTF_KIND.VAR) {
      const id = target_.findByNameKind(e.name, BTF_KIND.VAR);
      if (id < 0) { e.note = `no VAR ${e.name} in the target BTF`; continue; }
      let tt = target_.type(target_.type(id).sizeOrType);
      for (let g = 0; g < 64 && (tt.kind === BTF_KIND.TYPEDEF || tt.kind === BTF_KIND.VOLATILE || tt.kind === BTF_KIND.CONST || tt.kind === BTF_KIND.RESTRICT || tt.kind === BTF_KIND.TYPE_TAG); g++) tt = target_.type(tt.sizeOrType);
      if (typesAreCompat(btf, e.ksym!.typeId, target_, tt.id) <= 0) {
        e.problem = `extern (var ksym) '${e.name}': incompatible types, expected [${e.ksym!.typeId}] ${typeLabel(btf, e.ksym!.typeId)}, but the target has [${tt.id}] ${typeLabel(target_, tt.id)}`;
        continue;
      }
      e.resolved = true;
      e.kernelBtfId = id;
      e.note = `VAR [${id}] in ${t.description}`;
    } else {
      const name = essentialName(e.name);
      const id = target_.findByNameKind(name, BTF_KIND.FUNC);
      if (id < 0) { e.note = `no kfunc ${name} in the target BTF`; continue; }
      const proto = target_.type(id).sizeOrType;
      if (typesAreCompat(btf, e.ksym!.typeId, target_, proto) <= 0) {
        if (e.weak) { e.note = `kfunc ${name} [${id}] has an incompatible prototype`; continue; }
        e.problem = `extern (func ksym) '${e.name}': func_proto [${e.ksym!.typeId}] incompatible with the target's [${proto}]`;
        continue;
      }
      e.resolved = true;
      e.kernelBtfId = id;
      e.note = `FUNC [${id}] in ${t.description}`;
    }
  }
}

// ---- the object's BTF, as libbpf hands it to the kernel ----

/**
 * Lay out .ksyms and .kconfig as libbpf does (collect_externs + the DATASEC sort of btf_fixup_datasec):
 * returns new BTF bytes, or undefined when the object has no extern DATASEC. Adding `dummy_ksym` (for
 * kfuncs) appends a type and a string, so the bytes are rebuilt: header, types, strings.
 */
function patchExternBtf(btf: Btf, list: ExternDesc[], kcfgSec: BtfType | undefined, ksymSec: BtfType | undefined, kcfgSize: number): Uint8Array | undefined {
  if (!kcfgSec && !ksymSec) return undefined;
  const raw = btf.raw;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const tStart = btf.hdrLen + btf.typeOff;
  const typeLen = view.getUint32(12, true);
  const byName = new Map(list.map((e) => [e.name, e]));
  // Find the first 32-bit INT (find_int_btf_id) and whether .ksyms holds functions (add_dummy_ksym_var).
  let intId = 0;
  for (let id = 1; id < btf.count && !intId; id++) { const t = btf.type(id); if (t.kind === BTF_KIND.INT && t.intEncoding!.bits === 32) intId = id; }
  const ksymsHaveFunc = ksymSec?.secinfos!.some((vs) => btf.type(vs.type).kind === BTF_KIND.FUNC) ?? false;
  const types = new Uint8Array(raw.subarray(tStart, tStart + typeLen));
  const tv = new DataView(types.buffer, types.byteOffset, types.byteLength);
  const strings = [...raw.subarray(btf.hdrLen + btf.strOff, btf.hdrLen + btf.strOff + btf.strLen)];
  let dummyId = 0;
  let dummyName = 0;
  const extraTypes: number[] = [];
  if (ksymsHaveFunc) {
    dummyName = findString(strings, "dummy_ksym");
    if (dummyName < 0) { dummyName = strings.length; strings.push(...new TextEncoder().encode("dummy_ksym"), 0); }
    dummyId = btf.count;
    extraTypes.push(dummyName, BTF_KIND.VAR << 24, intId, BTF_VAR.GLOBAL_ALLOCATED);
  }
  const rel = (at: number) => at - tStart;
  if (ksymSec) {
    let off = 0;
    const infos = ksymSec.secinfos!.map((vs) => ({ ...vs }));
    for (const vs of infos) {
      const vt = btf.type(vs.type);
      if (!byName.has(vt.name)) continue;
      if (vt.kind === BTF_KIND.FUNC) {
        const proto = btf.type(vt.sizeOrType);
        proto.params?.forEach((p, j) => { if (p.type && !p.name) tv.setUint32(rel(proto.at) + 12 + j * 8, dummyName, true); });
        vs.type = dummyId;
        const info = tv.getUint32(rel(vt.at) + 4, true);
        tv.setUint32(rel(vt.at) + 4, ((info & ~0xffff) | BTF_FUNC.GLOBAL) >>> 0, true);
      } else {
        tv.setUint32(rel(vt.at) + 12, BTF_VAR.GLOBAL_ALLOCATED, true);
        tv.setUint32(rel(vt.at) + 8, intId, true);
      }
      vs.offset = off;
      vs.size = 4;
      off += 4;
    }
    tv.setUint32(rel(ksymSec.at) + 8, off, true);
    writeSecinfos(tv, rel, ksymSec, infos);
  }
  if (kcfgSec) {
    const infos = kcfgSec.secinfos!.map((vs) => ({ ...vs }));
    for (const vs of infos) {
      const vt = btf.type(vs.type);
      const e = byName.get(vt.name);
      if (!e?.kcfg) continue;
      tv.setUint32(rel(vt.at) + 12, BTF_VAR.GLOBAL_ALLOCATED, true);
      vs.offset = e.kcfg.dataOff;
    }
    tv.setUint32(rel(kcfgSec.at) + 8, kcfgSize, true);
    writeSecinfos(tv, rel, kcfgSec, infos);
  }
  // header (libbpf writes its own 24-byte header), types, strings
  const newTypeLen = types.length + extraTypes.length * 4;
  const out = new Uint8Array(24 + newTypeLen + strings.length);
  const ov = new DataView(out.buffer);
  ov.setUint16(0, 0xeb9f, true); ov.setUint8(2, raw[2]!); ov.setUint8(3, raw[3]!);
  ov.setUint32(4, 24, true); ov.setUint32(8, 0, true); ov.setUint32(12, newTypeLen, true);
  ov.setUint32(16, newTypeLen, true); ov.setUint32(20, strings.length, true);
  out.set(types, 24);
  extraTypes.forEach((w, i) => ov.setUint32(24 + types.length + i * 4, w >>> 0, true));
  out.set(strings, 24 + newTypeLen);
  return out;
}

/** Write secinfos back sorted by offset (btf_fixup_datasec's sort). */
function writeSecinfos(tv: DataView, rel: (at: number) => number, sec: BtfType, infos: { type: number; offset: number; size: number }[]): void {
  const sorted = [...infos].sort((a, b) => a.offset - b.offset);
  const base = rel(sec.at) + 12;
  sorted.forEach((vs, i) => {
    tv.setUint32(base + i * 12, vs.type, true);
    tv.setUint32(base + i * 12 + 4, vs.offset, true);
    tv.setUint32(base + i * 12 + 8, vs.size, true);
  });
}

function findString(strings: number[], s: string): number {
  const want = [...new TextEncoder().encode(s), 0];
  outer: for (let i = 0; i + want.length <= strings.length; i++) {
    if (i > 0 && strings[i - 1] !== 0) continue;
    for (let j = 0; j < want.length; j++) if (strings[i + j] !== want[j]) continue outer;
    return i;
  }
  return -1;
}

/** Re-open patched BTF bytes (the extern pass changed layouts the maps and verifier read). */
export function reparse(raw: Uint8Array, name: string): Btf {
  return parseBtf(raw, { name });
}
