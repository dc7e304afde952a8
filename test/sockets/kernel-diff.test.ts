// The socket-world differential: every scenario of test/sockets/scenarios runs live (the programs of
// bpf/sock_trace.bpf.o attached to a cgroup this test creates, the sockets made in a network namespace
// it creates) and on the simulated host, and the two must agree on the callbacks each program saw with
// their deterministic context fields, the sockhash/sockmap contents, the redirect counters, the bytes
// each socket read, what each call answered and the final states (compare.ts says what is compared).
// `npx tsx scripts/sockets-differential.ts` prints the same comparison as a table.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadPrograms } from "../../src/load/node.js";
import type { Program } from "../../src/program/index.js";
import { parseScenario } from "../../src/sockets/scenario.js";
import { runScenario } from "../../src/sockets/run.js";
import { runScenarioLive } from "../../src/testing/sockets-live.js";
import { addCgroup, addNetns, delCgroup, delNetns, uniq } from "../kernel/net.js";
import { describeKernel } from "../support/kernel.js";
import { differences, normalize } from "./compare.js";
import { GENERATED_SEEDS, mapOpsScenario } from "./generated.js";

const DIR = join(import.meta.dirname, "scenarios");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".scn")).sort();

describeKernel("socket world against the kernel (bpf/sock_trace.bpf.o)", () => {
  const ns = uniq("bksw");
  let cgroup = "";
  let programs: Program[] = [];
  beforeAll(async () => {
    addNetns(ns);
    cgroup = addCgroup(uniq("bksw"));
    programs = await loadPrograms(join(process.cwd(), "bpf/sock_trace.bpf.o"));
  });
  afterAll(() => {
    delCgroup(cgroup);
    delNetns(ns);
  });

  it("has at least 20 scenarios", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(20);
  });

  const agree = (text: string, file: string): void => {
    const scenario = parseScenario(text, file);
    const kernel = normalize(runScenarioLive(scenario, programs, { netns: ns, cgroup }));
    const offline = normalize(runScenario(scenario, programs));
    // the comparison must have something to compare: the programs ran in the kernel
    expect(Object.values(kernel.events).flat().length).toBeGreaterThan(0);
    expect(differences(kernel, offline)).toEqual([]);
  };

  it.each(FILES)("%s: kernel and simulation agree", (file) => agree(readFileSync(join(DIR, file), "utf8"), file));

  // user-space sockmap/sockhash updates, deletes and dumps in random order: the kernel's errnos and contents
  it.each(GENERATED_SEEDS)("generated map operations, seed %i: kernel and simulation agree", (seed) => agree(mapOpsScenario(seed), `generated-${seed}.scn`));
});
