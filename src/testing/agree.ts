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
// Engine agreement for users' tests: run one program on the same inputs in several engines (by default
// bpfkit's own engine, compiled when the verifier accepts the program, and the kernel's BPF_PROG_TEST_RUN),
// then compare, input by input, the return value, the output packet, the output context and the contents
// of the maps. Every engine is opened through the one engine interface (src/engine/types.ts).
//
//   import { expectEnginesAgree } from "bpfkit/testing";   (src/testing/index.ts)
//   expectEnginesAgree(program, [{ data: frame1 }, { data: frame2 }], { maps: { blocklist: [[key, value]] } });
//   expectEnginesAgree(program, inputs, { engines: ["interp", "compiled", "kernel"] });
//
// `compareEngines` returns the report instead of throwing. The kernel engine needs root on Linux: without
// it, `kernelBackendProblem()` says why (callers usually skip, as test/support/kernel.ts does).
// Maps are seeded identically in every engine before the first input. Per-CPU values are folded before they
// are compared (each aligned 8-byte lane summed over CPUs): the engines need not run on the same CPU, nor
// have the same number of CPUs. Maps whose values are kernel objects (prog_array, sockmap, devmap, perf
// buffers...) are not compared. Two engines that refuse an input the same way (the same errno, as
// BPF_PROG_TEST_RUN's EINVAL for a runt frame) agree.
import type { Program } from "../program/index.js";
import { BpfkitError } from "../diagnostics/index.js";
import { openEngine, seedMaps, type BpfEngine, type EngineOptions, type EngineRunResult } from "../engine/index.js";
import { KernelError } from "../kernel/errors.js";
import { openKernelEngine, type KernelEngineOptions } from "../kernel/testrun.js";

/** One run's input, as every engine takes it. */
export interface EngineInput {
  data?: Uint8Array;
  ctx?: Uint8Array;
  /** Shown in the report instead of `input #N`. */
  name?: string;
}

/** A map as the comparison sees it: entries with one value, or one per CPU. */
export interface MapSnapshot {
  type: string;
  entries: { key: Uint8Array; values: Uint8Array[] }[];
}

export type MapSeed = Record<string, readonly (readonly [Uint8Array, Uint8Array])[]>;

/** An engine to compare: by kind (`auto` = compiled when verified, else the interpreter), or one already made. */
export type EngineChoice = "auto" | "interp" | "compiled" | "kernel" | ((program: Program, others: readonly Program[]) => BpfEngine);

export interface AgreeOptions {
  /** Entries written to every engine's maps before the first input: map name -> [key, value] pairs. */
  maps?: MapSeed;
  /** Other programs of the object (tail-call targets). */
  others?: readonly Program[];
  /** Compare maps after each input: true (default) = every comparable map; a list = only these; false = none. */
  compareMaps?: boolean | readonly string[];
  /** Stop collecting after this many differences (default 50). */
  maxDifferences?: number;
  /** Options of the local engines (mode, cpus, seed ...). */
  interpreter?: Omit<EngineOptions, "engine" | "others">;
  /** Kernel load options. */
  kernel?: KernelEngineOptions;
  /** The engines to run, each compared with the first (default: ["auto", "kernel"]). */
  engines?: readonly EngineChoice[];
}

export interface EngineDifference {
  /** Index of the input; -1 for differences found before any run (loading). */
  input: number;
  inputName: string;
  what: "retval" | "data" | "ctx" | "map" | "error";
  map?: string;
  key?: string;
  /** The two engines compared (labels as in `AgreeReport.engines`) and what each gave. */
  engines: [string, string];
  a: string;
  b: string;
}

export interface AgreeReport {
  agree: boolean;
  /** Labels of the engines run, in order (`interp`, `compiled`, `kernel`; repeated kinds get `#2`...). */
  engines: string[];
  differences: EngineDifference[];
  /** Results per input, by engine label (undefined where that engine failed). */
  results: Record<string, EngineRunResult | undefined>[];
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
function packetDiff(a: Uint8Array, b: Uint8Array, names: [string, string]): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 4);
  return `first difference at byte ${i} (lengths ${a.length} vs ${b.length}): ` +
    `${names[0]} [${hex(a.subarray(from, i + 12))}] ${names[1]} [${hex(b.subarray(from, i + 12))}] from byte ${from}`;
}

