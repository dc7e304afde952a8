// Runs a socket-world scenario (src/sockets/scenario.ts) live: the object's programs loaded into the
// kernel and attached to a real cgroup and real sockmaps, the scenario's sockets made with socket(2)
// in a network namespace, by this process while it sits in that cgroup (so the cgroup's programs see
// them). Every call is synchronous (libc through koffi, non-blocking sockets with poll), so a scenario
// runs start to end without the event loop; the answer is the same ScenarioReport the simulated host
// gives, which is what the socket-world differential compares. Node only; needs root.
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { BpfkitError, diag } from "../diagnostics/index.js";
import { attach, closeFd, inNetns, KernelError, loadObjectIntoKernel, mapDelete, mapUpdate, readMapEntries, type LoadedKernelObject } from "../kernel/index.js";
import { mapTypeByName } from "../maps/types.js";
import { parseBytes } from "../maps/values.js";
import type { Program } from "../program/index.js";
import { errnoName, type MapReport, type ScenarioReport, type SocketReport, type StepReport } from "../sockets/report.js";
import { formatEndpoint, TCP_STATES, type Endpoint, type Located, type Scenario, type SocketKind, type Step } from "../sockets/scenario.js";
import { checkExpectation } from "../sockets/expect.js";

export interface LiveWorld {
  /** Network namespace (a name under /run/netns) the sockets are made in. */
  netns: string;
  /** cgroup v2 folder the programs attach to and the sockets are made in. */
  cgroup: string;
  /** How long to let softirqs and workqueues finish after a step (ms, default 5). */
  settleMs?: number;
}

interface SockLibc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  listen(fd: number, backlog: number): number;
  connect(fd: number, addr: Uint8Array, len: number): number;
  accept4(fd: number, addr: null, len: null, flags: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: number): number;
  recvfrom(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array | null, alen: Uint8Array | null): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
  getpeername(fd: number, addr: Uint8Array, len: Uint8Array): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  poll(fds: Uint8Array, n: number, timeout: number): number;
  errno(): number;
}

let libc: SockLibc | undefined;
function sockLibc(): SockLibc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require("koffi") as typeof import("koffi");
  const lib = koffi.load("libc.so.6");
  libc = {
    socket: lib.func("int socket(int, int, int)"),
    bind: lib.func("int bind(int, void *, unsigned int)"),
    listen: lib.func("int listen(int, int)"),
    connect: lib.func("int connect(int, void *, unsigned int)"),
    accept4: lib.func("int accept4(int, void *, void *, int)"),
    send: (fd, buf, len, flags) => Number(sendFn(fd, buf, len, flags)),
    sendto: (fd, buf, len, flags, addr, alen) => Number(sendtoFn(fd, buf, len, flags, addr, alen)),
    recvfrom: (fd, buf, len, flags, addr, alen) => Number(recvfromFn(fd, buf, len, flags, addr, alen)),
    shutdown: lib.func("int shutdown(int, int)"),
    close: lib.func("int close(int)"),
    getsockname: lib.func("int getsockname(int, void *, void *)"),
    getpeername: lib.func("int getpeername(int, void *, void *)"),
    getsockopt: lib.func("int getsockopt(int, int, int, void *, void *)"),
    setsockopt: lib.func("int setsockopt(int, int, int, void *, unsigned int)"),
    poll: lib.func("int poll(void *, unsigned long, int)"),
    errno: () => koffi.errno(),
  };
  const sendFn = lib.func("long send(int, void *, unsigned long, int)");
  const sendtoFn = lib.func("long sendto(int, void *, unsigned long, int, void *, unsigned int)");
  const recvfromFn = lib.func("long recvfrom(int, void *, unsigned long, int, void *, void *)");
  return libc;
}

const AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, SO_COOKIE = 57, IPPROTO_TCP = 6, TCP_NODELAY = 1, TCP_INFO = 11;
const MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000, SHUT_WR = 1, POLLIN = 1, POLLOUT = 4;
const EAGAIN = 11, EINPROGRESS = 115;

