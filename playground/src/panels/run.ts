// The Run tab: packets (builder, hex, pcap), a run's result (action, the packet with the bytes the
// program changed, map changes, trace output) and step-by-step execution (registers, stack, the packet
// bytes each instruction touches).
import { BpfkitError, type runtime } from "../../../src/index.js";
import type { App } from "../app.js";
import { format, type Shape } from "../btf-values.js";
import { fill, h, hexDump } from "../dom.js";
import { loadEngine, type MapContents, type PlaygroundEngine } from "../engine.js";
import { bytesToHex, DEFAULT_FIELDS, describePacket, hexLines, hexToBytes, packetBytes, PacketError, type PacketFields, type PacketInput } from "../packets.js";
import { EDITABLE_MAP_TYPES, errorMessages, mapShapes, type CurrentProgram, type MapShapes } from "../program-source.js";

interface RunOutcome {
  input: Uint8Array;
  result?: runtime.RunResult;
  error?: string[];
  /** Editor line of a fault, when known. */
  faultLine?: number;
  before: MapContents[];
  after: MapContents[];
  shapes: MapShapes[];
  rejected: boolean;
}

interface StepSession {
  engine: PlaygroundEngine;
  stepper: runtime.Stepper;
  input: Uint8Array;
  pcLines: number[];
  main: string;
  last?: runtime.Step;
  prevRegs: bigint[];
  /** Stack slots (frame, offset) the run has touched, for the stack view. */
  slots: Map<string, { frame: number; offset: number }>;
  error?: string[];
  before: MapContents[];
  shapes: MapShapes[];
}

/** Format map bytes by shape; per-CPU values grouped (`cpu0: 1 · cpu1-3: 0`). */
export function formatValues(shape: Shape, values: Uint8Array[]): string {
  if (values.length === 1) return format(shape, values[0]!);
  const texts = values.map((v) => format(shape, v));
  const groups: string[] = [];
  for (let i = 0; i < texts.length;) {
    let j = i;
    while (j + 1 < texts.length && texts[j + 1] === texts[i]) j++;
    groups.push(`cpu${i}${j > i ? `-${j}` : ""}: ${texts[i]}`);
    i = j + 1;
  }
  return groups.length === 1 ? `${texts[0]} (every CPU)` : groups.join(" · ");
}

const entryKey = (k: Uint8Array): string => bytesToHex(k);

/** Entries that differ between two readings of the maps. */
export function mapChanges(before: MapContents[], after: MapContents[], shapes: MapShapes[]): { map: string; key: string; old?: string; now?: string }[] {
  const rows: { map: string; key: string; old?: string; now?: string }[] = [];
  for (const a of after) {
    const b = before.find((x) => x.spec.name === a.spec.name);
    const s = shapes.find((x) => x.spec.name === a.spec.name);
    if (!b || !s) continue;
    const old = new Map(b.entries.map((e) => [entryKey(e.key), e]));
    const seen = new Set<string>();
    for (const e of a.entries) {
      const k = entryKey(e.key);
      seen.add(k);
      const o = old.get(k);
      const now = formatValues(s.value, e.values);
      if (!o) rows.push({ map: a.spec.name, key: format(s.key, e.key), now });
      else if (o.values.some((v, i) => bytesToHex(v) !== bytesToHex(e.values[i] ?? new Uint8Array()))) rows.push({ map: a.spec.name, key: format(s.key, e.key), old: formatValues(s.value, o.values), now });
    }
    for (const [k, o] of old) if (!seen.has(k)) rows.push({ map: a.spec.name, key: format(s.key, o.key), old: formatValues(s.value, o.values) });
  }
  return rows;
}

export class RunPanel {
  private outcome: RunOutcome | undefined;
  private session: StepSession | undefined;
  private stale = false;

  constructor(private readonly app: App, private readonly el: HTMLElement) {}

  /** Editor line of the instruction a stepped run stops at next. */
  get stepLine(): number | undefined {
    const s = this.session;
    if (!s || s.stepper.done || s.error) return undefined;
    const n = s.stepper.next;
    return n.program === s.main ? s.pcLines[n.pc] || undefined : undefined;
  }

