// `bpfkit conformance DIR`: run the BPF conformance suite's test files (read in place) on the interpreter
// and print the results per group and ISA version, then `N passed, N failed`.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { BpfkitError, diag } from "../../diagnostics/index.js";
import { ConformanceRunner, type ConformanceOutcome } from "../../runtime/conformance.js";
import { loadConformanceDir } from "../../runtime/conformance-dir.js";
import { action } from "../run-command.js";

interface Options { mode: string; verbose?: boolean; json?: boolean }

export function register(program: Command): void {
  program
    .command("conformance")
    .description("run the BPF conformance suite (a directory of .data files) on the interpreter")
    .argument("<dir>", "directory holding the suite's *.data test files")
    .option("--mode <mode>", "checked or fast (the interpreter), or compiled (each test compiled to WebAssembly)", "checked")
    .option("-v, --verbose", "list every test, not only the failures")
    .option("--json", "print one JSON object with every result")
    .action(action((dir: string, opts: Options) => {
      if (opts.mode !== "checked" && opts.mode !== "fast" && opts.mode !== "compiled") {
        throw new BpfkitError(diag("BK5013", { what: `--mode must be checked, fast or compiled, not '${opts.mode}'` }));
      }
      if (!existsSync(dir)) throw new BpfkitError(diag("BK5015", { what: `${dir} does not exist` }));
      const { tests, broken } = loadConformanceDir(dir);
      const runner = new ConformanceRunner(opts.mode);
      const outcomes: ConformanceOutcome[] = tests.map((t) => runner.run(t));
      const passed = outcomes.filter((o) => o.pass).length;
      const failed = outcomes.length - passed + broken.length;
      if (opts.json) {
        process.stdout.write(JSON.stringify({
          passed, failed,
          results: [
            ...outcomes.map((o) => ({ name: o.test.name, group: o.test.group, isa: o.test.isa, pass: o.pass,
              ...(o.r0 !== undefined ? { r0: "0x" + o.r0.toString(16) } : {}), expected: "0x" + o.test.expected.toString(16),
              ...(o.error ? { error: o.error } : {}) })),
            ...broken.map((b) => ({ name: b.name, pass: false, error: b.error })),
          ],
        }, null, 2) + "\n");
        return failed ? 1 : 0;
      }
      for (const o of outcomes) {
        if (o.pass && !opts.verbose) continue;
        const why = o.pass ? "" : o.error ? `: ${o.error}` : `: r0 = 0x${o.r0!.toString(16)}, expected 0x${o.test.expected.toString(16)}`;
        process.stdout.write(`${o.pass ? "PASS" : "FAIL"} ${o.test.name} (${o.test.group}, v${o.test.isa})${why}\n`);
      }
      for (const b of broken) process.stdout.write(`FAIL ${b.name}: ${b.error}\n`);
      const table = (key: (o: ConformanceOutcome) => string, title: string): void => {
        const rows = new Map<string, [number, number]>();
        for (const o of outcomes) {
          const r = rows.get(key(o)) ?? [0, 0];
          r[o.pass ? 0 : 1]++;
          rows.set(key(o), r);
        }
        process.stdout.write(`${title}:\n`);
        for (const [k, [p, f]] of [...rows].sort()) process.stdout.write(`  ${k.padEnd(10)} ${String(p).padStart(4)} passed ${String(f).padStart(4)} failed\n`);
      };
      table((o) => o.test.group, "by group");
      table((o) => `v${o.test.isa}`, "by ISA version");
      process.stdout.write(`${passed} passed, ${failed} failed (mode ${opts.mode})\n`);
      return failed ? 1 : 0;
    }));
}
