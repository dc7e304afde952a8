// `verify --explain`: a rejection in words. Where (pc, source line), how the walk got there (the branch
// decisions of the failing path), which register is wrong and what the verifier knew about it, why the
// kernel refuses, and a concrete fix. The kernel's message stays the first line, verbatim.
import { exit, insertBefore, jmpImm, jmpReg, aluImm, mov64Imm, mov64Reg, type Instruction } from "../isa/index.js";
import { contextLayout, progTypeById, returnRange } from "../progtypes/index.js";
import type { MapSpec, Program } from "../program/program.js";
import type { RawInsn } from "./cfg.js";
import { liveRegisters } from "./liveness.js";
import { insnStr, regStr } from "./log.js";
import type { Reg } from "./state.js";
import type { VerifyResult } from "./verifier.js";

/**
 * The suggested fix as instructions, where bpfkit can write it down exactly: `insns` go before the
 * instruction at pc `before` (every path to it then runs them first) and `tail` (the block the check
 * jumps to) is appended. `applyFix` makes the patched program; the tests load it into the kernel.
 */
export interface FixPatch {
  before: number;
  insns: Instruction[];
  tail: Instruction[];
}

export interface Explanation {
  pc: number;
  message: string;
  source?: string;
  insn?: string;
  path: string[];
  register?: { name: string; state: string };
  why: string;
  fix: string;
  patch?: FixPatch;
}

function describeReg(r: Reg, maps: readonly MapSpec[]): string {
  const m = (i: number): { name: string; ks: number; vs: number } | undefined => {
    const x = maps[i];
    return x ? { name: x.name, ks: x.keySize, vs: x.valueSize } : undefined;
  };
  return regStr(r, 0, m);
}

export function explain(res: VerifyResult, insns: readonly RawInsn[], maps: readonly MapSpec[], progType: number): Explanation | undefined {
  if (!res.error) return undefined;
  const { pc, message } = res.error;
  const first = message.split("\n")[0]!;
  const ex: Explanation = { pc, message, path: [], why: "", fix: "" };
  if (res.error.line) ex.source = `${res.error.line.file}:${res.error.line.line}${res.error.line.text ? `: ${res.error.line.text.trim()}` : ""}`;
  const insn = insns[pc];
  if (insn) ex.insn = insnStr(insn, insns[pc + 1]);
  const path = res.path ?? [];
  if (path.length > 20) ex.path.push(`... ${path.length - 20} earlier branch decisions`);
  for (const [jpc, taken] of path.slice(-20)) {
    const j = insns[jpc];
    ex.path.push(`pc ${jpc}: ${j ? insnStr(j).replace(/^\([0-9a-f]{2}\) /, "") : "?"} -> ${taken ? "taken" : "not taken"}`);
  }
  const regMatch = /\bR(\d+)\b/.exec(first);
  if (regMatch && res.failRegs) {
    const r = res.failRegs[Number(regMatch[1])];
    if (r) ex.register = { name: `R${regMatch[1]}`, state: describeReg(r, maps) };
  }
  const ctx: FixContext = { regs: res.failRegs, insns, progType };
  const [why, fix, patch] = reason(first, message, ex, progType, ctx);
  ex.why = why;
  ex.fix = fix;
  if (patch) ex.patch = patch;
  return ex;
}

/** What a fix may use: the registers at the failing instruction, the program, its type. */
interface FixContext { regs: Reg[] | undefined; insns: readonly RawInsn[]; progType: number }

const FIX_OUT = "bpfkit_fix_out";

/** A return value the program type accepts, for the block a suggested check jumps to ("pass" where there is one). */
function passValue(progType: number): number {
  const codes = progTypeById(progType)?.returnCodes ?? [];
  const pass = codes.find((c) => /PASS|OK/.test(c.name));
  if (pass) return pass.value;
  return returnRange(progType)?.[0] ?? 0;
}

/** A register the inserted code may overwrite: dead before `pc` (not read before being written again). */
function scratchRegister(c: FixContext, pc: number, avoid: readonly number[]): number | undefined {
  const live = liveRegisters(c.insns)[pc] ?? 0x7ff;
  for (let r = 9; r >= 1; r--) if (!(live & (1 << r)) && !avoid.includes(r)) return r;
  return undefined;
}

/** The exit block a check jumps to. */
const outBlock = (progType: number): Instruction[] => [{ ...mov64Imm(0, passValue(progType)), label: FIX_OUT }, exit()];

/**
 * `if (ptr + need > data_end) goto out` before `pc`, on the faulting pointer itself: the kernel gives the
 * range it proves to every packet pointer with the same id, so a check on this pointer (not on `data`)
 * is what covers a pointer that carries a variable offset.
 */
function packetCheckPatch(c: FixContext, pc: number, ptr: number, need: number): FixPatch | undefined {
  const end = c.regs?.findIndex((r, i) => i < 10 && r?.type === "pkt_end");
  if (end === undefined || end < 0) return undefined;
  const tmp = scratchRegister(c, pc, [ptr, end]);
  if (tmp === undefined) return undefined;
  return { before: pc, insns: [mov64Reg(tmp, ptr), aluImm("add", tmp, need), jmpReg("jgt", tmp, end, FIX_OUT)], tail: outBlock(c.progType) };
}

