// What bpfkit adds under the kernel's message when the verifier stops at an instruction libbpf poisoned:
// the kernel only says `invalid func unknown#195896080` (libbpf rewrites that line in its own log); we
// keep the kernel's line and name the relocation or extern, and what the target lacks.
import type { Program } from "../program/index.js";
import { CORE_POISON_IMM } from "./core-relocate.js";
import { KFUNC_POISON_BASE } from "./link.js";

/** A note for a rejection at `pc`, when that instruction is a poisoned relocation or kfunc call; else undefined. */
export function poisonNote(program: Program, pc: number): string | undefined {
  return poisonExplanation(program, pc)?.note;
}

/** The note, and the why/fix `verify --explain` gives instead of the generic ones. */
export function poisonExplanation(program: Program, pc: number): { note: string; why: string; fix: string } | undefined {
  const slot = slotAt(program, pc);
  if (!slot || slot.opcode !== 0x85 || slot.src !== 0) return undefined;
  const target = program.targetBtfSource ? ` (target: ${program.targetBtfSource})` : "";
  if (slot.imm === CORE_POISON_IMM) {
    // an lddw is poisoned into two calls: the relocation is at the first
    const r = program.relocations?.find((x) => x.poisoned !== undefined && (x.pc === pc || x.pc === pc - 1));
    const fix = "make this path dead code where the target lacks it (bpf_core_field_exists(), bpf_core_type_exists(), bpf_core_enum_value_exists()), " +
      "read the field through a ___flavor struct that matches the target, or relocate against a kernel that has it (--btf FILE)";
    if (!r) return { note: "this is libbpf's poisoned instruction for a CO-RE relocation that could not be resolved", why: "libbpf poisoned this instruction: a CO-RE relocation could not be resolved, and the instruction is reachable", fix };
    return {
      note: `pc ${r.pc} is CO-RE relocation #${r.index} (${r.kind} of ${r.type}, access ${r.access}), which could not be resolved against the target, so libbpf poisoned it: ${r.poisoned}${target}`,
      why: `CO-RE relocation #${r.index} (${r.kind} of ${r.type}, access ${r.access}) cannot be resolved against the target${target}: ${r.poisoned}. libbpf replaced the instruction with this invalid call, and the verifier rejects it because it is reachable.`,
      fix,
    };
  }
  const n = slot.imm - KFUNC_POISON_BASE;
  if (n >= 0 && n < 1000000) {
    const e = program.externs?.find((x) => x.index === n);
    const name = e ? `'${e.name}'` : `#${n}`;
    const note = `pc ${pc} calls the weak kfunc ${name}, which the target does not have (${e?.note ?? "not found"}), so libbpf poisoned the call${target}`;
    return { note, why: `${note}; the verifier rejects it because the call is reachable.`, fix: `guard the call with if (bpf_ksym_exists(${e?.name ?? "kfunc"})) so it is dead code where the kernel lacks the kfunc` };
  }
  return undefined;
}

function slotAt(program: Program, pc: number): { opcode: number; src: number; imm: number } | undefined {
  let slot = 0;
  for (const insn of program.insns) {
    if (slot === pc) return insn;
    slot += insn.opcode === 0x18 ? 2 : 1;
    if (slot > pc) return undefined;
  }
  return undefined;
}
