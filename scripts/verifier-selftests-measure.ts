// A local measurement, never a fixture: the kernel's own verifier selftests (the inline-asm programs of
// tools/testing/selftests/bpf/progs/verifier_*.c that need no vmlinux.h) compiled with clang-19 into a
// temporary directory, each program loaded into the running kernel and run through the emulator, and the
// agreement printed. Nothing of the selftests is written into the repository.
//
//   npx tsx scripts/verifier-selftests-measure.ts [--src /work/kernel-src/linux-source-6.12] [--show N] [--only NAME] [--classes N]
//     [--timeout SECONDS (emulator, per program; 20)] [--out rows.json (per program: verdicts, processed counts, times)]
//
// Needs root, bpf(2), clang-19 and a kernel source tree; prints a note and exits 0 when the tree is absent.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadObject } from "../src/elf/index.js";
import type { Program } from "../src/program/program.js";
import { resolveSection } from "../src/progtypes/index.js";
import { verifyProgram } from "../src/verifier/verifier.js";
import { kernelVerifyProgram } from "../src/testing/kernel-verdict.js";
import { possibleCpus } from "../src/kernel/maps.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
const SRC = opt("--src", "/work/kernel-src/linux-source-6.12");
const show = Number(opt("--show", "0"));
const classes = Number(opt("--classes", "25"));
const only = opt("--only", "");
const outFile = opt("--out", "");
const timeoutS = Number(opt("--timeout", "20"));
const SELFTESTS = join(SRC, "tools/testing/selftests/bpf");
const CLANG = process.env.CLANG ?? "clang-19";

interface Row {
  file: string; prog: string; section: string; kernel: string; kernelErr?: string; ours: string; oursErr?: string; kProcessed?: number; oProcessed: number;
  /** The kernel's own "verification time" (usec) and the emulator's wall time (usec), same run. */
  kUsec?: number; oUsec: number;
}

// What the selftests' build takes from tools/include (absent from a linux-source tree): the instruction
// macros some programs embed with __imm_insn, written out here; and an empty gnu/stubs-32.h, which glibc's
// headers ask for when the target (bpf) is not x86_64.
// (scripts/real-corpus/filter-h-stub.h, plus two macros more programs here need)
const INSN_MACROS = readFileSync(join(import.meta.dirname, "real-corpus/filter-h-stub.h"), "utf8") + `
#define BPF_MOVSX64_REG(DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, OFF, 0)
#define BPF_REG_FP BPF_REG_10
`;

function stubIncludes(dir: string): string {
  for (const rel of ["include/linux", "tools/include/linux", "gnu", "x/y/z"]) mkdirSync(join(dir, rel), { recursive: true });
  writeFileSync(join(dir, "include/linux/filter.h"), INSN_MACROS);
  writeFileSync(join(dir, "tools/include/linux/filter.h"), INSN_MACROS);
  writeFileSync(join(dir, "gnu/stubs-32.h"), "");
  return dir;
}

function multiarch(): string {
  try { return execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim(); } catch { return "x86_64-linux-gnu"; }
}

export interface SelftestObjects {
  /** Objects built, one per verifier_*.c that compiled: the source file's name and the object's path. */
  objects: { file: string; obj: string }[];
  vmlinux: number;
  compileFail: number;
  files: number;
}

/**
 * Compile the kernel's progs/verifier_*.c selftests that need no vmlinux.h with clang-19 into the system
 * temp directory (objects are reused when newer than their source). Undefined when the tree is absent.
 */
