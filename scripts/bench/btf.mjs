// Opening the kernel's BTF, which CO-RE, kfunc resolution, the verifier and the playground all need: the
// bundled Linux 6.18 vmlinux BTF (5.5 MB, 125851 types) gunzipped, opened (one pass over the records),
// its name index built on the first lookup, then lookups; next to decoding every type up front (what the
// reader did before it was lazy), in the same run. Last row: a CO-RE object (test/fixtures/elf/core_task.o,
// 40 relocations) loaded end to end against a freshly opened target.
// Reproduce: npm run bench btf
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { tsImport } from "tsx/esm/api";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

export default async function () {
  const { parseBtf } = await tsImport(join(root, "src/btf/btf.ts"), import.meta.url);
  const { loadObject } = await tsImport(join(root, "src/elf/object.ts"), import.meta.url);
  const gz = readFileSync(join(root, "data/btf/vmlinux-6.18-x86_64.btf.gz"));
  const obj = new Uint8Array(readFileSync(join(root, "test/fixtures/elf/core_task.o")));
  const runs = { gunzip: [], open: [], index: [], lookup: [], eager: [], coreObject: [] };
  let raw;
  for (let i = 0; i < 7; i++) {
    let t0 = process.hrtime.bigint();
    raw = new Uint8Array(gunzipSync(gz));
    runs.gunzip.push(ms(t0));
    t0 = process.hrtime.bigint();
    const btf = parseBtf(raw, { eager: false, name: "vmlinux" });
    runs.open.push(ms(t0));
    t0 = process.hrtime.bigint();
    btf.idsByEssentialName("task_struct");
    runs.index.push(ms(t0));
    const names = ["sk_buff", "ethhdr", "iphdr", "bpf_rcu_read_lock", "xdp_md", "sock", "tcp_sock", "file", "inode", "cgroup"];
    t0 = process.hrtime.bigint();
    for (let k = 0; k < 100; k++) for (const n of names) btf.type(btf.idsByName(n)[0]);
    runs.lookup.push((ms(t0) * 1000) / 1000);
    t0 = process.hrtime.bigint();
    loadObject(obj, { file: "core_task.o", target: { source: "custom", description: "bench", btf: () => parseBtf(raw, { eager: false, name: "vmlinux" }) } });
    runs.coreObject.push(ms(t0));
    if (i < 3) {
      t0 = process.hrtime.bigint();
      parseBtf(raw, { eager: true, name: "vmlinux" });
      runs.eager.push(ms(t0));
    }
  }
  const row = (what, xs, unit = "ms") => ({ what, [unit]: Number(median(xs).toFixed(unit === "us" ? 2 : 1)) });
  const open = median(runs.open) + median(runs.index);
  return [
    row("gunzip the bundled BTF (1.75 MB -> 5.5 MB)", runs.gunzip),
    row("open vmlinux BTF (record offsets of 125851 types)", runs.open),
    row("first lookup by name (builds the name index)", runs.index),
    { what: "lookup by name + decode, per lookup", us: Number(median(runs.lookup).toFixed(2)) },
    row("decode every type up front (the old eager reader)", runs.eager),
    { what: "eager / (open + index)", ratio: Number((median(runs.eager) / open).toFixed(1)) },
    row("load core_task.o: open target + 40 CO-RE relocations + link", runs.coreObject),
  ];
}
