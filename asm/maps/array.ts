// BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c), as src/maps/runtime/array.ts describes
// them: every index below max_entries exists; a program's update checks unknown flags, the index,
// BPF_NOEXIST, then BPF_F_LOCK (no value here has a bpf_spin_lock) in the kernel's order.
// ARRAY_OF_MAPS: a table of inner map handles (0 for an empty slot) that the host keeps.
import { D_MAX_ENTRIES, D_TABLE, D_VALUE_SIZE } from "../layout";
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, field, slotAddr, writeValue } from "./common";

export function arrayLookup(d: usize, key: usize, cpu: u32): u32 {
  const i = load<u32>(key);
  return i < field(d, D_MAX_ENTRIES) ? slotAddr(d, i, cpu) : 0;
}

export function arrayUpdate(d: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
  const i = load<u32>(key);
  if (i >= field(d, D_MAX_ENTRIES)) return -E2BIG;
  if (flags & BPF_NOEXIST) return -EEXIST;
  if (flags & BPF_F_LOCK) return -EINVAL;
  writeValue(d, i, cpu, value, field(d, D_VALUE_SIZE));
  return 0;
}

export function arrayOfMapsLookup(d: usize, key: usize): u32 {
  const i = load<u32>(key);
  return i < field(d, D_MAX_ENTRIES) ? load<u32>(<usize>(field(d, D_TABLE) + i * 4)) : 0;
}
