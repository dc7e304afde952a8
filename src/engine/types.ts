// The one engine interface: load a program (openEngine), seed maps, run (one input or a batch), read
// maps, close. The interpreter, the compiled engine (src/engine/local.ts) and the kernel's
// BPF_PROG_TEST_RUN (src/kernel/testrun.ts) implement it; the CLI, the test API (src/testing) and the
// playground use nothing else, so a new engine needs no wrapper of its own anywhere.
import type { Program } from "../program/index.js";

/** `interp`: the WebAssembly interpreter (checked mode, stepping); `compiled`: the program compiled to WebAssembly; `kernel`: BPF_PROG_TEST_RUN. */
export type EngineKind = "interp" | "compiled" | "kernel";

export interface EngineRunInput {
  /** Packet bytes. */
  data?: Uint8Array;
  /** Context struct bytes (ctx_in). */
  ctx?: Uint8Array;
  /** Runs of this input (the packet as the previous run left it, as the kernel does); 1 by default. */
  repeat?: number;
  /** Virtual CPU (local engines; the kernel picks its own). */
  cpu?: number;
  /** Called about once a second during a long repeat (local engines). */
  onProgress?: (done: number, total: number) => void;
}

export interface EngineRunResult {
  /** r0 truncated to 32 bits, unsigned (as BPF_PROG_TEST_RUN's retval). */
  retval: number;
  /** The return code's name for the program type (XDP_PASS, TC_ACT_SHOT...). */
  action?: string;
  /** The packet after the run. */
  data: Uint8Array;
  /** The context after the run (when the type has one). */
  ctx?: Uint8Array;
  /** bpf_trace_printk lines (local engines). */
  trace: string[];
  redirect?: object;
  /** Instructions executed by the last run (local engines). */
  insnCount?: number;
  /** ns per run: the steady state (runs 2..repeat) when repeat > 1; the kernel's own average for the kernel. */
  duration: number;
  /** ns of the first run, apart from the steady state (local engines). */
  firstRun?: number;
  ringbuf: { map: string; data: Uint8Array }[];
  perf: { map: string; cpu: number; data: Uint8Array }[];
}

/** A batch run's outcome per input: a result, or the error that input ended with. */
export type BatchOutcome = { ok: true; result: EngineRunResult } | { ok: false; error: Error };

export interface EngineMap {
  readonly name: string;
  /** Map type by kernel name in lower case (`hash`, `lpm_trie`...). */
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly perCpu: boolean;
  /** Every entry; per-CPU maps give one value per CPU. */
  entries(): { key: Uint8Array; values: Uint8Array[] }[];
  /** Write one entry (a per-CPU map gets `value` on every CPU); throws a BpfkitError on failure. */
  update(key: Uint8Array, value: Uint8Array): void;
}

export interface BpfEngine {
  readonly kind: EngineKind;
  readonly program: Program;
  /** The program's maps (and those of its tail-call targets), by name. */
  readonly maps: ReadonlyMap<string, EngineMap>;
  run(input?: EngineRunInput): EngineRunResult;
  /**
   * Many inputs in one call, each run once, in order (maps carry over): the per-call costs (crossing
   * into WebAssembly, context setup) are paid once per batch where the engine can.
   */
  runBatch(inputs: readonly EngineRunInput[]): BatchOutcome[];
  close(): void;
}

/** Seed `maps` (name -> [key, value] pairs) into an engine; throws naming the map that is missing. */
export function seedMaps(engine: BpfEngine, maps: Record<string, readonly (readonly [Uint8Array, Uint8Array])[]>): void {
  for (const [name, entries] of Object.entries(maps)) {
    const m = engine.maps.get(name);
    if (!m) throw new Error(`${engine.kind}: program '${engine.program.name}' has no map '${name}' (it has ${[...engine.maps.keys()].join(", ") || "none"})`);
    for (const [key, value] of entries) m.update(key, value);
  }
}
