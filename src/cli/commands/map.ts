// `bpfkit map dump|lookup|update|delete MAP ...`: maps of deployments (DEPLOYMENT/MAP), bpffs pins or ids.
// Keys and values by the map's BTF type where it was created with BTF (as bpftool's formatted dump), else bytes.
import type { Command } from "commander";
import { hexOf, numberOf } from "../../maps/values.js";
import { action } from "../run-command.js";

export function register(program: Command): void {
  const map = program.command("map").description("read and write kernel maps (needs root)");
  type Kernel = typeof import("../../kernel/index.js");
  type Shapes = import("../../btf/index.js").MapShapes;
  type Values = typeof import("../../btf/index.js");
  /** Open the map and read its key and value types from the BTF it was created with (bytes without BTF). */
  const withMap = async <T>(ref: string, fn: (k: Kernel, fd: number, info: import("../../kernel/index.js").MapInfo, shapes: Shapes, v: Values) => T): Promise<T> => {
    const k = await import("../../kernel/index.js");
    const r = await import("../../kernel/map-ref.js");
    const { kernelMapShapes } = await import("../../kernel/map-btf.js");
    const v = await import("../../btf/index.js");
    const { fd, info } = r.openMap(ref);
    try { return fn(k, fd, info, kernelMapShapes(info), v); } finally { k.closeFd(fd); }
  };
  /** Bytes by their type: `192.0.2.0/24`, `{vip: 10.0.0.1, port: 80}`, `5`; untyped bytes as hex with their number. */
  const show = (v: Values, shape: import("../../btf/index.js").Shape, b: Uint8Array): string => {
    if (shape.kind !== "bytes") return v.formatValue(shape, b);
    const n = numberOf(b);
    return n === undefined ? hexOf(b) : `${hexOf(b)} (${n})`;
  };
  const perCpuOf = (k: Kernel, info: import("../../kernel/index.js").MapInfo): boolean => k.userValueSize(info.type, info.valueSize) !== info.valueSize;
  const text = (v: string | string[]): string => {
    if (typeof v === "string") return v;
    const nums = v.map((x) => /^(\d+)$|\((\d+)\)$/.exec(x)).map((m) => m?.[1] ?? m?.[2]);
    const sum = nums.every((n) => n !== undefined) ? ` sum ${nums.reduce((a, n) => a + BigInt(n!), 0n)}` : "";
    return `per-CPU [${v.map((x, i) => `cpu${i}: ${x}`).join(", ")}]${sum}`;
  };
  map.command("dump").argument("<map>", "DEPLOYMENT/MAP, a bpffs path or id:N").option("--json", "print JSON (key and value as hex; `formatted` by the map's BTF type, as bpftool prints it)")
    .action(action((ref: string, flags: { json?: boolean }) => withMap(ref, (k, fd, info, shapes, v) => {
      const perCpu = perCpuOf(k, info);
      const entries = k.readMapEntries(fd);
      if (flags.json) {
        const rows = entries.map((e) => ({
          key: hexOf(e.key), value: perCpu ? e.values.map(hexOf) : hexOf(e.values[0]!),
          ...(shapes.typed || shapes.key.kind !== "bytes" ? { formatted: {
            key: v.jsonValue(shapes.key, e.key),
            value: perCpu ? e.values.map((x, cpu) => ({ cpu, value: v.jsonValue(shapes.value, x) })) : v.jsonValue(shapes.value, e.values[0]!),
          } } : {}),
        }));
        process.stdout.write(JSON.stringify(rows, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2) + "\n");
        return 0;
      }
      for (const e of entries) {
        const value = perCpu ? e.values.map((x) => show(v, shapes.value, x)) : show(v, shapes.value, e.values[0]!);
        process.stdout.write(`key: ${show(v, shapes.key, e.key)}  value: ${text(value)}\n`);
      }
      process.stdout.write(`${entries.length} entr${entries.length === 1 ? "y" : "ies"} (${k.mapTypeName(info.type)} ${info.name})\n`);
      return 0;
    })));
  map.command("lookup").argument("<map>").argument("<key>", "by the map's BTF type (`192.0.2.0/24`, `{vip: 10.0.0.1, port: 80}`), or hex bytes, a decimal number, an IPv4/IPv6 address or ADDR/LEN (lpm_trie)")
    .action(action((ref: string, key: string) => withMap(ref, (k, fd, info, shapes, v) => {
      const buf = new Uint8Array(k.userValueSize(info.type, info.valueSize));
      if (!k.mapLookup(fd, v.parseValue(shapes.key, key, "key"), buf)) {
        process.stderr.write(`key ${key} not found\n`);
        return 1;
      }
      const values = k.perCpuValues(info.type, info.valueSize, buf);
      process.stdout.write(text(perCpuOf(k, info) ? values.map((x) => show(v, shapes.value, x)) : show(v, shapes.value, values[0]!)) + "\n");
      return 0;
    })));
  map.command("update").argument("<map>").argument("<key>").argument("<value>")
    .option("--noexist", "fail if the key exists").option("--exist", "fail if the key does not exist")
    .action(action((ref: string, key: string, value: string, flags: { noexist?: boolean; exist?: boolean }) => withMap(ref, (k, fd, info, shapes, v) => {
      const one = v.parseValue(shapes.value, value, "value");
      // Per-CPU maps take one value per possible CPU: the given value goes to every CPU.
      const size = k.userValueSize(info.type, info.valueSize);
      let bytes = one;
      if (size !== info.valueSize) {
        bytes = new Uint8Array(size);
        const stride = size / k.possibleCpus();
        for (let off = 0; off < size; off += stride) bytes.set(one, off);
      }
      k.mapUpdate(fd, v.parseValue(shapes.key, key, "key"), bytes, flags.noexist ? k.BPF_NOEXIST : flags.exist ? k.BPF_EXIST : k.BPF_ANY);
      return 0;
    })));
  map.command("delete").argument("<map>").argument("<key>")
    .action(action((ref: string, key: string) => withMap(ref, (k, fd, _info, shapes, v) => {
      if (!k.mapDelete(fd, v.parseValue(shapes.key, key, "key"))) {
        process.stderr.write(`key ${key} not found\n`);
        return 1;
      }
      return 0;
    })));
}
