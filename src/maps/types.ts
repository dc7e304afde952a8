// The map TYPE table: every kernel map type by number and lower-case name, with the creation rules of its
// *_alloc_check / *_alloc function (kernel/bpf/*.c, net/core/sock_map.c) and which helpers may use it
// (check_map_func_compatibility in kernel/bpf/verifier.c, both directions). `validateMapSpec` turns a
// declared MapSpec into the same accept/EINVAL answer the kernel gives, with a message saying why.
// Runtime behaviour of each map type lives in src/maps/runtime/.
import type { MapSpec } from "../program/program.js";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.js";

/** Map creation flags (include/uapi/linux/bpf.h). */
export const MapFlag = {
  NO_PREALLOC: 1 << 0, NO_COMMON_LRU: 1 << 1, NUMA_NODE: 1 << 2, RDONLY: 1 << 3, WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5, ZERO_SEED: 1 << 6, RDONLY_PROG: 1 << 7, WRONLY_PROG: 1 << 8, CLONE: 1 << 9,
  MMAPABLE: 1 << 10, PRESERVE_ELEMS: 1 << 11, INNER_MAP: 1 << 12, LINK: 1 << 13, PATH_FD: 1 << 14,
  VTYPE_BTF_OBJ_FD: 1 << 15, TOKEN_FD: 1 << 16, SEGV_ON_FAULT: 1 << 17, NO_USER_CONV: 1 << 18,
} as const;
const F = MapFlag;
const ACCESS = F.RDONLY | F.WRONLY | F.RDONLY_PROG | F.WRONLY_PROG;

/** enum bpf_map_type in lower case without BPF_MAP_TYPE_; index = kernel number. */
export const MAP_TYPE_NAMES = [
  "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
  "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap",
  "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack",
  "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
  "user_ringbuf", "cgrp_storage", "arena",
] as const;
export type MapTypeName = (typeof MAP_TYPE_NAMES)[number];

export interface MapTypeInfo {
  id: number;
  name: MapTypeName;
  kernelName: string;
  summary: string;
  /** Required key size, or a rule. */
  keySize: { exact?: number; min?: number; max?: number; note?: string };
  valueSize: { exact?: readonly number[]; min?: number; max?: number; note?: string };
  /** Flags the kernel accepts at creation (others: EINVAL). */
  allowedFlags: number;
  /** Flags the kernel requires (lpm_trie: BPF_F_NO_PREALLOC). */
  requiredFlags?: number;
  /** One value per possible CPU (lookups from user space return nr_cpus values, each rounded up to 8). */
  perCpu: boolean;
  /** Helpers (short names) a program may call with this map; undefined = no restriction from the map side
   * (hash, array, ... accept the generic map_lookup/update/delete helpers). */
  programHelpers?: readonly string[];
  /** map_lookup_elem from a program returns a pointer to the value (false: not callable, or returns a
   * socket / device reference instead). */
  lookupReturnsValue: boolean;
  /** Programs may call map_update_elem / map_delete_elem on it. */
  programUpdate: boolean;
  programDelete: boolean;
  /** Needs an inner map template (map-in-map). */
  needsInner?: boolean;
  /** Extra check beyond sizes and flags; returns the reason it is refused. */
  extraCheck?: (s: MapSpec) => string | undefined;
}

const BIG = 0x7fffffff;
const PCPU_MIN_UNIT_SIZE = 32768;
const PAGE_SIZE = 4096;
const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
/** sysctl kernel.perf_event_max_stack default (PERF_MAX_STACK_DEPTH). */
const PERF_MAX_STACK = 127;
/** Largest value of a local storage map (BPF_LOCAL_STORAGE_MAX_VALUE_SIZE = U16_MAX - sizeof(struct
 * bpf_local_storage_elem)), as the running 6.18 kernel answers (test/facts/fixtures/kernel-maps.json). */
