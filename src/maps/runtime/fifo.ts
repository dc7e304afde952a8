// Shared by BPF_MAP_TYPE_QUEUE and STACK (kernel/bpf/queue_stack_maps.c): no keys (key_size 0), values
// pushed with map_push_elem (full: -E2BIG, unless BPF_EXIST, which drops the oldest element), taken with
// map_pop_elem / map_peek_elem (empty: -ENOENT). Lookup/update/delete by key are not supported.
import type { MapSpec } from "../../program/program.js";
import { BPF_EXIST, ERRNO, RuntimeMap, type MapEntry, type MapHost, type MapValue } from "./map.js";

export abstract class FifoMap extends RuntimeMap {
  protected items: Uint8Array[] = [];
  constructor(spec: MapSpec, host: MapHost, typeId: number, private readonly lifo: boolean) {
    super(spec, host, typeId);
  }
  override push(value: Uint8Array, flags: number): number {
    if (flags & ~BPF_EXIST) return -ERRNO.EINVAL;
    if (this.items.length >= this.spec.maxEntries) {
      if (flags !== BPF_EXIST) return -ERRNO.E2BIG;
      this.items.shift(); // both kinds drop the oldest element
    }
    this.items.push(value.slice(0, this.spec.valueSize));
    return 0;
  }
  override pop(remove: boolean): Uint8Array | number {
    if (this.items.length === 0) return -ERRNO.ENOENT;
    const v = this.lifo ? this.items[this.items.length - 1]! : this.items[0]!;
    if (remove) { if (this.lifo) this.items.pop(); else this.items.shift(); }
    return v;
  }
  lookup(): number { return 0; }
  update(_key: Uint8Array, value: Uint8Array, flags: number): number { return this.push(value, flags); }
  delete(): number { return -ERRNO.EINVAL; }
  get(): MapValue | undefined { const v = this.pop(false); return typeof v === "number" ? undefined : v; }
  entries(): MapEntry[] {
    const order = this.lifo ? [...this.items].reverse() : this.items;
    return order.map((value, i) => ({ key: new Uint8Array([i]), value }));
  }
}
