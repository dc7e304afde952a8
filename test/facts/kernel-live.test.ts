// Live re-check of a sample of the kernel facts: the same probes scripts/record-facts-kernel.ts runs,
// compared with the tables and with the recorded fixtures (a fixture mismatch means the kernel changed:
// re-run the script).
import { it, expect } from "vitest";
import { describeKernel } from "../support/kernel.js";
import { HELPER_TARGETS, CTX_TARGETS, MAX_PROBED_HELPER, baselineLoads, probeHelper, probeCtx, probeMap } from "./support/probes.js";
import { helpersFixture, mapsFixture, ctxFixture, caseSpec, expectedMapOutcome } from "./support/fixtures.js";
import { missingCaps } from "../support/machine.js";
import { ERRNO } from "../../src/kernel/errors.js";
import { isHelperAllowed, helperForProgType } from "../../src/helpers/table.js";
import { checkCtxAccess } from "../../src/progtypes/index.js";
import { validateMapSpec } from "../../src/maps/types.js";

const { EPERM } = ERRNO;

describeKernel("kernel facts, live sample", () => {
  it("helper permissions and GPL-only of a sample of helpers, every target", () => {
    const fx = helpersFixture();
    const problems: string[] = [];
    for (const [ti, t] of HELPER_TARGETS.entries()) {
      expect(baselineLoads(t).ok, t.key).toBe(true);
      for (let id = 1 + (ti % 7); id <= MAX_PROBED_HELPER; id += 7) {
        const live = probeHelper(t, id);
        const allowed = live !== "denied";
        if (allowed !== isHelperAllowed(t.progType, id, t.attachType)) problems.push(`${t.key} #${id}: kernel ${live}, table allowed=${!allowed}`);
        if (allowed && (live === "allowed_gpl") !== helperForProgType(id, t.progType)!.gplOnly) problems.push(`${t.key} #${id}: kernel ${live}, table gplOnly=${!(live === "allowed_gpl")}`);
        const rec = fx.targets[t.key];
        if (rec && rec.allowed.includes(id) !== allowed) problems.push(`${t.key} #${id}: fixture is stale (re-run scripts/record-facts-kernel.ts)`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("map creation of a sample of cases", async (ctx) => {
    const fx = mapsFixture();
    const options = fx.nrCpusConfig ? { nrCpus: fx.nrCpusConfig } : {};
    // A process short of a capability can be refused what a privileged one is given (an arena needs
    // CAP_SYS_RESOURCE): where the fixture recorded the answer for this set of missing capabilities it is
    // held to it; where it did not, an EPERM is this machine, not the kernel, and is reported as such.
    const missing = missingCaps();
    const problems: string[] = [];
    const cannotHere: string[] = [];
    for (const [i, c] of fx.cases.entries()) {
      if (i % 9 !== 0 && !c.label.endsWith(": base")) continue;
      const live = probeMap(c);
      const want = expectedMapOutcome(c, missing);
      const answer = (o: { ok: boolean; errno: number }): string => (o.ok ? "accepts" : `errno ${o.errno}`);
      if (live.ok !== want.ok) {
        if (missing.length && want.recorded === "privileged" && !live.ok && live.errno === EPERM) cannotHere.push(`${c.label}: EPERM here, created with every capability`);
        else problems.push(`${c.label}: fixture is stale (kernel now ${answer(live)}, recorded ${want.recorded}: ${answer(want)})`);
      }
      // The emulator answers as the kernel does to a fully privileged loader.
      const d = validateMapSpec(caseSpec(c), options);
      if ((d.length === 0) !== c.ok) problems.push(`${c.label}: kernel (privileged) ${c.ok ? "accepts" : `errno ${c.errno}`}, validateMapSpec ${d.length ? d[0]!.message : "accepts"}`);
    }
    if (cannotHere.length) {
      const note = `cannot here (this process lacks ${missing.join(", ")}; re-record with scripts/record-facts-kernel.ts maps to hold these too): ${cannotHere.join("; ")}`;
      console.warn(note);
      await ctx.annotate(note);
    }
    expect(problems).toEqual([]);
  });

  it("context loads and stores at a sample of offsets", () => {
    const fx = ctxFixture();
    const problems: string[] = [];
    for (const t of CTX_TARGETS) {
      const rec = fx.targets[t.key]!;
      // every 3rd offset; a tracepoint's 8 KiB record gets about 300 offsets (an odd step keeps every alignment)
      const from = rec.probedFrom ?? 0;
      const step = Math.max(3, Math.ceil((rec.probedSize - from) / 300) | 1);
      for (let off = from; off < rec.probedSize; off += step) for (const size of [1, 2, 4, 8] as const) for (const kind of ["ldx", "ldsx", "stx"] as const) {
        if (kind === "ldsx" && size === 8) continue;
        const live = probeCtx(t, kind, off, size);
        if (live !== rec[kind].includes(`${off}:${size}`)) problems.push(`${t.key} ${kind} ${off}:${size}: fixture is stale`);
        const ours = checkCtxAccess(t.progType, { off, size, write: kind === "stx", ...(kind === "ldsx" ? { signExtend: true } : {}) }, t.attachType).ok;
        if (ours !== live) problems.push(`${t.key} ${kind} ${size} at ${off}: kernel ${live}, checkCtxAccess ${ours}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
