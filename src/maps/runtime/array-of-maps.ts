// BPF_MAP_TYPE_ARRAY_OF_MAPS: index -> inner map. A program's lookup returns the inner map itself (its
// handle), usable as the map argument of further helpers; NULL for an empty slot. The handles sit in a
// table in the shared memory, so programs look them up in WebAssembly (asm/maps/array.ts).
import type { MapSpec } from "../../program/program.js";
import { DESC, ERRNO, IMPL, RuntimeMap, u32Bytes, u32Key, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class ArrayOfMapsMap extends RuntimeMap {
  readonly inner = new Map<number, RuntimeMap>();
  private readonly table: number;
  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, 12);
    this.table = host.mem.alloc(spec.maxEntries * 4, 8, `inner maps of map ${spec.name}`);
    this.setDescField(DESC.TABLE, this.table);
    this.setImpl(IMPL.ARRAY_OF_MAPS);
  }
  setInner(index: number, map: RuntimeMap | undefined): number {
    if (index >= this.spec.maxEntries) return -ERRNO.E2BIG;
    if (map) this.inner.set(index, map); else this.inner.delete(index);
    this.host.mem.dv.setUint32(this.table + index * 4, map?.handle ?? 0, true);
    return 0;
  }
  lookup(key: Uint8Array): number { return this.inner.get(u32Key(key))?.handle ?? 0; }
  update(): number { return -ERRNO.EINVAL; }
  delete(key: Uint8Array): number { return u32Key(key) >= this.spec.maxEntries ? -ERRNO.E2BIG : this.setInner(u32Key(key), undefined); }
  get(key: Uint8Array): MapValue | undefined {
    const m = this.inner.get(u32Key(key));
    return m ? u32Bytes(m.handle) : undefined;
  }
  entries(): MapEntry[] { return [...this.inner].map(([i, m]) => ({ key: u32Bytes(i), value: u32Bytes(m.handle) })); }
}
