// BPF_MAP_TYPE_HASH and PERCPU_HASH (kernel/bpf/hashtab.c), preallocated: max_entries value slots live in
// the shared memory; a new key takes a free slot, a full map answers -E2BIG. BPF_NOEXIST on an existing
// key is -EEXIST, BPF_EXIST on a missing one -ENOENT, deleting a missing key -ENOENT. Values are updated in
// place (the kernel swaps in a new element; a program holding the old pointer sees the new value here).
import type { MapSpec } from "../../program/program.js";
import { BPF_EXIST, BPF_NOEXIST, ERRNO, RuntimeMap, keyBytes, keyString, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class HashMap extends RuntimeMap {
  /** Key (as a byte string) -> slot; insertion order doubles as recency order for the LRU variant. */
  protected readonly slots = new Map<string, number>();
  private readonly free: number[] = [];

  constructor(spec: MapSpec, host: MapHost, perCpu = false, typeId = perCpu ? 5 : 1) {
    super(spec, host, typeId, perCpu);
    this.allocValues(spec.maxEntries);
    for (let i = spec.maxEntries - 1; i >= 0; i--) this.free.push(i);
  }
  protected touch(_k: string, _slot: number): void { /* plain hash: no recency */ }
  /** Slot for a new key when none is free: plain hash maps are full (-E2BIG). */
  protected evict(): number | undefined { return undefined; }

  lookup(key: Uint8Array): number {
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return 0;
    this.touch(k, slot);
    return this.slotAddr(slot);
  }
  update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true, userValue?: MapValue): number {
    if (RuntimeMap.badFlags(flags)) return -ERRNO.EINVAL;
    const k = keyString(key);
    let slot = this.slots.get(k);
    if (slot !== undefined) {
      if ((flags & 3) === BPF_NOEXIST) return -ERRNO.EEXIST;
      this.touch(k, slot);
    } else {
      if ((flags & 3) === BPF_EXIST) return -ERRNO.ENOENT;
      slot = this.free.pop() ?? this.evict();
      if (slot === undefined) return -ERRNO.E2BIG;
      this.zeroSlot(slot);
      this.slots.set(k, slot);
    }
    this.writeSlot(slot, fromProgram ? value : userValue ?? value, fromProgram);
    return 0;
  }
  delete(key: Uint8Array): number {
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return -ERRNO.ENOENT;
    this.slots.delete(k);
    this.free.push(slot);
    return 0;
  }
  get(key: Uint8Array): MapValue | undefined {
    const slot = this.slots.get(keyString(key));
    return slot === undefined ? undefined : this.readSlot(slot);
  }
  entries(): MapEntry[] {
    return [...this.slots].map(([k, slot]) => ({ key: keyBytes(k), value: this.readSlot(slot) }));
  }
  get size(): number { return this.slots.size; }
}
