// Measures bpfkit against the committed corpus of real programs (test/fixtures/real) and the kernel's
// verifier selftests (test/fixtures/selftests), whose kernel verdicts were recorded by
// scripts/real-corpus/record.mjs. Opens every object with bpfkit's library as a user would (loadObject
// with allowUnsupported, resolveSection, verifyProgram) and prints: objects opened, programs answered,
// verdicts equal to the kernel's, unsafe accepts (bpfkit accepts what the kernel's verifier refused),
// processed-insn counts equal, and why the other programs got no answer, grouped and counted.
//
//   npx tsx scripts/real-corpus-measure.ts [--set real|selftests|all] [--only SUBSTRING] [--limit-ms 20000] [--list REASON_SUBSTRING] [--json FILE]
//
// Uses only the library's entry points, so it keeps working while the internals change; needs no
// kernel (the kernel's side is the recorded data). Each program is verified under a wall-clock limit
// (--limit-ms) so the run always ends; programs over it are counted as "bpfkit over the time limit".
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadObject } from "../src/elf/index.js";
import type { Program } from "../src/program/program.js";
import { resolveSection } from "../src/progtypes/index.js";
import { verifyProgram } from "../src/verifier/verifier.js";
import { bundledTarget } from "../src/load/node.js";
import { programType } from "../src/cli/verify-target.js";
import { adjustMaps } from "../test/support/corpus.js";
import { possibleCpus } from "../src/kernel/maps.js";

const target = bundledTarget();
// bpf_get_smp_processor_id() is bounded by nr_cpu_ids: the recordings were made on this kind of machine,
// so its CPU count is theirs (as `bpfkit verify` uses the host's)
const nrCpus = existsSync("/sys/devices/system/cpu/possible") ? possibleCpus() : undefined;
/** Programs whose relocations (CO-RE, externs, kfuncs) all resolved, so bpfkit could go on to verify them. */
let relocatedFully = 0;

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
const SETS = opt("--set", "all") === "all" ? ["real", "selftests"] : [opt("--set", "all")];
const ONLY = opt("--only", "");
const LIMIT_MS = Number(opt("--limit-ms", "20000"));
const LIST = opt("--list", "");
const JSON_OUT = opt("--json", "");

interface KernelProgram {
  name: string; section: string; autoload: boolean; result: "loaded" | "refused" | "not-prepared" | "recorder-failed";
  errno?: number; processed?: number; firstError?: string; prepareError?: string; progFlags?: number; adjustedMaps?: string;
  /** Refused with an empty log: the verifier said nothing (a capability, LSM or attach check refused it on the recording machine). */
  refusedOutsideVerifier?: boolean;
}
interface KernelFile { object: string; programs: KernelProgram[]; openError?: string }
interface Manifest { objects: { file: string; project: string }[] }

interface Row {
  set: string; object: string; project: string; program: string; section: string; kernel: KernelProgram["result"] | "refused-outside-verifier";
  answered: boolean; reason?: string; ours?: "accept" | "reject"; oursError?: string; kProcessed?: number; oProcessed?: number; ms?: number;
}

/** Group a bpfkit message into a reason class: the feature named, numbers and names blurred. */
function reasonOf(message: string): string {
  const m = message.replace(/\s+/g, " ");
  // first: the unknown-section message lists the known sections (struct_ops, ...)
  if (/unknown (program )?section|names no program type/i.test(m)) {
    const sec = /section '([^']*)'/.exec(m)?.[1] ?? "";
    return `unknown section${sec.startsWith("?") ? " ('?' prefix: not autoloaded by libbpf)" : ""}`;
  }
  if (/CO-RE relocation/i.test(m)) return "CO-RE relocation";
  if (/kfunc/i.test(m)) return "kfunc or extern function";
  if (/extern variable|\.ksyms|\.kconfig/i.test(m)) return "extern variable (.ksyms/.kconfig)";
  if (/struct_ops/i.test(m)) return "struct_ops";
  if (/arena|addr_space/i.test(m)) return "arena";
  return m.replace(/'[^']*'/g, "'…'").replace(/-?\d+/g, "N").slice(0, 100);
}

function readJson<T>(path: string): T { return JSON.parse(readFileSync(path, "utf8")) as T; }


