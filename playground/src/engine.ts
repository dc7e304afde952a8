// The one place the playground touches an execution engine. Issue #13 brings one engine interface to the
// library (load, seed maps, run, read maps, close); until it lands this adapter gives the same five
// operations over the interpreter's test-run API (runtime.loadProgram), plus stepping, which stays with the
// interpreter. Switching engines later changes this file only.
import { runtime, type MapSpec, type Program } from "../../src/index.js";

export interface MapEntryBytes { key: Uint8Array; value: Uint8Array }

/** A map's contents: per-CPU maps give one value per CPU. */
export interface MapContents {
  spec: MapSpec;
  perCpu: boolean;
  entries: { key: Uint8Array; values: Uint8Array[] }[];
}

export interface PlaygroundEngine {
  /** Write entries from user space; returns a message per entry the map refused. */
  seed(map: string, entries: MapEntryBytes[]): string[];
  readMaps(): MapContents[];
  run(data: Uint8Array): runtime.RunResult;
  /** One run, one instruction at a time (checked interpreter). */
  debug(data: Uint8Array): runtime.Stepper;
  close(): void;
}

const ERRNO_NAMES: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 7: "E2BIG", 12: "ENOMEM", 17: "EEXIST", 22: "EINVAL", 28: "ENOSPC", 524: "ENOTSUPP" };

/** Load `program` (and the other programs of its object, for tail calls) into a fresh engine. */
export function loadEngine(program: Program, others: readonly Program[] = []): PlaygroundEngine {
  const rt = runtime.loadProgram(program, { others: others.filter((p) => p !== program) });
  return {
    seed(name, entries) {
      const m = rt.maps.get(name);
      if (!m) return [`the program has no map '${name}'`];
      const problems: string[] = [];
      for (const e of entries) {
        const r = m.set(e.key, e.value);
        if (r !== 0) problems.push(`${name}: the map refused an entry (${ERRNO_NAMES[-r] ?? r})`);
      }
      return problems;
    },
    readMaps() {
      return [...rt.maps.values()].map((m) => ({
        spec: m.spec,
        perCpu: m.perCpu,
        entries: m.entries().map((e) => ({ key: e.key, values: Array.isArray(e.value) ? e.value : [e.value] })),
      }));
    },
    run: (data) => rt.run({ data }),
    debug: (data) => rt.debug({ data }),
    close() { /* the interpreter's memory is garbage-collected with the runtime */ },
  };
}
