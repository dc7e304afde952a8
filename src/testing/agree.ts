// Engine agreement for users' tests: run one program on the same inputs in bpfkit's interpreter
// (src/runtime) and in the kernel (BPF_PROG_TEST_RUN through KernelEngine), then compare, input by input,
// the return value, the output packet, the output context and the contents of the maps.
//
//   import { expectEnginesAgree } from "bpfkit/testing";   (src/testing/index.ts)
//   expectEnginesAgree(program, [{ data: frame1 }, { data: frame2 }], { maps: { blocklist: [[key, value]] } });
//
// `compareEngines` returns the report instead of throwing. The kernel engine needs root on Linux: without
// it, `kernelBackendProblem()` says why (callers usually skip, as test/support/kernel.ts does).
// Maps are seeded identically in both engines before the first input. Per-CPU values are folded before they
// are compared (each aligned 8-byte lane summed over CPUs): the engines need not run on the same CPU, nor
// have the same number of CPUs. Maps whose values are kernel objects (prog_array, sockmap, devmap, perf
// buffers...) are not compared.
import type { Program } from "../program/index.js";
import { mapTypeByName } from "../maps/types.js";
import { loadProgram, type LoadOptions as InterpLoadOptions } from "../runtime/runtime.js";
import { KernelEngine, type KernelEngineOptions } from "../kernel/testrun.js";
import { readMapEntries, possibleCpus, userValueSize } from "../kernel/maps.js";
import { mapUpdate } from "../kernel/commands.js";

/** One run's input, as both engines take it. */
export interface EngineInput {
  data?: Uint8Array;
  ctx?: Uint8Array;
  /** Shown in the report instead of `input #N`. */
  name?: string;
}

/** What an engine run must give back for a comparison (the interpreter's and KernelEngine's results do). */
export interface EngineRunResult {
  retval: number;
  data: Uint8Array;
  ctx?: Uint8Array;
}

/** A map as the comparison sees it: entries with one value, or one per CPU. */
export interface MapSnapshot {
  type: string;
  entries: { key: Uint8Array; values: Uint8Array[] }[];
}

/** An engine behind the comparison: run, and snapshot the maps by name. */
export interface AgreeEngine {
  run(input: { data?: Uint8Array; ctx?: Uint8Array; repeat?: number }): EngineRunResult;
  maps(): Map<string, MapSnapshot>;
  close?(): void;
}

export type MapSeed = Record<string, readonly (readonly [Uint8Array, Uint8Array])[]>;

export interface AgreeOptions {
  /** Entries written to both engines' maps before the first input: map name -> [key, value] pairs. */
  maps?: MapSeed;
  /** Other programs of the object (tail-call targets). */
  others?: readonly Program[];
  /** Compare maps after each input: true (default) = every comparable map; a list = only these; false = none. */
  compareMaps?: boolean | readonly string[];
  /** Stop collecting after this many differences (default 50). */
  maxDifferences?: number;
  /** Interpreter options (mode, cpus, seed ...). */
  interpreter?: InterpLoadOptions;
  /** Kernel load options. */
  kernel?: KernelEngineOptions;
  /** Replace an engine (tests of this helper, or another engine such as a compiled one). */
  engines?: { interpreter?: (program: Program) => AgreeEngine; kernel?: (program: Program) => AgreeEngine };
}

export interface EngineDifference {
  /** Index of the input; -1 for differences found before any run (loading). */
  input: number;
  inputName: string;
  what: "retval" | "data" | "ctx" | "map" | "error";
  map?: string;
  key?: string;
  interpreter: string;
  kernel: string;
}

export interface AgreeReport {
  agree: boolean;
  differences: EngineDifference[];
  /** Results per input (undefined where that engine threw). */
  results: { interpreter?: EngineRunResult; kernel?: EngineRunResult }[];
  /** The differences as text, one per line, for assertion messages. */
  text(): string;
}

/** Map types whose values are kernel objects or streams: nothing comparable by value. */
const NOT_COMPARED = new Set([
  "prog_array", "perf_event_array", "sockmap", "sockhash", "devmap", "devmap_hash", "cpumap", "xskmap", "ringbuf", "user_ringbuf",
  "array_of_maps", "hash_of_maps", "cgroup_array", "reuseport_sockarray", "stack_trace", "sk_storage", "inode_storage", "task_storage",
  "cgrp_storage", "struct_ops", "arena",
]);

