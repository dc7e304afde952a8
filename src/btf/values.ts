// Map keys and values by the C type the object's BTF gives them, as bpftool's BTF-formatted dump shows
// them: text a person reads and types (`{vip: 10.0.0.100, port: 80, proto: 6}`, `192.0.2.0/24`, `7`), a
// JSON value for `--json`, and JS values for the library's typed accessors. One codec for the CLI (run,
// map dump/lookup/update, --map), the library's map API and the playground; browser-safe.
//
// What is shown as an address (the rule; the type alone rarely says it, so the field name decides):
// - IPv4: a 4-byte integer (__u32, __be32...) or a 4-byte array whose field name is an address name: the
//   whole name or its last `_`-separated word is addr, saddr, daddr, ip, ip4, ipv4, vip, dip, sip or
//   nexthop (`saddr`, `remote_ip4`, `s_addr`, `backend_ip`; not `addr_count`). Its bytes are shown in
//   memory order, which is network order: BPF programs copy addresses from headers unchanged, and the
//   kernel's own uapi structs hold network-order addresses in __u32 fields (__sk_buff.remote_ip4).
// - IPv6: a 16-byte array (__u8[16], __be32[4], __u32[4]) with an address name (ip6, ipv6, addr6 too),
//   and every `struct in6_addr`.
// - MAC: a __u8[6] named mac, h_source, h_dest or eth*.
// - lpm_trie keys (`mapShapes`): a key of `__u32 prefixlen` followed by a 4- or 16-byte address (any field
//   name: `data`, `addr`...) is `192.0.2.0/24` / `2001:db8::/32`; without BTF an 8- or 20-byte lpm_trie
//   key is read the same way. Other LPM keys (prefix + port...) are structs.
// Integers are decimal (typedefs named __be16/__be32/__be64 are read big-endian), enums by name, bools as
// true/false, char arrays as strings, structs and unions by field, bitfields by value, floats as numbers.
// Without BTF a key or value is hex bytes. `formatValue` and `parseValue` round-trip.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from "../packet/addr.js";
import { BTF_KIND as K, parseBtf, sizeOf, skipModifiers, type Btf } from "./btf.js";

export type IntDisplay = "dec" | "hex" | "ipv4" | "bool" | "char";
export type ArrayDisplay = "list" | "ipv4" | "ipv6" | "mac" | "string";

export interface ShapeField {
  name: string;
  /** Byte offset in the enclosing struct (of the containing byte, for a bitfield). */
  offset: number;
  shape: Shape;
  /** Bitfields: bit offset from `offset` (little-endian bit order, as BTF on x86 and arm64) and width. */
  bitOffset?: number;
  bitSize?: number;
}

