// The one helper table: number, name, prototype (return and argument kinds as the verifier sees them),
// GPL-only, which program types may call it and which map types it accepts. Prototypes come from the
// kernel sources (protos/kernel-protos.ts, generated), program types from src/progtypes (their
// *_func_proto lists), map compatibility from src/maps/types.ts (check_map_func_compatibility).
import { HELPER_NAMES } from "../isa/helper-names.js";
import { PROGRAM_TYPES, allowedHelperNames } from "../progtypes/index.js";
import { mapTypesForHelper } from "../maps/types.js";
import { KERNEL_PROTOS, type KernelProto } from "./protos/kernel-protos.js";
import { MANUAL_PROTOS, PROTO_ALIASES, PROTO_CHANGES_SINCE_612, PROTO_VARIANTS } from "./protos/manual.js";
import { BASE_CAP_BPF, BASE_CAP_PERFMON, BASE_618_CAP_BPF, BASE_618_CAP_PERFMON } from "../progtypes/helper-sets.js";

/** Base argument kinds (enum bpf_arg_type in include/linux/bpf.h). */
export type ArgBase =
  | "ARG_DONTCARE" | "ARG_CONST_MAP_PTR" | "ARG_PTR_TO_MAP_KEY" | "ARG_PTR_TO_MAP_VALUE" | "ARG_PTR_TO_MEM"
  | "ARG_PTR_TO_ARENA" | "ARG_CONST_SIZE" | "ARG_CONST_SIZE_OR_ZERO" | "ARG_PTR_TO_CTX" | "ARG_ANYTHING" | "ARG_SCALAR"
  | "ARG_PTR_TO_SPIN_LOCK" | "ARG_PTR_TO_SOCK_COMMON" | "ARG_PTR_TO_SOCKET" | "ARG_PTR_TO_BTF_ID"
  | "ARG_PTR_TO_RINGBUF_MEM" | "ARG_CONST_ALLOC_SIZE_OR_ZERO" | "ARG_PTR_TO_BTF_ID_SOCK_COMMON"
  | "ARG_PTR_TO_PERCPU_BTF_ID" | "ARG_PTR_TO_FUNC" | "ARG_PTR_TO_STACK" | "ARG_PTR_TO_CONST_STR" | "ARG_PTR_TO_TIMER"
  | "ARG_KPTR_XCHG_DEST" | "ARG_PTR_TO_DYNPTR";

/** Base return kinds (enum bpf_return_type). */
export type RetBase =
  | "RET_INTEGER" | "RET_VOID" | "RET_PTR_TO_MAP_VALUE" | "RET_PTR_TO_SOCKET" | "RET_PTR_TO_TCP_SOCK"
  | "RET_PTR_TO_SOCK_COMMON" | "RET_PTR_TO_MEM" | "RET_PTR_TO_MEM_OR_BTF_ID" | "RET_PTR_TO_BTF_ID";

/** Type flags (enum bpf_type_flag) that modify an argument or return kind. */
export type TypeFlag =
  | "PTR_MAYBE_NULL" | "MEM_RDONLY" | "MEM_RINGBUF" | "MEM_USER" | "MEM_PERCPU" | "OBJ_RELEASE" | "PTR_UNTRUSTED"
  | "MEM_UNINIT" | "DYNPTR_TYPE_LOCAL" | "DYNPTR_TYPE_RINGBUF" | "MEM_FIXED_SIZE" | "MEM_ALLOC" | "PTR_TRUSTED"
  | "MEM_RCU" | "NON_OWN_REF" | "DYNPTR_TYPE_SKB" | "DYNPTR_TYPE_XDP" | "MEM_ALIGNED" | "MEM_WRITE";

export interface ArgSpec {
  type: ArgBase;
  flags: readonly TypeFlag[];
  /** As written in the kernel (`ARG_PTR_TO_MEM | MEM_RDONLY`). */
  text: string;
  /** Byte size for MEM_FIXED_SIZE arguments, when it is a plain sizeof of a scalar; else the C text. */
  size?: number | string;
}

export interface RetSpec {
  type: RetBase;
  flags: readonly TypeFlag[];
  text: string;
}

