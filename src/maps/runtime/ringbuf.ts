// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): max_entries bytes of data area in the shared memory.
// bpf_ringbuf_reserve hands out a pointer into it (8-byte header + size rounded up to 8), or NULL when the
// unconsumed records leave no room; submit publishes the record, discard drops it; bpf_ringbuf_output
// copies in one step. Published records are captured for the test (drain() consumes them, freeing space).
import type { MapSpec } from "../../program/program.js";
import { ERRNO, RuntimeMap, type MapEntry, type MapHost, type MapValue } from "./map.js";

const HDR = 8;
export const BPF_RB_NO_WAKEUP = 1, BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0, BPF_RB_RING_SIZE = 1, BPF_RB_CONS_POS = 2, BPF_RB_PROD_POS = 3;

interface Reservation { addr: number; size: number; span: number }

export class RingbufMap extends RuntimeMap {
  private readonly data: number;
  private pos = 0;
  private used = 0;
  private producer = 0;
  private consumer = 0;
  private readonly pending = new Map<number, Reservation>();
  /** Submitted records not yet drained. */
  readonly records: Uint8Array[] = [];
  private readonly spans: number[] = [];

  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, 27);
    this.data = host.mem.alloc(spec.maxEntries, 8, `ring buffer ${spec.name}`);
  }
  override valueRegion(): { start: number; end: number } { return { start: this.data, end: this.data + this.spec.maxEntries }; }

  /** Address of a new record of `size` bytes, or 0 when there is no room. */
  reserve(size: number, flags: number): number {
    if (flags !== 0 || size <= 0 || size > this.spec.maxEntries) return 0;
    const span = HDR + Math.ceil(size / 8) * 8;
    if (this.used === 0) this.pos = 0;
    if (this.pos + span > this.spec.maxEntries || this.used + span > this.spec.maxEntries) return 0;
    const addr = this.data + this.pos + HDR;
    this.host.mem.dv.setUint32(addr - HDR, size, true);
    this.pos += span;
    this.used += span;
    this.producer += span;
    this.pending.set(addr, { addr, size, span });
    return addr;
  }
  /** Publish (or drop) a reserved record; false when `addr` is not an outstanding reservation. */
  commit(addr: number, discard: boolean): boolean {
    const r = this.pending.get(addr);
    if (!r) return false;
    this.pending.delete(addr);
    if (discard) { this.used -= r.span; this.consumer += r.span; return true; }
    this.records.push(this.host.mem.read(addr, r.size));
    this.spans.push(r.span);
    return true;
  }
  output(bytes: Uint8Array, flags: number): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -ERRNO.EINVAL;
    const addr = this.reserve(bytes.length, 0);
    if (!addr) return -ERRNO.EAGAIN;
    this.host.mem.write(addr, bytes);
    this.commit(addr, false);
    return 0;
  }
  query(flags: number): bigint {
    switch (flags) {
      case BPF_RB_AVAIL_DATA: return BigInt(this.producer - this.consumer);
      case BPF_RB_RING_SIZE: return BigInt(this.spec.maxEntries);
      case BPF_RB_CONS_POS: return BigInt(this.consumer);
      case BPF_RB_PROD_POS: return BigInt(this.producer);
      default: return 0n;
    }
  }
  /** Take every published record (as a user-space consumer would), freeing their space. */
  drain(): Uint8Array[] {
    const out = this.records.splice(0);
    for (const s of this.spans.splice(0)) { this.used -= s; this.consumer += s; }
    return out;
  }
  lookup(): number { return 0; }
  update(): number { return -ERRNO.ENOTSUPP; }
  delete(): number { return -ERRNO.ENOTSUPP; }
  get(): MapValue | undefined { return undefined; }
  entries(): MapEntry[] { return this.records.map((value, i) => ({ key: new Uint8Array([i]), value })); }
}