export type Shape =
  | { kind: "int"; size: number; signed: boolean; bigEndian: boolean; display: IntDisplay }
  | { kind: "float"; size: number }
  | { kind: "enum"; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { kind: "array"; size: number; n: number; elem: Shape; display: ArrayDisplay }
  | { kind: "struct"; size: number; fields: ShapeField[]; union?: boolean }
  /** An LPM trie key: u32 prefix length (host order) + an address; text `192.0.2.0/24`. */
  | { kind: "prefix"; size: number; addrLen: 4 | 16; fields?: ShapeField[] }
  | { kind: "bytes"; size: number };

/** Thrown for text or a value that does not fit the type; `message` is the reason alone (`key.addr: expected ...`). */
export class ValueSyntaxError extends BpfkitError {
  constructor(reason: string) {
    super(diag("BK9803", { reason }), 2);
    this.name = "ValueSyntaxError";
    this.message = reason;
  }
}
const bad = (reason: string): never => { throw new ValueSyntaxError(reason); };

const ADDR_WORDS = new Set(["addr", "saddr", "daddr", "ip", "ip4", "ipv4", "vip", "dip", "sip", "nexthop"]);
const ADDR6_WORDS = new Set([...ADDR_WORDS, "ip6", "ipv6", "addr6", "saddr6", "daddr6"]);
/** Whether a field name names an address (the whole name or its last word). */
export function isAddressName(name: string, v6 = false): boolean {
  const words = v6 ? ADDR6_WORDS : ADDR_WORDS;
  const n = name.toLowerCase();
  return words.has(n) || words.has(n.slice(n.lastIndexOf("_") + 1));
}
const MAC_NAME = /^(mac|h_source|h_dest|eth.*|.*_mac|mac_.*)$/i;
const SIZES = [1, 2, 4, 8];

/** The shape of BTF type `id`; `field` is the name it has in its struct (names pick address displays). */
export function shapeOf(btf: Btf, id: number, field = "", depth = 0): Shape {
  const size = sizeOf(btf, id);
  if (depth > 16) return { kind: "bytes", size };
  // Typedef names carry the byte order (__be16, __be32) before skipModifiers drops them.
  let bigEndian = false;
  for (let t = btf.types[id]; t && (t.kind === K.TYPEDEF || t.kind === K.CONST || t.kind === K.VOLATILE || t.kind === K.TYPE_TAG || t.kind === K.RESTRICT); t = btf.types[t.sizeOrType]) {
    if (/^(__)?be(16|32|64)$/.test(t.name)) bigEndian = true;
  }
  const t = skipModifiers(btf, id);
  switch (t.kind) {
    case K.INT: {
      const enc = t.intEncoding!;
      if (enc.offset !== 0 || enc.bits !== size * 8 || !SIZES.includes(size)) return { kind: "bytes", size };
      const signed = (enc.encoding & 1) !== 0;
      const display: IntDisplay = enc.encoding & 4 ? "bool" : size === 4 && isAddressName(field) ? "ipv4" : "dec";
      return { kind: "int", size, signed, bigEndian: bigEndian && display === "dec", display };
    }
    case K.FLOAT: return size === 4 || size === 8 ? { kind: "float", size } : { kind: "bytes", size };
    case K.ENUM: case K.ENUM64:
      if (!SIZES.includes(size)) return { kind: "bytes", size };
      return { kind: "enum", size, signed: t.kflag, values: t.enumValues ?? [] };
    case K.PTR: return { kind: "int", size: 8, signed: false, bigEndian: false, display: "hex" };
    case K.ARRAY: {
      const a = t.array!;
      const elem = shapeOf(btf, a.type, field, depth + 1);
      let display: ArrayDisplay = "list";
      if (elem.kind === "int" && elem.size === 1 && skipModifiers(btf, a.type).name === "char") display = "string";
      else if (size === 4 && isAddressName(field) && elem.kind === "int") display = "ipv4";
      else if (size === 16 && isAddressName(field, true) && (elem.kind === "int" || elem.kind === "bytes")) display = "ipv6";
      else if (size === 6 && a.nelems === 6 && MAC_NAME.test(field)) display = "mac";
      // an address shown whole reads its bytes in memory order, whatever the element type
      const shownElem = display === "list" && elem.kind === "int" && elem.display === "ipv4" ? { ...elem, display: "dec" as const } : elem;
      return { kind: "array", size, n: a.nelems, elem: shownElem, display };
    }
    case K.STRUCT: case K.UNION: {
      if (t.kind === K.STRUCT && t.name === "in6_addr" && size === 16) {
        return { kind: "array", size, n: 16, elem: { kind: "int", size: 1, signed: false, bigEndian: false, display: "dec" }, display: "ipv6" };
      }
      const fields: ShapeField[] = [];
      for (const m of t.members ?? []) {
        const bitOff = t.kflag ? m.offset & 0xffffff : m.offset;
        const bitSize = t.kflag ? m.offset >>> 24 : 0;
        const name = m.name || `_${fields.length}`;
        const shape = shapeOf(btf, m.type, m.name, depth + 1);
        if (bitSize || bitOff % 8) {
          // a bitfield: its value is read from the bits, as an unsigned or signed integer of its own width
          const byte = Math.floor(bitOff / 8);
          const signed = shape.kind === "int" || shape.kind === "enum" ? shape.signed : false;
          const width = bitSize || (shape.size * 8);
          fields.push({ name, offset: byte, bitOffset: bitOff - byte * 8, bitSize: width, shape: { kind: "int", size: Math.ceil((bitOff - byte * 8 + width) / 8), signed, bigEndian: false, display: "dec" } });
        } else {
          fields.push({ name, offset: bitOff / 8, shape });
        }
      }
      return t.kind === K.UNION ? { kind: "struct", size, fields, union: true } : { kind: "struct", size, fields };
    }
    case K.DATASEC: {
      const fields = (t.secinfos ?? []).map((s) => {
        const v = btf.types[s.type]!;
        return { name: v.name, offset: s.offset, shape: shapeOf(btf, v.sizeOrType, v.name, depth + 1) };
      });
      return { kind: "struct", size, fields };
    }
    default: return { kind: "bytes", size };
  }
}

/** The shape for bytes with no BTF type: hex. */
export const rawShape = (size: number): Shape => ({ kind: "bytes", size });

const btfCache = new WeakMap<Uint8Array, Btf | null>();
/** Parse an object's BTF once per byte array; undefined when it has none or it does not parse. */
export function parseProgramBtf(raw: Uint8Array | undefined): Btf | undefined {
  if (!raw) return undefined;
  let b = btfCache.get(raw);
  if (b === undefined) {
    try { b = parseBtf(raw); } catch { b = null; }
    btfCache.set(raw, b);
  }
  return b ?? undefined;
}

/** What `mapShapes` needs of a map: its type and sizes, and the BTF ids of key and value when it has them. */
export interface MapTypeSpec { type: string; keySize: number; valueSize: number; btfKeyTypeId?: number; btfValueTypeId?: number }

export interface MapShapes {
  key: Shape;
  value: Shape;
  /** Whether BTF typed the key or the value (else both are bytes, lpm_trie keys excepted). */
  typed: boolean;
}

/** Key and value shapes of a map: by BTF where the object has it, hex bytes otherwise; lpm_trie keys as prefixes. */
export function mapShapes(spec: MapTypeSpec, btf: Btf | undefined): MapShapes {
  const typed = (id: number | undefined, size: number): Shape | undefined => {
    if (!btf || !id) return undefined;
    try {
      const s = shapeOf(btf, id);
      return s.size === size ? s : undefined;
    } catch { return undefined; }
  };
  const k = typed(spec.btfKeyTypeId, spec.keySize);
  const v = typed(spec.btfValueTypeId, spec.valueSize);
  let key = k ?? rawShape(spec.keySize);
  if (spec.type === "lpm_trie") key = prefixShape(key) ?? key;
  return { key, value: v ?? rawShape(spec.valueSize), typed: k !== undefined || v !== undefined };
}

/** An lpm_trie key as a prefix, when it is `u32 prefixlen` + a 4- or 16-byte address (or 8 / 20 bytes without BTF). */
function prefixShape(key: Shape): Shape | undefined {
  if (key.kind === "bytes") return key.size === 8 || key.size === 20 ? { kind: "prefix", size: key.size, addrLen: key.size === 8 ? 4 : 16 } : undefined;
  if (key.kind !== "struct" || key.union || key.fields.length !== 2) return undefined;
  const [len, addr] = key.fields as [ShapeField, ShapeField];
  if (len.offset !== 0 || len.bitSize !== undefined || len.shape.kind !== "int" || len.shape.size !== 4) return undefined;
  if (addr.offset !== 4 || addr.bitSize !== undefined || (key.size !== 8 && key.size !== 20) || addr.shape.size !== key.size - 4) return undefined;
  if (addr.shape.kind !== "array" && addr.shape.kind !== "int") return undefined;
  // the struct form ({prefixlen: 24, data: 192.0.2.0}) reads the address field as an address whatever its name
  const addrLen = key.size === 8 ? 4 : 16;
  const u8: Shape = { kind: "int", size: 1, signed: false, bigEndian: false, display: "dec" };
  const shownAddr: Shape = { kind: "array", size: addrLen, n: addrLen, elem: u8, display: addrLen === 4 ? "ipv4" : "ipv6" };
  return { kind: "prefix", size: key.size, addrLen, fields: [len, { ...addr, shape: shownAddr }] };
}

// ---- bytes -> values ----

const hexSpaced = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

function readInt(b: Uint8Array, off: number, size: number, signed: boolean, bigEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[off + (bigEndian ? i : size - 1 - i)] ?? 0);
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

function readBits(b: Uint8Array, off: number, f: ShapeField): bigint {
  const bytes = Math.ceil(((f.bitOffset ?? 0) + (f.bitSize ?? 0)) / 8);
  const all = readInt(b, off, bytes, false, false);
  const v = (all >> BigInt(f.bitOffset ?? 0)) & ((1n << BigInt(f.bitSize!)) - 1n);
  return f.shape.kind === "int" && f.shape.signed ? BigInt.asIntN(f.bitSize!, v) : v;
}

function readFloat(b: Uint8Array, off: number, size: number): number {
  const dv = new DataView(b.buffer, b.byteOffset + off, size);
  return size === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true);
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes);
}

