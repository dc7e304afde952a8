// The engines that run in this process: the interpreter and the compiled engine, both over one
// RuntimeProgram (memory, maps, helpers, program contexts), so they differ only in what executes the
// instructions. `openEngine` picks the compiled engine when the verifier accepts the program (`auto`).
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { Program } from "../program/index.js";
import { loadProgram, resolveProgType, type CompileStats, type LoadOptions, type RuntimeProgram, type Stepper } from "../runtime/runtime.js";
import { verifyProgram, type UninitStackRead } from "../verifier/index.js";
import { uninitStackWarning } from "../verifier/uninit.js";
import type { Diagnostic } from "../diagnostics/index.js";
import type { MapValue } from "../maps/runtime/map.js";
import { typedEngineMap } from "./typed-map.js";
import { ArenaPacketBatch, type PacketBatch } from "./batch.js";
import type { PacketList } from "../runtime/packet-batch.js";
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

/**
 * Whether the verifier emulator accepts `programs` (a program and every tail-call target beside it, or
 * the programs of one object, each as its own section's type unless `type` is given); with the first
 * program's reads of uninitialized stack (warned about at run time).
 */
export function verifiedForCompile(programs: readonly Program[], type: string | undefined): Verdict {
  let uninit: UninitStackRead[] | undefined;
  for (const p of programs) {
    const v = verdictOf(p, type ?? p.section);
    if (!v.ok) return v;
    if (p === programs[0]) uninit = v.uninit ?? [];
  }
  return { ok: true, ...(uninit ? { uninit } : {}) };
}

type Verdict = { ok: boolean; why?: string; uninit?: UninitStackRead[] };

/**
 * Verdicts by Program object and type: a Program is not changed once loaded, and a test or a scenario
 * suite opens many engines and socket worlds on the same objects.
 */
const verdicts = new WeakMap<Program, Map<string, Verdict>>();
function verdictOf(p: Program, typeName: string): Verdict {
  let byType = verdicts.get(p);
  if (!byType) verdicts.set(p, (byType = new Map()));
  let v = byType.get(typeName);
  if (!v) byType.set(typeName, (v = verify(p, typeName)));
  return v;
}
function verify(p: Program, typeName: string): Verdict {
  let kind;
  try { kind = resolveProgType(typeName); } catch { return { ok: false, why: `${p.name}: unknown program type` }; }
  try {
    const res = verifyProgram(p, {
      progType: kind.info.id, ...(kind.attachType !== undefined ? { attachType: kind.attachType } : {}),
      hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0,
    });
    if (res.verdict !== "accept") return { ok: false, why: `${p.name}: ${res.error?.message ?? "rejected"}` };
    return { ok: true, uninit: res.uninitStackReads ?? [] };
  } catch (err) {
    return { ok: false, why: `${p.name}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` };
  }
}

