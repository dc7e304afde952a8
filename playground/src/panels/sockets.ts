// The Run tab for programs that run on sockets, not packets (sockops, sk_msg, sk_skb, sock_addr): a
// scenario (docs/sockets.md: sockets, connections, sends) runs on the library's simulated socket world
// with the object's programs, and the view shows the connections with the callbacks each socket's
// programs ran, where every byte went (TCP stack, sk_msg or sk_skb redirect), what each call answered,
// the maps at the end and any `expect` line that failed.
// The socket world is a part loaded on first use (parts/sockets.ts): the tab says so while it loads.
import type { Program } from "../../../src/index.js";
import type { App } from "../app.js";
import { format } from "../btf-values.js";
import { h } from "../dom.js";
import { bytesToHex, hexToBytes } from "../packets.js";
import { loadPart, partIfLoaded, type Parts } from "../parts.js";
import type { SimScenarioReport } from "../parts/sockets.js";
import { errorMessages, mapShapes, type CurrentProgram, type MapShapes } from "../program-source.js";

interface ScenarioOutcome {
  report?: SimScenarioReport & { seedProblems: string[] };
  /** How many Maps-tab entries were written before the first step. */
  seeds?: number;
  error?: string[];
  shapes: MapShapes[];
  /** The scenario text this outcome is for. */
  text: string;
}

/** The programs a scenario runs with: the object's, the edited one in place of its original. */
export function worldPrograms(cur: CurrentProgram, objectPrograms: readonly Program[] | undefined): Program[] {
  if (cur.fromObject) return [...cur.others];
  return [cur.program, ...(objectPrograms ?? []).filter((p) => p.name !== cur.program.name)];
}

const preview = (b: Uint8Array): string => {
  if (!b.length) return "";
  const text = new TextDecoder().decode(b.subarray(0, 48));
  return /^[\x20-\x7e]*$/.test(text) ? ` ${JSON.stringify(text)}${b.length > 48 ? "…" : ""}` : ` ${bytesToHex(b.subarray(0, 16), " ")}${b.length > 16 ? "…" : ""}`;
};
const PATHS: Record<string, string> = { stack: "TCP stack", sk_msg: "sk_msg redirect", sk_skb: "sk_skb redirect" };

export class ScenarioPanel {
  private outcome: ScenarioOutcome | undefined;

  constructor(private readonly app: App) {}

  reset(): void { this.outcome = undefined; }

  /** The scenario text: the state's, else a first one made for the object's programs. */
  private text(world: Parts["sockets"], programs: readonly Program[]): string {
    return (this.app.state.scenario ??= world.defaultScenario(programs));
  }

  private programs(): Program[] | { error: string[] } {
    let cur: CurrentProgram;
    try { cur = this.app.program(); } catch (err) { return { error: ["the program does not assemble:", ...errorMessages(err)] }; }
    return worldPrograms(cur, this.app.object?.obj.programs);
  }

  run(world: Parts["sockets"]): void {
    const programs = this.programs();
    if ("error" in programs) { this.outcome = { error: programs.error, shapes: [], text: this.app.state.scenario ?? "" }; return; }
    const text = this.text(world, programs);
    const shapes = programs.flatMap((p) => mapShapes(p)).filter((s, i, all) => all.findIndex((x) => x.spec.name === s.spec.name) === i);
    // the Maps tab's entries (hex) for the programs' maps, written before the first step as user space would
    const names = new Set(programs.flatMap((p) => p.maps.map((m) => m.name)));
    const seeds = Object.entries(this.app.state.maps).filter(([name]) => names.has(name))
      .flatMap(([map, entries]) => entries.map((e) => ({ map, key: hexToBytes(e.key), value: hexToBytes(e.value) })));
    try {
      this.outcome = { report: world.runScenario(text, programs, seeds), seeds: seeds.length, shapes, text };
    } catch (err) {
      this.outcome = { error: errorMessages(err), shapes, text };
    }
  }

  /** The scenario view; `rerender` draws the tab again (after a run, or once the socket world has loaded). */
  render(rerender: () => void): HTMLElement {
    const box = h("div", { class: "scenario", id: "scenario" });
    const world = partIfLoaded("sockets");
    if (!world) {
      box.append(h("p", { class: "muted", id: "scenario-loading" }, "Loading the socket world…"));
      loadPart("sockets").then(rerender, (err: unknown) => {
        box.replaceChildren(h("div", { class: "card bad" }, h("h3", {}, "The socket world did not load"), h("pre", { class: "kernel-msg" }, errorMessages(err).join("\n"))));
      });
      return box;
    }
    const programs = this.programs();
    const text = "error" in programs ? this.app.state.scenario ?? "" : this.text(world, programs);
    const area = h("textarea", {
      class: "scenario-input", id: "scenario-text", rows: "14", spellcheck: "false", "aria-label": "Scenario",
      oninput: (e: Event) => { this.app.state.scenario = (e.target as HTMLTextAreaElement).value; },
    }, text);
    box.append(
      h("p", { class: "muted" }, `${this.app.report?.progType ?? "These"} programs run on sockets, not packets: a scenario makes sockets and connections on a simulated host, and the object's programs run at their hooks as the kernel would run them.`),
      h("div", { class: "row" }, h("h3", {}, "Scenario"),
        h("button", { class: "btn small", title: "Replace the text with a first scenario for this object's programs", onclick: () => {
          if (!("error" in programs)) { this.app.state.scenario = world.defaultScenario(programs); rerender(); }
        } }, "start over")),
      area,
      h("div", { class: "controls" }, h("button", { class: "btn primary", id: "scenario-run", onclick: () => { this.run(world); rerender(); } }, "▶ Run scenario"),
        this.outcome && this.outcome.text !== (this.app.state.scenario ?? "") ? h("span", { class: "muted" }, "the scenario changed since this run") : null));
    if (this.outcome) box.append(this.renderOutcome(this.outcome));
    return box;
  }

