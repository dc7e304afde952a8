// issue #15 item 6: `--repeat` is bounded on every engine (BPF_PROG_TEST_RUN's repeat is a u32: the kernel
// would take 4294967297 as 1, and the interpreter used to run 1e12 times without a word) and long runs
// report progress; the first run is timed apart from the steady state.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openEngine } from "../../src/engine/index.js";
import { loadProgram, MAX_REPEAT } from "../../src/runtime/runtime.js";
import type { ProgArrayMap } from "../../src/maps/runtime/prog-array.js";
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
  it("compiled code's repeat loop in WebAssembly gives what the interpreter's run-by-run loop gives", () => {
    // Each run bumps an array counter and a hash counter (map helpers in WebAssembly), rewrites a packet
    // byte from the previous run's value, and every 1000th run calls a host helper (bpf_trace_printk), which
    // hands the next run back to the host's loop: more than one 4096-run chunk, and runs in both loops.
    const src = `.section xdp
.map cnt, type=array, key=4, value=8, max_entries=1
.map h, type=hash, key=4, value=8, max_entries=4
      r6 = r1
      *(u32 *)(r10 - 4) = 0
      r1 = cnt ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r7 = *(u64 *)(r0 + 0)
      r7 += 1
      *(u64 *)(r0 + 0) = r7
      *(u32 *)(r10 - 8) = 3
      *(u64 *)(r10 - 16) = r7
      r1 = h ll
      r2 = r10
      r2 += -8
      r3 = r10
      r3 += -16
      r4 = 0
      call bpf_map_update_elem
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 4)
      r1 = r2
      r1 += 14
      if r1 > r3 goto out
      r1 = *(u8 *)(r2 + 0)
      r1 += 3
      *(u8 *)(r2 + 0) = r1
      r1 = r7
      r1 %= 1000
      if r1 != 0 goto done
      *(u32 *)(r10 - 24) = 0x0a7825
      *(u64 *)(r10 - 32) = 0
      r1 = r10
      r1 += -24
      r2 = 4
      r3 = r7
      call bpf_trace_printk
    done:
      r0 = r7
    out:
      exit`;
    const prog = assemble(src, { file: "counter.s" });
    const runs = 10_007;
    const results = (["interp", "compiled"] as const).map((engine) => {
      const rt = loadProgram(prog, { executor: engine, verified: true, ...(engine === "interp" ? { mode: "fast" as const } : {}) });
      const r = rt.run({ data: new Uint8Array(64), repeat: runs });
      return { r0: r.r0, data: Buffer.from(r.data).toString("hex"), trace: r.trace.length, insns: r.insnCount,
        cnt: Buffer.from(rt.maps.get("cnt")!.get(new Uint8Array(4)) as Uint8Array).toString("hex"),
        h: Buffer.from(rt.maps.get("h")!.get(Uint8Array.of(3, 0, 0, 0)) as Uint8Array).toString("hex") };
    });
    expect(results[0]!.r0).toBe(BigInt(runs));
    expect(results[0]!.trace).toBe(10);
    expect(results[1]).toEqual(results[0]);
  });
  it("each repeated run of compiled code gets its own 33 tail calls (the host's per-run count is reset)", () => {
    // The program tail-calls itself, counting invocations in an array: 34 per run (the first and 33 tail
    // calls), but only if the host resets its tail-call count between runs, so a repeat loop inside
    // WebAssembly must hand runs that called the host back to it.
    const main = assemble(`.section xdp
.name entry
.map jmp, type=prog_array, key=4, value=4, max_entries=4
.map cnt, type=array, key=4, value=8, max_entries=1
      r6 = r1
      *(u32 *)(r10 - 4) = 0
      r1 = cnt ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      r1 = r6
      r2 = jmp ll
      r3 = 1
      call bpf_tail_call
    out:
      r0 = 2
      exit`, { file: "self_tail.s" });
    for (const engine of ["interp", "compiled"] as const) {
      const rt = loadProgram(main, { executor: engine, verified: true, ...(engine === "interp" ? { mode: "fast" as const } : {}) });
      (rt.maps.get("jmp") as ProgArrayMap).setProgram(1, "entry");
      expect(rt.run({ data: new Uint8Array(64), repeat: 50 }).retval).toBe(2);
      expect(new DataView((rt.maps.get("cnt")!.get(new Uint8Array(4)) as Uint8Array).buffer).getUint32(0, true), engine).toBe(34 * 50);
    }
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
