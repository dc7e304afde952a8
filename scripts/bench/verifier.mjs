// Verifier emulator speed next to the kernel's own verifier on the same programs: the recorded corpus
// (test/fixtures/verifier/corpus.jsonl), grouped by family, then the real objects (bpf/*.bpf.o and the
// C fixtures), one row per object. Emulator: wall time per program (median of
// 5 runs, warm). Kernel (root only): the "verification time N usec" the kernel reports in its log with
// BPF_LOG_STATS (log_level 4), in the same run.
// Reproduce: npm run bench verifier   (VERIFIER_BENCH=objects npm run bench verifier: the real objects only)
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { tsImport } from "tsx/esm/api";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export default async function () {
  if (process.env.VERIFIER_BENCH === "objects") return exampleObjects();
  const { verifySlots } = await tsImport(join(root, "src/verifier/verifier.ts"), import.meta.url);
  const { hexToSlots } = await tsImport(join(root, "src/verifier/raw-hex.ts"), import.meta.url);
  const { entryMaps, entryProgType } = await tsImport(join(root, "src/verifier/differential.ts"), import.meta.url);
  let kernelVerify;
  if (process.getuid?.() === 0) {
    try { ({ kernelVerify } = await tsImport(join(root, "src/testing/kernel-verdict.ts"), import.meta.url)); } catch { kernelVerify = undefined; }
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
 * The same comparison on real objects: every program of bpf/*.bpf.o and of the C fixtures
 * (test/fixtures/verifier/c/*.bpf.o), one row per object: the emulator's time (median of 5 runs per
 * program, 1 run when a program takes over 200 ms) summed over its programs, next to the kernel's
 * verification time for the same programs loaded with their maps and BTF (src/kernel loader), in the
 * same run (median of 3 loads). A rejected program counts too: the kernel prints its statistics on failure as well.
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
  const objects = [];
  for (const dir of ["bpf", "test/fixtures/verifier/c"]) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith(".bpf.o")).sort()) {
      objects.push({ dir, file, obj: loadObject(new Uint8Array(readFileSync(join(root, dir, file))), { file }) });
    }
  }
  const optionsOf = (p) => {
    const sec = resolveSection(p.section);
    // the options test/verifier/c-programs.test.ts verifies with (callbacks need the BTF func info)
    return { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 };
  };
  // warm-up: the first object measured should not pay for compiling the emulator
  for (const { dir, obj } of objects) if (dir === "bpf") for (const p of obj.programs) verifyProgram(p, optionsOf(p));
  const rows = [];
  const all = { emu: 0, kern: 0, kernKnown: true, logRatios: [] };
  for (const { dir, file, obj } of objects) {
    let emu = 0, kern = 0, kernKnown = kernel !== undefined, accepted = 0, kernelNote = "";
    for (const p of obj.programs) {
      const opts = optionsOf(p);
      const times = [];
      let verdict = "";
      for (let i = 0; i < 5 && !(i === 1 && times[0] > 200_000); i++) {
        const t0 = process.hrtime.bigint();
        verdict = verifyProgram(p, opts).verdict;
        times.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      times.sort((a, b) => a - b);
      emu += times[Math.floor(times.length / 2)];
      if (verdict === "accept") accepted++;
      if (!kernel) continue;
      const kTimes = [];
      for (let i = 0; i < 3 && !(i === 1 && kTimes[0] > 200_000); i++) {
        let log = "";
        try {
          // log_level 4 (BPF_LOG_STATS): the kernel reports its own "verification time N usec".
          const loaded = kernel.loadProgramIntoKernel(p, { logLevel: 4 });
          log = loaded.log ?? "";
          loaded.close();
        } catch (err) {
          log = err?.log ?? "";
          if (!log) kernelNote = `load failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
        }
        const m = /verification time (\d+) usec/.exec(log);
        if (!m) break;
        kTimes.push(Number(m[1]));
      }
      kTimes.sort((a, b) => a - b);
      if (kTimes.length) kern += kTimes[Math.floor(kTimes.length / 2)]; else kernKnown = false;
    }
    all.emu += emu;
    if (kernKnown) { all.kern += kern; all.logRatios.push(Math.log(emu / Math.max(1, kern))); } else all.kernKnown = false;
    rows.push({ family: `${dir === "bpf" ? "bpf/" : "c/"}${file} (${obj.programs.length} progs, ${accepted} accepted)`, programs: obj.programs.length,
      "emulator median us": emu.toFixed(1), "kernel median us (log stats)": kernKnown ? String(kern) : kernelNote || "n/a",
      ratio: kernKnown ? (emu / Math.max(1, kern)).toFixed(1) : "n/a" });
  }
  rows.push({ family: "ALL objects (sum)", programs: rows.reduce((n, r) => n + r.programs, 0), "emulator median us": all.emu.toFixed(1),
    "kernel median us (log stats)": all.kernKnown ? String(all.kern) : "n/a", ratio: all.kernKnown ? (all.emu / Math.max(1, all.kern)).toFixed(1) : "n/a" });
  // the sum is the slowest program's figure (loops.bpf.o walks 1M instructions): the typical object's ratio is the geometric mean
  if (all.logRatios.length) {
    rows.push({ family: "geometric mean of the object ratios", programs: rows.length - 1, "emulator median us": "", "kernel median us (log stats)": "",
      ratio: Math.exp(all.logRatios.reduce((a, b) => a + b, 0) / all.logRatios.length).toFixed(1) });
  }
  return rows;
}