const hex = (b: Uint8Array, max = 64): string => {
  const s = Array.from(b.subarray(0, max), (x) => x.toString(16).padStart(2, "0")).join(" ");
  return b.length > max ? `${s} ... (${b.length} bytes)` : s;
};
const num = (b: Uint8Array): string => {
  if (b.length === 0 || b.length > 8) return "";
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return ` (${v})`;
};
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Per-CPU values folded into one: each aligned 8-byte lane summed modulo 2^64 (the tail, bytewise mod 256). */
export function foldPerCpu(values: readonly Uint8Array[]): Uint8Array {
  if (values.length <= 1) return values[0]?.slice() ?? new Uint8Array(0);
  const size = values[0]!.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const lanes = Math.floor(size / 8);
  for (const v of values) {
    const src = new DataView(v.buffer, v.byteOffset, v.length);
    for (let l = 0; l < lanes; l++) dv.setBigUint64(l * 8, BigInt.asUintN(64, dv.getBigUint64(l * 8, true) + src.getBigUint64(l * 8, true)), true);
    for (let i = lanes * 8; i < size; i++) out[i] = (out[i]! + v[i]!) & 0xff;
  }
  return out;
}

/** Where in two packets they first differ, for a readable diff. */
function packetDiff(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 4);
  return `first difference at byte ${i} (lengths ${a.length} vs ${b.length}): ` +
    `interpreter [${hex(a.subarray(from, i + 12))}] kernel [${hex(b.subarray(from, i + 12))}] from byte ${from}`;
}

// ---- the default engines ----

function interpreterEngine(program: Program, options: AgreeOptions): AgreeEngine {
  const rt = loadProgram(program, { ...(options.interpreter ?? {}), ...(options.others ? { others: [...options.others] } : {}) });
  return {
    run: (input) => rt.run(input),
    maps() {
      const out = new Map<string, MapSnapshot>();
      for (const [name, m] of rt.maps) {
        out.set(name, { type: m.spec.type, entries: m.entries().map((e) => ({ key: e.key, values: Array.isArray(e.value) ? e.value : [e.value] })) });
      }
      return out;
    },
    seed(name: string, key: Uint8Array, value: Uint8Array): void {
      const m = rt.maps.get(name);
      if (!m) throw new Error(`interpreter: program '${program.name}' has no map '${name}'`);
      const r = m.set(key, m.perCpu ? Array.from({ length: rt.cpus }, () => value) : value);
      if (r < 0) throw new Error(`interpreter: seeding map '${name}' failed (errno ${-r})`);
    },
  } as AgreeEngine & { seed(name: string, key: Uint8Array, value: Uint8Array): void };
}

function kernelEngine(program: Program, options: AgreeOptions): AgreeEngine {
  const engine = new KernelEngine(program, { ...(options.kernel ?? {}), ...(options.others ? { others: options.others } : {}) });
  return {
    run: (input) => engine.run(input),
    maps() {
      const out = new Map<string, MapSnapshot>();
      for (const [name, m] of engine.mapsByName) out.set(name, { type: m.spec.type, entries: readMapEntries(m.fd) });
      return out;
    },
    seed(name: string, key: Uint8Array, value: Uint8Array): void {
      const m = engine.mapsByName.get(name);
      if (!m) throw new Error(`kernel: program '${program.name}' has no map '${name}'`);
      const t = mapTypeByName(m.spec.type);
      let bytes = value;
      if (t?.perCpu) {
        const size = userValueSize(t.id, m.spec.valueSize);
        const stride = size / possibleCpus();
        bytes = new Uint8Array(size);
        for (let off = 0; off < size; off += stride) bytes.set(value.subarray(0, m.spec.valueSize), off);
      }
      mapUpdate(m.fd, key, bytes);
    },
    close: () => engine.close(),
  } as AgreeEngine & { seed(name: string, key: Uint8Array, value: Uint8Array): void };
}

type Seedable = AgreeEngine & { seed?(name: string, key: Uint8Array, value: Uint8Array): void };

// ---- comparison ----

function compareMaps(input: number, inputName: string, a: Map<string, MapSnapshot>, b: Map<string, MapSnapshot>, only: readonly string[] | undefined, push: (d: EngineDifference) => void): void {
  const names = [...new Set([...a.keys(), ...b.keys()])].filter((n) => (only ? only.includes(n) : true)).sort();
  for (const name of names) {
    const x = a.get(name), y = b.get(name);
    if (!x || !y) {
      push({ input, inputName, what: "map", map: name, interpreter: x ? "present" : "no such map", kernel: y ? "present" : "no such map" });
      continue;
    }
    if (NOT_COMPARED.has(x.type)) continue;
    const keyed = (s: MapSnapshot) => new Map(s.entries.map((e) => [hex(e.key, 1 << 12), foldPerCpu(e.values)]));
    const xa = keyed(x), yb = keyed(y);
    for (const k of [...new Set([...xa.keys(), ...yb.keys()])].sort()) {
      const u = xa.get(k), v = yb.get(k);
      if (u && v && same(u, v)) continue;
      push({
        input, inputName, what: "map", map: name, key: k,
        interpreter: u ? hex(u) + num(u) : "(no entry)",
        kernel: v ? hex(v) + num(v) : "(no entry)",
      });
    }
  }
}

