// What the socket-world differential compares between a kernel run and a simulated run of the same
// scenario with bpf/sock_trace.bpf.o: per socket the callbacks its programs saw with their deterministic
// context fields, the sockhash / sockmap contents, the redirect counters, the bytes each socket read,
// what each call answered and the final states. Ports and cookies differ between runs, so events and
// map keys name sockets instead (by cookie, else by their ports).
import type { MapReport, ScenarioReport } from "../../src/sockets/report.js";
import { decodeEvents, netPort, OPS, type TraceEvent } from "./sock-trace.js";

export interface Normalized {
  /** Per socket name: its events as text, in order (RTT_CB left out: see `rtt`). */
  events: Record<string, string[]>;
  /** Per socket name: whether it saw an RTT_CB (their number follows the kernel's ACK timing). */
  rtt: Record<string, boolean>;
  maps: Record<string, string[]>;
  counters: string[];
  received: Record<string, string>;
  states: Record<string, string>;
  steps: string[];
  /** Map entries compared: at the end and at every `dump` line. */
  mapEntries: number;
}

const portOf = (a?: string): number => (a ? Number(a.slice(a.lastIndexOf(":") + 1)) : 0);
const ip4 = (v: number): string => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24].join(".");

export function normalize(r: ScenarioReport): Normalized {
  const table = r.sockets.map((s) => ({ name: s.name, cookie: s.cookie, local: portOf(s.local), remote: portOf(s.remote) }));
  // a connection never accepted has no name: call it after the socket at its other end
  const byPorts = (lp: number, rp: number): string | undefined => table.find((s) => s.local === lp && s.remote === rp)?.name
    ?? (rp ? table.filter((s) => s.local === rp && s.remote === lp).map((s) => `peer of ${s.name}`)[0] : undefined);
  const portName = (p: number): string => table.find((s) => s.local === p && s.remote === 0)?.name ?? table.find((s) => s.local === p)?.name ?? (p ? `port?` : "0");
  const events: Record<string, string[]> = {}, rtt: Record<string, boolean> = {};
  const add = (who: string, text: string): void => { (events[who] ??= []).push(text); };
  for (const e of decodeEvents(r.maps)) {
    const named = table.find((s) => s.cookie === e.cookie)?.name;
    if (e.kind === "sockops") {
      const rp = netPort(e.remotePort);
      let who = named ?? byPorts(e.localPort, rp) ?? (rp === 0 ? portName(e.localPort) : undefined) ?? `?${e.localPort}/${rp}`;
      if (!e.isFullsock) who = (byPorts(e.localPort, rp) ?? who) + " (request)";
      const op = OPS[e.op] ?? `op ${e.op}`;
      if (op === "RTT_CB") { rtt[who] = true; continue; }
      add(who, `${op} state=${e.state} full=${e.isFullsock} flags=${e.cbFlags}${op === "STATE_CB" ? ` ${e.args[0]}->${e.args[1]}` : ""} ret=${e.ret | 0} aux=${e.aux | 0} ${addrs(e, table)}`);
    } else if (e.kind === "sk_msg") {
      const who = byPorts(e.localPort, netPort(e.remotePort)) ?? `?${e.localPort}`;
      add(who, `sk_msg size=${e.size} data=${e.dataLen} after=${e.args[0]}/${e.args[1]} ret=${e.ret} pull=${e.aux | 0}`);
    } else if (e.kind === "parser" || e.kind === "verdict") {
      const who = byPorts(e.localPort, netPort(e.remotePort)) ?? `?${e.localPort}`;
      add(who, `${e.kind} len=${e.size} data=${e.dataLen} ret=${e.ret | 0}`);
    } else {
      const who = named ?? `?cookie`;
      const port = ((e.remotePort & 0xff) << 8) | ((e.remotePort >> 8) & 0xff);
      const lport = ((e.localPort & 0xff) << 8) | ((e.localPort >> 8) & 0xff);
      add(who, `${e.kind} type=${e.op} ${e.kind === "bind4" ? `${ip4(e.localIp4)}:${lport}` : `${ip4(e.remoteIp4)}:${e.kind.startsWith("connect") || e.kind === "sendmsg4" ? port : port === 0 ? 0 : portName(port)}`} rewritten=${e.ret}`);
    }
  }
  const maps: Record<string, string[]> = {};
  const counters: string[] = [];
  const sockEntries = (m: MapReport): string[] => m.entries.map((e) => `${m.name === "socks" ? sockKey(e.key, portName) : new DataView(e.key.buffer, e.key.byteOffset).getUint32(0, true)} -> ${e.value as string}`).sort();
  for (const m of r.maps) {
    if (m.name === "socks" || m.name === "targets") {
      maps[m.name] = sockEntries(m);
    } else if (m.name === "ctl") {
      for (const e of m.entries) {
        const i = new DataView(e.key.buffer, e.key.byteOffset).getUint32(0, true);
        if (i > 0) counters.push(`ctl[${i}]=${new DataView((e.value as Uint8Array).buffer, (e.value as Uint8Array).byteOffset).getBigUint64(0, true)}`);
      }
      counters.sort();
    }
  }
  const received: Record<string, string> = {}, states: Record<string, string> = {};
  for (const s of r.sockets) {
    received[s.name] = digest(s.received) + (s.datagrams ? ` from ${s.datagrams.map((d) => `${d.size}@${portName(portOf(d.from))}`).join(",")}` : "");
    states[s.name] = s.state;
  }
  const steps = r.steps.filter((s) => s.op !== "map" && s.op !== "attach").map((s) => `${s.line} ${s.op} ${s.socket ?? ""} ${s.result}${s.address ? ` ${s.address.replace(/:(\d+)$/, (_, p) => `:${Number(p) >= 32768 && Number(p) < 61000 ? portName(Number(p)) : p}`)}` : ""}${s.map ? ` [${(s.map.name === "socks" || s.map.name === "targets" ? sockEntries(s.map) : s.map.entries.map((e) => `${hexOf(e.key)}=${typeof e.value === "string" ? e.value : hexOf(e.value)}`)).join("; ")}]` : ""}`);
  const mapEntries = Object.values(maps).flat().length + r.steps.reduce((n, s) => n + (s.map?.entries.length ?? 0), 0);
  return { events, rtt, maps, counters, received, states, steps, mapEntries };
}