/**
 * What an engine's failure means, for comparing failures: the errno where the engine names one (the
 * kernel's KernelError; the local engines' input checks say which errno the kernel answers), else the
 * first line of the message.
 */
export function failureKind(err: unknown): string {
  if (err instanceof KernelError) return err.errnoName;
  const message = err instanceof Error ? err.message : String(err);
  const m = /BPF_PROG_TEST_RUN answers (E[A-Z0-9]+)/.exec(message);
  if (m) return m[1]!;
  return message.split("\n")[0]!;
}

function snapshotMaps(engine: BpfEngine): Map<string, MapSnapshot> {
  const out = new Map<string, MapSnapshot>();
  for (const [name, m] of engine.maps) out.set(name, { type: m.type, entries: m.entries() });
  return out;
}

function open(choice: EngineChoice, program: Program, options: AgreeOptions): BpfEngine {
  const others = options.others ?? [];
  if (typeof choice === "function") return choice(program, others);
  if (choice === "kernel") return openKernelEngine(program, { ...(options.kernel ?? {}), ...(others.length ? { others } : {}) });
  // The compiled engine has one mode (fast mode's semantics): a mode given for the interpreter is not its.
  const { mode, ...local } = options.interpreter ?? {};
  return openEngine(program, { ...local, ...(choice !== "compiled" && mode ? { mode } : {}), engine: choice, ...(others.length ? { others: [...others] } : {}) });
}

// ---- comparison ----

function compareMaps(input: number, inputName: string, engines: [string, string], a: Map<string, MapSnapshot>, b: Map<string, MapSnapshot>, only: readonly string[] | undefined, push: (d: EngineDifference) => void): void {
  const names = [...new Set([...a.keys(), ...b.keys()])].filter((n) => (only ? only.includes(n) : true)).sort();
  for (const name of names) {
    const x = a.get(name), y = b.get(name);
    if (!x || !y) {
      push({ input, inputName, what: "map", map: name, engines, a: x ? "present" : "no such map", b: y ? "present" : "no such map" });
      continue;
    }
    if (NOT_COMPARED.has(x.type)) continue;
    const keyed = (s: MapSnapshot) => new Map(s.entries.map((e) => [hex(e.key, 1 << 12), foldPerCpu(e.values)]));
    const xa = keyed(x), yb = keyed(y);
    for (const k of [...new Set([...xa.keys(), ...yb.keys()])].sort()) {
      const u = xa.get(k), v = yb.get(k);
      if (u && v && same(u, v)) continue;
      push({ input, inputName, what: "map", map: name, key: k, engines, a: u ? hex(u) + num(u) : "(no entry)", b: v ? hex(v) + num(v) : "(no entry)" });
    }
  }
}

function describe(d: EngineDifference): string {
  const where = d.input < 0 ? "before the runs" : d.inputName;
  const what = d.what === "map" ? `map ${d.map}${d.key !== undefined ? ` key [${d.key}]` : ""}` : d.what;
  if (d.what === "data" && d.b.startsWith("first difference")) return `${where}: data: ${d.b}`;
  return `${where}: ${what}: ${d.engines[0]} ${d.a}, ${d.engines[1]} ${d.b}`;
}

