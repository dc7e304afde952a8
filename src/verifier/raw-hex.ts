// Raw instruction slots as hex text (the bundle's `insns` field, corpus records): the verifier reads
// slots, not decoded instructions, so a malformed encoding reaches it as the kernel would see it.
import type { RawInsn } from "./cfg.js";

/** Encode raw slots as the bundle's hex text. */
export function slotsToHex(insns: readonly RawInsn[]): string {
  const b = new Uint8Array(insns.length * 8);
  const v = new DataView(b.buffer);
  insns.forEach((i, k) => {
    v.setUint8(k * 8, i.code & 0xff);
    v.setUint8(k * 8 + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    v.setInt16(k * 8 + 2, i.off, true);
    v.setInt32(k * 8 + 4, i.imm | 0, true);
  });
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function hexToSlots(hex: string): RawInsn[] {
  const out: RawInsn[] = [];
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const v = new DataView(b.buffer);
  for (let k = 0; k + 8 <= b.length; k += 8) {
    const regs = v.getUint8(k + 1);
    out.push({ code: v.getUint8(k), dst: regs & 0xf, src: regs >> 4, off: v.getInt16(k + 2, true), imm: v.getInt32(k + 4, true) });
  }
  return out;
}
