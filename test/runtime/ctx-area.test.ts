// The interpreter keeps the program's context in one fixed area of its memory (CTX..CTX+CTX_MAX, with
// helper scratch space right after it): every context layout of every program type and attach type must
// fit, or a context input would spill into memory that is not the context.
import { expect, it } from "vitest";
import { PROGRAM_TYPES } from "../../src/progtypes/index.js";
import { CTX, CTX_MAX, SCRATCH } from "../../src/runtime/layout.js";

it("every context layout fits the interpreter's context area", () => {
  expect(CTX + CTX_MAX).toBeLessThanOrEqual(SCRATCH);
  const sizes: string[] = [];
  const tooBig: string[] = [];
  for (const t of PROGRAM_TYPES) {
    if (!t.context) continue;
    for (const at of [undefined, ...t.attachTypes]) {
      const l = t.context(at);
      sizes.push(`${t.name}:${l.size}`);
      if (l.size > CTX_MAX) tooBig.push(`${t.name}${at === undefined ? "" : ` (attach ${at})`}: ${l.size} bytes`);
    }
  }
  expect(sizes.length).toBeGreaterThan(20);
  expect(sizes).toContain("tracepoint:8192"); // the largest: a trace event record (PERF_MAX_TRACE_SIZE)
  expect(tooBig).toEqual([]);
});

it("a tracepoint program reads its record past 4 KiB from the context it was given, in both modes", async () => {
  const { loadProgram } = await import("../../src/runtime/runtime.js");
  const { exit, load } = await import("../../src/isa/index.js");
  const ctx = new Uint8Array(8192);
  new DataView(ctx.buffer).setBigUint64(8000, 0x1122334455667788n, true);
  for (const mode of ["checked", "fast"] as const) {
    const prog = { name: "tp", section: "tracepoint/sched/sched_switch", insns: [load(8, 0, 1, 8000), exit()], maps: [], license: "GPL" };
    expect(loadProgram(prog, { mode }).run({ ctx }).r0).toBe(0x1122334455667788n);
  }
});
