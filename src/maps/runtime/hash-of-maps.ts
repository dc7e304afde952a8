// BPF_MAP_TYPE_HASH_OF_MAPS: key -> inner map; lookup returns the inner map (its handle) or NULL. The keys
// live in a WebAssembly hash table (asm/maps/hash.ts) whose value slots hold the inner handles, so programs
// look them up without leaving WebAssembly; the map objects stay here.
import type { MapSpec } from "../../program/program.js";
import { HashMap } from "./hash.js";
import { BPF_ANY, ERRNO, IMPL, keyBytes, keyString, u32Bytes, type MapEntry, type MapHost, type MapValue, type RuntimeMap } from "./map.js";

export class HashOfMapsMap extends HashMap {
  readonly inner = new Map<string, RuntimeMap>();
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, false, 13, 0, IMPL.HASH_OF_MAPS); }
  setInner(key: Uint8Array, map: RuntimeMap | undefined): number {
    const k = keyString(key.subarray(0, this.spec.keySize));
    if (!map) {
      const r = super.delete(key);
      if (r === 0) this.inner.delete(k);
      return r;
    }
    const r = super.update(key, u32Bytes(map.handle), BPF_ANY, true);
    if (r === 0) this.inner.set(k, map);
    return r;
  }
  /** The inner map's handle (what a program's lookup yields), 0 when absent. */
  override lookup(key: Uint8Array): number { return this.inner.get(keyString(key.subarray(0, this.spec.keySize)))?.handle ?? 0; }
  override update(): number { return -ERRNO.EINVAL; }
  override delete(key: Uint8Array): number { return this.setInner(key, undefined); }
  override get(key: Uint8Array): MapValue | undefined {
    const m = this.inner.get(keyString(key.subarray(0, this.spec.keySize)));
    return m ? u32Bytes(m.handle) : undefined;
  }
  override entries(): MapEntry[] { return [...this.inner].map(([k, m]) => ({ key: keyBytes(k), value: u32Bytes(m.handle) })); }
  /** The handles are not memory a program may address. */
  override valueRegion(): undefined { return undefined; }
}
