// Every diagnostic bpfkit can report, in one table: a stable code, its severity and a message template.
// Placeholders `{name}` are filled from the arguments given to `diag()`. Each stage owns a block of codes
// (keep them in order; append new ones at the end of your block, never renumber).
export type Severity = "error" | "warning" | "note";

export interface DiagnosticSpec {
  readonly severity: Severity;
  readonly message: string;
}

export const DIAGNOSTIC_CODES = {
  // BK1xxx: instruction encoding (src/isa)
  BK1001: { severity: "error", message: "truncated program: {bytes} bytes is not a multiple of 8" },
  BK1002: { severity: "error", message: "unknown opcode 0x{opcode}" },
  BK1003: { severity: "error", message: "reserved field {field} is {value}, must be 0 for {form}" },
  BK1004: { severity: "error", message: "invalid {field} {value} for opcode 0x{opcode}: {expected}" },
  BK1005: { severity: "error", message: "truncated lddw: the second half of the 16-byte instruction is missing" },
  BK1006: { severity: "error", message: "malformed lddw: the second slot must have opcode 0 and zero dst, src and offset (field {field} is {value})" },
  BK1007: { severity: "error", message: "invalid register r{reg} in {field} (registers are r0-r10)" },
  BK1008: { severity: "error", message: "{field} {value} does not fit in {bits} bits" },
  BK1009: { severity: "error", message: "unresolved reference '{ref}'" },

  // BK2xxx: assembler and disassembler (src/text)

  // BK3xxx: bundles and program files (src/program)

  // BK4xxx: ELF and BTF (src/elf)

  // BK5xxx: runtime and interpreter (src/runtime)

  // BK6xxx: verifier (src/verifier)

  // BK7xxx: kernel backend (src/kernel)

  // BK8xxx: command line (src/cli)
} as const satisfies Record<string, DiagnosticSpec>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
