// Creating a program's maps in the kernel from their MapSpecs: BTF-described when the object has BTF
// (falling back to plain maps if the kernel refuses the BTF ids, as libbpf does), inner-map templates for
// map-in-map, global data written and `.rodata` frozen.
import { readFileSync } from "node:fs";
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { MapSpec } from "../program/index.js";
import { mapCreate, mapFreeze, mapGetNextKey, mapInfo, mapLookup, mapUpdate } from "./commands.js";
import { KernelError } from "./errors.js";
import { mapTypeById, mapTypeByName } from "../maps/types.js";
import { closeFd } from "./sys.js";

/** A map living in the kernel, owned by whoever holds `fd`. */
export interface KernelMap {
  name: string;
  fd: number;
  id: number;
  spec: MapSpec;
  /** Why the map was created without the object's BTF key/value types (the kernel refused them), if it was. */
  btfRefused?: string;
}

export interface CreateMapOptions {
  btfFd?: number;
}

function kernelMapType(spec: MapSpec): number {
  const t = mapTypeByName(spec.type)?.id;
  if (t === undefined) throw new BpfkitError(diag("BK7004", { name: spec.name, type: spec.type }), 2);
  return t;
}

/**
 * The max_entries libbpf creates a map with: a perf_event_array of 0 entries gets one per possible CPU
 * (map_set_def_max_entries); a ring buffer's size is rounded up to a power-of-2 number of pages
 * (adjust_ringbuf_sz).
 */
export function libbpfMaxEntries(spec: MapSpec): number {
  if (spec.type === "perf_event_array" && spec.maxEntries === 0) return possibleCpus();
  if ((spec.type === "ringbuf" || spec.type === "user_ringbuf") && spec.maxEntries > 0) {
    const page = 4096;
    if (spec.maxEntries % page === 0 && Number.isInteger(Math.log2(spec.maxEntries / page))) return spec.maxEntries;
    for (let mul = 1; mul * page <= 0xffffffff; mul *= 2) if (mul * page > spec.maxEntries) return mul * page;
  }
  return spec.maxEntries;
}

/** Map types libbpf creates without BTF key/value ids (bpf_object__create_map). */
export const MAPS_WITHOUT_BTF: ReadonlySet<string> = new Set(["perf_event_array", "cgroup_array", "stack_trace", "array_of_maps", "hash_of_maps", "devmap", "devmap_hash",
  "cpumap", "xskmap", "sockmap", "sockhash", "queue", "stack", "arena"]);

/** Create one map (and its inner template, closed once the outer map exists). */
export function createMap(spec: MapSpec, options: CreateMapOptions = {}): KernelMap {
  const mapType = kernelMapType(spec);
  let innerFd = 0;
  try {
    if (spec.inner) innerFd = createMap(spec.inner).fd;
    const base = {
      mapType, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: libbpfMaxEntries(spec), flags: spec.flags,
      innerMapFd: innerFd, name: spec.name, ...(spec.extra !== undefined ? { mapExtra: BigInt(spec.extra) } : {}),
    };
    let fd: number;
    let btfRefused: string | undefined;
    const withBtf = options.btfFd !== undefined && options.btfFd > 0 && (spec.btfKeyTypeId || spec.btfValueTypeId) && !MAPS_WITHOUT_BTF.has(spec.type);
    try {
      fd = mapCreate(withBtf ? { ...base, btfFd: options.btfFd!, btfKeyTypeId: spec.btfKeyTypeId ?? 0, btfValueTypeId: spec.btfValueTypeId ?? 0 } : base);
    } catch (err) {
      // Some map types refuse BTF key/value ids (older kernels, special maps): create the plain map.
      if (!withBtf || !(err instanceof KernelError)) throw err;
      fd = mapCreate(base);
      btfRefused = `BTF key/value types refused (${err.errnoName}); created without them, as libbpf does`;
    }
    const map: KernelMap = { name: spec.name, fd, id: mapInfo(fd).id, spec, ...(btfRefused ? { btfRefused } : {}) };
    try {
      if (spec.initialValue && spec.initialValue.length) {
        const value = new Uint8Array(spec.valueSize);
        value.set(spec.initialValue.subarray(0, spec.valueSize));
        mapUpdate(fd, new Uint8Array(4), value);
      }
      if (spec.readOnly) mapFreeze(fd);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
    return map;
  } catch (err) {
    throw withMapName(err, spec.name);
  } finally {
    if (innerFd > 0) closeFd(innerFd);
  }
}

/** Prefix a kernel error with the map it was about. */
function withMapName(err: unknown, name: string): unknown {
  if (err instanceof KernelError && !err.diagnostics.some((d) => d.message.startsWith(`map '${name}'`))) {
    err.diagnostics[err.diagnostics.length - 1]!.message = `map '${name}': ${err.diagnostics[err.diagnostics.length - 1]!.message}`;
  }
  return err;
}

/** u32 little-endian key, the key of arrays, prog arrays and global data maps. */
export function u32Key(i: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, i, true);
  return k;
}

let cpus: number | undefined;
/** Number of possible CPUs (/sys/devices/system/cpu/possible), the count of values a per-CPU map holds. */
export function possibleCpus(): number {
  if (cpus !== undefined) return cpus;
  let n = 0;
  try {
    for (const part of readFileSync("/sys/devices/system/cpu/possible", "utf8").trim().split(",")) {
      const [a, b] = part.split("-").map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
  } catch { /* not Linux: one */ }
  cpus = Math.max(n, 1);
  return cpus;
}

/**
 * Bytes a lookup from user space writes: value_size, or for per-CPU maps one value per possible CPU, each
 * rounded up to 8 bytes. A smaller buffer would be overrun by the kernel.
 */
export function userValueSize(mapType: number, valueSize: number): number {
  return mapTypeById(mapType)?.perCpu ? Math.ceil(valueSize / 8) * 8 * possibleCpus() : valueSize;
}

/** Split a per-CPU lookup result into one value per CPU (a plain map's value comes back as one entry). */
export function perCpuValues(mapType: number, valueSize: number, buf: Uint8Array): Uint8Array[] {
  if (!mapTypeById(mapType)?.perCpu) return [buf.subarray(0, valueSize)];
  const stride = Math.ceil(valueSize / 8) * 8;
  return Array.from({ length: Math.floor(buf.length / stride) }, (_, i) => buf.subarray(i * stride, i * stride + valueSize));
}

/**
 * Every entry of a kernel map (keys by BPF_MAP_GET_NEXT_KEY, values by lookup): `values` has one entry, or
 * one per possible CPU for per-CPU maps. Keys that vanish between the two calls are skipped.
 */
export function readMapEntries(fd: number, limit = 1_000_000): { key: Uint8Array; values: Uint8Array[] }[] {
  const info = mapInfo(fd);
  const out: { key: Uint8Array; values: Uint8Array[] }[] = [];
  const next = new Uint8Array(info.keySize);
  const buf = new Uint8Array(userValueSize(info.type, info.valueSize));
  let prev: Uint8Array | null = null;
  while (out.length < limit && mapGetNextKey(fd, prev, next)) {
    if (mapLookup(fd, next, buf)) out.push({ key: next.slice(), values: perCpuValues(info.type, info.valueSize, buf).map((v) => v.slice()) });
    prev = next.slice();
  }
  return out;
}
