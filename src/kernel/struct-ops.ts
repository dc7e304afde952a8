// Registering a struct_ops map, as libbpf does (bpf_map__init_kern_struct_ops, then bpf_map__attach_struct_ops):
// the map's value is the kernel's `struct bpf_struct_ops_<name>`, whose `data` member is the kernel's struct
// (tcp_congestion_ops). Each member of the object's local struct is copied to the kernel member of the same
// name: data members byte for byte (their sizes must agree), function pointers as the fd of the program bound
// to them (already loaded, with the member's index as expected_attach_type). The map is created with
// btf_vmlinux_value_type_id; updating key 0 registers the struct (tcp_register_congestion_control for a TCP
// congestion control), unless the map is a `.struct_ops.link` one (BPF_F_LINK): then the update only stores
// it and a BPF_LINK_CREATE (attach type BPF_STRUCT_OPS) registers it. Closing the link, or the last fd of
// a plain map, unregisters it.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { BTF_KIND, type Btf, type BtfType, essentialName, memberBits, resolveSize, skipModifiers } from "../btf/btf.js";
import type { ElfObject } from "../elf/object.js";
import { btfLoad, linkCreate, mapCreate, mapDelete, mapUpdate } from "./commands.js";
import { KernelError } from "./errors.js";
import { u32Key } from "./maps.js";
import { closeFd } from "./sys.js";

const MAP_TYPE_STRUCT_OPS = 26;
const ATTACH_STRUCT_OPS = 44;
const BPF_F_LINK = 0x2000;

export interface RegisteredStructOps {
  map: string;
  mapFd: number;
  /** `.struct_ops.link` maps: the link that registered it. */
  linkFd?: number;
  /** The value handed to the kernel (`struct bpf_struct_ops_<name>`). */
  value: Uint8Array;
  /** Unregister: close the link (or the map, the last reference of a plain one). */
  close(): void;
}

/** Byte offset of member `i` of a struct (memberBits reads the kind_flag encoding). */
const memberOff = (t: BtfType, i: number): number => memberBits(t, i).bitOffset / 8;

/** The kernel's value for one struct_ops map: its local members by name, programs as their fds. */
export function structOpsValue(obj: ElfObject, mapName: string, progFds: ReadonlyMap<string, number>, kernel: Btf): { value: Uint8Array; valueTypeId: number; flags: number } {
  const m = obj.structOps?.find((x) => x.map === mapName);
  const fail = (reason: string): BpfkitError => new BpfkitError(diag("BK7030", { map: mapName, reason }), 2);
  if (!m || !obj.btf) throw fail(`${obj.file} has no such struct_ops map (it has: ${(obj.structOps ?? []).map((x) => x.map).join(", ") || "none"})`);
  const local = obj.btf.type(m.typeId);
  const tname = essentialName(local.name);
  const vtypeId = kernel.findByNameKind(`bpf_struct_ops_${tname}`, BTF_KIND.STRUCT);
  const ktypeId = kernel.findByNameKind(tname, BTF_KIND.STRUCT);
  if (vtypeId < 0 || ktypeId < 0) throw fail(`struct bpf_struct_ops_${tname} is not found in kernel BTF`);
  const vtype = kernel.type(vtypeId), ktype = kernel.type(ktypeId);
  const dataIndex = (vtype.members ?? []).findIndex((x) => x.type === ktypeId);
  if (dataIndex < 0) throw fail(`struct ${tname} data is not found in struct bpf_struct_ops_${tname}`);
  const dataOff = memberOff(vtype, dataIndex);
  const value = new Uint8Array(vtype.sizeOrType);
  const dv = new DataView(value.buffer);
  for (const [li, lm] of (local.members ?? []).entries()) {
    const moff = memberOff(local, li);
    const msize = resolveSize(obj.btf, lm.type);
    const bytes = m.data.subarray(moff, moff + msize);
    const ki = (ktype.members ?? []).findIndex((x) => x.name === lm.name);
    const km = ktype.members?.[ki];
    const bound = m.members.find((x) => x.member === lm.name);
    if (!km) {
      if (bytes.some((b) => b !== 0) || bound) throw fail(`Cannot find member ${lm.name} in kernel BTF`);
      continue;
    }
    const koff = dataOff + memberOff(ktype, ki);
    if (skipModifiers(obj.btf, lm.type).kind === BTF_KIND.PTR) {
      if (!bound) continue;
      const fd = progFds.get(bound.program);
      if (fd === undefined) throw fail(`member ${lm.name} names program '${bound.program}', which is not loaded`);
      dv.setBigUint64(koff, BigInt(fd), true);
      continue;
    }
    const ksize = resolveSize(kernel, km.type);
    if (ksize !== msize) throw fail(`Error in size of member ${lm.name}: ${msize} != ${ksize}(kernel)`);
    value.set(bytes, koff);
  }
  return { value, valueTypeId: vtypeId, flags: m.section.endsWith(".struct_ops.link") ? BPF_F_LINK : 0 };
}

/**
 * Create the struct_ops map `mapName` of `obj` and register it in the kernel, its members' programs given
 * by their loaded fds. `btfFd` is the object's BTF loaded into the kernel (libbpf passes it; optional).
 */
export function registerStructOps(obj: ElfObject, mapName: string, progFds: ReadonlyMap<string, number>, kernel: Btf, btfFd?: number): RegisteredStructOps {
  const { value, valueTypeId, flags } = structOpsValue(obj, mapName, progFds, kernel);
  // the kernel wants the object's BTF with it ("the bpf_prog.o must have BTF to begin with")
  const ownBtf = btfFd !== undefined && btfFd > 0 ? -1 : btfLoad(obj.btf!.raw);
  let mapFd: number;
  try {
    mapFd = mapCreate({
      mapType: MAP_TYPE_STRUCT_OPS, keySize: 4, valueSize: value.length, maxEntries: 1, flags, name: mapName.slice(0, 15),
      btfFd: ownBtf > 0 ? ownBtf : btfFd!, btfVmlinuxValueTypeId: valueTypeId,
    });
  } finally {
    if (ownBtf > 0) closeFd(ownBtf);
  }
  let linkFd: number | undefined;
  try {
    mapUpdate(mapFd, u32Key(0), value);
    if (flags & BPF_F_LINK) linkFd = linkCreate({ progFd: mapFd, target: 0, attachType: ATTACH_STRUCT_OPS });
  } catch (err) {
    closeFd(mapFd);
    if (err instanceof KernelError) err.diagnostics.unshift(diag("BK7030", { map: mapName, reason: "the kernel refused to register it" }));
    throw err;
  }
  return {
    map: mapName, mapFd, value, ...(linkFd !== undefined ? { linkFd } : {}),
    // a plain map is unregistered by deleting its value (libbpf's bpf_link__detach_struct_ops), not waiting for the map's free
    close: () => {
      if (linkFd !== undefined) closeFd(linkFd);
      else { try { mapDelete(mapFd, u32Key(0)); } catch { /* already unregistered */ } }
      closeFd(mapFd);
    },
  };
}
