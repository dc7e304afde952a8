// The Verifier tab (verdict, --explain's account with the failing path, the kernel-format log) and the
// State tab (registers and stack slots after each instruction of the line the cursor is on).
import type { App } from "../app.js";
import { fill, h } from "../dom.js";
import { stateTable } from "../state-view.js";

const lineLink = (app: App, line: number | undefined, label: string): HTMLElement | string =>
  line ? h("a", { href: "#", class: "line-link", onclick: (e: Event) => { e.preventDefault(); app.editor.goto(line); } }, label) : label;

export function renderVerifier(app: App, panel: HTMLElement): void {
  const r = app.report;
  if (!r) { fill(panel, h("p", { class: "muted" }, "verifying…")); return; }
  const parts: (HTMLElement | string)[] = [];
  if (r.problems.length) {
    parts.push(h("h3", {}, "The text does not assemble"));
    parts.push(h("ul", { class: "problems" }, r.problems.map((p) => h("li", {},
      lineLink(app, p.line, `line ${p.line}:${p.col}`), " ", h("code", { class: "code" }, p.code), " ", p.message,
      p.hint ? h("div", { class: "muted" }, p.hint) : null))));
    fill(panel, ...parts);
    return;
  }
  if (r.verdict === "accept") {
    parts.push(h("div", { class: "card ok" },
      h("h3", {}, "Accepted"),
      h("p", {}, `The verifier proved ${r.name} safe for every input: ${r.processed} instructions processed, ${r.totalStates} states kept for pruning, in ${r.ms.toFixed(1)} ms.`),
      h("p", { class: "muted" }, "Hover a line (or use the State tab) to see what the verifier knew about each register and stack slot after it. Dimmed lines were never reached.")));
  } else if (r.error) {
    const ex = r.explanation;
    const card = h("div", { class: "card bad" },
      h("h3", {}, "Rejected at ", lineLink(app, r.error.line, r.error.line ? `line ${r.error.line}` : `pc ${r.error.pc}`), ` (pc ${r.error.pc})`),
      h("pre", { class: "kernel-msg" }, r.error.message));
    if (ex) {
      if (ex.insn) card.append(h("div", { class: "kv" }, h("span", {}, "instruction"), h("code", {}, ex.insn)));
      if (ex.register) card.append(h("div", { class: "kv" }, h("span", {}, ex.register.name), h("code", {}, ex.register.state)));
      card.append(h("h4", {}, "Why"), h("p", {}, ex.why), h("h4", {}, "Fix"), h("p", {}, ex.fix));
      card.append(h("h4", {}, "The path that led there"));
      if (ex.path.length) {
        card.append(h("ol", { class: "path" }, ex.path.map((p) => h("li", {},
          lineLink(app, p.line, p.line ? `line ${p.line}` : `pc ${p.pc}`), " ", h("code", {}, p.text), " ",
          h("span", { class: p.taken ? "taken" : "not-taken" }, p.taken ? "→ taken" : "→ not taken")))));
      } else card.append(h("p", { class: "muted" }, "straight from the start: no branch on the way."));
    }
    parts.push(card);
  }
  const levelSel = h("select", { "aria-label": "log level", onchange: (e: Event) => { app.logLevel = Number((e.target as HTMLSelectElement).value) as 1 | 2; app.verifyNow(); } },
    h("option", { value: "1" }, "level 1 (the failing path)"), h("option", { value: "2" }, "level 2 (every instruction)"));
  (levelSel as HTMLSelectElement).value = String(app.logLevel);
  parts.push(h("div", { class: "log-head" }, h("h3", {}, "Kernel-format log"), levelSel));
  const log = h("pre", { class: "log" });
  for (const line of r.log.split("\n")) {
    const m = /^(\d+): \(/.exec(line);
    const pcLine = m ? r.pcLines[Number(m[1])] : undefined;
    log.append(pcLine ? h("span", { class: "log-insn", title: `line ${pcLine}`, onclick: () => app.editor.goto(pcLine) }, line) : line, "\n");
  }
  if (!r.log.trim()) log.append(h("span", { class: "muted" }, "(level 1 logs only a rejected program's path; choose level 2 for every instruction)"));
  parts.push(log);
  fill(panel, ...parts);
}

export function renderStateTab(app: App, panel: HTMLElement, line: number): void {
  const r = app.report;
  const states = app.editor.statesAt(line);
  const text = app.state.source.split("\n")[line - 1] ?? "";
  fill(panel,
    h("h3", {}, `Line ${line}`), h("pre", { class: "line-text" }, text.trim() || " "),
    !r || r.problems.length ? h("p", { class: "muted" }, "fix the assembler errors first") : stateTable(states),
    h("p", { class: "muted small" }, "State after each instruction of the line, once per distinct path the verifier walked (up to 32). Put the cursor on another line to see its states. Registers: scalar ranges (smin/smax/umin/umax, var_off), pointers (ctx, pkt with its proven range r, map_value, fp = stack); _w marks what the instruction wrote."));
}
