// Network namespaces, veth pairs and cgroups that kernel tests create for themselves (unique names,
// always removed). Nothing here touches the host's own interfaces, routes or firewall.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmdirSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cgroup2Root } from "../support/machine.js";

export const uniq = (prefix: string): string => `${prefix}${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;

export function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
export const nsExec = (ns: string, ...args: string[]): string => ip("netns", "exec", ns, ...args);

/** A netns with loopback up. */
export function addNetns(name: string): void {
  ip("netns", "add", name);
  ip("-n", name, "link", "set", "lo", "up");
}
export function delNetns(name: string): void {
  try { ip("netns", "del", name); } catch { /* already gone */ }
}

/** Two namespaces joined by a veth pair: a (10.n.0.1, plus 10.n.0.3 as a second source) and b (10.n.0.2). */
export function vethPair(nsA: string, nsB: string, subnet: number): { ifA: string; ifB: string; addrA: string; addrA2: string; addrB: string } {
  const ifA = "bka" + subnet, ifB = "bkb" + subnet;
  ip("link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
  const net = `10.${subnet}.0`;
  ip("-n", nsA, "addr", "add", `${net}.1/24`, "dev", ifA);
  ip("-n", nsA, "addr", "add", `${net}.3/24`, "dev", ifA);
  ip("-n", nsB, "addr", "add", `${net}.2/24`, "dev", ifB);
  ip("-n", nsA, "link", "set", ifA, "up");
  ip("-n", nsB, "link", "set", ifB, "up");
  return { ifA, ifB, addrA: `${net}.1`, addrA2: `${net}.3`, addrB: `${net}.2` };
}

/** Run a node script inside a namespace; resolves with its stdout. */
export function nodeInNetns(ns: string, script: string, args: string[] = [], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`timed out: ${err}`)); }, timeoutMs);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => { clearTimeout(timer); code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)); });
  });
}

/** UDP sender: `count` datagrams from `from` to `to:port`. */
export const UDP_SEND = `
const d = require("dgram"); const [from, to, port, count] = process.argv.slice(1);
const s = d.createSocket("udp4"); s.bind({ address: from }, async () => {
  for (let i = 0; i < Number(count); i++) await new Promise((r) => s.send("x" + i, Number(port), to, r));
  setTimeout(() => s.close(), 50);
});`;

/** UDP receiver: prints a JSON object source -> datagrams received within `ms`. */
export const UDP_RECV = `
const d = require("dgram"); const [addr, port, ms] = process.argv.slice(1); const seen = {};
const s = d.createSocket("udp4"); s.on("message", (m, r) => { seen[r.address] = (seen[r.address] || 0) + 1; });
s.bind(Number(port), addr, () => { console.error("ready"); setTimeout(() => { console.log(JSON.stringify(seen)); s.close(); }, Number(ms)); });`;

let privateCgroup2: string | undefined;
/**
 * The cgroup v2 root tests put their cgroups under: the host's mount wherever /proc/mounts has it
 * (`/sys/fs/cgroup` unified-only, `/sys/fs/cgroup/unified` hybrid), else a private cgroup2 mount of this
 * process's own, taken down when it exits.
 */
export function cgroup2(): string {
  const root = cgroup2Root() ?? privateCgroup2;
  if (root) return root;
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-cgroup2-"));
  try { execFileSync("mount", ["-t", "cgroup2", "none", dir], { stdio: ["ignore", "pipe", "pipe"] }); } catch (err) {
    rmdirSync(dir);
    throw new Error(`no cgroup2 mount in /proc/mounts and mounting one failed (${(err as Error).message.split("\n")[0]}): this machine cannot run cgroup tests`);
  }
  process.on("exit", () => { try { execFileSync("umount", [dir]); rmdirSync(dir); } catch { /* busy: left for the OS */ } });
  return (privateCgroup2 = dir);
}
export function addCgroup(name: string): string {
  const path = `${cgroup2()}/${name}`;
  mkdirSync(path);
  return path;
}
/** Remove a cgroup after moving any process left in it back to the root. */
export function delCgroup(path: string): void {
  if (!existsSync(path)) return;
  try {
    for (const pid of readFileSync(`${path}/cgroup.procs`, "utf8").split("\n").filter(Boolean)) writeFileSync(`${dirname(path)}/cgroup.procs`, pid);
  } catch { /* gone */ }
  try { rmdirSync(path); } catch { /* busy or gone */ }
}
