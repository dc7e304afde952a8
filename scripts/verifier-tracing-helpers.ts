// Which helpers the running kernel offers the tracing program types (kprobe, tracepoint, perf_event,
// raw_tracepoint): a minimal program calling each helper id, loaded with an MIT license;
// "program of this type cannot use helper" / "unknown func" = not offered. Prints the lists in the form
// src/progtypes/tracing.ts keeps them, and the differences from that table. Needs root.
//   npx tsx scripts/verifier-tracing-helpers.ts
import { helperName } from "../src/isa/helpers.js";
import { isHelperAllowed } from "../src/helpers/table.js";
import { ProgType as P } from "../src/progtypes/numbers.js";
import { MAX_PROBED_HELPER, baselineLoads, probeHelper, type ProbeTarget } from "../test/facts/support/probes.js";

const targets: ProbeTarget[] = [
  { key: "kprobe", progType: P.KPROBE }, { key: "tracepoint", progType: P.TRACEPOINT },
  { key: "perf_event", progType: P.PERF_EVENT }, { key: "raw_tracepoint", progType: P.RAW_TRACEPOINT },
];
let diffs = 0;
for (const t of targets) {
  const b = baselineLoads(t);
  if (!b.ok) throw new Error(`${t.key}: a trivial program does not load (errno ${b.errno}): ${b.log}`);
  const allowed: string[] = [];
  for (let id = 1; id <= MAX_PROBED_HELPER; id++) {
    const name = helperName(id)?.slice(4) ?? `#${id}`;
    const kernel = probeHelper(t, id) !== "denied";
    if (kernel) allowed.push(name);
    const ours = isHelperAllowed(t.progType, id);
    if (ours !== kernel) { diffs++; console.log(`  ${t.key}: ${name}#${id}: kernel ${kernel ? "allows" : "refuses"}, table ${ours ? "allows" : "refuses"}`); }
  }
  console.log(`${t.key} (${allowed.length}): ${JSON.stringify(allowed)}`);
}
console.log(diffs ? `${diffs} differences from the table` : "table agrees with the kernel");
process.exitCode = diffs ? 1 : 0;
