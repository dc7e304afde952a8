// Focused fixtures for what programs use beyond helpers (test/fixtures/verifier/kfuncs/*.bpf.c): kfuncs
// (conntrack, cpumask, task acquire/release, casts, local objects, XDP metadata), dynptrs, open-coded
// iterators, BTF-typed pointers, RCU sections, global-function argument tags. Each program is replayed
// exactly as libbpf handed it to Linux 6.18 (scripts/record-verifier-kfuncs.ts recorded it with the
// kernel's verdict) and verified against the bundled 6.18 BTF: the verdict must be the kernel's, and so
// must the first error line of a refusal.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { verifySlots } from "../../src/verifier/verifier.js";
import { optionsOf, type LibbpfRecord } from "../support/libbpf-records.js";
import { bundledBtf } from "../support/selftests-corpus.js";
import { bundledTarget } from "../../src/load/node.js";

const DIR = new URL("../fixtures/verifier/kfuncs/", import.meta.url).pathname;

interface Fixture {
  object: string;
  btf: string;
  programs: (Omit<LibbpfRecord, "btf" | "log" | "libbpf" | "object"> & { kernel: { verdict: "accept" | "reject"; errno: number; error?: string; processed?: number } })[];
}

const fixtures = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort()
  .map((f) => JSON.parse(readFileSync(DIR + f, "utf8")) as Fixture);

describe("kfunc, dynptr, iterator and BTF-pointer fixtures against the kernel's recorded verdicts", () => {
  it("has fixtures for every feature, accepted and refused", () => {
    const names = fixtures.map((f) => f.object.replace(/\.bpf\.o$/, ""));
    expect(names).toEqual(expect.arrayContaining(["btfptr", "conntrack", "dynptr", "globalargs", "iter", "locks", "xdpmeta"]));
    const all = fixtures.flatMap((f) => f.programs);
    expect(all.filter((p) => p.kernel.verdict === "accept").length).toBeGreaterThan(20);
    expect(all.filter((p) => p.kernel.verdict === "reject").length).toBeGreaterThan(20);
  });

  for (const fx of fixtures) {
    describe(fx.object, () => {
      for (const p of fx.programs) {
        const want = p.kernel.verdict === "accept" ? "accepts" : `refuses: ${p.kernel.error}`;
        it(`${p.name}: ${want}`, () => {
          const { slots, maps, license, opts } = optionsOf({ ...p, object: fx.object, btf: fx.btf, libbpf: "" }, bundledBtf());
          // the recording machine's configuration (the bundled one): typed ksyms of variables need CONFIG_KALLSYMS_ALL
          const r = verifySlots(slots, maps, license, { ...opts, kernelConfig: () => bundledTarget().kconfig?.()?.text });
          expect(r.verdict, r.error?.message).toBe(p.kernel.verdict);
          if (p.kernel.verdict === "reject") expect(r.error?.message.split("\n")[0]).toBe(p.kernel.error);
        });
      }
    });
  }
});
