// Records what the running kernel says about the fact tables' subjects, into test/facts/fixtures/:
// - kernel-helpers.json: per program type (+ expected attach type), which helper ids 1..211 it may call
//   and which of those are GPL-only (a program calling the helper, loaded with license "MIT");
// - kernel-maps.json: for each map creation case (test/facts/support/map-cases.ts), accepted or errno;
// - kernel-ctx.json: per program type, which (offset, size) context loads (ldx), register stores (stx)
//   and immediate stores (st) the verifier accepts.
// The tables are compared against these by test/facts/kernel-facts.test.ts (no kernel needed).
// Run as root: npx tsx scripts/record-facts-kernel.ts [helpers|maps|ctx ...]   (default: all three)
// Map answers are recorded for a process with every capability, and, through capsh, without each of
// DROPPED_CAPS; run on a machine short of a capability, it keeps the privileged answers and adds its own.
import { writeFileSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { HELPER_TARGETS, CTX_TARGETS, CTX_PROBED_FROM, MAX_PROBED_HELPER, baselineLoads, probeHelper, probeCtx, probeMap, type CtxKind } from "../test/facts/support/probes.js";
import { fileURLToPath } from "node:url";
import { mapCases } from "../test/facts/support/map-cases.js";
import { mapsFixture, lackingKey, type MapCaseRecord, type MapOutcome } from "../test/facts/support/fixtures.js";
import { missingCaps } from "../test/support/machine.js";

const FIX = new URL("../test/facts/fixtures/", import.meta.url);
const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
const what = process.argv.slice(2);
const want = (w: string): boolean => what.length === 0 || what.includes(w);
/** JSON with one line per target / case (small diffs when the kernel changes). */
function compact(data: Record<string, unknown>): string {
  const lines = Object.entries(data).map(([k, v]) => {
    if (Array.isArray(v)) return `  ${JSON.stringify(k)}: [\n${v.map((x) => `    ${JSON.stringify(x)}`).join(",\n")}\n  ]`;
    if (v && typeof v === "object") return `  ${JSON.stringify(k)}: {\n${Object.entries(v).map(([kk, x]) => `    ${JSON.stringify(kk)}: ${JSON.stringify(x)}`).join(",\n")}\n  }`;
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return `{\n${lines.join(",\n")}\n}\n`;
}
const write = (name: string, data: Record<string, unknown>): void => {
  writeFileSync(new URL(name, FIX), compact(data));
  console.log(`wrote test/facts/fixtures/${name}`);
};
const header = (note: string): Record<string, string> => ({ note, kernel, recordedBy: "scripts/record-facts-kernel.ts" });

if (want("helpers")) {
  const targets: Record<string, unknown> = {};
  for (const t of HELPER_TARGETS) {
    const b = baselineLoads(t);
    if (!b.ok) throw new Error(`${t.key}: a trivial program does not load (errno ${b.errno}): ${b.log}`);
    const allowed: number[] = [];
    const gplOnly: number[] = [];
    for (let id = 1; id <= MAX_PROBED_HELPER; id++) {
      const a = probeHelper(t, id);
      if (a !== "denied") allowed.push(id);
      if (a === "allowed_gpl") gplOnly.push(id);
    }
    targets[t.key] = { progType: t.progType, attachType: t.attachType ?? null, allowed, gplOnly };
    console.log(`${t.key}: ${allowed.length} helpers allowed, ${gplOnly.length} GPL-only`);
  }
  write("kernel-helpers.json", { ...header("helper ids 1..211 a program of each type may call (privileged loader), and which need a GPL license"), maxHelper: MAX_PROBED_HELPER, targets });
}

// Capabilities whose absence changes some answer: each is dropped in a child process (capsh) and the
// answers that differ are recorded under the case's `lacking`, so a machine without it is checked too.
const DROPPED_CAPS = ["cap_sys_resource"];

if (what[0] === "maps-probe") {
  // child mode: this process's answers, one JSON array on stdout
  process.stdout.write(JSON.stringify(mapCases().map((c) => probeMap(c))));
  process.exit(0);
}

if (want("maps")) {
  const missing = missingCaps();
  const live = mapCases().map((c) => ({ ...c, ...probeMap(c) }));
  let cases: MapCaseRecord[];
  if (missing.length === 0) {
    cases = live;
    for (const cap of DROPPED_CAPS) {
      const out = execFileSync("capsh", [`--drop=${cap}`, "--", "-c", `exec "${process.execPath}" --import tsx "${fileURLToPath(import.meta.url)}" maps-probe`], { encoding: "utf8", maxBuffer: 64 << 20 });
      const answers = JSON.parse(out) as MapOutcome[]; // in mapCases() order, as `cases`
      for (const [i, c] of cases.entries()) {
        const a = answers[i]!;
        if (a.ok !== c.ok) (c.lacking ??= {})[lackingKey([cap])] = { ok: a.ok, errno: a.errno };
      }
    }
  } else {
    // Without every capability the privileged answers cannot be recorded here: keep the recorded ones and
    // add how a process lacking these capabilities is answered (only an EPERM may differ).
    const key = lackingKey(missing);
    // labels repeat (two inner-map cases of one name), so a case is known by all of its inputs
    const inputs = ({ ok: _ok, errno: _errno, lacking: _lacking, ...c }: MapCaseRecord): string => JSON.stringify(c);
    const old = new Map(mapsFixture().cases.map((c) => [inputs(c), c]));
    cases = live.map((c) => {
      const rec = old.get(inputs(c));
      if (!rec) throw new Error(`${c.label}: a new case; record it on a machine with every capability`);
      const { lacking = {}, ...privileged } = rec;
      delete lacking[key];
      if (c.ok !== rec.ok) {
        if (c.ok || c.errno !== 1) throw new Error(`${c.label}: the kernel now answers ${c.ok ? "ok" : `errno ${c.errno}`} where the privileged record says ${rec.ok ? "ok" : `errno ${rec.errno}`}: re-record on a machine with every capability`);
        lacking[key] = { ok: c.ok, errno: c.errno };
      }
      return Object.keys(lacking).length ? { ...privileged, lacking } : privileged;
    });
    console.log(`maps: this process lacks ${missing.join(", ")}: kept the privileged answers, recorded the differences under lacking["${key}"]`);
  }
  console.log(`maps: ${cases.length} cases, ${cases.filter((c) => c.ok).length} accepted, ${cases.filter((c) => c.lacking).length} answered otherwise without some capability`);
  // cpumap's max_entries limit is the kernel's CONFIG_NR_CPUS: record it so the comparison can pass it on.
  let nrCpusConfig: number | null = null;
  try {
    const cfg = execFileSync("sh", ["-c", "zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r)"], { encoding: "utf8" });
    const m = /^CONFIG_NR_CPUS=(\d+)$/m.exec(cfg);
    if (m) nrCpusConfig = Number(m[1]);
  } catch { /* unknown */ }
  write("kernel-maps.json", { ...header("BPF_MAP_CREATE of each case: ok, or the errno, for a process with every capability; `lacking`: the answer without the named capabilities where it differs"), nrCpusConfig, cases });
}

if (want("ctx")) {
  // Struct sizes come from the C headers (fixtures/uapi-layouts.json); probe a little beyond them, and a
  // little below 0. Two contexts have no C size: a tracepoint's record is bounded by the kernel's
  // PERF_MAX_TRACE_SIZE (include/linux/trace_events.h) and raw tracepoint arguments by MAX_BPF_FUNC_ARGS u64s.
  const uapi = JSON.parse(readFileSync(new URL("uapi-layouts.json", FIX), "utf8")) as { layouts: Record<string, { __size: number }> };
  const STRUCT: Record<string, string> = {
    xdp: "xdp_md", sched_cls: "__sk_buff", sched_act: "__sk_buff", socket_filter: "__sk_buff", cgroup_skb: "__sk_buff", sock_ops: "bpf_sock_ops",
    sk_msg: "sk_msg_md", sk_skb: "__sk_buff", sk_lookup: "bpf_sk_lookup", cgroup_sock: "bpf_sock", cgroup_sock_addr: "bpf_sock_addr",
    lwt_in: "__sk_buff", lwt_out: "__sk_buff", lwt_xmit: "__sk_buff", lwt_seg6local: "__sk_buff", sk_reuseport: "sk_reuseport_md",
    flow_dissector: "__sk_buff", cgroup_sysctl: "bpf_sysctl", cgroup_sockopt: "bpf_sockopt",
    kprobe: "pt_regs", perf_event: "bpf_perf_event_data", cgroup_device: "bpf_cgroup_dev_ctx",
    tracepoint: "trace event record", raw_tracepoint: "bpf_raw_tracepoint_args",
  };
  const KERNEL_BOUND: Record<string, number> = { "trace event record": 8192, bpf_raw_tracepoint_args: 12 * 8 };
  const targets: Record<string, unknown> = {};
  for (const t of CTX_TARGETS) {
    const b = baselineLoads(t);
    if (!b.ok) throw new Error(`${t.key}: a trivial program does not load (errno ${b.errno}): ${b.log}`);
    const struct = STRUCT[t.key.split("/")[0]!]!;
    const probedSize = (KERNEL_BOUND[struct] ?? uapi.layouts[struct]!.__size) + 16;
    const probedFrom = CTX_PROBED_FROM;
    const acc: Record<CtxKind, string[]> = { ldx: [], ldsx: [], stx: [], st: [] };
    for (const kind of ["ldx", "ldsx", "stx", "st"] as const) {
      const sizes = kind === "ldsx" ? ([1, 2, 4] as const) : ([1, 2, 4, 8] as const);
      for (let off = probedFrom; off < probedSize; off++) for (const size of sizes) if (probeCtx(t, kind, off, size)) acc[kind].push(`${off}:${size}`);
    }
    targets[t.key] = { progType: t.progType, attachType: t.attachType ?? null, struct, probedFrom, probedSize, ...acc };
    console.log(`${t.key}: ${acc.ldx.length} loads, ${acc.ldsx.length} ldsx, ${acc.stx.length} stx, ${acc.st.length} st accepted`);
  }
  write("kernel-ctx.json", { ...header("context accesses `off:size` the verifier accepts (ldx load, ldsx sign-extending load of 1/2/4 bytes, stx register store, st immediate store); every other offset from probedFrom to below probedSize and size 1/2/4/8 is refused"), targets });
}