export interface HelperInfo {
  id: number;
  /** `bpf_map_lookup_elem`. */
  name: string;
  /** `map_lookup_elem`. */
  shortName: string;
  /** Kernel prototype variable the facts come from (`bpf_map_lookup_elem_proto`); undefined if unknown. */
  proto?: string;
  gplOnly: boolean;
  ret: RetSpec;
  /** Arguments r1..r5 in order (trailing ARG_DONTCARE dropped). */
  args: readonly ArgSpec[];
  /** May read packet memory passed as an argument (pkt_access). */
  pktAccess: boolean;
  /** Invalidates packet pointers (bpf_helper_changes_pkt_data): the verifier forgets all pkt ranges. */
  changesPktData: boolean;
  /** The kernel's `might_sleep`: only a sleepable program may call it, never inside an RCU or non-preemptible section. */
  mightSleep: boolean;
  /** The kernel option the program type's func_proto offers the helper under (`#if IS_ENABLED(...)`), when one. */
  config?: string;
  /** Capability the kernel wants before it offers the helper (bpf_base_func_proto's gates). */
  capability?: "CAP_BPF" | "CAP_PERFMON";
  /** Program type numbers whose *_func_proto offers the helper (privileged loader). */
  progTypes: readonly number[];
  /** Map types (lower-case names) the helper's map argument may be; undefined = no map argument or any map
   * not restricted the other way round (see src/maps/types.ts). */
  mapTypes?: readonly string[];
  /** RET_PTR_TO_BTF_ID helpers: the struct the returned pointer points to (ret_btf_id), by name. */
  retBtfStruct?: string;
}

/** ret_btf_id as the kernel sources write it -> the struct it names (btf_sock_ids, btf_tracing_ids, ...). */
const RET_BTF_STRUCTS: Record<string, string> = {
  "&btf_sock_ids[BTF_SOCK_TYPE_TCP]": "tcp_sock", "&btf_sock_ids[BTF_SOCK_TYPE_TCP6]": "tcp6_sock", "&btf_sock_ids[BTF_SOCK_TYPE_UDP6]": "udp6_sock",
  "&btf_sock_ids[BTF_SOCK_TYPE_TCP_TW]": "tcp_timewait_sock", "&btf_sock_ids[BTF_SOCK_TYPE_TCP_REQ]": "tcp_request_sock",
  "&btf_sock_ids[BTF_SOCK_TYPE_UNIX]": "unix_sock", "&btf_sock_ids[BTF_SOCK_TYPE_MPTCP]": "mptcp_sock",
  "&btf_tracing_ids[BTF_TRACING_TYPE_TASK]": "task_struct", "&bpf_sock_from_file_btf_ids[0]": "socket", "&bpf_task_pt_regs_ids[0]": "pt_regs",
};

const ARG_ALIASES: Record<string, string> = {
  ARG_PTR_TO_MAP_VALUE_OR_NULL: "PTR_MAYBE_NULL | ARG_PTR_TO_MAP_VALUE",
  ARG_PTR_TO_MEM_OR_NULL: "PTR_MAYBE_NULL | ARG_PTR_TO_MEM",
  ARG_PTR_TO_CTX_OR_NULL: "PTR_MAYBE_NULL | ARG_PTR_TO_CTX",
  ARG_PTR_TO_SOCKET_OR_NULL: "PTR_MAYBE_NULL | ARG_PTR_TO_SOCKET",
  ARG_PTR_TO_STACK_OR_NULL: "PTR_MAYBE_NULL | ARG_PTR_TO_STACK",
  ARG_PTR_TO_BTF_ID_OR_NULL: "PTR_MAYBE_NULL | ARG_PTR_TO_BTF_ID",
  ARG_PTR_TO_UNINIT_MEM: "MEM_UNINIT | MEM_WRITE | ARG_PTR_TO_MEM",
  ARG_PTR_TO_FIXED_SIZE_MEM: "MEM_FIXED_SIZE | ARG_PTR_TO_MEM",
  RET_PTR_TO_MAP_VALUE_OR_NULL: "PTR_MAYBE_NULL | RET_PTR_TO_MAP_VALUE",
  RET_PTR_TO_SOCKET_OR_NULL: "PTR_MAYBE_NULL | RET_PTR_TO_SOCKET",
  RET_PTR_TO_TCP_SOCK_OR_NULL: "PTR_MAYBE_NULL | RET_PTR_TO_TCP_SOCK",
  RET_PTR_TO_SOCK_COMMON_OR_NULL: "PTR_MAYBE_NULL | RET_PTR_TO_SOCK_COMMON",
  RET_PTR_TO_RINGBUF_MEM_OR_NULL: "PTR_MAYBE_NULL | MEM_RINGBUF | RET_PTR_TO_MEM",
  RET_PTR_TO_DYNPTR_MEM_OR_NULL: "PTR_MAYBE_NULL | RET_PTR_TO_MEM",
  RET_PTR_TO_BTF_ID_OR_NULL: "PTR_MAYBE_NULL | RET_PTR_TO_BTF_ID",
  RET_PTR_TO_BTF_ID_TRUSTED: "PTR_TRUSTED | RET_PTR_TO_BTF_ID",
};

