// What the emulator says about every program we have, in one file, so that a change meant to be
// semantics-preserving (a faster scalar domain, cheaper state copies) can be shown to change nothing:
// verdict, first error line, processed count and state statistics, and a hash of the whole log at
// levels 1 and 2, for the differential corpus, the sweep finds, the precision and stack-liveness
// fixtures, the C fixtures, bpf/, the committed real-program and selftest corpora (when present), and any
// objects given with --obj (e.g. the locally built kernel selftests or Katran).
//   npx tsx scripts/verifier-snapshot.ts --out before.json [--obj DIR_OR_FILE.o]... [--no-level2] [--only SUBSTRING]
//   npx tsx scripts/verifier-snapshot.ts --out after.json ... --diff before.json     (prints every difference)
// Bundled with esbuild it runs several times faster (see scripts/verifier-profile.ts). Every program is
// verified for a 2-CPU machine (bpf_get_smp_processor_id's bound), so snapshots compare across machines.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadObject } from "../src/elf/index.js";
import type { Program } from "../src/program/program.js";
import { resolveSection } from "../src/progtypes/index.js";
import { assemble } from "../src/text/assembler.js";
import { toRawSlots, verifyProgram, verifySlots, type VerifyOptions, type VerifyResult } from "../src/verifier/verifier.js";
import { entryMaps, entryProgType, type CorpusEntry } from "../test/support/verifier-differential.js";
import { hexToSlots } from "../test/support/verifier-gen.js";

const args = process.argv.slice(2);
const argOf = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const objArgs = args.flatMap((a, i) => (a === "--obj" ? [args[i + 1]!] : []));
const only = argOf("--only");
const level2 = !args.includes("--no-level2");
/** Level-2 logs are hashed only below this many processed instructions (a 1M-insn log takes minutes to write). */
const LEVEL2_MAX = 200_000;

interface Snap {
  verdict: string; error?: string; processed: number; states: number; peak: number; maxPerInsn: number;
  log1?: string; log2?: string;
}

const hash = (s: string): string => createHash("sha1").update(s).digest("hex").slice(0, 16);
const out: Record<string, Snap> = {};

function record(key: string, run: (o: Partial<VerifyOptions>) => VerifyResult): void {
  if (only && !key.includes(only)) return;
  const r = run({ timeoutMs: 600_000, nrCpus: 2 });
  const s: Snap = { verdict: r.verdict, processed: r.stats.processed, states: r.stats.totalStates, peak: r.stats.peakStates, maxPerInsn: r.stats.maxStatesPerInsn };
  if (r.error) s.error = r.error.message.split("\n")[0]!;
  if (r.stats.processed < LEVEL2_MAX * 5) s.log1 = hash(run({ logLevel: 1, timeoutMs: 600_000, nrCpus: 2 }).log);
  if (level2 && r.stats.processed < LEVEL2_MAX) s.log2 = hash(run({ logLevel: 2, timeoutMs: 600_000, nrCpus: 2 }).log);
  out[key] = s;
}

function jsonl(file: string): void {
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const e = JSON.parse(line) as CorpusEntry;
    const insns = hexToSlots(e.insns), maps = entryMaps(e), pt = entryProgType(e.type);
    record(`${basename(file)}:${e.id}`, (o) => verifySlots(insns, maps, e.license, { ...pt, ...o }));
  }
}

function asmDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".s")).sort()) {
    const p = assemble(readFileSync(join(dir, f), "utf8"), { file: f });
    record(`${dir}/${f}`, (o) => verifySlots(toRawSlots(p.insns), p.maps, "GPL", { ...entryProgType("socket"), ...o }));
  }
}

function objects(path: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const f of readdirSync(path).sort()) {
      const full = join(path, f);
      if (statSync(full).isDirectory() || f.endsWith(".o")) objects(full);
    }
    return;
  }
  let programs: Program[];
  try { programs = loadObject(new Uint8Array(readFileSync(path)), { file: basename(path), allowUnsupported: true }).programs; } catch { return; }
  for (const p of programs) {
    const section = p.section.replace(/^\?/, "");
    const sec = resolveSection(section);
    if (!sec) continue;
    const base: VerifyOptions = { progType: sec.progType, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 };
    if (sec.attachType !== undefined) base.attachType = sec.attachType;
    const prog: Program = { ...p, section };
    record(`${path}:${p.name}`, (o) => verifyProgram(prog, { ...base, ...o }));
  }
}

const t0 = Date.now();
jsonl("test/fixtures/verifier/corpus.jsonl");
jsonl("test/fixtures/verifier/sweep-found.jsonl");
asmDir("test/fixtures/verifier/precision");
asmDir("test/fixtures/verifier/stack-liveness");
objects("test/fixtures/verifier/c");
objects("bpf");
objects("test/fixtures/real");
objects("test/fixtures/selftests");
for (const o of objArgs) objects(o);
console.log(`${Object.keys(out).length} programs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const outFile = argOf("--out");
if (outFile) writeFileSync(outFile, JSON.stringify(out, null, 0).replace(/},"/g, '},\n"') + "\n");
const diffFile = argOf("--diff");
if (diffFile) {
  const before = JSON.parse(readFileSync(diffFile, "utf8")) as Record<string, Snap>;
  let n = 0;
  for (const [k, a] of Object.entries(before)) {
    const b = out[k];
    if (!b) continue;
    const fields = (Object.keys({ ...a, ...b }) as (keyof Snap)[]).filter((f) => a[f] !== b[f]);
    if (!fields.length) continue;
    n++;
    console.log(`${k}: ${fields.map((f) => `${f} ${a[f]} -> ${b[f]}`).join("; ")}`);
  }
  console.log(`${n} of ${Object.keys(before).length} programs differ`);
  process.exitCode = n ? 1 : 0;
}
