// The map creation cases probed against the kernel: for every map type a spec the kernel should accept,
// then one-change variants of it (key size, value size, max_entries, each flag bit, map_extra, inner map).
// Only inputs live here; what the kernel answered is in fixtures/kernel-maps.json.
import type { MapCase } from "./probes.js";

type Base = Omit<MapCase, "label">;
const PAGE = 4096;
const NO_PREALLOC = 1, MMAPABLE = 1 << 10;
const INNER = { type: "array", keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 };

/** A spec each type should accept (struct_ops is left out: it needs a vmlinux BTF value type id). */
export const MAP_BASES: Readonly<Record<string, Base>> = {
  hash: { type: "hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  array: { type: "array", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  prog_array: { type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  perf_event_array: { type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  percpu_hash: { type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  percpu_array: { type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  stack_trace: { type: "stack_trace", keySize: 4, valueSize: 64, maxEntries: 16, flags: 0 },
  cgroup_array: { type: "cgroup_array", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  lru_hash: { type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  lru_percpu_hash: { type: "lru_percpu_hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  lpm_trie: { type: "lpm_trie", keySize: 8, valueSize: 8, maxEntries: 16, flags: NO_PREALLOC },
  array_of_maps: { type: "array_of_maps", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, inner: INNER },
  hash_of_maps: { type: "hash_of_maps", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, inner: INNER },
  devmap: { type: "devmap", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sockmap: { type: "sockmap", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  cpumap: { type: "cpumap", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  xskmap: { type: "xskmap", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sockhash: { type: "sockhash", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  cgroup_storage: { type: "cgroup_storage", keySize: 16, valueSize: 8, maxEntries: 0, flags: 0 },
  reuseport_sockarray: { type: "reuseport_sockarray", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  percpu_cgroup_storage: { type: "percpu_cgroup_storage", keySize: 16, valueSize: 8, maxEntries: 0, flags: 0 },
  queue: { type: "queue", keySize: 0, valueSize: 8, maxEntries: 16, flags: 0 },
  stack: { type: "stack", keySize: 0, valueSize: 8, maxEntries: 16, flags: 0 },
  sk_storage: { type: "sk_storage", keySize: 4, valueSize: 8, maxEntries: 0, flags: NO_PREALLOC, btf: true },
  devmap_hash: { type: "devmap_hash", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  ringbuf: { type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: PAGE, flags: 0 },
  inode_storage: { type: "inode_storage", keySize: 4, valueSize: 8, maxEntries: 0, flags: NO_PREALLOC, btf: true },
  task_storage: { type: "task_storage", keySize: 4, valueSize: 8, maxEntries: 0, flags: NO_PREALLOC, btf: true },
  bloom_filter: { type: "bloom_filter", keySize: 0, valueSize: 8, maxEntries: 16, flags: 0 },
  user_ringbuf: { type: "user_ringbuf", keySize: 0, valueSize: 0, maxEntries: PAGE, flags: 0 },
  cgrp_storage: { type: "cgrp_storage", keySize: 4, valueSize: 8, maxEntries: 0, flags: NO_PREALLOC, btf: true },
  arena: { type: "arena", keySize: 0, valueSize: 0, maxEntries: 1, flags: MMAPABLE },
};

const KEY_SIZES = [0, 1, 3, 4, 5, 8, 12, 16, 64, 260, 261, 512, 513];
const VALUE_SIZES = [0, 1, 3, 4, 8, 12, 16, 24, 32, 40, 64, 1016, 1024, 32768, 32769, 65407, 65408, 1 << 20];
const MAX_ENTRIES = [0, 1, 3, PAGE, PAGE + 1, 3 * PAGE, 2 * PAGE, 1 << 20];
const EXTRAS = [1, 5, 15, 16, PAGE];

/** Every case: the base, then one change at a time. */
export function mapCases(): MapCase[] {
  const out: MapCase[] = [];
  for (const [name, base] of Object.entries(MAP_BASES)) {
    const add = (label: string, change: Partial<MapCase>): void => {
      out.push({ ...base, ...change, label: `${name}: ${label}` });
    };
    add("base", {});
    for (const k of KEY_SIZES) if (k !== base.keySize) add(`key_size ${k}`, { keySize: k });
    for (const v of VALUE_SIZES) if (v !== base.valueSize) add(`value_size ${v}`, { valueSize: v });
    for (const m of MAX_ENTRIES) if (m !== base.maxEntries) add(`max_entries ${m}`, { maxEntries: m });
    for (let bit = 0; bit <= 18; bit++) {
      const f = 1 << bit;
      if (base.flags & f) add(`without flag bit ${bit}`, { flags: base.flags & ~f });
      else add(`flag bit ${bit}`, { flags: base.flags | f });
    }
    add("rdonly|wronly", { flags: base.flags | (1 << 3) | (1 << 4) });
    add("rdonly_prog|wronly_prog", { flags: base.flags | (1 << 7) | (1 << 8) });
    for (const e of EXTRAS) add(`map_extra ${e}`, { extra: e });
    if (base.inner) {
      const { inner: _drop, ...noInner } = base;
      out.push({ ...noInner, label: `${name}: no inner map` });
      add("inner hash", { inner: { type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 } });
      add("inner ringbuf", { inner: { type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: PAGE, flags: 0 } });
      add("inner prog_array", { inner: { type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 } });
      add("inner array_of_maps", { inner: { type: "array_of_maps", keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 } });
    }
    if (!base.btf && !base.inner) {
      // every other type as the inner map template of an array_of_maps
      const { type, keySize, valueSize, maxEntries, flags } = base;
      out.push({ ...MAP_BASES.array_of_maps!, inner: { type, keySize, valueSize, maxEntries, flags }, label: `array_of_maps: inner ${name}` });
    }
    if (base.btf) {
      const { btf: _b, ...noBtf } = base;
      out.push({ ...noBtf, label: `${name}: no BTF` });
    }
  }
  return out;
}
