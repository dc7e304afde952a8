// `bpfkit run --scenario FILE [OBJECT]`: a socket-world scenario (docs/sockets.md) on the simulated
// host, or with `--engine kernel` live in a network namespace and cgroup made for the run (root).
// Exit codes: 0 ran and every `expect` held, 1 an expectation failed or a program faulted, 2 bad input.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { BpfkitError, diag } from "../../diagnostics/index.js";
import { loadPrograms } from "../../load/node.js";
import { formatReport, reportJson } from "../../sockets/format.js";
import type { ScenarioReport } from "../../sockets/report.js";
import { runScenario } from "../../sockets/run.js";
import { parseScenario } from "../../sockets/scenario.js";

export interface ScenarioOptions { scenario: string; engine?: string; json?: boolean; mode?: string }

export async function runScenarioCommand(file: string | undefined, opts: ScenarioOptions): Promise<number> {
  let text: string;
  try { text = readFileSync(opts.scenario, "utf8"); } catch (e) {
    throw new BpfkitError(diag("BK9701", { what: `cannot read ${opts.scenario} (${(e as NodeJS.ErrnoException).code})` }), 2);
  }
  const scenario = parseScenario(text, opts.scenario);
  const object = file ?? (scenario.program !== undefined ? resolve(dirname(opts.scenario), scenario.program) : undefined);
  if (!object) throw new BpfkitError(diag("BK9701", { what: "no object: give it on the command line or with a 'program FILE' line" }, { file: opts.scenario }), 2);
  const programs = await loadPrograms(object);
  // `run`'s default engine is auto; the socket world runs its programs in the interpreter (its own host)
  const engine = opts.engine === undefined || opts.engine === "auto" ? "interp" : opts.engine;
  let report: ScenarioReport;
  if (engine === "kernel") report = await live(scenario, programs);
  else if (engine === "interp" || engine === "interpreter") report = runScenario(scenario, programs, opts.mode === "fast" ? { mode: "fast" } : {});
  else throw new BpfkitError(diag("BK5013", { what: `--engine with --scenario must be auto, interp or kernel, not '${engine}' (the socket world runs programs in the interpreter)` }), 2);
  process.stdout.write(opts.json ? JSON.stringify(reportJson(report), null, 2) + "\n" : formatReport(report, opts.scenario));
  return report.failed.length ? 1 : 0;
}

/** The scenario in the kernel, in a network namespace and a cgroup made for it and removed after. */
async function live(scenario: ReturnType<typeof parseScenario>, programs: Awaited<ReturnType<typeof loadPrograms>>): Promise<ScenarioReport> {
  const k = await import("../../kernel/index.js");
  const problem = k.kernelBackendProblem();
  if (problem || process.getuid?.() !== 0) {
    throw new BpfkitError(diag("BK5013", { what: `--engine kernel is not available here: ${problem ?? "it needs root (cgroups, network namespaces, bpf(2))"}` }, {}, "run the scenario offline (the default)"), 2);
  }
  const root = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")).find((f) => f[2] === "cgroup2")?.[1];
  if (!root) throw new BpfkitError(diag("BK5013", { what: "--engine kernel needs a cgroup2 mount (none in /proc/mounts)" }), 2);
  const tag = `bpfkit-scn-${process.pid}`;
  const cgroup = `${root}/${tag}`;
  try { execFileSync("ip", ["netns", "add", tag], { stdio: ["ignore", "ignore", "pipe"] }); } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "the ip command (iproute2) is not installed" : String((e as { stderr?: Buffer }).stderr ?? e).trim();
    throw new BpfkitError(diag("BK5013", { what: `--engine kernel cannot make a network namespace: ${why}` }), 2);
  }
  try {
    execFileSync("ip", ["-n", tag, "link", "set", "lo", "up"]);
    mkdirSync(cgroup);
    const { runScenarioLive } = await import("../../testing/sockets-live.js");
    return runScenarioLive(scenario, programs, { netns: tag, cgroup });
  } finally {
    try {
      for (const pid of readFileSync(`${cgroup}/cgroup.procs`, "utf8").split("\n").filter(Boolean)) writeFileSync(`${root}/cgroup.procs`, pid);
      rmdirSync(cgroup);
    } catch { /* not made */ }
    try { execFileSync("ip", ["netns", "del", tag]); } catch { /* gone */ }
  }
}
