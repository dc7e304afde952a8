// pcapng reader (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng): section header, interface
// description (link type, snap length, if_tsresol, if_name), enhanced, simple and obsolete packet blocks;
// other blocks are skipped. Each section declares its own byte order.
import { fail } from "../diagnostics/index.js";
import type { Capture, CaptureInterface, CapturedPacket } from "./capture.js";

const SHB = 0x0a0d0d0a, IDB = 1, OPB = 2, SPB = 3, EPB = 6;
const BOM = 0x1a2b3c4d;

export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

interface Iface extends CaptureInterface { /** timestamp unit as a fraction of a second: ns = ts * num / den */ num: bigint; den: bigint }

export function readPcapng(bytes: Uint8Array): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const short = (what: string, offset: number, need: number) => fail("BK9505", { what, offset, need, have: bytes.length - offset }, { offset });
  const bad = (field: string, value: number | string, offset: number, expected: string) => fail("BK9506", { field, value, offset, expected }, { offset });
  if (!isPcapng(bytes)) fail("BK9504", { magic: bytes.length >= 4 ? view.getUint32(0, false).toString(16).padStart(8, "0") : "(short)" }, { offset: 0 });
  let le = true;
  let firstLe: boolean | undefined;
  let sectionIfaces: Iface[] = [];
  const all: Iface[] = [];
  const packets: CapturedPacket[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (o + 12 > bytes.length) short("block header", o, 12);
    const type = view.getUint32(o, le);
    if (view.getUint32(o, true) === SHB) {
      if (o + 12 > bytes.length) short("section header block", o, 12);
      const bom = view.getUint32(o + 8, true);
      if (bom === BOM) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else bad("byte-order magic", bom.toString(16), o + 8, "1a2b3c4d in either byte order");
      firstLe ??= le;
      sectionIfaces = [];
    }
    const len = view.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0) bad("block total length", len, o + 4, "a multiple of 4, at least 12");
    if (o + len > bytes.length) short(`block type 0x${type.toString(16)}`, o, len);
    if (view.getUint32(o + len - 4, le) !== len) bad("trailing block total length", view.getUint32(o + len - 4, le), o + len - 4, `equal to the leading length ${len}`);
    const body = o + 8, bodyEnd = o + len - 4;
    const needBody = (n: number) => { if (body + n > bodyEnd) short(`block type 0x${type.toString(16)} body`, body, n); };
    if (view.getUint32(o, le) === SHB) {
      needBody(16);
      const major = view.getUint16(body + 4, le);
      if (major !== 1) bad("major version", major, body + 4, "1");
    } else if (type === IDB) {
      needBody(8);
      const iface: Iface = { linkType: view.getUint16(body, le), snapLength: view.getUint32(body + 4, le), num: 1000n, den: 1n };
      // Options: code u16, length u16, value padded to 4.
      for (let p = body + 8; p + 4 <= bodyEnd;) {
        const code = view.getUint16(p, le), olen = view.getUint16(p + 2, le);
        if (code === 0) break;
        if (p + 4 + olen > bodyEnd) short(`interface ${all.length} option ${code}`, p + 4, olen);
        if (code === 2) iface.name = new TextDecoder().decode(bytes.subarray(p + 4, p + 4 + olen)).replace(/\0+$/, "");
        if (code === 9 && olen >= 1) {
          const r = bytes[p + 4]!;
          const exp = BigInt(r & 0x7f);
          if (r & 0x80) { iface.num = 1_000_000_000n; iface.den = 1n << exp; }
          else if (exp <= 9n) { iface.num = 10n ** (9n - exp); iface.den = 1n; }
          else { iface.num = 1n; iface.den = 10n ** (exp - 9n); }
        }
        p += 4 + ((olen + 3) & ~3);
      }
      sectionIfaces.push(iface);
      all.push(iface);
    } else if (type === EPB || type === OPB) {
      needBody(20);
      const ifid = type === EPB ? view.getUint32(body, le) : view.getUint16(body, le);
      const iface = sectionIfaces[ifid] ?? bad("interface id", ifid, body, `one of the ${sectionIfaces.length} interfaces declared in this section`);
      const ts = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
      const cap = view.getUint32(body + 12, le), orig = view.getUint32(body + 16, le);
      if (body + 20 + cap > bodyEnd) short(`packet ${packets.length} data`, body + 20, cap);
      packets.push({ timestamp: (ts * iface.num) / iface.den, data: bytes.slice(body + 20, body + 20 + cap), originalLength: orig, interface: all.indexOf(iface) });
    } else if (type === SPB) {
      needBody(4);
      const iface = sectionIfaces[0] ?? bad("interface id", 0, body, "a simple packet block needs an interface description first");
      const orig = view.getUint32(body, le);
      let cap = Math.min(orig, bodyEnd - body - 4);
      if (iface.snapLength > 0) cap = Math.min(cap, iface.snapLength);
      packets.push({ timestamp: 0n, data: bytes.slice(body + 4, body + 4 + cap), originalLength: orig, interface: all.indexOf(iface) });
    }
    o += len;
  }
  const first = all[0];
  return {
    format: "pcapng", linkType: first?.linkType ?? 0, snapLength: first?.snapLength ?? 0,
    precision: first && first.num === 1n && first.den === 1n ? "nano" : "micro",
    byteOrder: (firstLe ?? true) ? "little" : "big",
    interfaces: all.map(({ linkType, snapLength, name }) => (name === undefined ? { linkType, snapLength } : { linkType, snapLength, name })),
    packets,
  };
}
