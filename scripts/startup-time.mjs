// Start-up time of the built CLI (issue #15 item 9): runs each command N times (default 15) and prints the
// min and median wall time and CPU time (user + system of every thread, from `perf stat`'s task-clock
// where perf exists), next to `node -e 0`, the floor, and the load average. CPU time is the figure to
// compare on a loaded machine: wall time there mostly measures the other processes.
//   node scripts/startup-time.mjs [N] [--before DIR]   (DIR: another checkout's dist/cli/main.js to compare)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const before = args.includes("--before") ? args[args.indexOf("--before") + 1] : undefined;
const perf = spawnSync("perf", ["stat", "-x,", "-e", "task-clock", "true"], { encoding: "utf8" }).status === 0;

function measure(label, cmd) {
  const wall = [], cpu = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = perf
      ? spawnSync("perf", ["stat", "-x,", "-e", "task-clock", "--", ...cmd], { cwd: root, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] })
      : spawnSync(cmd[0], cmd.slice(1), { cwd: root, stdio: "ignore" });
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.status}`);
    if (perf) cpu.push(Number(r.stderr.trim().split("\n").pop().split(",")[0]));
  }
  const stat = (a) => { a.sort((x, y) => x - y); return `min ${a[0].toFixed(0)} median ${a[a.length >> 1].toFixed(0)} ms`; };
  console.log(`${label.padEnd(44)} wall ${stat(wall)}${perf ? ` | cpu ${stat(cpu)}` : ""} | load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
}

const packet = readFileSync(join(root, "bpf/packets/blocked_ipv4.hex"), "utf8").trim();
const commands = [
  ["verify bpf/socket_filter.bpf.o", ["verify", "bpf/socket_filter.bpf.o"]],
  ["run bpf/socket_filter.bpf.o", ["run", "bpf/socket_filter.bpf.o"]],
  ["run (README: xdp_ddos_blocklist, one packet)", ["run", "bpf/xdp_ddos_blocklist.bpf.o", "--map", "blocklist_v4:192.0.2.0/24=0", "--data", packet]],
];
console.log(`${n} runs each${perf ? "" : " (no perf: wall time only)"}`);
measure("node -e 0", [process.execPath, "-e", "0"]);
for (const [label, argv] of commands) {
  spawnSync(process.execPath, [join(root, "dist/bin/bpfkit.js"), ...argv], { cwd: root, stdio: "ignore" }); // writes the code cache
  measure(`${label}`, [process.execPath, join(root, "dist/bin/bpfkit.js"), ...argv]);
  measure(`  without the code cache`, ["env", "BPFKIT_NO_CODE_CACHE=1", process.execPath, join(root, "dist/bin/bpfkit.js"), ...argv]);
  if (before) measure(`  before: ${join(before, "dist/cli/main.js")}`, [process.execPath, join(before, "dist/cli/main.js"), ...argv]);
}
