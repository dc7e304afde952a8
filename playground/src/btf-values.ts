// Map keys and values as text a person reads and edits, by the C type the object's BTF gives them:
// `{prefixlen: 24, addr: 198.51.100.0}` for a struct lpm_v4_key, `7` for a __u64, `{packets_seen: 3}` for
// a .data section. Without BTF (asm `.map` directives) the bytes are hex, and input may also be a dotted
// IPv4 address or an integer (little-endian, the width of the key). `format` and `parse` round-trip.
import { btf as btfLib, packet } from "../../src/index.js";

type Btf = btfLib.Btf;
const K = btfLib.BTF_KIND;

export type Shape =
  | { kind: "int"; size: number; signed: boolean; bigEndian: boolean; display: "dec" | "ipv4" | "bool" | "char" }
  | { kind: "enum"; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { kind: "array"; size: number; n: number; elem: Shape; display: "list" | "ipv4" | "ipv6" | "mac" | "string" }
  | { kind: "struct"; size: number; fields: { name: string; offset: number; shape: Shape }[] }
  | { kind: "bytes"; size: number };

const ADDR_NAME = /addr|^ip\d*$|^(src|dst|vip|dip|sip|saddr|daddr)(_?ip)?$|_ip$/i;
const MAC_NAME = /mac|h_source|h_dest|eth/i;

/** The shape of BTF type `id`, named `field` (field names pick address displays). */
export function shapeOf(btf: Btf, id: number, field = "", depth = 0): Shape {
  const size = btfLib.sizeOf(btf, id);
  if (depth > 16) return { kind: "bytes", size };
  // Typedef names carry the byte order (__be16, __be32) before skipModifiers drops them.
  let bigEndian = false;
  for (let t = btf.types[id]; t && (t.kind === K.TYPEDEF || t.kind === K.CONST || t.kind === K.VOLATILE || t.kind === K.TYPE_TAG); t = btf.types[t.sizeOrType]) {
    if (/^__be\d+$|^be\d+$/.test(t.name)) bigEndian = true;
  }
  const t = btfLib.skipModifiers(btf, id);
  switch (t.kind) {
    case K.INT: {
      const enc = t.intEncoding!;
      if (enc.offset !== 0 || enc.bits !== size * 8 || ![1, 2, 4, 8].includes(size)) return { kind: "bytes", size };
      const signed = (enc.encoding & 1) !== 0;
      const display = enc.encoding & 4 ? "bool" : size === 4 && bigEndian && ADDR_NAME.test(field) ? "ipv4" : "dec";
      return { kind: "int", size, signed, bigEndian, display };
    }
    case K.ENUM: case K.ENUM64:
      if (![1, 2, 4, 8].includes(size)) return { kind: "bytes", size };
      return { kind: "enum", size, signed: t.kflag, values: t.enumValues ?? [] };
    case K.PTR: return { kind: "int", size: 8, signed: false, bigEndian: false, display: "dec" };
    case K.ARRAY: {
      const a = t.array!;
      const elem = shapeOf(btf, a.type, field, depth + 1);
      let display: "list" | "ipv4" | "ipv6" | "mac" | "string" = "list";
      if (elem.kind === "int" && elem.size === 1) {
        const et = btfLib.skipModifiers(btf, a.type);
        if (et.name === "char") display = "string";
        else if (a.nelems === 4 && ADDR_NAME.test(field)) display = "ipv4";
        else if (a.nelems === 16 && ADDR_NAME.test(field)) display = "ipv6";
        else if (a.nelems === 6 && MAC_NAME.test(field)) display = "mac";
      }
      return { kind: "array", size, n: a.nelems, elem, display };
    }
    case K.STRUCT: {
      const fields: { name: string; offset: number; shape: Shape }[] = [];
      for (const m of t.members ?? []) {
        const bitOff = t.kflag ? m.offset & 0xffffff : m.offset;
        const bitSize = t.kflag ? m.offset >>> 24 : 0;
        if (bitSize || bitOff % 8) return { kind: "bytes", size }; // bitfields: raw bytes
        fields.push({ name: m.name || `_${fields.length}`, offset: bitOff / 8, shape: shapeOf(btf, m.type, m.name, depth + 1) });
      }
      return { kind: "struct", size, fields };
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

/** Parse an object's BTF once; undefined when it has none or it does not parse. */
export function parseProgramBtf(raw: Uint8Array | undefined): Btf | undefined {
  if (!raw) return undefined;
  try { return btfLib.parseBtf(raw); } catch { return undefined; }
}

// ---- bytes -> text ----

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

function readInt(b: Uint8Array, off: number, size: number, signed: boolean, bigEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const byte = BigInt(b[off + (bigEndian ? i : size - 1 - i)] ?? 0);
    v = (v << 8n) | byte;
  }
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

export function format(shape: Shape, b: Uint8Array, off = 0): string {
  switch (shape.kind) {
    case "int": {
      if (shape.display === "ipv4") return packet.formatIpv4(b.subarray(off, off + 4));
      const v = readInt(b, off, shape.size, shape.signed, shape.bigEndian);
      if (shape.display === "bool") return v ? "true" : "false";
      return v.toString();
    }
    case "enum": {
      const v = readInt(b, off, shape.size, shape.signed, false);
      return shape.values.find((e) => e.value === v)?.name ?? v.toString();
    }
    case "array": {
      const bytes = b.subarray(off, off + shape.size);
      if (shape.display === "ipv4") return packet.formatIpv4(bytes);
      if (shape.display === "ipv6") return packet.formatIpv6(bytes);
      if (shape.display === "mac") return packet.formatMac(bytes);
      if (shape.display === "string") {
        const end = bytes.indexOf(0);
        return JSON.stringify(new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes));
      }
      const step = shape.n ? shape.size / shape.n : 0;
      return `[${Array.from({ length: shape.n }, (_, i) => format(shape.elem, b, off + i * step)).join(", ")}]`;
    }
    case "struct":
      return `{${shape.fields.map((f) => `${f.name}: ${format(f.shape, b, off + f.offset)}`).join(", ")}}`;
    case "bytes":
      return hex(b.subarray(off, off + shape.size));
  }
}

// ---- text -> bytes ----

export class ValueSyntaxError extends Error {}

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
        if (!m) throw new ValueSyntaxError(`expected a field name at character ${i + 1}`);
        i += m[0].length;
        fields.push([m[1]!, node()]);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== "}") throw new ValueSyntaxError(`expected ',' or '}' at character ${i + 1}`);
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
        else if (text[i] !== "]") throw new ValueSyntaxError(`expected ',' or ']' at character ${i + 1}`);
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!m) throw new ValueSyntaxError("unterminated string");
      i += m[0].length;
      return { kind: "atom", text: m[0] };
    }
    const start = i;
    while (i < text.length && !/[,\]}]/.test(text[i]!)) i++;
    const atom = text.slice(start, i).trim();
    if (!atom) throw new ValueSyntaxError(`expected a value at character ${start + 1}`);
    return { kind: "atom", text: atom };
  };
  const n = node();
  ws();
  if (i < text.length) throw new ValueSyntaxError(`unexpected '${text.slice(i, i + 10)}' at character ${i + 1}`);
  return n;
}

