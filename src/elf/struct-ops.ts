// struct_ops programs, as libbpf binds them: each variable of a `.struct_ops` / `.struct_ops.link` section is
// a struct_ops map whose value is a struct such as tcp_congestion_ops; the section's relocations point
// function-pointer members at programs (bpf_object__collect_st_ops_relos). Against the target kernel, the
// struct is the kernel's struct of the same essential name, found through its map value type
// `struct bpf_struct_ops_<name>` (find_struct_ops_kern_types), and each member by name
// (bpf_map__init_kern_struct_ops): a program then loads with attach_btf_id = the kernel struct's id and
// expected_attach_type = the member's index in it. What libbpf refuses while opening the object (a
// relocation that names no member or no struct_ops program) is a malformed object here; what it refuses
// against the target kernel (no such struct or member, a program bound to two members) is that program's
// status, with libbpf's words.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { BTF_KIND, type Btf, type BtfType, essentialName, skipModifiers } from "../btf/btf.js";
import { resolveSection } from "../progtypes/index.js";
import type { ElfFunction } from "./link.js";
import type { ElfFile } from "./reader.js";

/** One member of a struct_ops map bound to a program by a relocation. */
export interface StructOpsBinding {
  /** The map (the variable's name). */
  map: string;
  /** Its section: `.struct_ops`, `.struct_ops.link`, or either with libbpf's `?` (not created by default). */
  section: string;
  /** The local struct's name (`tcp_congestion_ops`, or a flavour such as `tcp_congestion_ops___v2`). */
  struct: string;
  /** The member's name. */
  member: string;
}

/** What the target kernel says about a struct_ops program: the struct and member it implements. */
export interface StructOpsTarget {
  map: string;
  /** The kernel struct (essential name). */
  struct: string;
  member: string;
  /** expected_attach_type: the member's index in the kernel struct. */
  memberIndex: number;
  /** attach_btf_id: the kernel struct's id in the target BTF. */
  structId: number;
}

const isStructOpsSection = (name: string): boolean => /^\??\.struct_ops(\.link)?$/.test(name);

/** Whether a program section is a struct_ops one (`struct_ops`, `struct_ops/NAME`, `struct_ops.s/...`). */
export function isStructOpsProgram(section: string): boolean {
  return resolveSection(section)?.progType === 27;
}

/** resolve_func_ptr: a member type that is (modifiers, typedefs) a pointer to (typedefs) a FUNC_PROTO. */
function funcPtrProto(btf: Btf, typeId: number): BtfType | undefined {
  const p = skipModifiers(btf, typeId);
  if (p.kind !== BTF_KIND.PTR) return undefined;
  const f = skipModifiers(btf, p.sizeOrType);
  return f.kind === BTF_KIND.FUNC_PROTO ? f : undefined;
}

const memberOff = (t: BtfType, i: number): number => (t.kflag ? t.members![i]!.offset & 0xffffff : t.members![i]!.offset);

/**
 * The members each program is bound to, from the struct_ops sections' relocations (keyed by the program's
 * function). Throws BK4005 for what makes libbpf refuse the object.
 */
export function collectStructOpsBindings(elf: ElfFile, btf: Btf | undefined, functions: readonly ElfFunction[], sectionOf: (fn: ElfFunction) => string): Map<ElfFunction, StructOpsBinding[]> {
  const out = new Map<ElfFunction, StructOpsBinding[]>();
  for (const sec of elf.sections) {
    if (!isStructOpsSection(sec.name)) continue;
    const relos = elf.relocations.get(sec.index);
    if (!relos?.entries.length) continue;
    const where = { section: relos.section };
    const bad = (index: number, reason: string): BpfkitError => new BpfkitError(diag("BK4005", { index, reason: `struct_ops: ${reason}` }, where));
    const datasec = btf?.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === sec.name);
    if (!btf || !datasec) throw bad(0, `DATASEC ${sec.name} not found in the object's BTF`);
    for (const r of relos.entries) {
      const sym = elf.symbols[r.symbol];
      if (!sym) throw bad(r.index, `symbol ${r.symbol} not found`);
      const vs = (datasec.secinfos ?? []).find((v) => r.offset >= v.offset && r.offset < v.offset + v.size);
      if (!vs) throw bad(r.index, `cannot find map at rel->r_offset ${r.offset}`);
      const v = btf.type(vs.type);
      const st = skipModifiers(btf, v.sizeOrType);
      const moff = r.offset - vs.offset;
      const mi = (st.members ?? []).findIndex((_, i) => memberOff(st, i) === moff * 8);
      if (mi < 0) throw bad(r.index, `map '${v.name}': cannot find member at moff ${moff}`);
      const member = st.members![mi]!.name;
      if (!funcPtrProto(btf, st.members![mi]!.type)) throw bad(r.index, `map '${v.name}': cannot relocate non func ptr ${member}`);
      if (sym.value % 8) throw bad(r.index, `map '${v.name}': invalid target program offset ${sym.value}`);
      const fn = functions.find((f) => f.sectionIndex === sym.shndx && sym.value / 8 >= f.start && sym.value / 8 < f.end);
      if (!fn) throw bad(r.index, `map '${v.name}': cannot find prog at shdr_idx ${sym.shndx} to relocate func ptr ${member}`);
      if (!isStructOpsProgram(sectionOf(fn))) throw bad(r.index, `map '${v.name}': prog ${fn.name} is not struct_ops BPF program`);
      const list = out.get(fn) ?? [];
      list.push({ map: v.name, section: sec.name, struct: st.name, member });
      out.set(fn, list);
    }
  }
  return out;
}

