// Drives the kernel through bpftool for the example tests: load an object (pinning programs and maps
// under unique names in /sys/fs/bpf), run a program with BPF_PROG_TEST_RUN, read and write maps.
// Everything pinned is removed by `unload`, which the tests call in afterAll.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const BPF_DIR = resolve(import.meta.dirname, "../../bpf");
export const objectPath = (name: string) => join(BPF_DIR, `${name}.bpf.o`);

let seq = 0;
const scratch = mkdtempSync(join(tmpdir(), "bpfkit-examples-"));

function bpftool(args: string[]): string {
  try {
    return execFileSync("bpftool", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`bpftool ${args.join(" ")} failed:\n${err.stderr ?? ""}${err.stdout ?? ""}`);
  }
}

export interface Loaded {
  progs: string; // directory of pinned programs
  maps: string; // directory of pinned maps
}

/** bpftool prog loadall: the kernel verifier must accept every program of the object. */
export function loadAll(name: string): Loaded {
  const base = `/sys/fs/bpf/bpfkit-test-${process.pid}-${++seq}-${name}`;
  const l = { progs: base, maps: `${base}-maps` };
  try {
    bpftool(["prog", "loadall", objectPath(name), l.progs, "pinmaps", l.maps]);
  } catch (e) {
    unload(l);
    throw e;
  }
  return l;
}

export function unload(l: Loaded | undefined): void {
  if (!l) return;
  for (const d of [l.progs, l.maps]) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
}

export interface RunResult { retval: number; data: Uint8Array; ctx?: Uint8Array }

/** BPF_PROG_TEST_RUN through bpftool prog run; ctx (e.g. a __sk_buff) is passed in and read back when given. */
export function progRun(pin: string, data: Uint8Array, ctx?: Uint8Array): RunResult {
  const n = ++seq;
  const f = (s: string) => join(scratch, `${n}.${s}`);
  writeFileSync(f("in"), data);
  const args = ["-j", "prog", "run", "pinned", pin, "data_in", f("in"), "data_out", f("out")];
  if (ctx) { writeFileSync(f("ctxin"), ctx); args.push("ctx_in", f("ctxin"), "ctx_out", f("ctxout")); }
  const r = JSON.parse(bpftool(args)) as { retval: number };
  return { retval: r.retval, data: new Uint8Array(readFileSync(f("out"))), ...(ctx ? { ctx: new Uint8Array(readFileSync(f("ctxout"))) } : {}) };
}

const hexArgs = (b: Uint8Array) => ["hex", ...Array.from(b, (x) => x.toString(16).padStart(2, "0"))];

export function mapUpdate(pin: string, key: Uint8Array, value: Uint8Array): void {
  bpftool(["map", "update", "pinned", pin, "key", ...hexArgs(key), "value", ...hexArgs(value)]);
}

interface DumpEntry { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }
const bytesOf = (xs: string[]) => Uint8Array.from(xs.map((x) => parseInt(x, 16)));

/** All entries; per-CPU maps give one value per CPU. */
export function mapDump(pin: string): { key: Uint8Array; value?: Uint8Array; perCpu?: Uint8Array[] }[] {
  const entries = JSON.parse(bpftool(["-j", "map", "dump", "pinned", pin])) as DumpEntry[];
  return entries.map((e) => ({
    key: bytesOf(e.key),
    ...(e.value ? { value: bytesOf(e.value) } : {}),
    ...(e.values ? { perCpu: e.values.map((v) => bytesOf(v.value)) } : {}),
  }));
}

// Little-endian encoders for map keys and values (the kernel's byte order on the hosts we run on).
export const u32le = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
export const u64le = (v: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };
export const readU64 = (b: Uint8Array, o = 0) => new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);
export const readU32 = (b: Uint8Array, o = 0) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
export const cat = (...xs: Uint8Array[]) => { const o = new Uint8Array(xs.reduce((n, x) => n + x.length, 0)); let i = 0; for (const x of xs) { o.set(x, i); i += x.length; } return o; };

/** Sum a u64 at `offset` across the CPUs of a per-CPU map entry whose key is the u32 `index`. */
export function perCpuSum(pin: string, index: number, offset = 0): bigint {
  const e = mapDump(pin).find((x) => readU32(x.key) === index);
  return (e?.perCpu ?? []).reduce((s, v) => s + readU64(v, offset), 0n);
}

/** Global-data maps (.data/.bss/.rodata) as bpftool formats them with BTF: variable name -> value. */
export function globals(pin: string): Record<string, number | string> {
  const entries = JSON.parse(bpftool(["-j", "map", "dump", "pinned", pin])) as { formatted?: { value: Record<string, Record<string, number | string>[]> } }[];
  const out: Record<string, number | string> = {};
  for (const vars of Object.values(entries[0]?.formatted?.value ?? {})) for (const v of vars) Object.assign(out, v);
  return out;
}

/** Pinned name of a global-data map: libbpf names it after the object (first 8 chars) and the section. */
export const globalMap = (l: Loaded, section: "data" | "bss" | "rodata") => {
  const dir = readdirSync(l.maps).find((n) => n.endsWith(`_${section}`));
  if (!dir) throw new Error(`no ${section} map in ${l.maps}`);
  return join(l.maps, dir);
};
