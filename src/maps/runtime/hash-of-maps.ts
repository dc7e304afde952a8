// BPF_MAP_TYPE_HASH_OF_MAPS: key -> inner map; lookup returns the inner map (its handle) or NULL.
import type { MapSpec } from "../../program/program.js";
import { ERRNO, RuntimeMap, keyBytes, keyString, u32Bytes, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class HashOfMapsMap extends RuntimeMap {
  readonly inner = new Map<string, RuntimeMap>();
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, 13); }
  setInner(key: Uint8Array, map: RuntimeMap | undefined): number {
    const k = keyString(key);
    if (!map) return this.inner.delete(k) ? 0 : -ERRNO.ENOENT;
    if (!this.inner.has(k) && this.inner.size >= this.spec.maxEntries) return -ERRNO.E2BIG;
    this.inner.set(k, map);
    return 0;
  }
  lookup(key: Uint8Array): number { return this.inner.get(keyString(key))?.handle ?? 0; }
  update(): number { return -ERRNO.EINVAL; }
  delete(key: Uint8Array): number { return this.inner.delete(keyString(key)) ? 0 : -ERRNO.ENOENT; }
  get(key: Uint8Array): MapValue | undefined {
    const m = this.inner.get(keyString(key));
    return m ? u32Bytes(m.handle) : undefined;
  }
  entries(): MapEntry[] { return [...this.inner].map(([k, m]) => ({ key: keyBytes(k), value: u32Bytes(m.handle) })); }
}
