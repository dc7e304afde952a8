// The programs loadObject links must be, slot for slot, what libbpf 1.5 hands the kernel for the same
// object, with its func_info and line_info (recorded into test/fixtures/elf/*.libbpf.json by
// scripts/build-elf-fixtures.mjs). CO-RE relocations, .kconfig values, kfunc and .ksyms BTF ids are
// resolved against the bundled target BTF and kernel configuration, the ones the recordings were made
// with; typeless .ksyms get the addresses recorded with them. Map fds are compared by map name; objects
// libbpf refuses (legacy maps) are checked against llvm-objdump-derived expectations in object.test.ts.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { encode, toHex } from "../../src/isa/index.js";
import { loadObject } from "../../src/elf/index.js";
import type { TargetKernel } from "../../src/elf/target.js";
import { bundledTarget, BUNDLED } from "../../src/load/node.js";
import type { Program } from "../../src/program/index.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
const bundledSha = createHash("sha256").update(gunzipSync(readFileSync(BUNDLED.btf))).digest("hex");

/** The bundled target, with the typeless .ksyms addresses of the recording's boot. */
export function recordedTarget(kallsyms: Record<string, string> | undefined): TargetKernel {
  const t = bundledTarget();
  return { ...t, kallsyms: (names) => new Map(names.filter((n) => kallsyms?.[n]).map((n) => [n, [{ addr: BigInt(kallsyms![n]!), type: "T" }]])) };
}

/** Our program in the recording's format: one hex slot per entry, map lddw with imm cleared and the map's name. */
export function slotsLikeLibbpf(p: Program): string[] {
  const out: string[] = [];
  for (const insn of p.insns) {
    const hex = toHex(encode([insn]));
    if (insn.opcode === 0x18 && (insn.src === 1 || insn.src === 2)) {
      const map = p.maps[insn.imm]!;
      out.push(hex.slice(0, 8) + "00000000 " + map.name, hex.slice(16));
    } else if (insn.opcode === 0x18) out.push(hex.slice(0, 16), hex.slice(16));
    else out.push(hex);
  }
  return out;
}

const recordings = readdirSync(dir).filter((f) => f.endsWith(".libbpf.json"));

describe("loadObject matches libbpf's relocated instructions", () => {
  it("has recordings for every fixture", () => {
    expect(recordings.length).toBeGreaterThanOrEqual(7);
  });
  for (const rec of recordings) {
    const expected = JSON.parse(readFileSync(join(dir, rec), "utf8"));
    if (expected.unavailable) continue;
    const name = rec.replace(/\.libbpf\.json$/, "");
    it(`${name}.o`, () => {
      if (expected.targetBtfSha256) expect(expected.targetBtfSha256, "recorded against the bundled BTF").toBe(bundledSha);
      const obj = loadObject(readFileSync(join(dir, `${name}.o`)), { file: `${name}.o`, target: recordedTarget(expected.kallsyms) });
      // every program libbpf loaded (it skips `?` sections) is ours, in the same order
      const loaded = new Set(expected.programs.map((p: { name: string }) => p.name));
      expect(obj.programs.map((p) => p.name).filter((n) => loaded.has(n))).toEqual(expected.programs.map((p: { name: string }) => p.name));
      for (const p of obj.programs.filter((q) => loaded.has(q.name))) {
        const want = expected.programs.find((e: { name: string }) => e.name === p.name);
        // what libbpf refuses never reaches the kernel, and everything recorded here did (bpfkit may still lack a model of it)
        expect((p.unsupported ?? []).filter((u) => u.refusedByLibbpf), p.name).toEqual([]);
        expect(p.section).toBe(want.section);
        expect(slotsLikeLibbpf(p)).toEqual(want.insns);
        // func_info / line_info exactly as libbpf passed them in BPF_PROG_LOAD (captured at the syscall).
        expect(want.funcInfo, "recording has func_info").toBeDefined();
        expect(toHex(p.btf?.funcInfo ?? new Uint8Array(0))).toBe(want.funcInfo);
        expect(toHex(p.btf?.lineInfo ?? new Uint8Array(0))).toBe(want.lineInfo);
        expect(p.btf?.funcInfoRecSize).toBe(want.funcInfoRecSize);
        expect(p.btf?.lineInfoRecSize).toBe(want.lineInfoRecSize);
      }
      // The BTF, patched as the kernel needs it, is byte for byte what libbpf passed to BPF_BTF_LOAD.
      expect(toHex(obj.programs[0]!.btf!.raw)).toBe(expected.btf);
      const mapFacts = obj.maps.map((m) => ({ name: m.name, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }));
      expect(mapFacts).toEqual(expected.maps.map((m: Record<string, unknown>) => ({ name: m.name, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })));
    });
  }
});
