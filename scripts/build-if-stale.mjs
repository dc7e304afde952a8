// `prepare` (npm install, npm ci, and the first `npx bpfkit` in a checkout, which npm 11 runs by
// installing the checkout into its npx cache as a link) builds wasm/ and dist/ only when a source is
// newer than what was built: an up-to-date checkout starts its first npx at once instead of rebuilding
// for a minute. `npm run build` always builds.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Newest modification time under `dir` of files accepted by `keep` (0 when there are none). */
function newest(dir, keep = () => true) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, keep));
    else if (keep(p)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const oldest = (files) => Math.min(...files.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
const file = (p) => join(root, p);

const wasmInputs = Math.max(newest(file("asm")), statSync(file("scripts/build-wasm.mjs")).mtimeMs);
const wasmOutputs = readdirSync(file("asm")).filter((f) => f.endsWith(".entry.ts")).flatMap((f) => {
  const name = f.replace(/\.entry\.ts$/, "");
  return [`wasm/${name}.wasm`, `wasm/${name}.bytes.js`].map(file);
});
const tsInputs = Math.max(newest(file("src"), (p) => p.endsWith(".ts")), statSync(file("tsconfig.json")).mtimeMs,
  statSync(file("scripts/post-build.mjs")).mtimeMs, statSync(file("scripts/bundle-cli.mjs")).mtimeMs, ...wasmOutputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : Infinity)));
const tsOutputs = [file("dist/index.js"), file("dist/node.js"), file("dist/cli/main.js"), file("dist/bin/bpfkit.js"), file("node_modules/.bin/bpfkit")];

const run = (script) => execFileSync("npm", ["run", "--silent", script], { cwd: root, stdio: "inherit" });
if (oldest(wasmOutputs) < wasmInputs) run("build:wasm");
if (oldest(tsOutputs) < tsInputs || newest(file("dist")) < tsInputs) run("build:ts");
else console.log("bpfkit: dist/ and wasm/ are up to date");
