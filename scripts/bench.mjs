// `npm run bench`: runs every scripts/bench/*.mjs (each exports `default async function(): Promise<Row[]>`)
// and prints their rows. Targets are ratios measured within one run, never absolute times across runs.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const dir = join(dirname(fileURLToPath(import.meta.url)), "bench");
const only = process.argv.slice(2);
let failed = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith(".mjs")).sort()) {
  const name = file.replace(/\.mjs$/, "");
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  try {
    const mod = await import(pathToFileURL(join(dir, file)).href);
    const rows = await mod.default();
    if (Array.isArray(rows) && rows.length) console.table(rows);
  } catch (err) {
    failed++;
    console.log(`${name}: failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed ? 1 : 0;
