// A per-packet workload to profile (where a packet's time goes): one XDP example from bpf/ (or parse_udp /
// xdp_pass) run N times through the compiled engine, as `npm run bench compiler` runs it.
//   node scripts/profile-packet.mjs CASE MODE N       CASE: xdp_pass | parse_udp | xdp_lb | blocklist | blocklist_allowed | feature_tour
//                                                     MODE: batch (runBatch of N copies) | repeat (run with repeat N)
// Profiles (see src/runtime/README.md, "Where a packet's time goes"):
//   node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/profile-packet.mjs xdp_lb batch 200000
//   node scripts/profile-packet.mjs --summary /tmp/prof/*.cpuprofile      (self time by function)
//   valgrind --tool=callgrind --smc-check=all-non-file node --single-threaded scripts/profile-packet.mjs xdp_lb batch N
//     at two N: (Ir(N2) - Ir(N1)) / (N2 - N1) is the instruction count per packet, repeatable on a noisy machine.
// Reads dist/ (npm run build first) and ../shared/bench (BPFKIT_SHARED names another place).
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--no-liftoff"); // as the CLI and the benchmark run compiled code

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);

if (args[0] === "--summary") {
  summary(args.slice(1));
} else if (args[0] === "--callgrind") {
  callgrind(args[1] ?? "xdp_lb", args[2] ?? "batch", Number(args[3] ?? 10000), Number(args[4] ?? 30000));
} else {
  await workload(args[0] ?? "xdp_lb", args[1] ?? "batch", Number(args[2] ?? 100000));
}

async function workload(name, mode, n) {
  const dist = (p) => import(pathToFileURL(join(root, "dist", p)).href);
  const { openEngine } = await dist("engine/index.js");
  const { loadPrograms } = await dist("load/node.js");
  const { assemble } = await dist("text/assembler.js");
  const { fromHex } = await dist("isa/index.js");
  const shared = join(process.env.BPFKIT_SHARED ?? join(root, "..", "shared"), "bench");
  const udp = fromHex(readFileSync(join(shared, "udp_packet.hex"), "utf8"));
  const pkt = (f) => fromHex(readFileSync(join(root, "bpf", "packets", f), "utf8"));
  const u32 = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  const cat = (...xs) => { const o = new Uint8Array(xs.reduce((k, x) => k + x.length, 0)); let k = 0; for (const x of xs) { o.set(x, k); k += x.length; } return o; };
  const objs = async (o) => loadPrograms(join(root, "bpf", `${o}.bpf.o`));
  const parse = readFileSync(join(shared, "parse_udp.s"), "utf8").split("\n").map((l) => l.replace(/#.*$/, "")).filter((l) => l.trim() && !/r4 = r1|r4 \+= r2/.test(l)).join("\n");
  const cases = {
    xdp_pass: async () => ({ progs: [assemble(".section xdp\nr0 = 2\nexit\n", { file: "pass.s" })], data: udp }),
    parse_udp: async () => ({ progs: [assemble(`.section xdp\n  r4 = *(u32 *)(r1 + 4)\n  r1 = *(u32 *)(r1 + 0)\n${parse}\n`, { file: "parse_udp_xdp.s" })], data: udp }),
    xdp_lb: async () => ({
      progs: await objs("xdp_lb"), data: pkt("lb_vip_tcp.hex"),
      maps: { services: [[cat(Uint8Array.of(10, 0, 0, 100, 0, 80, 6, 0)), cat(u32(3), u32(0))]], backends: [0, 1, 2].map((i) => [u32(i), Uint8Array.of(192, 168, 1, 10 + i, 2, 0, 0, 0, 1, 16 + i, 0, 0)]) },
    }),
    blocklist: async () => ({ progs: await objs("xdp_ddos_blocklist"), data: pkt("blocked_ipv4.hex"), maps: { blocklist_v4: [[cat(u32(24), Uint8Array.of(192, 0, 2, 0)), new Uint8Array(8)]] } }),
    blocklist_allowed: async () => ({ progs: await objs("xdp_ddos_blocklist"), data: pkt("allowed_ipv4.hex"), maps: { blocklist_v4: [[cat(u32(24), Uint8Array.of(192, 0, 2, 0)), new Uint8Array(8)]] } }),
    feature_tour: async () => ({ progs: await objs("xdp_feature_tour"), data: udp }),
  };
  if (!cases[name]) throw new Error(`unknown case ${name}: ${Object.keys(cases).join(", ")}`);
  const c = await cases[name]();
  const e = openEngine(c.progs[0], { engine: "compiled", others: c.progs.slice(1) });
  for (const [m, es] of Object.entries(c.maps ?? {})) for (const [k, v] of es) e.maps.get(m).update(k, v);
  let out;
  const inputs = mode === "repeat" ? [] : Array.from({ length: n }, () => ({ data: c.data }));
  const t0 = process.cpuUsage();
  if (mode === "repeat") out = e.run({ data: c.data, repeat: n }).retval;
  else {
    const res = e.runBatch(inputs);
    out = res[n - 1].ok ? res[n - 1].result.retval : res[n - 1].error.message;
  }
  const t = process.cpuUsage(t0);
  process.stdout.write(`${name} ${mode} ${n}: retval ${out}, ${(((t.user + t.system) * 1000) / n).toFixed(1)} ns per packet (CPU time)\n`);
}

/** Instructions per packet under callgrind: the difference of two runs of N1 and N2 packets (startup cancels out). */
function callgrind(name, mode, n1, n2) {
  const ir = (n) => {
    const out = join(tmpdir(), `bpfkit-cg-${process.pid}-${n}`);
    const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, "--smc-check=all-non-file", process.execPath, "--single-threaded",
      fileURLToPath(import.meta.url), name, mode, String(n)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`valgrind failed: ${r.stderr.slice(-500)}`);
    const total = Number(/^totals: (\d+)/m.exec(readFileSync(out, "utf8"))[1]);
    rmSync(out);
    return total;
  };
  const a = ir(n1), b = ir(n2);
  console.log(`${name} ${mode}: ${((b - a) / (n2 - n1)).toFixed(0)} instructions per packet (callgrind, ${n1} vs ${n2} packets)`);
}

function summary(files) {
  const self = new Map();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, "utf8"));
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    p.samples.forEach((id, i) => {
      const t = p.timeDeltas[i] ?? 0;
      const cf = byId.get(id).callFrame;
      const where = cf.url ? `${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}` : "";
      const key = `${cf.functionName || "(anonymous)"} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + t);
      total += t;
    });
  }
  console.log(`total ${(total / 1e3).toFixed(0)} ms (self time by function)`);
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
}
