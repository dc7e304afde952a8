// Helpers without side effects on maps or packets: time (a clock the test controls), seeded randomness,
// CPU and NUMA ids, the fixed identity of the "current task", spin locks (single-threaded: they only
// check pairing), and bpf_loop, which calls back into the program.
import { ERRNO } from "../../maps/runtime/map.js";
import { addr, err, helperFail, ok, u64, type HelperImpl } from "./env.js";

export const ktime_get_ns: HelperImpl = (c) => c.rt.now();
export const ktime_get_boot_ns: HelperImpl = (c) => c.rt.now();
export const ktime_get_coarse_ns: HelperImpl = (c) => c.rt.now() - (c.rt.now() % 4_000_000n); // jiffy granularity (HZ=250)
export const ktime_get_tai_ns: HelperImpl = (c) => c.rt.now() + 37_000_000_000n; // TAI - UTC offset
export const jiffies64: HelperImpl = (c) => 4294937296n + c.rt.now() / 4_000_000n; // INITIAL_JIFFIES, HZ=250
export const get_prandom_u32: HelperImpl = (c) => BigInt(c.rt.random32());
export const get_smp_processor_id: HelperImpl = (c) => BigInt(c.rt.cpu());
export const get_numa_node_id: HelperImpl = () => 0n;
export const get_current_pid_tgid: HelperImpl = (c) => (BigInt(c.rt.task.tgid) << 32n) | BigInt(c.rt.task.pid);
export const get_current_uid_gid: HelperImpl = (c) => (BigInt(c.rt.task.gid) << 32n) | BigInt(c.rt.task.uid);
export const get_current_comm: HelperImpl = (c) => {
  const size = Number(c.args[1] & 0xffffffffn);
  if (size === 0) return err(ERRNO.EINVAL);
  const out = new Uint8Array(size);
  const name = new TextEncoder().encode(c.rt.task.comm).subarray(0, size - 1);
  out.set(name);
  c.rt.mem.write(addr(c.args[0]), out);
  return ok;
};

export const spin_lock: HelperImpl = (c) => {
  const a = addr(c.args[0]);
  if (c.rt.capture.locks.has(a)) helperFail(c, `the lock at 0x${a.toString(16)} is already held (the program would deadlock)`);
  c.rt.capture.locks.add(a);
  c.rt.mem.dv.setUint32(a, 1, true);
  return ok;
};
export const spin_unlock: HelperImpl = (c) => {
  const a = addr(c.args[0]);
  c.rt.capture.locks.delete(a);
  c.rt.mem.dv.setUint32(a, 0, true);
  return ok;
};

const BPF_MAX_LOOPS = 1 << 23;
/** bpf_loop(nr_loops, callback_fn, callback_ctx, flags): callback(i, ctx) until it returns 1; returns the count. */
export const loop: HelperImpl = (c) => {
  const n = Number(c.args[0] & 0xffffffffn);
  if (c.args[3] !== 0n) return err(ERRNO.EINVAL);
  if (n > BPF_MAX_LOOPS) return err(ERRNO.E2BIG);
  const fn = addr(c.args[1]);
  let i = 0;
  for (; i < n; i++) {
    const r = c.rt.callback(fn, [BigInt(i), c.args[2]]);
    if (r === 1n) { i++; break; }
  }
  return u64(i);
};
