// Which opcode bytes the kernel's bpf_opcode_in_insntable() accepts. Derived from the ISA table (one
// table for the whole project); the few differences are the kernel's own: it has no callx, and its
// table lists the load-acquire/store-release (atomic) encodings by size only.
import { FORMS_BY_OPCODE } from "../isa/table.js";

const NOT_IN_KERNEL_TABLE = new Set([0x8d]);

const KNOWN: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let op = 0; op < 256; op++) if ((FORMS_BY_OPCODE[op]?.length ?? 0) > 0 && !NOT_IN_KERNEL_TABLE.has(op)) t[op] = 1;
  return t;
})();

export const isKernelOpcode = (code: number): boolean => KNOWN[code & 0xff] === 1;
