// Text <-> bytes for MAC, IPv4 and IPv6 addresses. Parse failures are BK9503 (bad packet spec) naming the field.
import { fail } from "../diagnostics/index.js";

export type AddrInput = string | Uint8Array | readonly number[];

function bad(field: string, value: unknown, expected: string): never {
  fail("BK9503", { field, value: typeof value === "string" ? JSON.stringify(value) : String(value), expected });
}

function fromBytes(field: string, v: Uint8Array | readonly number[], len: number, what: string): Uint8Array {
  if (v.length !== len || ![...v].every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) bad(field, `[${[...v].join(",")}]`, `${len} bytes for ${what}`);
  return Uint8Array.from(v);
}

export function parseMac(v: AddrInput, field = "mac"): Uint8Array {
  if (typeof v !== "string") return fromBytes(field, v, 6, "a MAC address");
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(v);
  if (!m) bad(field, v, "a MAC address like 02:00:00:00:00:01");
  return Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export function parseIpv4(v: AddrInput, field = "ipv4"): Uint8Array {
  if (typeof v !== "string") return fromBytes(field, v, 4, "an IPv4 address");
  const parts = v.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) bad(field, v, "a dotted-quad IPv4 address like 10.0.0.1");
  return Uint8Array.from(parts.map(Number));
}

export function formatIpv4(b: Uint8Array): string {
  return [...b].join(".");
}

export function parseIpv6(v: AddrInput, field = "ipv6"): Uint8Array {
  if (typeof v !== "string") return fromBytes(field, v, 16, "an IPv6 address");
  const out = new Uint8Array(16);
  let text = v;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = parseIpv4(v4[2]!, field);
    text = `${v4[1]}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) bad(field, v, "an IPv6 address with at most one '::'");
  const group = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) bad(field, v, "an IPv6 address of hex groups like 2001:db8::1");
    return parseInt(g, 16);
  }));
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) bad(field, v, "an IPv6 address of 8 groups");
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

/** RFC 5952 text: lower case, longest run (>= 2) of zero groups compressed. */
export function formatIpv6(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}
