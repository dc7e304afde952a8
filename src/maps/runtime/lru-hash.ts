// BPF_MAP_TYPE_LRU_HASH and LRU_PERCPU_HASH: a hash map that, when full, evicts the least recently used
// element instead of failing. Lookups and updates count as uses. The kernel's LRU is approximate (per-CPU
// free lists, a reference bit); this one is exact, which is one of the orders the kernel may produce.
import type { MapSpec } from "../../program/program.js";
import { HashMap } from "./hash.js";
import type { MapHost } from "./map.js";

export class LruHashMap extends HashMap {
  readonly evicted: Uint8Array[] = [];
  constructor(spec: MapSpec, host: MapHost, perCpu = false) {
    super(spec, host, perCpu, perCpu ? 10 : 9);
  }
  protected override touch(k: string, slot: number): void {
    // Map keeps insertion order: re-inserting moves the key to the most recent end.
    this.slots.delete(k);
    this.slots.set(k, slot);
  }
  protected override evict(): number | undefined {
    const oldest = this.slots.keys().next();
    if (oldest.done) return undefined;
    const slot = this.slots.get(oldest.value)!;
    this.slots.delete(oldest.value);
    this.evicted.push(Uint8Array.from(oldest.value, (c) => c.charCodeAt(0)));
    return slot;
  }
}
