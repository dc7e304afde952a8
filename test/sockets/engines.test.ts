// The socket world's programs on every local engine: the checked interpreter, the fast interpreter and
// the programs compiled to WebAssembly give the same report (every call's answer, every callback with
// its reply and return value, where every byte went, the maps) on all the differential's scenarios, and
// `auto` picks compiled code only when the verifier accepts every program of the object. The kernel
// side of the same scenarios is in kernel-diff.test.ts (both offline engines against the kernel).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { loadPrograms } from "../../src/load/node.js";
import type { Program } from "../../src/program/index.js";
import { formatReport, parseScenario, reportJson, runScenario, SocketWorld, type WorldOptions } from "../../src/sockets/index.js";
import { assemble } from "../../src/text/index.js";
import { GENERATED_SEEDS, mapOpsScenario } from "./generated.js";

const DIR = join(import.meta.dirname, "scenarios");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".scn")).sort();
let trace: Program[];
beforeAll(async () => { trace = await loadPrograms(join(process.cwd(), "bpf/sock_trace.bpf.o")); });

const RUNS: [string, WorldOptions][] = [["interp checked", { engine: "interp", mode: "checked" }], ["interp fast", { engine: "interp", mode: "fast" }], ["compiled", { engine: "compiled" }]];

/** The report as JSON text without the engine that made it. */
function report(text: string, file: string, options: WorldOptions): { json: string; kind: string; events: number } {
  const r = runScenario(parseScenario(text, file), trace, options);
  const { engine, ...rest } = reportJson(r) as { engine: { kind: string } };
  return { json: JSON.stringify(rest), kind: engine.kind, events: r.timeline.length };
}

describe("socket world: interpreter (checked, fast) and compiled code agree", () => {
  const agree = (text: string, file: string): void => {
    const [checked, ...others] = RUNS.map(([, o]) => report(text, file, o));
    expect(checked!.events).toBeGreaterThan(0);
    expect(others.map((o) => o.kind)).toEqual(["interp", "compiled"]);
    for (const o of others) expect(o.json).toBe(checked!.json);
  };
  it.each(FILES)("%s", (file) => agree(readFileSync(join(DIR, file), "utf8"), file));
  it.each(GENERATED_SEEDS)("generated map operations, seed %i", (seed) => agree(mapOpsScenario(seed), `generated-${seed}.scn`));
});

describe("socket world: choosing the engine", () => {
  it("auto compiles when every program verifies, and says so", () => {
    const w = new SocketWorld(trace);
    expect(w.host.engineInfo).toEqual({ kind: "compiled", mode: "fast", verified: true });
    expect(w.host.compileStats?.functions).toBeGreaterThanOrEqual(trace.length);
    const text = formatReport(runScenario(parseScenario(readFileSync(join(DIR, "09-sidecar-redirect-ingress.scn"), "utf8"), "09.scn"), trace), "09.scn");
    expect(text.split("\n")[0]).toBe("scenario 09.scn (simulated host, compiled)");
  });

  it("auto keeps the checked interpreter when checked mode is asked for, or when a program of the object is rejected", () => {
    expect(new SocketWorld(trace, { mode: "checked" }).host.engineInfo).toEqual({ kind: "interp", mode: "checked", verified: true });
    // never attached, but loaded with the object: reading r2 before it is written is rejected
    const bad = assemble(".section sockops\n.name uninit\nr0 = r2\nexit\n");
    const w = new SocketWorld([...trace, bad]);
    expect(w.host.engineInfo).toMatchObject({ kind: "interp", mode: "checked", verified: false, rejected: expect.stringMatching(/^uninit: R2 !read_ok/) });
    expect(w.host.compileStats).toBeUndefined();
    // the object's other programs still run (in the interpreter)
    const r = runScenario(parseScenario(readFileSync(join(DIR, "09-sidecar-redirect-ingress.scn"), "utf8"), "09.scn"), [...trace, bad]);
    expect(r.engine.kind).toBe("interp");
    expect(r.failed).toEqual([]);
  });

  it("compiled code runs with fast mode's semantics: checked mode with it is an error", () => {
    let err: unknown;
    try { new SocketWorld(trace, { engine: "compiled", mode: "checked" }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BpfkitError);
    expect((err as BpfkitError).diagnostics[0]!.code).toBe("BK5013");
  });

  it("a program forced compiled without the verifier still runs: a fault stops the scenario as in the fast interpreter", () => {
    // sockops reading past its context: the checked interpreter names the access; compiled code reads what is there
    const reader = assemble(".section sockops\n.name reader\nr0 = *(u32 *)(r1 + 4000)\nr0 = 1\nexit\n");
    const scn = parseScenario("attach reader sockops\nsocket s tcp\nbind s 127.0.0.1:80\nlisten s\n", "r.scn");
    let checked: unknown;
    try { runScenario(scn, [reader], { engine: "interp" }); } catch (e) { checked = e; }
    expect((checked as BpfkitError).diagnostics[0]).toMatchObject({ code: "BK5006", pc: 0 });
    const compiled = runScenario(scn, [reader], { engine: "compiled" });
    expect(compiled.engine).toMatchObject({ kind: "compiled", verified: false });
    const fast = runScenario(scn, [reader], { engine: "interp", mode: "fast" });
    expect(JSON.stringify({ ...(reportJson(compiled) as object), engine: 0 })).toBe(JSON.stringify({ ...(reportJson(fast) as object), engine: 0 }));
    expect(compiled.timeline.map((t) => t.what)).toEqual(["TCP_LISTEN_CB"]);
  });
});
