// Map keys and values as people type them (command line, deployment files) when there is no BTF type:
// hex bytes, decimal numbers (little-endian, the map's width), dotted IPv4 (network order), IPv6
// (16-byte keys) or ADDR/LEN for lpm_trie keys (u32 prefix length + address). The reading is the BTF
// value codec's for raw bytes (src/btf/values.ts), which also reads typed keys and values.
import { parseValue, rawShape } from "../btf/values.js";

/** Bytes of a key or value of `size` bytes written as text; `what` names it in the error (BK9803). */
export function parseBytes(text: string, size: number, what: string): Uint8Array {
  return parseValue(rawShape(size), text, what);
}

export const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
/** Little-endian unsigned value of up to 8 bytes, for display. */
export function numberOf(b: Uint8Array): bigint | undefined {
  if (b.length > 8 || b.length === 0) return undefined;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