const LOCAL_STORAGE_MAX_VALUE = 65407;
/** MAX_BPF_STACK: sockhash keys must fit on the stack (E2BIG). */
const MAX_BPF_STACK = 512;
/** CONFIG_NR_CPUS upper bound on x86_64 without MAXSMP; cpumap max_entries above the kernel's NR_CPUS is E2BIG. */
const DEFAULT_NR_CPUS = 8192;
/** Map types whose maps cannot be the inner template of a map-in-map (kernel 6.18: prog_array and the cgroup
 * storages answer ENOTSUPP, map-in-map types EINVAL: one level only). */
const NOT_INNER: readonly string[] = ["prog_array", "cgroup_storage", "percpu_cgroup_storage", "array_of_maps", "hash_of_maps"];

const percpuValue = (s: MapSpec): string | undefined =>
  Math.ceil(s.valueSize / 8) * 8 > PCPU_MIN_UNIT_SIZE ? `per-CPU value size ${s.valueSize} rounds up above ${PCPU_MIN_UNIT_SIZE} bytes (E2BIG)` : undefined;

const lruCheck = (s: MapSpec): string | undefined =>
  s.flags & F.NO_PREALLOC ? "LRU maps must be preallocated: remove BPF_F_NO_PREALLOC (the kernel answers ENOTSUPP)" : undefined;

const HTAB_FLAGS = F.NO_PREALLOC | F.NO_COMMON_LRU | F.NUMA_NODE | ACCESS | F.ZERO_SEED;
const ARRAY_FLAGS = F.NUMA_NODE | F.MMAPABLE | ACCESS | F.PRESERVE_ELEMS | F.INNER_MAP;

type Def = Omit<MapTypeInfo, "id" | "name" | "kernelName"> & { name: MapTypeName };
const generic = { lookupReturnsValue: true, programUpdate: true, programDelete: true } as const;
const none = { lookupReturnsValue: false, programUpdate: false, programDelete: false } as const;