function prefixParts(shape: Extract<Shape, { kind: "prefix" }>, b: Uint8Array, off: number): { len: number; addr: string } {
  const len = Number(readInt(b, off, 4, false, false));
  const a = b.subarray(off + 4, off + 4 + shape.addrLen);
  return { len, addr: shape.addrLen === 4 ? formatIpv4(a) : formatIpv6(a) };
}

/** Bytes as text by their shape: `{prefixlen: 24, addr: 198.51.100.0}`, `192.0.2.0/24`, `7`. */
export function formatValue(shape: Shape, b: Uint8Array, off = 0): string {
  switch (shape.kind) {
    case "int": {
      if (shape.display === "ipv4") return formatIpv4(b.subarray(off, off + 4));
      const v = readInt(b, off, shape.size, shape.signed, shape.bigEndian);
      if (shape.display === "bool") return v ? "true" : "false";
      if (shape.display === "hex") return `0x${v.toString(16)}`;
      return v.toString();
    }
    case "float": return String(readFloat(b, off, shape.size));
    case "enum": {
      const v = readInt(b, off, shape.size, shape.signed, false);
      return shape.values.find((e) => e.value === v)?.name ?? v.toString();
    }
    case "array": {
      const bytes = b.subarray(off, off + shape.size);
      if (shape.display === "ipv4") return formatIpv4(bytes);
      if (shape.display === "ipv6") return formatIpv6(bytes);
      if (shape.display === "mac") return formatMac(bytes);
      if (shape.display === "string") return JSON.stringify(cString(bytes));
      const step = shape.n ? shape.size / shape.n : 0;
      return `[${Array.from({ length: shape.n }, (_, i) => formatValue(shape.elem, b, off + i * step)).join(", ")}]`;
    }
    case "struct":
      return `{${shape.fields.map((f) => `${f.name}: ${f.bitSize !== undefined ? readBits(b, off + f.offset, f).toString() : formatValue(f.shape, b, off + f.offset)}`).join(", ")}}`;
    case "prefix": {
      const p = prefixParts(shape, b, off);
      return `${p.addr}/${p.len}`;
    }
    case "bytes":
      return hexSpaced(b.subarray(off, off + shape.size));
  }
}

