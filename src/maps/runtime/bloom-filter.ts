// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): map_push_elem adds a value, map_peek_elem answers
// 0 ("maybe present") or -ENOENT ("definitely absent"). This one remembers values exactly, so it never
// gives a false positive, which is one of the answers a bloom filter may give; map_extra (hash count) is
// accepted and ignored. Lookup/update/delete by key: -EOPNOTSUPP/-EINVAL as in the kernel.
import type { MapSpec } from "../../program/program.js";
import { BPF_ANY, ERRNO, RuntimeMap, keyBytes, keyString, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class BloomFilterMap extends RuntimeMap {
  private readonly seen = new Set<string>();
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, 30); }
  override push(value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -ERRNO.EINVAL;
    this.seen.add(keyString(value.subarray(0, this.spec.valueSize)));
    return 0;
  }
  /** peek: 0 when maybe present, -ENOENT when absent (the value to test is the argument). */
  contains(value: Uint8Array): number { return this.seen.has(keyString(value.subarray(0, this.spec.valueSize))) ? 0 : -ERRNO.ENOENT; }
  override pop(): number { return -ERRNO.ENOTSUPP; }
  lookup(): number { return 0; }
  update(_key: Uint8Array, value: Uint8Array, flags: number): number { return this.push(value, flags); }
  delete(): number { return -ERRNO.ENOTSUPP; }
  get(key: Uint8Array): MapValue | undefined { return this.contains(key) === 0 ? key : undefined; }
  entries(): MapEntry[] { return [...this.seen].map((k, i) => ({ key: new Uint8Array([i]), value: keyBytes(k) })); }
}