const DEFS: Def[] = [
  { name: "hash", summary: "hash table", keySize: { min: 1 }, valueSize: { min: 1 }, allowedFlags: HTAB_FLAGS & ~F.NO_COMMON_LRU, perCpu: false, ...generic },
  { name: "array", summary: "array indexed by u32, preallocated and zero-filled", keySize: { exact: 4 }, valueSize: { min: 1, max: BIG }, allowedFlags: ARRAY_FLAGS & ~F.PRESERVE_ELEMS, perCpu: false, ...generic, programDelete: false },
  { name: "prog_array", summary: "tail-call table of program fds", keySize: { exact: 4 }, valueSize: { exact: [4] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["tail_call"], ...none },
  { name: "perf_event_array", summary: "per-CPU perf event fds for bpf_perf_event_output", keySize: { exact: 4 }, valueSize: { exact: [4] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY | F.PRESERVE_ELEMS, perCpu: false, programHelpers: ["perf_event_read", "perf_event_output", "skb_output", "perf_event_read_value", "xdp_output"], ...none },
  { name: "percpu_hash", summary: "hash table with one value per CPU", keySize: { min: 1 }, valueSize: { min: 1 }, allowedFlags: HTAB_FLAGS & ~F.NO_COMMON_LRU & ~F.NUMA_NODE /* kernel 6.18: EINVAL */, perCpu: true, extraCheck: percpuValue, ...generic },
  { name: "percpu_array", summary: "array with one value per CPU", keySize: { exact: 4 }, valueSize: { min: 1 }, allowedFlags: ACCESS | F.NUMA_NODE, perCpu: true, extraCheck: (s) => (s.flags & F.NUMA_NODE ? "per-CPU arrays cannot be bound to a NUMA node" : percpuValue(s)), ...generic, programDelete: false },
  { name: "stack_trace", summary: "stack traces for bpf_get_stackid", keySize: { exact: 4 }, valueSize: { min: 8, note: "a multiple of 8 (u64 ips), or of 32 with BPF_F_STACK_BUILD_ID" }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY | F.STACK_BUILD_ID, perCpu: false, programHelpers: ["get_stackid"], ...none,
    extraCheck: (s) => {
      const entry = s.flags & F.STACK_BUILD_ID ? 32 : 8;
      if (s.valueSize % entry !== 0) return "stack_trace value size must be a multiple of 8 (32 with BPF_F_STACK_BUILD_ID)";
      // value_size / entry > sysctl kernel.perf_event_max_stack (default 127): EINVAL
      if (s.valueSize / entry > PERF_MAX_STACK) return `stack_trace value size ${s.valueSize} holds more than kernel.perf_event_max_stack (${PERF_MAX_STACK}) frames of ${entry} bytes`;
      return undefined;
    } },
  { name: "cgroup_array", summary: "cgroup fds for bpf_skb_under_cgroup", keySize: { exact: 4 }, valueSize: { exact: [4] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["skb_under_cgroup", "current_task_under_cgroup"], ...none },
  { name: "lru_hash", summary: "hash table that evicts the least recently used entry when full", keySize: { min: 1 }, valueSize: { min: 1 }, allowedFlags: HTAB_FLAGS, perCpu: false, extraCheck: lruCheck, ...generic },
  { name: "lru_percpu_hash", summary: "LRU hash with one value per CPU", keySize: { min: 1 }, valueSize: { min: 1 }, allowedFlags: HTAB_FLAGS & ~F.NUMA_NODE /* kernel 6.18: EINVAL */, perCpu: true, extraCheck: (s) => lruCheck(s) ?? percpuValue(s), ...generic },
  { name: "lpm_trie", summary: "longest-prefix-match trie; key = u32 prefix length + data bytes", keySize: { min: 5, max: 260, note: "4-byte prefixlen followed by 1-256 data bytes" }, valueSize: { min: 1 }, allowedFlags: F.NO_PREALLOC | F.NUMA_NODE | ACCESS, requiredFlags: F.NO_PREALLOC, perCpu: false, ...generic },
  { name: "array_of_maps", summary: "array whose values are maps (fds in, ids out)", keySize: { exact: 4 }, valueSize: { exact: [4] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, needsInner: true, programHelpers: ["map_lookup_elem"], lookupReturnsValue: false, programUpdate: false, programDelete: false },
  { name: "hash_of_maps", summary: "hash table whose values are maps", keySize: { min: 1 }, valueSize: { exact: [4] }, allowedFlags: HTAB_FLAGS & ~F.NO_COMMON_LRU, perCpu: false, needsInner: true, programHelpers: ["map_lookup_elem"], lookupReturnsValue: false, programUpdate: false, programDelete: false },
  { name: "devmap", summary: "net devices for XDP redirect (value: ifindex, optionally + program fd)", keySize: { exact: 4 }, valueSize: { exact: [4, 8] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["redirect_map", "map_lookup_elem"], lookupReturnsValue: true, programUpdate: false, programDelete: false },
  { name: "sockmap", summary: "sockets by index for sk_msg/sk_skb redirect", keySize: { exact: 4 }, valueSize: { exact: [4, 8] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["sk_redirect_map", "sock_map_update", "msg_redirect_map", "sk_select_reuseport", "map_lookup_elem"], lookupReturnsValue: false, programUpdate: false, programDelete: false },
  { name: "cpumap", summary: "CPUs for XDP redirect (value: queue size, optionally + program fd)", keySize: { exact: 4 }, valueSize: { exact: [4, 8] }, allowedFlags: F.NUMA_NODE, perCpu: false, programHelpers: ["redirect_map"], ...none },
  { name: "xskmap", summary: "AF_XDP sockets for XDP redirect", keySize: { exact: 4 }, valueSize: { exact: [4] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["redirect_map", "map_lookup_elem"], lookupReturnsValue: false, programUpdate: false, programDelete: false },
  { name: "sockhash", summary: "sockets by key for sk_msg/sk_skb redirect", keySize: { min: 1, max: MAX_BPF_STACK }, valueSize: { exact: [4, 8] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["sk_redirect_hash", "sock_hash_update", "msg_redirect_hash", "sk_select_reuseport", "map_lookup_elem"], lookupReturnsValue: false, programUpdate: false, programDelete: false },
  { name: "cgroup_storage", summary: "per-cgroup local storage (bpf_get_local_storage)", keySize: { exact: 16, note: "struct bpf_cgroup_storage_key (16 with its tail padding) or u64 cgroup id (8)" }, valueSize: { min: 1, max: LOCAL_STORAGE_MAX_VALUE }, allowedFlags: F.NUMA_NODE | ACCESS, perCpu: false, programHelpers: ["get_local_storage"], ...none },
  { name: "reuseport_sockarray", summary: "SO_REUSEPORT socket selection", keySize: { exact: 4 }, valueSize: { exact: [4, 8] }, allowedFlags: F.NUMA_NODE | ACCESS, perCpu: false, programHelpers: ["sk_select_reuseport"], ...none },
  { name: "percpu_cgroup_storage", summary: "per-cgroup per-CPU local storage", keySize: { exact: 16, note: "struct bpf_cgroup_storage_key (16 with its tail padding) or u64 cgroup id (8)" }, valueSize: { min: 1, max: PCPU_MIN_UNIT_SIZE }, allowedFlags: F.NUMA_NODE | ACCESS, perCpu: true, programHelpers: ["get_local_storage"], ...none },
  { name: "queue", summary: "FIFO of values (no key)", keySize: { exact: 0 }, valueSize: { min: 1 }, allowedFlags: F.NUMA_NODE | ACCESS, perCpu: false, programHelpers: ["map_peek_elem", "map_pop_elem", "map_push_elem"], ...none },
  { name: "stack", summary: "LIFO of values (no key)", keySize: { exact: 0 }, valueSize: { min: 1 }, allowedFlags: F.NUMA_NODE | ACCESS, perCpu: false, programHelpers: ["map_peek_elem", "map_pop_elem", "map_push_elem"], ...none },
  { name: "sk_storage", summary: "per-socket local storage (needs BTF, BPF_F_NO_PREALLOC, max_entries 0)", keySize: { exact: 4 }, valueSize: { min: 1, max: LOCAL_STORAGE_MAX_VALUE }, allowedFlags: F.NO_PREALLOC | F.CLONE, requiredFlags: F.NO_PREALLOC, perCpu: false, programHelpers: ["sk_storage_get", "sk_storage_delete", "kptr_xchg"], ...none },
  { name: "devmap_hash", summary: "net devices by key for XDP redirect", keySize: { exact: 4 }, valueSize: { exact: [4, 8] }, allowedFlags: F.NUMA_NODE | F.RDONLY | F.WRONLY, perCpu: false, programHelpers: ["redirect_map", "map_lookup_elem"], lookupReturnsValue: true, programUpdate: false, programDelete: false },
  { name: "struct_ops", summary: "kernel struct_ops implementation (needs BTF)", keySize: { exact: 4 }, valueSize: { min: 1 }, allowedFlags: F.LINK, perCpu: false, programHelpers: [], ...none },
  { name: "ringbuf", summary: "ring buffer shared with user space; max_entries = size in bytes", keySize: { exact: 0 }, valueSize: { exact: [0] }, allowedFlags: F.NUMA_NODE, perCpu: false, programHelpers: ["ringbuf_output", "ringbuf_reserve", "ringbuf_query", "ringbuf_reserve_dynptr", "ringbuf_submit_dynptr", "ringbuf_discard_dynptr"], ...none,
    extraCheck: (s) => (!isPow2(s.maxEntries) || s.maxEntries % PAGE_SIZE !== 0 ? `ringbuf max_entries (the buffer size in bytes) must be a power of 2 and a multiple of the page size ${PAGE_SIZE}, got ${s.maxEntries}` : undefined) },
  { name: "inode_storage", summary: "per-inode local storage (LSM)", keySize: { exact: 4 }, valueSize: { min: 1, max: LOCAL_STORAGE_MAX_VALUE }, allowedFlags: F.NO_PREALLOC | F.CLONE, requiredFlags: F.NO_PREALLOC, perCpu: false, programHelpers: ["inode_storage_get", "inode_storage_delete", "kptr_xchg"], ...none },
  { name: "task_storage", summary: "per-task local storage", keySize: { exact: 4 }, valueSize: { min: 1, max: LOCAL_STORAGE_MAX_VALUE }, allowedFlags: F.NO_PREALLOC | F.CLONE, requiredFlags: F.NO_PREALLOC, perCpu: false, programHelpers: ["task_storage_get", "task_storage_delete", "kptr_xchg"], ...none },
  { name: "bloom_filter", summary: "bloom filter of values (no key); map_extra low 4 bits = number of hashes", keySize: { exact: 0 }, valueSize: { min: 1 }, allowedFlags: F.NUMA_NODE | F.ZERO_SEED | ACCESS, perCpu: false, programHelpers: ["map_peek_elem", "map_push_elem"], ...none,
    extraCheck: (s) => ((s.extra ?? 0) & ~0xf ? `bloom_filter map_extra ${s.extra} is too large: only the low 4 bits (number of hash functions, 0 = 5) may be set` : undefined) },
  { name: "user_ringbuf", summary: "ring buffer written by user space, drained by the program", keySize: { exact: 0 }, valueSize: { exact: [0] }, allowedFlags: F.NUMA_NODE, perCpu: false, programHelpers: ["user_ringbuf_drain"], ...none,
    extraCheck: (s) => (!isPow2(s.maxEntries) || s.maxEntries % PAGE_SIZE !== 0 ? `user_ringbuf max_entries must be a power of 2 and a multiple of ${PAGE_SIZE}` : undefined) },
  { name: "cgrp_storage", summary: "per-cgroup local storage (BTF)", keySize: { exact: 4 }, valueSize: { min: 1, max: LOCAL_STORAGE_MAX_VALUE }, allowedFlags: F.NO_PREALLOC | F.CLONE, requiredFlags: F.NO_PREALLOC, perCpu: false, programHelpers: ["cgrp_storage_get", "cgrp_storage_delete", "kptr_xchg"], ...none },
  { name: "arena", summary: "sparse shared memory region between program and user space", keySize: { exact: 0 }, valueSize: { exact: [0] }, allowedFlags: F.MMAPABLE | F.SEGV_ON_FAULT | F.NO_USER_CONV, requiredFlags: F.MMAPABLE, perCpu: false, programHelpers: [], ...none },
];

export const MAP_TYPES: readonly MapTypeInfo[] = DEFS.map((d) => ({ ...d, id: MAP_TYPE_NAMES.indexOf(d.name), kernelName: `BPF_MAP_TYPE_${d.name.toUpperCase()}` }));

const BY_NAME = new Map(MAP_TYPES.map((m) => [m.name as string, m]));
const BY_ID = new Map(MAP_TYPES.map((m) => [m.id, m]));

/** Map type by `hash` / `BPF_MAP_TYPE_HASH` / `lru_hash`. */
export const mapTypeByName = (name: string): MapTypeInfo | undefined => BY_NAME.get(name.toLowerCase().replace(/^bpf_map_type_/, ""));
export const mapTypeById = (id: number): MapTypeInfo | undefined => BY_ID.get(id);

/**
 * Helper -> the map types its map argument may be (the second switch of check_map_func_compatibility).
 * Helpers not listed accept any map type not restricted from the map side.
 */
const HELPER_MAPS: Readonly<Record<string, readonly MapTypeName[]>> = {
  tail_call: ["prog_array"],
  perf_event_read: ["perf_event_array"], perf_event_output: ["perf_event_array"], perf_event_read_value: ["perf_event_array"],
  skb_output: ["perf_event_array"], xdp_output: ["perf_event_array"],
  ringbuf_output: ["ringbuf"], ringbuf_reserve: ["ringbuf"], ringbuf_query: ["ringbuf"], ringbuf_reserve_dynptr: ["ringbuf"],
  ringbuf_submit_dynptr: ["ringbuf"], ringbuf_discard_dynptr: ["ringbuf"],
  user_ringbuf_drain: ["user_ringbuf"],
  get_stackid: ["stack_trace"],
  current_task_under_cgroup: ["cgroup_array"], skb_under_cgroup: ["cgroup_array"],
  redirect_map: ["devmap", "devmap_hash", "cpumap", "xskmap"],
  sk_redirect_map: ["sockmap"], msg_redirect_map: ["sockmap"], sock_map_update: ["sockmap"],
  sk_redirect_hash: ["sockhash"], msg_redirect_hash: ["sockhash"], sock_hash_update: ["sockhash"],
  get_local_storage: ["cgroup_storage", "percpu_cgroup_storage"],
  sk_select_reuseport: ["reuseport_sockarray", "sockmap", "sockhash"],
  map_pop_elem: ["queue", "stack"],
  map_peek_elem: ["queue", "stack", "bloom_filter"], map_push_elem: ["queue", "stack", "bloom_filter"],
  map_lookup_percpu_elem: ["percpu_array", "percpu_hash", "lru_percpu_hash"],
  sk_storage_get: ["sk_storage"], sk_storage_delete: ["sk_storage"],
  inode_storage_get: ["inode_storage"], inode_storage_delete: ["inode_storage"],
  task_storage_get: ["task_storage"], task_storage_delete: ["task_storage"],
  cgrp_storage_get: ["cgrp_storage"], cgrp_storage_delete: ["cgrp_storage"],
};

/** Map types a helper's map argument may be, all directions combined; undefined for helpers without one. */
export function mapTypesForHelper(helper: string): MapTypeName[] | undefined {
  const short = helper.replace(/^bpf_/, "");
  const second = HELPER_MAPS[short];
  const fromMapSide = MAP_TYPES.filter((m) => m.programHelpers?.includes(short)).map((m) => m.name);
  if (second) return second.filter((n) => isMapHelperCompatible(n, short));
  if (fromMapSide.length || ["map_lookup_elem", "map_update_elem", "map_delete_elem", "for_each_map_elem"].includes(short)) {
    return MAP_TYPES.filter((m) => isMapHelperCompatible(m.name, short)).map((m) => m.name);
  }
  return undefined;
}

/** check_map_func_compatibility: may `helper` be called with a map of this type? (both directions) */
export function isMapHelperCompatible(mapType: string, helper: string): boolean {
  const short = helper.replace(/^bpf_/, "");
  const m = mapTypeByName(mapType);
  if (!m) return false;
  if (m.programHelpers && !m.programHelpers.includes(short)) return false;
  const second = HELPER_MAPS[short];
  if (second && !second.includes(m.name)) return false;
  if (short === "for_each_map_elem") return ["hash", "percpu_hash", "lru_hash", "lru_percpu_hash", "array", "percpu_array"].includes(m.name);
  return true;
}

/** Kernel-build details validateMapSpec cannot know by itself. */
export interface MapCheckOptions {
  /** The kernel's CONFIG_NR_CPUS (cpumap max_entries limit); default 8192. */
  nrCpus?: number;
}

/**
 * Check a declared map against the kernel's creation rules. Returns one diagnostic per problem (empty
 * when the kernel would create it). The messages name the map and say what to change.
 */
export function validateMapSpec(spec: MapSpec, options: MapCheckOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bad = (reason: string, hint?: string): void => { out.push(diag("BK9601", { map: spec.name, type: spec.type, reason }, {}, hint)); };
  const t = mapTypeByName(spec.type);
  if (!t) {
    out.push(diag("BK9602", { map: spec.name, type: spec.type }, {}, `known map types: ${MAP_TYPES.map((m) => m.name).join(", ")}`));
    return out;
  }
  const k = t.keySize;
  if (k.exact !== undefined && spec.keySize !== k.exact && !(t.name.endsWith("cgroup_storage") && spec.keySize === 8)) {
    bad(`key size must be ${k.exact}${k.note ? ` (${k.note})` : ""}, got ${spec.keySize}`);
  }
  if (k.min !== undefined && spec.keySize < k.min) bad(`key size must be at least ${k.min}${k.note ? ` (${k.note})` : ""}, got ${spec.keySize}`);
  if (k.max !== undefined && spec.keySize > k.max) bad(`key size must be at most ${k.max}${k.note ? ` (${k.note})` : ""}, got ${spec.keySize}`);
  const v = t.valueSize;
  if (v.exact && !v.exact.includes(spec.valueSize)) bad(`value size must be ${v.exact.join(" or ")}, got ${spec.valueSize}`);
  if (v.min !== undefined && spec.valueSize < v.min) bad(`value size must be at least ${v.min}, got ${spec.valueSize}`);
  if (v.max !== undefined && spec.valueSize > v.max) bad(`value size must be at most ${v.max}, got ${spec.valueSize}`);
  const storage = ["sk_storage", "inode_storage", "task_storage", "cgrp_storage", "cgroup_storage", "percpu_cgroup_storage", "struct_ops"].includes(t.name);
  if (spec.maxEntries === 0 && !storage) bad("max_entries must be greater than 0");
  if (t.name === "sk_storage" || t.name === "inode_storage" || t.name === "task_storage" || t.name === "cgrp_storage") {
    if (spec.maxEntries !== 0) bad("max_entries must be 0 for local storage maps");
    if (!spec.btfKeyTypeId || !spec.btfValueTypeId) bad("local storage maps need BTF key and value types (declare the map in a .maps section with __type(key, ...) and __type(value, ...))");
  }
  if ((t.name === "cgroup_storage" || t.name === "percpu_cgroup_storage") && spec.maxEntries !== 0) bad("max_entries must be 0 for cgroup storage maps");
  if (t.name === "cpumap" && spec.maxEntries > (options.nrCpus ?? DEFAULT_NR_CPUS)) bad(`cpumap max_entries ${spec.maxEntries} is above the kernel's CONFIG_NR_CPUS (${options.nrCpus ?? DEFAULT_NR_CPUS}) (E2BIG)`);
  if (spec.extra) {
    if (t.name === "arena") { if (spec.extra % PAGE_SIZE !== 0) bad(`arena map_extra (the user-space start address) must be page aligned, got ${spec.extra}`); }
    else if (t.name !== "bloom_filter") bad(`map_extra must be 0 for ${t.name} maps (only bloom_filter and arena use it)`);
  }
  const unknownFlags = spec.flags & ~t.allowedFlags;
  if (unknownFlags) bad(`flags 0x${unknownFlags.toString(16)} (${flagNames(unknownFlags)}) are not allowed for ${t.name} maps`);
  if (t.requiredFlags && (spec.flags & t.requiredFlags) !== t.requiredFlags) {
    bad(`${t.name} maps need flags ${flagNames(t.requiredFlags)}`, t.name === "lpm_trie" ? "add map_flags = BPF_F_NO_PREALLOC (1)" : undefined);
  }
  if ((spec.flags & F.RDONLY && spec.flags & F.WRONLY) || (spec.flags & F.RDONLY_PROG && spec.flags & F.WRONLY_PROG)) bad("read-only and write-only flags exclude each other");
  if (spec.flags & F.NO_COMMON_LRU && !t.name.startsWith("lru")) bad("BPF_F_NO_COMMON_LRU is only for lru_hash maps");
  if (t.needsInner && !spec.inner) bad(`${t.name} needs an inner map template (__array(values, ...) in the map definition)`);
  if (t.needsInner && spec.inner) {
    if (NOT_INNER.includes(spec.inner.type)) bad(`a ${spec.inner.type} map cannot be the inner map of ${t.name}`);
    else for (const d of validateMapSpec(spec.inner, options)) bad(`inner map: ${d.message}`);
  }
  const extra = t.extraCheck?.(spec);
  if (extra) bad(extra);
  return out;
}

/** `BPF_F_NO_PREALLOC | BPF_F_RDONLY` for a flag mask. */
export function flagNames(mask: number): string {
  const names = Object.entries(MapFlag).filter(([, bit]) => mask & bit).map(([n]) => `BPF_F_${n}`);
  const known = Object.values(MapFlag).reduce((a, b) => a | b, 0);
  if (mask & ~known) names.push(`0x${(mask & ~known).toString(16)}`);
  return names.join(" | ");
}
