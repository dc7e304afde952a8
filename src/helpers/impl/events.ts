// Output to user space: perf event samples and ring buffer records, captured for the test.
import { ERRNO } from "../../maps/runtime/map.js";
import { PerfEventArrayMap } from "../../maps/runtime/perf-event-array.js";
import { RingbufMap } from "../../maps/runtime/ringbuf.js";
import { addr, err, helperFail, ok, type HelperCall, type HelperImpl } from "./env.js";

function ringbuf(c: HelperCall, handle: bigint): RingbufMap {
  const m = c.rt.map(handle, c.name);
  if (!(m instanceof RingbufMap)) helperFail(c, `map '${m.name}' is a ${m.spec.type}, not a ringbuf`);
  return m;
}

/** bpf_perf_event_output(ctx, map, flags, data, size). */
export const perf_event_output: HelperImpl = (c) => {
  const m = c.rt.map(c.args[1], c.name);
  if (!(m instanceof PerfEventArrayMap)) helperFail(c, `map '${m.name}' is a ${m.spec.type}, not a perf_event_array`);
  const size = Number(c.args[4]);
  if (size > 0xffff) return err(ERRNO.EFAULT);
  const r = m.output(c.args[2], c.rt.mem.read(addr(c.args[3]), size));
  return r < 0 ? err(-r) : ok;
};

/** bpf_ringbuf_output(ringbuf, data, size, flags). */
export const ringbuf_output: HelperImpl = (c) => {
  const r = ringbuf(c, c.args[0]).output(c.rt.mem.read(addr(c.args[1]), Number(c.args[2] & 0xffffffffn)), Number(c.args[3]));
  return r < 0 ? err(-r) : ok;
};
/** bpf_ringbuf_reserve(ringbuf, size, flags): a pointer into the ring or NULL. */
export const ringbuf_reserve: HelperImpl = (c) => BigInt(ringbuf(c, c.args[0]).reserve(Number(c.args[1] & 0xffffffffn), Number(c.args[2])));

const commit = (discard: boolean): HelperImpl => (c) => {
  const a = addr(c.args[0]);
  for (const m of c.rt.ringbufs()) if (m.commit(a, discard)) return ok;
  return helperFail(c, `0x${a.toString(16)} is not a record reserved with bpf_ringbuf_reserve`);
};
export const ringbuf_submit = commit(false);
export const ringbuf_discard = commit(true);
export const ringbuf_query: HelperImpl = (c) => ringbuf(c, c.args[0]).query(Number(c.args[1]));