function addrs(e: TraceEvent, table: { name: string; local: number }[]): string {
  const family = e.family === 2 ? "v4" : e.family === 10 ? "v6" : `family ${e.family}`;
  void table;
  return family === "v4" ? `${family} ${ip4(e.localIp4)}>${ip4(e.remoteIp4)}` : family;
}

/** struct sock_key of sock_trace: family, local ip[4], remote ip[4], local port, remote port (host order). */
function sockKey(k: Uint8Array, portName: (p: number) => string): string {
  const dv = new DataView(k.buffer, k.byteOffset, k.byteLength);
  const family = dv.getUint32(0, true);
  const lp = dv.getUint32(36, true), rp = dv.getUint32(40, true);
  return `${family === 2 ? `${ip4(dv.getUint32(4, true))}>${ip4(dv.getUint32(20, true))}` : `v6`} ${portName(lp)}>${portName(rp)}`;
}

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Bytes as a short recognisable text: length and the bytes (printable) or a checksum. */
function digest(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) { h ^= x; h = Math.imul(h, 0x01000193) >>> 0; }
  const text = new TextDecoder().decode(b.subarray(0, 24));
  return `${b.length} bytes ${h.toString(16).padStart(8, "0")} ${JSON.stringify(text)}`;
}

/** The differences between two normalized runs, as lines (empty: equal). */
export function differences(kernel: Normalized, sim: Normalized): string[] {
  const out: string[] = [];
  const cmp = (what: string, a: unknown, b: unknown): void => {
    const x = JSON.stringify(a), y = JSON.stringify(b);
    if (x !== y) out.push(`${what}:\n    kernel:  ${x}\n    offline: ${y}`);
  };
  for (const who of new Set([...Object.keys(kernel.events), ...Object.keys(sim.events)])) cmp(`events of ${who}`, kernel.events[who] ?? [], sim.events[who] ?? []);
  cmp("RTT_CB seen", kernel.rtt, sim.rtt);
  const nonEmpty = (m: Record<string, string[]>): Record<string, string[]> => Object.fromEntries(Object.entries(m).filter(([, v]) => v.length));
  cmp("maps", nonEmpty(kernel.maps), nonEmpty(sim.maps));
  cmp("counters", kernel.counters, sim.counters);
  cmp("bytes received", kernel.received, sim.received);
  cmp("final states", kernel.states, sim.states);
  cmp("call results", kernel.steps, sim.steps);
  return out;
}
