// Classic libpcap files: read either byte order and either timestamp precision; write any of the four.
// Bad files are BpfkitErrors naming the offset (BK9504 wrong magic, BK9505 truncated, BK9506 bad field).
import { fail } from "../diagnostics/index.js";
import { type Capture, type CapturedPacket, LINKTYPE } from "./capture.js";

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** Larger records are surely corruption (libpcap's own limit for non-D-Bus link types is 256 KiB). */
const MAX_RECORD = 0x40000;

export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return [MAGIC_MICRO, MAGIC_NANO].some((m) => v.getUint32(0, true) === m || v.getUint32(0, false) === m);
}

export function readPcap(bytes: Uint8Array): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const short = (what: string, offset: number, need: number) => fail("BK9505", { what, offset, need, have: bytes.length - offset }, { offset });
  if (bytes.length < 4) short("file header", 0, FILE_HEADER);
  let le: boolean;
  const m = view.getUint32(0, true);
  if (m === MAGIC_MICRO || m === MAGIC_NANO) le = true;
  else if (view.getUint32(0, false) === MAGIC_MICRO || view.getUint32(0, false) === MAGIC_NANO) le = false;
  else fail("BK9504", { magic: view.getUint32(0, false).toString(16).padStart(8, "0") }, { offset: 0 });
  if (bytes.length < FILE_HEADER) short("file header", 0, FILE_HEADER);
  const nano = view.getUint32(0, le) === MAGIC_NANO;
  const major = view.getUint16(4, le);
  if (major !== 2) fail("BK9506", { field: "version_major", value: major, offset: 4, expected: "2" }, { offset: 4 });
  const snapLength = view.getUint32(16, le);
  // The upper bits of the link-type word carry FCS information (LINKTYPE_FCS_*), not the type.
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  let o = FILE_HEADER;
  while (o < bytes.length) {
    if (o + RECORD_HEADER > bytes.length) short(`record ${packets.length} header`, o, RECORD_HEADER);
    const sec = view.getUint32(o, le), frac = view.getUint32(o + 4, le);
    const incl = view.getUint32(o + 8, le), orig = view.getUint32(o + 12, le);
    const bad = (field: string, value: number, off: number, expected: string) => fail("BK9506", { field: `record ${packets.length} ${field}`, value, offset: off, expected }, { offset: off });
    if (frac >= (nano ? 1e9 : 1e6)) bad(nano ? "ts_nsec" : "ts_usec", frac, o + 4, `less than ${nano ? "1e9" : "1e6"}`);
    if (incl > MAX_RECORD) bad("incl_len", incl, o + 8, `at most ${MAX_RECORD}`);
    if (incl > orig) bad("incl_len", incl, o + 8, `at most orig_len (${orig})`);
    if (o + RECORD_HEADER + incl > bytes.length) short(`record ${packets.length} data`, o + RECORD_HEADER, incl);
    packets.push({
      timestamp: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n),
      data: bytes.slice(o + RECORD_HEADER, o + RECORD_HEADER + incl),
      originalLength: orig,
    });
    o += RECORD_HEADER + incl;
  }
  return {
    format: "pcap", linkType, snapLength, precision: nano ? "nano" : "micro", byteOrder: le ? "little" : "big",
    interfaces: [{ linkType, snapLength }], packets,
  };
}

export interface PcapWriteOptions {
  linkType?: number; // default Ethernet
  snapLength?: number; // default 262144
  precision?: "micro" | "nano"; // default micro (what every tool reads)
  byteOrder?: "little" | "big"; // default little
}

/** Packets may be bare byte arrays (timestamps 0, 1 µs, 2 µs, ... so replay order is kept) or CapturedPackets. */
export function writePcap(packets: readonly (CapturedPacket | Uint8Array)[], options: PcapWriteOptions = {}): Uint8Array {
  const le = (options.byteOrder ?? "little") === "little";
  const nano = options.precision === "nano";
  const snap = options.snapLength ?? 0x40000;
  const linkType = options.linkType ?? LINKTYPE.ETHERNET;
  const bad = (field: string, value: string | number | bigint, expected: string) => fail("BK9507", { field, value, expected });
  if (!Number.isInteger(snap) || snap <= 0 || snap > 0xffffffff) bad("snapLength", snap, "a positive 32-bit integer");
  if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0x0fffffff) bad("linkType", linkType, "a link type number");
  const recs = packets.map((p, i): CapturedPacket => (p instanceof Uint8Array ? { timestamp: BigInt(i) * 1000n, data: p, originalLength: p.length } : p));
  const size = FILE_HEADER + recs.reduce((n, r) => n + RECORD_HEADER + Math.min(r.data.length, snap), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, nano ? MAGIC_NANO : MAGIC_MICRO, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, snap, le);
  view.setUint32(20, linkType, le);
  let o = FILE_HEADER;
  recs.forEach((r, i) => {
    if (r.timestamp < 0n || r.timestamp / 1_000_000_000n > 0xffffffffn) bad(`packets[${i}].timestamp`, r.timestamp, "nanoseconds since 1970 that fit a 32-bit seconds field");
    const incl = Math.min(r.data.length, snap);
    const orig = Math.max(r.originalLength, r.data.length);
    if (orig > 0xffffffff) bad(`packets[${i}].originalLength`, orig, "a 32-bit length");
    view.setUint32(o, Number(r.timestamp / 1_000_000_000n), le);
    const ns = Number(r.timestamp % 1_000_000_000n);
    view.setUint32(o + 4, nano ? ns : Math.floor(ns / 1000), le);
    view.setUint32(o + 8, incl, le);
    view.setUint32(o + 12, orig, le);
    out.set(r.data.subarray(0, incl), o + RECORD_HEADER);
    o += RECORD_HEADER + incl;
  });
  return out;
}