  private renderOutcome(o: ScenarioOutcome): HTMLElement {
    const box = h("div", { class: "outcome", id: "scenario-result" });
    if (o.error) { box.append(h("div", { class: "card bad" }, h("h3", {}, "Could not run"), h("pre", { class: "kernel-msg" }, o.error.join("\n")))); return box; }
    const r = o.report!;
    const e = r.engine;
    box.append(h("div", { class: "result-head" },
      h("span", { class: "muted", id: "scenario-engine" }, e.kind === "compiled" ? "ran compiled (the verifier accepts every program)" : `ran in the ${e.mode} interpreter${e.rejected ? ` (the verifier rejects ${e.rejected})` : ""}`)));
    if (o.seeds) box.append(h("p", { class: "muted small", id: "scenario-seeds" }, `${o.seeds} entr${o.seeds === 1 ? "y" : "ies"} from the Maps tab written before the first step`));
    if (r.seedProblems.length) box.append(h("div", { class: "card bad" }, h("h3", {}, "Map entries refused"), r.seedProblems.map((p) => h("div", {}, p))));
    if (r.failed.length) {
      box.append(h("div", { class: "card bad", id: "scenario-failed" }, h("h3", {}, "Expectations that failed"),
        r.failed.map((f) => h("div", {}, `line ${f.line}: ${f.message}`))));
    }
    // where the bytes went: one row per delivery, to the socket that received them
    const rows = r.sockets.flatMap((s) => s.deliveries.map((d) => ({ to: s.name, ...d })));
    box.append(h("h4", {}, "Where the bytes went"));
    box.append(rows.length
      ? h("table", { class: "grid", id: "scenario-bytes" }, h("tr", {}, h("th", {}, "from"), h("th", {}, "to"), h("th", {}, "bytes"), h("th", {}, "path")),
        rows.map((d) => h("tr", {}, h("td", {}, d.from), h("td", {}, d.to), h("td", { class: "mono" }, String(d.bytes)), h("td", { class: d.path === "stack" ? "" : "new" }, PATHS[d.path] ?? d.path))))
      : h("p", { class: "muted" }, "no bytes were received"));
    box.append(h("h4", {}, "Connections"));
    for (const s of r.sockets) {
      const peer = s.remote && s.kind.startsWith("tcp") ? r.sockets.find((x) => x !== s && x.local === s.remote && x.remote === s.local)?.name : undefined;
      const card = h("div", { class: "card sock", "data-socket": s.name },
        h("div", { class: "row" }, h("b", {}, s.name), h("span", { class: "muted" }, ` ${s.kind}${s.outside ? " (outside the cgroup)" : ""} · ${s.remote ? `${s.local ?? "?"} → ${s.remote}` : s.local ?? "unbound"}${peer ? ` · connected to ${peer}` : ""} · ${s.state}`)));
      if (s.callbacks.length) {
        card.append(h("table", { class: "grid small" }, s.callbacks.map((c) => h("tr", {}, h("td", { class: "muted" }, c.hook), h("td", {}, c.program),
          h("td", { class: "mono" }, `${c.what}${c.reply !== undefined ? `, reply ${c.reply}` : ""}${c.hook === "sockops" && c.retval !== 1 ? ` (returned ${c.retval})` : ""}`)))));
      }
      card.append(h("div", { class: "small" }, `read ${s.received.length} byte${s.received.length === 1 ? "" : "s"}${preview(s.received)}`));
      box.append(card);
    }
    // every call the scenario made, with what it answered; a `dump` shows the map at that point
    box.append(h("h4", {}, "Calls"), h("table", { class: "grid small", id: "scenario-calls" },
      r.steps.filter((s) => s.op !== "attach").map((s) => h("tr", {}, h("td", { class: "muted" }, `line ${s.line}`), h("td", {}, `${s.op}${s.socket ? ` ${s.socket}` : ""}${s.map ? ` ${s.map.name}` : ""}`),
        h("td", { class: "mono" }, `${s.result}${s.address ? ` ${s.address}` : ""}`, s.map ? this.mapEntries(s.map, o.shapes) : null)))));
    box.append(h("h4", {}, "Maps at the end"));
    const maps = h("div", { id: "scenario-maps" });
    for (const m of r.maps) {
      maps.append(h("div", { class: "map-head", "data-map": m.name }, h("b", {}, m.name), h("span", { class: "muted" }, ` ${m.type} · ${m.entries.length} entr${m.entries.length === 1 ? "y" : "ies"}`)), this.mapEntries(m, o.shapes));
    }
    box.append(maps);
    if (r.trace.length) box.append(h("h4", {}, "Trace output (bpf_printk)"), h("pre", { class: "trace" }, r.trace.map((t) => t.replace(/\n$/, "")).join("\n")));
    return box;
  }

  /** A map's entries as text by BTF type where there is one; sockmap / sockhash values name the socket. */
  private mapEntries(m: SimScenarioReport["maps"][number], shapes: readonly MapShapes[]): HTMLElement {
    const shape = shapes.find((x) => x.spec.name === m.name);
    const shown = m.entries.slice(0, 32).map((e) => {
      const key = shape ? format(shape.key, e.key) : bytesToHex(e.key);
      const value = typeof e.value === "string" ? `socket ${e.value}` : shape ? format(shape.value, e.value) : bytesToHex(e.value);
      return h("div", { class: "mono small" }, `${key} → ${value}`);
    });
    return h("div", { class: "map-entries" }, shown, m.entries.length > 32 ? h("div", { class: "muted small" }, `… ${m.entries.length - 32} more`) : null);
  }
}