/** A JS number when it is exact, else a bigint (`bigints`) or its decimal string (JSON). */
const num = (v: bigint, bigints: boolean): number | bigint | string =>
  bigints ? v : v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();

/**
 * Bytes as a JS value by their shape: structs as objects, integers as numbers, addresses and prefixes as
 * strings, enums by name, arrays as arrays, raw bytes as hex. `bigints`: 64-bit integers as bigint (the
 * library's accessors) instead of a number, or a decimal string when a number would lose digits (JSON).
 */
export function decodeValue(shape: Shape, b: Uint8Array, options: { bigints?: boolean } = {}, off = 0): unknown {
  const big = options.bigints === true;
  switch (shape.kind) {
    case "int": {
      if (shape.display === "ipv4") return formatIpv4(b.subarray(off, off + 4));
      const v = readInt(b, off, shape.size, shape.signed, shape.bigEndian);
      if (shape.display === "bool") return v !== 0n;
      if (shape.display === "hex") return `0x${v.toString(16)}`;
      return shape.size === 8 ? num(v, big) : Number(v);
    }
    case "float": return readFloat(b, off, shape.size);
    case "enum": {
      const v = readInt(b, off, shape.size, shape.signed, false);
      return shape.values.find((e) => e.value === v)?.name ?? num(v, big);
    }
    case "array": {
      // a char array is the string itself (unquoted), as JSON and JS callers want it
      if (shape.display === "string") return cString(b.subarray(off, off + shape.size));
      if (shape.display !== "list") return formatValue(shape, b, off);
      const step = shape.n ? shape.size / shape.n : 0;
      return Array.from({ length: shape.n }, (_, i) => decodeValue(shape.elem, b, options, off + i * step));
    }
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of shape.fields) out[f.name] = f.bitSize !== undefined ? num(readBits(b, off + f.offset, f), false) : decodeValue(f.shape, b, options, off + f.offset);
      return out;
    }
    case "prefix": return formatValue(shape, b, off);
    case "bytes": return Array.from(b.subarray(off, off + shape.size), (x) => x.toString(16).padStart(2, "0")).join("");
  }
}

