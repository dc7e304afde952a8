// Creating the runtime object for a declared map (one file per map type in this folder).
import { BpfkitError, diag } from "../../diagnostics/index.js";
import type { MapSpec } from "../../program/program.js";
import { validateMapSpec } from "../types.js";
import { ArrayMap } from "./array.js";
import { ArrayOfMapsMap } from "./array-of-maps.js";
import { BloomFilterMap } from "./bloom-filter.js";
import { HashMap } from "./hash.js";
import { HashOfMapsMap } from "./hash-of-maps.js";
import { LpmTrieMap } from "./lpm-trie.js";
import { LruHashMap } from "./lru-hash.js";
import type { MapHost, RuntimeMap } from "./map.js";
import { PerfEventArrayMap } from "./perf-event-array.js";
import { ProgArrayMap } from "./prog-array.js";
import { QueueMap } from "./queue.js";
import { RedirectTargetMap } from "./redirect-target.js";
import { RingbufMap } from "./ringbuf.js";
import { SockMapRuntime } from "./sockmap.js";
import { StackMap } from "./stack.js";

export * from "./map.js";
export { ArrayMap, ArrayOfMapsMap, BloomFilterMap, HashMap, HashOfMapsMap, LpmTrieMap, LruHashMap, PerfEventArrayMap, ProgArrayMap, QueueMap, RedirectTargetMap, RingbufMap, StackMap };
export { SockMapRuntime, type SockRef, type SockMapOwner } from "./sockmap.js";

const FACTORIES: Record<string, (s: MapSpec, h: MapHost) => RuntimeMap> = {
  array: (s, h) => new ArrayMap(s, h),
  percpu_array: (s, h) => new ArrayMap(s, h, true),
  hash: (s, h) => new HashMap(s, h),
  percpu_hash: (s, h) => new HashMap(s, h, true),
  lru_hash: (s, h) => new LruHashMap(s, h),
  lru_percpu_hash: (s, h) => new LruHashMap(s, h, true),
  lpm_trie: (s, h) => new LpmTrieMap(s, h),
  prog_array: (s, h) => new ProgArrayMap(s, h),
  array_of_maps: (s, h) => new ArrayOfMapsMap(s, h),
  hash_of_maps: (s, h) => new HashOfMapsMap(s, h),
  queue: (s, h) => new QueueMap(s, h),
  stack: (s, h) => new StackMap(s, h),
  bloom_filter: (s, h) => new BloomFilterMap(s, h),
  ringbuf: (s, h) => new RingbufMap(s, h),
  perf_event_array: (s, h) => new PerfEventArrayMap(s, h),
  devmap: (s, h) => new RedirectTargetMap(s, h),
  devmap_hash: (s, h) => new RedirectTargetMap(s, h),
  cpumap: (s, h) => new RedirectTargetMap(s, h),
  xskmap: (s, h) => new RedirectTargetMap(s, h),
  // sockets come from the simulated socket world (src/sockets), which owns updates
  sockmap: (s, h) => new SockMapRuntime(s, h),
  sockhash: (s, h) => new SockMapRuntime(s, h),
};

/** Runtime map types this folder implements. */
export const RUNTIME_MAP_TYPES = Object.keys(FACTORIES);

/** Create a map after checking its spec with the kernel's creation rules (src/maps/types.ts). */
export function createRuntimeMap(spec: MapSpec, host: MapHost): RuntimeMap {
  // libbpf creates a perf_event_array declared without max_entries with one slot per possible CPU
  // (map_set_def_max_entries); bcc's libbpf-tools and most tracing programs declare theirs that way
  if (spec.type === "perf_event_array" && spec.maxEntries === 0) spec = { ...spec, maxEntries: host.cpus };
  const problems = validateMapSpec(spec);
  if (problems.length) throw new BpfkitError(problems, 2);
  const make = FACTORIES[spec.type];
  if (!make) {
    throw new BpfkitError(diag("BK5014", { map: spec.name, what: `map type ${spec.type} is not supported by the interpreter (supported: ${RUNTIME_MAP_TYPES.join(", ")})` }), 2);
  }
  return make(spec, host);
}