function sockaddr(e: Endpoint): Uint8Array {
  const b = new Uint8Array(e.family === 4 ? 16 : 28);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, e.family === 4 ? AF_INET : AF_INET6, true);
  dv.setUint16(2, e.port, false);
  b.set(e.addr, e.family === 4 ? 4 : 8);
  return b;
}
function endpointOf(b: Uint8Array): string | undefined {
  const dv = new DataView(b.buffer, b.byteOffset);
  const fam = dv.getUint16(0, true);
  if (fam === AF_INET) return formatEndpoint({ family: 4, addr: b.slice(4, 8), port: dv.getUint16(2, false) });
  if (fam === AF_INET6) return formatEndpoint({ family: 6, addr: b.slice(8, 24), port: dv.getUint16(2, false) });
  return undefined;
}
/** `0100007F:1F90` (IPv4) or 32 hex digits:port (IPv6) from /proc/net/{tcp,udp}{,6}: 32-bit words in host order. */
function procEndpoint(text: string): string | undefined {
  const [hex, port] = text.split(":");
  if (!hex || !port) return undefined;
  const words = hex.match(/.{8}/g)!.map((w) => parseInt(w, 16));
  const addr = new Uint8Array(words.length * 4);
  const dv = new DataView(addr.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return formatEndpoint({ family: words.length === 1 ? 4 : 6, addr, port: parseInt(port, 16) });
}
const sleep = (ms: number): void => { if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

interface LiveSocket {
  name: string;
  kind: SocketKind;
  outside: boolean;
  fd: number;
  cookie: bigint;
  closed: boolean;
  listening: boolean;
  received: Uint8Array[];
  datagrams: { from: string; size: number }[];
  local?: string;
  remote?: string;
  lastResult?: string;
}

/** The cgroup v2 folder this process is in now (to come back to). */
function ownCgroup(cgroupRoot: string): string {
  const line = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"));
  if (!line) throw new BpfkitError(diag("BK9704", { what: "this process is in no cgroup v2 hierarchy (/proc/self/cgroup has no 0:: line)" }));
  return cgroupRoot + line.slice(3).trim().replace(/\/$/, "");
}

/** Run `scenario` in the kernel with the object's `programs`; see the file comment. */
export function runScenarioLive(scenario: Scenario, programs: readonly Program[], world: LiveWorld): ScenarioReport {
  const c = sockLibc();
  const settle = world.settleMs ?? 5;
  // The cgroup root is the folder above ours in the cgroup path under the same mount.
  const root = world.cgroup.replace(/\/[^/]+$/, "");
  const home = ownCgroup(root);
  const enter = (path: string): void => writeFileSync(`${path}/cgroup.procs`, String(process.pid));
  const used = new Set(scenario.steps.flatMap((s) => (s.op === "attach" ? [s.prog] : [])));
  const chosen = programs.filter((p) => used.has(p.name));
  for (const name of used) if (!chosen.some((p) => p.name === name)) fail(scenario, scenario.steps.find((s) => s.op === "attach" && s.prog === name)!, `the object has no program '${name}' (it has ${programs.map((p) => p.name).join(", ")})`);
  const obj: LoadedKernelObject = loadObjectIntoKernel(chosen);
  const links = new Map<string, number>();
  const sockets = new Map<string, LiveSocket>();
  const steps: StepReport[] = [];
  const failed: { line: number; message: string }[] = [];
  try {
    inNetns(world.netns, () => {
      for (const step of scenario.steps) {
        const r = runStep(step);
        if (r) steps.push({ line: step.line, op: step.op, ...r });
        sleep(settle);
      }
      // time for the delayed ACKs (40 ms) to go out, then read what is left
      sleep(60);
      for (const s of sockets.values()) if (!s.closed && !s.listening) drain(s, 20);
    });
    const report: ScenarioReport = { runner: "kernel", sockets: [...sockets.values()].map(socketReport), steps, maps: mapReports(), failed };
    for (const step of scenario.steps) {
      if (step.op !== "expect" || step.what.kind === "path") continue; // the kernel does not say which path bytes took
      const msg = checkExpectation(step.what, report);
      if (msg) failed.push({ line: step.line, message: msg });
    }
    return report;
  } finally {
    try { enter(home); } catch { /* gone */ }
    for (const s of sockets.values()) if (!s.closed) c.close(s.fd);
    for (const fd of links.values()) closeFd(fd);
    obj.close();
  }

  function sock(step: Located<Step>, name: string): LiveSocket {
    const s = sockets.get(name);
    if (!s) return fail(scenario, step, `no socket '${name}'`);
    if (s.closed) return fail(scenario, step, `socket '${name}' was closed`);
    return s;
  }

  function cookieOf(fd: number): bigint {
    const v = new Uint8Array(8), len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, 8, true);
    if (c.getsockopt(fd, SOL_SOCKET, SO_COOKIE, v, len) < 0) return 0n;
    return new DataView(v.buffer).getBigUint64(0, true);
  }
  /**
   * The socket's addresses as the kernel holds them, from /proc/thread-self/net (this thread is in the
   * namespace): getsockname/getpeername would run the cgroup's getsockname/getpeername programs.
   */
  function names(s: LiveSocket): void {
    let ino: string;
    try { ino = readlinkSync(`/proc/self/fd/${s.fd}`).replace(/^socket:\[(\d+)\]$/, "$1"); } catch { return; }
    const table = `/proc/thread-self/net/${s.kind}`;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[9] !== ino) continue;
      const local = procEndpoint(f[1]!), remote = procEndpoint(f[2]!);
      if (local) s.local = local;
      if (remote && !remote.endsWith(":0")) s.remote = remote;
      return;
    }
  }
  function pollFor(fd: number, events: number, ms: number): boolean {
    const p = new Uint8Array(8);
    const dv = new DataView(p.buffer);
    dv.setInt32(0, fd, true);
    dv.setInt16(4, events, true);
    const r = c.poll(p, 1, ms);
    return r > 0 && (dv.getInt16(6, true) & events) !== 0;
  }
  function drain(s: LiveSocket, firstWaitMs: number): number {
    let total = 0;
    const buf = new Uint8Array(65536);
    const from = new Uint8Array(28), alen = new Uint8Array(4);
    let wait = firstWaitMs;
    for (;;) {
      if (!pollFor(s.fd, POLLIN, wait)) break;
      wait = 5;
      new DataView(alen.buffer).setUint32(0, 28, true);
      const n = c.recvfrom(s.fd, buf, buf.length, MSG_DONTWAIT, from, alen);
      if (n < 0) { if (c.errno() === EAGAIN) continue; break; }
      if (n === 0) break; // end of stream
      s.received.push(buf.slice(0, n));
      if (s.kind.startsWith("udp")) s.datagrams.push({ from: endpointOf(from) ?? "?", size: n });
      total += n;
    }
    return total;
  }

  function runStep(step: Located<Step>): Omit<StepReport, "line" | "op"> | undefined {
    const err = (): string => errnoName(c.errno());
    switch (step.op) {
      case "attach": {
        const p = obj.programs.find((x) => x.name === step.prog)!;
        let target;
        if (step.hook.kind === "cgroup") target = { kind: "cgroup" as const, path: world.cgroup, attachType: step.hook.attachType };
        else {
          const m = obj.maps.get(step.map!);
          if (!m) return fail(scenario, step, `no map '${step.map}' among the programs' maps (${[...obj.maps.keys()].join(", ")})`);
          const kind = step.hook.name === "sk_msg" ? "sk_msg" : step.hook.name === "stream_parser" ? "stream_parser" : step.hook.name === "stream_verdict" ? "stream_verdict" : "verdict";
          target = { kind: "sockmap" as const, mapFd: m.fd, attach: kind as "sk_msg" };
        }
        links.set(`${step.prog}/${step.hook.name}/${step.map ?? ""}`, attach(p.fd, target));
        return { result: "ok" };
      }
      case "detach": {
        const key = `${step.prog}/${step.hook.name}/${step.map ?? ""}`;
        const fd = links.get(key);
        if (fd === undefined) return fail(scenario, step, `${step.prog} is not attached to ${step.hook.name}${step.map ? ` of ${step.map}` : ""}`);
        closeFd(fd);
        links.delete(key);
        return { result: "ok" };
      }
      case "map": case "unmap": {
        const m = obj.maps.get(step.map);
        if (!m) return fail(scenario, step, `no map '${step.map}' (the attached programs have ${[...obj.maps.keys()].join(", ")})`);
        const key = parseBytes(step.key, m.spec.keySize, `key of map '${step.map}'`);
        if (step.op === "unmap") {
          try { return { result: mapDelete(m.fd, key) ? "ok" : "ENOENT" }; } catch (e) { if (e instanceof KernelError) return { result: errnoName(e.errno) }; throw e; }
        }
        let value: Uint8Array;
        if (m.spec.type === "sockmap" || m.spec.type === "sockhash") {
          const s = sock(step, step.value);
          value = new Uint8Array(m.spec.valueSize);
          new DataView(value.buffer).setUint32(0, s.fd, true);
        } else value = parseBytes(step.value, m.spec.valueSize, `value of map '${step.map}'`);
        try { mapUpdate(m.fd, key, value, step.flags ?? 0); } catch (e) { if (e instanceof KernelError) return { result: errnoName(e.errno) }; throw e; }
        return { result: "ok" };
      }
      case "socket": {
        enter(step.outside ? root : world.cgroup);
        const v6 = step.kind.endsWith("6");
        const fd = c.socket(v6 ? AF_INET6 : AF_INET, (step.kind.startsWith("tcp") ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        enter(home);
        if (fd < 0) return fail(scenario, step, `socket() failed: ${err()}`);
        const one = new Uint8Array(4);
        new DataView(one.buffer).setUint32(0, 1, true);
        c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
        // No Nagle: the simulated host sends every write at once, as TCP_NODELAY does.
        if (step.kind.startsWith("tcp")) c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4);
        sockets.set(step.name, { name: step.name, kind: step.kind, outside: step.outside, fd, cookie: cookieOf(fd), closed: false, listening: false, received: [], datagrams: [] });
        return { socket: step.name, result: "ok" };
      }
      case "bind": {
        const s = sock(step, step.name);
        const a = sockaddr(step.addr);
        const r = c.bind(s.fd, a, a.length) < 0 ? err() : "ok";
        names(s);
        return { socket: s.name, result: (s.lastResult = r) };
      }
      case "listen": {
        const s = sock(step, step.name);
        const r = c.listen(s.fd, 128) < 0 ? err() : "ok";
        if (r === "ok") s.listening = true;
        names(s);
        return { socket: s.name, result: (s.lastResult = r) };
      }
      case "connect": {
        const s = sock(step, step.name);
        const a = sockaddr(step.addr);
        let r = "ok";
        if (c.connect(s.fd, a, a.length) < 0) {
          const e = c.errno();
          if (e !== EINPROGRESS) r = errnoName(e);
          else {
            pollFor(s.fd, POLLOUT, 2000);
            const v = new Uint8Array(4), len = new Uint8Array(4);
            new DataView(len.buffer).setUint32(0, 4, true);
            c.getsockopt(s.fd, SOL_SOCKET, SO_ERROR, v, len);
            const so = new DataView(v.buffer).getInt32(0, true);
            if (so) r = errnoName(so);
          }
        }
        names(s);
        return { socket: s.name, result: (s.lastResult = r) };
      }
      case "accept": {
        const l = sock(step, step.listener);
        let fd = c.accept4(l.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && c.errno() === EAGAIN && pollFor(l.fd, POLLIN, 1000)) fd = c.accept4(l.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return fail(scenario, step, `accept() on '${l.name}' failed: ${err()} (no connection is waiting)`);
        const s: LiveSocket = { name: step.name, kind: l.kind, outside: l.outside, fd, cookie: cookieOf(fd), closed: false, listening: false, received: [], datagrams: [] };
        names(s);
        sockets.set(step.name, s);
        return { socket: step.name, result: "ok" };
      }
      case "send": case "sendto": {
        const s = sock(step, step.name);
        let off = 0, error: string | undefined;
        const a = step.op === "sendto" ? sockaddr(step.addr) : undefined;
        while (off < step.data.length) {
          const chunk = step.data.slice(off);
          const n = a ? c.sendto(s.fd, chunk, chunk.length, MSG_DONTWAIT | MSG_NOSIGNAL, a, a.length)
            : c.send(s.fd, chunk, chunk.length, MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n >= 0) { off += n; continue; }
          const e = c.errno();
          if (e === EAGAIN && pollFor(s.fd, POLLOUT, 1000)) continue;
          error = errnoName(e);
          break;
        }
        if (a) names(s);
        const r = error && off === 0 ? error : error ? `${off} bytes then ${error}` : `${off} bytes`;
        return { socket: s.name, result: (s.lastResult = r) };
      }
      case "recv": {
        const s = sock(step, step.name);
        return { socket: s.name, result: (s.lastResult = `${drain(s, 30)} bytes`) };
      }
      case "shutdown": {
        const s = sock(step, step.name);
        return { socket: s.name, result: (s.lastResult = c.shutdown(s.fd, SHUT_WR) < 0 ? err() : "ok") };
      }
      case "close": {
        const s = sock(step, step.name);
        if (!s.listening) drain(s, 10); // close reads what is pending first (see docs/sockets.md)
        c.close(s.fd);
        s.closed = true;
        return { socket: s.name, result: "ok" };
      }
      case "getpeername": case "getsockname": {
        const s = sock(step, step.name);
        const b = new Uint8Array(28), len = new Uint8Array(4);
        new DataView(len.buffer).setUint32(0, 28, true);
        const r = (step.op === "getpeername" ? c.getpeername(s.fd, b, len) : c.getsockname(s.fd, b, len)) < 0 ? err() : "ok";
        const address = r === "ok" ? endpointOf(b) : undefined;
        return { socket: s.name, result: r, ...(address ? { address } : {}) };
      }
      case "wait":
        sleep(step.ms);
        return { result: "ok" };
      case "dump": {
        if (!obj.maps.has(step.map)) return fail(scenario, step, `no map '${step.map}' (the attached programs have ${[...obj.maps.keys()].join(", ")})`);
        const map = mapReports().find((m) => m.name === step.map)!;
        return { result: `${map.entries.length} entries`, map };
      }
      case "expect":
        return undefined;
    }
  }

  function tcpState(s: LiveSocket): string {
    if (s.closed) return "CLOSED";
    if (s.kind.startsWith("udp")) return s.remote ? "ESTABLISHED" : "CLOSE";
    const info = new Uint8Array(232), len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, info.length, true);
    if (c.getsockopt(s.fd, IPPROTO_TCP, TCP_INFO, info, len) < 0) return "?";
    return TCP_STATES[info[0]!] ?? `state ${info[0]}`;
  }

  function socketReport(s: LiveSocket): SocketReport {
    const total = s.received.reduce((n, b) => n + b.length, 0);
    const received = new Uint8Array(total);
    let off = 0;
    for (const b of s.received) { received.set(b, off); off += b.length; }
    return {
      name: s.name, kind: s.kind, outside: s.outside, cookie: s.cookie, ...(s.local ? { local: s.local } : {}), ...(s.remote ? { remote: s.remote } : {}),
      state: tcpState(s), received, ...(s.kind.startsWith("udp") ? { datagrams: s.datagrams } : {}),
    };
  }

  function mapReports(): MapReport[] {
    const byCookie = new Map([...sockets.values()].map((s) => [s.cookie, s.name]));
    const out: MapReport[] = [];
    for (const m of obj.maps.values()) {
      const sockValued = m.spec.type === "sockmap" || m.spec.type === "sockhash";
      const entries = readMapEntries(m.fd).map((e) => {
        const v = e.values[0]!;
        if (!sockValued) return { key: e.key, value: v };
        const cookie = v.length >= 8 ? new DataView(v.buffer, v.byteOffset).getBigUint64(0, true) : 0n;
        return { key: e.key, value: byCookie.get(cookie) ?? `cookie ${cookie}` };
      });
      if (mapTypeByName(m.spec.type)?.name.includes("array") && !sockValued) {
        out.push({ name: m.name, type: m.spec.type, entries: entries.filter((e) => (e.value as Uint8Array).some((b) => b !== 0)) });
      } else out.push({ name: m.name, type: m.spec.type, entries });
    }
    return out;
  }
}

function fail(scenario: Scenario, step: { line: number }, what: string): never {
  throw new BpfkitError(diag("BK9701", { what }, { file: scenario.file, line: step.line }), 2);
}
