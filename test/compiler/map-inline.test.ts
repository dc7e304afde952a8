// Hash and LPM trie lookups inlined into compiled programs (src/compiler/map-inline.ts) against the
// interpreter, which calls the map module (asm/maps/): every key size up to the inlined limit, hits, misses,
// keys in one bucket's chain, deleted and reused entries, a full map, per-CPU copies, tries with nested
// prefixes and intermediate nodes. LRU hashes and keys past the limit stay on the map module's call.
import wabtInit from "wabt";
import { describe, expect, it } from "vitest";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";
import { KEY_HASH } from "../../src/maps/runtime/layout.js";
import { openEngine } from "../../src/engine/index.js";
import { openKernelEngine } from "../../src/kernel/testrun.js";
import { describeKernel } from "../support/kernel.js";
import type { Program } from "../../src/program/program.js";

const wabt = await wabtInit();

function compiledWat(p: Program): string {
  const rt = loadProgram(p, { executor: "compiled", verified: true });
  const mod = wabt.readWasm(rt.engine.compiledBytes!, { readDebugNames: false, features: { bulk_memory: true, sign_extension: true, multi_value: true } } as never);
  mod.validate();
  return mod.toText({});
}
/** Whether the compiled module calls the map module's lookup (import 2). */
const callsMapModule = (wat: string): boolean => /call \$?(env\.)?mapLookup|call 2\b/.test(wat);

/**
 * XDP: the key is the packet's first `ks` bytes (copied to the stack byte by byte); a hit adds 1 to the
 * value's u64 and returns its old low 32 bits, a miss returns 1.
 */
function program(type: string, ks: number, flags = ""): Program {
  const lines = [
    `.map m, type=${type}, key=${ks}, value=8, max_entries=8${flags}`,
    ".section xdp",
    "  r2 = *(u32 *)(r1 + 0)", "  r3 = *(u32 *)(r1 + 4)", "  r4 = r2", `  r4 += ${ks}`, "  r0 = 0", "  if r4 > r3 goto out",
  ];
  for (let i = 0; i < ks; i++) lines.push(`  r5 = *(u8 *)(r2 + ${i})`, `  *(u8 *)(r10 - ${64 - i}) = r5`);
  lines.push(
    "  r2 = r10", "  r2 += -64", "  r1 = m ll", "  call bpf_map_lookup_elem", "  if r0 == 0 goto none",
    "  r1 = *(u64 *)(r0 + 0)", "  r2 = r1", "  r2 += 1", "  *(u64 *)(r0 + 0) = r2", "  r0 = r1", "  exit",
    "none:", "  r0 = 1", "out:", "  exit",
  );
  return assemble(lines.join("\n"), { file: `${type}-${ks}.s` });
}

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}
const bytes = (next: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => next() & 0xff);
const u64 = (v: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; };

/** The map module's key hash (asm/maps/common.ts hashKey), to pick keys sharing a bucket. */
function hashKey(k: Uint8Array): number {
  const M = (1n << 64n) - 1n;
  let h = KEY_HASH.SEED ^ BigInt(k.length);
  const dv = new DataView(k.buffer, k.byteOffset, k.byteLength);
  const mix = (w: bigint): void => { h = ((h ^ w) * KEY_HASH.MUL) & M; h ^= h >> KEY_HASH.SHIFT; };
  let i = 0;
  for (; i + 8 <= k.length; i += 8) mix(dv.getBigUint64(i, true));
  if (i < k.length) {
    let t = 0n, s = 0n;
    if (i + 4 <= k.length) { t = BigInt(dv.getUint32(i, true)); i += 4; s = 32n; }
    for (; i < k.length; i++, s += 8n) t |= BigInt(k[i]!) << s;
    mix(t);
  }
  h = (h * KEY_HASH.FINAL) & M;
  h ^= h >> KEY_HASH.FINAL_SHIFT;
  return Number(h & 0xffffffffn);
}

