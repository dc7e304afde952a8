// The command line as `npx bpfkit` runs it (issue #15 item 9, start-up time), built by esbuild after tsc:
//   dist/bin/bpfkit.js   the executable (package.json "bin"), src/cli/launch.ts: runs the bundle below
//                        with a V8 code cache;
//   dist/bin/bpfkit.cjs  src/cli/main.ts and everything it imports, in one script. Each module reached
//                        through a dynamic import (every command, the kernel backend, the engine and
//                        compiler, the assembler, the socket world, ...) stays a function that runs on
//                        first use, so `verify` never runs the kernel backend's or the runtime's modules;
//   dist/bin/meta.json   esbuild's metafile: which source files the bundle holds (test/cli/startup.test.ts).
// One script rather than ES module chunks: Node 20 can cache compiled code only for a script (node:vm), and
// one file is one read instead of Node's ESM loader resolving, reading and linking each chunk.
// dist/index.js and dist/node.js (the library's entries, from tsc) are untouched.
import { build } from "esbuild";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/bin");
const posix = (p) => p.split(sep).join("/");

// A source file that finds files relative to itself (`new URL("../../data/...", import.meta.url)`: the
// bundled BTF, the playground's site, koffi through createRequire) must see the URL it has in tsc's
// output, dist/<folder>/<file>.js, not the bundle's: every `import.meta.url` in src/ becomes that URL.
const metaUrlAsInDist = {
  name: "import-meta-url-as-in-dist",
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const inDist = posix(relative(outdir, join(root, "dist", relative(join(root, "src"), args.path)))).replace(/\.ts$/, ".js");
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(inDist)}, __bpfkitBundleUrl).href`), loader: "ts" };
    });
  },
};

// commander requires node:child_process at its top for executable subcommands, which bpfkit has none of;
// loading it (with net and dgram behind it) costs ~15 ms of every start. Commander gets it on first use.
const lazyChildProcess = {
  name: "commander-lazy-child-process",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: "child_process", namespace: "lazy-builtin" } : undefined);
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      contents: `module.exports = { spawn: (...args) => require("node:child_process").spawn(...args) };`,
      loader: "js",
    }));
  },
};

const common = { absWorkingDir: root, bundle: true, platform: "node", target: "node20", sourcemap: "linked", sourcesContent: true, legalComments: "none", logLevel: "warning" };
rmSync(outdir, { recursive: true, force: true });

const cli = await build({
  ...common,
  entryPoints: ["src/cli/main.ts"],
  outfile: join(outdir, "bpfkit.cjs"),
  format: "cjs",
  // koffi is a native addon: required where the kernel backend needs it (src/kernel/sys.ts)
  external: ["koffi"],
  // the CommonJS function wrapper is in the file: the launcher compiles the text as it is read, with no
  // 1.5 MB string to concatenate and flatten first
  banner: { js: `(function (exports, require, module, __filename, __dirname) {\n"use strict"; // ES modules are strict: the whole bundle is (esbuild's own "use strict" comes after this banner)\nvar __bpfkitBundleUrl = require("node:url").pathToFileURL(__filename).href;` },
  footer: { js: "})" },
  metafile: true,
  plugins: [metaUrlAsInDist, lazyChildProcess],
});
// A dynamic import esbuild could not resolve would stay an import() in a script run by node:vm, and fail
// there at run time: refuse it here.
const unbundled = Object.values(cli.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.kind === "dynamic-import");
if (unbundled.length) throw new Error(`bundle-cli: dynamic imports left unbundled: ${unbundled.map((i) => i.path).join(", ")}`);
// main.ts's `#!` line would be a syntax error inside the function wrapper (same line count kept)
const cjs = join(outdir, "bpfkit.cjs");
const text = readFileSync(cjs, "utf8").replace(/^#!.*/, "// bpfkit command line: run by bpfkit.js (src/cli/launch.ts)");
// the launcher reads it as latin1, which is only the same text for ASCII (esbuild's default charset)
const nonAscii = /[^\x00-\x7f]/.exec(text);
if (nonAscii) throw new Error(`bundle-cli: dist/bin/bpfkit.cjs is not ASCII at offset ${nonAscii.index}`);
writeFileSync(cjs, text);
writeFileSync(join(outdir, "meta.json"), JSON.stringify(cli.metafile));

await build({ ...common, entryPoints: ["src/cli/launch.ts"], outfile: join(outdir, "bpfkit.js"), format: "esm", sourcemap: false });
chmodSync(join(outdir, "bpfkit.js"), 0o755);
