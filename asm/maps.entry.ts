// Map operations in WebAssembly, over the maps' own memory (descriptors, value slots, entry records, trie
// nodes: src/maps/runtime/ lays them out). One instance per runtime memory; the interpreter and compiled
// programs import `lookup` / `update` / `delete` (a BPF program's bpf_map_*_elem never leaves
// WebAssembly for these map types), and the host's map objects call the `*At` exports for user-space
// reads and writes, so there is one implementation of every map's semantics.
//
// Program side: `m` is r1 as the program passed it (checked to be a descriptor), keys and values are
// addresses. A result of -1 from lookup and 1 from update / delete means "not here": the host answers
// (other map types, a pointer that is not a map, a key outside the memory), with its own errors.
import { DESC_MAGIC, DESC_SIZE, D_MAGIC, D_IMPL, D_KEY_SIZE, D_VALUE_SIZE, IMPL_ARRAY, IMPL_HASH, IMPL_LPM, IMPL_ARRAY_OF_MAPS, IMPL_HASH_OF_MAPS, NULL_GUARD_END } from "./layout";
import { EINVAL, field } from "./maps/common";
import { arrayLookup, arrayOfMapsLookup, arrayUpdate } from "./maps/array";
import { hashDelete, hashFind, hashInit, hashLookup, hashOfMapsLookup, hashUpdate, hashUpsert } from "./maps/hash";
import { lpmDelete, lpmFindSlot, lpmInit, lpmLookup, lpmUpdate, lpmUpsert } from "./maps/lpm";

export {
  D_TYPE, D_KEY_SIZE, D_VALUE_SIZE, D_MAX_ENTRIES, D_VALUES, D_SLOT, D_CPUS, D_STRIDE, D_MAGIC, D_IMPL, D_FLAGS, D_COUNT, D_TABLE,
  D_ESIZE, D_BUCKETS, D_MASK, D_FREE, D_HEAD, D_TAIL, D_ROOT, D_VFREE, D_VTOP, D_EVICTIONS, D_MAXBITS, DESC_SIZE,
  E_NEXT, E_HASH, E_PREV_ORDER, E_NEXT_ORDER, E_KEY, H_SEED, H_MUL, H_SHIFT, H_FINAL, H_FINAL_SHIFT, N_CHILD0, N_CHILD1, N_PREFIXLEN, N_SLOT, N_DATA,
} from "./layout";

/** Bytes of memory now (the host grows it; this module never does). */
// @ts-ignore: decorator
@inline function memBytes(): u64 { return <u64>memory.size() << 16; }

/** The descriptor `m` points to, or 0 when `m` is not one. */
// @ts-ignore: decorator
@inline function descOf(m: u64): usize {
  if (m < <u64>NULL_GUARD_END || m + <u64>DESC_SIZE > memBytes()) return 0;
  return load<u32>(<usize>m, D_MAGIC) == DESC_MAGIC ? <usize>m : 0;
}
// @ts-ignore: decorator
@inline function inMemory(p: u64, size: u32): bool { return p + <u64>size <= memBytes(); }

/** bpf_map_lookup_elem: the value's address, 0 (NULL), or -1 (the host answers). */
export function lookup(m: u64, key: u64, cpu: u32): i64 {
  const d = descOf(m);
  if (!d || !inMemory(key, field(d, D_KEY_SIZE))) return -1;
  const k = <usize>key;
  switch (field(d, D_IMPL)) {
    case IMPL_ARRAY: return <i64>arrayLookup(d, k, cpu);
    case IMPL_HASH: return <i64>hashLookup(d, k, cpu);
    case IMPL_LPM: return <i64>lpmLookup(d, k);
    case IMPL_ARRAY_OF_MAPS: return <i64>arrayOfMapsLookup(d, k);
    case IMPL_HASH_OF_MAPS: return <i64>hashOfMapsLookup(d, k);
    default: return -1;
  }
}

/** bpf_map_update_elem: 0 or -errno; 1 when the host answers. */
export function update(m: u64, key: u64, value: u64, flags: u64, cpu: u32): i64 {
  const d = descOf(m);
  if (!d || !inMemory(key, field(d, D_KEY_SIZE)) || !inMemory(value, field(d, D_VALUE_SIZE))) return 1;
  const k = <usize>key, v = <usize>value;
  switch (field(d, D_IMPL)) {
    case IMPL_ARRAY: return <i64>arrayUpdate(d, k, v, flags, cpu);
    case IMPL_HASH: return <i64>hashUpdate(d, k, v, flags, cpu);
    case IMPL_LPM: return <i64>lpmUpdate(d, k, v, flags);
    case IMPL_ARRAY_OF_MAPS: case IMPL_HASH_OF_MAPS: return -EINVAL; // programs cannot store maps
    default: return 1;
  }
}

/** bpf_map_delete_elem: 0 or -errno; 1 when the host answers. */
export function remove(m: u64, key: u64): i64 {
  const d = descOf(m);
  if (!d || !inMemory(key, field(d, D_KEY_SIZE))) return 1;
  const k = <usize>key;
  switch (field(d, D_IMPL)) {
    case IMPL_ARRAY: return -EINVAL;
    case IMPL_HASH: return <i64>hashDelete(d, k);
    case IMPL_LPM: return <i64>lpmDelete(d, k);
    default: return 1; // map-in-map slots belong to the host's map objects
  }
}

// ---- the host's map objects (src/maps/runtime/): descriptor and key/value addresses they own ----

/** Set up the free lists of a new hash or trie. */
export function initAt(d: usize): void {
  const impl = field(d, D_IMPL);
  if (impl == IMPL_HASH || impl == IMPL_HASH_OF_MAPS) hashInit(d);
  else if (impl == IMPL_LPM) lpmInit(d);
}
/** Program-side lookup from the host (LRU use counts): the value's address or 0. */
export function lookupAt(d: usize, key: usize, cpu: u32): u32 {
  const impl = field(d, D_IMPL);
  if (impl == IMPL_HASH) return hashLookup(d, key, cpu);
  if (impl == IMPL_LPM) return lpmLookup(d, key);
  return 0;
}
/** User-space lookup (no LRU use): hash entry or trie value slot, plus one; 0 when absent. */
export function findAt(d: usize, key: usize): u32 {
  const impl = field(d, D_IMPL);
  if (impl == IMPL_LPM) return lpmFindSlot(d, key);
  return hashFind(d, key);
}
/** Find or insert under the update flags: the value slot (new ones zeroed) or -errno. */
export function upsertAt(d: usize, key: usize, flags: u64): i32 {
  return field(d, D_IMPL) == IMPL_LPM ? lpmUpsert(d, key, flags) : hashUpsert(d, key, flags);
}
export function deleteAt(d: usize, key: usize): i32 {
  return field(d, D_IMPL) == IMPL_LPM ? lpmDelete(d, key) : hashDelete(d, key);
}
