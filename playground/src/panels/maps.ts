// The Maps tab: the program's maps with their key and value types, and the entries written into them
// (from user space, as BPF_MAP_UPDATE_ELEM would) before every run. Keys and values are read and edited
// as text by their BTF type (`{prefixlen: 24, addr: 192.0.2.0}`), or as hex where there is no BTF.
import type { App } from "../app.js";
import { describe, format, parse, type Shape } from "../btf-values.js";
import { fill, h } from "../dom.js";
import { loadEngine } from "../engine.js";
import { bytesToHex, hexToBytes } from "../packets.js";
import { EDITABLE_MAP_TYPES, errorMessages, mapShapes, type MapShapes } from "../program-source.js";
import { formatValues } from "./run.js";

function safeFormat(shape: Shape, hex: string): string {
  try { return format(shape, hexToBytes(hex)); } catch { return hex; }
}

export function renderMaps(app: App, panel: HTMLElement): void {
  let shapes: MapShapes[];
  let others;
  let program;
  try {
    const cur = app.program();
    program = cur.program;
    others = cur.others;
    shapes = mapShapes(cur.program);
  } catch (err) {
    fill(panel, h("p", { class: "muted" }, "The program does not assemble yet: ", errorMessages(err)[0] ?? ""));
    return;
  }
  if (!shapes.length) { fill(panel, h("p", { class: "muted" }, "This program uses no maps. Declare one with `.map name, type=hash, key=4, value=8, max_entries=16`.")); return; }
  const seeds = app.state.maps;
  const parts: HTMLElement[] = [h("p", { class: "muted small" }, "Entries listed here are written into the maps before every run (Run tab). Keys and values are shown by their C type where the object has BTF, as hex bytes otherwise (hex, an integer, or an IPv4 address is accepted then).")];
  for (const m of shapes) {
    const s = m.spec;
    const head = h("div", { class: "map-head" }, h("b", {}, s.name), h("span", { class: "muted" }, ` ${s.type} · key ${describe(m.key)} → value ${describe(m.value)} · max ${s.maxEntries}${s.readOnly ? " · read-only (.rodata)" : ""}`));
    const card = h("div", { class: "map-card", "data-map": s.name }, head);
    if (!EDITABLE_MAP_TYPES.has(s.type) || s.readOnly) {
      card.append(h("p", { class: "muted small" }, s.readOnly ? "set by the object; programs only read it" : `${s.type} maps are filled by the program or the loader, not edited here`));
      parts.push(card);
      continue;
    }
    const list = (seeds[s.name] ??= []);
    const table = h("table", { class: "grid entries" }, h("tr", {}, h("th", {}, "key"), h("th", {}, "value"), h("th", {})));
    list.forEach((e, i) => {
      const err = h("div", { class: "error-text small" });
      const edit = (which: "key" | "value") => (ev: Event): void => {
        const input = ev.target as HTMLInputElement;
        try {
          const bytes = parse(which === "key" ? m.key : m.value, input.value, which);
          e[which] = bytesToHex(bytes);
          input.classList.remove("invalid");
          err.textContent = "";
        } catch (x) {
          input.classList.add("invalid");
          err.textContent = x instanceof Error ? x.message : String(x);
        }
      };
      table.append(h("tr", {},
        h("td", {}, h("input", { class: "mono", value: safeFormat(m.key, e.key), title: safeFormat(m.key, e.key), onchange: edit("key"), "aria-label": `${s.name} key ${i + 1}` })),
        h("td", {}, h("input", { class: "mono", value: safeFormat(m.value, e.value), title: safeFormat(m.value, e.value), onchange: edit("value"), "aria-label": `${s.name} value ${i + 1}` }), err),
        h("td", {}, h("button", { class: "btn small", title: "delete", onclick: () => { list.splice(i, 1); renderMaps(app, panel); } }, "✕"))));
    });
    const k = h("input", { class: "mono", placeholder: describe(m.key), "aria-label": `new ${s.name} key` });
    const v = h("input", { class: "mono", placeholder: describe(m.value), "aria-label": `new ${s.name} value` });
    const addErr = h("div", { class: "error-text small" });
    const add = (): void => {
      try {
        const key = parse(m.key, k.value || "0", "key");
        const value = v.value ? parse(m.value, v.value, "value") : new Uint8Array(s.valueSize);
        const hexKey = bytesToHex(key);
        const at = list.findIndex((x) => x.key === hexKey);
        if (at >= 0) list[at] = { key: hexKey, value: bytesToHex(value) }; else list.push({ key: hexKey, value: bytesToHex(value) });
        renderMaps(app, panel);
      } catch (x) { addErr.textContent = x instanceof Error ? x.message : String(x); }
    };
    table.append(h("tr", { class: "add-row" }, h("td", {}, k), h("td", {}, v, addErr), h("td", {}, h("button", { class: "btn small primary", onclick: add }, "add"))));
    card.append(table);
    parts.push(card);
  }
  // What the maps hold when a run starts: the object's initial values (.data, .rodata) plus the entries above.
  const preview = h("details", { class: "map-preview" }, h("summary", {}, "What the maps hold when a run starts"));
  try {
    const engine = loadEngine(program, others);
    const problems: string[] = [];
    for (const [name, entries] of Object.entries(seeds)) {
      if (shapes.some((m) => m.spec.name === name)) problems.push(...engine.seed(name, entries.map((e) => ({ key: hexToBytes(e.key), value: hexToBytes(e.value) }))));
    }
    for (const c of engine.readMaps()) {
      const shape = shapes.find((x) => x.spec.name === c.spec.name);
      if (!shape || !EDITABLE_MAP_TYPES.has(c.spec.type) && c.spec.type !== "array") continue;
      const nonzero = c.entries.filter((e) => e.values.some((v) => v.some((b) => b !== 0)) || !c.spec.type.includes("array"));
      preview.append(h("div", { class: "map-head" }, h("b", {}, c.spec.name), h("span", { class: "muted" }, ` ${c.entries.length} entr${c.entries.length === 1 ? "y" : "ies"}${c.spec.type.includes("array") ? `, ${nonzero.length} not zero` : ""}`)));
      for (const e of nonzero.slice(0, 32)) preview.append(h("div", { class: "mono small" }, `${format(shape.key, e.key)} → ${formatValues(shape.value, e.values)}`));
    }
    if (problems.length) preview.append(h("p", { class: "error-text" }, problems.join("; ")));
    engine.close();
  } catch (err) {
    preview.append(h("p", { class: "error-text" }, errorMessages(err).join("; ")));
  }
  parts.push(preview);
  fill(panel, ...parts);
}
