// Shared helpers for the interpreter tests of the example objects (test/examples/*.interp.test.ts): load a
// committed bpf/*.bpf.o with the ELF loader, put one of its programs (with its siblings, for tail calls) into
// the interpreter, and read/write its maps in the shapes the examples use (little-endian u32/u64, per-CPU
// sums, global variables by name from the object's BTF).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadObject, type ElfObject } from "../../../src/elf/index.js";
import { BTF_KIND } from "../../../src/btf/index.js";
import type { MapValue, RuntimeMap } from "../../../src/maps/runtime/index.js";
import type { Program } from "../../../src/program/index.js";
import { loadProgram, type Mode, type RuntimeProgram } from "../../../src/runtime/runtime.js";
import { verifiedForCompile } from "../../../src/engine/index.js";
import type { AgreeOptions } from "../../../src/testing/agree.js";

export const BPF_DIR = resolve(import.meta.dirname, "../../../bpf");
export const PACKETS_DIR = join(BPF_DIR, "packets");

/** Both interpreter modes and the compiled engine: every behaviour test runs in each. */
export type RunMode = Mode | "compiled";
export const MODES: readonly RunMode[] = ["checked", "fast", "compiled"];

/** The engines an agreement test compares for `mode`: that local engine, and the kernel. */
export function enginesOf(mode: RunMode): Pick<AgreeOptions, "engines" | "interpreter"> {
  return mode === "compiled" ? { engines: ["compiled", "kernel"] } : { engines: ["interp", "kernel"], interpreter: { mode } };
}

const objects = new Map<string, ElfObject>();

/** The example object `bpf/<name>.bpf.o`, loaded once per test file. */
export function loadExample(name: string): ElfObject {
  let obj = objects.get(name);
  if (!obj) {
    const file = join(BPF_DIR, `${name}.bpf.o`);
    obj = loadObject(new Uint8Array(readFileSync(file)), { file: `${name}.bpf.o` });
    objects.set(name, obj);
  }
  return obj;
}

/** One program of an example object by name. */
export function exampleProgram(name: string, program = name): Program {
  const obj = loadExample(name);
  const p = obj.programs.find((q) => q.name === program);
  if (!p) throw new Error(`${name}.bpf.o has no program '${program}' (it has ${obj.programs.map((q) => q.name).join(", ")})`);
  return p;
}

/** A fresh interpreter runtime for one program of an example, with the object's other programs loaded too. */
export function interpExample(name: string, options: { program?: string; mode?: RunMode; cpus?: number } = {}): RuntimeProgram {
  const obj = loadExample(name);
  const main = exampleProgram(name, options.program ?? name);
  const others = obj.programs.filter((p) => p !== main);
  return loadProgram(main, {
    ...(options.mode === "compiled" ? { executor: "compiled" as const, verified: verifiedForCompile([main, ...others], undefined).ok } : options.mode ? { mode: options.mode } : {}),
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
    others: obj.programs.filter((p) => p !== main),
  });
}

/** A map of the runtime by name (throws a readable error when the object has no such map). */
export function mapOf(rt: RuntimeProgram, name: string): RuntimeMap {
  const m = rt.maps.get(name);
  if (!m) throw new Error(`no map '${name}' (maps: ${[...rt.maps.keys()].join(", ")})`);
  return m;
}

/** Write an entry from user space; fails the test when the map refuses it. */
export function seed(rt: RuntimeProgram, name: string, key: Uint8Array, value: MapValue): void {
  const r = mapOf(rt, name).set(key, value);
  if (r !== 0) throw new Error(`seeding map '${name}' failed with ${r}`);
}

// ---- bytes ----
export const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
export const u16be = (v: number): Uint8Array => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
export const u32le = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
export const u64le = (v: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true); return b; };
export const readU32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset, b.length).getUint32(off, true);
export const readU64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(off, true);

/** The u64 at `offset` of a per-CPU value, one number per CPU. */
export function perCpuValues(rt: RuntimeProgram, map: string, key: number, offset = 0): bigint[] {
  const v = mapOf(rt, map).get(u32le(key));
  if (v === undefined) throw new Error(`map '${map}' has no key ${key}`);
  if (!Array.isArray(v)) throw new Error(`map '${map}' is not per-CPU`);
  return v.map((x) => readU64(x, offset));
}

/** The u64 at `offset` of a per-CPU array entry, summed over CPUs. */
export const perCpuSum = (rt: RuntimeProgram, map: string, key: number, offset = 0): bigint =>
  perCpuValues(rt, map, key, offset).reduce((s, x) => s + x, 0n);

/** Global variables of a data section (".data", ".bss", ".rodata") by name, read from the runtime's map with
 * the offsets and sizes the object's BTF DATASEC gives (1/2/4-byte values as numbers, 8-byte as bigint). */
export function globals(rt: RuntimeProgram, example: string, section: string): Record<string, number | bigint> {
  const obj = loadExample(example);
  const spec = obj.maps.find((m) => m.name.endsWith(section));
  if (!spec) throw new Error(`${example} has no ${section} map`);
  const btf = obj.btf;
  const sec = btf?.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === section);
  if (!btf || !sec) throw new Error(`${example} has no BTF DATASEC ${section}`);
  const value = mapOf(rt, spec.name).get(u32le(0));
  if (!(value instanceof Uint8Array)) throw new Error(`map '${spec.name}' has no single value at key 0`);
  const dv = new DataView(value.buffer, value.byteOffset, value.length);
  const out: Record<string, number | bigint> = {};
  for (const si of sec.secinfos ?? []) {
    const name = btf.types[si.type]!.name;
    out[name] = si.size === 8 ? dv.getBigUint64(si.offset, true) : si.size === 4 ? dv.getUint32(si.offset, true)
      : si.size === 2 ? dv.getUint16(si.offset, true) : dv.getUint8(si.offset);
  }
  return out;
}

/** Hex dump without spaces (bpf/packets/*.hex files hold one packet per line in this form). */
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/#.*$/gm, "").replace(/\s+/g, "");
  if (clean.length % 2 || /[^0-9a-f]/i.test(clean)) throw new Error(`not a hex string: ${s.slice(0, 40)}`);
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(i * 2, i * 2 + 2), 16));
}
