// The emulator against the kernel's verdicts recorded by scripts/verifier-selftests/record.ts: every
// program the kernel was handed (libbpf's final instructions, maps, BTF, attach target) is verified by
// the emulator with the running kernel's BTF as the target BTF, and the agreement is printed overall and
// per feature group (what the program uses: kfuncs by set, dynptrs, iterators, BTF pointers, ...).
//
//   npx tsx scripts/verifier-selftests/agree.ts [--work DIR] [--btf FILE] [--only SUBSTR] [--show N] [--classes N] [--group NAME] [--json FILE]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBtf, type Btf } from "../../src/btf/index.js";
import type { RawInsn } from "../../src/verifier/cfg.js";
import { verifySlots } from "../../src/verifier/verifier.js";
import { type LibbpfRecord, kernelOf, optionsOf, readRecords as readLibbpfRecords } from "../../test/support/libbpf-records.js";

export type SelftestRecord = LibbpfRecord;

export function readRecords(dir: string, only = ""): SelftestRecord[] {
  const out: SelftestRecord[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".jsonl") && (!only || x.includes(only))).sort()) out.push(...readLibbpfRecords(join(dir, f)));
  return out;
}

/** Feature groups a program belongs to, from what it calls and how it is loaded. */
export function groupsOf(r: SelftestRecord, slots: RawInsn[], btf: Btf | undefined): string[] {
  const g = new Set<string>();
  const kfuncs = slots.filter((s) => s.code === 0x85 && s.src === 2).map((s) => btf?.types[s.imm]?.name ?? `#${s.imm}`);
  for (const k of kfuncs) {
    if (/^bpf_dynptr|^bpf_dynptr_slice/.test(k)) g.add("dynptr");
    else if (/^bpf_iter_/.test(k)) g.add("iterators");
    else if (/^bpf_xdp_metadata/.test(k)) g.add("xdp-metadata");
    else if (/_ct_|^bpf_ct/.test(k)) g.add("conntrack");
    else if (/^bpf_cpumask/.test(k)) g.add("cpumask");
    else if (/^bpf_(obj|percpu_obj)_(new|drop)|refcount|^bpf_list|^bpf_rbtree/.test(k)) g.add("local-kptr");
    else if (/^bpf_rcu_read/.test(k)) g.add("rcu");
    else if (/^bpf_(rdonly_cast|cast_to_kern_ctx)/.test(k)) g.add("casts");
    else if (/^bpf_arena/.test(k)) g.add("arena");
    else g.add("kfunc-other");
  }
  const helpers = new Set(slots.filter((s) => s.code === 0x85 && s.src === 0).map((s) => s.imm));
  // ringbuf dynptr helpers and dynptr_read/write/data
  if ([197, 198, 199, 201, 202, 203].some((h) => helpers.has(h))) g.add("dynptr");
  if ([136, 137, 138, 145, 146, 158, 159].some((h) => helpers.has(h))) g.add("btf-ptr");
  if (slots.some((s) => s.code === 0xbf && s.off === 1)) g.add("arena");
  if (r.progType === 26 || r.progType === 29 || r.progType === 27 || r.progType === 28) g.add(r.progType === 29 ? "lsm" : "tracing-btf");
  if (/global_ptr_args|global_subprogs|test_global_func|arg_tag/.test(r.object)) g.add("global-args");
  if (!g.size) g.add("plain");
  return [...g];
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
  const work = opt("--work", process.env.BPFKIT_SELFTESTS_WORK ?? "/work/scratch/vfeat");
  const show = Number(opt("--show", "0"));
  const classes = Number(opt("--classes", "30"));
  const group = opt("--group", "");
  const targetBtf = parseBtf(new Uint8Array(readFileSync(opt("--btf", "/sys/kernel/btf/vmlinux"))));
  const recs = readRecords(join(work, "records"), opt("--only", ""));
  interface Row { file: string; prog: string; section: string; groups: string[]; kernel: string; kernelErr: string; ours: string; oursErr: string; kProc?: number; oProc: number }
  const rows: Row[] = [];
  let notLoadable = 0;
  for (const r of recs) {
    // EPERM without a log: this machine refuses the program type before the verifier runs (fentry,
    // fexit, fmod_ret and LSM programs here), so there is no kernel verdict to compare with
    const k = kernelOf(r);
    if (!k) { notLoadable++; continue; }
    const { slots, maps, opts } = optionsOf(r, targetBtf);
    const groups = groupsOf(r, slots, targetBtf);
    if (group && !groups.includes(group)) continue;
    let ours: ReturnType<typeof verifySlots>;
    try { ours = verifySlots(slots, maps, r.license ?? "", opts); } catch (e) {
      ours = { verdict: "reject", error: { pc: -1, message: `CRASH ${String(e).split("\n")[0]}`, errno: 0 }, log: "", stats: { processed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, stackDepth: [] } };
    }
    const row: Row = { file: r.object.split("/").pop()!.replace(/\.o$/, ""), prog: r.name, section: r.section ?? "", groups, kernel: k.verdict,
      kernelErr: k.error ?? "", ours: ours.verdict, oursErr: ours.error?.message.split("\n")[0] ?? "", oProc: ours.stats.processed };
    if (k.processed !== undefined) row.kProc = k.processed;
    rows.push(row);
  }
  const pct = (a: number, b: number): string => `${a}/${b} = ${(100 * a / Math.max(1, b)).toFixed(1)}%`;
  const agree = rows.filter((r) => r.kernel === r.ours);
  const unsafe = rows.filter((r) => r.kernel === "reject" && r.ours === "accept");
  const rejects = rows.filter((r) => r.kernel === "reject");
  console.log(`records: ${recs.length} programs, ${notLoadable} not loadable here (module kfuncs, arena maps, runtime-sized maps, freplace; fentry/fexit/LSM refused with EPERM)`);
  console.log(`verdicts: ${pct(agree.length, rows.length)}; unsafe accepts (kernel rejects, emulator accepts): ${unsafe.length}; over-strict: ${rows.filter((r) => r.kernel === "accept" && r.ours === "reject").length}`);
  console.log(`first error line on kernel rejections: ${pct(rejects.filter((r) => r.ours === "reject" && r.oursErr === r.kernelErr).length, rejects.length)}`);
  const sets = [["verifier_*.c", (r: Row) => r.file.startsWith("verifier_")], ["feature files", (r: Row) => !r.file.startsWith("verifier_")]] as const;
  for (const [name, f] of sets) {
    const sub = rows.filter(f);
    console.log(`  ${name.padEnd(14)} ${pct(sub.filter((r) => r.kernel === r.ours).length, sub.length)}, unsafe ${sub.filter((r) => r.kernel === "reject" && r.ours === "accept").length}`);
  }
  console.log("per feature group (a program may be in several):");
  const allGroups = [...new Set(rows.flatMap((r) => r.groups))].sort();
  for (const g of allGroups) {
    const sub = rows.filter((r) => r.groups.includes(g));
    console.log(`  ${g.padEnd(14)} ${pct(sub.filter((r) => r.kernel === r.ours).length, sub.length)}, unsafe ${sub.filter((r) => r.kernel === "reject" && r.ours === "accept").length}`);
  }
  const blur = (s: string): string => s.replace(/-?\d+/g, "N").slice(0, 100);
  const cls = new Map<string, number>();
  for (const r of rows) {
    if (r.kernel === r.ours) continue;
    const key = r.kernel === "reject" ? `UNSAFE k:${blur(r.kernelErr)}` : `STRICT o:${blur(r.oursErr)}`;
    cls.set(key, (cls.get(key) ?? 0) + 1);
  }
  console.log("\ndisagreement classes:");
  for (const [k, n] of [...cls].sort((a, b) => b[1] - a[1]).slice(0, classes)) console.log(`${String(n).padStart(4)} ${k}`);
  for (const r of rows.filter((x) => x.kernel !== x.ours).slice(0, show)) {
    console.log(`\n${r.file}:${r.prog} [${r.section}] {${r.groups.join(",")}}\n  kernel: ${r.kernel} ${r.kernelErr}\n  ours:   ${r.ours} ${r.oursErr}`);
  }
  const jsonOut = opt("--json", "");
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 0));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
