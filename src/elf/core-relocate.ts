// Applying CO-RE relocations to an object's code, in libbpf's order (bpf_object__relocate_core): record by
// record, section by section as .BTF.ext lists them, each resolved against the target BTF
// (src/btf/core.ts) with one candidate cache for the whole object, then patched into its instruction
// (bpf_core_patch_insn). This happens on the section's code before programs are linked, as in libbpf,
// so a subprogram is relocated once and every program that calls it gets the same instructions.
//
// Programs in `?sections` (libbpf's "do not autoload") are relocated after all the others, so that the
// candidate pruning the loaded programs see is exactly libbpf's.
import { BTF_KIND_NAMES, type Btf } from "../btf/btf.js";
import type { BtfExt } from "../btf/btf-ext.js";
import { CORE_KIND, type CoreCandidate, CoreReloError, type CoreResolution, type CoreResult, coreKindName, findCandidates, formatSpec, resolveCoreRelo, typeLabel } from "../btf/core.js";
import { type Instruction, OPCODE_LDDW } from "../isa/index.js";
import type { ElfFunction, SectionCode } from "./link.js";
import type { ProgramRelocation } from "../program/index.js";
import type { TargetKernel } from "./target.js";

/** libbpf's poisoned instruction: `call 0xbad2310`, which the verifier reports as `invalid func unknown#195896080`. */
export const CORE_POISON_IMM = 195896080;

/** One CO-RE relocation as `inspect` and `verify --explain` show it (pc is a section slot until the linker rebases it). */
export type CoreRelocationReport = ProgramRelocation;

export interface FunctionCore {
  reports: CoreRelocationReport[];
  /** Relocations libbpf refuses: the programs that include this function cannot load. */
  errors: { what: string; slot: number }[];
}

/**
 * Relocate every CO-RE record of the object in place (sc.bySlot). Returns, per function, what happened.
 * `target` is asked for only if there are records; when it gives nothing, every record is an error.
 */
export function applyCoreRelocations(code: Map<number, SectionCode>, btf: Btf, ext: BtfExt, target: () => TargetKernel | undefined): Map<ElfFunction, FunctionCore> {
  const out = new Map<ElfFunction, FunctionCore>();
  if (ext.coreRelos.size === 0) return out;
  const bySection = new Map<string, SectionCode>();
  for (const sc of code.values()) bySection.set(sc.section.name, sc);
  const cache = new Map<number, CoreCandidate[]>();
  const tk = target();
  const targetBtf = tk?.btf();
  const entry = (fn: ElfFunction): FunctionCore => {
    let e = out.get(fn);
    if (!e) out.set(fn, e = { reports: [], errors: [] });
    return e;
  };

  const pending: { sc: SectionCode; fn: ElfFunction; index: number; relo: { insnOff: number; typeId: number; accessStr: string; kind: number } }[] = [];
  const deferred: typeof pending = [];
  for (const [secName, relos] of ext.coreRelos) {
    const sc = bySection.get(secName);
    relos.forEach((relo, index) => {
      if (!sc) return; // no such code section: libbpf fails at .BTF.ext parsing; the object loader reports it
      if (relo.insnOff % 8 !== 0) return;
      const slot = relo.insnOff / 8;
      const fn = sc.functions.find((f) => slot >= f.start && slot < f.end);
      if (!fn) return; // a relocation of an eliminated weak subprogram: libbpf skips it
      (secName.startsWith("?") ? deferred : pending).push({ sc, fn, index, relo });
    });
  }
  for (const { sc, fn, index, relo } of [...pending, ...deferred]) {
    const slot = relo.insnOff / 8;
    const report: CoreRelocationReport = {
      pc: slot, index, section: sc.section.name, kind: coreKindName(relo.kind), type: safeLabel(btf, relo.typeId), access: relo.accessStr, local: "",
    };
    const e = entry(fn);
    e.reports.push(report);
    const fail = (why: string) => { report.error = why; e.errors.push({ what: `CO-RE relocation #${index} (${report.kind} of ${report.type}, access ${relo.accessStr}): ${why}`, slot }); };
    const insn = sc.bySlot[slot];
    if (!insn) { fail(`instruction offset ${relo.insnOff} is ${slot < sc.bySlot.length ? "the second half of an lddw" : `outside ${sc.section.name}`}`); continue; }
    if (insn.opcode === OPCODE_LDDW && slot + 1 >= fn.end) { fail("the lddw is truncated"); continue; }
    let resolution: CoreResolution;
    try {
      let cands: CoreCandidate[] | undefined;
      if (relo.kind !== CORE_KIND.TYPE_ID_LOCAL) {
        if (!targetBtf) { fail("no target BTF to relocate against"); continue; }
        cands = cache.get(relo.typeId);
        if (!cands) {
          const local = btf.type(relo.typeId);
          if (!local.name) throw new CoreReloError(`target candidate search failed for anonymous ${BTF_KIND_NAMES[local.kind] ?? "type"} [${relo.typeId}]`);
          cands = findCandidates(btf, relo.typeId, targetBtf);
          cache.set(relo.typeId, cands);
        }
      }
      resolution = resolveCoreRelo(btf, relo, cands);
    } catch (err) {
      if (err instanceof CoreReloError || (err instanceof Error && err.name === "BpfkitError")) { fail(err.message); continue; }
      throw err;
    }
    report.local = formatSpec(resolution.local);
    if (resolution.target) report.target = formatSpec(resolution.target);
    const patched = patchInsn(sc, slot, resolution.res, sc.section.data);
    if (patched.error) { fail(patched.error); continue; }
    if (patched.poisoned) {
      report.poisoned = resolution.res.poison ? resolution.missing ?? "no target type matches" : patched.poisoned;
    } else {
      report.value = resolution.res.newVal.toString();
      if (resolution.missing) report.missing = resolution.missing;
    }
  }
  return out;
}

