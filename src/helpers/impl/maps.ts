// Map helpers (kernel/bpf/helpers.c): lookup/update/delete by key, push/pop/peek for queue, stack and
// bloom filter, per-CPU lookup. Keys and values are read from the program's memory at the given pointers.
import { ERRNO } from "../../maps/runtime/map.js";
import { BloomFilterMap } from "../../maps/runtime/bloom-filter.js";
import { addr, err, ok, type HelperCall, type HelperImpl } from "./env.js";

const keyOf = (c: HelperCall, ptr: bigint, size: number): Uint8Array => c.rt.mem.read(addr(ptr), size);

export const map_lookup_elem: HelperImpl = (c) => {
  const m = c.rt.map(c.args[0], c.name);
  return BigInt(m.lookup(keyOf(c, c.args[1], m.spec.keySize)));
};

export const map_update_elem: HelperImpl = (c) => {
  const m = c.rt.map(c.args[0], c.name);
  const key = keyOf(c, c.args[1], m.spec.keySize);
  const value = c.rt.mem.read(addr(c.args[2]), m.spec.valueSize);
  // flags is a u64: anything past BPF_F_LOCK's bits is -EINVAL, as in the kernel (no truncation to 32 bits).
  const r = m.update(key, value, Number(c.args[3]), true);
  return r < 0 ? err(-r) : ok;
};

export const map_delete_elem: HelperImpl = (c) => {
  const m = c.rt.map(c.args[0], c.name);
  const r = m.delete(keyOf(c, c.args[1], m.spec.keySize));
  return r < 0 ? err(-r) : ok;
};

export const map_push_elem: HelperImpl = (c) => {
  const m = c.rt.map(c.args[0], c.name);
  const r = m.push(c.rt.mem.read(addr(c.args[1]), m.spec.valueSize), Number(c.args[2] & 0xffffffffn));
  return r < 0 ? err(-r) : ok;
};

const take = (remove: boolean): HelperImpl => (c) => {
  const m = c.rt.map(c.args[0], c.name);
  if (m instanceof BloomFilterMap) {
    if (remove) return err(ERRNO.ENOTSUPP);
    const r = m.contains(c.rt.mem.read(addr(c.args[1]), m.spec.valueSize));
    return r < 0 ? err(-r) : ok;
  }
  const v = m.pop(remove);
  if (typeof v === "number") return err(-v);
  c.rt.mem.write(addr(c.args[1]), v);
  return ok;
};
export const map_pop_elem = take(true);
export const map_peek_elem = take(false);

export const map_lookup_percpu_elem: HelperImpl = (c) => {
  const m = c.rt.map(c.args[0], c.name);
  const cpu = Number(c.args[2] & 0xffffffffn);
  if (cpu >= c.rt.cpus) return 0n;
  const a = m.lookup(keyOf(c, c.args[1], m.spec.keySize));
  if (!a) return 0n;
  // Values of one slot sit one stride apart, the current CPU's first: step from it to the asked CPU.
  return BigInt(a + (cpu - c.rt.cpu()) * m.stride);
};
