// Stage 1 of loading an object: the raw ELF64 little-endian structure (header, sections, symbols,
// relocations), with every offset and size checked against the file before it is used. Nothing here
// knows about BPF beyond EM_BPF; the object model (object.ts) gives the sections their meaning.
import { BpfkitError, diag, type Location } from "../diagnostics/index.js";
import { ByteReader } from "../btf/byte-reader.js";

export { ByteReader };

export const EM_BPF = 247;
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
/** Relocation types of EM_BPF (REL: the addend is the instruction's own imm). */
export const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents (meaningless for NOBITS). */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** Contents; a zero-filled view for NOBITS (.bss) so callers need not special-case it. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  bind: number;
  visibility: number;
  shndx: number;
}

export interface ElfRelocation {
  /** Index within its relocation section, for messages. */
  index: number;
  offset: number;
  type: number;
  symbol: number;
  /** Only for RELA sections; REL keeps the addend in the relocated field. */
  addend?: number;
}

export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocation section name (`.rel.text`) and entries, keyed by the index of the section they patch. */
  relocations: Map<number, { section: string; entries: ElfRelocation[] }>;
  file?: string;
}

/** Parse an ELF64 little-endian EM_BPF relocatable object. Throws BpfkitError (BK4001-BK4003). */
export function readElf(bytes: Uint8Array, file?: string): ElfFile {
  const at = (offset: number): Location => ({ ...(file !== undefined ? { file } : {}), offset });
  const r = new ByteReader(bytes, at, "ELF header");
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new BpfkitError(diag("BK4001", { reason: "the file does not start with \\x7fELF" }, at(0)));
  }
  if (bytes.length < 64) throw new BpfkitError(diag("BK4001", { reason: `the file is ${bytes.length} bytes, shorter than an ELF64 header` }, at(0)));
  if (bytes[4] !== 2) throw new BpfkitError(diag("BK4002", { reason: `ELF class ${bytes[4]} (only ELF64 is a BPF object)` }, at(4)));
  if (bytes[5] !== 1) throw new BpfkitError(diag("BK4002", { reason: `data encoding ${bytes[5]} (only little-endian is supported)` }, at(5)));
  const machine = r.u16(18);
  if (machine !== EM_BPF) throw new BpfkitError(diag("BK4002", { reason: `machine ${machine} is not EM_BPF (247)` }, at(18)));
  const shoff = r.u64(40, "e_shoff");
  const shentsize = r.u16(58);
  const shnum = r.u16(60);
  const shstrndx = r.u16(62);
  if (shnum === 0) throw new BpfkitError(diag("BK4003", { what: "ELF header", reason: "the object has no section headers" }, at(60)));
  if (shentsize < 64) throw new BpfkitError(diag("BK4003", { what: "ELF header", reason: `section header size ${shentsize} is smaller than 64` }, at(58)));
  r.check(shoff, shnum * shentsize, "section header table");

  const raw: { nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number; header: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const b = shoff + i * shentsize;
    const type = r.u32(b + 4);
    const offset = r.u64(b + 24, "sh_offset");
    const size = r.u64(b + 32, "sh_size");
    raw.push({ nameOff: r.u32(b), type, flags: r.u64(b + 8, "sh_flags"), offset, size, link: r.u32(b + 40), info: r.u32(b + 44), entsize: r.u64(b + 56, "sh_entsize"), header: b });
  }
  if (shstrndx >= shnum) throw new BpfkitError(diag("BK4003", { what: "ELF header", reason: `section name table index ${shstrndx} is out of range (${shnum} sections)` }, at(62)));
  const strtabOf = (h: (typeof raw)[number], what: string): ByteReader => {
    if (h.type === SHT.NOBITS) throw new BpfkitError(diag("BK4003", { what, reason: "string table has no contents" }, at(h.header)));
    r.check(h.offset, h.size, what);
    return new ByteReader(bytes.subarray(h.offset, h.offset + h.size), (o) => ({ ...(file !== undefined ? { file } : {}), section: what, offset: o }), what);
  };
  const shstr = strtabOf(raw[shstrndx]!, "section name table");

  const sections: ElfSection[] = raw.map((h, index) => {
    const name = index === 0 ? "" : shstr.cstring(h.nameOff, "section name table");
    let data: Uint8Array;
    if (h.type === SHT.NOBITS) {
      // .bss has no file contents; a bounded zero view keeps a corrupt size from allocating gigabytes.
      if (h.size > 1 << 26) throw new BpfkitError(diag("BK4003", { what: `section ${name}`, reason: `NOBITS size ${h.size} is too large` }, at(h.header + 32)));
      data = new Uint8Array(h.size);
    } else if (h.type === SHT.NULL) {
      data = new Uint8Array(0);
    } else {
      data = r.slice(h.offset, h.size, `section ${name || index}`);
    }
    return { index, name, type: h.type, flags: h.flags, offset: h.offset, size: h.size, link: h.link, info: h.info, entsize: h.entsize, data };
  });

  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    if (symtab.link >= sections.length) throw new BpfkitError(diag("BK4003", { what: "symbol table", reason: `string table index ${symtab.link} is out of range` }, { section: symtab.name }));
    const strtab = strtabOf(raw[symtab.link]!, sections[symtab.link]!.name || "string table");
    const s = new ByteReader(symtab.data, (o) => ({ section: symtab.name, offset: o }), "symbol table");
    if (symtab.size % 24 !== 0) throw new BpfkitError(diag("BK4003", { what: "symbol table", reason: `size ${symtab.size} is not a multiple of 24` }, { section: symtab.name }));
    for (let i = 0; i < symtab.size / 24; i++) {
      const b = i * 24;
      const info = s.u8(b + 4);
      symbols.push({
        index: i, name: strtab.cstring(s.u32(b), "symbol names"), type: info & 0xf, bind: info >> 4, visibility: s.u8(b + 5) & 3,
        shndx: s.u16(b + 6), value: s.u64(b + 8, "st_value"), size: s.u64(b + 16, "st_size"),
      });
    }
  }

  const relocations = new Map<number, { section: string; entries: ElfRelocation[] }>();
  for (const sec of sections) {
    if (sec.type !== SHT.REL && sec.type !== SHT.RELA) continue;
    // Like libbpf, relocations of DWARF and of .BTF/.BTF.ext (ABS32/ABS64/NODYLD32 for tools that link)
    // mean nothing to a loader; they are neither applied nor required to be well-formed.
    const target = sections[sec.info];
    if (target && (target.name.startsWith(".debug") || target.name === ".BTF" || target.name === ".BTF.ext" || target.name === ".eh_frame")) continue;
    const rela = sec.type === SHT.RELA;
    const size = rela ? 24 : 16;
    if (sec.size % size !== 0) throw new BpfkitError(diag("BK4003", { what: "relocation section", reason: `size ${sec.size} is not a multiple of ${size}` }, { section: sec.name }));
    if (sec.info >= sections.length || sec.info === 0) throw new BpfkitError(diag("BK4003", { what: "relocation section", reason: `target section index ${sec.info} is out of range` }, { section: sec.name }));
    const rr = new ByteReader(sec.data, (o) => ({ section: sec.name, offset: o }), "relocation section");
    const entries: ElfRelocation[] = [];
    for (let i = 0; i < sec.size / size; i++) {
      const b = i * size;
      const infoLo = rr.u32(b + 8);
      const symbol = rr.u32(b + 12);
      if (symbol >= symbols.length) throw new BpfkitError(diag("BK4005", { index: i, reason: `symbol index ${symbol} is out of range (${symbols.length} symbols)` }, { section: sec.name, offset: b }));
      const e: ElfRelocation = { index: i, offset: rr.u64(b, "r_offset"), type: infoLo, symbol };
      if (rela) e.addend = Number(rr.i64(b + 16));
      entries.push(e);
    }
    const prior = relocations.get(sec.info);
    if (prior) prior.entries.push(...entries);
    else relocations.set(sec.info, { section: sec.name, entries });
  }
  return { sections, symbols, relocations, ...(file !== undefined ? { file } : {}) };
}
