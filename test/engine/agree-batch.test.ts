// compareEngines runs its inputs as one batch per engine when no map is compared between inputs: the
// report is the one input-by-input runs give.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/assembler.js";
import { openEngine, type BpfEngine } from "../../src/engine/index.js";
import { compareEngines } from "../../src/testing/agree.js";
import { REWRITE_XDP } from "../support/xdp-programs.js";
import type { Program } from "../../src/program/index.js";

const prog = assemble(REWRITE_XDP, { file: "rewrite.s" });

const inputs = Array.from({ length: 40 }, (_, i) => {
  const data = new Uint8Array(60 + (i % 7));
  for (let k = 0; k < data.length; k++) data[k] = (k * 7 + i) & 0xff;
  data[13] = i % 3 === 0 ? 0 : 1;
  return { data };
});

describe("compareEngines in batches", () => {
  it("gives the results of input-by-input runs, and finds a difference at its input", () => {
    const counted: string[] = [];
    // An engine that counts how it is called, around the compiled engine.
    const spy = (p: Program): BpfEngine => {
      const e = openEngine(p, { engine: "compiled" });
      return Object.assign(Object.create(e) as BpfEngine, {
        run: (x: Parameters<BpfEngine["run"]>[0]) => { counted.push("run"); return e.run(x); },
        runBatch: (xs: Parameters<BpfEngine["runBatch"]>[0]) => { counted.push(`batch ${xs.length}`); return e.runBatch(xs); },
      });
    };
    const report = compareEngines(prog, inputs, { engines: ["interp", spy] });
    expect(report.agree).toBe(true);
    expect(counted).toEqual(["batch 40"]);
    const one = openEngine(prog, { engine: "interp" });
    report.results.forEach((row, i) => {
      const want = one.run(inputs[i]!);
      for (const r of Object.values(row)) {
        expect(r!.retval).toBe(want.retval);
        expect(Array.from(r!.data)).toEqual(Array.from(want.data));
        expect(r!.insnCount).toBe(want.insnCount);
      }
    });
    // A wrong engine: the difference is reported at the input where it shows.
    const wrong = (p: Program): BpfEngine => {
      const e = openEngine(p, { engine: "compiled" });
      return Object.assign(Object.create(e) as BpfEngine, {
        runBatch: (xs: Parameters<BpfEngine["runBatch"]>[0]) => e.runBatch(xs).map((o, i) => (i === 5 && o.ok ? { ok: true as const, result: { retval: 7, data: o.result.data, ctx: o.result.ctx, trace: [], duration: 0, ringbuf: [], perf: [] } } : o)),
      });
    };
    const bad = compareEngines(prog, inputs, { engines: ["interp", wrong] });
    expect(bad.differences.map((d) => [d.input, d.what])).toEqual([[5, "retval"]]);
  });

  it("runs a program the verifier rejects input by input (it may write the context the batch driver reads back)", () => {
    // Rejected: a store into xdp_md's data_end. run() never reads it back; a batch driver would.
    const p = assemble(".section xdp\n  r2 = 1\n  *(u16 *)(r1 + 4) = r2\n  r0 = 0\n  exit\n", { file: "ctxstore.s" });
    const e = openEngine(p, { engine: "compiled" });
    const batch = e.runBatch([{ data: new Uint8Array(64) }, { data: new Uint8Array(64) }]);
    expect(batch.map((o) => (o.ok ? [o.result.retval, o.result.insnCount] : String(o.error)))).toEqual([[0, 4], [0, 4]]);
    expect(compareEngines(p, inputs.slice(0, 3), { engines: ["interp", "compiled"], interpreter: { mode: "fast" } }).agree).toBe(true);
  });
});
