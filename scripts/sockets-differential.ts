// The socket-world differential as a table: every scenario of test/sockets/scenarios (or the files
// given) run live in the kernel and on the simulated host with bpf/sock_trace.bpf.o, `--runs N` times
// each (to see that the kernel side is stable), and what was compared. Needs root.
// With no files, the generated map-operation scenarios (test/sockets/generated.ts) run too.
//   npx tsx scripts/sockets-differential.ts [--runs N] [--show] [FILE.scn ...]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPrograms } from "../src/load/node.js";
import { parseScenario } from "../src/sockets/scenario.js";
import { runScenario } from "../src/sockets/run.js";
import { runScenarioLive } from "../src/testing/sockets-live.js";
import { addCgroup, addNetns, delCgroup, delNetns, uniq } from "../test/kernel/net.js";
import { differences, normalize } from "../test/sockets/compare.js";
import { GENERATED_SEEDS, mapOpsScenario } from "../test/sockets/generated.js";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const show = args.includes("--show");
const dir = "test/sockets/scenarios";
const files = args.filter((a, i) => a.endsWith(".scn") && args[i - 1] !== "--runs");
const list: { name: string; text: string }[] = (files.length ? files : readdirSync(dir).filter((f) => f.endsWith(".scn")).sort().map((f) => join(dir, f)))
  .map((f) => ({ name: f.replace(`${dir}/`, ""), text: readFileSync(f, "utf8") }));
if (!files.length) list.push(...GENERATED_SEEDS.map((seed) => ({ name: `generated map ops ${seed}`, text: mapOpsScenario(seed) })));

const programs = await loadPrograms("bpf/sock_trace.bpf.o");
const ns = uniq("bkswd");
addNetns(ns);
const cgroup = addCgroup(uniq("bkswd"));
let totalDiff = 0, totalEvents = 0, totalBytes = 0, totalRuns = 0, totalEntries = 0;
try {
  console.log(`${"scenario".padEnd(36)} ${"events".padStart(6)} ${"bytes read".padStart(10)} ${"map entries".padStart(11)}  differences`);
  for (const { name, text } of list) {
    const scenario = parseScenario(text, name);
    const offline = normalize(runScenario(scenario, programs));
    let diffs = 0, events = 0, bytes = 0, entries = 0;
    for (let i = 0; i < runs; i++) {
      const kernel = normalize(runScenarioLive(scenario, programs, { netns: ns, cgroup }));
      const d = differences(kernel, offline);
      diffs += d.length;
      events = Object.values(kernel.events).flat().length;
      bytes = Object.values(kernel.received).reduce((n, r) => n + Number(r.split(" ")[0]), 0);
      entries = kernel.mapEntries;
      if (show) for (const x of d) console.log(`    ${x}`);
      totalRuns++;
    }
    totalDiff += diffs; totalEvents += events * runs; totalBytes += bytes * runs; totalEntries += entries * runs;
    console.log(`${name.padEnd(36)} ${String(events).padStart(6)} ${String(bytes).padStart(10)} ${String(entries).padStart(11)}  ${diffs}`);
  }
  console.log(`\n${list.length} scenarios x ${runs} run(s) = ${totalRuns} kernel runs: ${totalEvents} program events, ${totalEntries} map entries and ${totalBytes} bytes read compared, ${totalDiff} differences`);
} finally {
  delCgroup(cgroup);
  delNetns(ns);
}
process.exitCode = totalDiff ? 1 : 0;
