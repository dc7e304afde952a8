// The one engine interface: load a program (openEngine), seed maps, run (one input or a batch), read
// maps, close. The interpreter, the compiled engine (src/engine/local.ts) and the kernel's
// BPF_PROG_TEST_RUN (src/kernel/testrun.ts) implement it; the CLI, the test API (src/testing) and the
// playground use nothing else, so a new engine needs no wrapper of its own anywhere.
import type { Shape } from "../btf/values.js";
import type { TypedEntry } from "../maps/typed.js";
import type { Program } from "../program/index.js";
import type { Stepper } from "../runtime/step.js";
import type { CtxChange } from "../progtypes/context.js";
import type { Diagnostic } from "../diagnostics/index.js";
import type { PacketList } from "../runtime/packet-batch.js";
import type { PacketBatch } from "./batch.js";

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
  /**
   * Context fields the program changed, by name (`skb->mark 0 -> 42`), from the program type's context
   * table (src/progtypes/context.ts). The kernel engine sees only what BPF_PROG_TEST_RUN copies back to
   * ctx_out (mark, priority, cb, tstamp for __sk_buff), and only when a ctx was given.
   */
  ctxChanges?: CtxChange[];
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
  /**
   * Warnings at a pc, such as reads of stack the program never wrote (BK9804: the kernel returns stack
   * garbage there), as the verifier emulator found them on its paths: the interpreter in checked mode, and
   * the compiled engine (which was verified anyway); not the interpreter in fast mode, nor the kernel.
   */
  warnings?: Diagnostic[];
}

/** A batch run's outcome per input: a result, or the error that input ended with. */
export type BatchOutcome = { ok: true; result: EngineRunResult } | { ok: false; error: Error };

/**
 * A key or value as the map API takes it: its bytes, or typed by the map's BTF (src/btf/values.ts): a
 * number or bigint for an integer, a string in the command line's syntax (`192.0.2.0/24`, `10.0.0.1`,
 * `{vip: 10.0.0.100, port: 80}`), an object by field, an array by element. Builders for bytes without
 * BTF: `mapValues.u32(7)`, `.ipv4("10.0.0.1")`, `.prefix("192.0.2.0/24")`.
 */
export type MapInput = Uint8Array | number | bigint | string | boolean | readonly unknown[] | { readonly [field: string]: unknown };

export interface EngineMap {
  readonly name: string;
  /** Map type by kernel name in lower case (`hash`, `lpm_trie`...). */
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly perCpu: boolean;
  /** Key and value types: by the object's BTF where it has them, else bytes (lpm_trie keys as prefixes). */
  readonly keyShape: Shape;
  readonly valueShape: Shape;
  /** Every entry; per-CPU maps give one value per CPU. */
  entries(): { key: Uint8Array; values: Uint8Array[] }[];
  /** Every entry, typed (`entry.key.value`, `entry.value.u64`, `String(entry.key)`). */
  typedEntries(): TypedEntry[];
  /** One entry by key, typed; undefined when the map has no such key. */
  lookup(key: MapInput): TypedEntry | undefined;
  /**
   * Write one entry (a per-CPU map gets `value` on every CPU). `flags`: BPF_ANY (0, default), BPF_NOEXIST
   * (1), BPF_EXIST (2). Throws a MapError (`.errno`, `.errnoName`, `.map`) when the map refuses it, and a
   * ValueSyntaxError when a typed key or value does not fit the map's type.
   */
  update(key: MapInput, value: MapInput, flags?: number): void;
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
  /**
   * Load packets once as a batch to run (and replay) with summary results (src/engine/batch.ts); an engine
   * without its own way gets one over runBatch from loadPacketBatch(), so call that rather than this.
   */
  loadBatch?(packets: PacketList, options?: { cpu?: number }): PacketBatch | undefined;
  /**
   * One run of `input`, an instruction at a time (src/runtime/step.ts): only the interpreter steps, so
   * only `interp` engines have it (open one with `engine: "interp"`). Maps carry over as between runs.
   */
  debug?(input?: Omit<EngineRunInput, "repeat" | "onProgress">): Stepper;
  close(): void;
}

/** Seed `maps` (name -> [key, value] pairs) into an engine; throws naming the map that is missing. */
export function seedMaps(engine: BpfEngine, maps: Record<string, readonly (readonly [MapInput, MapInput])[]>): void {
  for (const [name, entries] of Object.entries(maps)) {
    const m = engine.maps.get(name);
    if (!m) throw new Error(`${engine.kind}: program '${engine.program.name}' has no map '${name}' (it has ${[...engine.maps.keys()].join(", ") || "none"})`);
    for (const [key, value] of entries) m.update(key, value);
  }
}
