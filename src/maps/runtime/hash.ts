// BPF_MAP_TYPE_HASH and PERCPU_HASH (kernel/bpf/hashtab.c), preallocated: max_entries value slots live in
// the shared memory; a new key takes a free slot, a full map answers -E2BIG. BPF_NOEXIST on an existing
// key is -EEXIST, BPF_EXIST on a missing one -ENOENT, deleting a missing key -ENOENT. Values are updated in
// place (the kernel swaps in a new element; a program holding the old pointer sees the new value here).
// The table itself is WebAssembly's (asm/maps/hash.ts): entry records (chain link, hash, order links, key)
// beside the value slots of the same index, power-of-two bucket heads and one order list (insertion order;
// recency for the LRU variant), so programs look keys up without leaving WebAssembly. This object lays the
// memory out and answers the user-space side through the same code.
import type { MapSpec } from "../../program/program.js";
import { DESC, ENTRY_FIELDS, IMPL, RuntimeMap, type MapEntry, type MapHost, type MapValue } from "./map.js";
import { flagsU64 } from "./wasm-ops.js";

export class HashMap extends RuntimeMap {
  constructor(spec: MapSpec, host: MapHost, perCpu = false, typeId = perCpu ? 5 : 1, flags = 0, impl: number = IMPL.HASH) {
    super(spec, host, typeId, perCpu);
    this.allocValues(spec.maxEntries);
    const mem = host.mem;
    const esize = ENTRY_FIELDS.KEY + Math.ceil(spec.keySize / 8) * 8;
    let buckets = 1;
    while (buckets < spec.maxEntries) buckets *= 2;
    this.setDescField(DESC.TABLE, mem.alloc(spec.maxEntries * esize, 8, `entries of map ${spec.name}`));
    this.setDescField(DESC.ESIZE, esize);
    this.setDescField(DESC.BUCKETS, mem.alloc(buckets * 4, 8, `buckets of map ${spec.name}`));
    this.setDescField(DESC.MASK, buckets - 1);
    this.setImpl(impl, flags);
    this.ops.initAt(this.handle);
  }

  lookup(key: Uint8Array): number {
    return this.ops.lookupAt(this.handle, this.keyIn(key), this.host.cpu());
  }
  update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true, userValue?: MapValue): number {
    const slot = this.ops.upsertAt(this.handle, this.keyIn(key), flagsU64(flags));
    if (slot < 0) return slot;
    this.writeSlot(slot, fromProgram ? value : userValue ?? value, fromProgram);
    return 0;
  }
  delete(key: Uint8Array): number {
    return this.ops.deleteAt(this.handle, this.keyIn(key));
  }
  get(key: Uint8Array): MapValue | undefined {
    const e = this.ops.findAt(this.handle, this.keyIn(key));
    return e ? this.readSlot(e - 1) : undefined;
  }
  /** Entries in insertion order (LRU: least recently used first). */
  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    const dv = this.host.mem.dv;
    const table = this.descField(DESC.TABLE), esize = this.descField(DESC.ESIZE);
    for (let e = this.descField(DESC.HEAD); e; ) {
      const a = table + (e - 1) * esize;
      out.push({ key: this.host.mem.read(a + ENTRY_FIELDS.KEY, this.spec.keySize), value: this.readSlot(e - 1) });
      e = dv.getUint32(a + ENTRY_FIELDS.NEXT_ORDER, true);
    }
    return out;
  }
  get size(): number { return this.descField(DESC.COUNT); }
}

