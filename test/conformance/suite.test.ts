// Runs all 313 files of the BPF conformance suite in place (../shared/conformance/tests beside the repo, as
// CI lays it out; BPFKIT_SHARED names another place, e.g. from a git worktree, as the benches take it).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConformanceRunner } from "../../src/runtime/conformance.js";
import { loadConformanceDir } from "../../src/runtime/conformance-dir.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = join(process.env.BPFKIT_SHARED ?? join(repo, "..", "shared"), "conformance", "tests");
const present = existsSync(dir);

(present ? describe : describe.skip)(`conformance suite${present ? "" : ` [skipped: ${dir} is absent]`}`, () => {
  const { tests, broken } = present ? loadConformanceDir(dir) : { tests: [], broken: [] };
  it("parses every file", () => {
    expect(broken).toEqual([]);
    expect(tests.length).toBe(313);
  });
  for (const mode of ["checked", "fast", "compiled"] as const) {
    it(`passes every test in ${mode} mode`, () => {
      const runner = new ConformanceRunner(mode);
      const failures = tests.map((t) => runner.run(t)).filter((o) => !o.pass)
        .map((o) => `${o.test.name}: ${o.error ?? `r0 0x${o.r0?.toString(16)} != 0x${o.test.expected.toString(16)}`}`);
      expect(failures).toEqual([]);
    });
  }
});
