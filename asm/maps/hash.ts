// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH (kernel/bpf/hashtab.c), preallocated as the
// host lays them out (src/maps/runtime/hash.ts): max_entries entry records (chain link, hash, order links,
// key) beside max_entries value slots of the same index, power-of-two bucket heads, a free list (last
// freed, first reused) and one doubly linked order: insertion order for plain hashes, recency for LRU
// (lookups and updates move an entry to the newest end; a full LRU map evicts the oldest, which is one
// of the orders the kernel's approximate LRU may produce). Also serves HASH_OF_MAPS (the value slot holds
// the inner map's handle) and the redirect maps keyed like hashes.
import {
  D_BUCKETS, D_COUNT, D_ESIZE, D_EVICTIONS, D_FLAGS, D_FREE, D_HEAD, D_KEY_SIZE, D_MASK, D_MAX_ENTRIES, D_SLOT, D_TABLE, D_TAIL,
  D_VALUE_SIZE, D_VALUES, E_HASH, E_KEY, E_NEXT, E_NEXT_ORDER, E_PREV_ORDER, MF_INDEXED, MF_LRU,
} from "../layout";
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, field, hashKey, keyEqual, setField, slotAddr, writeValue } from "./common";

/** Address of entry `e` (index + 1). */
// @ts-ignore: decorator
@inline function entry(d: usize, e: u32): usize { return <usize>(field(d, D_TABLE) + (e - 1) * field(d, D_ESIZE)); }
// @ts-ignore: decorator
@inline function bucket(d: usize, h: u32): usize { return <usize>(field(d, D_BUCKETS) + ((h & field(d, D_MASK)) << 2)); }

/** Link every entry into the free list (the first free entry is index 0), empty buckets and order. */
export function hashInit(d: usize): void {
  const n = field(d, D_MAX_ENTRIES);
  for (let e: u32 = 1; e <= n; e++) store<u32>(entry(d, e) + E_NEXT, e < n ? e + 1 : 0);
  setField(d, D_FREE, n ? 1 : 0);
  memory.fill(<usize>field(d, D_BUCKETS), 0, <usize>((field(d, D_MASK) + 1) << 2));
  setField(d, D_HEAD, 0);
  setField(d, D_TAIL, 0);
  setField(d, D_COUNT, 0);
}

/** The entry holding `key` (index + 1), or 0. */
export function hashFind(d: usize, key: usize): u32 {
  const ks = field(d, D_KEY_SIZE);
  const h = hashKey(key, ks);
  let e = load<u32>(bucket(d, h));
  while (e) {
    const a = entry(d, e);
    if (load<u32>(a + E_HASH) == h && keyEqual(a + E_KEY, key, ks)) return e;
    e = load<u32>(a + E_NEXT);
  }
  return 0;
}

function unlinkOrder(d: usize, e: u32): void {
  const a = entry(d, e);
  const p = load<u32>(a + E_PREV_ORDER), n = load<u32>(a + E_NEXT_ORDER);
  if (p) store<u32>(entry(d, p) + E_NEXT_ORDER, n); else setField(d, D_HEAD, n);
  if (n) store<u32>(entry(d, n) + E_PREV_ORDER, p); else setField(d, D_TAIL, p);
}
function appendOrder(d: usize, e: u32): void {
  const a = entry(d, e);
  const t = field(d, D_TAIL);
  store<u32>(a + E_PREV_ORDER, t);
  store<u32>(a + E_NEXT_ORDER, 0);
  if (t) store<u32>(entry(d, t) + E_NEXT_ORDER, e); else setField(d, D_HEAD, e);
  setField(d, D_TAIL, e);
}
/** LRU: `e` becomes the most recently used. */
// @ts-ignore: decorator
@inline function touch(d: usize, e: u32): void {
  if ((field(d, D_FLAGS) & MF_LRU) && field(d, D_TAIL) != e) { unlinkOrder(d, e); appendOrder(d, e); }
}