  textChanged(): void {
    if (this.session) { this.session = undefined; this.app.editor.setStepLine(undefined); }
    if (this.outcome) this.stale = true;
    if (!this.el.hidden) this.render();
  }

  reset(): void {
    this.outcome = undefined;
    this.session = undefined;
    this.stale = false;
    this.app.editor.setStepLine(undefined);
  }

  private get packet(): PacketInput | undefined { return this.app.state.packets[this.app.state.packet]; }

  // ---- running ----

  /** Load the program into a fresh engine with the Maps tab's entries. */
  private prepare(): { cur: CurrentProgram; engine: PlaygroundEngine; shapes: MapShapes[]; before: MapContents[]; input: Uint8Array } | { error: string[] } {
    const p = this.packet;
    if (!p) return { error: ["add a packet first"] };
    let input: Uint8Array;
    try { input = packetBytes(p); } catch (err) { return { error: [err instanceof PacketError ? err.message : String(err)] }; }
    let cur: CurrentProgram;
    try { cur = this.app.program(); } catch (err) { return { error: ["the program does not assemble:", ...errorMessages(err)] }; }
    let engine: PlaygroundEngine;
    try { engine = loadEngine(cur.program, cur.others); } catch (err) { return { error: errorMessages(err) }; }
    const problems: string[] = [];
    const names = new Set(cur.program.maps.map((m) => m.name));
    for (const [name, entries] of Object.entries(this.app.state.maps)) {
      if (!names.has(name)) continue; // entries of a map this program no longer declares (kept for when it comes back)
      try {
        problems.push(...engine.seed(name, entries.map((e) => ({ key: hexToBytes(e.key), value: hexToBytes(e.value) }))));
      } catch (err) { problems.push(`${name}: ${errorMessages(err).join("; ")}`); }
    }
    if (problems.length) return { error: problems };
    return { cur, engine, shapes: mapShapes(cur.program), before: engine.readMaps(), input };
  }

  run(): void {
    this.session = undefined;
    this.app.editor.setStepLine(undefined);
    const prep = this.prepare();
    const rejected = this.app.report?.verdict === "reject";
    if ("error" in prep) { this.outcome = { input: new Uint8Array(), error: prep.error, before: [], after: [], shapes: [], rejected }; this.stale = false; this.render(); return; }
    const o: RunOutcome = { input: prep.input, before: prep.before, after: [], shapes: prep.shapes, rejected };
    try {
      o.result = prep.engine.run(prep.input);
    } catch (err) {
      o.error = errorMessages(err);
      const pc = err instanceof BpfkitError ? err.diagnostics[0]?.pc : undefined;
      if (pc !== undefined) o.faultLine = this.app.report?.pcLines[pc];
    }
    o.after = prep.engine.readMaps();
    prep.engine.close();
    this.outcome = o;
    this.stale = false;
    this.render();
  }

  startStepping(): void {
    this.outcome = undefined;
    const prep = this.prepare();
    if ("error" in prep) { this.outcome = { input: new Uint8Array(), error: prep.error, before: [], after: [], shapes: [], rejected: false }; this.render(); return; }
    const pcLines = this.app.report?.pcLines ?? [];
    this.session = {
      engine: prep.engine, stepper: prep.engine.debug(prep.input), input: prep.input, pcLines, main: prep.cur.program.name,
      prevRegs: [], slots: new Map(), before: prep.before, shapes: prep.shapes,
    };
    this.session.prevRegs = this.session.stepper.registers();
    this.app.editor.setStepLine(this.stepLine);
    this.render();
  }

