// BPF_MAP_TYPE_LRU_HASH and LRU_PERCPU_HASH: a hash map that, when full, evicts the least recently used
// element instead of failing. Lookups and updates count as uses. The kernel's LRU is approximate (per-CPU
// free lists, a reference bit); this one is exact, which is one of the orders the kernel may produce.
import type { MapSpec } from "../../program/program.js";
import { HashMap } from "./hash.js";
import { DESC, MF, type MapHost } from "./map.js";

export class LruHashMap extends HashMap {
  constructor(spec: MapSpec, host: MapHost, perCpu = false) {
    super(spec, host, perCpu, perCpu ? 10 : 9, MF.LRU);
  }
  /** Entries evicted to make room since the map was created. */
  get evictions(): number { return this.descField(DESC.EVICTIONS); }
}
