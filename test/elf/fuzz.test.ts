// Truncated, corrupted and mutated objects: loadObject returns or throws a BpfkitError whose diagnostics
// say where (section, offset or pc); never another exception, never a hang.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { loadObject, readElf, type TargetKernel } from "../../src/elf/index.js";
import { BtfBuilder, parseBtf } from "../../src/btf/index.js";
import { bundledTarget } from "../../src/load/node.js";
import { slotCount } from "../../src/isa/index.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
const FIXTURES = ["calls", "callbacks", "global_data", "legacy_maps", "iproute2_maps", "map_in_map", "maps_btf", "unsupported", "core_task", "core_xdp", "externs", "arena", "struct_ops"]
  // plain copies: a Buffer's slice() is a view, and the properties below mutate their slice
  .map((n) => new Uint8Array(readFileSync(join(dir, `${n}.o`))));
const target = bundledTarget();

/**
 * Load and classify: "ok", or the error's codes. Anything but a located BpfkitError fails the property, and
 * so does a program status that does not say where: a CO-RE or extern problem names its pc inside the
 * program, and a CO-RE one the relocation's kind and type.
 */
function tryLoad(bytes: Uint8Array, t: TargetKernel = target): string {
  const started = performance.now();
  try {
    const obj = loadObject(bytes, { file: "fuzz.o", target: t });
    for (const p of obj.programs) {
      for (const u of p.unsupported ?? []) {
        if (!u.what) throw new Error(`program ${p.name}: an empty status`);
        if (/^(CO-RE relocation|extern)/.test(u.what) && u.pc === undefined && !/is neither __kconfig|in no BTF|has no BTF/.test(u.what)) throw new Error(`program ${p.name}: no pc in '${u.what}'`);
        if (u.pc !== undefined && (u.pc < 0 || u.pc >= slotCount(p.insns))) throw new Error(`program ${p.name}: pc ${u.pc} outside the program in '${u.what}'`);
        if (u.what.startsWith("CO-RE relocation") && !/^CO-RE relocation #\d+ \([\w()]+ of .+, access .*\): ./.test(u.what)) throw new Error(`program ${p.name}: CO-RE status without kind and type: '${u.what}'`);
      }
    }
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

  it("CO-RE records pointing anywhere, at any type, with any access string or kind: located errors or per-program statuses", () => {
    const base = new Uint8Array(readFileSync(join(dir, "core_task.o")));
    const elf = readElf(base);
    const ext = elf.sections.find((s) => s.name === ".BTF.ext")!;
    const v = new DataView(base.buffer, base.byteOffset);
    const hdr = v.getUint32(ext.offset + 4, true);
    const start = ext.offset + hdr + v.getUint32(ext.offset + 24, true), end = start + v.getUint32(ext.offset + 28, true);
    // the position of every CO-RE record (rec_size, then per section: name, count, records)
    const records: number[] = [];
    for (let p = start + 4; p < end;) {
      const n = v.getUint32(p + 4, true);
      for (let i = 0; i < n; i++) records.push(p + 8 + i * 16);
      p += 8 + n * 16;
    }
    expect(records.length).toBeGreaterThan(30);
    const field = fc.constantFrom(0, 4, 8, 12); // insn_off, type_id, access_str_off, kind
    const val = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffff }), fc.constant(0xffffffff), fc.integer({ min: 0, max: 2 ** 31 }));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(records.length - 1), field, val), { minLength: 1, maxLength: 4 }), (muts) => {
      const b = base.slice();
      const w = new DataView(b.buffer, b.byteOffset);
      for (const [r, f, x] of muts) w.setUint32(records[r]! + f, x >>> 0, true);
      tryLoad(b);
    }), { numRuns: fuzzRuns(400) });
  });

  it("a target BTF without the needed types: every relocation is poisoned or absent, named, never a crash", () => {
    const b = new BtfBuilder();
    b.int("int", 4, true);
    const tiny: TargetKernel = { source: "custom", description: "a tiny BTF", btf: () => parseBtf(b.bytes(), { name: "tiny" }) };
    for (const name of ["core_task", "core_xdp", "externs"]) expect(tryLoad(readFileSync(join(dir, `${name}.o`)), tiny)).toBe("ok");
    const obj = loadObject(readFileSync(join(dir, "core_task.o")), { file: "core_task.o", target: tiny });
    const relos = obj.programs.flatMap((p) => p.relocations ?? []);
    expect(relos.filter((r) => r.poisoned).map((r) => r.poisoned)).toContain("the target has no struct named task_struct");
    expect(relos.every((r) => r.poisoned !== undefined || r.value !== undefined)).toBe(true);
    // and a corrupt target: the error names it
    const corrupt: TargetKernel = { source: "custom", description: "corrupt", btf: () => parseBtf(new Uint8Array(30), { name: "corrupt.btf" }) };
    expect(tryLoad(readFileSync(join(dir, "core_task.o")), corrupt)).toBe("BK4007");
  });

  it("not an ELF file at all", () => {
    expect(tryLoad(new TextEncoder().encode("r0 = 0\nexit\n"))).toBe("BK4001");
    expect(tryLoad(new Uint8Array(0))).toBe("BK4001");
  });
});
