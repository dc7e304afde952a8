// What every map type shares at run time: its descriptor in the shared memory (the handle a program's
// lddw map_fd yields), value slots that live in that memory (so lookup returns a real pointer), the
// kernel's update flags and error numbers, and the user-side API tests and the CLI use.
import type { MapSpec } from "../../program/program.js";
import type { RuntimeMemory } from "../../runtime/memory.js";
import { mapOps, type MapOps } from "./wasm-ops.js";

/** Kernel errno values the map operations return negated. */
export const ERRNO = { EPERM: 1, ENOENT: 2, E2BIG: 7, EAGAIN: 11, EFAULT: 14, EACCES: 13, ENOMEM: 12, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, ENOTSUPP: 524 } as const;
export const ERRNO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** Update flags. */
export const BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2, BPF_F_LOCK = 4;

/** What a map needs from the runtime that hosts it. */
export interface MapHost {
  mem: RuntimeMemory;
  /** Number of virtual CPUs (per-CPU maps keep one value each). */
  cpus: number;
  /** The CPU the program runs on now. */
  cpu(): number;
}

export { DESC, DESC_MAGIC, IMPL, MF, ENTRY_FIELDS, NODE_FIELDS } from "./layout.js";
import { DESC, DESC_MAGIC, MF } from "./layout.js";

export const keyString = (key: Uint8Array): string => String.fromCharCode(...key);
export const keyBytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

export type MapValue = Uint8Array | Uint8Array[];

export interface MapEntry { key: Uint8Array; value: MapValue }

export abstract class RuntimeMap {
  readonly handle: number;
  readonly spec: MapSpec;
  protected readonly host: MapHost;
  /** One value per CPU. */
  readonly perCpu: boolean;
  /** Bytes between CPUs' copies of one value (value size rounded up to 8, as the kernel does). */
  readonly stride: number;
  /** Bytes of one slot (all CPUs). */
  readonly slotSize: number;
  /** Address of slot 0, when the map keeps values in memory. */
  protected values = 0;

  constructor(spec: MapSpec, host: MapHost, typeId: number, perCpu = false) {
    this.spec = spec;
    this.host = host;
    this.perCpu = perCpu;
    this.stride = Math.ceil(Math.max(spec.valueSize, 1) / 8) * 8;
    this.slotSize = this.stride * (perCpu ? host.cpus : 1);
    this.handle = host.mem.alloc(DESC.SIZE, 8, `map ${spec.name}`);
    const dv = host.mem.dv;
    dv.setUint32(this.handle + DESC.TYPE, typeId, true);
    dv.setUint32(this.handle + DESC.KEY_SIZE, spec.keySize, true);
    dv.setUint32(this.handle + DESC.VALUE_SIZE, spec.valueSize, true);
    dv.setUint32(this.handle + DESC.MAX_ENTRIES, spec.maxEntries, true);
    dv.setUint32(this.handle + DESC.SLOT, this.slotSize, true);
    dv.setUint32(this.handle + DESC.CPUS, perCpu ? host.cpus : 1, true);
    dv.setUint32(this.handle + DESC.STRIDE, this.stride, true);
    dv.setUint32(this.handle + DESC.MAGIC, DESC_MAGIC, true);
    dv.setUint32(this.handle + DESC.FLAGS, perCpu ? MF.PERCPU : 0, true);
  }

  /** The WebAssembly map operations of this map's memory. */
  protected get ops(): MapOps { return (this.opsCache ??= mapOps(this.host.mem)); }
  private opsCache: MapOps | undefined;
  /** Hand the map's operations to WebAssembly (asm/maps/): `impl` (IMPL) and more DESC.FLAGS bits. */
  protected setImpl(impl: number, flags = 0): void {
    const dv = this.host.mem.dv;
    dv.setUint32(this.handle + DESC.IMPL, impl, true);
    dv.setUint32(this.handle + DESC.FLAGS, dv.getUint32(this.handle + DESC.FLAGS, true) | flags, true);
  }
  protected descField(off: number): number { return this.host.mem.dv.getUint32(this.handle + off, true); }
  protected setDescField(off: number, v: number): void { this.host.mem.dv.setUint32(this.handle + off, v >>> 0, true); }
  /**
   * The key (key_size bytes; shorter ones zero-padded) in this map's scratch area in the shared memory,
   * for the WebAssembly operations: returns its address.
   */
  protected keyIn(key: Uint8Array): number {
    const size = this.spec.keySize;
    this.io ||= this.host.mem.alloc(Math.max(size, 8), 8, `key scratch of map ${this.spec.name}`);
    const u8 = this.host.mem.u8;
    if (key.length >= size) u8.set(key.length === size ? key : key.subarray(0, size), this.io);
    else { u8.set(key, this.io); u8.fill(0, this.io + key.length, this.io + size); }
    return this.io;
  }
  private io = 0;

