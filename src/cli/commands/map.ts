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
  map.command("dump").argument("<map>", "DEPLOYMENT/MAP, a bpffs path or id:N").option("--json", "print JSON")
    .action(action((ref: string, flags: { json?: boolean }) => withMap(ref, (k, r, fd, info) => {
      const rows: { key: string; value: string }[] = [];
      let prev: Uint8Array | null = null;
      const next = new Uint8Array(info.keySize);
      const value = new Uint8Array(info.valueSize);
      while (rows.length < 1_000_000 && k.mapGetNextKey(fd, prev, next)) {
        if (k.mapLookup(fd, next, value)) rows.push({ key: show(r, next), value: show(r, value) });
        prev = next.slice();
      }
      if (flags.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
      else for (const row of rows) process.stdout.write(`key: ${row.key}  value: ${row.value}\n`);
      if (!flags.json) process.stdout.write(`${rows.length} entr${rows.length === 1 ? "y" : "ies"} (${k.mapTypeName(info.type)} ${info.name})\n`);
      return 0;
    })));
  map.command("lookup").argument("<map>").argument("<key>", "hex bytes, a decimal number or a dotted IPv4 address")
    .action(action((ref: string, key: string) => withMap(ref, (k, r, fd, info) => {
      const value = new Uint8Array(info.valueSize);
      if (!k.mapLookup(fd, r.parseBytes(key, info.keySize, "key"), value)) {
        process.stderr.write(`key ${key} not found\n`);
        return 1;
      }
      process.stdout.write(show(r, value) + "\n");
      return 0;
    })));
  map.command("update").argument("<map>").argument("<key>").argument("<value>")
    .option("--noexist", "fail if the key exists").option("--exist", "fail if the key does not exist")
    .action(action((ref: string, key: string, value: string, flags: { noexist?: boolean; exist?: boolean }) => withMap(ref, (k, r, fd, info) => {
      k.mapUpdate(fd, r.parseBytes(key, info.keySize, "key"), r.parseBytes(value, info.valueSize, "value"), flags.noexist ? k.BPF_NOEXIST : flags.exist ? k.BPF_EXIST : k.BPF_ANY);
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
