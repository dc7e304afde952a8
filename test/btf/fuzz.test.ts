// Truncated, corrupted and inconsistent BTF (object BTF from the fixtures, the start of vmlinux's, split
// BTF on a base, .BTF.ext): opening it, decoding every type, looking names up, sizing, and resolving CO-RE
// relocations against it either work or fail with BK4007/BK4008 or libbpf's refusal (CoreReloError),
// never another exception and never a hang.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { alignOf, describeType, parseBtf, parseBtfExt, resolveSize, type Btf } from "../../src/btf/index.js";
import { CoreReloError, findCandidates, resolveCoreRelo } from "../../src/btf/core.js";
import { readElf } from "../../src/elf/index.js";
import { BUNDLED } from "../../src/load/node.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
// plain copies: a Buffer's slice() is a view, and the properties mutate their own copy of these
const sectionOf = (name: string, sec: string): Uint8Array => new Uint8Array(readElf(new Uint8Array(readFileSync(join(dir, `${name}.o`)))).sections.find((s) => s.name === sec)!.data);
const OBJECT_BTF = ["core_task", "core_xdp", "externs", "calls", "maps_btf"].map((n) => ({ btf: sectionOf(n, ".BTF"), ext: sectionOf(n, ".BTF.ext") }));
const vmlinux = parseBtf(new Uint8Array(gunzipSync(readFileSync(BUNDLED.btf))), { name: "vmlinux", eager: false });

const expected = (e: unknown): boolean => e instanceof BpfkitError || e instanceof CoreReloError;

/** Open and use every part of a BTF blob; returns "ok" or the error class. */
function exercise(bytes: Uint8Array, lazy: boolean): string {
  const t0 = performance.now();
  try {
    const btf = parseBtf(bytes, { eager: !lazy, name: "fuzz" });
    for (let id = 0; id < btf.count; id++) {
      const t = btf.type(id);
      if (id === 0) continue;
      resolveSize(btf, id);
      alignOf(btf, id);
      describeType(btf, id);
      if (t.name) expect(btf.idsByName(t.name)).toContain(id);
    }
    coreAgainstVmlinux(btf);
    return "ok";
  } catch (e) {
    if (!expected(e)) throw new Error(`unexpected ${(e as Error)?.stack ?? e}`);
    return (e as Error).constructor.name;
  } finally {
    if (performance.now() - t0 > 3000) throw new Error("took more than 3 s");
  }
}

/** Field, type and enum relocations of every named local struct/enum against the real vmlinux BTF. */
function coreAgainstVmlinux(local: Btf): void {
  for (let id = 1; id < Math.min(local.count, 400); id++) {
    const t = local.type(id);
    if (!t.name || !(t.kind === 4 || t.kind === 5 || t.kind === 6)) continue;
    const cands = findCandidates(local, id, vmlinux);
    for (const [kind, access] of [[0, "0:0"], [2, "0:1"], [8, "0"], [9, "0"], [12, "0"], [10, "0"], [11, "0"], [1, "1:0"]] as const) {
      try { resolveCoreRelo(local, { insnOff: 0, typeId: id, accessStr: access, kind }, cands); } catch (e) { if (!expected(e)) throw e; }
    }
  }
}

describe("fuzzing the BTF reader and CO-RE", () => {
  it("the fixtures' BTF opens and relocates against vmlinux", () => {
    for (const { btf, ext } of OBJECT_BTF) {
      expect(exercise(btf, false)).toBe("ok");
      parseBtfExt(ext, parseBtf(btf));
    }
  });
  const blob = fc.integer({ min: 0, max: OBJECT_BTF.length - 1 }).map((i) => OBJECT_BTF[i]!);
  it("truncated BTF", () => {
    fc.assert(fc.property(blob, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (b, frac, lazy) => {
      exercise(b.btf.subarray(0, Math.floor(b.btf.length * frac)), lazy);
    }), { numRuns: fuzzRuns(200) });
  });
  it("corrupted BTF: header, type records and strings", () => {
    const mutation = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }), header: fc.boolean() });
    fc.assert(fc.property(blob, fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.boolean(), (b, muts, lazy) => {
      const bytes = b.btf.slice();
      for (const m of muts) {
        const pos = Math.min(bytes.length - 1, Math.floor(m.at * (m.header ? 24 : bytes.length)));
        bytes.set(m.bytes.subarray(0, bytes.length - pos), pos);
      }
      exercise(bytes, lazy);
    }), { numRuns: fuzzRuns(400) });
  });
  it("inconsistent BTF: type references and string offsets rewritten to anything", () => {
    fc.assert(fc.property(blob, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.oneof(fc.nat(64), fc.nat(100000), fc.constant(0xffffffff))), { minLength: 1, maxLength: 8 }), (b, muts) => {
      const bytes = b.btf.slice();
      const v = new DataView(bytes.buffer);
      const typeLen = v.getUint32(12, true);
      // rewrite whole words of the type section: type ids, string offsets, sizes, vlens
      for (const [at, x] of muts) v.setUint32(24 + 4 * Math.floor(at * (typeLen / 4)), x >>> 0, true);
      exercise(bytes, true);
    }), { numRuns: fuzzRuns(150) });
  });
  it("corrupted .BTF.ext", () => {
    fc.assert(fc.property(blob, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.uint8Array({ minLength: 1, maxLength: 8 }), (b, at, bytes) => {
      const ext = b.ext.slice();
      const pos = Math.floor(at * ext.length);
      ext.set(bytes.subarray(0, ext.length - pos), pos);
      try { parseBtfExt(ext, parseBtf(b.btf)); } catch (e) { if (!(e instanceof BpfkitError)) throw e; }
    }), { numRuns: fuzzRuns(300) });
  });
  it("the start of vmlinux's BTF, cut anywhere, opens lazily or says where it ends", () => {
    const raw = new Uint8Array(gunzipSync(readFileSync(BUNDLED.btf)));
    fc.assert(fc.property(fc.integer({ min: 0, max: 200000 }), (n) => {
      try { parseBtf(raw.subarray(0, n), { eager: false }); } catch (e) { if (!(e instanceof BpfkitError)) throw e; }
    }), { numRuns: fuzzRuns(30) });
  });
});
