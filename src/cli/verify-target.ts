// What `verify` (one program, the listing, `build`) hands the verifier emulator for a Program: its slots as
// the kernel sees them, maps, license, source lines and what the BTF says, plus the program type.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { toHex } from "../isa/index.js";
import { progTypeByName, resolveSection } from "../progtypes/index.js";
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

/** Program type and expected attach type from --type or the section name. */
export function programType(section: string, override: string | undefined, name: string): { progType: number; attachType?: number } {
  const s = override ?? section;
  const sec = resolveSection(s);
  if (sec) return sec.attachType !== undefined ? { progType: sec.progType, attachType: sec.attachType } : { progType: sec.progType };
  const info = progTypeByName(s);
  if (info) return { progType: info.id };
  throw new BpfkitError(diag("BK6001", { name, section: s || "(none)" }, {}, "give the program type with --type (e.g. xdp, tc, socket, cgroup_skb/ingress, kprobe)"), 2);
}
