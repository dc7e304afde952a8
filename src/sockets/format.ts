// A scenario report as text (what `bpfkit run --scenario` prints) and as JSON-safe data (`--json`):
// per socket its connection, the callbacks its programs ran, where every byte it read came from; the
// maps; the calls and what they answered; expectations that failed.
import type { MapReport, ScenarioReport, SimSocketReport, SocketReport } from "./report.js";
import type { SimScenarioReport } from "./run.js";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function preview(b: Uint8Array): string {
  if (!b.length) return "";
  const text = new TextDecoder().decode(b.subarray(0, 40));
  const printable = /^[\x20-\x7e]*$/.test(text);
  return printable ? ` ${JSON.stringify(text)}${b.length > 40 ? "..." : ""}` : ` ${hex(b.subarray(0, 16))}${b.length > 16 ? "..." : ""}`;
}

const isSim = (s: SocketReport): s is SimSocketReport => "callbacks" in s;

export function formatReport(r: ScenarioReport, file?: string): string {
  const out: string[] = [];
  out.push(`scenario${file ? ` ${file}` : ""} (${r.runner === "offline" ? "simulated host" : "kernel"})`);
  out.push("", "calls");
  for (const s of r.steps) {
    if (s.op === "attach" || s.op === "map" && s.result === "ok") continue;
    out.push(`  line ${String(s.line).padEnd(4)} ${`${s.op}${s.socket ? ` ${s.socket}` : ""}${s.map ? ` ${s.map.name}` : ""}`.padEnd(22)} ${s.result}${s.address ? ` ${s.address}` : ""}`);
    if (s.map) out.push(...formatMap(s.map).slice(1).map((l) => `  ${l}`));
  }
  out.push("", "sockets");
  for (const s of r.sockets) {
    const conn = s.remote ? `${s.local ?? "?"} -> ${s.remote}` : s.local ? `${s.local}` : "unbound";
    const peer = s.remote && s.kind.startsWith("tcp") ? r.sockets.find((x) => x !== s && x.local === s.remote && x.remote === s.local)?.name : undefined;
    out.push(`  ${s.name}${peer ? ` (connected to ${peer})` : ""}  ${s.kind}${s.outside ? " outside the cgroup" : ""}  ${conn}  ${s.state}  cookie ${s.cookie}`);
    if (isSim(s)) {
      for (const c of s.callbacks) out.push(`    ${c.hook.padEnd(15)} ${c.program.padEnd(20)} ${c.what}${c.reply !== undefined ? `, reply ${c.reply}` : ""}${c.hook === "sockops" && c.retval !== 1 ? ` (returned ${c.retval})` : ""}`);
      if (s.cbFlags) out.push(`    callback flags at the end: 0x${s.cbFlags.toString(16)}`);
      for (const d of s.deliveries) out.push(`    got ${d.bytes} bytes from ${d.from} by ${d.path === "stack" ? "the TCP stack" : d.path === "sk_msg" ? "sk_msg redirect" : "sk_skb redirect"}`);
    }
    out.push(`    read ${s.received.length} bytes${preview(s.received)}`);
    for (const d of s.datagrams ?? []) out.push(`    datagram of ${d.size} bytes from ${d.from}`);
  }
  out.push("", "maps");
  for (const m of r.maps) out.push(...formatMap(m));
  if ((r as SimScenarioReport).trace?.length) {
    out.push("", "trace_printk");
    for (const t of (r as SimScenarioReport).trace) out.push(`  ${t.replace(/\n$/, "")}`);
  }
  if (r.failed.length) {
    out.push("", "expectations that failed");
    for (const f of r.failed) out.push(`  line ${f.line}: ${f.message}`);
  }
  return out.join("\n") + "\n";
}

function formatMap(m: MapReport): string[] {
  const out = [`  ${m.name} (${m.type}): ${m.entries.length} entr${m.entries.length === 1 ? "y" : "ies"}`];
  const short = (b: Uint8Array): string => (b.length > 24 ? `${hex(b.subarray(0, 24))}... (${b.length} bytes)` : hex(b));
  for (const e of m.entries.slice(0, 32)) out.push(`    ${short(e.key)} -> ${typeof e.value === "string" ? `socket ${e.value}` : short(e.value)}`);
  if (m.entries.length > 32) out.push(`    ... ${m.entries.length - 32} more`);
  return out;
}

/** The report with bytes as hex and cookies as decimal strings, for JSON. */
export function reportJson(r: ScenarioReport): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : typeof v === "bigint" ? v.toString() : v)));
}
