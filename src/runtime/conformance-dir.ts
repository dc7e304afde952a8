// Reading a directory of conformance tests from disk (Node only; the parser and runner in conformance.ts
// are browser-safe).
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { parseConformanceTest, type ConformanceTest } from "./conformance.js";

/** Parse every `*.data` file of a directory; unparseable files come back as failures. */
export function loadConformanceDir(dir: string): { tests: ConformanceTest[]; broken: { name: string; error: string }[] } {
  const tests: ConformanceTest[] = [];
  const broken: { name: string; error: string }[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".data")).sort()) {
    try {
      tests.push(parseConformanceTest(readFileSync(join(dir, f), "utf8"), basename(f)));
    } catch (err) {
      broken.push({ name: f, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { tests, broken };
}
