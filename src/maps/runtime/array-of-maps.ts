// BPF_MAP_TYPE_ARRAY_OF_MAPS: index -> inner map. A program's lookup returns the inner map itself (its
// handle), usable as the map argument of further helpers; NULL for an empty slot.
import type { MapSpec } from "../../program/program.js";
import { ERRNO, RuntimeMap, u32Bytes, u32Key, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class ArrayOfMapsMap extends RuntimeMap {
  readonly inner = new Map<number, RuntimeMap>();
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, 12); }
  setInner(index: number, map: RuntimeMap | undefined): number {
    if (index >= this.spec.maxEntries) return -ERRNO.E2BIG;
    if (map) this.inner.set(index, map); else this.inner.delete(index);
    return 0;
  }
  lookup(key: Uint8Array): number { return this.inner.get(u32Key(key))?.handle ?? 0; }
  update(): number { return -ERRNO.EINVAL; }
  delete(key: Uint8Array): number { return u32Key(key) >= this.spec.maxEntries ? -ERRNO.E2BIG : (this.inner.delete(u32Key(key)), 0); }
  get(key: Uint8Array): MapValue | undefined {
    const m = this.inner.get(u32Key(key));
    return m ? u32Bytes(m.handle) : undefined;
  }
  entries(): MapEntry[] { return [...this.inner].map(([i, m]) => ({ key: u32Bytes(i), value: u32Bytes(m.handle) })); }
}
