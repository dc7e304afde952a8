// One EngineMap from an engine's three primitives (list, get one key, write one key): the typed side of
// the map API (keys and values by the object's BTF, src/btf/values.ts; TypedBytes accessors) is the same
// for every engine, so the local engines and the kernel's BPF_PROG_TEST_RUN engine share it.
import { encodeValue, formatValue, mapShapes, parseProgramBtf, type Shape } from "../btf/values.js";
import { MapError } from "../maps/errors.js";
import { TypedBytes, type TypedEntry } from "../maps/typed.js";
import type { MapSpec, Program } from "../program/index.js";
import type { EngineMap, MapInput } from "./types.js";

export interface MapPrimitives {
  entries(): { key: Uint8Array; values: Uint8Array[] }[];
  /** The value(s) of one key (one per CPU for per-CPU maps), undefined when absent. */
  get(key: Uint8Array): Uint8Array[] | undefined;
  /** Write one entry (per-CPU maps: `value` on every CPU); throws a MapError when refused. */
  put(key: Uint8Array, value: Uint8Array, flags: number): void;
}

/** The EngineMap for `spec` of `program` (whose BTF types its keys and values), over an engine's primitives. */
export function typedEngineMap(program: Program, spec: MapSpec, perCpu: boolean, ops: MapPrimitives): EngineMap {
  let shapes: { key: Shape; value: Shape } | undefined;
  // BTF is parsed on first use only: a run that never reads a map typed pays nothing for it
  const shape = (): { key: Shape; value: Shape } => (shapes ??= mapShapes(spec, parseProgramBtf(program.btf?.raw)));
  const entry = (key: Uint8Array, values: Uint8Array[]): TypedEntry => {
    const s = shape();
    const typed = values.map((v) => new TypedBytes(v.subarray(0, spec.valueSize), s.value));
    return { key: new TypedBytes(key, s.key), value: typed[0] ?? new TypedBytes(new Uint8Array(spec.valueSize), s.value), values: typed };
  };
  const keyBytes = (key: MapInput): Uint8Array => encodeValue(shape().key, key, `key of map '${spec.name}'`);
  return {
    name: spec.name, type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, perCpu,
    get keyShape() { return shape().key; },
    get valueShape() { return shape().value; },
    entries: () => ops.entries(),
    typedEntries: () => ops.entries().map((e) => entry(e.key, e.values)),
    lookup: (key) => {
      const k = keyBytes(key);
      const values = ops.get(k);
      return values ? entry(k, values) : undefined;
    },
    update: (key, value, flags = 0) => {
      const k = keyBytes(key);
      const v = encodeValue(shape().value, value, `value of map '${spec.name}'`);
      try { ops.put(k, v, flags); } catch (err) {
        // name the key by the map's type (`{saddr: 10.0.0.1, ...}`, `192.0.2.0/24`) rather than its hex
        if (err instanceof MapError && k.length === spec.keySize) throw new MapError(err.map, err.op, err.errno, { key: k, keyText: formatValue(shape().key, k), flags, cause: err.cause ?? err });
        throw err;
      }
    },
  };
}