function parseIntText(text: string, what: string): bigint {
  const t = text.replace(/_/g, "");
  if (!/^[-+]?(0x[0-9a-f]+|0b[01]+|0o[0-7]+|\d+)$/i.test(t)) throw new ValueSyntaxError(`${what}: expected an integer, got '${text}'`);
  const neg = t.startsWith("-");
  const v = BigInt(t.replace(/^[-+]/, ""));
  return neg ? -v : v;
}

function writeInt(out: Uint8Array, off: number, size: number, v: bigint, bigEndian: boolean, what: string): void {
  const bits = BigInt(size * 8);
  if (v >= 1n << bits || v < -(1n << (bits - 1n))) throw new ValueSyntaxError(`${what}: ${v} does not fit ${size} byte(s)`);
  const u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) out[off + (bigEndian ? size - 1 - i : i)] = Number((u >> BigInt(8 * i)) & 0xffn);
}

function hexBytes(text: string, size: number, what: string): Uint8Array | undefined {
  const t = text.replace(/^hex:/i, "").replace(/[\s:]/g, "");
  if (!/^([0-9a-f]{2})+$/i.test(t) || t.length !== size * 2) return undefined;
  void what;
  return Uint8Array.from(t.match(/../g)!, (h) => parseInt(h, 16));
}