type Runtime = ReturnType<typeof loadProgram>;
/** Both engines as a verified program runs them: compiled (inlined lookups) and the interpreter. */
const open = (p: Program, engine: "compiled" | "interp"): Runtime =>
  loadProgram(p, engine === "compiled" ? { executor: "compiled", verified: true } : { mode: "fast" });
const mapOf = (e: Runtime) => e.maps.get("m")!;
const dump = (e: Runtime): string => JSON.stringify(mapOf(e).entries().map((x) => [[...x.key], (Array.isArray(x.value) ? x.value : [x.value]).map((v) => [...v])]));
const packet = (key: Uint8Array): Uint8Array => { const d = new Uint8Array(80); d.set(key); return d; };

describe("hash lookups inlined in compiled code", () => {
  const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 20, 24, 33, 64];
  for (const type of ["hash", "percpu_hash"]) {
    it(`${type}: key sizes ${sizes.join(", ")}: hits, misses, one bucket's chain, deleted and reused entries, a full map`, () => {
      for (const ks of sizes) {
        const p = program(type, ks);
        expect(callsMapModule(compiledWat(p)), `${type} key ${ks}`).toBe(false);
        const next = rng(ks * 7919 + type.length);
        // Four keys in bucket 0 (of 8) where the key space allows, then other keys up to max_entries.
        const keys: Uint8Array[] = [];
        const seen = new Set<string>();
        const add = (k: Uint8Array): void => { const s = k.join(); if (!seen.has(s)) { seen.add(s); keys.push(k); } };
        for (let t = 0; t < 4000 && keys.length < Math.min(4, ks === 1 ? 2 : 4); t++) { const k = bytes(next, ks); if ((hashKey(k) & 7) === 0) add(k); }
        const chained = keys.length;
        expect(chained, `key ${ks}: keys in one bucket`).toBeGreaterThanOrEqual(2);
        while (keys.length < 8) add(bytes(next, ks));
        const extra = (() => { for (;;) { const k = bytes(next, ks); if (!seen.has(k.join())) return k; } })();
        const results: string[] = [];
        for (const e of [open(p, "compiled"), open(p, "interp")]) {
          const m = mapOf(e);
          keys.forEach((k, i) => m.set(k, u64(1000 + i)));
          expect(m.trySet(extra, u64(5)), "a full map refuses a new key").toBe(-7);
          // Probes: every key, near misses (first or last byte changed), the key that did not fit.
          const probes = [...keys, extra, ...keys.map((k) => { const c = k.slice(); c[ks - 1] ^= 0x80; return c; }), ...keys.map((k) => { const c = k.slice(); c[0] ^= 1; return c; })];
          const rets: number[] = [];
          const runAll = (): void => { probes.forEach((k, i) => rets.push(e.run({ data: packet(k), cpu: i % 3 }).retval)); };
          runAll();
          // Delete the middle of the chain and one other key; a new key takes a freed entry.
          expect(m.delete(keys[1]!)).toBe(0);
          expect(m.delete(keys[5]!)).toBe(0);
          m.set(extra, u64(7));
          runAll();
          results.push(`${rets.join(",")} ${dump(e)}`);
        }
        expect(results[0], `${type} key ${ks}`).toBe(results[1]);
        // Hits return the stored values (1000 + i), misses 1.
        expect(results[0]!.split(" ")[0]!.split(",").slice(0, 8).every((r) => Number(r) >= 1000), `key ${ks}: hits`).toBe(true);
        expect(chained).toBeGreaterThan(0);
      }
    });
  }
  it("deleted entries miss and freed entries are found under their new key", () => {
    const p = program("hash", 8);
    const next = rng(99);
    const keys = Array.from({ length: 8 }, () => bytes(next, 8));
    const out: string[] = [];
    for (const engine of ["compiled", "interp"] as const) {
      const e = open(p, engine), m = mapOf(e), again = rng(7);
      keys.forEach((k, i) => m.set(k, u64(100 + i)));
      for (const i of [0, 3, 7]) expect(m.delete(keys[i]!)).toBe(0);
      const fresh = [bytes(again, 8), bytes(again, 8)];
      fresh.forEach((k, i) => m.set(k, u64(500 + i)));
      const rets = [...keys, ...fresh].map((k) => e.run({ data: packet(k) }).retval);
      out.push(`${rets.join(",")} ${dump(e)}`);
      expect(rets).toEqual([1, 101, 102, 1, 104, 105, 106, 1, 500, 501]);
    }
    expect(out[0]).toBe(out[1]);
  });
  it("two keys with the same 32-bit hash: each finds its own entry, and neither the other's", () => {
    for (const ks of [6, 8, 30]) {
      // A birthday search for two keys whose whole 32-bit hashes are equal (about 2^16 tries).
      const next = rng(4242 + ks), seen = new Map<number, Uint8Array>();
      let pair: [Uint8Array, Uint8Array] | undefined;
      while (!pair) {
        const k = bytes(next, ks), h = hashKey(k), o = seen.get(h);
        if (o && o.join() !== k.join()) pair = [o, k]; else seen.set(h, k);
      }
      const p = program("hash", ks);
      const out: string[] = [];
      for (const engine of ["compiled", "interp"] as const) {
        const e = open(p, engine), m = mapOf(e);
        m.set(pair[0], u64(111));
        const rets = [e.run({ data: packet(pair[1]) }).retval, e.run({ data: packet(pair[0]) }).retval];
        m.set(pair[1], u64(222));
        rets.push(e.run({ data: packet(pair[1]) }).retval, e.run({ data: packet(pair[0]) }).retval);
        expect(rets, `${engine} key ${ks}`).toEqual([1, 111, 222, 112]);
        out.push(dump(e));
      }
      expect(out[0]).toBe(out[1]);
    }
  });
  it("LRU hashes (a lookup marks the entry used) and keys over 64 bytes keep the map module's call", () => {
    expect(callsMapModule(compiledWat(program("lru_hash", 8)))).toBe(true);
    expect(callsMapModule(compiledWat(program("hash", 65)))).toBe(true);
    const p = program("lru_hash", 4);
    const out: string[] = [];
    for (const engine of ["compiled", "interp"] as const) {
      const e = open(p, engine), m = mapOf(e);
      for (let i = 0; i < 8; i++) m.set(u64(i).subarray(0, 4), u64(10 + i));
      const rets = [0, 5, 2].map((k) => e.run({ data: packet(u64(k).subarray(0, 4)) }).retval);
      for (let i = 8; i < 11; i++) m.set(u64(i).subarray(0, 4), u64(10 + i)); // evicts the least recently used
      out.push(`${rets.join(",")} ${dump(e)}`);
    }
    expect(out[0]).toBe(out[1]);
  });
});