/** The JSON form of a value (`--json`'s `formatted`): decodeValue with 64-bit integers exact. */
export const jsonValue = (shape: Shape, b: Uint8Array): unknown => decodeValue(shape, b, {});

// ---- text -> bytes ----

type Node = { kind: "atom"; text: string } | { kind: "list"; items: Node[] } | { kind: "object"; fields: [string, Node][] };

/** A JSON-like reader whose atoms are anything up to `,` `]` `}` (so 10.0.0.1 and fd00::1 are atoms). */
function read(text: string): Node {
  let i = 0;
  const ws = (): void => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const node = (): Node => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const fields: [string, Node][] = [];
      for (;;) {
        ws();
        if (text[i] === "}") { i++; return { kind: "object", fields }; }
        const m = /^"?([A-Za-z_.$][\w.$]*)"?\s*[:=]/.exec(text.slice(i));
        if (!m) bad(`expected a field name at character ${i + 1}`);
        i += m![0].length;
        fields.push([m![1]!, node()]);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== "}") bad(`expected ',' or '}' at character ${i + 1}`);
      }
    }
    if (c === "[") {
      i++;
      const items: Node[] = [];
      for (;;) {
        ws();
        if (text[i] === "]") { i++; return { kind: "list", items }; }
        items.push(node());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== "]") bad(`expected ',' or ']' at character ${i + 1}`);
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!m) bad("unterminated string");
      i += m![0].length;
      return { kind: "atom", text: m![0] };
    }
    const start = i;
    while (i < text.length && !/[,\]}]/.test(text[i]!)) i++;
    const atom = text.slice(start, i).trim();
    if (!atom) bad(`expected a value at character ${start + 1}`);
    return { kind: "atom", text: atom };
  };
  const n = node();
  ws();
  if (i < text.length) bad(`unexpected '${text.slice(i, i + 10)}' at character ${i + 1}`);
  return n;
}

function parseIntText(text: string, what: string): bigint {
  const t = text.replace(/_/g, "");
  if (!/^[-+]?(0x[0-9a-f]+|0b[01]+|0o[0-7]+|\d+)$/i.test(t)) bad(`${what}: expected an integer, got '${text}'`);
  const neg = t.startsWith("-");
  const v = BigInt(t.replace(/^[-+]/, ""));
  return neg ? -v : v;
}

function writeInt(out: Uint8Array, off: number, size: number, v: bigint, bigEndian: boolean, what: string): void {
  const bits = BigInt(size * 8);
  if (v >= 1n << bits || v < -(1n << (bits - 1n))) bad(`${what}: ${v} does not fit ${size} byte(s)`);
  const u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) out[off + (bigEndian ? size - 1 - i : i)] = Number((u >> BigInt(8 * i)) & 0xffn);
}

function writeBits(out: Uint8Array, off: number, f: ShapeField, v: bigint, what: string): void {
  const w = BigInt(f.bitSize!);
  const signed = f.shape.kind === "int" && f.shape.signed;
  if (signed ? v < -(1n << (w - 1n)) || v >= 1n << (w - 1n) : v < 0n || v >= 1n << w) bad(`${what}: ${v} does not fit a ${f.bitSize}-bit field`);
  const bytes = Math.ceil(((f.bitOffset ?? 0) + f.bitSize!) / 8);
  const shift = BigInt(f.bitOffset ?? 0);
  const mask = ((1n << w) - 1n) << shift;
  const all = (readInt(out, off, bytes, false, false) & ~mask) | ((BigInt.asUintN(f.bitSize!, v) << shift) & mask);
  for (let i = 0; i < bytes; i++) out[off + i] = Number((all >> BigInt(8 * i)) & 0xffn);
}

