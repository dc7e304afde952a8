// Truncated, corrupted and mutated objects: loadObject returns or throws a BpfkitError whose diagnostics
// say where (section, offset or pc); never another exception, never a hang.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { loadObject } from "../../src/elf/index.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
const FIXTURES = ["calls", "callbacks", "global_data", "legacy_maps", "iproute2_maps", "map_in_map", "maps_btf", "unsupported"]
  .map((n) => readFileSync(join(dir, `${n}.o`)));

/** Load and classify: "ok", or the error's codes. Anything but a located BpfkitError fails the property. */
function tryLoad(bytes: Uint8Array): string {
  const started = performance.now();
  try {
    loadObject(bytes, { file: "fuzz.o", allowUnsupported: true });
    return "ok";
  } catch (e) {
    if (!(e instanceof BpfkitError)) throw new Error(`not a BpfkitError: ${(e as Error)?.stack ?? e}`);
    for (const d of e.diagnostics) {
      const located = d.section !== undefined || d.offset !== undefined || d.pc !== undefined || d.code === "BK4010" || d.code === "BK4009";
      if (!located) throw new Error(`diagnostic without a location: ${d.code} ${d.message}`);
    }
    return e.diagnostics.map((d) => d.code).join(",");
  } finally {
    const ms = performance.now() - started;
    if (ms > 2000) throw new Error(`loadObject took ${ms.toFixed(0)} ms`);
  }
}

const fixture = fc.integer({ min: 0, max: FIXTURES.length - 1 }).map((i) => FIXTURES[i]!);

describe("fuzzing loadObject", () => {
  it("every fixture loads unmodified", () => {
    for (const f of FIXTURES) expect(tryLoad(f)).toBe("ok");
  });

  it("truncated objects give located errors", () => {
    fc.assert(fc.property(fixture, fc.double({ min: 0, max: 1, noNaN: true }), (f, frac) => {
      tryLoad(f.subarray(0, Math.floor(f.length * frac)));
    }), { numRuns: fuzzRuns(300) });
  });

  it("corrupted bytes (anywhere, and in the header and section/symbol/relocation tables) give located errors", () => {
    const mutation = fc.record({
      region: fc.constantFrom("any", "header", "shdrs", "tail"),
      at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    });
    fc.assert(fc.property(fixture, fc.array(mutation, { minLength: 1, maxLength: 6 }), (f, muts) => {
      const b = f.slice();
      // From the unmodified file: an earlier mutation may have corrupted the header's copy.
      const shoff = Math.min(Number(new DataView(f.buffer, f.byteOffset).getBigUint64(40, true)), f.length - 1);
      for (const m of muts) {
        const [lo, hi] = m.region === "header" ? [0, 64] : m.region === "shdrs" ? [shoff, b.length] : m.region === "tail" ? [Math.floor(b.length / 2), b.length] : [0, b.length];
        const pos = lo + Math.floor(m.at * (hi - lo));
        b.set(m.bytes.subarray(0, Math.max(0, b.length - pos)), pos);
      }
      tryLoad(b);
    }), { numRuns: fuzzRuns(1500) });
  });

  it("random bytes behind a valid ELF magic give located errors", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (tail) => {
      const b = new Uint8Array(tail.length + 20);
      b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
      b[18] = 247;
      b.set(tail, 20);
      tryLoad(b);
    }), { numRuns: fuzzRuns(500) });
  });

  it("not an ELF file at all", () => {
    expect(tryLoad(new TextEncoder().encode("r0 = 0\nexit\n"))).toBe("BK4001");
    expect(tryLoad(new Uint8Array(0))).toBe("BK4001");
  });
});
