// `bpfkit map dump|lookup|update|delete MAP ...`: maps of deployments (DEPLOYMENT/MAP), bpffs pins or ids.
import type { Command } from "commander";
import { action } from "../run-command.js";

export function register(program: Command): void {
  const map = program.command("map").description("read and write kernel maps (needs root)");
  const withMap = async <T>(ref: string, fn: (k: typeof import("../../kernel/index.js"), r: typeof import("../../kernel/map-ref.js"), fd: number, info: import("../../kernel/index.js").MapInfo) => T): Promise<T> => {
    const k = await import("../../kernel/index.js");
    const r = await import("../../kernel/map-ref.js");
    const { fd, info } = r.openMap(ref);
    try { return fn(k, r, fd, info); } finally { k.closeFd(fd); }
  };
  const show = (r: typeof import("../../kernel/map-ref.js"), b: Uint8Array): string => {
    const n = r.numberOf(b);
    return n === undefined ? r.hexOf(b) : `${r.hexOf(b)} (${n})`;
  };
  /** A looked-up value: per-CPU maps show every CPU's value (and their sum when they are numbers). */
  const showValue = (k: typeof import("../../kernel/index.js"), r: typeof import("../../kernel/map-ref.js"), info: import("../../kernel/index.js").MapInfo, buf: Uint8Array): string | string[] => {
    const values = k.perCpuValues(info.type, info.valueSize, buf);
    if (values.length === 1 && k.userValueSize(info.type, info.valueSize) === info.valueSize) return show(r, values[0]!);
    return values.map((v) => show(r, v));
  };
  const text = (v: string | string[]): string => {
    if (typeof v === "string") return v;
    const nums = v.map((x) => /\((\d+)\)$/.exec(x)?.[1]);
    const sum = nums.every((n) => n !== undefined) ? ` sum ${nums.reduce((a, n) => a + BigInt(n!), 0n)}` : "";
    return `per-CPU [${v.map((x, i) => `cpu${i}: ${x}`).join(", ")}]${sum}`;
  };
  map.command("dump").argument("<map>", "DEPLOYMENT/MAP, a bpffs path or id:N").option("--json", "print JSON")
    .action(action((ref: string, flags: { json?: boolean }) => withMap(ref, (k, r, fd, info) => {
      const perCpu = k.userValueSize(info.type, info.valueSize) !== info.valueSize;
      const rows = k.readMapEntries(fd).map((e) => ({ key: show(r, e.key), value: perCpu ? e.values.map((v) => show(r, v)) : show(r, e.values[0]!) }));
      if (flags.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
      else for (const row of rows) process.stdout.write(`key: ${row.key}  value: ${text(row.value)}\n`);
      if (!flags.json) process.stdout.write(`${rows.length} entr${rows.length === 1 ? "y" : "ies"} (${k.mapTypeName(info.type)} ${info.name})\n`);
      return 0;
    })));
  map.command("lookup").argument("<map>").argument("<key>", "hex bytes, a decimal number, an IPv4/IPv6 address or ADDR/LEN (lpm_trie)")
    .action(action((ref: string, key: string) => withMap(ref, (k, r, fd, info) => {
      const value = new Uint8Array(k.userValueSize(info.type, info.valueSize));
      if (!k.mapLookup(fd, r.parseBytes(key, info.keySize, "key"), value)) {
        process.stderr.write(`key ${key} not found\n`);
        return 1;
      }
      process.stdout.write(text(showValue(k, r, info, value)) + "\n");
      return 0;
    })));
  map.command("update").argument("<map>").argument("<key>").argument("<value>")
    .option("--noexist", "fail if the key exists").option("--exist", "fail if the key does not exist")
    .action(action((ref: string, key: string, value: string, flags: { noexist?: boolean; exist?: boolean }) => withMap(ref, (k, r, fd, info) => {
      const one = r.parseBytes(value, info.valueSize, "value");
      // Per-CPU maps take one value per possible CPU: the given value goes to every CPU.
      const size = k.userValueSize(info.type, info.valueSize);
      let bytes = one;
      if (size !== info.valueSize) {
        bytes = new Uint8Array(size);
        const stride = size / k.possibleCpus();
        for (let off = 0; off < size; off += stride) bytes.set(one, off);
      }
      k.mapUpdate(fd, r.parseBytes(key, info.keySize, "key"), bytes, flags.noexist ? k.BPF_NOEXIST : flags.exist ? k.BPF_EXIST : k.BPF_ANY);
      return 0;
    })));
  map.command("delete").argument("<map>").argument("<key>")
    .action(action((ref: string, key: string) => withMap(ref, (k, r, fd, info) => {
      if (!k.mapDelete(fd, r.parseBytes(key, info.keySize, "key"))) {
        process.stderr.write(`key ${key} not found\n`);
        return 1;
      }
      return 0;
    })));
}
