// Map behaviour with the kernel's rules: update flags, error numbers, capacity, LRU order, longest prefix
// match, per-CPU values, queue/stack order, bloom filter answers and ring buffer space.
import { describe, expect, it } from "vitest";
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, createRuntimeMap, ERRNO, u32Bytes, type MapHost, type RuntimeMap } from "../../src/maps/runtime/index.js";
import { LruHashMap } from "../../src/maps/runtime/lru-hash.js";
import { RingbufMap } from "../../src/maps/runtime/ringbuf.js";
import { BloomFilterMap } from "../../src/maps/runtime/bloom-filter.js";
import type { MapSpec } from "../../src/program/program.js";
import { RuntimeMemory } from "../../src/runtime/memory.js";
import { BpfkitError } from "../../src/diagnostics/index.js";

let cpu = 0;
const host = (): MapHost => ({ mem: new RuntimeMemory(), cpus: 3, cpu: () => cpu });
const spec = (type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0): MapSpec =>
  ({ name: type, type, keySize, valueSize, maxEntries, flags });
const v8 = (n: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };
const n8 = (b: Uint8Array | Uint8Array[] | undefined): number => Number(new DataView((b as Uint8Array).buffer, (b as Uint8Array).byteOffset).getBigUint64(0, true));
const make = (s: MapSpec, h = host()): RuntimeMap => createRuntimeMap(s, h);

