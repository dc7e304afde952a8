// BPF_MAP_TYPE_PERF_EVENT_ARRAY: bpf_perf_event_output(ctx, map, flags, data, size) writes a sample to the
// perf buffer of CPU `flags & BPF_F_INDEX_MASK` (BPF_F_CURRENT_CPU: the running CPU). Here every index below
// max_entries has an open buffer and the samples are captured for the test.
import type { MapSpec } from "../../program/program.js";
import { ERRNO, RuntimeMap, type MapEntry, type MapHost, type MapValue } from "./map.js";

export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = 0xffffffffn;

export interface PerfSample { cpu: number; data: Uint8Array }

export class PerfEventArrayMap extends RuntimeMap {
  readonly samples: PerfSample[] = [];
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, 4); }
  output(flags: bigint, data: Uint8Array): number {
    if (flags & ~(BPF_F_INDEX_MASK | (0xfffffn << 32n))) return -ERRNO.EINVAL; // BPF_F_CTXLEN_MASK in the high bits
    const index = (flags & BPF_F_INDEX_MASK) === BPF_F_CURRENT_CPU ? this.host.cpu() : Number(flags & BPF_F_INDEX_MASK);
    if (index >= this.spec.maxEntries) return -ERRNO.E2BIG;
    this.samples.push({ cpu: index, data });
    return 0;
  }
  lookup(): number { return 0; }
  update(): number { return -ERRNO.ENOTSUPP; }
  delete(): number { return -ERRNO.ENOTSUPP; }
  get(): MapValue | undefined { return undefined; }
  entries(): MapEntry[] { return this.samples.map((s, i) => ({ key: new Uint8Array([i]), value: s.data })); }
}