function put(shape: Shape, n: Node, out: Uint8Array, off: number, what: string): void {
  const atom = (): string => {
    if (n.kind !== "atom") throw new ValueSyntaxError(`${what}: expected a single value`);
    return n.text;
  };
  switch (shape.kind) {
    case "int": {
      const t = atom();
      if (shape.display === "ipv4" || (shape.size === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(t))) {
        try { out.set(packet.parseIpv4(t, what), off); } catch { throw new ValueSyntaxError(`${what}: expected an IPv4 address like 10.0.0.1, got '${t}'`); }
        return;
      }
      if (shape.display === "bool" && /^(true|false)$/.test(t)) { out[off] = t === "true" ? 1 : 0; return; }
      writeInt(out, off, shape.size, parseIntText(t, what), shape.bigEndian, what);
      return;
    }
    case "enum": {
      const t = atom();
      const named = shape.values.find((e) => e.name === t);
      writeInt(out, off, shape.size, named ? named.value : parseIntText(t, what), false, what);
      return;
    }
    case "array": {
      if (n.kind === "atom") {
        const t = n.text;
        const bytes = ((): Uint8Array | undefined => {
          try {
            if (shape.display === "ipv4") return packet.parseIpv4(t, what);
            if (shape.display === "ipv6") return packet.parseIpv6(t, what);
            if (shape.display === "mac") return packet.parseMac(t, what);
          } catch { throw new ValueSyntaxError(`${what}: expected ${shape.display === "mac" ? "a MAC address like 02:00:00:00:00:01" : `an ${shape.display === "ipv4" ? "IPv4" : "IPv6"} address`}, got '${t}'`); }
          if (t.startsWith('"')) {
            const s = new TextEncoder().encode(JSON.parse(t) as string);
            if (s.length > shape.size) throw new ValueSyntaxError(`${what}: the string is ${s.length} bytes, the array holds ${shape.size}`);
            const b = new Uint8Array(shape.size); b.set(s); return b;
          }
          return hexBytes(t, shape.size, what);
        })();
        if (!bytes) throw new ValueSyntaxError(`${what}: expected [${shape.n} values]`);
        out.set(bytes, off);
        return;
      }
      if (n.kind !== "list") throw new ValueSyntaxError(`${what}: expected [${shape.n} values]`);
      if (n.items.length > shape.n) throw new ValueSyntaxError(`${what}: ${n.items.length} values for an array of ${shape.n}`);
      const step = shape.n ? shape.size / shape.n : 0;
      n.items.forEach((item, i) => put(shape.elem, item, out, off + i * step, `${what}[${i}]`));
      return;
    }
    case "struct": {
      if (n.kind !== "object") throw new ValueSyntaxError(`${what}: expected {${shape.fields.map((f) => f.name).join(", ")}}`);
      for (const [name, v] of n.fields) {
        const f = shape.fields.find((x) => x.name === name);
        if (!f) throw new ValueSyntaxError(`${what}: no field '${name}' (fields: ${shape.fields.map((x) => x.name).join(", ")})`);
        put(f.shape, v, out, off + f.offset, `${what}.${name}`);
      }
      return;
    }
    case "bytes": {
      const t = atom();
      const bytes = hexBytes(t, shape.size, what);
      if (bytes) { out.set(bytes, off); return; }
      if (shape.size === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(t)) { out.set(packet.parseIpv4(t, what), off); return; }
      if ([1, 2, 4, 8].includes(shape.size) && /^[-+]?(0x)?[0-9a-f_]+$/i.test(t)) {
        writeInt(out, off, shape.size, parseIntText(t, what), false, what);
        return;
      }
      throw new ValueSyntaxError(`${what}: expected ${shape.size} hex bytes (like ${"00 ".repeat(Math.min(shape.size, 4)).trim()}${shape.size > 4 ? " ..." : ""})${[1, 2, 4, 8].includes(shape.size) ? ", an integer" : ""}${shape.size === 4 ? " or an IPv4 address" : ""}`);
    }
  }
}

/** Text -> bytes of `shape.size`; fields not given are zero. Throws ValueSyntaxError with what is wrong. */
export function parse(shape: Shape, text: string, what = "value"): Uint8Array {
  const out = new Uint8Array(shape.size);
  put(shape, read(text), out, 0, what);
  return out;
}

/** A short description of the type, for placeholders: `{prefixlen, addr}` or `8 bytes`. */
export function describe(shape: Shape): string {
  switch (shape.kind) {
    case "struct": return `{${shape.fields.map((f) => f.name).join(", ")}}`;
    case "array": return shape.display === "list" ? `[${shape.n} × ${describe(shape.elem)}]` : shape.display;
    case "int": return shape.display === "ipv4" ? "IPv4 address" : `${shape.signed ? "s" : "u"}${shape.size * 8}${shape.bigEndian ? " (big-endian)" : ""}`;
    case "enum": return shape.values.slice(0, 4).map((v) => v.name).join(" | ") + (shape.values.length > 4 ? " | ..." : "");
    case "bytes": return `${shape.size} bytes (hex)`;
  }
}
