// The Internet checksum (RFC 1071): ones'-complement sum of 16-bit big-endian words, then complemented.
// Kept as pure functions over byte arrays so builders, parsers, the verifier report and the runtime's
// csum helpers all agree on one definition.

/** Ones'-complement sum of `data[start, end)` as big-endian 16-bit words (odd tail padded with 0), added to
 * `initial`, folded to 16 bits. Not complemented: chain several calls, complement once at the end. */
export function onesSum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  let sum = initial >>> 0;
  let i = start;
  // Accumulate without folding every step: 32-bit headroom is enough for 64 KiB of words between folds.
  for (; i + 1 < end; i += 2) {
    sum += (data[i]! << 8) | data[i + 1]!;
    if (sum > 0x7fff0000) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < end) sum += data[i]! << 8;
  return fold(sum);
}

/** Fold carries back into the low 16 bits (end-around carry). */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum to store in a header: complement of the ones'-complement sum. */
export function internetChecksum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  return ~onesSum(data, start, end, initial) & 0xffff;
}

/** Sum of the IPv4 pseudo-header (RFC 793/768): src, dst, zero+protocol, L4 length. */
export function pseudoHeaderSum4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = onesSum(src) + onesSum(dst) + protocol + length;
  return fold(sum);
}

/** Sum of the IPv6 pseudo-header (RFC 8200 section 8.1): src, dst, 32-bit upper-layer length, next header. */
export function pseudoHeaderSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  const sum = onesSum(src) + onesSum(dst) + (length >>> 16) + (length & 0xffff) + nextHeader;
  return fold(sum);
}

/** Which pseudo-header (if any) a transport checksum covers. */
export type PseudoHeader =
  | { family: 4; src: Uint8Array; dst: Uint8Array; protocol: number }
  | { family: 6; src: Uint8Array; dst: Uint8Array; protocol: number }
  | undefined; // ICMPv4: the checksum covers the message only

/**
 * The checksum a transport header should carry for the segment `frame[start, end)`, computed as if the
 * checksum field at `frame[start + csumOffset]` were zero. Does not modify `frame`.
 */
export function transportChecksum(frame: Uint8Array, start: number, end: number, csumOffset: number, pseudo: PseudoHeader): number {
  const len = end - start;
  let sum = 0;
  if (pseudo) sum = pseudo.family === 4 ? pseudoHeaderSum4(pseudo.src, pseudo.dst, pseudo.protocol, len) : pseudoHeaderSum6(pseudo.src, pseudo.dst, pseudo.protocol, len);
  const f = start + csumOffset;
  // Sum around the checksum field (f is even relative to start, and start is where words begin).
  sum = onesSum(frame, start, f, sum);
  sum = onesSum(frame, f + 2, end, sum);
  return ~sum & 0xffff;
}
