// bpf(2) numbers the kernel backend uses: commands, map types, link types, flags (include/uapi/linux/bpf.h).
// Program and attach type numbers live in src/progtypes/numbers.ts.

export const Cmd = {
  MAP_CREATE: 0, MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4, PROG_LOAD: 5,
  OBJ_PIN: 6, OBJ_GET: 7, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_TEST_RUN: 10, PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12, PROG_GET_FD_BY_ID: 13, MAP_GET_FD_BY_ID: 14, OBJ_GET_INFO_BY_FD: 15, PROG_QUERY: 16,
  BTF_LOAD: 18, MAP_FREEZE: 22, LINK_CREATE: 28, LINK_UPDATE: 29, LINK_GET_FD_BY_ID: 30, LINK_GET_NEXT_ID: 31,
  LINK_DETACH: 34,
} as const;

/** enum bpf_map_type names (lower case, no prefix); index = kernel number. */
export const MAP_TYPE_NAMES = [
  "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
  "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap",
  "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack",
  "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
  "user_ringbuf", "cgrp_storage", "arena",
] as const;

export const mapTypeId = (name: string): number | undefined => {
  const i = (MAP_TYPE_NAMES as readonly string[]).indexOf(name.toLowerCase().replace(/^bpf_map_type_/, ""));
  return i < 0 ? undefined : i;
};
export const mapTypeName = (id: number): string => MAP_TYPE_NAMES[id] ?? `map type ${id}`;

/** enum bpf_link_type names; index = kernel number. */
export const LINK_TYPE_NAMES = [
  "unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event", "kprobe_multi",
  "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
] as const;
export const linkTypeName = (id: number): string => LINK_TYPE_NAMES[id] ?? `link type ${id}`;

export const BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_ALLOW_MULTI = 1 << 1;
export const BPF_F_REPLACE = 1 << 2;
export const XDP_FLAGS_SKB_MODE = 1 << 1, XDP_FLAGS_DRV_MODE = 1 << 2;
/** ld_imm64 src_reg values the loader patches. */
export const PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2;
export const BPF_OBJ_NAME_LEN = 16;
