// Live re-check of a sample of the kernel facts: the same probes scripts/record-facts-kernel.ts runs,
// compared with the tables and with the recorded fixtures (a fixture mismatch means the kernel changed:
// re-run the script).
import { it, expect } from "vitest";
import { describeKernel } from "../support/kernel.js";
import { HELPER_TARGETS, CTX_TARGETS, MAX_PROBED_HELPER, baselineLoads, probeHelper, probeCtx, probeMap } from "./support/probes.js";
import { helpersFixture, mapsFixture, ctxFixture, caseSpec } from "./support/fixtures.js";
import { isHelperAllowed, helperForProgType } from "../../src/helpers/table.js";
import { checkCtxAccess } from "../../src/progtypes/index.js";
import { validateMapSpec } from "../../src/maps/types.js";

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

  it("map creation of a sample of cases", () => {
    const fx = mapsFixture();
    const options = fx.nrCpusConfig ? { nrCpus: fx.nrCpusConfig } : {};
    const problems: string[] = [];
    for (const [i, c] of fx.cases.entries()) {
      if (i % 9 !== 0 && !c.label.endsWith(": base")) continue;
      const live = probeMap(c);
      if (live.ok !== c.ok) problems.push(`${c.label}: fixture is stale (kernel now ${live.ok ? "accepts" : `errno ${live.errno}`})`);
      const d = validateMapSpec(caseSpec(c), options);
      if ((d.length === 0) !== live.ok) problems.push(`${c.label}: kernel ${live.ok ? "accepts" : `errno ${live.errno}`}, validateMapSpec ${d.length ? d[0]!.message : "accepts"}`);
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