function describe(d: EngineDifference): string {
  const where = d.input < 0 ? "before the runs" : d.inputName;
  const what = d.what === "map" ? `map ${d.map}${d.key !== undefined ? ` key [${d.key}]` : ""}` : d.what;
  if (d.what === "data" && d.kernel.startsWith("first difference")) return `${where}: data: ${d.kernel}`;
  return `${where}: ${what}: interpreter ${d.interpreter}, kernel ${d.kernel}`;
}

/** Run `program` on every input in both engines and report every difference (nothing thrown for them). */
export function compareEngines(program: Program, inputs: readonly EngineInput[], options: AgreeOptions = {}): AgreeReport {
  const max = options.maxDifferences ?? 50;
  const differences: EngineDifference[] = [];
  const push = (d: EngineDifference): void => { if (differences.length < max) differences.push(d); };
  const results: AgreeReport["results"] = [];
  const interp: Seedable = (options.engines?.interpreter ?? ((p) => interpreterEngine(p, options)))(program);
  let kernel: Seedable | undefined;
  try {
    kernel = (options.engines?.kernel ?? ((p) => kernelEngine(p, options)))(program);
    for (const [name, entries] of Object.entries(options.maps ?? {})) {
      for (const [key, value] of entries) {
        interp.seed?.(name, key, value);
        kernel.seed?.(name, key, value);
      }
    }
    const only = Array.isArray(options.compareMaps) ? options.compareMaps : undefined;
    const withMaps = options.compareMaps !== false;
    inputs.forEach((input, i) => {
      const inputName = input.name ?? `input #${i}`;
      const run = (e: AgreeEngine): { r?: EngineRunResult; error?: string } => {
        try {
          return { r: e.run({ ...(input.data ? { data: input.data } : {}), ...(input.ctx ? { ctx: input.ctx } : {}) }) };
        } catch (err) {
          return { error: err instanceof Error ? err.message.split("\n")[0]! : String(err) };
        }
      };
      const a = run(interp), b = run(kernel!);
      results.push({ ...(a.r ? { interpreter: a.r } : {}), ...(b.r ? { kernel: b.r } : {}) });
      if (!a.r || !b.r) {
        if (a.error !== b.error) push({ input: i, inputName, what: "error", interpreter: a.error ?? `retval ${a.r!.retval}`, kernel: b.error ?? `retval ${b.r!.retval}` });
      } else {
        if ((a.r.retval >>> 0) !== (b.r.retval >>> 0)) push({ input: i, inputName, what: "retval", interpreter: String(a.r.retval), kernel: String(b.r.retval) });
        if (!same(a.r.data, b.r.data)) push({ input: i, inputName, what: "data", interpreter: hex(a.r.data), kernel: packetDiff(a.r.data, b.r.data) });
        if (input.ctx && a.r.ctx && b.r.ctx) {
          const n = Math.min(a.r.ctx.length, b.r.ctx.length);
          if (!same(a.r.ctx.subarray(0, n), b.r.ctx.subarray(0, n))) push({ input: i, inputName, what: "ctx", interpreter: hex(a.r.ctx.subarray(0, n)), kernel: hex(b.r.ctx.subarray(0, n)) });
        }
      }
      if (withMaps) compareMaps(i, inputName, interp.maps(), kernel!.maps(), only, push);
    });
  } finally {
    interp.close?.();
    kernel?.close?.();
  }
  return {
    agree: differences.length === 0,
    differences,
    results,
    text: () => differences.map(describe).join("\n"),
  };
}

/** Like compareEngines, but throws an Error listing every difference when the engines disagree. */
export function expectEnginesAgree(program: Program, inputs: readonly EngineInput[], options: AgreeOptions = {}): AgreeReport {
  const report = compareEngines(program, inputs, options);
  if (!report.agree) {
    const err = new Error(`interpreter and kernel disagree on program '${program.name}' (${report.differences.length} difference${report.differences.length === 1 ? "" : "s"}):\n${report.text()}`);
    err.name = "EnginesDisagree";
    throw err;
  }
  return report;
}
