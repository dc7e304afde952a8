// Sidecar bench: requests/second of a small request/response workload (client -> local TCP proxy -> server,
// 64-byte requests and replies) with 1 to 50 persistent connections, without and with the sock_ops + sk_msg
// socket-to-socket redirect of bpf/sockops_redir.bpf.o deployed on the cgroup the workload runs in.
// Everything runs in a network namespace and a cgroup made for the bench (loopback only), removed
// afterwards. Needs root; skips otherwise.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmdirSync, writeFileSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const SECONDS = 1.5;
const CONNECTIONS = [1, 10, 50];

const WORKLOAD = `
const net = require("net");
const [conns, seconds] = process.argv.slice(1).map(Number);
process.stdin.once("data", () => {
  const server = net.createServer((s) => { s.setNoDelay(true); s.on("data", (d) => s.write(d)); });
  server.listen(0, "127.0.0.1", () => {
    const proxy = net.createServer((c) => {
      c.setNoDelay(true);
      const up = net.connect(server.address().port, "127.0.0.1"); up.setNoDelay(true);
      c.on("data", (d) => up.write(d)); up.on("data", (d) => c.write(d));
      c.on("close", () => up.destroy()); up.on("close", () => c.destroy());
    });
    proxy.listen(0, "127.0.0.1", () => {
      const req = Buffer.alloc(64, 7); let done = 0; let stop = false; let open = 0;
      for (let i = 0; i < conns; i++) {
        const s = net.connect(proxy.address().port, "127.0.0.1"); s.setNoDelay(true);
        let got = 0;
        s.on("connect", () => { open++; s.write(req); });
        s.on("data", (d) => { got += d.length; while (got >= 64) { got -= 64; done++; if (!stop) s.write(req); } });
      }
      const t0 = Date.now();
      setTimeout(() => { stop = true; const secs = (Date.now() - t0) / 1000;
        console.log(JSON.stringify({ rps: Math.round(done / secs), open })); process.exit(0); }, seconds * 1000);
    });
  });
});`;

function run(ns, cgroup, conns) {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", WORKLOAD, String(conns), String(SECONDS)], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error("workload timed out: " + err)); }, (SECONDS + 20) * 1000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => { clearTimeout(timer); code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`)); });
    setTimeout(() => { writeFileSync(`${cgroup}/cgroup.procs`, String(child.pid)); child.stdin.end("go\n"); }, 300);
  });
}

export default async function sidecar() {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return [{ skipped: "needs Linux and root" }];
  const k = await tsImport("../../src/kernel/index.ts", import.meta.url);
  const { loadPrograms } = await tsImport("../../src/load/node.ts", import.meta.url);
  const object = fileURLToPath(new URL("../../bpf/sockops_redir.bpf.o", import.meta.url));
  const programs = await loadPrograms(object);
  const byName = (n) => {
    const p = programs.find((x) => x.name === n);
    if (!p) throw new Error(`${object} has no program ${n}`);
    return p;
  };
  const tag = `${process.pid}`;
  const ns = `bkbench${tag}`, cgroup = `/sys/fs/cgroup/unified/bkbench${tag}`, name = `bench-sidecar-${tag}`;
  execFileSync("ip", ["netns", "add", ns]);
  execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  mkdirSync(cgroup);
  const rows = [];
  try {
    const plain = {};
    for (const c of CONNECTIONS) plain[c] = await run(ns, cgroup, c);
    k.deploy(name, [
      { program: byName("sockops_established"), attach: { type: "sockops", target: cgroup } },
      { program: byName("sk_msg_redirect"), attach: { type: "sk_msg", target: "sock_map" } },
    ]);
    try {
      for (const c of CONNECTIONS) {
        const r = await run(ns, cgroup, c);
        rows.push({ connections: c, "plain req/s": plain[c].rps, "redirect req/s": r.rps, ratio: +(r.rps / plain[c].rps).toFixed(2) });
      }
      // redirect_stats: [0] messages redirected socket-to-socket, [1] messages left to the TCP/IP stack.
      const fd = k.objGet(`${k.deploymentDir(name)}/maps/redirect_stats`);
      const v = new Uint8Array(8);
      const counts = [0, 1].map((slot) => {
        k.mapLookup(fd, k.u32Key(slot), v);
        return Number(new DataView(v.buffer).getBigUint64(0, true));
      });
      k.closeFd(fd);
      rows.push({ connections: "messages redirected", "redirect req/s": counts[0] });
      rows.push({ connections: "messages via the stack", "redirect req/s": counts[1] });
    } finally {
      k.detachDeployment(name);
    }
  } finally {
    try { for (const p of readFileSync(`${cgroup}/cgroup.procs`, "utf8").split("\n").filter(Boolean)) writeFileSync("/sys/fs/cgroup/unified/cgroup.procs", p); } catch { /* empty */ }
    try { rmdirSync(cgroup); } catch { /* busy */ }
    try { execFileSync("ip", ["netns", "del", ns]); } catch { /* gone */ }
  }
  return rows;
}
