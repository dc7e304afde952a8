// The differential check: run the emulator on recorded corpus entries and compare with the kernel's
// verdict and first error line. Used by test/verifier/corpus.test.ts and `scripts/verifier-agreement.ts`.
import { progTypeByName, resolveSection } from "../../src/progtypes/index.js";
import type { MapSpec } from "../../src/program/program.js";
import { hexToSlots } from "../../src/verifier/raw-hex.js";
import { type VerifyResult, verifySlots } from "../../src/verifier/verifier.js";
import { possibleCpus } from "../../src/kernel/maps.js";

export interface CorpusEntry {
  id: string;
  family: string;
  type: string;
  insns: string;
  maps: { name?: string; type: string; key_size: number; value_size: number; max_entries: number; flags?: number }[];
  license: string;
  kernel: { verdict: "accept" | "reject"; errno: number; error?: string; errorLines?: string[] };
}

export interface Comparison {
  entry: CorpusEntry;
  ours: VerifyResult;
  verdictAgrees: boolean;
  /** Both rejected with the same first error line. */
  sameError: boolean;
  /** The kernel rejects and we accept (a memory-safety miss when the reason is an access). */
  missedReject: boolean;
}

export interface AgreementReport {
  total: number;
  verdictAgree: number;
  kernelRejects: number;
  bothReject: number;
  sameFirstLine: number;
  missedRejects: number;
  falseRejects: number;
  byFamily: Record<string, { total: number; verdictAgree: number; sameFirstLine: number; bothReject: number }>;
  mismatches: Comparison[];
}

export function entryProgType(type: string): { progType: number; attachType?: number } {
  const sec = resolveSection(type);
  const progType = sec?.progType ?? progTypeByName(type)?.id ?? 0;
  return sec?.attachType !== undefined ? { progType, attachType: sec.attachType } : { progType };
}

export function entryMaps(e: CorpusEntry): MapSpec[] {
  return e.maps.map((m, i) => ({ name: m.name ?? `map${i}`, type: m.type, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, flags: m.flags ?? 0 }));
}

export function compareEntry(e: CorpusEntry, logLevel = 0): Comparison {
  const pt = entryProgType(e.type);
  const ours = verifySlots(hexToSlots(e.insns), entryMaps(e), e.license, { ...pt, logLevel, timeoutMs: 60000, nrCpus: possibleCpus() });
  const verdictAgrees = ours.verdict === e.kernel.verdict;
  const ourFirst = ours.error?.message.split("\n")[0];
  const sameError = e.kernel.verdict === "reject" && ours.verdict === "reject" && ourFirst === e.kernel.error;
  return { entry: e, ours, verdictAgrees, sameError, missedReject: e.kernel.verdict === "reject" && ours.verdict === "accept" };
}

export function agreement(entries: readonly CorpusEntry[]): AgreementReport {
  const rep: AgreementReport = { total: 0, verdictAgree: 0, kernelRejects: 0, bothReject: 0, sameFirstLine: 0, missedRejects: 0, falseRejects: 0, byFamily: {}, mismatches: [] };
  for (const e of entries) {
    const c = compareEntry(e);
    rep.total++;
    const fam = (rep.byFamily[e.family] ??= { total: 0, verdictAgree: 0, sameFirstLine: 0, bothReject: 0 });
    fam.total++;
    if (c.verdictAgrees) { rep.verdictAgree++; fam.verdictAgree++; }
    if (e.kernel.verdict === "reject") rep.kernelRejects++;
    if (e.kernel.verdict === "reject" && c.ours.verdict === "reject") { rep.bothReject++; fam.bothReject++; }
    if (c.sameError) { rep.sameFirstLine++; fam.sameFirstLine++; }
    if (c.missedReject) rep.missedRejects++;
    if (e.kernel.verdict === "accept" && c.ours.verdict === "reject") rep.falseRejects++;
    if (!c.verdictAgrees || (e.kernel.verdict === "reject" && !c.sameError)) rep.mismatches.push(c);
  }
  return rep;
}

export function formatReport(r: AgreementReport): string {
  const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) + "%" : "n/a");
  const lines = [
    `programs: ${r.total}`,
    `verdict agreement: ${r.verdictAgree}/${r.total} = ${pct(r.verdictAgree, r.total)}`,
    `identical first error line (kernel rejections): ${r.sameFirstLine}/${r.kernelRejects} = ${pct(r.sameFirstLine, r.kernelRejects)}`,
    `kernel rejects, emulator accepts: ${r.missedRejects}; emulator rejects, kernel accepts: ${r.falseRejects}`,
  ];
  for (const [f, s] of Object.entries(r.byFamily).sort()) lines.push(`  ${f.padEnd(9)} ${String(s.total).padStart(5)}  verdict ${pct(s.verdictAgree, s.total).padStart(6)}  first-line ${s.sameFirstLine}/${s.total}`);
  return lines.join("\n");
}