/** Split `A | B | C` into the base kind and flags, expanding the kernel's *_OR_NULL style aliases. */
function parseKind(text: string): { base: string; flags: TypeFlag[] } {
  const parts = text.split("|").map((s) => s.trim()).flatMap((s) => (ARG_ALIASES[s] ?? s).split("|").map((x) => x.trim()));
  const base = parts.find((s) => s.startsWith("ARG_") || s.startsWith("RET_")) ?? "ARG_DONTCARE";
  const flags = [...new Set(parts.filter((s) => s !== base))] as TypeFlag[];
  return { base, flags };
}

const SIZEOF: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s32: 4, s64: 8, __u32: 4, __u64: 8, __s32: 4, __s64: 8, int: 4, long: 8 };

/** bpf_helper_changes_pkt_data (net/core/filter.c). */
export const CHANGES_PKT_DATA: ReadonlySet<string> = new Set([
  "clone_redirect", "l3_csum_replace", "l4_csum_replace", "lwt_push_encap", "lwt_seg6_action", "lwt_seg6_adjust_srh",
  "lwt_seg6_store_bytes", "msg_pop_data", "msg_pull_data", "msg_push_data", "skb_adjust_room", "skb_change_head",
  "skb_change_proto", "skb_change_tail", "skb_pull_data", "skb_store_bytes", "skb_vlan_pop", "skb_vlan_push",
  "store_hdr_opt", "xdp_adjust_head", "xdp_adjust_meta", "xdp_adjust_tail", "tail_call",
]);

const CAP_BPF_SET: ReadonlySet<string> = new Set([...BASE_CAP_BPF, ...BASE_618_CAP_BPF]);
const CAP_PERFMON_SET: ReadonlySet<string> = new Set([...BASE_CAP_PERFMON, ...BASE_618_CAP_PERFMON, "skc_to_tcp6_sock", "skc_to_tcp_sock",
  "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock", "skc_to_udp6_sock", "skc_to_unix_sock", "skc_to_mptcp_sock"]);

function kernelProto(varName: string): KernelProto | undefined {
  return PROTO_CHANGES_SINCE_612[varName] ?? KERNEL_PROTOS[varName] ?? MANUAL_PROTOS[varName];
}

function protoVarFor(short: string, progType?: number): string | undefined {
  const variant = progType !== undefined ? PROTO_VARIANTS[short]?.[progType] : undefined;
  for (const cand of [variant, PROTO_ALIASES[short], `bpf_${short}_proto`]) if (cand && kernelProto(cand)) return cand;
  return undefined;
}

let helperProgTypes: Map<string, number[]> | undefined;
/**
 * Program types that may call helper `short` (for any attach type), in PROGRAM_TYPES order: one pass over
 * the program types for all helpers (asking each type for each helper made the first helper look-up
 * allocate ~7000 name lists, a third of a small `verify`'s start-up: issue #15 item 9).
 */
function progTypesOf(short: string): number[] {
  if (!helperProgTypes) {
    const m = new Map<string, number[]>();
    for (const p of PROGRAM_TYPES) {
      const names = new Set([...allowedHelperNames(p.id, undefined), ...(p.helpersByAttachType ?? []).flatMap((h) => h.helpers)]);
      for (const n of names) {
        const ids = m.get(n);
        if (ids) ids.push(p.id); else m.set(n, [p.id]);
      }
    }
    helperProgTypes = m;
  }
  return [...(helperProgTypes.get(short) ?? [])];
}

