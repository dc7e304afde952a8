// Bundles a module for the browser with Vite (the playground's bundler) and reports every Node module
// reachable from it: an import of `node:*` or of a bare Node builtin (`fs`, `path`, ...), with the chain of
// imports that reaches it, and free uses of Node's globals (`process.*`, `Buffer.*`, `__dirname`,
// `require(`) left in the output, which a browser does not have either.
import { builtinModules } from "node:module";
import { relative } from "node:path";
import { build, type Plugin, type Rolldown } from "vite";

export interface NodeImport { id: string; chain: string[] }
export interface BundleReport { nodeImports: NodeImport[]; nodeGlobals: string[]; code: string }

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split("/")[0]!]));
const isNodeBuiltin = (id: string): boolean => id.startsWith("node:") || BUILTINS.has(id) || BUILTINS.has(id.split("/")[0]!);

/** Node globals a browser lacks, as they appear in bundled code (member uses, so words in strings rarely match). */
const NODE_GLOBALS = /(?<![\w$.])(process\.(?:hrtime|env|argv|platform|exit|cwd|stdout|stderr|nextTick|memoryUsage|versions)|Buffer\.(?:from|alloc|concat|isBuffer|byteLength)|__dirname|__filename|require\()/g;

export async function bundleForBrowser(entry: string, root: string): Promise<BundleReport> {
  const importers = new Map<string, string>();
  const found: { id: string; importer: string }[] = [];
  const guard: Plugin = {
    name: "bpfkit-node-guard",
    enforce: "pre",
    resolveId(id, importer) {
      if (isNodeBuiltin(id)) {
        found.push({ id, importer: importer ?? "(entry)" });
        return { id, external: true };
      }
      return null;
    },
    moduleParsed(info) {
      for (const dep of info.importedIds) if (!importers.has(dep)) importers.set(dep, info.id);
      for (const dep of info.dynamicallyImportedIds) if (!importers.has(dep)) importers.set(dep, info.id);
    },
  };
  const out = await build({
    configFile: false,
    root,
    logLevel: "silent",
    plugins: [guard],
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ["es"], fileName: "bundle" },
      rolldownOptions: { treeshake: false },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
  const code = outputs.flatMap((o) => o.output).map((c) => ("code" in c ? c.code : "")).join("\n");
  const chainOf = (importer: string): string[] => {
    const chain: string[] = [];
    for (let at: string | undefined = importer; at && chain.length < 50; at = importers.get(at)) chain.unshift(relative(root, at));
    return chain;
  };
  const nodeImports = found.map((f) => ({ id: f.id, chain: chainOf(f.importer) }));
  const nodeGlobals: string[] = [];
  const lines = code.split("\n");
  lines.forEach((line, i) => {
    for (const m of line.matchAll(NODE_GLOBALS)) nodeGlobals.push(`${m[1]} at bundle line ${i + 1}: ${line.trim().slice(0, 120)}`);
  });
  return { nodeImports, nodeGlobals, code };
}