/**
 * Refused where the verifier never judged it: an empty log, or (as test/support/selftests-corpus.ts
 * counts it) no error line and not one instruction processed, only the statistics line (EPERM for
 * trampolines and iterators on the recording machine, before the walk).
 */
function refusedOutside(k: KernelProgram): boolean {
  return k.result === "refused" && (k.refusedOutsideVerifier === true || (!k.firstError && k.processed === 0));
}

function measureObject(set: string, dir: string, object: string, project: string, rows: Row[]): boolean {
  const kfile = join(dir, "kernel", object.replace(/\.bpf\.o$/, ".json"));
  if (!existsSync(kfile)) { console.error(`${object}: no recorded kernel results (${kfile})`); return false; }
  const kernel = readJson<KernelFile>(kfile);
  const base = (k: KernelProgram): Row => ({ set, object, project, program: k.name, section: k.section,
    kernel: refusedOutside(k) ? "refused-outside-verifier" : k.result, answered: false });
  let opened;
  try {
    // relocated against the bundled BTF and configuration, the ones the kernel's results were recorded with
    opened = loadObject(new Uint8Array(readFileSync(join(dir, object))), { file: object.split("/").pop()!, allowUnsupported: true, target });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    for (const k of kernel.programs) {
      // an object-level error names the program it is about when it can (unknown section 'x' of 'prog')
      const own = msg.split("\n").find((l) => l.includes(`'${k.name}'`));
      rows.push({ ...base(k), reason: `object not opened: ${reasonOf(own ?? msg)}` });
    }
    return false;
  }
  for (const k of kernel.programs) {
    const row = base(k);
    const p = opened.programs.find((x) => x.name === k.name);
    if (!p) {
      const why = opened.unsupported.find((u) => u.includes(`'${k.name}'`)) ?? opened.unsupported.find((u) => u.startsWith("section")) ?? "program not found by bpfkit";
      rows.push({ ...row, reason: reasonOf(why) });
      continue;
    }
    // what keeps this program from being used (relocation or extern libbpf refuses, something bpfkit lacks)
    if (p.unsupported?.length) { rows.push({ ...row, reason: reasonOf(p.unsupported[0]!.what) }); continue; }
    relocatedFully++;
    const secName = p.section.replace(/^\?/, "");
    const sec = resolveSection(secName);
    if (!sec) { rows.push({ ...row, reason: "unknown section" }); continue; }
    const prog = adjustMaps({ ...p, section: secName }, k.adjustedMaps);
    const t0 = performance.now();
    try {
      // what `bpfkit verify` hands the verifier: type, attach type, prog_flags from the section table, the
      // target BTF and the attach target's id in it; plus the flags the recording loaded it with (the
      // selftests': BPF_F_TEST_STATE_FREQ, BPF_F_STRICT_ALIGNMENT, ...)
      const kind = programType(secName, undefined, p.name, p, () => target.btf(), () => target.kconfig?.()?.text);
      const progFlags = (kind.progFlags ?? 0) | (k.progFlags ?? 0);
      const r = verifyProgram(prog, { ...kind, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, timeoutMs: LIMIT_MS,
        ...(nrCpus !== undefined ? { nrCpus } : {}), ...(progFlags ? { progFlags } : {}) });
      const ms = performance.now() - t0;
      if (r.verdict === "timeout") {
        rows.push({ ...row, reason: `bpfkit over the time limit (${LIMIT_MS / 1000} s)`, ms });
        continue;
      }
      const out: Row = { ...row, answered: true, ours: r.verdict, oProcessed: r.stats.processed, ms };
      if (r.error) out.oursError = r.error.message.split("\n")[0]!;
      if (k.processed !== undefined) out.kProcessed = k.processed;
      rows.push(out);
    } catch (e) {
      rows.push({ ...row, reason: `bpfkit threw: ${reasonOf(e instanceof Error ? e.message : String(e))}` });
    }
  }
  return true;
}

