// The engines that run in this process: the interpreter and the compiled engine, both over one
// RuntimeProgram (memory, maps, helpers, program contexts), so they differ only in what executes the
// instructions. `openEngine` picks the compiled engine when the verifier accepts the program (`auto`).
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { Program } from "../program/index.js";
import { loadProgram, resolveProgType, type CompileStats, type LoadOptions, type RuntimeProgram } from "../runtime/runtime.js";
import { verifyProgram } from "../verifier/index.js";
import type { BatchOutcome, BpfEngine, EngineKind, EngineMap, EngineRunInput, EngineRunResult } from "./types.js";

export interface EngineOptions extends Omit<LoadOptions, "executor" | "verified"> {
  /**
   * `auto` (default): compiled when the verifier accepts the program, else the interpreter (checked mode,
   * clear errors for faults). `compiled` compiles either way (a rejected program keeps the interpreter's
   * exact semantics, without the verifier's guarantees to speed it up). `interp`: the interpreter.
   */
  engine?: "auto" | "interp" | "compiled";
}

/** Why an engine was chosen, and how the program was compiled (for --json and tests). */
export interface LocalEngineInfo {
  verified: boolean;
  /** The verifier's message when it rejected the program (auto then runs the interpreter). */
  rejected?: string;
  compile?: CompileStats;
}

/** Whether the verifier emulator accepts `program` (and every tail-call target beside it). */
export function verifiedForCompile(programs: readonly Program[], type: string | undefined): { ok: boolean; why?: string } {
  for (const p of programs) {
    let kind;
    try { kind = resolveProgType(type ?? p.section); } catch { return { ok: false, why: `${p.name}: unknown program type` }; }
    try {
      const res = verifyProgram(p, {
        progType: kind.info.id, ...(kind.attachType !== undefined ? { attachType: kind.attachType } : {}),
        hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0,
      });
      if (res.verdict !== "accept") return { ok: false, why: `${p.name}: ${res.error?.message ?? "rejected"}` };
    } catch (err) {
      return { ok: false, why: `${p.name}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` };
    }
  }
  return { ok: true };
}

class LocalEngine implements BpfEngine {
  readonly maps = new Map<string, EngineMap>();
  constructor(readonly kind: EngineKind, readonly program: Program, readonly rt: RuntimeProgram, readonly info: LocalEngineInfo) {
    for (const [name, m] of rt.maps) {
      this.maps.set(name, {
        name, type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, perCpu: m.perCpu,
        entries: () => m.entries().map((e) => ({ key: e.key, values: Array.isArray(e.value) ? e.value : [e.value] })),
        update: (key, value) => {
          const r = m.set(key, m.perCpu ? Array.from({ length: rt.cpus }, () => value) : value);
          if (r < 0) throw new BpfkitError(diag("BK5014", { map: name, what: `writing the entry failed (errno ${-r})` }), 2);
        },
      });
    }
  }
  run(input: EngineRunInput = {}): EngineRunResult {
    return this.rt.run(input);
  }
  runBatch(inputs: readonly EngineRunInput[]): BatchOutcome[] {
    return this.rt.runBatch(inputs);
  }
  close(): void { /* nothing outside this process */ }
}

/** Load `program` (with `others`, its tail-call targets) into an interpreter or compiled engine. */
export function openEngine(program: Program, options: EngineOptions = {}): BpfEngine & { readonly info: LocalEngineInfo } {
  const choice = options.engine ?? "auto";
  const { engine: _, ...load } = options;
  if (choice === "interp") return new LocalEngine("interp", program, loadProgram(program, { ...load, executor: "interp" }), { verified: false });
  const all = [program, ...(options.others ?? []).filter((p) => p !== program && p.name !== program.name)];
  const v = verifiedForCompile(all, options.type);
  if (choice === "auto" && (!v.ok || options.mode === "checked")) {
    return new LocalEngine("interp", program, loadProgram(program, { ...load, executor: "interp" }), { verified: v.ok, ...(v.why ? { rejected: v.why } : {}) });
  }
  const { mode: _m, ...rest } = load;
  if (options.mode === "checked") {
    throw new BpfkitError(diag("BK5013", { what: "checked mode needs the interpreter: compiled code runs with fast mode's semantics" }, {}, "use --engine interp for checked mode"), 2);
  }
  const rt = loadProgram(program, { ...rest, executor: "compiled", verified: v.ok });
  return new LocalEngine("compiled", program, rt, { verified: v.ok, ...(v.why ? { rejected: v.why } : {}), ...(rt.compileStats ? { compile: rt.compileStats } : {}) });
}
