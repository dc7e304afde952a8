#!/usr/bin/env node
// Plugin for the BPF conformance suite's own runner (bpf_conformance_runner --plugin_path):
//   conformance-plugin.mjs [MEMORY]
// The program arrives on stdin as hex text, MEMORY (optional) is one argument in the same format; prints
// r0 in hex and exits 0, or prints the reason and exits 1. Needs `npm run build` (uses dist/ and wasm/).
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const load = (p) => import(pathToFileURL(join(root, "dist", p)).href);
try {
  const [{ ConformanceRunner }, isa] = await Promise.all([load("runtime/conformance.js"), load("isa/index.js")]);
  const program = isa.fromHex(readFileSync(0, "utf8"));
  const memory = isa.fromHex(process.argv[2] ?? "");
  if (!program || program.length === 0) throw new Error("stdin is not a program in hex");
  if (!memory) throw new Error("the memory argument is not hex bytes");
  const r0 = new ConformanceRunner("checked").execute(isa.decode(program, { lenient: true }), memory, "plugin");
  process.stdout.write(r0.toString(16) + "\n");
} catch (err) {
  process.stderr.write((err instanceof Error ? err.message : String(err)) + "\n");
  process.exit(1);
}
