// BPF_MAP_TYPE_PROG_ARRAY: slots holding programs for bpf_tail_call. Slots are filled by name (the runtime
// resolves names to loaded programs); programs cannot look up or update it.
import type { MapSpec } from "../../program/program.js";
import { ERRNO, RuntimeMap, u32Bytes, u32Key, type MapEntry, type MapHost, type MapValue } from "./map.js";

export class ProgArrayMap extends RuntimeMap {
  readonly slots = new Map<number, string>();
  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, 3);
    for (const s of spec.initialSlots ?? []) this.slots.set(s.index, s.target);
  }
  /** Put a program (by name) at an index; -E2BIG past the end. */
  setProgram(index: number, name: string | undefined): number {
    if (index >= this.spec.maxEntries) return -ERRNO.E2BIG;
    if (name === undefined) this.slots.delete(index); else this.slots.set(index, name);
    return 0;
  }
  programAt(index: number): string | undefined { return this.slots.get(index); }
  lookup(): number { return 0; }
  update(): number { return -ERRNO.EINVAL; }
  delete(key: Uint8Array): number { return this.slots.delete(u32Key(key)) ? 0 : -ERRNO.ENOENT; }
  get(key: Uint8Array): MapValue | undefined {
    const n = this.slots.get(u32Key(key));
    return n === undefined ? undefined : new TextEncoder().encode(n);
  }
  entries(): MapEntry[] { return [...this.slots].map(([i, n]) => ({ key: u32Bytes(i), value: new TextEncoder().encode(n) })); }
}
