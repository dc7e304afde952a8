// What every map implementation in WebAssembly shares: descriptor access, the kernel's error numbers,
// key hashing and comparison, and where one CPU's copy of a value slot lives.
import { D_VALUES, D_SLOT, D_STRIDE, D_FLAGS, MF_PERCPU, H_SEED, H_MUL, H_SHIFT, H_FINAL, H_FINAL_SHIFT } from "../layout";

export const EPERM: i32 = 1;
export const ENOENT: i32 = 2;
export const E2BIG: i32 = 7;
export const EEXIST: i32 = 17;
export const EINVAL: i32 = 22;
export const ENOSPC: i32 = 28;

export const BPF_ANY: u64 = 0;
export const BPF_NOEXIST: u64 = 1;
export const BPF_EXIST: u64 = 2;
export const BPF_F_LOCK: u64 = 4;

/** A u32 field of descriptor `d`. */
// @ts-ignore: decorator
@inline export function field(d: usize, off: u32): u32 { return load<u32>(d + <usize>off); }
// @ts-ignore: decorator
@inline export function setField(d: usize, off: u32, v: u32): void { store<u32>(d + <usize>off, v); }

/** Address of value slot `slot` for `cpu` (CPU 0's copy for maps that are not per-CPU). */
// @ts-ignore: decorator
@inline export function slotAddr(d: usize, slot: u32, cpu: u32): u32 {
  let a = field(d, D_VALUES) + slot * field(d, D_SLOT);
  if (field(d, D_FLAGS) & MF_PERCPU) a += cpu * field(d, D_STRIDE);
  return a;
}

/** Copy one CPU's worth of a program's value (`size` bytes) into a slot. */
// @ts-ignore: decorator
@inline export function writeValue(d: usize, slot: u32, cpu: u32, value: usize, size: u32): void {
  memory.copy(<usize>slotAddr(d, slot, cpu), value, <usize>size);
}

/** A 32-bit hash of `n` key bytes at `p` (a mix of 64-bit words; any good spread will do). */
export function hashKey(p: usize, n: u32): u32 {
  let h: u64 = H_SEED ^ <u64>n;
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) {
    h = (h ^ load<u64>(p + <usize>i)) * H_MUL;
    h ^= h >> H_SHIFT;
  }
  if (i < n) {
    let t: u64 = 0;
    let s: u64 = 0;
    if (i + 4 <= n) { t = <u64>load<u32>(p + <usize>i); i += 4; s = 32; }
    for (; i < n; i++) { t |= <u64>load<u8>(p + <usize>i) << s; s += 8; }
    h = (h ^ t) * H_MUL;
    h ^= h >> H_SHIFT;
  }
  h *= H_FINAL;
  h ^= h >> H_FINAL_SHIFT;
  return <u32>h;
}

/** Whether `n` bytes at `a` and `b` are equal. */
export function keyEqual(a: usize, b: usize, n: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  if (i + 4 <= n) { if (load<u32>(a + <usize>i) != load<u32>(b + <usize>i)) return false; i += 4; }
  for (; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}
