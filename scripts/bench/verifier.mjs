// Verifier emulator speed next to the kernel's own verifier on the same programs: the recorded corpus
// (test/fixtures/verifier/corpus.jsonl), grouped by family. Emulator: wall time per program (median of
// 5 runs, warm). Kernel (root only): the "verification time N usec" the kernel reports in its log with
// BPF_LOG_STATS (log_level 4), in the same run.
// Reproduce: npm run bench verifier
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { tsImport } from "tsx/esm/api";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export default async function () {
  const { verifySlots } = await tsImport(join(root, "src/verifier/verifier.ts"), import.meta.url);
  const { hexToSlots } = await tsImport(join(root, "src/verifier/gen.ts"), import.meta.url);
  const { entryMaps, entryProgType } = await tsImport(join(root, "src/verifier/differential.ts"), import.meta.url);
  let kernelVerify;
  if (process.getuid?.() === 0) {
    try { ({ kernelVerify } = await tsImport(join(root, "src/verifier/kernel-compare.ts"), import.meta.url)); } catch { kernelVerify = undefined; }
  }
  const entries = readFileSync(join(root, "test/fixtures/verifier/corpus.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const byFamily = new Map();
  for (const e of entries) {
    const insns = hexToSlots(e.insns);
    const maps = entryMaps(e);
    const pt = entryProgType(e.type);
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      verifySlots(insns, maps, e.license, pt);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    let kus;
    if (kernelVerify) {
      const k = kernelVerify(e.type, insns, maps, e.license, 4);
      kus = k.verificationUsec;
    }
    const f = byFamily.get(e.family) ?? { n: 0, emu: [], kern: [] };
    f.n++;
    f.emu.push(times[2]);
    if (kus !== undefined) f.kern.push(kus);
    byFamily.set(e.family, f);
  }
  const med = (xs) => { if (!xs.length) return undefined; const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const rows = [];
  const all = { n: 0, emu: [], kern: [] };
  for (const [family, f] of [...byFamily].sort()) {
    all.n += f.n; all.emu.push(...f.emu); all.kern.push(...f.kern);
    rows.push({ family, programs: f.n, "emulator median us": med(f.emu)?.toFixed(1), "kernel median us (log stats)": med(f.kern)?.toFixed(0) ?? "n/a",
      ratio: f.kern.length ? (med(f.emu) / Math.max(1, med(f.kern))).toFixed(1) : "n/a" });
  }
  rows.push({ family: "ALL", programs: all.n, "emulator median us": med(all.emu)?.toFixed(1), "kernel median us (log stats)": med(all.kern)?.toFixed(0) ?? "n/a",
    ratio: all.kern.length ? (med(all.emu) / Math.max(1, med(all.kern))).toFixed(1) : "n/a" });
  rows.push(...(await exampleObjects()));
  return rows;
}

/**
 * The same comparison on real objects: every program of bpf/*.bpf.o, emulator (median of 5) next to the
 * kernel's verification time for the same program loaded with its maps and BTF (src/kernel loader).
 */
async function exampleObjects() {
  const { readdirSync } = await import("node:fs");
  const { loadObject } = await tsImport(join(root, "src/elf/index.ts"), import.meta.url);
  const { verifyProgram } = await tsImport(join(root, "src/verifier/verifier.ts"), import.meta.url);
  const { resolveSection } = await tsImport(join(root, "src/progtypes/index.ts"), import.meta.url);
  let kernel;
  if (process.getuid?.() === 0) {
    try { kernel = await tsImport(join(root, "src/kernel/index.ts"), import.meta.url); } catch { kernel = undefined; }
  }
  const rows = [];
  const dir = join(root, "bpf");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".bpf.o")).sort()) {
    const obj = loadObject(new Uint8Array(readFileSync(join(dir, file))), { file });
    for (const p of obj.programs) {
      const sec = resolveSection(p.section);
      const opts = { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}) };
      const times = [];
      let verdict = "";
      for (let i = 0; i < 5; i++) {
        const t0 = process.hrtime.bigint();
        verdict = verifyProgram(p, opts).verdict;
        times.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      times.sort((a, b) => a - b);
      let kus = "n/a";
      if (kernel) {
        try {
          // log_level 4 (BPF_LOG_STATS): the kernel reports its own "verification time N usec".
          const loaded = kernel.loadProgramIntoKernel(p, { logLevel: 4 });
          const m = /verification time (\d+) usec/.exec(loaded.log ?? "");
          if (m) kus = m[1];
          loaded.close();
        } catch (err) { kus = `load failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`; }
      }
      rows.push({ family: `${file}:${p.name}`, programs: 1, "emulator median us": `${times[2].toFixed(1)} (${verdict})`,
        "kernel median us (log stats)": kus, ratio: /^\d+$/.test(kus) ? (times[2] / Math.max(1, Number(kus))).toFixed(1) : "n/a" });
    }
  }
  return rows;
}