  step(n = 1): void {
    const s = this.session;
    if (!s || s.stepper.done || s.error) return;
    for (let i = 0; i < n && !s.stepper.done; i++) {
      s.prevRegs = s.stepper.registers();
      try {
        s.last = s.stepper.step();
      } catch (err) {
        s.error = errorMessages(err);
        break;
      }
      for (const a of s.last.accesses) if (a.region === "stack") {
        const off = a.offset - (((a.offset % 8) + 8) % 8);
        s.slots.set(`${a.frame}:${off}`, { frame: a.frame ?? 0, offset: off });
      }
    }
    this.app.editor.setStepLine(this.stepLine);
    this.render();
  }

  stopStepping(): void {
    this.session = undefined;
    this.app.editor.setStepLine(undefined);
    this.render();
  }

  // ---- rendering ----

  render(): void {
    fill(this.el, this.renderPackets(), this.renderControls(), this.session ? this.renderStep(this.session) : this.outcome ? this.renderOutcome(this.outcome) : null);
  }

  private renderControls(): HTMLElement {
    const s = this.session;
    if (!s) {
      return h("div", { class: "controls" },
        h("button", { class: "btn primary", id: "run-btn", onclick: () => this.run() }, "▶ Run"),
        h("button", { class: "btn", id: "step-btn", onclick: () => this.startStepping(), title: "Run one instruction at a time" }, "Step through"),
        this.stale ? h("span", { class: "muted" }, "the program changed since this run") : null);
    }
    const ended = s.stepper.done || !!s.error;
    return h("div", { class: "controls" },
      h("button", { class: "btn primary", id: "step-next", onclick: () => this.step(), disabled: ended }, "Step"),
      h("button", { class: "btn", onclick: () => this.step(10), disabled: ended }, "Step ×10"),
      h("button", { class: "btn", onclick: () => this.step(1_000_000), disabled: ended }, "Run to end"),
      h("button", { class: "btn", onclick: () => this.startStepping() }, "Restart"),
      h("button", { class: "btn", onclick: () => this.stopStepping() }, "Stop"));
  }

