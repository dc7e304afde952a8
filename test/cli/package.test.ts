// What `npm publish` would ship: every source map a user's debugger or stack trace follows must lead to
// source text inside the package (the package ships dist/, not src/, so maps carry their sources inline).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;

describe("the published package", () => {
  const packed = (): string[] => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return (JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
  };

  it("every source map's sources are in the package or inline in the map", () => {
    if (!existsSync(join(root, "dist/index.js"))) throw new Error("dist/ is not built: run npm run build");
    const files = packed();
    const inPackage = new Set(files.map((f) => normalize(f)));
    const maps = files.filter((f) => f.endsWith(".js.map"));
    expect(maps.length).toBeGreaterThan(50);
    const unreachable: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(root, m), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => {
        const inline = typeof map.sourcesContent?.[i] === "string" && map.sourcesContent[i]!.length > 0;
        if (!inline && !inPackage.has(normalize(join(dirname(m), s)))) unreachable.push(`${m} -> ${s}`);
      });
    }
    expect(unreachable).toEqual([]);
  });

  it("ships both entries, the CLI and the interpreter's Wasm", () => {
    const files = new Set(packed());
    for (const f of ["dist/index.js", "dist/node.js", "dist/cli/main.js", "dist/bin/bpfkit.js", "dist/bin/bpfkit.cjs", "wasm/interpreter.bytes.js", "README.md"]) expect(files.has(f), f).toBe(true);
    // the executable is the bundled one, and a code cache written by running it here is not shipped
    expect((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> }).bin).toEqual({ bpfkit: "dist/bin/bpfkit.js" });
    expect([...files].filter((f) => f.endsWith(".v8cache") || f === "dist/bin/meta.json")).toEqual([]);
    // the bundled default target: Linux 6.18 x86_64 BTF and kernel configuration (src/load/target-node.ts)
    for (const f of ["data/btf/vmlinux-6.18-x86_64.btf.gz", "data/kconfig/config-6.18-x86_64.gz"]) expect(files.has(f), f).toBe(true);
  });
});
