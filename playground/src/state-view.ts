// The verifier's state after an instruction, as a table: one row per register and stack slot, from the
// kernel's print format (`R1=ctx() R2=pkt(off=14,r=14) R10=fp0 fp-8=mmmmmmmm`). Used by the hover
// tooltip and the State tab.
import type { PcState } from "./verify-core.js";
import { h } from "./dom.js";

export interface StateEntry { name: string; value: string; kind: "reg" | "stack" | "frame" }

/** Split a state text into its entries (commas and spaces inside parentheses stay with their value). */
export function parseStateText(text: string): StateEntry[] {
  const out: StateEntry[] = [];
  let depth = 0, start = 0;
  const words: string[] = [];
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if ((c === " " || c === undefined) && depth <= 0) {
      if (i > start) words.push(text.slice(start, i));
      start = i + 1;
    }
  }
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq < 0) { out.push({ name: w.replace(/:$/, ""), value: "", kind: "frame" }); continue; }
    const name = w.slice(0, eq);
    out.push({ name, value: w.slice(eq + 1), kind: /^fp-?\d+/.test(name) ? "stack" : "reg" });
  }
  return out;
}

/** A hint for a stack slot's letters: what each byte holds as far as the verifier knows. */
const SLOT_HINT = "one letter per byte, lowest address last: m = data (spilled or written), 0 = known zero, ? = not written, then a spilled register's value if any";

export function stateTable(states: PcState[], opts: { compact?: boolean } = {}): HTMLElement {
  const box = h("div", { class: "state-view" });
  const visits = states.flatMap((s) => s.texts.map((text, i) => ({ pc: s.pc, text, i, n: s.texts.length })));
  const shown = opts.compact ? visits.slice(0, 3) : visits;
  for (const v of shown) {
    const entries = parseStateText(v.text);
    const title = `after pc ${v.pc}` + (v.n > 1 ? ` · path ${v.i + 1} of ${v.n}` : "");
    const table = h("table", { class: "state-table" });
    for (const e of entries) {
      if (e.kind === "frame") { table.append(h("tr", { class: "frame" }, h("td", { colspan: "2" }, e.name))); continue; }
      const row = h("tr", { class: e.kind }, h("th", {}, e.name.replace(/_w$/, "")), h("td", {}, e.value));
      if (e.name.endsWith("_w")) row.title = "written by this instruction";
      if (e.kind === "stack") row.title = SLOT_HINT;
      if (e.name.endsWith("_w")) row.classList.add("written");
      table.append(row);
    }
    box.append(h("div", { class: "state-head" }, title), table);
  }
  if (opts.compact && visits.length > shown.length) box.append(h("div", { class: "muted" }, `… ${visits.length - shown.length} more paths (State tab)`));
  if (!visits.length) box.append(h("div", { class: "muted" }, "the verifier did not reach this line"));
  return box;
}