  private renderPackets(): HTMLElement {
    const st = this.app.state;
    const box = h("div", { class: "packets" });
    const select = h("select", { id: "packet-select", "aria-label": "Packet", onchange: (e: Event) => { st.packet = Number((e.target as HTMLSelectElement).value); this.render(); } },
      st.packets.map((p, i) => h("option", { value: String(i) }, `${i + 1}. ${p.label}`)));
    select.value = String(st.packet);
    const pcapInput = h("input", { type: "file", accept: ".pcap,.pcapng,.cap", hidden: true, onchange: (e: Event) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f) void this.app.openFile(f);
    } });
    box.append(h("div", { class: "row" }, h("h3", {}, "Packet"), select,
      h("button", { class: "btn small", onclick: () => { st.packets.push({ kind: "build", label: "new packet", fields: { ...DEFAULT_FIELDS } }); st.packet = st.packets.length - 1; this.render(); } }, "+ new"),
      h("button", { class: "btn small", onclick: () => { st.packets.push({ kind: "hex", label: "hex packet", hex: "" }); st.packet = st.packets.length - 1; this.render(); } }, "+ hex"),
      h("button", { class: "btn small", onclick: () => pcapInput.click(), title: "Add the packets of a pcap or pcapng file" }, "+ pcap…"), pcapInput,
      st.packets.length ? h("button", { class: "btn small", onclick: () => { st.packets.splice(st.packet, 1); st.packet = Math.max(0, Math.min(st.packet, st.packets.length - 1)); this.render(); } }, "delete") : null));
    const p = this.packet;
    if (!p) { box.append(h("p", { class: "muted" }, this.app.report?.progType && !/xdp|sched|socket_filter|cgroup_skb|lwt/.test(this.app.report.progType) ? `${this.app.report.progType} programs do not run on packets here: verify them.` : "No packet: add one.")); return box; }
    const preview = h("div", { class: "packet-preview" });
    const update = (): void => {
      try {
        const b = packetBytes(p);
        fill(preview, h("span", { class: "muted" }, describePacket(b)));
      } catch (err) { fill(preview, h("span", { class: "error-text" }, err instanceof Error ? err.message : String(err))); }
    };
    if (p.kind === "build") box.append(this.builderForm(p.fields, update), h("div", { class: "row" },
      h("button", { class: "btn small", onclick: () => { try { const hex = hexLines(bytesToHex(packetBytes(p))); st.packets[st.packet] = { kind: "hex", label: p.label, hex }; this.render(); } catch { /* shown in the preview */ } } }, "edit as hex")));
    else box.append(h("textarea", { class: "hex-input", rows: "4", spellcheck: "false", "aria-label": "Packet bytes in hex", oninput: (e: Event) => { p.hex = (e.target as HTMLTextAreaElement).value; update(); } }, p.hex));
    box.append(preview);
    update();
    return box;
  }

  private builderForm(f: PacketFields, changed: () => void): HTMLElement {
    const input = (key: keyof PacketFields, label: string, size = 14, title?: string): HTMLElement =>
      h("label", { class: "field", ...(title ? { title } : {}) }, h("span", {}, label),
        h("input", { name: key, value: f[key], size, spellcheck: "false", oninput: (e: Event) => { (f as unknown as Record<string, string>)[key] = (e.target as HTMLInputElement).value; changed(); } }));
    const choice = (key: "l3" | "l4", label: string, options: [string, string][]): HTMLElement => {
      const s = h("select", { name: key, onchange: (e: Event) => { (f as unknown as Record<string, string>)[key] = (e.target as HTMLSelectElement).value; this.render(); } },
        options.map(([v, t]) => h("option", { value: v }, t)));
      s.value = f[key];
      return h("label", { class: "field" }, h("span", {}, label), s);
    };
    const form = h("div", { class: "builder" },
      h("div", { class: "layer" }, h("b", {}, "Ethernet"), input("ethSrc", "src"), input("ethDst", "dst"), input("vlan", "VLAN id", 5, "802.1Q tag: empty for none"), f.vlan ? input("vlanPcp", "prio", 2) : null),
      h("div", { class: "layer" }, choice("l3", "L3", [["ipv4", "IPv4"], ["ipv6", "IPv6"], ["none", "none"]]),
        f.l3 !== "none" ? [input("ipSrc", "src", 16), input("ipDst", "dst", 16), input("ttl", f.l3 === "ipv6" ? "hop limit" : "TTL", 4)] : null),
      f.l3 !== "none" ? h("div", { class: "layer" }, choice("l4", "L4", [["udp", "UDP"], ["tcp", "TCP"], ["icmp", f.l3 === "ipv6" ? "ICMPv6" : "ICMP"], ["none", "none"]]),
        f.l4 === "udp" || f.l4 === "tcp" ? [input("srcPort", "sport", 6), input("dstPort", "dport", 6)] : null,
        f.l4 === "tcp" ? input("tcpFlags", "flags", 9, "SYN, ACK, FIN, RST, PSH, URG (e.g. SYN|ACK)") : null,
        f.l4 === "icmp" ? [input("icmpType", "type", 4), input("icmpCode", "code", 4)] : null) : null,
      h("div", { class: "layer" }, input("payload", "payload", 30)));
    return form;
  }

  private renderOutcome(o: RunOutcome): HTMLElement {
    const box = h("div", { class: "outcome" });
    if (o.rejected && (o.result || o.error)) box.append(h("p", { class: "warn" }, "The verifier rejects this program, so the kernel would not load it; it ran anyway in the checked interpreter, which stops at the first bad access."));
    if (o.error) {
      box.append(h("div", { class: "card bad" }, h("h3", {}, o.result ? "Error" : "Could not run"),
        o.faultLine ? h("p", {}, h("a", { href: "#", class: "line-link", onclick: (e: Event) => { e.preventDefault(); this.app.editor.goto(o.faultLine!); } }, `line ${o.faultLine}`)) : null,
        h("pre", { class: "kernel-msg" }, o.error.join("\n"))));
    }
    const r = o.result;
    if (r) {
      box.append(h("div", { class: "result-head" },
        h("span", { class: `action action-${(r.action ?? "").toLowerCase()}`, id: "run-action" }, r.action ?? `retval ${r.retval}`),
        h("span", { class: "muted" }, `r0 = ${r.r0} · ${r.insnCount} instructions`),
        r.redirect ? h("span", { class: "muted" }, `redirect: ${JSON.stringify(r.redirect, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`) : null));
      const changed = (i: number): boolean => i >= o.input.length || o.input[i] !== r.data[i];
      const nChanged = Array.from({ length: r.data.length }, (_, i) => i).filter(changed).length;
      box.append(h("h4", {}, "Packet after the run ", h("span", { class: "muted" }, r.data.length === o.input.length ? `${nChanged} byte${nChanged === 1 ? "" : "s"} changed` : `${o.input.length} → ${r.data.length} bytes`)),
        hexDump(r.data, (i) => (changed(i) ? "changed" : undefined), (i) => (changed(i) && i < o.input.length ? `was ${o.input[i]!.toString(16).padStart(2, "0")}` : undefined)));
      if (r.trace.length) box.append(h("h4", {}, "Trace output (bpf_printk)"), h("pre", { class: "trace" }, r.trace.join("\n")));
      for (const rb of r.ringbuf) box.append(h("div", { class: "muted" }, `ringbuf ${rb.map}: ${bytesToHex(rb.data, " ")}`));
      for (const pe of r.perf) box.append(h("div", { class: "muted" }, `perf ${pe.map} (cpu ${pe.cpu}): ${bytesToHex(pe.data, " ")}`));
    }
    box.append(this.renderMapChanges(o.before, o.after, o.shapes));
    return box;
  }

  private renderMapChanges(before: MapContents[], after: MapContents[], shapes: MapShapes[]): HTMLElement {
    const rows = mapChanges(before, after, shapes);
    const box = h("div", { class: "map-changes", id: "map-changes" }, h("h4", {}, "Map changes"));
    if (!rows.length) { box.append(h("p", { class: "muted" }, "none")); return box; }
    box.append(h("table", { class: "grid" }, h("tr", {}, h("th", {}, "map"), h("th", {}, "key"), h("th", {}, "before"), h("th", {}, "after")),
      rows.map((r) => h("tr", {}, h("td", {}, r.map), h("td", { class: "mono" }, r.key), h("td", { class: "mono old" }, r.old ?? "(absent)"), h("td", { class: "mono new" }, r.now ?? "(deleted)")))));
    const editable = after.filter((m) => EDITABLE_MAP_TYPES.has(m.spec.type) && !m.spec.readOnly);
    if (editable.length) {
      box.append(h("button", { class: "btn small", title: "Replace the Maps tab's entries with the maps as this run left them", onclick: () => {
        for (const m of editable) this.app.state.maps[m.spec.name] = m.entries.map((e) => ({ key: bytesToHex(e.key), value: bytesToHex(e.values[0]!) }));
        this.app.notice("the maps as the run left them are now the entries written before each run (Maps tab)");
      } }, "keep for the next run"));
    }
    return box;
  }

  private renderStep(s: StepSession): HTMLElement {
    const box = h("div", { class: "stepper", id: "stepper" });
    const st = s.stepper;
    const where = st.done ? "finished" : (() => { const n = st.next; const line = n.program === s.main ? s.pcLines[n.pc] : undefined; return `next: pc ${n.pc}${line ? ` (line ${line})` : ""}${n.program !== s.main ? ` in ${n.program}` : ""}${st.depth ? ` · call depth ${st.depth}` : ""}`; })();
    box.append(h("div", { class: "step-pos", id: "step-pos" }, h("b", {}, `${st.insnCount} instruction${st.insnCount === 1 ? "" : "s"} executed`), ` · ${where}`));
    if (s.last) {
      const line = s.last.program === s.main ? s.pcLines[s.last.pc] : undefined;
      const text = line ? (this.app.state.source.split("\n")[line - 1] ?? "").trim() : `pc ${s.last.pc} of ${s.last.program}`;
      box.append(h("div", { class: "last-insn" }, h("span", { class: "muted" }, `pc ${s.last.pc}${line ? `, line ${line}` : ""}: `), h("code", {}, text)));
      for (const a of s.last.accesses) {
        box.append(h("div", { class: `access ${a.write ? "write" : "read"}` }, `${a.write ? "writes" : "reads"} ${a.size} byte${a.size > 1 ? "s" : ""} of ${a.region}${a.region === "stack" ? ` at fp${a.offset}` : ` at offset ${a.offset}`}`));
      }
    }
    if (s.error) box.append(h("div", { class: "card bad" }, h("h3", {}, "The run stopped"), h("pre", { class: "kernel-msg" }, s.error.join("\n"))));
    if (st.done && st.result) {
      const r = st.result;
      box.append(h("div", { class: "result-head" }, h("span", { class: `action action-${(r.action ?? "").toLowerCase()}`, id: "run-action" }, r.action ?? `retval ${r.retval}`), h("span", { class: "muted" }, `r0 = ${r.r0}`)));
    }
    // registers
    const regs = st.registers();
    const table = h("table", { class: "regs", id: "regs" });
    regs.forEach((v, i) => {
      const changed = s.prevRegs[i] !== v && st.insnCount > 0;
      const where = v > 0xfffn && v < 0x100000000n ? st.locate(Number(v)) : undefined;
      const note = where && where.region !== "unknown" ? (where.region === "stack" ? `→ fp${where.offset}${where.frame ? ` (frame ${where.frame})` : ""}` : `→ ${where.region}${where.offset ? ` + ${where.offset}` : ""}`) : BigInt.asIntN(64, v) < 0n ? `= ${BigInt.asIntN(64, v)}` : v > 9n ? `= ${v}` : "";
      table.append(h("tr", { class: changed ? "changed" : "" }, h("th", {}, `r${i}`), h("td", { class: "mono" }, `0x${v.toString(16)}`), h("td", { class: "muted" }, note)));
    });
    box.append(h("div", { class: "step-grid" },
      h("div", {}, h("h4", {}, "Registers"), table),
      h("div", {}, h("h4", {}, "Stack"), this.renderStack(s))));
    // packet
    const pkt = st.packet();
    const read = new Set<number>(), written = new Set<number>(s.last?.packetChanged ?? []);
    for (const a of s.last?.accesses ?? []) if (a.region === "packet") for (let i = 0; i < a.size; i++) (a.write ? written : read).add(a.offset + i);
    const changedSoFar = (i: number): boolean => i >= s.input.length || s.input[i] !== pkt[i];
    box.append(h("h4", {}, "Packet ", h("span", { class: "legend read" }, "read by this step"), " ", h("span", { class: "legend write" }, "written by this step"), " ", h("span", { class: "legend changed" }, "changed so far")),
      hexDump(pkt, (i) => (written.has(i) ? "write" : read.has(i) ? "read" : changedSoFar(i) ? "changed" : undefined)));
    if (st.done) box.append(this.renderMapChanges(s.before, s.engine.readMaps(), s.shapes));
    return box;
  }

  private renderStack(s: StepSession): HTMLElement {
    const slots = [...s.slots.values()].sort((a, b) => a.frame - b.frame || b.offset - a.offset);
    if (!slots.length) return h("p", { class: "muted" }, "no stack slot touched yet");
    const t = h("table", { class: "regs" });
    const frames = new Map<number, Uint8Array>();
    for (const sl of slots) {
      let bytes = frames.get(sl.frame);
      if (!bytes) { bytes = s.stepper.stack(sl.frame); frames.set(sl.frame, bytes); }
      const at = 512 + sl.offset;
      const b = bytes.subarray(at, at + 8);
      const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
      t.append(h("tr", {}, h("th", {}, `${sl.frame ? `f${sl.frame} ` : ""}fp${sl.offset}`), h("td", { class: "mono" }, bytesToHex(b, " ")), h("td", { class: "muted" }, `= ${v}`)));
    }
    return t;
  }
}
