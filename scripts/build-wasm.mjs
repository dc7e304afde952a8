// Compiles every AssemblyScript entry file asm/*.entry.ts into wasm/<name>.wasm (+ raw bindings).
// wasm/ is build output: never edit it by hand.
import { readdirSync, mkdirSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asmDir = join(root, "asm");
const outDir = join(root, "wasm");
mkdirSync(outDir, { recursive: true });
const entries = existsSync(asmDir) ? readdirSync(asmDir).filter((f) => f.endsWith(".entry.ts")) : [];
const asc = join(root, "node_modules", ".bin", "asc");
for (const entry of entries) {
  const name = entry.replace(/\.entry\.ts$/, "");
  execFileSync(asc, [
    join("asm", entry),
    "--outFile", join("wasm", `${name}.wasm`),
    "--textFile", join("wasm", `${name}.wat`),
    "--optimizeLevel", "3", "--shrinkLevel", "0", "-O3",
    "--noAssert", "--runtime", "stub",
    "--importMemory", "--initialMemory", "1",
    "--bindings", "raw",
  ], { cwd: root, stdio: "inherit" });
}
console.log(`build:wasm: ${entries.length} module(s) in wasm/`);