describe("LPM trie lookups inlined in compiled code", () => {
  // Data sizes 1-60 bytes (key = u32 prefixlen + data): one word, several, a tail of 1-3 bytes; the key in
  // locals (up to 24 bytes) and read per node (longer).
  const dataSizes = [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 24, 25, 60];
  it(`data sizes ${dataSizes.join(", ")}: nested prefixes, siblings (intermediate nodes), deleted prefixes, prefixlen past the data`, () => {
    for (const ds of dataSizes) {
      const ks = ds + 4, bits = ds * 8;
      const p = program("lpm_trie", ks, ", flags=1");
      expect(callsMapModule(compiledWat(p)), `data ${ds}`).toBe(false);
      const next = rng(ds * 31337);
      const base = bytes(next, ds);
      const key = (plen: number, data: Uint8Array): Uint8Array => { const k = new Uint8Array(ks); new DataView(k.buffer).setUint32(0, plen, true); k.set(data, 4); return k; };
      /** `data` with bit `i` (big-endian bit order) flipped. */
      const flip = (data: Uint8Array, i: number): Uint8Array => { const c = data.slice(); c[i >> 3] ^= 0x80 >> (i & 7); return c; };
      // Nested prefixes of base, and siblings branching off it (each makes an intermediate node).
      const lens = [...new Set([0, 1, Math.floor(bits / 3), Math.floor(bits / 2), bits - 1, bits])].sort((a, b) => a - b);
      const stored: Uint8Array[] = [];
      for (const l of lens.slice(0, 5)) stored.push(key(l, base));
      for (const at of [Math.floor(bits / 4), bits - 2]) if (at > 0 && stored.length < 8) stored.push(key(Math.min(bits, at + 3), flip(base, at)));
      const probes: Uint8Array[] = [key(bits, base), key(bits + 1, base), key(0, base)];
      for (let i = 0; i < bits; i += Math.max(1, Math.floor(bits / 24))) probes.push(key(bits, flip(base, i)), key(Math.max(0, bits - 3), flip(base, i)));
      for (let t = 0; t < 10; t++) probes.push(key(next() % (bits + 1), bytes(next, ds)));
      const results: string[] = [];
      for (const engine of ["compiled", "interp"] as const) {
        const e = open(p, engine), m = mapOf(e);
        stored.forEach((k, i) => m.set(k, u64(1000 + i)));
        const rets: number[] = [];
        probes.forEach((k) => rets.push(e.run({ data: packet(k) }).retval));
        // Delete the full-length prefix and one in the middle: lookups fall back to shorter ones.
        m.delete(stored[Math.min(2, stored.length - 1)]!);
        if (stored.length > 4) m.delete(stored[4]!);
        probes.forEach((k) => rets.push(e.run({ data: packet(k) }).retval));
        results.push(`${rets.join(",")} ${dump(e)}`);
      }
      expect(results[0], `data ${ds}`).toBe(results[1]);
      expect(results[0]!.split(",")[0], `data ${ds}: the full-length key hits`).not.toBe("1");
    }
  });
});

