// Map operations against real kernel maps: the same random sequence of updates (with every flag),
// deletes and lookups on a kernel map and a runtime map must give the same error numbers and contents.
import fc from "fast-check";
import { expect, it } from "vitest";
import { createRuntimeMap, type RuntimeMap } from "../../src/maps/runtime/index.js";
import type { MapSpec } from "../../src/program/program.js";
import { RuntimeMemory } from "../../src/runtime/memory.js";
import { describeKernel } from "../support/kernel.js";
import { fuzzRuns } from "../support/fuzz-runs.js";
import { readFileSync } from "node:fs";

/** CPUs the kernel keeps per-CPU values for (possible CPUs, as libbpf counts them). */
function possibleCpus(): number {
  const text = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim();
  return text.split(",").reduce((n, r) => { const [a, b] = r.split("-").map(Number); return n + (b === undefined ? 1 : b - a! + 1); }, 0);
}

type Op = { k: "update"; key: number; value: number; flags: number } | { k: "delete"; key: number } | { k: "lookup"; key: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant("update" as const), key: fc.integer({ min: 0, max: 6 }), value: fc.integer({ min: 0, max: 255 }), flags: fc.constantFrom(0, 1, 2, 3, 4) }),
  fc.record({ k: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ k: fc.constant("lookup" as const), key: fc.integer({ min: 0, max: 6 }) }),
);

function keyBytes(spec: MapSpec, k: number): Uint8Array {
  const b = new Uint8Array(spec.keySize);
  if (spec.type === "lpm_trie") { new DataView(b.buffer).setUint32(0, [8, 16, 24, 32, 8, 16, 40][k]!, true); b.set([10, k % 3, k % 2, 1], 4); }
  else new DataView(b.buffer).setUint32(0, k, true);
  return b;
}

describeKernel("runtime maps vs kernel maps", () => {
  for (const spec of [
    { name: "a", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
    { name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
    { name: "l", type: "lpm_trie", keySize: 8, valueSize: 8, maxEntries: 4, flags: 1 },
    { name: "p", type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
    // Room for every key: the kernel's LRU may evict early (per-CPU free lists), which no test can pin down.
    { name: "r", type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 256, flags: 0 },
  ] satisfies MapSpec[]) {
    it(`${spec.type}: same answers for random operation sequences`, async () => {
      const { createMap } = await import("../../src/kernel/maps.js");
      const { mapUpdate, mapDelete, mapLookup } = await import("../../src/kernel/commands.js");
      const { closeFd } = await import("../../src/kernel/sys.js");
      let ops = 0;
      const perCpu = spec.type.startsWith("percpu");
      const kernelCpus = possibleCpus();
      fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), (seq) => {
        const km = createMap(spec);
        const rm: RuntimeMap = createRuntimeMap(spec, { mem: new RuntimeMemory(1 << 20), cpus: 1, cpu: () => 0 });
        try {
          for (const o of seq) {
            ops++;
            const key = keyBytes(spec, o.key);
            let kAns: number, rAns: number;
            if (o.k === "update") {
              const v = new Uint8Array(spec.valueSize); v[0] = o.value;
              const kv = perCpu ? new Uint8Array(8 * kernelCpus) : v;
              if (perCpu) for (let c = 0; c < kernelCpus; c++) kv[c * 8] = v[0]!;
              try { mapUpdate(km.fd, key, kv, o.flags); kAns = 0; } catch (e) { kAns = -(e as { errno: number }).errno; }
              rAns = rm.set(key, perCpu ? [v] : v, o.flags);
            } else if (o.k === "delete") {
              try { kAns = mapDelete(km.fd, key) ? 0 : -2; } catch (e) { kAns = -(e as { errno: number }).errno; }
              rAns = rm.delete(key);
            } else {
              const v = new Uint8Array(perCpu ? 8 * kernelCpus : spec.valueSize);
              kAns = mapLookup(km.fd, key, v) ? v[0]! : -2;
              const got = rm.get(key);
              rAns = got ? (Array.isArray(got) ? got[0]! : got)[0]! : -2;
            }
            expect({ op: o, answer: rAns }).toEqual({ op: o, answer: kAns });
          }
        } finally { closeFd(km.fd); }
      }), { numRuns: fuzzRuns(60) });
      expect(ops).toBeGreaterThan(60);
    });
  }

  // A bigger trie: random prefixes of random lengths over a few address patterns (so they nest and part at
  // many bits), inserted and deleted; every probe address must find the same longest prefix, and the
  // entries must come in the kernel's get_next_key order (postorder), which is the trie's shape.
  it("lpm_trie: longest matches and key order of random tries", async () => {
    const { createMap } = await import("../../src/kernel/maps.js");
    const { mapUpdate, mapDelete, mapLookup, mapGetNextKey } = await import("../../src/kernel/commands.js");
    const { closeFd } = await import("../../src/kernel/sys.js");
    const spec: MapSpec = { name: "t", type: "lpm_trie", keySize: 8, valueSize: 4, maxEntries: 24, flags: 1 };
    const addr = fc.tuple(fc.constantFrom(10, 192, 0, 255), fc.constantFrom(0, 1, 128, 255), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }));
    const prefix = fc.record({ len: fc.integer({ min: 0, max: 32 }), addr, del: fc.boolean() });
    let probes = 0;
    fc.assert(fc.property(fc.array(prefix, { minLength: 1, maxLength: 40 }), fc.array(addr, { minLength: 5, maxLength: 20 }), (prefixes, probeAddrs) => {
      const km = createMap(spec);
      const rm = createRuntimeMap(spec, { mem: new RuntimeMemory(1 << 20), cpus: 1, cpu: () => 0 });
      const key = (len: number, a: number[]) => { const b = new Uint8Array(8); new DataView(b.buffer).setUint32(0, len, true); b.set(a, 4); return b; };
      try {
        prefixes.forEach((p, i) => {
          const k = key(p.len, p.addr);
          const v = Uint8Array.of(i + 1, 0, 0, 0);
          let kAns: number;
          if (p.del && i > 0) {
            try { kAns = mapDelete(km.fd, k) ? 0 : -2; } catch (e) { kAns = -(e as { errno: number }).errno; }
            expect(rm.delete(k)).toBe(kAns);
          } else {
            try { mapUpdate(km.fd, k, v, 0); kAns = 0; } catch (e) { kAns = -(e as { errno: number }).errno; }
            expect(rm.set(k, v, 0)).toBe(kAns);
          }
        });
        for (const a of probeAddrs) {
          const v = new Uint8Array(4);
          const kAns = mapLookup(km.fd, key(32, a), v) ? v[0]! : 0;
          const got = rm.get(key(32, a)) as Uint8Array | undefined;
          expect(got ? got[0] : 0).toBe(kAns);
          probes++;
        }
        const order: string[] = [];
        let prev: Uint8Array | null = null;
        const next = new Uint8Array(8);
        while (mapGetNextKey(km.fd, prev, next)) { order.push(Buffer.from(next).toString("hex")); prev = next.slice(); }
        expect(rm.entries().map((e) => Buffer.from(e.key).toString("hex"))).toEqual(order);
      } finally { closeFd(km.fd); }
    }), { numRuns: fuzzRuns(80) });
    expect(probes).toBeGreaterThan(80);
  });
});
