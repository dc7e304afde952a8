// The library's browser entry (src/index.ts) must bundle for a browser with no Node module reachable from
// it: the playground imports it, and so can any web page. Bundled with Vite, the playground's bundler.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleForBrowser } from "../support/browser-bundle.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("browser bundle of the library", () => {
  it("src/index.ts reaches no Node import and uses no Node global", async () => {
    const r = await bundleForBrowser("src/index.ts", root);
    const problems = [
      ...r.nodeImports.map((n) => `import '${n.id}' reached through ${n.chain.join(" -> ")}`),
      ...r.nodeGlobals,
    ];
    expect(problems).toEqual([]);
    // It really bundled the pipeline (the verifier and the interpreter's Wasm bytes are in it).
    expect(r.code).toContain("verifyProgram");
    expect(r.code.length).toBeGreaterThan(300_000);
  });

  it("catches a Node import two modules deep and a Node global (negative control)", async () => {
    const r = await bundleForBrowser("test/fixtures/bundle/uses-node.ts", root);
    expect(r.nodeImports.map((n) => n.id).sort()).toEqual(["node:fs", "path"]);
    const fs = r.nodeImports.find((n) => n.id === "node:fs")!;
    expect(fs.chain).toEqual(["test/fixtures/bundle/uses-node.ts", "test/fixtures/bundle/uses-node-inner.ts"]);
    expect(r.nodeGlobals.join("\n")).toContain("process.hrtime");
  });
});
