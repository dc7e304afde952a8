// What `verify` (one program, the listing, `build`) hands the verifier emulator for a Program: its slots as
// the kernel sees them, maps, license, source lines and what the BTF says, plus the program type.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { toHex } from "../isa/index.js";
import type { Btf } from "../btf/index.js";
import { attachBtfIdOf, attachTargetOf } from "../elf/attach-target.js";
import { loadAttrs, progTypeByName, resolveSection } from "../progtypes/index.js";
import type { MapSpec, Program } from "../program/program.js";
import type { RawInsn } from "../verifier/cfg.js";
import type { FuncProto } from "../verifier/global-funcs.js";
import type { MapFields } from "../verifier/map-fields.js";
import { hexToSlots } from "../verifier/raw-hex.js";
import { toRawSlots, withBtfOptions } from "../verifier/verifier.js";

export interface Target {
  name: string;
  section: string;
  insns: RawInsn[];
  maps: MapSpec[];
  license: string;
  lines?: Program["lines"];
  hasFuncInfo?: boolean;
  /** bpf_spin_lock / bpf_timer offsets in map values, from the object's BTF. */
  mapFields?: MapFields[];
  funcReturnsScalar?: ReadonlyMap<number, boolean>;
  funcProtos?: ReadonlyMap<number, FuncProto>;
  /** The object's own BTF, parsed (bpf_obj_new's local types, global functions' argument types). */
  progBtf?: Btf;
  /** The program as loaded (for notes on poisoned relocations and the target BTF used). */
  program?: Program;
}

export function fromProgram(p: Program): Target {
  // Raw bytecode read leniently is judged slot for slot, as the kernel sees it.
  const insns = p.bytecode ? hexToSlots(toHex(p.bytecode)) : toRawSlots(p.insns);
  const t: Target = withBtfOptions<Target>(p, { name: p.name, section: p.section, insns, maps: p.maps, license: p.license, program: p });
  if (p.lines) t.lines = p.lines;
  if (p.btf?.funcInfo?.length) t.hasFuncInfo = true;
  return t;
}

/**
 * What the verifier needs besides the instructions, as libbpf hands it to the kernel: program type and
 * expected attach type (--type or the section name), prog_flags (BPF_F_SLEEPABLE for `.s` sections and
 * `syscall`, from the section table), and, given the program, the target BTF (kfuncs, BTF-typed pointers;
 * opened only when the verifier needs it) with the attach target's id in it (tp_btf, fentry, lsm, iter).
 */
export interface ProgramKind {
  progType: number; attachType?: number; progFlags?: number; targetBtf?: () => Btf | undefined; attachBtfId?: number;
  /** The target kernel's .config (helpers offered only under a kernel option). */
  kernelConfig?: () => string | undefined;
}

/**
 * `fallbackBtf`: the target for programs the loader did not relocate (an object without CO-RE or externs
 * keeps no target of its own): the same --btf / running kernel / bundled choice.
 */
export function programType(section: string, override: string | undefined, name: string, program?: Program, fallbackBtf?: () => Btf | undefined,
  kernelConfig?: () => string | undefined): ProgramKind {
  const s = override ?? section;
  const kind = baseKind(s, name);
  if (kernelConfig) kind.kernelConfig = kernelConfig;
  if (!program) return kind;
  const btf = (): Btf | undefined => (program.targetBtfSource !== undefined ? program.targetBtf : undefined) ?? fallbackBtf?.();
  if (program.targetBtfSource !== undefined || fallbackBtf) kind.targetBtf = btf;
  // struct_ops: the kernel struct's id and the member's index, as the ELF loader bound them (src/elf/struct-ops.ts)
  if (program.structOps && kind.progType === 27 && program.attachBtfId) {
    kind.attachType = program.structOps.memberIndex;
    kind.attachBtfId = program.attachBtfId;
    return kind;
  }
  const at = attachTargetOf(s);
  const tbtf = at ? btf() : undefined;
  if (at && tbtf) {
    // the loader found it (src/elf/attach-target.ts) when the object had a target and --type did not change the section
    const id = program.attachBtfId !== undefined && override === undefined ? program.attachBtfId : attachBtfIdOf(s, tbtf);
    if (id <= 0) {
      throw new BpfkitError(diag("BK6005", { name, section: s, symbol: at.name, target: program.targetBtfSource ?? "the target BTF" }, {},
        "give the BTF of a kernel that has it with --btf FILE"), 2);
    }
    kind.attachBtfId = id;
  }
  return kind;
}

function baseKind(s: string, name: string): ProgramKind {
  const sec = resolveSection(s);
  if (sec) {
    const kind: ProgramKind = sec.attachType !== undefined ? { progType: sec.progType, attachType: sec.attachType } : { progType: sec.progType };
    const { progFlags } = loadAttrs(sec);
    if (progFlags) kind.progFlags = progFlags;
    return kind;
  }
  const info = progTypeByName(s);
  if (info) return { progType: info.id };
  throw new BpfkitError(diag("BK6001", { name, section: s || "(none)" }, {}, "give the program type with --type (e.g. xdp, tc, socket, cgroup_skb/ingress, kprobe)"), 2);
}