/** Take `e` out of its bucket chain. */
function unlinkChain(d: usize, e: u32): void {
  const b = bucket(d, load<u32>(entry(d, e) + E_HASH));
  let cur = load<u32>(b);
  if (cur == e) { store<u32>(b, load<u32>(entry(d, e) + E_NEXT)); return; }
  while (cur) {
    const a = entry(d, cur);
    const next = load<u32>(a + E_NEXT);
    if (next == e) { store<u32>(a + E_NEXT, load<u32>(entry(d, e) + E_NEXT)); return; }
    cur = next;
  }
}

export function hashLookup(d: usize, key: usize, cpu: u32): u32 {
  const e = hashFind(d, key);
  if (!e) return 0;
  touch(d, e);
  return slotAddr(d, e - 1, cpu);
}

/** HASH_OF_MAPS: the inner map's handle, or 0. */
export function hashOfMapsLookup(d: usize, key: usize): u32 {
  const e = hashFind(d, key);
  return e ? load<u32>(<usize>slotAddr(d, e - 1, 0)) : 0;
}

/**
 * Find or insert `key` under the update flags; returns the value slot (a new one zeroed on every CPU)
 * or -errno. The caller writes the value: a program one CPU's copy, user space every CPU's.
 */
export function hashUpsert(d: usize, key: usize, flags: u64): i32 {
  const flagsOk = (flags & BPF_F_LOCK) == 0 && (flags & ~BPF_F_LOCK) <= BPF_EXIST;
  // devmap / cpumap / xskmap: array-indexed kinds refuse an index past the end before anything else.
  if ((field(d, D_FLAGS) & MF_INDEXED) && load<u32>(key) >= field(d, D_MAX_ENTRIES)) return -E2BIG;
  if (!flagsOk) return -EINVAL;
  const ks = field(d, D_KEY_SIZE);
  const h = hashKey(key, ks);
  const b = bucket(d, h);
  let e = load<u32>(b);
  while (e) {
    const a = entry(d, e);
    if (load<u32>(a + E_HASH) == h && keyEqual(a + E_KEY, key, ks)) break;
    e = load<u32>(a + E_NEXT);
  }
  if (e) {
    if ((flags & 3) == BPF_NOEXIST) return -EEXIST;
    touch(d, e);
    return <i32>(e - 1);
  }
  if ((flags & 3) == BPF_EXIST) return -ENOENT;
  e = field(d, D_FREE);
  if (e) setField(d, D_FREE, load<u32>(entry(d, e) + E_NEXT));
  else {
    if (!(field(d, D_FLAGS) & MF_LRU) || !field(d, D_HEAD)) return -E2BIG;
    // Evict the least recently used entry and take its place.
    e = field(d, D_HEAD);
    unlinkChain(d, e);
    unlinkOrder(d, e);
    setField(d, D_COUNT, field(d, D_COUNT) - 1);
    setField(d, D_EVICTIONS, field(d, D_EVICTIONS) + 1);
  }
  const slotSize = field(d, D_SLOT);
  memory.fill(<usize>(field(d, D_VALUES) + (e - 1) * slotSize), 0, <usize>slotSize);
  const a = entry(d, e);
  memory.copy(a + E_KEY, key, <usize>ks);
  store<u32>(a + E_HASH, h);
  store<u32>(a + E_NEXT, load<u32>(b));
  store<u32>(b, e);
  appendOrder(d, e);
  setField(d, D_COUNT, field(d, D_COUNT) + 1);
  return <i32>(e - 1);
}

/** A program's bpf_map_update_elem: 0 or -errno. */
export function hashUpdate(d: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  const slot = hashUpsert(d, key, flags);
  if (slot < 0) return slot;
  writeValue(d, <u32>slot, cpu, value, field(d, D_VALUE_SIZE));
  return 0;
}

export function hashDelete(d: usize, key: usize): i32 {
  const e = hashFind(d, key);
  if (!e) return -ENOENT;
  unlinkChain(d, e);
  unlinkOrder(d, e);
  store<u32>(entry(d, e) + E_NEXT, field(d, D_FREE));
  setField(d, D_FREE, e);
  setField(d, D_COUNT, field(d, D_COUNT) - 1);
  return 0;
}