export function buildSelftestObjects(src = SRC, filter = "", why = false): SelftestObjects | undefined {
  const selftests = join(src, "tools/testing/selftests/bpf");
  if (!existsSync(join(selftests, "progs"))) return undefined;
  const out = join(tmpdir(), "bpfkit-verifier-selftests");
  mkdirSync(out, { recursive: true });
  const progsDir = join(selftests, "progs");
  const files = readdirSync(progsDir).filter((f) => /^verifier_.*\.c$/.test(f) && (!filter || f.includes(filter))).sort();
  const res: SelftestObjects = { objects: [], vmlinux: 0, compileFail: 0, files: files.length };
  const arch = multiarch();
  const inc = stubIncludes(join(out, "inc"));
  for (const f of files) {
    const text = readFileSync(join(progsDir, f), "utf8");
    if (/#include\s+"vmlinux\.h"/.test(text)) { res.vmlinux++; continue; }
    const obj = join(out, f.replace(/\.c$/, ".o"));
    if (!(existsSync(obj) && statSync(obj).mtimeMs > statSync(join(progsDir, f)).mtimeMs)) {
      try {
        execFileSync(CLANG, ["-O2", "-g", "-target", "bpf", "-mcpu=v3", "-D__TARGET_ARCH_x86", "-I", progsDir, "-I", selftests, "-I", join(inc, "x/y/z"), "-I", inc,
          "-I", join(src, "tools/include/uapi"), "-I", `/usr/include/${arch}`, "-w", "-c", join(progsDir, f), "-o", obj], { stdio: "pipe" });
      } catch (e) {
        res.compileFail++;
        if (why) console.log(`${f}: ${String((e as { stderr?: Buffer }).stderr ?? e).split("\n").find((l) => /error/.test(l))}`);
        continue;
      }
    }
    res.objects.push({ file: f, obj });
  }
  return res;
}

function main(): void {
  const built = buildSelftestObjects(SRC, only, args.includes("--why"));
  if (!built) {
    console.log(`no kernel selftests at ${SELFTESTS}: nothing to measure`);
    return;
  }
  const files = Array.from({ length: built.files });
  const rows: Row[] = [];
  let needsTarget = 0, setupFail = 0, compileFail = built.compileFail, unsupported = 0, unknownSection = 0;
  const vmlinux = built.vmlinux;
  for (const { file: f, obj } of built.objects) {
    let programs: Program[];
    try {
      const o = loadObject(new Uint8Array(readFileSync(obj)), { file: f, allowUnsupported: true });
      programs = o.programs;
      unsupported += o.unsupported.length;
    } catch (e) { compileFail++; if (args.includes("--why")) console.log(`${f}: ${String(e).split("\n")[0]}`); continue; }
    for (const p of programs) {
      const secName = p.section.replace(/^\?/, "");
      const sec = resolveSection(secName);
      if (!sec) { unknownSection++; continue; }
      // tracing/struct_ops/ext/lsm load only with a BTF attach target, which this loader does not give
      if ([26, 27, 28, 29].includes(sec.progType)) { needsTarget++; continue; }
      const prog: Program = { ...p, section: secName };
      let k: ReturnType<typeof kernelVerifyProgram>;
      // log level 1 | BPF_LOG_STATS: the first error line and the kernel's own verification time
      try { k = kernelVerifyProgram(prog, 5); } catch { setupFail++; continue; }
      const t0 = process.hrtime.bigint();
      const ours = verifyProgram(prog, { progType: sec.progType, nrCpus: possibleCpus(), ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}),
        hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, timeoutMs: timeoutS * 1000 });
      const oUsec = Number(process.hrtime.bigint() - t0) / 1000;
      const row: Row = { file: f, prog: p.name, section: secName, kernel: k.verdict, ours: ours.verdict, oProcessed: ours.stats.processed, oUsec };
      if (k.error) row.kernelErr = k.error;
      const kp = /processed (\d+) insns/.exec(k.log);
      if (kp) row.kProcessed = Number(kp[1]);
      if (k.verificationUsec !== undefined) row.kUsec = k.verificationUsec;
      if (ours.error) row.oursErr = ours.error.message.split("\n")[0];
      rows.push(row);
    }
  }
  if (outFile) writeFileSync(outFile, JSON.stringify(rows, null, 1) + "\n");
  const agree = rows.filter((r) => r.kernel === r.ours);
  const rejects = rows.filter((r) => r.kernel === "reject");
  const sameLine = rejects.filter((r) => r.ours === "reject" && r.oursErr === r.kernelErr);
  const missed = rows.filter((r) => r.kernel === "reject" && r.ours === "accept");
  const accAcc = rows.filter((r) => r.kernel === "accept" && r.ours === "accept" && r.kProcessed !== undefined);
  const sameProcessed = accAcc.filter((r) => r.kProcessed === r.oProcessed);
  console.log(`selftests progs/verifier_*.c: ${files.length} files (${vmlinux} need vmlinux.h, ${compileFail} did not compile/load), ${unsupported} programs unsupported by the ELF loader, ${unknownSection} unknown sections, ${setupFail} whose maps the kernel would not create, ${needsTarget} needing a BTF attach target`);
  console.log(`programs: ${rows.length} (kernel: ${rows.length - rejects.length} accept, ${rejects.length} reject)`);
  console.log(`verdict agreement: ${agree.length}/${rows.length} = ${(100 * agree.length / Math.max(1, rows.length)).toFixed(1)}%`);
  console.log(`  kernel rejects, emulator accepts (unsound): ${missed.length}`);
  console.log(`  kernel accepts, emulator rejects: ${rows.filter((r) => r.kernel === "accept" && r.ours === "reject").length}`);
  console.log(`first error line on kernel rejections: ${sameLine.length}/${rejects.length} = ${(100 * sameLine.length / Math.max(1, rejects.length)).toFixed(1)}%`);
  console.log(`processed-insn count equal on both-accepted: ${sameProcessed.length}/${accAcc.length}`);
  const withK = rows.filter((r) => r.kProcessed !== undefined && r.kernel === r.ours);
  console.log(`processed-insn count equal, same verdict: ${withK.filter((r) => r.kProcessed === r.oProcessed).length}/${withK.length}`);
  const timed = rows.filter((r) => r.kUsec !== undefined);
  if (timed.length) {
    const ratios = timed.map((r) => r.oUsec / Math.max(1, r.kUsec!)).sort((a, b) => a - b);
    const gm = Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length);
    const worst = timed.reduce((w, r) => (r.oUsec / Math.max(1, r.kUsec!) > w.oUsec / Math.max(1, w.kUsec!) ? r : w));
    console.log(`time: emulator ${(timed.reduce((a, r) => a + r.oUsec, 0) / 1e6).toFixed(1)} s, kernel ${(timed.reduce((a, r) => a + r.kUsec!, 0) / 1e6).toFixed(2)} s; ` +
      `ratio median ${ratios[ratios.length >> 1]!.toFixed(1)}x, geometric mean ${gm.toFixed(1)}x, worst ${ratios[ratios.length - 1]!.toFixed(0)}x (${worst.file}:${worst.prog})`);
  }
  // disagreement classes: the kernel's message (or ours, for a wrong rejection) with numbers blurred
  const blur = (s: string | undefined): string => (s ?? "").replace(/-?\d+/g, "N").slice(0, 90);
  const cls = new Map<string, number>();
  for (const r of rows) {
    if (r.kernel === r.ours && (r.kernel === "accept" || r.oursErr === r.kernelErr)) continue;
    const key = r.kernel === r.ours ? `line  k:${blur(r.kernelErr)} | o:${blur(r.oursErr)}` : r.kernel === "reject" ? `MISSED k:${blur(r.kernelErr)}` : `EXTRA  o:${blur(r.oursErr)}`;
    cls.set(key, (cls.get(key) ?? 0) + 1);
  }
  console.log("\ndisagreement classes:");
  for (const [k, n] of [...cls].sort((a, b) => b[1] - a[1]).slice(0, classes)) console.log(`${String(n).padStart(4)} ${k}`);
  const bad = rows.filter((r) => r.kernel !== r.ours);
  for (const r of bad.slice(0, show)) console.log(`\n${r.file}:${r.prog} [${r.section}]\n  kernel: ${r.kernel} ${r.kernelErr ?? ""}\n  ours:   ${r.ours} ${r.oursErr ?? ""}`);
}

if (process.argv[1] && /verifier-selftests-measure/.test(process.argv[1])) main();