/** Run `program` on every input in every engine and report every difference (nothing thrown for them). */
export function compareEngines(program: Program, inputs: readonly EngineInput[], options: AgreeOptions = {}): AgreeReport {
  const max = options.maxDifferences ?? 50;
  const differences: EngineDifference[] = [];
  const push = (d: EngineDifference): void => { if (differences.length < max) differences.push(d); };
  const results: AgreeReport["results"] = [];
  const choices = options.engines ?? ["auto", "kernel"];
  const engines: BpfEngine[] = [];
  const labels: string[] = [];
  try {
    for (const c of choices) {
      const e = open(c, program, options);
      engines.push(e);
      const n = labels.filter((l) => l === e.kind || l.startsWith(`${e.kind}#`)).length;
      labels.push(n ? `${e.kind}#${n + 1}` : e.kind);
    }
    for (const e of engines) seedMaps(e, options.maps ?? {});
    const only = Array.isArray(options.compareMaps) ? options.compareMaps : undefined;
    // Maps are compared after each input unless no engine has one to compare (and all have the same maps).
    const names = (e: BpfEngine): string => [...e.maps.keys()].filter((n) => (only ? only.includes(n) : true)).sort().join("\0");
    const withMaps = options.compareMaps !== false && (engines.some((e) => [...e.maps.values()].some((m) => !NOT_COMPARED.has(m.type) && (only ? only.includes(m.name) : true))) ||
      engines.some((e) => names(e) !== names(engines[0]!)));
    const runInput = (input: EngineInput) => ({ ...(input.data ? { data: input.data } : {}), ...(input.ctx ? { ctx: input.ctx } : {}) });
    type Run = { r?: EngineRunResult; error?: string };
    const failed = (err: unknown): Run => {
      if (!(err instanceof BpfkitError) && !(err instanceof Error)) throw err;
      return { error: failureKind(err) };
    };
    // Without maps to compare between inputs, each engine runs all inputs as one batch (runBatch: the
    // compiled engine runs XDP packets inside WebAssembly, the per-call costs are paid once); the outcomes
    // are the ones run() gives input by input.
    const batched = !withMaps && inputs.length > 1
      ? engines.map((e) => e.runBatch(inputs.map(runInput)).map((o): Run => (o.ok ? { r: o.result } : failed(o.error))))
      : undefined;
    inputs.forEach((input, i) => {
      const inputName = input.name ?? `input #${i}`;
      const runs = batched ? batched.map((b) => b[i]!) : engines.map((e): Run => {
        try {
          return { r: e.run(runInput(input)) };
        } catch (err) {
          return failed(err);
        }
      });
      const row: Record<string, EngineRunResult | undefined> = {};
      runs.forEach((x, k) => { row[labels[k]!] = x.r; });
      results.push(row);
      const snaps = withMaps ? engines.map(snapshotMaps) : [];
      for (let k = 1; k < engines.length; k++) {
        const a = runs[0]!, b = runs[k]!;
        const names: [string, string] = [labels[0]!, labels[k]!];
        if (!a.r || !b.r) {
          if (a.error !== b.error) push({ input: i, inputName, what: "error", engines: names, a: a.error ?? `retval ${a.r!.retval}`, b: b.error ?? `retval ${b.r!.retval}` });
        } else {
          if ((a.r.retval >>> 0) !== (b.r.retval >>> 0)) push({ input: i, inputName, what: "retval", engines: names, a: String(a.r.retval >>> 0), b: String(b.r.retval >>> 0) });
          if (!same(a.r.data, b.r.data)) push({ input: i, inputName, what: "data", engines: names, a: hex(a.r.data), b: packetDiff(a.r.data, b.r.data, names) });
          if (input.ctx && a.r.ctx && b.r.ctx) {
            const n = Math.min(a.r.ctx.length, b.r.ctx.length);
            if (!same(a.r.ctx.subarray(0, n), b.r.ctx.subarray(0, n))) push({ input: i, inputName, what: "ctx", engines: names, a: hex(a.r.ctx.subarray(0, n)), b: hex(b.r.ctx.subarray(0, n)) });
          }
        }
        if (withMaps) compareMaps(i, inputName, names, snaps[0]!, snaps[k]!, only, push);
      }
    });
  } finally {
    for (const e of engines) e.close();
  }
  return {
    agree: differences.length === 0,
    engines: labels,
    differences,
    results,
    text: () => differences.map(describe).join("\n"),
  };
}

/** Like compareEngines, but throws an Error listing every difference when the engines disagree. */
export function expectEnginesAgree(program: Program, inputs: readonly EngineInput[], options: AgreeOptions = {}): AgreeReport {
  const report = compareEngines(program, inputs, options);
  if (!report.agree) {
    const err = new Error(`engines ${report.engines.join(", ")} disagree on program '${program.name}' (${report.differences.length} difference${report.differences.length === 1 ? "" : "s"}):\n${report.text()}`);
    err.name = "EnginesDisagree";
    throw err;
  }
  return report;
}