/** `if (ptr == NULL) goto out` before `pc`. */
const nullCheckPatch = (c: FixContext, pc: number, reg: number): FixPatch => ({ before: pc, insns: [jmpImm("jeq", reg, 0, FIX_OUT)], tail: outBlock(c.progType) });

/**
 * The program with the explanation's patch applied. Source lines and BTF are dropped (their pcs no
 * longer match); everything else is kept.
 */
export function applyFix(program: Program, patch: FixPatch): Program {
  const insns = insertBefore(program.insns, patch.before, patch.insns, patch.tail);
  const { btf: _btf, lines: _lines, bytecode: _bytes, ...rest } = program;
  return { ...rest, insns };
}

/** The patch as assembly lines, for the explanation's text. */
export function patchText(p: FixPatch): string[] {
  const show = (i: Instruction): string => {
    const r = (n: number): string => `r${n}`;
    switch (i.opcode) {
      case 0xbf: return `${r(i.dst)} = ${r(i.src)}`;
      case 0xb7: return `${r(i.dst)} = ${i.imm}`;
      case 0x07: return `${r(i.dst)} += ${i.imm}`;
      case 0x2d: return `if ${r(i.dst)} > ${r(i.src)} goto ${i.ref}`;
      case 0x15: return `if ${r(i.dst)} == ${i.imm} goto ${i.ref}`;
      case 0x95: return "exit";
      default: return `(opcode 0x${i.opcode.toString(16)})`;
    }
  };
  return [...p.insns.map((i) => `    ${show(i)}`), `    <pc ${p.before}>`, "    ...", ...p.tail.flatMap((i) => (i.label ? [`${i.label}:`, `    ${show(i)}`] : [`    ${show(i)}`]))];
}