describeKernel("inlined hash and LPM lookups vs the kernel", () => {
  it("hash (key sizes 4, 8, 13, 24, 33) and LPM (data 4, 16) maps: the kernel's retvals and maps", () => {
    const cases: [string, number, string][] = [["hash", 4, ""], ["hash", 8, ""], ["hash", 13, ""], ["hash", 24, ""], ["hash", 33, ""], ["lpm_trie", 8, ", flags=1"], ["lpm_trie", 20, ", flags=1"]];
    for (const [type, ks, flags] of cases) {
      const p = program(type, ks, flags);
      const next = rng(ks * 131 + type.length);
      const lpm = type === "lpm_trie", ds = ks - 4;
      const key = (plen: number, data: Uint8Array): Uint8Array => { const k = new Uint8Array(ks); new DataView(k.buffer).setUint32(0, plen, true); k.set(data, 4); return k; };
      const stored: Uint8Array[] = [];
      if (lpm) {
        const base = bytes(next, ds);
        for (const l of [0, 3, ds * 4, ds * 8 - 1, ds * 8]) stored.push(key(l, base));
        const sib = base.slice(); sib[0] ^= 0x10; stored.push(key(ds * 8, sib));
      } else for (let i = 0; i < 7; i++) stored.push(bytes(next, ks));
      const probes = [...stored, ...stored.map((k) => { const c = k.slice(); c[ks - 1] ^= 1; return c; }), ...Array.from({ length: 6 }, () => lpm ? key(next() % (ds * 8 + 2), bytes(next, ds)) : bytes(next, ks))];
      const compiled = openEngine(p, { engine: "compiled" });
      expect(compiled.kind).toBe("compiled");
      const kernel = openKernelEngine(p);
      try {
        const out: string[] = [];
        for (const e of [compiled, kernel]) {
          stored.forEach((k, i) => e.maps.get("m")!.update(k, u64(1000 + i)));
          const rets = probes.map((k) => e.run({ data: packet(k) }).retval);
          out.push(`${rets.join(",")} ${JSON.stringify(e.maps.get("m")!.entries().map((x) => [[...x.key], [...x.values[0]!]]).sort())}`);
        }
        expect(out[0], `${type} key ${ks}`).toBe(out[1]);
      } finally { kernel.close(); }
    }
  });
});
