// issue #15 item 6: `--repeat` is bounded on every engine (BPF_PROG_TEST_RUN's repeat is a u32: the kernel
// would take 4294967297 as 1, and the interpreter used to run 1e12 times without a word) and long runs
// report progress; the first run is timed apart from the steady state.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openEngine } from "../../src/engine/index.js";
import { loadProgram, MAX_REPEAT } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";
import { describeKernel } from "../support/kernel.js";

const repo = join(import.meta.dirname, "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const pass = assemble(".section xdp\n  r0 = 2\n  exit\n", { file: "pass.s" });
const example = join(repo, "bpf", "xdp_ddos_blocklist.bpf.o");

describe("--repeat bounds", () => {
  it("the library refuses a repeat past a u32 on the local engines, at once", () => {
    expect(MAX_REPEAT).toBe(0xffffffff);
    for (const engine of ["interp", "compiled"] as const) {
      const e = openEngine(pass, { engine });
      const t = performance.now();
      expect(() => e.run({ data: new Uint8Array(64), repeat: 2 ** 32 + 1 })).toThrow(/repeat must be an integer from 1 to 4294967295 \(BPF_PROG_TEST_RUN's repeat is a u32\), not 4294967297/);
      expect(() => e.run({ data: new Uint8Array(64), repeat: 1e12 })).toThrow(/repeat must be an integer/);
      expect(() => e.run({ data: new Uint8Array(64), repeat: 1.5 })).toThrow(/repeat must be an integer/);
      expect(performance.now() - t).toBeLessThan(5000); // refused, not run
    }
  });
  it("the CLI says so with exit code 2", () => {
    for (const engine of ["auto", "interp", "compiled"]) {
      const r = cli("run", example, "--engine", engine, "--repeat", "4294967297");
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--repeat must be at most 4294967295, not '4294967297'/);
      expect(r.stderr).toMatch(/BPF_PROG_TEST_RUN's repeat is a u32/);
    }
  });
  it("long runs report progress, and the first run is timed apart", () => {
    const rt = loadProgram(pass, { executor: "compiled", verified: true });
    const seen: [number, number][] = [];
    const r = rt.run({ data: new Uint8Array(64), repeat: 50_000, onProgress: (done, total) => seen.push([done, total]), progressEveryMs: 0 });
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every(([, total]) => total === 50_000)).toBe(true);
    expect(seen.map(([d]) => d)).toEqual([...seen.map(([d]) => d)].sort((a, b) => a - b));
    expect(r.firstRun).toBeGreaterThan(0);
    expect(r.duration).toBeGreaterThan(0);
  });
  it("the CLI prints the steady state and the first run of a --repeat", () => {
    const r = cli("run", example, "--repeat", "5", "--data", "00".repeat(64));
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^\d+ instructions, [\d.]+ ns per run over runs 2-5 \(first run [\d.]+ ns\) \(compiled\)$/m);
    const j = JSON.parse(cli("run", example, "--repeat", "5", "--json", "--data", "00".repeat(64)).stdout);
    expect(j.engine).toBe("compiled");
    expect(j.first_run_ns).toBeGreaterThan(0);
  });
});

describeKernel("--repeat bounds on the kernel engine", () => {
  it("refuses a repeat that BPF_PROG_TEST_RUN would wrap", async () => {
    const { openKernelEngine } = await import("../../src/kernel/testrun.js");
    const k = openKernelEngine(pass);
    try {
      expect(() => k.run({ data: new Uint8Array(64), repeat: 2 ** 32 + 1 })).toThrow(/repeat must be an integer from 1 to 4294967295/);
      expect(k.run({ data: new Uint8Array(64), repeat: 3 }).retval).toBe(2);
    } finally { k.close(); }
    const r = cli("run", example, "--engine", "kernel", "--repeat", "4294967297");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--repeat must be at most 4294967295/);
  });
});
