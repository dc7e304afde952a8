// BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): every index 0..max_entries-1 exists and is
// zero-initialised; elements cannot be deleted (-EINVAL); BPF_NOEXIST is always -EEXIST; an index past the
// end is -E2BIG on update and NULL on lookup.
import type { MapSpec } from "../../program/program.js";
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, ERRNO, IMPL, RuntimeMap, u32Bytes, u32Key, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class ArrayMap extends RuntimeMap {
  constructor(spec: MapSpec, host: MapHost, perCpu = false) {
    super(spec, host, perCpu ? 6 : 2, perCpu);
    this.allocValues(spec.maxEntries);
    this.setImpl(IMPL.ARRAY);
    if (spec.initialValue) this.host.mem.write(this.slotAddr(0, 0), spec.initialValue.subarray(0, spec.valueSize));
  }
  lookup(key: Uint8Array): number {
    const i = u32Key(key);
    return i < this.spec.maxEntries ? this.slotAddr(i) : 0;
  }
  /** Address of element 0 plus an offset (lddw map_value for global data). */
  valueAddress(offset: number): number { return this.slotAddr(0, 0) + offset; }
  update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true, userValue?: MapValue): number {
    // The bpf(2) command refuses BPF_F_LOCK without a bpf_spin_lock before the map sees it; a program's
    // update goes straight to array_map_update_elem, whose order is: unknown flags, index, NOEXIST, then
    // BPF_F_LOCK (the runtime's maps have no bpf_spin_lock in their values). Both checked against the kernel.
    if (flags >= 2 ** 32) return -ERRNO.EINVAL; // a u64 flag past the known ones (the bit operations below are 32-bit)
    if (!fromProgram && flags & BPF_F_LOCK) return -ERRNO.EINVAL;
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -ERRNO.EINVAL;
    const i = u32Key(key);
    if (i >= this.spec.maxEntries) return -ERRNO.E2BIG;
    if (flags & BPF_NOEXIST) return -ERRNO.EEXIST;
    if (flags & BPF_F_LOCK) return -ERRNO.EINVAL;
    this.writeSlot(i, fromProgram ? value : userValue ?? value, fromProgram);
    return 0;
  }
  delete(_key: Uint8Array): number { return -ERRNO.EINVAL; }
  get(key: Uint8Array): MapValue | undefined {
    const i = u32Key(key);
    return i < this.spec.maxEntries ? this.readSlot(i) : undefined;
  }
  entries(): MapEntry[] {
    return Array.from({ length: this.spec.maxEntries }, (_, i) => ({ key: u32Bytes(i), value: this.readSlot(i) }));
  }
}