  get name(): string { return this.spec.name; }

  /** Reserve `slots` value slots in memory (zeroed). */
  protected allocValues(slots: number): void {
    this.values = this.host.mem.alloc(slots * this.slotSize, 8, `values of map ${this.spec.name}`);
    this.host.mem.dv.setUint32(this.handle + DESC.VALUES, this.values, true);
  }

  /** Address range holding values (checked mode lets programs access it). */
  valueRegion(): { start: number; end: number } | undefined {
    return this.values ? { start: this.values, end: this.values + this.spec.maxEntries * this.slotSize } : undefined;
  }

  /** Address of a slot's value for a CPU. */
  protected slotAddr(slot: number, cpu = this.perCpu ? this.host.cpu() : 0): number {
    return this.values + slot * this.slotSize + cpu * this.stride;
  }
  protected readSlot(slot: number): MapValue {
    const mem = this.host.mem;
    if (!this.perCpu) return mem.read(this.slotAddr(slot, 0), this.spec.valueSize);
    return Array.from({ length: this.host.cpus }, (_, c) => mem.read(this.slotAddr(slot, c), this.spec.valueSize));
  }
  /** Write a value from a program (current CPU) or the user (all CPUs / one per CPU). */
  protected writeSlot(slot: number, value: MapValue, fromProgram: boolean): void {
    const mem = this.host.mem;
    const size = this.spec.valueSize;
    if (!this.perCpu) { mem.write(this.slotAddr(slot, 0), (value as Uint8Array).subarray(0, size)); return; }
    if (fromProgram) { mem.write(this.slotAddr(slot), (value as Uint8Array).subarray(0, size)); return; }
    for (let c = 0; c < this.host.cpus; c++) {
      const v = Array.isArray(value) ? value[c] ?? new Uint8Array(size) : value;
      mem.write(this.slotAddr(slot, c), v.subarray(0, size));
    }
  }
  protected zeroSlot(slot: number): void { this.host.mem.fill(this.values + slot * this.slotSize, this.slotSize); }

  // ---- program side (bpf_map_*_elem): addresses and negative errno ----
  /** Value address for a key, 0 when absent. */
  abstract lookup(key: Uint8Array): number;
  /** 0 or -errno. `value` is the program's bytes (one CPU's worth for per-CPU maps). */
  abstract update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram?: boolean, userValue?: MapValue): number;
  abstract delete(key: Uint8Array): number;
  push(_value: Uint8Array, _flags: number): number { return -ERRNO.ENOTSUPP; }
  pop(_remove: boolean): Uint8Array | number { return -ERRNO.ENOTSUPP; }

  // ---- user side ----
  /** Current value (per-CPU maps: one per CPU), undefined when absent. */
  abstract get(key: Uint8Array): MapValue | undefined;
  /** Set a value; 0 or -errno, as BPF_MAP_UPDATE_ELEM would answer. */
  set(key: Uint8Array, value: MapValue, flags = BPF_ANY): number {
    return this.update(key, Array.isArray(value) ? value[0] ?? new Uint8Array(0) : value, flags, false, value);
  }
  abstract entries(): MapEntry[];

  /**
   * Check flags as map_update_elem does: BPF_F_LOCK needs a bpf_spin_lock in the value (these maps have no
   * BTF-described value, so it is always refused, as the kernel refuses it for such maps), and at most one
   * of NOEXIST / EXIST.
   */
  protected static badFlags(flags: number): boolean {
    return (flags & BPF_F_LOCK) !== 0 || (flags & ~BPF_F_LOCK) > BPF_EXIST;
  }
}

/** Little-endian u32 of a key (array indexes). */
export const u32Key = (key: Uint8Array): number => (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
export const u32Bytes = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; };