/**
 * bpf_map__init_kern_struct_ops for one program's bindings: the kernel struct and member in the target
 * BTF, or libbpf's refusal in words.
 */
export function resolveStructOps(bindings: readonly StructOpsBinding[], target: Btf | undefined, progName: string): StructOpsTarget | string {
  if (!target) return "struct_ops needs the target kernel's BTF (the struct and member the program implements)";
  let found: StructOpsTarget | undefined;
  for (const b of bindings) {
    const tname = essentialName(b.struct);
    const vtype = target.findByNameKind(`bpf_struct_ops_${tname}`, BTF_KIND.STRUCT);
    if (vtype < 0) return `struct_ops init_kern: struct bpf_struct_ops_${tname} is not found in kernel BTF`;
    const structId = target.findByNameKind(tname, BTF_KIND.STRUCT);
    if (structId < 0) return `struct_ops init_kern: struct ${tname} is not found in kernel BTF`;
    const kt = target.type(structId);
    const memberIndex = (kt.members ?? []).findIndex((m) => m.name === b.member);
    // libbpf drops a member the kernel lacks (and the program's autoload with it)
    if (memberIndex < 0) return `struct_ops init_kern ${b.map}: member ${b.member} not found in kernel, the program is not loaded`;
    if (!funcPtrProto(target, kt.members![memberIndex]!.type)) return `struct_ops init_kern ${b.map}: kernel member ${b.member} is not a func ptr`;
    if (found && found.structId !== structId) {
      return `struct_ops init_kern ${b.map} func ptr ${b.member}: invalid reuse of prog ${progName}: attach_btf_id ${found.structId} != kern_type_id ${structId}`;
    }
    if (found && found.memberIndex !== memberIndex) {
      return `struct_ops init_kern ${b.map} func ptr ${b.member}: invalid reuse of prog ${progName}: expected_attach_type ${found.memberIndex} != kern_member_idx ${memberIndex}`;
    }
    found ??= { map: b.map, struct: tname, member: b.member, memberIndex, structId };
  }
  if (!found) return `SEC("struct_ops") program isn't referenced anywhere, did you forget to use it?`;
  return found;
}

/**
 * A struct_ops map as the object defines it: the local struct's bytes (its `.struct_ops` variable) and which
 * program each function-pointer member names. What `registerStructOps` (src/kernel/struct-ops.ts) turns
 * into the kernel's `struct bpf_struct_ops_<name>` value.
 */
export interface StructOpsMapData {
  map: string;
  section: string;
  /** The local struct's id in the object's BTF. */
  typeId: number;
  /** The variable's bytes (the local struct's layout). */
  data: Uint8Array;
  /** Function-pointer members bound to programs. */
  members: { member: string; program: string }[];
}

/** Every struct_ops map of the object with its bytes and bound programs. */
export function structOpsMapData(elf: ElfFile, btf: Btf | undefined, bindings: ReadonlyMap<ElfFunction, readonly StructOpsBinding[]>): StructOpsMapData[] {
  const out: StructOpsMapData[] = [];
  if (!btf) return out;
  for (const sec of elf.sections) {
    if (!isStructOpsSection(sec.name)) continue;
    const datasec = btf.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === sec.name);
    for (const vs of datasec?.secinfos ?? []) {
      const v = btf.type(vs.type);
      if (v.kind !== BTF_KIND.VAR) continue;
      const st = skipModifiers(btf, v.sizeOrType);
      const members = [...bindings].flatMap(([fn, list]) => list.filter((b) => b.map === v.name && b.section === sec.name).map((b) => ({ member: b.member, program: fn.name })));
      out.push({ map: v.name, section: sec.name, typeId: st.id, data: sec.data.slice(vs.offset, vs.offset + vs.size), members });
    }
  }
  return out;
}
