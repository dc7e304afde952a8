// .BTF.ext: per-section function info, line info and CO-RE relocation records. Offsets in the file are
// in bytes from the start of the ELF section; the linker (link.ts) rebases them to the final program.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { BTF_MAGIC, type Btf } from "./btf.js";
import { ByteReader } from "./byte-reader.js";

export interface FuncInfoRecord { insnOff: number; typeId: number }
export interface LineInfoRecord { insnOff: number; fileNameOff: number; lineOff: number; line: number; col: number }
export interface CoreReloRecord { insnOff: number; typeId: number; accessStr: string; kind: number }

export interface BtfExt {
  funcInfoRecSize: number;
  lineInfoRecSize: number;
  /** By ELF section name. */
  funcInfo: Map<string, FuncInfoRecord[]>;
  lineInfo: Map<string, LineInfoRecord[]>;
  coreRelos: Map<string, CoreReloRecord[]>;
}

const where = (offset: number) => ({ section: ".BTF.ext", offset });

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const r = new ByteReader(bytes, where, ".BTF.ext");
  if (bytes.length < 24) throw new BpfkitError(diag("BK4008", { reason: `header is truncated (${bytes.length} bytes)` }, where(0)));
  if (r.u16(0) !== BTF_MAGIC) throw new BpfkitError(diag("BK4008", { reason: `bad magic 0x${r.u16(0).toString(16)}` }, where(0)));
  const hdrLen = r.u32(4);
  if (hdrLen < 24 || hdrLen > bytes.length) throw new BpfkitError(diag("BK4008", { reason: `header length ${hdrLen} is invalid` }, where(4)));
  const ext: BtfExt = { funcInfoRecSize: 8, lineInfoRecSize: 16, funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map() };

  // Each info block: rec_size, then { sec_name_off, num_info, records... } until its end.
  const block = <T>(off: number, len: number, minRec: number, what: string, read: (at: number) => T, into: Map<string, T[]>): number => {
    if (len === 0) return minRec;
    const start = hdrLen + off;
    if (start + len > bytes.length || len < 4) throw new BpfkitError(diag("BK4008", { reason: `${what} (${off}+${len}) lies outside the section` }, where(hdrLen)));
    const recSize = r.u32(start);
    if (recSize < minRec || recSize > 1024) throw new BpfkitError(diag("BK4008", { reason: `${what} record size ${recSize} is invalid (at least ${minRec})` }, where(start)));
    let p = start + 4;
    const end = start + len;
    while (p < end) {
      if (p + 8 > end) throw new BpfkitError(diag("BK4008", { reason: `${what}: truncated section header` }, where(p)));
      const sec = btf.strings(r.u32(p));
      const n = r.u32(p + 4);
      p += 8;
      if (p + n * recSize > end) throw new BpfkitError(diag("BK4008", { reason: `${what} for section ${sec}: ${n} records run past the end` }, where(p)));
      const list = into.get(sec) ?? [];
      for (let i = 0; i < n; i++, p += recSize) list.push(read(p));
      into.set(sec, list);
    }
    return recSize;
  };
  ext.funcInfoRecSize = block(r.u32(8), r.u32(12), 8, "func_info", (at) => ({ insnOff: r.u32(at), typeId: r.u32(at + 4) }), ext.funcInfo);
  ext.lineInfoRecSize = block(r.u32(16), r.u32(20), 16, "line_info", (at) => {
    const lc = r.u32(at + 12);
    return { insnOff: r.u32(at), fileNameOff: r.u32(at + 4), lineOff: r.u32(at + 8), line: lc >>> 10, col: lc & 0x3ff };
  }, ext.lineInfo);
  if (hdrLen >= 32) {
    block(r.u32(24), r.u32(28), 16, "core_relo", (at) => ({ insnOff: r.u32(at), typeId: r.u32(at + 4), accessStr: btf.strings(r.u32(at + 8)), kind: r.u32(at + 12) }), ext.coreRelos);
  }
  return ext;
}
