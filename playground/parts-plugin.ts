// Parts of the playground that load on demand (the socket world, the target BTF), so the first load stays
// what every visitor needs. The site is one classic script that works from file:// (module scripts and
// fetch() are refused there), so a part is a classic script too: `assets/part-NAME-HASH.js` sets
// `bpfkitParts.NAME`, and the page loads it by adding a <script> (playground/src/parts.ts).
//
// A part does not carry its own copy of the library: everything it imports from outside its own folders
// comes from the page's bundle at run time (`bpfkitShared`), so classes (BpfkitError, maps) are the page's
// and the part holds only its own code. The page's bundle registers exactly the modules the parts import;
// a part's source can change without touching this list. In the dev server a part is a plain dynamic import.
import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { build, type Plugin, type Rolldown } from "vite";

export interface PartSpec {
  /** What the page asks for: loadPart("sockets"). */
  name: string;
  /** The part's entry (a module of playground/src/parts/). */
  entry: string;
  /** Folders (or files) whose modules go into the part; any other module it imports is the page's. */
  own: string[];
}

const VIRTUAL = "virtual:bpfkit-parts";
const RESOLVED = `\0${VIRTUAL}`;

/** `../runtime/host.js` from a .ts importer -> the .ts file it names (the library imports with .js suffixes). */
function resolveTs(source: string, importer: string): string | undefined {
  const abs = resolve(dirname(importer), source);
  for (const f of [abs.replace(/\.js$/, ".ts"), abs, `${abs}.ts`, `${abs}/index.ts`]) if (existsSync(f)) return f;
  return undefined;
}

/** `import data from "FILE?base64"`: the file's bytes as a base64 string (the target BTF part's data; a classic script cannot fetch). */
export const base64Plugin: Plugin = {
  name: "bpfkit-base64",
  enforce: "pre",
  load(id) {
    if (!id.endsWith("?base64")) return null;
    return `export default ${JSON.stringify(readFileSync(id.slice(0, -"?base64".length)).toString("base64"))};`;
  },
};

export function partsPlugin(root: string, parts: readonly PartSpec[]): Plugin {
  let command: "build" | "serve" = "serve";
  /** Per part: the asset file name; for all parts: the page's modules they import, by global key. */
  const files = new Map<string, { fileName: string; code: string }>();
  const shared = new Map<string, string>(); // absolute module path -> key in bpfkitShared

  async function buildPart(spec: PartSpec): Promise<void> {
    const own = spec.own.map((o) => resolve(root, o));
    const isOwn = (f: string): boolean => own.some((o) => f === o || f.startsWith(`${o}/`));
    const externalize: Plugin = {
      name: "bpfkit-part-externals",
      enforce: "pre",
      resolveId(source, importer) {
        if (!importer || !source.startsWith(".") || source.includes("?")) return null;
        const f = resolveTs(source, importer);
        if (!f || isOwn(f)) return null;
        if (!shared.has(f)) shared.set(f, `m${shared.size}`);
        return { id: f, external: true };
      },
    };
    const out = await build({
      configFile: false, root, logLevel: "warn", plugins: [externalize, base64Plugin],
      build: {
        write: false, target: "es2022", minify: true, emptyOutDir: false,
        lib: { entry: resolve(root, spec.entry), formats: ["iife"], name: `bpfkitParts.${spec.name}`, fileName: () => `part-${spec.name}.js` },
        rolldownOptions: { output: { extend: true, globals: (id: string) => `bpfkitShared.${shared.get(id) ?? "missing"}` } },
      },
    });
    const output = (Array.isArray(out) ? out[0]! : out as Rolldown.RolldownOutput).output;
    const chunk = output.find((o): o is Rolldown.OutputChunk => o.type === "chunk")!;
    if (chunk.code.includes("bpfkitShared.missing")) throw new Error(`part ${spec.name}: an import the page does not share`);
    const hash = createHash("sha256").update(chunk.code).digest("hex").slice(0, 8);
    files.set(spec.name, { fileName: `assets/part-${spec.name}-${hash}.js`, code: chunk.code });
  }

  return {
    name: "bpfkit-parts",
    configResolved(config) { command = config.command; },
    async buildStart() {
      if (command !== "build") return;
      files.clear();
      shared.clear();
      for (const p of parts) await buildPart(p);
    },
    resolveId: (id) => (id === VIRTUAL ? RESOLVED : null),
    load(id) {
      if (id !== RESOLVED) return null;
      if (command === "serve") {
        // dev server: module scripts work, a part is an ordinary dynamic import
        return `export const loaders = {${parts.map((p) => `${JSON.stringify(p.name)}: () => import(${JSON.stringify(`/@fs${resolve(root, p.entry)}`)})`).join(", ")}};`;
      }
      const keys = [...shared.entries()];
      return [
        ...keys.map(([f, key]) => `import * as ${key} from ${JSON.stringify(f)};`),
        `globalThis.bpfkitShared = { ${keys.map(([, key]) => key).join(", ")} };`,
        `import { loadScript } from ${JSON.stringify(resolve(root, "playground/src/load-script.ts"))};`,
        `export const loaders = {${parts.map((p) => `${JSON.stringify(p.name)}: () => loadScript(${JSON.stringify(files.get(p.name)!.fileName)}, ${JSON.stringify(p.name)})`).join(", ")}};`,
      ].join("\n");
    },
    generateBundle() {
      for (const [, f] of files) this.emitFile({ type: "asset", fileName: f.fileName, source: f.code });
    },
  };
}

/** For the budget script and tests: a part's file name pattern. */
export const PART_FILE = /\/assets\/part-([a-z0-9_]+)-[0-9a-f]{8}\.js$/;
