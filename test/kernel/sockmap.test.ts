// bpf/sockops_redir.bpf.o (sock_ops + sk_msg) deployed together on a cgroup the test creates: two TCP
// endpoints (in a namespace of their own, over its loopback) exchange data; messages are redirected
// socket-to-socket by the kernel, the redirect counter rises, and every byte arrives intact and in order.
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeKernel } from "../support/kernel.js";
import { closeFd, linkGetFdById, deploy, deploymentDir, detachDeployment, mapLookup, objGet } from "../../src/kernel/index.js";
import { addCgroup, addNetns, delCgroup, delNetns, uniq } from "./net.js";
import { loadPrograms } from "../../src/load/node.js";
import { u32Key } from "../../src/kernel/index.js";
import type { Program } from "../../src/program/index.js";

// Child: waits for "go" (after the parent moved it into the cgroup), then runs an echo exchange.
const ECHO = `
const net = require("net"); const crypto = require("crypto");
const rounds = Number(process.argv[1]);
process.stdin.once("data", () => {
  const server = net.createServer((s) => s.pipe(s));
  server.listen(0, "127.0.0.1", () => {
    const c = net.connect(server.address().port, "127.0.0.1");
    c.setNoDelay(true);
    const sent = []; let got = Buffer.alloc(0); let i = 0; let total = 0;
    const next = () => {
      if (i === rounds) { c.end(); server.close(); const all = Buffer.concat(sent);
        console.log(JSON.stringify({ bytes: total, intact: all.equals(got) })); return; }
      const m = crypto.randomBytes(1 + ((i * 7919) % 20000)); sent.push(m); total += m.length; i++; c.write(m);
    };
    let want = 0;
    c.on("data", (d) => { got = Buffer.concat([got, d]); const expect = sent.reduce((n, b) => n + b.length, 0); if (got.length === expect) next(); });
    c.on("connect", next);
  });
});`;

function runEcho(ns: string, cgroup: string, rounds: number): Promise<{ bytes: number; intact: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", ECHO, String(rounds)], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error("echo timed out: " + err)); }, 30_000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => { clearTimeout(timer); code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`)); });
    // `ip netns exec` execs node under the same pid: moving that pid moves the echo process.
    setTimeout(() => {
      try { writeFileSync(`${cgroup}/cgroup.procs`, String(child.pid)); } catch (e) { reject(e); }
      child.stdin.end("go\n");
    }, 300);
  });
}

describeKernel("sockops + sk_msg redirect in a cgroup", () => {
  const ns = uniq("bksk");
  let cgroup = "";
  const name = uniq("t-sk-");
  beforeAll(() => {
    addNetns(ns);
    cgroup = addCgroup(uniq("bkcg"));
  });
  afterAll(() => {
    try { detachDeployment(name); } catch { /* gone */ }
    delCgroup(cgroup);
    delNetns(ns);
  });

  /** redirect_stats[0]: messages redirected; [1]: messages left to the TCP/IP stack (no peer in the map). */
  const stat = (slot: number): bigint => {
    const fd = objGet(`${deploymentDir(name)}/maps/redirect_stats`);
    const v = new Uint8Array(8);
    mapLookup(fd, u32Key(slot), v);
    closeFd(fd);
    return new DataView(v.buffer).getBigUint64(0, true);
  };
  const redirects = (): bigint => stat(0);

  it("redirects every message and keeps every byte in order", async () => {
    const programs = await loadPrograms(join(process.cwd(), "bpf/sockops_redir.bpf.o"));
    const byName = (n: string): Program => programs.find((p) => p.name === n)!;
    const m = deploy(name, [
      { program: byName("sockops_established"), attach: { type: "sockops", target: cgroup } },
      { program: byName("sk_msg_redirect"), attach: { type: "sk_msg", target: "sock_map" } },
    ]);
    expect(m.maps.map((x) => x.name).sort()).toEqual(["redirect_stats", "sock_map"]);
    expect(m.programs.map((p) => p.type)).toEqual(["sock_ops", "sk_msg"]);
    expect(redirects()).toBe(0n);
    const r = await runEcho(ns, cgroup, 200);
    expect(r.intact).toBe(true);
    expect(r.bytes).toBeGreaterThan(100_000);
    // Both directions (request and echo) go through the sk_msg program.
    expect(redirects()).toBeGreaterThanOrEqual(400n);
    // Both ends are local: every message found its peer.
    expect(stat(1)).toBe(0n);
  });

  it("detach removes links and pins; traffic then flows the ordinary way", async () => {
    const before = redirects();
    const removed = detachDeployment(name);
    expect(existsSync(deploymentDir(name))).toBe(false);
    expect(removed.linkIds.length).toBe(2);
    for (const id of removed.linkIds) expect(() => linkGetFdById(id)).toThrow(/ENOENT/);
    const r = await runEcho(ns, cgroup, 20);
    expect(r.intact).toBe(true);
    expect(before).toBeGreaterThan(0n);
  });
});
