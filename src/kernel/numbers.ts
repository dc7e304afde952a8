// bpf(2) numbers only the kernel backend uses: commands, link types, flags (include/uapi/linux/bpf.h).
// Map types come from the one map type table (src/maps/types.ts: mapTypeByName / mapTypeById), program and
// attach types from src/progtypes/ (ProgType, AttachType, resolveSection). No copies of them here.
import { mapTypeById, mapTypeByName } from "../maps/types.js";

export const Cmd = {
  MAP_CREATE: 0, MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4, PROG_LOAD: 5,
  OBJ_PIN: 6, OBJ_GET: 7, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_TEST_RUN: 10, PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12, PROG_GET_FD_BY_ID: 13, MAP_GET_FD_BY_ID: 14, OBJ_GET_INFO_BY_FD: 15, PROG_QUERY: 16,
  BTF_LOAD: 18, BTF_GET_FD_BY_ID: 19, MAP_FREEZE: 22, LINK_CREATE: 28, LINK_UPDATE: 29, LINK_GET_FD_BY_ID: 30, LINK_GET_NEXT_ID: 31,
  LINK_DETACH: 34,
} as const;

/** Kernel number of a map type name (`hash`, `BPF_MAP_TYPE_HASH`), from the shared map type table. */
export const mapTypeId = (name: string): number | undefined => mapTypeByName(name)?.id;
/** Map type name of a kernel number, from the shared map type table (`map type N` when it has none). */
export const mapTypeName = (id: number): string => mapTypeById(id)?.name ?? `map type ${id}`;

/**
 * enum bpf_link_type names; index = kernel number. No shared table holds link types (only the kernel
 * backend meets them: link info from BPF_OBJ_GET_INFO_BY_FD), so they live here.
 */
export const LINK_TYPE_NAMES = [
  "unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event", "kprobe_multi",
  "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
] as const;
export const linkTypeName = (id: number): string => LINK_TYPE_NAMES[id] ?? `link type ${id}`;

/** Map update flags, from the map code's table (src/maps/runtime/map.ts). */
export { BPF_ANY, BPF_NOEXIST, BPF_EXIST } from "../maps/runtime/map.js";
/** XDP attach flags (include/uapi/linux/if_link.h); only attaching uses them. */
export const XDP_FLAGS_SKB_MODE = 1 << 1, XDP_FLAGS_DRV_MODE = 1 << 2;
export const BPF_OBJ_NAME_LEN = 16;