class LocalEngine implements BpfEngine {
  readonly maps = new Map<string, EngineMap>();
  /** Reads of uninitialized stack the verifier found (warned about in checked-mode runs); computed on first need. */
  private uninit: Diagnostic[] | undefined;
  constructor(readonly kind: EngineKind, readonly program: Program, readonly rt: RuntimeProgram, readonly info: LocalEngineInfo,
    private readonly opts: { mode?: "checked" | "fast"; type?: string; uninit?: UninitStackRead[] } = {}) {
    if (kind === "interp") this.debug = (input = {}) => rt.debug(input);
    if (opts.uninit) this.uninit = opts.uninit.map(uninitStackWarning);
    const list = (v: MapValue): Uint8Array[] => (Array.isArray(v) ? v : [v]);
    for (const [name, m] of rt.maps) {
      this.maps.set(name, typedEngineMap(program, m.spec, m.perCpu, {
        entries: () => m.entries().map((e) => ({ key: e.key, values: list(e.value) })),
        get: (key) => { const v = m.get(key); return v === undefined ? undefined : list(v); },
        put: (key, value, flags) => m.set(key, m.perCpu ? Array.from({ length: rt.cpus }, () => value) : value, flags),
      }));
    }
  }
  run(input: EngineRunInput = {}): EngineRunResult {
    const r: EngineRunResult = this.rt.run(input);
    const w = this.warnings();
    if (w) r.warnings = w;
    return r;
  }
  /**
   * Checked mode warns at each pc that reads stack never written: the kernel returns garbage there.
   * The compiled engine warns too when the verifier's answer is at hand (auto and compiled verify anyway).
   */
  private warnings(): Diagnostic[] | undefined {
    if (this.kind === "interp" ? (this.opts.mode ?? "checked") === "checked" : this.uninit !== undefined) {
      const w = this.uninitWarnings();
      if (w.length) return w;
    }
    return undefined;
  }
  private uninitWarnings(): Diagnostic[] {
    // the verdict cache's answer (a program the verifier cannot judge gets no warnings)
    this.uninit ??= (verdictOf(this.program, this.opts.type ?? this.program.section).uninit ?? []).map(uninitStackWarning);
    return this.uninit;
  }
  /** The results run() would give, input by input (with the same warnings). */
  runBatch(inputs: readonly EngineRunInput[]): BatchOutcome[] {
    // (a compiled program the verifier did not accept runs its batch input by input: runtime.ts gives
    // WebAssembly batch drivers only to verified programs)
    const out: BatchOutcome[] = this.rt.runBatch(inputs);
    const w = this.warnings();
    if (w) for (const o of out) if (o.ok) (o.result as EngineRunResult).warnings = w;
    return out;
  }
  /** Compiled XDP programs that cannot move the packet run batches in place; others go through runBatch (loadPacketBatch). */
  loadBatch(packets: PacketList, options: { cpu?: number } = {}): PacketBatch | undefined {
    const arena = this.kind === "compiled" ? this.rt.loadPackets(packets) : undefined;
    return arena && new ArenaPacketBatch(this.rt, arena, packets, options.cpu);
  }
  /** Stepping is the interpreter's (compiled engines have no `debug`). */
  readonly debug?: (input?: Omit<EngineRunInput, "repeat" | "onProgress">) => Stepper;
  close(): void { /* nothing outside this process */ }
}

/** Load `program` (with `others`, its tail-call targets) into an interpreter or compiled engine. */
export function openEngine(program: Program, options: EngineOptions = {}): BpfEngine & { readonly info: LocalEngineInfo } {
  const choice = options.engine ?? "auto";
  const { engine: _, ...load } = options;
  const eo = { ...(options.mode ? { mode: options.mode } : {}), ...(options.type !== undefined ? { type: options.type } : {}) };
  if (choice === "interp") return new LocalEngine("interp", program, loadProgram(program, { ...load, executor: "interp" }), { verified: false }, eo);
  const all = [program, ...(options.others ?? []).filter((p) => p !== program && p.name !== program.name)];
  const v = verifiedForCompile(all, options.type);
  if (choice === "auto" && (!v.ok || options.mode === "checked")) {
    return new LocalEngine("interp", program, loadProgram(program, { ...load, executor: "interp" }), { verified: v.ok, ...(v.why ? { rejected: v.why } : {}) },
      { ...eo, ...(v.uninit ? { uninit: v.uninit } : {}) });
  }
  const { mode: _m, ...rest } = load;
  if (options.mode === "checked") {
    throw new BpfkitError(diag("BK5013", { what: "checked mode needs the interpreter: compiled code runs with fast mode's semantics" }, {}, "use --engine interp for checked mode"), 2);
  }
  const rt = loadProgram(program, { ...rest, executor: "compiled", verified: v.ok });
  return new LocalEngine("compiled", program, rt, { verified: v.ok, ...(v.why ? { rejected: v.why } : {}), ...(rt.compileStats ? { compile: rt.compileStats } : {}) },
    { ...eo, ...(v.uninit ? { uninit: v.uninit } : {}) });
}
