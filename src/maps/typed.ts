// Typed map keys and values for the library: `TypedBytes` reads the bytes of a key or value as u32, u64,
// an IPv4 / IPv6 address, an LPM prefix, or (through the BTF value codec, src/btf/values.ts) as the C type
// the object declared; the builders (`u32(7)`, `ipv4("10.0.0.1")`, `prefix("192.0.2.0/24")`) make keys and
// values without byte arithmetic. The bare Uint8Array stays available as `.bytes`.
import { decodeValue, formatValue, jsonValue, rawShape, type Shape } from "../btf/values.js";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "../packet/addr.js";
import { BpfkitError, diag } from "../diagnostics/index.js";

const tooShort = (what: string, need: number, have: number): never => {
  throw new BpfkitError(diag("BK9803", { reason: `${what} needs ${need} bytes, this one has ${have}` }), 2);
};

/** A key or value: its bytes, and readers by the type the map declares or the one asked for. */
export class TypedBytes {
  constructor(readonly bytes: Uint8Array, readonly shape: Shape = rawShape(bytes.length)) {}

  private view(need: number, what: string): DataView {
    if (this.bytes.length < need) tooShort(what, need, this.bytes.length);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }
  /** Little-endian integers of the first bytes (the host's order, as the program sees them). */
  get u8(): number { return this.view(1, "u8").getUint8(0); }
  get u16(): number { return this.view(2, "u16").getUint16(0, true); }
  get u32(): number { return this.view(4, "u32").getUint32(0, true); }
  get u64(): bigint { return this.view(8, "u64").getBigUint64(0, true); }
  get i32(): number { return this.view(4, "i32").getInt32(0, true); }
  get i64(): bigint { return this.view(8, "i64").getBigInt64(0, true); }
  /** The first 4 bytes as a dotted IPv4 address (network order, as in packets). */
  get ipv4(): string { this.view(4, "ipv4"); return formatIpv4(this.bytes.subarray(0, 4)); }
  /** The first 16 bytes as an IPv6 address. */
  get ipv6(): string { this.view(16, "ipv6"); return formatIpv6(this.bytes.subarray(0, 16)); }
  /** An lpm_trie key (u32 prefix length, host order, then a 4- or 16-byte address) as `192.0.2.0/24`. */
  get prefix(): string {
    const len = this.view(8, "prefix").getUint32(0, true);
    const addr = this.bytes.subarray(4);
    return `${addr.length >= 16 ? formatIpv6(addr.subarray(0, 16)) : formatIpv4(addr.subarray(0, 4))}/${len}`;
  }
  /**
   * The value by its declared type: a struct as an object by field, integers as numbers (64-bit ones as
   * bigint), addresses and prefixes as strings, enums by name; hex when the map has no BTF.
   */
  get value(): unknown { return decodeValue(this.shape, this.bytes, { bigints: true }); }
  /** As `bpfkit run` prints it: `{vip: 10.0.0.100, port: 80, proto: 6}`, `192.0.2.0/24`, `7`. */
  toString(): string { return formatValue(this.shape, this.bytes); }
  /** As `--json` prints it (64-bit integers beyond 2^53 as decimal strings). */
  toJSON(): unknown { return jsonValue(this.shape, this.bytes); }
}

/** One map entry, typed: `value` is the value (per-CPU maps: CPU 0's), `values` one per CPU. */
export interface TypedEntry {
  key: TypedBytes;
  value: TypedBytes;
  values: TypedBytes[];
}

const int = (size: number, v: number | bigint, signed: boolean, what: string): Uint8Array => {
  const b = BigInt(v);
  const bits = BigInt(size * 8);
  if (typeof v === "number" && !Number.isInteger(v)) throw new BpfkitError(diag("BK9803", { reason: `${what}: ${v} is not an integer` }), 2);
  if (signed ? b < -(1n << (bits - 1n)) || b >= 1n << (bits - 1n) : b < 0n || b >= 1n << bits) {
    throw new BpfkitError(diag("BK9803", { reason: `${what}: ${v} does not fit ${size} byte(s)${signed ? " (signed)" : ""}` }), 2);
  }
  const out = new Uint8Array(size);
  let u = BigInt.asUintN(size * 8, b);
  for (let i = 0; i < size; i++) { out[i] = Number(u & 0xffn); u >>= 8n; }
  return out;
};

/** Little-endian integer keys and values. */
export const u8 = (v: number): Uint8Array => int(1, v, false, "u8");
export const u16 = (v: number): Uint8Array => int(2, v, false, "u16");
export const u32 = (v: number): Uint8Array => int(4, v, false, "u32");
export const u64 = (v: number | bigint): Uint8Array => int(8, v, false, "u64");
export const i32 = (v: number): Uint8Array => int(4, v, true, "i32");
export const i64 = (v: number | bigint): Uint8Array => int(8, v, true, "i64");
/** An IPv4 address in network order (4 bytes). */
export const ipv4 = (text: string): Uint8Array => parseIpv4(text, "ipv4");
/** An IPv6 address (16 bytes). */
export const ipv6 = (text: string): Uint8Array => parseIpv6(text, "ipv6");
/** An lpm_trie key: `192.0.2.0/24` or `2001:db8::/32` -> u32 prefix length (host order) + the address. */
export function prefix(text: string): Uint8Array {
  const m = /^([0-9a-f.:]+)\/(\d+)$/i.exec(text);
  if (!m) throw new BpfkitError(diag("BK9803", { reason: `prefix: expected ADDR/LEN like 192.0.2.0/24, got '${text}'` }), 2);
  const addr = m[1]!.includes(":") ? ipv6(m[1]!) : ipv4(m[1]!);
  const len = Number(m[2]);
  if (len > addr.length * 8) throw new BpfkitError(diag("BK9803", { reason: `prefix: a prefix length of at most ${addr.length * 8}, got ${len}` }), 2);
  const out = new Uint8Array(4 + addr.length);
  out.set(u32(len));
  out.set(addr, 4);
  return out;
}
