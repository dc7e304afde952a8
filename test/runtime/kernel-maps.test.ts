// Map operations against real kernel maps: the same random sequence of updates (with every flag),
// deletes and lookups on a kernel map and a runtime map must give the same error numbers and contents.
import fc from "fast-check";
import { expect, it } from "vitest";
import { createRuntimeMap, type RuntimeMap } from "../../src/maps/runtime/index.js";
import type { MapSpec } from "../../src/program/program.js";
import { RuntimeMemory } from "../../src/runtime/memory.js";
import { describeKernel } from "../support/kernel.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

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
  ] satisfies MapSpec[]) {
    it(`${spec.type}: same answers for random operation sequences`, async () => {
      const { createMap } = await import("../../src/kernel/maps.js");
      const { mapUpdate, mapDelete, mapLookup } = await import("../../src/kernel/commands.js");
      const { closeFd } = await import("../../src/kernel/sys.js");
      let ops = 0;
      fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), (seq) => {
        const km = createMap(spec);
        const rm: RuntimeMap = createRuntimeMap(spec, { mem: new RuntimeMemory(1 << 20), cpus: 1, cpu: () => 0 });
        try {
          for (const o of seq) {
            ops++;
            const key = keyBytes(spec, o.key);
            let kAns: number, rAns: number;
            if (o.k === "update") {
              const v = new Uint8Array(8); v[0] = o.value;
              try { mapUpdate(km.fd, key, v, o.flags); kAns = 0; } catch (e) { kAns = -(e as { errno: number }).errno; }
              rAns = rm.trySet(key, v, o.flags);
            } else if (o.k === "delete") {
              try { kAns = mapDelete(km.fd, key) ? 0 : -2; } catch (e) { kAns = -(e as { errno: number }).errno; }
              rAns = rm.delete(key);
            } else {
              const v = new Uint8Array(8);
              kAns = mapLookup(km.fd, key, v) ? v[0]! : -2;
              const got = rm.get(key) as Uint8Array | undefined;
              rAns = got ? got[0]! : -2;
            }
            expect({ op: o, answer: rAns }).toEqual({ op: o, answer: kAns });
          }
        } finally { closeFd(km.fd); }
      }), { numRuns: fuzzRuns(60) });
      expect(ops).toBeGreaterThan(60);
    });
  }
});
