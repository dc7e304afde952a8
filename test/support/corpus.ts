// Reading the committed corpora's recordings (test/fixtures/real, test/fixtures/selftests) the same way in
// the tests and the scripts that hold bpfkit to them.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Program } from "../../src/program/index.js";

/** Every JSON file under a folder of recordings (one level of project folders, or flat), sorted. */
export function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...readdirSync(p).filter((f) => f.endsWith(".json")).sort().map((f) => join(p, f)));
    else if (e.endsWith(".json")) out.push(p);
  }
  return out;
}

/**
 * The map sizes the recorder gave the kernel ("map.field=value,...": what the programs' own loaders set at
 * run time, or what this machine needed), applied to a program's maps the same way.
 */
export function adjustMaps(p: Program, adjusted: string | undefined): Program {
  if (!adjusted) return p;
  const field = { max_entries: "maxEntries", value_size: "valueSize", key_size: "keySize" } as const;
  const changes = adjusted.split(",").map((kv) => {
    const [lhs, v] = kv.split("=");
    const dot = lhs!.lastIndexOf(".");
    return { map: lhs!.slice(0, dot), field: lhs!.slice(dot + 1), value: Number(v) };
  });
  return { ...p, maps: p.maps.map((m) => {
    const out = { ...m };
    for (const c of changes) if (c.map === m.name && c.field in field) out[field[c.field as keyof typeof field]] = c.value;
    return out;
  }) };
}
