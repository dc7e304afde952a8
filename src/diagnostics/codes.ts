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
  BK1001: { severity: "error", message: "truncated program: {bytes} bytes is not a multiple of 8 (the last {extra} bytes are an incomplete instruction)" },
  BK1002: { severity: "error", message: "unknown opcode 0x{opcode}" },
  BK1003: { severity: "error", message: "reserved field {field} is {value}, must be 0 for {form}" },
  BK1004: { severity: "error", message: "invalid {field} {value} for opcode 0x{opcode}: {expected}" },
  BK1005: { severity: "error", message: "truncated lddw: the second half of the 16-byte instruction is missing" },
  BK1006: { severity: "error", message: "malformed lddw: the second slot must have opcode 0 and zero dst, src and offset (field {field} is {value})" },
  BK1007: { severity: "error", message: "invalid register r{reg} in {field} (registers are r0-r10)" },
  BK1008: { severity: "error", message: "{field} {value} does not fit in {bits} bits" },
  BK1009: { severity: "error", message: "unresolved reference '{ref}'" },

  // BK2xxx: assembler and disassembler (src/text)
  BK2001: { severity: "error", message: "expected {expected}, found {found}" },
  BK2002: { severity: "error", message: "unknown instruction '{name}' in {syntax} syntax" },
  BK2003: { severity: "error", message: "{what} {value} is out of range: expected {range}" },
  BK2004: { severity: "error", message: "undefined label '{name}'" },
  BK2005: { severity: "error", message: "label '{name}' is already defined at line {line}" },
  BK2006: { severity: "error", message: "unknown map '{name}': declare it with .map before or after its use" },
  BK2007: { severity: "error", message: "unknown directive '{name}'" },
  BK2008: { severity: "error", message: "invalid {directive} directive: {problem}" },
  BK2009: { severity: "error", message: "map '{name}' is already declared at line {line}" },
  BK2010: { severity: "error", message: "unknown helper or label '{name}' in call" },
  BK2011: { severity: "error", message: "jump to '{target}' is {distance} slots away: does not fit in the {bits}-bit {field} field" },
  BK2012: { severity: "error", message: "this line is in {found} syntax but the file is in {expected} syntax ({why})" },
  BK2013: { severity: "error", message: "no instructions in the program" },
  BK2014: { severity: "error", message: "invalid {field}: {problem}" },

  // BK3xxx: bundles and program files (src/program)
  BK3001: { severity: "error", message: "invalid JSON: {message}" },
  BK3002: { severity: "error", message: "bundle field '{field}' {problem}" },
  BK3003: { severity: "error", message: "bundle 'insns' is not valid hex bytecode: {problem}" },
  BK3004: { severity: "error", message: "lddw at pc {pc} refers to map index {index}, but the bundle declares {count} map(s)" },
  BK3005: { severity: "error", message: "cannot tell what kind of program file '{file}' is: {reason}" },
  BK3006: { severity: "error", message: "no program named '{name}' in {file}; it has: {names}" },
  BK3007: { severity: "error", message: "{file} holds {count} programs ({names}); choose one with --prog" },

  // BK4xxx: ELF and BTF (src/elf)
  BK4001: { severity: "error", message: "not an ELF object: {reason}" },
  BK4002: { severity: "error", message: "unsupported ELF object: {reason}" },
  BK4003: { severity: "error", message: "malformed {what}: {reason}" },
  BK4004: { severity: "error", message: "unknown program section '{section}' (program '{name}')" },
  BK4005: { severity: "error", message: "bad relocation #{index}: {reason}" },
  BK4006: { severity: "error", message: "map '{name}': {reason}" },
  BK4007: { severity: "error", message: "malformed BTF: {reason}" },
  BK4008: { severity: "error", message: "malformed .BTF.ext: {reason}" },
  BK4009: { severity: "error", message: "{name} uses {feature}, which bpfkit does not support" },
  BK4010: { severity: "error", message: "no programs in the object" },
  BK4011: { severity: "error", message: "bad bpf-to-bpf call: {reason}" },
  BK4012: { severity: "error", message: "cannot write the object: {reason}" },
  BK4013: { severity: "warning", message: "{what} ignored: {reason}" },

  // BK41xx: target BTF, CO-RE relocation, externs (src/btf, src/elf/core-relocate.ts, src/elf/externs.ts, src/load/target-*.ts)
  BK4101: { severity: "error", message: "cannot use {file} as target BTF: {reason}" },
  BK4102: { severity: "error", message: "program '{name}' cannot be used: {reason}" },
  BK4103: { severity: "error", message: "cannot use {file} as kernel configuration: {reason}" },

  // BK5xxx: runtime and interpreter (src/runtime)
  BK5001: { severity: "error", message: "the runtime cannot execute {form}: {why}" },
  BK5002: { severity: "error", message: "jump target {target} is outside the program (pc 0 to {last})" },
  BK5003: { severity: "error", message: "jump target {target} is the second half of an lddw" },
  BK5004: { severity: "error", message: "lddw refers to map index {index} but the program declares {count} map(s)" },
  BK5005: { severity: "error", message: "instruction budget exhausted: {count} instructions executed (budget {budget})" },
  BK5006: { severity: "error", message: "{size}-byte {access} at {location}{reason}" },
  BK5007: { severity: "error", message: "call depth exceeded: at most {max} frames (main program plus {calls} nested local calls)" },
  BK5008: { severity: "error", message: "{what}" },
  BK5009: { severity: "error", message: "memory access out of bounds in fast mode" },
  BK5010: { severity: "error", message: "helper {name} ({id}) is not implemented by the runtime" },
  BK5011: { severity: "error", message: "helper {name} ({id}) is not allowed in {progType} programs" },
  BK5012: { severity: "error", message: "unknown program type '{type}'" },
  BK5013: { severity: "error", message: "bad test-run input: {what}" },
  BK5014: { severity: "error", message: "map '{map}': {what}" },
  BK5015: { severity: "error", message: "malformed conformance test: {what}" },
  BK5016: { severity: "error", message: "malformed batch line {line}: {what}" },
  BK5017: { severity: "error", message: "helper {name} ({id}) fails: {what}" },

  // BK6xxx: verifier (src/verifier)
  BK6001: { severity: "error", message: "cannot tell the program type of '{name}' (section '{section}')" },
  BK6002: { severity: "error", message: "batch line {line}: {problem}" },
  BK6003: { severity: "error", message: "cannot compare with the kernel: {reason}" },
  BK6004: { severity: "error", message: "rejected by the verifier: {message}" },
  BK6005: { severity: "error", message: "program '{name}' (section '{section}'): {target} has no '{symbol}' to attach to" },

  // BK7xxx: kernel backend (src/kernel)
  BK7001: { severity: "error", message: "the kernel backend is unavailable: {reason}" },
  BK7002: { severity: "error", message: "{command} failed: {errno} ({text})" },
  BK7003: { severity: "error", message: "the kernel verifier rejected program '{name}': {reason}" },
  BK7004: { severity: "error", message: "map '{name}': map type '{type}' is not known to the kernel backend" },
  BK7005: { severity: "error", message: "program '{name}': section '{section}' gives no program type the kernel backend knows" },
  BK7006: { severity: "error", message: "lddw refers to map index {index} but program '{name}' declares {count} maps" },
  BK7007: { severity: "error", message: "the kernel cannot test-run program '{name}' of type {type}: {reason}" },
  BK7008: { severity: "error", message: "deployment '{name}' not found under {dir}" },
  BK7009: { severity: "error", message: "deployment '{name}' already exists under {dir}" },
  BK7010: { severity: "error", message: "cannot attach program '{name}': {reason}" },
  BK7011: { severity: "error", message: "map '{name}' not found{where}" },
  BK7012: { severity: "error", message: "invalid {what} '{value}': {expected}" },
  BK7013: { severity: "error", message: "the kernel rejected the BTF of '{name}': {reason}" },
  BK7014: { severity: "error", message: "bpffs: {reason}" },
  BK7015: { severity: "error", message: "map '{map}' slot {index} names '{target}', which is not a {kind} of this object" },
  BK7016: { severity: "error", message: "network interface '{iface}' not found" },
  BK7017: { severity: "error", message: "deployment file: {reason}" },
  BK7018: { severity: "error", message: "program '{name}' not found in {file} (it has: {names})" },
  // struct_ops maps (src/kernel/struct-ops.ts)
  BK7030: { severity: "error", message: "struct_ops map '{map}': {reason}" },

  // BK8xxx: command line (src/cli)

  // BK81xx: section names, --type choices and `bpfkit build` (src/elf/type-choice.ts, src/build, cli build/verify listing)
  BK8101: { severity: "error", message: "invalid --type '{value}': {reason}" },
  BK8102: { severity: "error", message: "--type {name}={type}: {file} has no program or section named '{name}' (programs: {names})" },
  BK8103: { severity: "error", message: "{file}: no program is loaded by default ({names} {verb} marked '?', libbpf's \"do not autoload\"); choose one with --prog" },
  BK8104: { severity: "error", message: "cannot build: {reason}" },
  BK8105: { severity: "error", message: "clang failed to compile {file} (exit {status})" },
  BK8106: { severity: "error", message: "cannot generate vmlinux.h: {reason}" },

  // BK95xx: packets and pcap (src/packet)
  BK9501: { severity: "error", message: "truncated {layer} header at offset {offset}: need {need} bytes, {have} left" },
  BK9502: { severity: "error", message: "invalid {layer} field {field} = {value} at offset {offset}: {expected}" },
  BK9503: { severity: "error", message: "bad packet spec: {field} = {value}: {expected}" },
  BK9504: { severity: "error", message: "not a capture file: magic 0x{magic} at offset 0 is neither pcap nor pcapng" },
  BK9505: { severity: "error", message: "truncated capture: {what} at offset {offset} needs {need} bytes, {have} left" },
  BK9506: { severity: "error", message: "invalid capture field {field} = {value} at offset {offset}: {expected}" },
  BK9507: { severity: "error", message: "cannot write capture: {field} = {value}: {expected}" },

  // BK96xx: map type facts (src/maps/types.ts validateMapSpec)
  BK9601: { severity: "error", message: "map '{map}' ({type}): {reason}" },
  BK9602: { severity: "error", message: "map '{map}': unknown map type '{type}'" },
  BK9603: { severity: "error", message: "invalid {what} '{value}': expected {expected}" },

  // BK97xx: the simulated socket world and its scenario files (src/sockets)
  BK9701: { severity: "error", message: "scenario: {what}" },
  BK9702: { severity: "error", message: "socket '{socket}': {what}" },
  BK9703: { severity: "error", message: "expectation failed: {what}" },
  BK9704: { severity: "error", message: "socket world: {what}" },

  // BK98xx: daily use (issue #15): command-line options, map entries written from user space, typed keys and values
  BK9801: { severity: "error", message: "bad option: {what}" },
  BK9802: { severity: "error", message: "map '{map}': {op} of key {key} failed: {errno} ({reason})" },
  BK9803: { severity: "error", message: "{reason}" },
  BK9804: { severity: "warning", message: "reads {n} uninitialized byte{s} at {where}{via}: the kernel returns stack garbage here" },
} as const satisfies Record<string, DiagnosticSpec>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
