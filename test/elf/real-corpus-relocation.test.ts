// Every program of the real-program corpus (test/fixtures/real, 13 projects) and of the kernel's verifier
// selftests (test/fixtures/selftests) that libbpf 1.5 prepared must come out of bpfkit's ELF loader with
// exactly the instructions libbpf handed BPF_PROG_LOAD (test/fixtures/<set>/libbpf/*.json, recorded by
// scripts/real-corpus/record.mjs against the bundled BTF and kernel configuration): CO-RE relocations,
// kfunc and .ksyms BTF ids, .kconfig values, subprograms and map references, byte for byte. Map fds are
// zeroed on both sides; typeless .ksyms addresses are zeroed in the recordings (KASLR moves them), so
// bpfkit is given a kernel symbol table whose addresses are 0.
//
// With a kernel, every program the kernel loaded through libbpf is also loaded through bpfkit's own
// relocation and loader (src/kernel/loader.ts), and must load too.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { loadObject, type ElfObject, type TargetKernel } from "../../src/elf/index.js";
import { encode, toHex } from "../../src/isa/index.js";
import { bundledTarget, BUNDLED } from "../../src/load/node.js";
import type { Program } from "../../src/program/index.js";
import { adjustMaps, jsonFiles } from "../support/corpus.js";
import { describeKernel } from "../support/kernel.js";

const root = join(import.meta.dirname, "../..");
const SETS = ["real", "selftests"] as const;
const bundledSha = createHash("sha256").update(gunzipSync(readFileSync(BUNDLED.btf))).digest("hex");

interface ParityProgram { name: string; section: string; insns?: string; unavailable?: string; adjustedMaps?: string }
interface ParityFile { object: string; targetBtf: { sha256: string }; programs?: ParityProgram[]; openError?: string }
interface KernelProgram { name: string; result: string; progType?: number; expectedAttachType?: number; adjustedMaps?: string }


/** The bundled target, with every kernel symbol at address 0 (as the recordings zero them). */
const target: TargetKernel = { ...bundledTarget(), kallsyms: (names) => new Map(names.map((n) => [n, [{ addr: 0n, type: "T" }]])) };

/** A program's instructions as the recordings hold them: hex, 8 bytes per slot, map fds zeroed. */
function recordedHex(p: Program): string {
  let hex = "";
  for (const i of p.insns) {
    const h = toHex(encode([i]));
    hex += i.opcode === 0x18 && (i.src === 1 || i.src === 2) ? h.slice(0, 8) + "00000000" + h.slice(16) : h;
  }
  return hex;
}

const objects = new Map<string, ElfObject>();
function open(set: string, object: string): ElfObject {
  const key = `${set}/${object}`;
  let o = objects.get(key);
  if (!o) {
    o = loadObject(new Uint8Array(readFileSync(join(root, "test/fixtures", set, object))), { file: object.split("/").pop()!, target });
    objects.set(key, o);
  }
  return o;
}

describe.each(SETS)("%s corpus: bpfkit relocates every program as libbpf 1.5 did", (set) => {
  const files = jsonFiles(join(root, "test/fixtures", set, "libbpf"));
  it("every prepared program, byte for byte", () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const f of files) {
      const rec = JSON.parse(readFileSync(f, "utf8")) as ParityFile;
      if (!rec.programs?.some((p) => p.insns)) continue;
      expect(rec.targetBtf.sha256, `${rec.object}: recorded against the bundled BTF`).toBe(bundledSha);
      const obj = open(set, rec.object);
      for (const want of rec.programs.filter((p) => p.insns)) {
        compared++;
        const ours = obj.programs.find((p) => p.name === want.name);
        if (!ours) { mismatches.push(`${rec.object} ${want.name}: not found`); continue; }
        const refused = (ours.unsupported ?? []).filter((u) => u.refusedByLibbpf);
        if (refused.length) { mismatches.push(`${rec.object} ${want.name}: ${refused[0]!.what}`); continue; }
        const hex = recordedHex(ours);
        if (hex === want.insns) continue;
        let k = 0;
        while (k < hex.length && hex[k] === want.insns![k]) k++;
        const slot = Math.floor(k / 16);
        mismatches.push(`${rec.object} ${want.name}: slot ${slot}: bpfkit ${hex.slice(slot * 16, slot * 16 + 16)}, libbpf ${want.insns!.slice(slot * 16, slot * 16 + 16)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // the corpora as committed: 740 programs compared in the real corpus, 1362 in the selftests (the recorder
    // tells a program's load by its log buffer, so struct_ops siblings libbpf loads together are no longer mixed up)
    expect(compared).toBeGreaterThanOrEqual(set === "real" ? 740 : 1362);
  });
});

describeKernel("corpus programs through bpfkit's relocation and kernel loader", () => {
  // freplace (28) attaches to another loaded program, which the loader does not resolve
  const NOT_LOADABLE = new Set([28]);
  // The first program the kernel loaded, of every third object, to keep the suite's time: all of them load
  // too (`npx tsx scripts/real-corpus-kernel-load.ts` checks every one).
  it.each(SETS)("%s: the first program of each object that the kernel loaded through libbpf loads through bpfkit", async (set) => {
    const { loadProgramIntoKernel } = await import("../../src/kernel/index.js");
    const { resolveTarget } = await import("../../src/load/node.js");
    const kernel = resolveTarget({ forKernel: true });
    const refused: string[] = [];
    let loaded = 0;
    for (const [i, f] of jsonFiles(join(root, "test/fixtures", set, "kernel")).entries()) {
      if (i % 3 !== 0) continue;
      const rec = JSON.parse(readFileSync(f, "utf8")) as { object: string; programs?: KernelProgram[] };
      const k = (rec.programs ?? []).find((x) => x.result === "loaded" && x.progType !== undefined && !NOT_LOADABLE.has(x.progType));
      if (!k) continue;
      const obj = loadObject(new Uint8Array(readFileSync(join(root, "test/fixtures", set, rec.object))), { file: rec.object.split("/").pop()!, target: kernel });
      const p = obj.programs.find((q) => q.name === k.name)!;
      // '?' sections: libbpf forgets the '?' once it has read it
      const prog: Program = { ...adjustMaps(p, k.adjustedMaps), section: p.section.replace(/^\?/, "") };
      Object.defineProperty(prog, "targetBtf", { get: () => p.targetBtf, enumerable: false });
      try {
        loadProgramIntoKernel(prog, { progType: k.progType!, ...(k.expectedAttachType !== undefined ? { expectedAttachType: k.expectedAttachType } : {}) }).close();
        loaded++;
      } catch (e) {
        refused.push(`${rec.object} ${k.name}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
      }
    }
    expect(refused).toEqual([]);
    expect(loaded).toBeGreaterThanOrEqual(set === "real" ? 60 : 25);
  }, 600_000);
});

