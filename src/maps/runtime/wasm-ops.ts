// The WebAssembly map operations (asm/maps.entry.ts, built into wasm/maps.wasm): one instance per runtime
// memory, shared by the map objects of this folder (user-space reads and writes), the interpreter and
// compiled programs (bpf_map_*_elem), which import its program-side exports directly: a map operation
// from BPF code never crosses into JavaScript for the map types it implements.
import mapsBytes from "../../../wasm/maps.bytes.js";
import { BpfkitError, diag } from "../../diagnostics/index.js";
import { globalMismatches } from "../../runtime/layout.js";
import type { RuntimeMemory } from "../../runtime/memory.js";
import { DESC, ENTRY_FIELDS, KEY_HASH, NODE_FIELDS } from "./layout.js";

export interface MapOps {
  /** Program side (imported by the interpreter and compiled code): r1 map, r2 key, ... as u64. */
  readonly lookup: (m: bigint, key: bigint, cpu: number) => bigint;
  readonly update: (m: bigint, key: bigint, value: bigint, flags: bigint, cpu: number) => bigint;
  readonly remove: (m: bigint, key: bigint) => bigint;
  /** Host side: descriptor and key addresses. */
  readonly initAt: (d: number) => void;
  readonly lookupAt: (d: number, key: number, cpu: number) => number;
  readonly findAt: (d: number, key: number) => number;
  readonly upsertAt: (d: number, key: number, flags: bigint) => number;
  readonly deleteAt: (d: number, key: number) => number;
  /** The instance's exports, for importing into other modules. */
  readonly exports: WebAssembly.Exports;
}

/**
 * Update flags (a JavaScript number) as the u64 the WebAssembly operations take. Numbers past 2^64 - 1 or
 * not exact (2 ** 64 would wrap to 0, BPF_ANY) become all ones: every map refuses any flag past the known
 * ones with -EINVAL, so what matters is that they stay unknown.
 */
export function flagsU64(flags: number): bigint {
  return Number.isSafeInteger(flags) && flags >= 0 ? BigInt(flags) : 0xffffffffffffffffn;
}

let module: WebAssembly.Module | undefined;
const instances = new WeakMap<RuntimeMemory, MapOps>();

/** The map operations over `mem` (instantiated on first use). */
export function mapOps(mem: RuntimeMemory): MapOps {
  let ops = instances.get(mem);
  if (ops) return ops;
  module ??= new WebAssembly.Module(mapsBytes);
  const instance = new WebAssembly.Instance(module, { env: { memory: mem.memory, abort: () => { throw new Error("maps abort"); } } });
  const x = instance.exports;
  const bad = checkMapLayout(x);
  if (bad.length) throw new BpfkitError(diag("BK5008", { what: `wasm/maps.wasm was built with another map layout (${bad.join("; ")}): rebuild with npm run build:wasm` }));
  ops = {
    lookup: x.lookup as MapOps["lookup"], update: x.update as MapOps["update"], remove: x.remove as MapOps["remove"],
    initAt: x.initAt as MapOps["initAt"], lookupAt: x.lookupAt as MapOps["lookupAt"], findAt: x.findAt as MapOps["findAt"],
    upsertAt: x.upsertAt as MapOps["upsertAt"], deleteAt: x.deleteAt as MapOps["deleteAt"], exports: x,
  };
  instances.set(mem, ops);
  return ops;
}

function checkMapLayout(x: WebAssembly.Exports): string[] {
  const expected: Record<string, number> = { DESC_SIZE: DESC.SIZE };
  for (const [k, v] of Object.entries(DESC)) if (k !== "SIZE") expected[`D_${k}`] = v;
  for (const [k, v] of Object.entries(ENTRY_FIELDS)) expected[`E_${k}`] = v;
  for (const [k, v] of Object.entries(NODE_FIELDS)) expected[`N_${k}`] = v;
  const bad = globalMismatches(x, expected);
  for (const [k, v] of Object.entries(KEY_HASH)) {
    const g = x[`H_${k}`];
    const actual = g instanceof WebAssembly.Global ? BigInt.asUintN(64, BigInt(g.value as bigint)) : undefined;
    if (actual !== v) bad.push(`H_${k}: wasm has ${actual}, host expects ${v}`);
  }
  return bad;
}
