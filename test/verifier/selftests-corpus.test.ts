// The emulator against the kernel's verdicts on its own verifier selftests (test/fixtures/selftests: every
// progs/verifier_*.c of linux 6.12, recorded on Linux 6.18), each object opened with loadObject and each
// program verified against the bundled 6.18 BTF with the program type, attach target and prog_flags the
// kernel was given. No kernel needed.
// - bpfkit accepting a program the kernel's verifier refused (an unsafe accept) always fails;
// - bpfkit refusing a program the kernel accepted must be listed in selftests-known-differences.json
//   (scripts/verifier-selftests/known-differences.ts rewrites it), and a listed program that no longer
//   differs fails too, so the list neither grows nor goes stale unnoticed;
// - programs bpfkit cannot open or give to the verifier yet are counted (the loader's reason), not judged.
import { describe, expect, it } from "vitest";
import { type CorpusRow, corpusObjects, knownDifferences, runObject } from "../support/selftests-corpus.js";

describe("verifier: the kernel's verifier selftests (recorded 6.18 verdicts)", () => {
  const rows: CorpusRow[] = [];
  it("verifies every answerable program (about a minute)", () => {
    for (const o of corpusObjects()) rows.push(...runObject(o));
    expect(rows.length).toBeGreaterThan(1200);
  }, 600_000);

  it("never accepts what the kernel's verifier refused", () => {
    const unsafe = rows.filter((r) => r.kernel === "reject" && r.ours === "accept").map((r) => `${r.key}: kernel: ${r.kernelError ?? ""}`);
    expect(unsafe).toEqual([]);
  });

  it("refuses only the programs listed in selftests-known-differences.json", () => {
    const known = knownDifferences();
    const strict = rows.filter((r) => r.kernel === "accept" && r.ours === "reject");
    const unlisted = strict.filter((r) => !(r.key in known)).map((r) => `${r.key}: ${r.oursError ?? ""}`);
    const stale = Object.keys(known).filter((k) => {
      const r = rows.find((x) => x.key === k);
      return !r || (r.ours !== undefined && r.ours === r.kernel);
    });
    expect(unlisted, "new disagreements (fix them, or run scripts/verifier-selftests/known-differences.ts and justify the diff)").toEqual([]);
    expect(stale, "listed programs that now agree (or are gone): regenerate the list").toEqual([]);
  });

  it("agrees on at least 99% of the programs it answers, and reports the rest", () => {
    const answered = rows.filter((r) => r.ours !== undefined);
    const agree = answered.filter((r) => r.ours === r.kernel);
    const reasons = new Map<string, number>();
    for (const r of rows.filter((x) => x.ours === undefined)) {
      const why = (r.unanswered ?? "").replace(/'[^']*'/g, "'…'").replace(/\d+/g, "N").slice(0, 80);
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    console.log(`selftests corpus: ${rows.length} programs with a verifier verdict, ${answered.length} answered, ${agree.length} same verdict` +
      ` (${(100 * agree.length / Math.max(1, answered.length)).toFixed(1)}%)\nunanswered: ${[...reasons].map(([k, n]) => `${n} ${k}`).join("; ")}`);
    expect(answered.length).toBeGreaterThan(1000);
    expect(agree.length / answered.length).toBeGreaterThanOrEqual(0.99);
  });
});
