// The one place the playground touches an execution engine. Runs go through the library's engine
// interface (src/engine: openEngine, seed maps, run, read maps, close) with `auto`, as `bpfkit run`
// does: compiled to WebAssembly when the verifier accepts the program, the checked interpreter (which
// stops at the first bad access with its pc) when it does not. Stepping opens an interpreter engine,
// the one engine that steps. Programs that run on sockets rather than packets (sockops, sk_msg, sk_skb,
// sock_addr) run in the library's socket world on a scenario instead, a part loaded on demand (parts/sockets.ts).
import { openEngine, type BpfEngine, type EngineRunResult, type MapSpec, type Program, type runtime } from "../../src/index.js";

export interface MapEntryBytes { key: Uint8Array; value: Uint8Array }

/** A map's contents: per-CPU maps give one value per CPU. */
export interface MapContents {
  spec: MapSpec;
  perCpu: boolean;
  entries: { key: Uint8Array; values: Uint8Array[] }[];
}

export interface PlaygroundEngine {
  /** What runs the program: `compiled` (the verifier accepts it) or `interp` (the checked interpreter). */
  readonly kind: "interp" | "compiled";
  /** Write entries from user space; returns a message per entry the map refused. */
  seed(map: string, entries: MapEntryBytes[]): string[];
  readMaps(): MapContents[];
  run(data: Uint8Array): EngineRunResult;
  /** One run, one instruction at a time: engines loaded with `interp` only. */
  debug(data: Uint8Array): runtime.Stepper;
  close(): void;
}

/**
 * Load `program` (and the other programs of its object, for tail calls) into a fresh engine. `auto`:
 * compiled when it verifies, else the checked interpreter; `interp`: the checked interpreter, which
 * steps (and costs neither a verification nor a compilation: the Maps tab's preview).
 */
export function loadEngine(program: Program, others: readonly Program[] = [], choice: "auto" | "interp" = "auto"): PlaygroundEngine {
  const rest = others.filter((p) => p !== program);
  const engine: BpfEngine = openEngine(program, { others: [...rest], ...(choice === "interp" ? { engine: "interp", mode: "checked" } : {}) });
  // map specs by name (a tail-call target's maps are the engine's too)
  const specs = new Map<string, MapSpec>();
  for (const p of [program, ...rest]) for (const m of p.maps) if (!specs.has(m.name)) specs.set(m.name, m);
  return {
    kind: engine.kind === "compiled" ? "compiled" : "interp",
    seed(name, entries) {
      const m = engine.maps.get(name);
      if (!m) return [`the program has no map '${name}'`];
      const problems: string[] = [];
      for (const e of entries) {
        try { m.update(e.key, e.value); } catch (err) { problems.push(err instanceof Error ? err.message : String(err)); }
      }
      return problems;
    },
    readMaps() {
      return [...engine.maps.values()].map((m) => ({ spec: specs.get(m.name)!, perCpu: m.perCpu, entries: m.entries() }));
    },
    run: (data) => engine.run({ data }),
    debug(data) {
      if (!engine.debug) throw new Error("stepping needs the interpreter: load the engine with 'interp'");
      return engine.debug({ data });
    },
    close: () => engine.close(),
  };
}

/** Program types that run on sockets, not packets: the socket world's hooks (parts/sockets.ts SOCKET_PROG_TYPES, checked equal by a test). */
export const SOCKET_PROG_TYPES: readonly string[] = ["sock_ops", "sk_msg", "sk_skb", "cgroup_sock_addr"];

/** Whether `typeName` (the verifier's program type, e.g. `sock_ops`) runs on sockets rather than packets. */
export const isSocketType = (typeName: string | undefined): boolean => typeName !== undefined && SOCKET_PROG_TYPES.includes(typeName);