/** Exactly `size` bytes as hex (`0a000001`, `0a 00 00 01`, `0x0a000001`, `hex:...`), else undefined. */
function hexBytes(text: string, size: number): Uint8Array | undefined {
  const t = text.replace(/^(hex:|0x)/i, "").replace(/[\s:]/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(t) || t.length !== size * 2 || size === 0) return undefined;
  return Uint8Array.from(t.match(/../g)!, (h) => parseInt(h, 16));
}

const IPV4_TEXT = /^\d+\.\d+\.\d+\.\d+$/;

function addr(text: string, v6: boolean, what: string): Uint8Array {
  try { return v6 ? parseIpv6(text, what) : parseIpv4(text, what); } catch { return bad(`${what}: expected an IPv${v6 ? 6 : 4} address${v6 ? " like 2001:db8::1" : " like 10.0.0.1"}, got '${text}'`); }
}

/** `ADDR/LEN` into a prefix key (u32 length, host order, then the address). */
function putPrefix(shape: Extract<Shape, { kind: "prefix" }>, text: string, out: Uint8Array, off: number, what: string): boolean {
  const m = /^([0-9a-f.:]+)\/(\d+)$/i.exec(text);
  if (!m) return false;
  const v6 = m[1]!.includes(":");
  if ((shape.addrLen === 16) !== v6) bad(`${what}: expected an IPv${shape.addrLen === 16 ? 6 : 4} prefix like ${shape.addrLen === 16 ? "2001:db8::/32" : "192.0.2.0/24"}, got '${text}'`);
  const bits = Number(m[2]);
  if (bits > shape.addrLen * 8) bad(`${what}: a prefix length of at most ${shape.addrLen * 8}, got ${bits}`);
  writeInt(out, off, 4, BigInt(bits), false, what);
  out.set(addr(m[1]!, v6, what), off + 4);
  return true;
}

/**
 * Raw bytes as people type them where there is no type (and for any shape, as a fallback): exactly the
 * size in hex, a decimal number (little-endian, the width of the key), a dotted IPv4 address (network
 * order, 4 bytes or more), an IPv6 address (16 bytes), or ADDR/LEN for 8- and 20-byte lpm_trie keys.
 */
function putBytes(size: number, text: string, out: Uint8Array, off: number, what: string): void {
  const cidr = /^([0-9a-f.:]+)\/(\d+)$/i.exec(text);
  if (cidr) {
    const v6 = cidr[1]!.includes(":");
    if (size !== (v6 ? 20 : 8)) bad(`${what}: ADDR/LEN is an lpm_trie key of ${v6 ? 20 : 8} bytes (u32 prefix length + IPv${v6 ? 6 : 4} address); this one is ${size} bytes`);
    putPrefix({ kind: "prefix", size, addrLen: v6 ? 16 : 4 }, text, out, off, what);
    return;
  }
  if (size === 16 && /^[0-9a-f]*:[0-9a-f:.]*$/i.test(text) && text.split(":").length <= 8) { out.set(addr(text, true, what), off); return; }
  if (IPV4_TEXT.test(text)) {
    if (size < 4) bad(`${what}: an IPv4 address needs at least 4 bytes (this one is ${size} bytes)`);
    out.set(addr(text, false, what), off);
    return;
  }
  if (/^-?\d+$/.test(text)) {
    let v = BigInt.asUintN(size * 8, BigInt(text));
    for (let i = 0; i < size; i++) { out[off + i] = Number(v & 0xffn); v >>= 8n; }
    return;
  }
  const bytes = hexBytes(text, size);
  if (bytes) { out.set(bytes, off); return; }
  bad(`${what}: expected ${size} bytes as hex (${size * 2} digits), a decimal number${size >= 4 ? ", an IPv4 address" : ""}${size === 16 ? ", an IPv6 address" : ""}${size === 8 || size === 20 ? " or ADDR/LEN (lpm_trie key)" : ""}, got '${text}'`);
}