function build(id: number, progType?: number): HelperInfo | undefined {
  const name = HELPER_NAMES[id];
  if (!name || id === 0) return undefined;
  const short = name.slice(4);
  const protoVar = protoVarFor(short, progType);
  const kp = protoVar ? kernelProto(protoVar) : undefined;
  const ret = parseKind(kp?.ret ?? "RET_INTEGER");
  const args: ArgSpec[] = (kp?.args ?? []).map((text, i) => {
    const k = parseKind(text);
    const a: ArgSpec = { type: k.base as ArgBase, flags: k.flags, text };
    const sizeText = kp?.argSizes[i + 1];
    if (sizeText) {
      const m = /^sizeof\(\s*(?:struct\s+)?(\w+)\s*\)$/.exec(sizeText);
      a.size = m && SIZEOF[m[1]!] !== undefined ? SIZEOF[m[1]!]! : sizeText;
    }
    return a;
  });
  while (args.length && args[args.length - 1]!.type === "ARG_DONTCARE") args.pop();
  const info: HelperInfo = {
    id, name, shortName: short, gplOnly: kp?.gplOnly ?? false,
    ret: { type: ret.base as RetBase, flags: ret.flags, text: kp?.ret ?? "RET_INTEGER" },
    args, pktAccess: kp?.pktAccess ?? false, changesPktData: CHANGES_PKT_DATA.has(short),
    mightSleep: kp?.mightSleep ?? false,
    progTypes: [],
  };
  // on first read: one pass over every program type, which a `verify` of a small program never needs
  Object.defineProperty(info, "progTypes", {
    get: () => { const v = progTypesOf(short); Object.defineProperty(info, "progTypes", { value: v, enumerable: true }); return v; },
    enumerable: true, configurable: true,
  });
  if (protoVar) info.proto = protoVar;
  const config = HELPER_CONFIG[short];
  if (config) info.config = config;
  const retBtf = kp?.retBtf ? RET_BTF_STRUCTS[kp.retBtf] : undefined;
  if (retBtf) info.retBtfStruct = retBtf;
  if (CAP_BPF_SET.has(short)) info.capability = "CAP_BPF";
  else if (CAP_PERFMON_SET.has(short)) info.capability = "CAP_PERFMON";
  const maps = mapTypesForHelper(short);
  if (maps) info.mapTypes = maps;
  return info;
}

/** Helpers a func_proto offers only under a kernel option (net/core/filter.c lwt_seg6local_func_proto). */
const HELPER_CONFIG: Readonly<Record<string, string>> = {
  lwt_seg6_store_bytes: "CONFIG_IPV6_SEG6_BPF", lwt_seg6_action: "CONFIG_IPV6_SEG6_BPF", lwt_seg6_adjust_srh: "CONFIG_IPV6_SEG6_BPF",
};

// Each helper is built on its first look-up: a small program calls a few of the ~210 (start-up time, issue
// #15 item 9: building them all was the largest part of a small `verify`'s own work).
const table: HelperInfo[] = [];
let complete = false;

/** Every helper the kernel numbers (index = id; index 0 is absent). Built on first use. */
export function allHelpers(): readonly HelperInfo[] {
  if (!complete) {
    for (let id = 1; id < HELPER_NAMES.length; id++) helperById(id);
    complete = true;
  }
  return table;
}

/** Helper facts by number; undefined for 0 or out of range. */
export function helperById(id: number): HelperInfo | undefined {
  if (!Number.isInteger(id) || id <= 0 || id >= HELPER_NAMES.length) return undefined;
  return (table[id] ??= build(id)!);
}

/** Helper facts by `bpf_map_lookup_elem` or `map_lookup_elem`. */
export function helperByName(name: string): HelperInfo | undefined {
  const full = name.startsWith("bpf_") ? name : `bpf_${name}`;
  const id = HELPER_NAMES.indexOf(full);
  return id > 0 ? helperById(id) : undefined;
}

const variants = new Map<string, HelperInfo | undefined>();
const allowedSets = new Map<string, ReadonlySet<string>>();

/**
 * The prototype as a given program type sees it: some helpers have per-type variants (perf_event_output
 * in XDP takes an xdp_md, sk_lookup_tcp in XDP vs tc, ...). Same as helperById when there is no variant.
 */
export function helperForProgType(id: number, progType: number): HelperInfo | undefined {
  const name = HELPER_NAMES[id];
  if (!name || !PROTO_VARIANTS[name.slice(4)]?.[progType]) return helperById(id);
  // the verifier asks at every call instruction it walks: build each variant once
  const key = `${id}/${progType}`;
  if (!variants.has(key)) variants.set(key, build(id, progType));
  return variants.get(key);
}

/** Helpers a program type may call (with its expected attach type, when that matters). */
export function helpersFor(progType: number, attachType?: number): HelperInfo[] {
  return allowedHelperNames(progType, attachType).map((n) => helperByName(n)).filter((h): h is HelperInfo => h !== undefined);
}

/** Whether a program of this type (and expected attach type) may call helper `id`. */
export function isHelperAllowed(progType: number, id: number, attachType?: number): boolean {
  const name = HELPER_NAMES[id];
  if (!name || id <= 0) return false;
  // the verifier asks at every call instruction it walks: one set per program type and attach type
  const key = `${progType}/${attachType ?? ""}`;
  let allowed = allowedSets.get(key);
  if (!allowed) allowedSets.set(key, (allowed = new Set(allowedHelperNames(progType, attachType))));
  return allowed.has(name.slice(4));
}