describe("array", () => {
  it("has every index, refuses NOEXIST, delete and indexes past the end", () => {
    const m = make(spec("array", 4, 8, 4));
    expect(n8(m.get(u32Bytes(3)))).toBe(0);
    expect(m.update(u32Bytes(1), v8(5), BPF_ANY)).toBe(0);
    expect(m.update(u32Bytes(1), v8(6), BPF_EXIST)).toBe(0);
    expect(m.update(u32Bytes(1), v8(7), BPF_NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.update(u32Bytes(4), v8(1), BPF_ANY)).toBe(-ERRNO.E2BIG);
    expect(m.update(u32Bytes(0), v8(1), 8)).toBe(-ERRNO.EINVAL);
    expect(m.delete(u32Bytes(1))).toBe(-ERRNO.EINVAL);
    expect(m.lookup(u32Bytes(4))).toBe(0);
    expect(n8(m.get(u32Bytes(1)))).toBe(6);
    expect(m.entries()).toHaveLength(4);
  });
  it("lookup returns a pointer into the shared memory that reads and writes the value", () => {
    const h = host();
    const m = make(spec("array", 4, 8, 2), h);
    const a = m.lookup(u32Bytes(1));
    h.mem.dv.setBigUint64(a, 99n, true);
    expect(n8(m.get(u32Bytes(1)))).toBe(99);
    expect(m.lookup(u32Bytes(0))).not.toBe(a);
  });
  it("percpu_array keeps one value per CPU, each program sees its own", () => {
    const m = make(spec("percpu_array", 4, 4, 2));
    cpu = 1;
    expect(m.update(u32Bytes(0), Uint8Array.of(7, 0, 0, 0), BPF_ANY)).toBe(0);
    cpu = 0;
    const all = m.get(u32Bytes(0)) as Uint8Array[];
    expect(all.map((b) => b[0])).toEqual([0, 7, 0]);
    expect(m.set(u32Bytes(1), [Uint8Array.of(1, 0, 0, 0), Uint8Array.of(2, 0, 0, 0), Uint8Array.of(3, 0, 0, 0)])).toBe(0);
    expect((m.get(u32Bytes(1)) as Uint8Array[]).map((b) => b[0])).toEqual([1, 2, 3]);
  });
});

describe("hash", () => {
  it("applies NOEXIST / EXIST, fills up with E2BIG, deletes with ENOENT", () => {
    const m = make(spec("hash", 4, 8, 2));
    expect(m.update(u32Bytes(10), v8(1), BPF_EXIST)).toBe(-ERRNO.ENOENT);
    expect(m.update(u32Bytes(10), v8(1), BPF_NOEXIST)).toBe(0);
    expect(m.update(u32Bytes(10), v8(2), BPF_NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.update(u32Bytes(10), v8(3), BPF_EXIST)).toBe(0);
    expect(m.update(u32Bytes(20), v8(4), BPF_ANY)).toBe(0);
    expect(m.update(u32Bytes(30), v8(5), BPF_ANY)).toBe(-ERRNO.E2BIG);
    expect(m.update(u32Bytes(20), v8(6), BPF_ANY)).toBe(0); // replacing in a full map is fine
    expect(m.delete(u32Bytes(30))).toBe(-ERRNO.ENOENT);
    expect(m.delete(u32Bytes(10))).toBe(0);
    expect(m.update(u32Bytes(30), v8(7), BPF_ANY)).toBe(0);
    expect(m.entries().map((e) => n8(e.value)).sort()).toEqual([6, 7]);
    expect(m.lookup(u32Bytes(10))).toBe(0);
    // Flags are a u64: 2^64 (as a JavaScript number) and 2^32 are unknown flags, not BPF_ANY after a wrap.
    expect(m.update(u32Bytes(20), v8(8), 2 ** 64)).toBe(-ERRNO.EINVAL);
    expect(m.update(u32Bytes(20), v8(8), 2 ** 32)).toBe(-ERRNO.EINVAL);
    expect(make(spec("lpm_trie", 8, 8, 2, 1)).update(Uint8Array.of(8, 0, 0, 0, 1, 0, 0, 0), v8(1), 2 ** 64)).toBe(-ERRNO.EINVAL);
  });
  it("lru_hash evicts the least recently used key; lookups count as use", () => {
    const m = make(spec("lru_hash", 4, 8, 3)) as LruHashMap;
    for (const k of [1, 2, 3]) expect(m.update(u32Bytes(k), v8(k), BPF_ANY)).toBe(0);
    expect(m.lookup(u32Bytes(1))).not.toBe(0); // 1 is now the most recent; 2 the oldest
    expect(m.update(u32Bytes(4), v8(4), BPF_ANY)).toBe(0);
    expect(m.get(u32Bytes(2))).toBeUndefined();
    expect(m.evictions).toBe(1);
    expect(m.update(u32Bytes(5), v8(5), BPF_ANY)).toBe(0);
    expect(m.get(u32Bytes(3))).toBeUndefined();
    expect(n8(m.get(u32Bytes(1)))).toBe(1);
  });
  it("lru_percpu_hash and percpu_hash keep per-CPU values", () => {
    for (const t of ["percpu_hash", "lru_percpu_hash"]) {
      const m = make(spec(t, 4, 8, 4));
      cpu = 2;
      m.update(u32Bytes(1), v8(9), BPF_ANY);
      cpu = 0;
      expect((m.get(u32Bytes(1)) as Uint8Array[]).map(n8)).toEqual([0, 0, 9]);
    }
  });
});

describe("lpm_trie", () => {
  const key = (len: number, ...bytes: number[]): Uint8Array => { const k = new Uint8Array(8); new DataView(k.buffer).setUint32(0, len, true); k.set(bytes, 4); return k; };
  it("finds the longest matching prefix", () => {
    const h = host();
    const m = make(spec("lpm_trie", 8, 8, 8, 1), h);
    expect(m.update(key(8, 10), v8(8), BPF_ANY)).toBe(0);
    expect(m.update(key(16, 10, 1), v8(16), BPF_ANY)).toBe(0);
    expect(m.update(key(24, 10, 1, 2), v8(24), BPF_ANY)).toBe(0);
    const look = (k: Uint8Array): number => { const a = m.lookup(k); return a ? Number(h.mem.dv.getBigUint64(a, true)) : -1; };
    expect(look(key(32, 10, 1, 2, 3))).toBe(24);
    expect(look(key(32, 10, 1, 3, 3))).toBe(16);
    expect(look(key(32, 10, 2, 0, 0))).toBe(8);
    expect(look(key(32, 11, 0, 0, 0))).toBe(-1);
    expect(look(key(16, 10, 1, 2, 3))).toBe(16); // the key's own prefix length limits the match
  });
  it("checks prefix length, NOEXIST/EXIST, capacity and delete", () => {
    const m = make(spec("lpm_trie", 8, 8, 2, 1));
    expect(m.update(key(33, 1), v8(1), BPF_ANY)).toBe(-ERRNO.EINVAL);
    expect(m.update(key(8, 1), v8(1), BPF_EXIST)).toBe(-ERRNO.ENOENT);
    expect(m.update(key(8, 1), v8(1), BPF_NOEXIST)).toBe(0);
    expect(m.update(key(8, 1, 99), v8(1), BPF_NOEXIST)).toBe(-ERRNO.EEXIST); // bits past the prefix do not count
    expect(m.update(key(16, 1, 1), v8(2), BPF_ANY)).toBe(0);
    expect(m.update(key(24, 1, 1, 1), v8(3), BPF_ANY)).toBe(-ERRNO.ENOSPC);
    expect(m.delete(key(24, 1, 1, 1))).toBe(-ERRNO.ENOENT);
    expect(m.delete(key(16, 1, 1))).toBe(0);
  });
});

describe("queue, stack, bloom filter, ring buffer", () => {
  it("queue is FIFO, stack LIFO; full pushes fail unless BPF_EXIST drops the oldest", () => {
    const q = make(spec("queue", 0, 4, 2));
    const st = make(spec("stack", 0, 4, 2));
    for (const m of [q, st]) {
      expect(m.pop(true)).toBe(-ERRNO.ENOENT);
      expect(m.push(Uint8Array.of(1, 0, 0, 0), 0)).toBe(0);
      expect(m.push(Uint8Array.of(2, 0, 0, 0), 0)).toBe(0);
      expect(m.push(Uint8Array.of(3, 0, 0, 0), 0)).toBe(-ERRNO.E2BIG);
      expect(m.push(Uint8Array.of(3, 0, 0, 0), BPF_EXIST)).toBe(0);
    }
    expect((q.pop(false) as Uint8Array)[0]).toBe(2);
    expect((q.pop(true) as Uint8Array)[0]).toBe(2);
    expect((q.pop(true) as Uint8Array)[0]).toBe(3);
    expect((st.pop(true) as Uint8Array)[0]).toBe(3);
    expect((st.pop(true) as Uint8Array)[0]).toBe(2);
    expect(st.pop(true)).toBe(-ERRNO.ENOENT);
  });
  it("bloom filter answers maybe-present for added values and absent for others", () => {
    const b = make(spec("bloom_filter", 0, 4, 16)) as BloomFilterMap;
    expect(b.push(Uint8Array.of(1, 2, 3, 4), 0)).toBe(0);
    expect(b.contains(Uint8Array.of(1, 2, 3, 4))).toBe(0);
    expect(b.contains(Uint8Array.of(4, 3, 2, 1))).toBe(-ERRNO.ENOENT);
    expect(b.push(Uint8Array.of(1, 2, 3, 4), BPF_EXIST)).toBe(-ERRNO.EINVAL);
  });
  it("ring buffer reserves until full, frees space when drained", () => {
    const h = host();
    const r = make(spec("ringbuf", 0, 0, 4096), h) as RingbufMap;
    const a = r.reserve(2000, 0);
    expect(a).not.toBe(0);
    h.mem.write(a, Uint8Array.of(42));
    expect(r.reserve(2100, 0)).toBe(0); // 8-byte headers: 2008 + 2108 > 4096
    expect(r.commit(a, false)).toBe(true);
    expect(r.commit(a, false)).toBe(false);
    expect(r.output(new Uint8Array(2000), 0)).toBe(0);
    expect(r.output(new Uint8Array(100), 0)).toBe(-ERRNO.EAGAIN);
    const recs = r.drain();
    expect(recs.map((x) => x.length)).toEqual([2000, 2000]);
    expect(recs[0]![0]).toBe(42);
    expect(r.output(new Uint8Array(100), 0)).toBe(0);
  });
  it("refuses specs the kernel refuses", () => {
    expect(() => make(spec("array", 8, 4, 1))).toThrow(BpfkitError);
    expect(() => make(spec("lpm_trie", 8, 8, 4, 0))).toThrow(/BPF_F_NO_PREALLOC|NO_PREALLOC/);
  });
});
