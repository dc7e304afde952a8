// Target BTF from bytes (browser-safe): a raw BTF blob (/sys/kernel/btf/vmlinux), an ELF object whose .BTF
// section holds it, or either of those gzip-compressed (the bundled default). Decompression sits behind
// a small interface: Node passes node:zlib's gunzip (src/load/target-node.ts), a browser the
// DecompressionStream one below.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { type Btf, parseBtf } from "../btf/btf.js";
import { readElf } from "../elf/reader.js";

/** Decompress gzip bytes. */
export type Gunzip = (bytes: Uint8Array) => Uint8Array;

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isElf = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/**
 * The BTF in a file's bytes (raw BTF or an ELF's .BTF; gzip-compressed if `gunzip` is given). Throws
 * BK4101 naming the file when there is none; malformed BTF is BK4007.
 */
export function btfFromBytes(bytes: Uint8Array, name: string, gunzip?: Gunzip): Btf {
  let data = bytes;
  if (isGzip(data)) {
    if (!gunzip) throw new BpfkitError(diag("BK4101", { file: name, reason: "it is gzip-compressed and no decompressor was given" }, { file: name }), 2);
    try { data = gunzip(data); } catch (err) {
      throw new BpfkitError(diag("BK4101", { file: name, reason: `gzip data is corrupt (${(err as Error).message})` }, { file: name }), 2);
    }
  }
  if (isElf(data)) {
    const elf = readElf(data, name);
    const sec = elf.sections.find((s) => s.name === ".BTF");
    if (!sec) throw new BpfkitError(diag("BK4101", { file: name, reason: "the ELF file has no .BTF section" }, { file: name }), 2);
    data = sec.data;
  } else if (data.length < 2 || data[0] !== 0x9f || data[1] !== 0xeb) {
    throw new BpfkitError(diag("BK4101", { file: name, reason: "it is neither raw BTF (magic 0xeb9f) nor an ELF file with a .BTF section" }, { file: name }), 2);
  }
  return parseBtf(data, { name, eager: false });
}

/** gzip decompression with the web platform's DecompressionStream (browsers, Deno, Node 18+). */
export async function gunzipWithStreams(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