function put(shape: Shape, n: Node, out: Uint8Array, off: number, what: string): void {
  const atom = (): string => (n.kind === "atom" ? n.text : bad(`${what}: expected a single value`));
  // Any type also takes its whole size as raw hex bytes (what `run --json` and older command lines print).
  if (n.kind === "atom" && shape.kind !== "bytes" && !/^[-+]?\d+$/.test(n.text)) {
    const raw = hexBytes(n.text, shape.size);
    if (raw && (shape.kind !== "int" || !/^0x/i.test(n.text))) { out.set(raw, off); return; }
  }
  switch (shape.kind) {
    case "int": {
      const t = atom();
      if (shape.display === "ipv4" || (shape.size === 4 && IPV4_TEXT.test(t))) { out.set(addr(t, false, what), off); return; }
      if (shape.display === "bool" && /^(true|false)$/.test(t)) { out[off] = t === "true" ? 1 : 0; return; }
      writeInt(out, off, shape.size, parseIntText(t, what), shape.bigEndian, what);
      return;
    }
    case "float": {
      const t = atom();
      const v = Number(t);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$|^[-+]?(Infinity|NaN)$/i.test(t)) bad(`${what}: expected a number, got '${t}'`);
      const dv = new DataView(out.buffer, out.byteOffset + off, shape.size);
      if (shape.size === 4) dv.setFloat32(0, v, true); else dv.setFloat64(0, v, true);
      return;
    }
    case "enum": {
      const t = atom();
      const named = shape.values.find((e) => e.name === t);
      if (!named && !/^[-+]?(0x[0-9a-f]+|\d+)$/i.test(t)) bad(`${what}: expected ${shape.values.slice(0, 6).map((v) => v.name).join(", ")}${shape.values.length > 6 ? ", ..." : ""} or a number, got '${t}'`);
      writeInt(out, off, shape.size, named ? named.value : parseIntText(t, what), false, what);
      return;
    }
    case "array": {
      if (n.kind === "atom") {
        const t = n.text;
        let bytes: Uint8Array | undefined;
        if (shape.display === "ipv4") bytes = addr(t, false, what);
        else if (shape.display === "ipv6") bytes = addr(t, true, what);
        else if (shape.display === "mac") {
          try { bytes = parseMac(t, what); } catch { bad(`${what}: expected a MAC address like 02:00:00:00:00:01, got '${t}'`); }
        } else if (t.startsWith('"')) {
          const s = new TextEncoder().encode(JSON.parse(t) as string);
          if (s.length > shape.size) bad(`${what}: the string is ${s.length} bytes, the array holds ${shape.size}`);
          bytes = new Uint8Array(shape.size);
          bytes.set(s);
        } else bytes = hexBytes(t, shape.size);
        if (!bytes) bad(`${what}: expected [${shape.n} values]`);
        out.set(bytes!, off);
        return;
      }
      if (n.kind !== "list") bad(`${what}: expected [${shape.n} values]`);
      const items = (n as Extract<Node, { kind: "list" }>).items;
      if (items.length > shape.n) bad(`${what}: ${items.length} values for an array of ${shape.n}`);
      const step = shape.n ? shape.size / shape.n : 0;
      items.forEach((item, i) => put(shape.elem, item, out, off + i * step, `${what}[${i}]`));
      return;
    }
    case "struct": {
      if (n.kind !== "object") bad(`${what}: expected {${shape.fields.map((f) => f.name).join(", ")}}`);
      for (const [name, v] of (n as Extract<Node, { kind: "object" }>).fields) {
        const f = shape.fields.find((x) => x.name === name);
        if (!f) bad(`${what}: no field '${name}' (fields: ${shape.fields.map((x) => x.name).join(", ")})`);
        if (f!.bitSize !== undefined) {
          if (v.kind !== "atom") bad(`${what}.${name}: expected a single value`);
          writeBits(out, off + f!.offset, f!, parseIntText((v as { text: string }).text, `${what}.${name}`), `${what}.${name}`);
        } else put(f!.shape, v, out, off + f!.offset, `${what}.${name}`);
      }
      return;
    }
    case "prefix": {
      if (n.kind === "object" && shape.fields) { put({ kind: "struct", size: shape.size, fields: shape.fields }, n, out, off, what); return; }
      const t = atom();
      if (putPrefix(shape, t, out, off, what)) return;
      bad(`${what}: expected ADDR/LEN like ${shape.addrLen === 16 ? "2001:db8::/32" : "192.0.2.0/24"}${shape.fields ? ` or {${shape.fields.map((f) => f.name).join(", ")}}` : ""}, got '${t}'`);
      return;
    }
    case "bytes":
      putBytes(shape.size, atom(), out, off, what);
  }
}

