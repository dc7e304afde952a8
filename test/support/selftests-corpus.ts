// The kernel's verifier selftests corpus (test/fixtures/selftests: progs/verifier_*.c objects and the
// verdicts Linux 6.18 gave each program) run through bpfkit the way a user runs an object: loadObject,
// then verifyProgram against the bundled target BTF with the program type, attach target and prog_flags
// the kernel was given. Shared by test/verifier/selftests-corpus.test.ts and
// scripts/verifier-selftests/known-differences.ts.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Btf } from "../../src/btf/index.js";
import { loadObject } from "../../src/elf/index.js";
import { bundledTarget } from "../../src/load/node.js";
import { loadAttrs, resolveSection } from "../../src/progtypes/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";

export const SELFTESTS_DIR = new URL("../fixtures/selftests/", import.meta.url).pathname;
export const KNOWN_DIFFERENCES = new URL("../verifier/selftests-known-differences.json", import.meta.url).pathname;

interface KernelProgram {
  name: string; section: string; result: "loaded" | "refused" | "not-prepared" | "recorder-failed"; refusedOutsideVerifier?: boolean;
  progType?: number; expectedAttachType?: number; progFlags?: number; firstError?: string; processed?: number;
}
interface LibbpfProgram { name: string; attachBtfId?: number }

export interface CorpusRow {
  /** `object:program`. */
  key: string;
  kernel: "accept" | "reject";
  kernelError?: string;
  /** undefined: bpfkit could not give this program to the verifier (why: `unanswered`). */
  ours?: "accept" | "reject";
  oursError?: string;
  unanswered?: string;
  kProcessed?: number;
  oProcessed?: number;
}

/** CO-RE relocations, kfunc and .ksyms ids and .kconfig values resolved as libbpf did on the recording kernel (its BTF is the bundled one). */
const TARGET = bundledTarget();

let btf: Btf | undefined;
/** The bundled Linux 6.18 BTF (the corpus was recorded on that kernel). */
export function bundledBtf(): Btf {
  return (btf ??= TARGET.btf());
}

export function corpusObjects(): string[] {
  return readdirSync(join(SELFTESTS_DIR, "kernel")).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();
}

/** Every program of one object with a verifier verdict from the kernel, and bpfkit's. */
export function runObject(name: string, timeoutMs = 20_000): CorpusRow[] {
  const kernel = JSON.parse(readFileSync(join(SELFTESTS_DIR, "kernel", `${name}.json`), "utf8")) as { programs: KernelProgram[] };
  const libbpf = JSON.parse(readFileSync(join(SELFTESTS_DIR, "libbpf", `${name}.json`), "utf8")) as { programs: LibbpfProgram[] };
  const attach = new Map(libbpf.programs.map((p) => [p.name, p.attachBtfId]));
  const rows: CorpusRow[] = [];
  let programs: ReturnType<typeof loadObject>["programs"] = [];
  let unsupported: string[] = [];
  let openError: string | undefined;
  try {
    const o = loadObject(new Uint8Array(readFileSync(join(SELFTESTS_DIR, `${name}.bpf.o`))), { file: `${name}.bpf.o`, allowUnsupported: true, target: TARGET });
    programs = o.programs;
    unsupported = o.unsupported;
  } catch (e) {
    openError = String(e instanceof Error ? e.message : e).split("\n")[0];
  }
  for (const k of kernel.programs) {
    // only the verifier's verdicts: not what this machine refused before the verifier ran, nor what libbpf never loaded
    if ((k.result !== "loaded" && k.result !== "refused") || k.refusedOutsideVerifier) continue;
    // refused before the verifier walked an instruction, with nothing said (EPERM: trampolines and
    // iterators on the recording machine): not the verifier's verdict either
    if (k.result === "refused" && !k.firstError && k.processed === 0) continue;
    const row: CorpusRow = { key: `${name}:${k.name}`, kernel: k.result === "loaded" ? "accept" : "reject" };
    if (k.firstError && row.kernel === "reject") row.kernelError = k.firstError;
    if (k.processed !== undefined) row.kProcessed = k.processed;
    const p = programs.find((x) => x.name === k.name);
    if (!p) {
      row.unanswered = openError ?? unsupported.find((u) => u.includes(`'${k.name}'`)) ?? "not in bpfkit's programs";
      rows.push(row);
      continue;
    }
    const opts: Parameters<typeof verifyProgram>[1] = {
      progType: k.progType!, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, timeoutMs, targetBtf: bundledBtf(),
      kernelConfig: () => TARGET.kconfig?.()?.text,
    };
    if (k.expectedAttachType) opts.attachType = k.expectedAttachType;
    // the recording kept the flags the test loader set; libbpf adds BPF_F_SLEEPABLE for `.s` sections when it loads
    const flags = (k.progFlags ?? 0) | sectionFlags(k.section);
    if (flags) opts.progFlags = flags;
    const at = attach.get(k.name);
    if (at) opts.attachBtfId = at;
    const r = verifyProgram(p, opts);
    if (r.verdict === "timeout") { row.unanswered = `bpfkit over the time limit (${timeoutMs} ms)`; rows.push(row); continue; }
    row.ours = r.verdict;
    if (r.error) row.oursError = r.error.message.split("\n")[0]!;
    row.oProcessed = r.stats.processed;
    rows.push(row);
  }
  return rows;
}

/** prog_flags libbpf derives from the section (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS). */
function sectionFlags(section: string): number {
  const r = resolveSection(section.replace(/^\?/, ""));
  return r ? loadAttrs(r).progFlags : 0;
}

/** The committed list of programs bpfkit is known to be stricter on than the kernel: key -> bpfkit's message. */
export function knownDifferences(): Record<string, string> {
  return (JSON.parse(readFileSync(KNOWN_DIFFERENCES, "utf8")) as { differences: Record<string, string> }).differences;
}
