// Map keys and values as people type them (command line, deployment files) and as they are shown:
// hex bytes, decimal numbers (little-endian, the map's width), dotted IPv4 (network order), IPv6
// (16-byte keys) or ADDR/LEN for lpm_trie keys (u32 prefix length + address).
import { BpfkitError, diag } from "../diagnostics/index.js";
import { parseIpv4, parseIpv6 } from "../packet/addr.js";

/** Bytes of a key or value of `size` bytes written as text; `what` names it in the error. */
export function parseBytes(text: string, size: number, what: string): Uint8Array {
  const bad = (expected: string): never => { throw new BpfkitError(diag("BK9603", { what, value: text, expected }), 2); };
  const out = new Uint8Array(size);
  // LPM trie keys: `192.0.2.0/24` or `2001:db8::/32` -> u32 prefix length (host order) + address bytes.
  const cidr = /^([0-9a-f.:]+)\/(\d+)$/i.exec(text);
  if (cidr) {
    const v6 = cidr[1]!.includes(":");
    const addrLen = v6 ? 16 : 4;
    let addr: Uint8Array;
    try { addr = v6 ? parseIpv6(cidr[1]!, what) : parseIpv4(cidr[1]!, what); } catch { return bad(`an IPv${v6 ? 6 : 4} address before the /`); }
    const bits = Number(cidr[2]);
    if (bits > addrLen * 8) bad(`a prefix length of at most ${addrLen * 8}`);
    if (size !== 4 + addrLen) bad(`an lpm_trie key of ${4 + addrLen} bytes for ADDR/LEN (u32 prefix length + IPv${v6 ? 6 : 4} address); this one is ${size} bytes`);
    new DataView(out.buffer).setUint32(0, bits, true);
    out.set(addr, 4);
    return out;
  }
  if (size === 16 && /^[0-9a-f]*:[0-9a-f:.]*$/i.test(text) && text.split(":").length <= 8) {
    try { return parseIpv6(text, what); } catch { return bad("an IPv6 address"); }
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    if (size < 4) bad(`at least 4 bytes for an IPv4 address (this one is ${size} bytes)`);
    out.set(text.split(".").map(Number));
    return out;
  }
  if (/^-?\d+$/.test(text)) {
    let v = BigInt.asUintN(size * 8, BigInt(text));
    for (let i = 0; i < size; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
    return out;
  }
  const hex = text.replace(/^0x/i, "").replace(/[\s:]/g, "");
  if (!/^[0-9a-f]*$/i.test(hex) || hex.length !== size * 2) bad(`${size} bytes as hex (${size * 2} digits), a decimal number, an IPv4${size === 16 ? "/IPv6" : ""} address${size === 8 || size === 20 ? " or ADDR/LEN (lpm_trie key)" : ""}`);
  for (let i = 0; i < size; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
/** Little-endian unsigned value of up to 8 bytes, for display. */
export function numberOf(b: Uint8Array): bigint | undefined {
  if (b.length > 8 || b.length === 0) return undefined;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
