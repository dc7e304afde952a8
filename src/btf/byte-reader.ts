// Bounds-checked little-endian reads over a byte buffer, failing with a diagnostic (BK4003) that names
// where in the file the read was. ELF, BTF and .BTF.ext readers all go through it.
import { BpfkitError, diag, type Location } from "../diagnostics/index.js";

/** Bounds-checked little-endian reads that fail with a diagnostic naming where in the file they were. */
export class ByteReader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly where: (offset: number) => Location, private readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(offset: number, length: number, what = this.what): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new BpfkitError(diag("BK4003", { what, reason: `${length} bytes at offset ${offset} run past the end (${this.bytes.length} bytes)` }, this.where(offset)));
    }
  }
  u8(o: number): number { this.check(o, 1); return this.view.getUint8(o); }
  u16(o: number): number { this.check(o, 2); return this.view.getUint16(o, true); }
  u32(o: number): number { this.check(o, 4); return this.view.getUint32(o, true); }
  i32(o: number): number { this.check(o, 4); return this.view.getInt32(o, true); }
  /** A u64 that must fit in a JS number (offsets and sizes in any real object do). */
  u64(o: number, field: string): number {
    this.check(o, 8);
    const v = this.view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new BpfkitError(diag("BK4003", { what: this.what, reason: `${field} 0x${v.toString(16)} is out of range` }, this.where(o)));
    }
    return Number(v);
  }
  i64(o: number): bigint { this.check(o, 8); return this.view.getBigInt64(o, true); }
  slice(o: number, length: number, what = this.what): Uint8Array {
    this.check(o, length, what);
    return this.bytes.subarray(o, o + length);
  }
  /** NUL-terminated string starting at `o` (an unterminated one is malformed). */
  cstring(o: number, what: string): string {
    this.check(o, 0, what);
    const end = this.bytes.indexOf(0, o);
    if (end < 0) throw new BpfkitError(diag("BK4003", { what, reason: `string at offset ${o} is not NUL-terminated` }, this.where(o)));
    return latin1(this.bytes.subarray(o, end));
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const latin1 = (b: Uint8Array): string => utf8.decode(b);