function reason(first: string, all: string, ex: Explanation, progType: number, c: FixContext): [string, string, FixPatch?] {
  let m: RegExpExecArray | null;
  const reg = ex.register?.name ?? "the register";
  if ((m = /^invalid access to packet, off=(-?\d+) size=(\d+), R(\d+)\(id=(\d+),off=-?\d+,r=(\d+)\)/.exec(first))) {
    // The kernel prints the pointer's fixed offset plus the instruction's in both places; the register's
    // own offset (from its state) gives how far past the pointer the access reaches.
    const [off, size, r, id, range] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
    const p = c.regs?.[r];
    const past = off - (p?.off ?? 0) + size;
    const patch = packetCheckPatch(c, ex.pc, r, past);
    const asm = patch ? `\n          in asm, before pc ${ex.pc}:\n${patchText(patch).map((l) => `          ${l}`).join("\n")}` : "";
    if (id !== 0) {
      // A variable offset: only a comparison of a pointer with the same id proves anything about it.
      return [`R${r} points ${p ? `${p.off} bytes plus a variable amount` : "a variable distance"} into the packet (id=${id}: a value the verifier does not know exactly was added to it, e.g. a header length), and nothing proved any byte past it before data_end (r=${range}); a check on \`data + N\` cannot help, because the verifier does not know where this pointer lies relative to data.`,
        `compare this pointer itself with data_end, after the variable offset was added and before the access: \`if ((void *)ptr + ${past} > data_end) return ...;\` (for a header struct: \`if ((void *)(hdr + 1) > data_end)\`).${asm}`, patch];
    }
    return [`R${r} reads bytes [${off}, ${off + size}) of the packet, but on this path only the first ${range} bytes were proven to lie before data_end.`,
      `check the length first: \`if (data + ${off + size} > data_end) return ...;\` on every path to pc ${ex.pc}.${asm}`, patch];
  }
  if (/offset is outside of the packet/.test(first)) {
    return [`${reg} was compared with data_end and this is the branch where it lies at or beyond the end of the packet.`,
      "access the packet only in the branch where the check succeeded (`if (p + len > data_end) return ...;` then read)."];
  }
  if ((m = /^R(\d+) invalid mem access '(\w+)_or_null'/.exec(first))) {
    const patch = nullCheckPatch(c, ex.pc, Number(m[1]));
    return [`R${m[1]} holds the result of a helper that may return NULL (${m[2]}_or_null) and has not been checked.`,
      `test it before use: \`if (!ptr) return ...;\` (in asm: if r${m[1]} == 0 goto out).`, patch];
  }
  if ((m = /^R(\d+) invalid mem access 'scalar'/.exec(first))) {
    return [`R${m[1]} is a number, not a pointer, on this path (for example a NULL pointer after a failed check, or a value loaded from memory).`,
      "dereference only pointers: keep the pointer in a register the verifier tracks, and access it in the non-NULL branch."];
  }
  if ((m = /^invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)/.exec(first))) {
    return [`the access covers bytes [${m[2]}, ${Number(m[2]) + Number(m[3])}) of a ${m[1]}-byte map value.`,
      `keep offset + size <= ${m[1]}; for a variable index add \`if (idx > ${Number(m[1]) - Number(m[3])}) return 0;\` before the access.`];
  }
  if (/min value is negative/.test(first)) {
    return [`${reg} may be negative on this path, so the access may land before the start of the object.`,
      "use an unsigned index or check `if (idx < 0) return 0;` (signed compare) before adding it to the pointer."];
  }
  if (/unbounded memory access/.test(first)) {
    return [`the upper bound of ${reg} is unknown (or too large), so the access may land anywhere.`,
      "bound the index before using it: `if (idx >= N) return 0;` or `idx &= N - 1;` with N the object size."];
  }
  if ((m = /^R(\d+) !read_ok/.exec(first))) {
    const r = Number(m[1]);
    const patch: FixPatch | undefined = r < 10 ? { before: ex.pc, insns: [mov64Imm(r, r === 0 ? passValue(c.progType) : 0)], tail: [] } : undefined;
    return [`R${m[1]} is read but no instruction on this path wrote it (after a call, r1-r5 are cleared; at exit r0 must hold the return value).`,
      `write R${m[1]} on every path before pc ${ex.pc} (e.g. \`r${m[1]} = 0\`).`, patch];
  }
  if ((m = /^invalid bpf_context access off=(-?\d+) size=(\d+)/.exec(first))) {
    const layout = contextLayout(progType);
    const fields = layout?.fields.filter((f) => f.read.length || f.write.length).map((f) => `${f.name}@${f.offset}`).slice(0, 24).join(", ");
    return [`this program type does not allow a ${m[2]}-byte access at offset ${m[1]} of its context${layout ? ` (struct ${layout.struct})` : ""}.`,
      fields ? `use a field the type allows, with its size: ${fields}` : "use a field of the program type's context struct with its exact size."];
  }
  if (/^Unreleased reference/.test(first)) {
    return ["a socket or ring buffer record acquired on this path is still held at exit.",
      "release it on every path: bpf_sk_release(sk) for socket lookups, bpf_ringbuf_submit/discard for ring buffer records."];
  }
  if ((m = /^At program exit the register R0 has (.*) should have been in \[(-?\d+), (-?\d+)\]/.exec(first))) {
    return [`the return value (${m[1]}) may fall outside what this program type allows.`, `return a constant in [${m[2]}, ${m[3]}] on every path.`];
  }
  if (/^div by zero/.test(first)) return ["division or modulo by an immediate 0.", "divide by a non-zero constant or a register."];
  if ((m = /^invalid shift (-?\d+)/.exec(first))) return [`shift by ${m[1]} is outside the operand width.`, "shift by 0..63 (0..31 for 32-bit operations)."];
  if (/frame pointer is read only/.test(first)) return ["r10 is the frame pointer and cannot be written.", "copy it first: `r1 = r10; r1 += -8`."];
  if (/^unreachable insn/.test(first)) return ["no path from the entry reaches this instruction.", "remove dead code or fix the jump that should reach it."];
  if (/^jump out of range/.test(first)) return ["a jump leaves its function.", "fix the jump offset (it counts 8-byte slots; lddw takes two)."];
  if (/^BPF program is too large/.test(first)) return ["the verifier walked its 1,000,000-instruction budget: a loop whose bound it cannot see, or too many paths.", "give loops a constant bound the verifier can follow, or use bpf_loop()."];
  if (/^infinite loop detected/.test(first)) return ["the loop comes back to the same state: it never terminates.", "change a register that the loop condition tests on every iteration."];
  if ((m = /type=(\S+) expected=(.*)$/.exec(first))) return [`the helper argument has type ${m[1]}, the helper's prototype wants ${m[2]}.`, "pass a value of the expected kind (a pointer to the stack for memory arguments, the map itself for map arguments)."];
  if (/cannot use helper/.test(first)) return ["this program type may not call that helper.", "use a helper the program type offers (see `bpfkit inspect --helpers`) or change the program type."];
  if (/uses reserved fields|unknown opcode|invalid BPF_LD_IMM|invalid bpf_ld_imm64/.test(first)) return ["the instruction encoding is invalid: a field that must be zero is not, or the opcode does not exist.", "re-encode the instruction (the disassembler shows the fields)."];
  void all;
  return ["the kernel's rule at this instruction (see the message).", "compare the register states in the log (`--log-level 2`) with what the instruction needs."];
}

export function formatExplanation(e: Explanation): string {
  const lines = [`rejected at pc ${e.pc}: ${e.message.split("\n")[0]}`];
  for (const l of e.message.split("\n").slice(1)) lines.push(`  ${l}`);
  if (e.source) lines.push(`source:   ${e.source}`);
  if (e.insn) lines.push(`insn:     ${e.pc}: ${e.insn}`);
  if (e.path.length) { lines.push("path:"); for (const p of e.path) lines.push(`  ${p}`); }
  if (e.register) lines.push(`register: ${e.register.name} = ${e.register.state}`);
  lines.push(`why:      ${e.why}`);
  lines.push(`fix:      ${e.fix}`);
  return lines.join("\n");
}
