// Start-up time (issue #15 item 9): a command loads only what it uses. `verify` of an object must not load
// the kernel backend, the runtime (interpreter, helpers' implementations, maps, compiler, the Wasm bytes)
// or the assembler (packet/addr, the address formatter of BTF values, is fine); `run` of an object not the
// kernel backend or the assembler. Checked on the built executable (dist/bin/bpfkit.js, what `npx bpfkit`
// runs): the bundle keeps every module it holds as a function named by the module's source path, run on
// the module's first use, and V8's coverage (NODE_V8_COVERAGE) tells which of them a command ran.
// Wall time itself is measured by hand (see the report): timed tests are too noisy on shared machines.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { allHelpers } from "../../src/helpers/table.js";
import { allowedHelperNames, PROGRAM_TYPES } from "../../src/progtypes/index.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repo, "dist/bin/bpfkit.js");
const scratch = mkdtempSync(join(tmpdir(), "bpfkit-startup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Modules { ran: string[]; lazy: string[] }
const MODULE = /^(src|wasm|node_modules)\//;

/** The bundle's modules a command ran, and every module the bundle holds as a function run on first use. */
function modules(...args: string[]): Modules {
  const cov = mkdtempSync(join(scratch, "cov-"));
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: "utf8", env: { ...process.env, NODE_V8_COVERAGE: cov, BPFKIT_NO_CODE_CACHE: "1" } });
  expect(r.status, r.stderr).toBe(0);
  const scripts = readdirSync(cov).flatMap((f) => (JSON.parse(readFileSync(join(cov, f), "utf8")) as { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] }).result)
    .filter((s) => s.url.endsWith("/dist/bin/bpfkit.cjs"));
  expect(scripts).toHaveLength(1);
  const fns = scripts[0]!.functions.filter((f) => MODULE.test(f.functionName));
  return { ran: fns.filter((f) => f.ranges[0]!.count > 0).map((f) => f.functionName), lazy: fns.map((f) => f.functionName) };
}

const NOT_FOR_VERIFY = /^src\/(kernel|compiler|engine|text|sockets|testing)\/|^src\/runtime\/(?!limits)|^src\/maps\/runtime\/|^wasm\//;
const NOT_FOR_RUN = /^src\/(kernel|text|testing)\//;

describe.skipIf(!existsSync(bin))("start-up: a command loads only what it uses (dist/bin)", () => {
  it("every module of the bundle but main.ts and the command list runs on first use, not when the bundle starts", () => {
    const meta = JSON.parse(readFileSync(join(repo, "dist/bin/meta.json"), "utf8")) as { inputs: Record<string, unknown> };
    const entry = ["src/cli/main.ts", "src/cli/commands/index.ts"];
    const inputs = Object.keys(meta.inputs).filter((p) => MODULE.test(p) && !entry.includes(p));
    expect(inputs.filter((p) => NOT_FOR_VERIFY.test(p)).length).toBeGreaterThan(50);
    const { lazy } = modules("--version");
    expect(inputs.filter((p) => !lazy.includes(p))).toEqual([]);
  });
  it("verify x.o: no kernel backend, runtime, compiler, assembler or Wasm", () => {
    const { ran } = modules("verify", "bpf/socket_filter.bpf.o");
    expect(ran).toContain("src/verifier/verifier.ts");
    expect(ran.filter((m) => NOT_FOR_VERIFY.test(m))).toEqual([]);
    // nor the other commands (deploy's, build's and playground's Node built-ins: child_process, http)
    expect(ran.filter((m) => m.startsWith("src/cli/commands/"))).toEqual(["src/cli/commands/verify.ts"]);
  });
  it("run x.o: the runtime, but no kernel backend or assembler", () => {
    const { ran } = modules("run", "bpf/socket_filter.bpf.o");
    expect(ran).toContain("src/runtime/runtime.ts");
    expect(ran.filter((m) => NOT_FOR_RUN.test(m))).toEqual([]);
  });
  it("the bundle is strict code, as the ES modules it is made of", () => {
    const text = readFileSync(join(repo, "dist/bin/bpfkit.cjs"), "latin1");
    // the directive must be the function's first statement to count
    expect(text).toMatch(/^(\/\/[^\n]*\n)*\(function \(exports, require, module, __filename, __dirname\) \{\n"use strict";/);
  });
  it("--help still lists every command", () => {
    const r = spawnSync(process.execPath, [bin, "--help"], { cwd: repo, encoding: "utf8" });
    for (const c of ["asm", "disasm", "inspect", "verify", "run", "conformance", "deploy", "status", "detach", "map", "build", "playground"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    }
  });
});

describe.skipIf(!existsSync(bin))("start-up: the code cache (dist/bin/bpfkit.js)", () => {
  it("is written by a first run, taken by the next, and a damaged one is refused and replaced", () => {
    // a copy of the executable and the bundle, so the test owns its cache files
    const dir = mkdtempSync(join(scratch, "bin-"));
    for (const f of ["bpfkit.js", "bpfkit.cjs"]) copyFileSync(join(repo, "dist/bin", f), join(dir, f));
    const verify = () => spawnSync(process.execPath, [join(dir, "bpfkit.js"), "verify", "bpf/socket_filter.bpf.o"], {
      cwd: repo, encoding: "utf8", env: { ...process.env, BPFKIT_DEBUG_CODE_CACHE: "1", BPFKIT_NO_CODE_CACHE: "" },
    });
    const caches = () => readdirSync(dir).filter((f) => f.endsWith(".v8cache"));
    const runs = [verify(), verify()];
    expect(caches()).toHaveLength(1);
    expect(caches()[0]).toMatch(/^bpfkit\.cjs\.verify\./);
    writeFileSync(join(dir, caches()[0]!), Buffer.alloc(4096, 0x5a));
    runs.push(verify(), verify());
    expect(runs.map((r) => r.stderr.trim())).toEqual(["code cache: none", "code cache: accepted", "code cache: rejected", "code cache: accepted"]);
    const listing = (out: string) => out.replace(/\d+(\.\d+)? ms/g, "(time)").replace(/ +/g, " "); // the TIME column sets its width
    for (const r of runs) {
      expect(r.status).toBe(0);
      expect(listing(r.stdout)).toBe(listing(runs[0]!.stdout));
      expect(r.stdout).toMatch(/^socket_filter\s+socket\s+socket_filter\s+accepted\s+48\s/m);
    }
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
