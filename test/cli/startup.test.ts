// Start-up time (issue #15 item 9): a command loads only what it uses. `verify` of an object must not load
// the kernel backend, the runtime (interpreter, helpers' implementations, maps, compiler, the Wasm bytes)
// or the assembler (packet/addr, the address formatter of BTF values, is fine); `run` of an object not the kernel backend or the assembler. Checked on the built CLI
// (dist/, what `npx bpfkit` runs) by logging every module it resolves. Wall time itself is measured by
// hand (see the report): timed tests are too noisy on shared machines.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { allHelpers } from "../../src/helpers/table.js";
import { allowedHelperNames, PROGRAM_TYPES } from "../../src/progtypes/index.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const hook = pathToFileURL(join(repo, "test/cli/support/log-modules.mjs")).href;
const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hook)});`;

function loaded(...args: string[]): string[] {
  const r = spawnSync(process.execPath, ["--import", register, join(repo, "dist/cli/main.js"), ...args], { cwd: repo, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return [...new Set(r.stderr.split("\n").filter((l) => l.startsWith("LOADED ")).map((l) => l.slice(7).replace(pathToFileURL(repo).href + "/", "")))];
}

describe.skipIf(!existsSync(join(repo, "dist/cli/main.js")))("start-up: a command loads only what it uses (dist/)", () => {
  it("verify x.o: no kernel backend, runtime, compiler, assembler or Wasm", () => {
    const mods = loaded("verify", "bpf/socket_filter.bpf.o");
    expect(mods.some((m) => m.startsWith("dist/verifier/"))).toBe(true);
    expect(mods.filter((m) => /^dist\/(kernel|compiler|engine|text|sockets)\/|^dist\/runtime\/(?!limits)|^wasm\//.test(m))).toEqual([]);
    expect(mods.filter((m) => m.startsWith("dist/maps/runtime/"))).toEqual([]);
  });
  it("run x.o: the runtime, but no kernel backend or assembler", () => {
    const mods = loaded("run", "bpf/socket_filter.bpf.o");
    expect(mods).toContain("dist/runtime/runtime.js");
    expect(mods.filter((m) => /^dist\/(kernel|text)\//.test(m))).toEqual([]);
  });
});

describe("helper table: program types per helper", () => {
  it("is what asking each program type gives (built in one pass)", () => {
    for (const h of allHelpers()) {
      if (!h) continue;
      const expected = PROGRAM_TYPES.filter((p) => allowedHelperNames(p.id).includes(h.shortName) ||
        (p.helpersByAttachType ?? []).some((x) => x.helpers.includes(h.shortName))).map((p) => p.id);
      expect(h.progTypes, h.name).toEqual(expected);
    }
  });
});
