// Creating a program's maps in the kernel from their MapSpecs: BTF-described when the object has BTF
// (falling back to plain maps if the kernel refuses the BTF ids, as libbpf does), inner-map templates for
// map-in-map, global data written and `.rodata` frozen.
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { MapSpec } from "../program/index.js";
import { mapCreate, mapFreeze, mapInfo, mapUpdate } from "./commands.js";
import { KernelError } from "./errors.js";
import { mapTypeId } from "./numbers.js";
import { closeFd } from "./sys.js";

/** A map living in the kernel, owned by whoever holds `fd`. */
export interface KernelMap {
  name: string;
  fd: number;
  id: number;
  spec: MapSpec;
}

export interface CreateMapOptions {
  btfFd?: number;
}

function kernelMapType(spec: MapSpec): number {
  const t = mapTypeId(spec.type);
  if (t === undefined) throw new BpfkitError(diag("BK7004", { name: spec.name, type: spec.type }), 2);
  return t;
}

/** Create one map (and its inner template, closed once the outer map exists). */
export function createMap(spec: MapSpec, options: CreateMapOptions = {}): KernelMap {
  const mapType = kernelMapType(spec);
  let innerFd = 0;
  try {
    if (spec.inner) innerFd = createMap(spec.inner).fd;
    const base = {
      mapType, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags,
      innerMapFd: innerFd, name: spec.name, ...(spec.extra !== undefined ? { mapExtra: BigInt(spec.extra) } : {}),
    };
    let fd: number;
    const withBtf = options.btfFd !== undefined && options.btfFd > 0 && (spec.btfKeyTypeId || spec.btfValueTypeId);
    try {
      fd = mapCreate(withBtf ? { ...base, btfFd: options.btfFd!, btfKeyTypeId: spec.btfKeyTypeId ?? 0, btfValueTypeId: spec.btfValueTypeId ?? 0 } : base);
    } catch (err) {
      // Some map types refuse BTF key/value ids (older kernels, special maps): create the plain map.
      if (!withBtf || !(err instanceof KernelError)) throw err;
      fd = mapCreate(base);
    }
    const map: KernelMap = { name: spec.name, fd, id: mapInfo(fd).id, spec };
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