/** Text -> bytes of `shape.size`; fields not given are zero. Throws ValueSyntaxError saying what is wrong. */
export function parseValue(shape: Shape, text: string, what = "value"): Uint8Array {
  const out = new Uint8Array(shape.size);
  // Raw bytes keep their old reading exactly (hex, decimal, IPv4, IPv6, ADDR/LEN) for maps without BTF.
  if (shape.kind === "bytes") { putBytes(shape.size, text.trim(), out, 0, what); return out; }
  put(shape, read(text), out, 0, what);
  return out;
}

/** A JS value as a Node for `put`: objects by field, arrays by element, everything else as its text. */
function toNode(v: unknown, what: string): Node {
  if (v === null || v === undefined) return bad(`${what}: no value`);
  if (typeof v === "object" && !(v instanceof Uint8Array)) {
    if (Array.isArray(v)) return { kind: "list", items: v.map((x, i) => toNode(x, `${what}[${i}]`)) };
    return { kind: "object", fields: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toNode(x, `${what}.${k}`)]) };
  }
  if (typeof v === "string") return { kind: "atom", text: v };
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return { kind: "atom", text: String(v) };
  return bad(`${what}: cannot use a ${typeof v}`);
}

/**
 * A JS value -> bytes of `shape.size`, as the library's map API takes keys and values: a Uint8Array as it
 * is (of the right size), a number or bigint for integers, a string in the text syntax (`192.0.2.0/24`),
 * an object by field and an array by element.
 */
export function encodeValue(shape: Shape, v: unknown, what = "value"): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length !== shape.size) bad(`${what}: ${v.length} bytes given, the type is ${shape.size} bytes`);
    return v.slice();
  }
  if (typeof v === "string") return parseValue(shape, v, what);
  const out = new Uint8Array(shape.size);
  if ((typeof v === "number" || typeof v === "bigint") && shape.kind === "bytes") {
    if (typeof v === "number" && !Number.isInteger(v)) bad(`${what}: ${v} is not an integer`);
    if (!SIZES.includes(shape.size)) bad(`${what}: a number for ${shape.size} bytes; give the bytes or hex`);
    writeInt(out, 0, shape.size, BigInt(v), false, what);
    return out;
  }
  put(shape, toNode(v, what), out, 0, what);
  return out;
}

/** A short description of the type, for placeholders and messages: `{prefixlen, addr}`, `u64`, `8 bytes`. */
export function describeShape(shape: Shape): string {
  switch (shape.kind) {
    case "struct": return `{${shape.fields.map((f) => f.name).join(", ")}}`;
    case "array": return shape.display === "list" ? `[${shape.n} × ${describeShape(shape.elem)}]` : shape.display === "string" ? `char[${shape.n}]` : shape.display;
    case "int": return shape.display === "ipv4" ? "ipv4" : shape.display === "bool" ? "bool" : `${shape.signed ? "s" : "u"}${shape.size * 8}${shape.bigEndian ? " (big-endian)" : ""}`;
    case "float": return shape.size === 4 ? "float" : "double";
    case "enum": return shape.values.slice(0, 4).map((v) => v.name).join(" | ") + (shape.values.length > 4 ? " | ..." : "");
    case "prefix": return shape.addrLen === 4 ? "ipv4 prefix (ADDR/LEN)" : "ipv6 prefix (ADDR/LEN)";
    case "bytes": return `${shape.size} bytes (hex)`;
  }
}
