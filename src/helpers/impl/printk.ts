// bpf_trace_printk(fmt, fmt_size, a1, a2, a3) and the format rules of bpf_bprintf_prepare
// (kernel/bpf/helpers.c): the format must be NUL-terminated within fmt_size, at most 3 conversions, each
// one of %d %i %u %x %X %c %s %p[K|x|s|I4|i4|I6|i6] %% with optional flags/width and the l or ll modifier;
// anything else is -EINVAL. Text is captured per call (the kernel adds no newline of its own).
import { ERRNO } from "../../maps/runtime/map.js";
import { addr, err, type HelperCall, type HelperImpl } from "./env.js";

const MAX_ARGS = 3;

function cstring(c: HelperCall, ptr: number, max = 256): string {
  const u8 = c.rt.mem.u8;
  let out = "";
  for (let i = 0; i < max && ptr + i < u8.length; i++) {
    const b = u8[ptr + i]!;
    if (b === 0) break;
    out += String.fromCharCode(b);
  }
  return out;
}

/** Format like the kernel's bstr_printf for the conversions BPF allows; undefined when the format is refused. */
export function formatPrintk(c: HelperCall, fmt: string, args: readonly bigint[]): string | undefined {
  let out = "";
  let n = 0;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== "%") {
      // The kernel refuses non-printable characters other than whitespace in the format.
      if (ch.charCodeAt(0) < 0x20 && !"\n\t\r".includes(ch)) return undefined;
      out += ch;
      continue;
    }
    if (fmt[i + 1] === "%") { out += "%"; i++; continue; }
    if (n >= MAX_ARGS) return undefined;
    let j = i + 1;
    let flags = "";
    while ("-+ 0#".includes(fmt[j] ?? "x") && j < fmt.length) flags += fmt[j++];
    let width = "";
    while (/[0-9]/.test(fmt[j] ?? "")) width += fmt[j++];
    let lng = 0;
    while (fmt[j] === "l") { lng++; j++; }
    if (lng > 2) return undefined;
    const conv = fmt[j];
    const raw = args[n++]!;
    let text: string;
    const wide = lng > 0;
    switch (conv) {
      case "d": case "i": text = (wide ? BigInt.asIntN(64, raw) : BigInt.asIntN(32, raw)).toString(); break;
      case "u": text = (wide ? BigInt.asUintN(64, raw) : BigInt.asUintN(32, raw)).toString(); break;
      case "x": case "X": {
        text = (wide ? BigInt.asUintN(64, raw) : BigInt.asUintN(32, raw)).toString(16);
        if (conv === "X") text = text.toUpperCase();
        if (flags.includes("#") && raw !== 0n) text = (conv === "X" ? "0X" : "0x") + text;
        break;
      }
      case "c": if (wide) return undefined; text = String.fromCharCode(Number(raw & 0xffn)); break;
      case "s": if (wide) return undefined; text = raw === 0n ? "(null)" : cstring(c, addr(raw)); break;
      case "p": {
        if (wide) return undefined;
        const next = fmt[j + 1] ?? "";
        if (next === "K" || next === "x" || next === "s" || next === "S" || next === "B") {
          j++;
          text = next === "K" ? "0000000000000000" : BigInt.asUintN(64, raw).toString(16).padStart(16, "0");
        } else if ((next === "I" || next === "i") && (fmt[j + 2] === "4" || fmt[j + 2] === "6")) {
          const v6 = fmt[j + 2] === "6";
          j += 2;
          const b = c.rt.mem.read(addr(raw), v6 ? 16 : 4);
          if (!v6) text = Array.from(b).join(".");
          else {
            const groups: string[] = [];
            for (let k = 0; k < 16; k += 2) groups.push(((b[k]! << 8) | b[k + 1]!).toString(16).padStart(next === "I" ? 1 : 4, "0"));
            text = groups.join(":");
          }
        } else {
          text = "0x" + BigInt.asUintN(64, raw).toString(16); // %p hashes pointers in the kernel; show raw
        }
        break;
      }
      default: return undefined;
    }
    if (width) {
      const w = Number(width);
      const pad = flags.includes("0") && !flags.includes("-") && conv !== "s" && conv !== "c" ? "0" : " ";
      if (flags.includes("-")) text = text.padEnd(w, " ");
      else if (pad === "0" && text.startsWith("-")) text = "-" + text.slice(1).padStart(w - 1, "0");
      else text = text.padStart(w, pad);
    }
    out += text;
    i = j;
  }
  return out;
}

export const trace_printk: HelperImpl = (c) => {
  const size = Number(c.args[1] & 0xffffffffn);
  if (size === 0) return err(ERRNO.EINVAL);
  const bytes = c.rt.mem.read(addr(c.args[0]), size);
  const nul = bytes.indexOf(0);
  if (nul < 0) return err(ERRNO.EINVAL);
  const text = formatPrintk(c, String.fromCharCode(...bytes.subarray(0, nul)), [c.args[2], c.args[3], c.args[4]]);
  if (text === undefined) return err(ERRNO.EINVAL);
  c.rt.capture.trace.push(text);
  return BigInt(text.length);
};