function safeLabel(btf: Btf, id: number): string {
  return id >= 0 && id < btf.count ? typeLabel(btf, id) : `type #${id}`;
}

const CLASS = { LD: 0, LDX: 1, ST: 2, STX: 3, ALU: 4, JMP: 5, JMP32: 6, ALU64: 7 } as const;
const SIZE_BYTES: Record<number, number> = { 0x18: 8, 0x00: 4, 0x08: 2, 0x10: 1 };
const BYTES_SIZE: Record<number, number> = { 8: 0x18, 4: 0x00, 2: 0x08, 1: 0x10 };

/** The poisoned call that replaces an instruction (two, for an lddw). */
function poison(sc: SectionCode, slot: number): void {
  const wide = sc.bySlot[slot]!.opcode === OPCODE_LDDW;
  const call = (): Instruction => ({ opcode: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
  sc.bySlot[slot] = call();
  if (wide) sc.bySlot[slot + 1] = call();
}

/** bpf_core_patch_insn: patch one instruction or poison it; an error is what libbpf refuses. */
function patchInsn(sc: SectionCode, slot: number, res: CoreResult, bytes: Uint8Array): { poisoned?: string; error?: string } {
  const insn = sc.bySlot[slot]!;
  const cls = insn.opcode & 7;
  const u64 = (v: number | bigint) => BigInt.asUintN(64, BigInt(v));
  switch (cls) {
    case CLASS.ALU: case CLASS.ALU64: {
      if (insn.opcode & 0x08) return { error: `cannot relocate a register-source ALU instruction (code 0x${insn.opcode.toString(16)})` };
      if (res.poison) { poison(sc, slot); return { poisoned: "poison" }; }
      if (res.validate && u64(insn.imm) !== res.origVal) return { error: `unexpected ALU immediate: got ${insn.imm >>> 0}, expected ${res.origVal} -> ${res.newVal}` };
      insn.imm = Number(BigInt.asIntN(32, res.newVal));
      return {};
    }
    case CLASS.LDX: case CLASS.ST: case CLASS.STX: {
      if (res.poison) { poison(sc, slot); return { poisoned: "poison" }; }
      if (res.validate && u64(insn.off) !== res.origVal) return { error: `unexpected memory offset: got ${insn.off}, expected ${res.origVal} -> ${res.newVal}` };
      if (res.newVal > 32767n) return { error: `offset ${res.newVal} does not fit in the instruction's 16-bit offset` };
      if (res.failMemszAdjust) {
        poison(sc, slot);
        return { poisoned: `the field changed size (${res.origSz} -> ${res.newSz} bytes) and is neither a pointer nor an unsigned integer, so the load cannot be resized` };
      }
      insn.off = Number(res.newVal);
      if (res.newSz !== res.origSz) {
        const have = SIZE_BYTES[insn.opcode & 0x18];
        if (have !== res.origSz) return { error: `unexpected memory access size: got ${have} bytes, expected ${res.origSz}` };
        const size = BYTES_SIZE[res.newSz];
        if (size === undefined) return { error: `invalid new memory access size ${res.newSz}` };
        insn.opcode = (insn.opcode & 0xe0) | size | cls;
      }
      return {};
    }
    case CLASS.LD: {
      // an lddw with src 0 whose second slot is all zero but its imm (checked on the section's own bytes)
      const b = slot * 8;
      const second = bytes.subarray(b + 8, b + 16);
      if (insn.opcode !== OPCODE_LDDW || insn.src !== 0 || insn.off !== 0 || second.length < 8 || second[0] !== 0 || second[1] !== 0 || second[2] !== 0 || second[3] !== 0) {
        return { error: "the lddw has an unexpected form" };
      }
      if (res.poison) { poison(sc, slot); return { poisoned: "poison" }; }
      const imm = insn.imm64 ?? u64(insn.imm);
      if (res.validate && imm !== res.origVal) return { error: `unexpected lddw value: got ${imm}, expected ${res.origVal} -> ${res.newVal}` };
      const v = BigInt.asUintN(64, res.newVal);
      insn.imm64 = v;
      insn.imm = Number(BigInt.asIntN(32, v));
      return {};
    }
    default:
      return { error: `cannot relocate instruction code 0x${insn.opcode.toString(16)}` };
  }
}