function report(set: string, rows: Row[], objects: number, opened: number): void {
  const n = (f: (r: Row) => boolean): number => rows.filter(f).length;
  const comparable = rows.filter((r) => r.answered && (r.kernel === "loaded" || r.kernel === "refused"));
  const equal = comparable.filter((r) => (r.kernel === "loaded") === (r.ours === "accept"));
  const unsafe = comparable.filter((r) => r.kernel === "refused" && r.ours === "accept");
  const extra = comparable.filter((r) => r.kernel === "loaded" && r.ours === "reject");
  const procBoth = comparable.filter((r) => r.kernel === "loaded" && r.ours === "accept" && r.kProcessed !== undefined);
  const procEqual = procBoth.filter((r) => r.kProcessed === r.oProcessed);
  const pct = (a: number, b: number): string => `${a}/${b} (${b ? ((100 * a) / b).toFixed(1) : "0.0"}%)`;
  console.log(`\n== ${set}: ${objects} objects, ${opened} opened by bpfkit; ${rows.length} programs`);
  console.log(`kernel: ${n((r) => r.kernel === "loaded")} loaded, ${n((r) => r.kernel === "refused")} refused by the verifier, ${n((r) => r.kernel === "refused-outside-verifier")} refused outside the verifier (empty log), ${n((r) => r.kernel === "not-prepared")} libbpf could not prepare here, ${n((r) => r.kernel === "recorder-failed")} not recorded`);
  console.log(`programs with no per-program status (relocations, externs and kfuncs resolved; section known): ${pct(relocatedFully, rows.length)}`);
  relocatedFully = 0;
  console.log(`programs answered by bpfkit: ${pct(n((r) => r.answered), rows.length)}`);
  console.log(`verdict equal to the kernel's (of ${comparable.length} answered with a kernel verdict): ${pct(equal.length, comparable.length)}`);
  console.log(`  unsafe accepts (kernel's verifier refused, bpfkit accepted): ${unsafe.length}`);
  console.log(`  kernel loaded, bpfkit rejected: ${extra.length}`);
  console.log(`processed insns equal (both accepted): ${pct(procEqual.length, procBoth.length)}`);
  const reasons = new Map<string, number>();
  for (const r of rows.filter((x) => !x.answered)) reasons.set(r.reason!, (reasons.get(r.reason!) ?? 0) + 1);
  console.log("not answered, by reason:");
  for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(6)}  ${k}`);
  if (unsafe.length) {
    console.log("unsafe accepts:");
    for (const r of unsafe.slice(0, 20)) console.log(`  ${r.object}:${r.program} kernel: ${r.kernel} / bpfkit accepted`);
  }
  const extraCls = new Map<string, number>();
  for (const r of extra) { const k = reasonOf(r.oursError ?? ""); extraCls.set(k, (extraCls.get(k) ?? 0) + 1); }
  if (extra.length) {
    console.log("kernel loaded, bpfkit rejected, by bpfkit's message:");
    for (const [k, v] of [...extraCls].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${String(v).padStart(6)}  ${k}`);
  }
  console.log("per project: programs | kernel loaded/verifier-refused/outside/not-prepared | bpfkit answered | equal verdicts");
  for (const project of [...new Set(rows.map((r) => r.project))].sort()) {
    const pr = rows.filter((r) => r.project === project);
    const c = (k: string): number => pr.filter((r) => r.kernel === k).length;
    const cmp = pr.filter((r) => r.answered && (r.kernel === "loaded" || r.kernel === "refused"));
    console.log(`  ${project.padEnd(22)} ${String(pr.length).padStart(5)} | ${c("loaded")}/${c("refused")}/${c("refused-outside-verifier")}/${c("not-prepared")} | ${pr.filter((r) => r.answered).length} | ${cmp.filter((r) => (r.kernel === "loaded") === (r.ours === "accept")).length}/${cmp.length}`);
  }
  if (LIST) for (const r of rows.filter((x) => (x.reason ?? "").includes(LIST))) console.log(`  ${r.object}:${r.program} [${r.section}] ${r.reason}`);
}

function main(): void {
  const all: Row[] = [];
  for (const set of SETS) {
    const dir = join(repo, "test/fixtures", set);
    if (!existsSync(join(dir, "manifest.json"))) { console.log(`${set}: no corpus at ${dir}`); continue; }
    const manifest = readJson<Manifest>(join(dir, "manifest.json"));
    const rows: Row[] = [];
    let opened = 0, objects = 0;
    for (const o of manifest.objects) {
      if (ONLY && !o.file.includes(ONLY)) continue;
      objects++;
      if (measureObject(set, dir, o.file, o.project, rows)) opened++;
    }
    report(set, rows, objects, opened);
    all.push(...rows);
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(all, null, 1) + "\n");
}

main();
