// The ELF loader (src/elf) reads every example object the way libbpf does: same programs and same maps
// (type, sizes, max entries, flags) as the kernel reports after bpftool loaded the object with libbpf.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { describeKernel } from "../support/kernel.js";
import { BPF_DIR, loadAll, objectPath, unload } from "./bpftool.js";

const examples = readdirSync(BPF_DIR).filter((f) => f.endsWith(".bpf.o")).map((f) => f.slice(0, -6)).sort();
const show = (kind: "prog" | "map", pin: string) => JSON.parse(execFileSync("bpftool", ["-j", kind, "show", "pinned", pin], { encoding: "utf8" }));

describeKernel("src/elf loadObject agrees with libbpf + kernel on the examples", () => {
  for (const name of examples) {
    it(name, () => {
      const obj = loadObject(new Uint8Array(readFileSync(objectPath(name))), { file: `${name}.bpf.o` });
      const l = loadAll(name);
      try {
        const progs = readdirSync(l.progs).sort();
        expect(obj.programs.map((p) => p.name).sort()).toEqual(progs);
        for (const p of obj.programs) expect(show("prog", `${l.progs}/${p.name}`).name).toBe(p.name); // bpftool prints the BTF name in full
        const kernelMaps = (existsSync(l.maps) ? readdirSync(l.maps) : []).map((m) => show("map", `${l.maps}/${m}`) as { name: string; type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number });
        const mine = obj.maps.map((m) => ({ name: m.name.slice(0, 15), type: m.type, bytes_key: m.keySize, bytes_value: m.valueSize, max_entries: m.maxEntries, flags: m.flags }));
        const theirs = kernelMaps.map(({ name, type, bytes_key, bytes_value, max_entries, flags }) => ({ name, type, bytes_key, bytes_value, max_entries, flags }));
        const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
        expect(mine.sort(byName)).toEqual(theirs.sort(byName));
        expect(obj.unsupported).toEqual([]);
      } finally {
        unload(l);
      }
    });
  }
});
