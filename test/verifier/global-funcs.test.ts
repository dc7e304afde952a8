// Global (BTF) functions and bpf_loop callbacks: prototypes read from the object's BTF, and the log
// lines the kernel prints for them (global calls, separate verification of each global function,
// argument mismatches, callback returns and iteration limits) compared with the running kernel.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { KernelError } from "../../src/kernel/errors.js";
import { loadProgramIntoKernel } from "../../src/kernel/loader.js";
import type { Program } from "../../src/program/program.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { readFuncProtos } from "../../src/verifier/global-funcs.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";

const DIR = new URL("../fixtures/verifier/c/", import.meta.url);
const programsOf = (obj: string): Program[] => loadObject(new Uint8Array(readFileSync(new URL(obj, DIR))), { file: obj }).programs;
const GLOBAL = programsOf("global_funcs.bpf.o");
const CALLBACKS = programsOf("callbacks.bpf.o");
const named = (progs: Program[], name: string): Program => {
  const p = progs.find((x) => x.name === name);
  if (!p) throw new Error(`no program ${name}`);
  return p;
};

function emulate(p: Program, logLevel: 1 | 2): string {
  const sec = resolveSection(p.section)!;
  return verifyProgram(p, { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), logLevel,
    hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 }).log;
}

function kernelLog(p: Program, logLevel: 1 | 2): string {
  try {
    const loaded = loadProgramIntoKernel(p, { logLevel });
    const log = loaded.log;
    loaded.close();
    return log;
  } catch (e) {
    if (e instanceof KernelError && e.command === "BPF_PROG_LOAD") return e.log ?? "";
    throw e;
  }
}

// the lines this feature prints (precision and stack-liveness notes, which the emulator lacks, are left out)
const FEATURE_LINE = /^(Func#\d+ |Validating |Caller passes |arg#\d+ |R\d is not a scalar|Global function |frame\d+ bpf_loop iteration limit|returning from callee:|to caller at )/;
const featureLines = (log: string): string[] => log.split("\n").filter((l) => FEATURE_LINE.test(l));

describe("BTF prototypes of sub-programs", () => {
  const p = named(GLOBAL, "global_unsafe_for_some_args");
  const protos = [...readFuncProtos(p.btf!.raw, p.btf!.funcInfo!, p.btf!.funcInfoRecSize ?? 8).values()];

  it("reads linkage, return type and argument kinds", () => {
    const main = protos.find((f) => f.name === "global_unsafe_for_some_args")!;
    expect(main.global).toBe(true);
    const callee = protos.find((f) => f.name === "hdr_word")!;
    expect(callee).toMatchObject({ global: true, returnsScalar: true });
    expect(callee.params.map((x) => x.kind)).toEqual(["ptr", "scalar"]);
    expect(callee.params[0]).toMatchObject({ structName: "hdr", size: 16 });
  });

  it("knows a void return and a pointer without a size", () => {
    const all = [named(GLOBAL, "global_returns_void"), named(GLOBAL, "global_void_pointer")]
      .flatMap((q) => [...readFuncProtos(q.btf!.raw, q.btf!.funcInfo!, q.btf!.funcInfoRecSize ?? 8).values()]);
    expect(all.find((f) => f.name === "store_mark")?.returnsScalar).toBe(false);
    const arg = all.find((f) => f.name === "first_byte")?.params[0];
    expect(arg).toMatchObject({ kind: "ptr" });
    expect(arg && "sizeError" in arg ? arg.sizeError : undefined).toMatch(/size cannot be determined/);
  });

  it("is empty for unreadable BTF instead of throwing", () => {
    expect(readFuncProtos(new Uint8Array(8), new Uint8Array(16), 8).size).toBe(0);
  });
});

describe("global functions in the emulator", () => {
  it("checks a global function once, after the main program, not at each call", () => {
    const log = emulate(named(GLOBAL, "global_calls_global"), 2);
    const assumed = log.split("\n").filter((l) => l.startsWith("Func#1 ('len_bucket') is global and assumed valid."));
    expect(assumed).toHaveLength(2);
    expect(log.split("\n").filter((l) => l.startsWith("Validating len_bucket() func#1..."))).toHaveLength(1);
    expect(log.indexOf("Validating skb_is_long() func#2...")).toBeGreaterThan(log.indexOf("Func#1 ('len_bucket') is safe"));
  });

  it("rejects a global function that is unsafe for arguments the caller never passes", () => {
    const log = emulate(named(GLOBAL, "global_unsafe_for_some_args"), 1);
    expect(log.startsWith("Validating hdr_word() func#1...\n")).toBe(true);
    expect(log).toMatch(/R1 max value is outside of the allowed memory range/);
  });
});

describeKernel("global functions and callbacks against the kernel's log", () => {
  const all = [...GLOBAL, ...CALLBACKS];

  it("prints the kernel's global-function and callback lines at level 2", () => {
    // callbacks whose iteration count depends on precision marks are left out (the emulator widens more)
    const skip = new Set(["loop_counter_on_stack", "loop_unsafe_second_iteration", "loop_null_after_first_iteration"]);
    const diff = all.filter((p) => !skip.has(p.name))
      .map((p) => ({ name: p.name, kernel: featureLines(kernelLog(p, 2)), ours: featureLines(emulate(p, 2)) }))
      .filter((d) => JSON.stringify(d.kernel) !== JSON.stringify(d.ours));
    expect(diff).toEqual([]);
  });

  it("writes the kernel's level-1 log for accepted global-function programs, statistics aside", () => {
    const upToStats = (log: string): string => log.slice(0, log.indexOf("processed "));
    const accepted = GLOBAL.filter((p) => ["global_ctx_arg", "global_struct_from_stack", "global_calls_global", "global_result_unbounded"].includes(p.name));
    const diff = accepted.map((p) => ({ name: p.name, kernel: upToStats(kernelLog(p, 1)), ours: upToStats(emulate(p, 1)) }))
      .filter((d) => d.kernel !== d.ours);
    expect(diff).toEqual([]);
  });

  it("gives the kernel's message lines when a call's arguments do not match", () => {
    const rejected = GLOBAL.filter((p) => /wrong_ctx|short_buffer|pointer_as_scalar|returns_void|void_pointer/.test(p.name));
    expect(rejected.length).toBe(5);
    for (const p of rejected) {
      const tail = (log: string): string[] => log.split("\n").filter((l) => FEATURE_LINE.test(l) || /^invalid /.test(l));
      expect(tail(emulate(p, 1)), p.name).toEqual(tail(kernelLog(p, 1)));
    }
  });
});
