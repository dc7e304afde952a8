// A small element builder: h("div", { class: "x", onclick }, "text", child).
type Child = Node | string | number | false | null | undefined;
type Props = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
  return el;
}

/** Replace an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "object" ? c : String(c));
}

/** A hex dump of `bytes`, 16 per row, each byte a span classed by `cls(offset)`. */
export function hexDump(bytes: Uint8Array, cls: (offset: number) => string | undefined = () => undefined, title?: (offset: number) => string | undefined): HTMLElement {
  const box = h("div", { class: "hexdump" });
  for (let row = 0; row < bytes.length; row += 16) {
    const line = h("div", { class: "hexrow" }, h("span", { class: "hexoff" }, row.toString(16).padStart(4, "0")));
    for (let i = row; i < Math.min(row + 16, bytes.length); i++) {
      const c = cls(i);
      const t = title?.(i);
      line.append(h("span", { class: `hexbyte${c ? ` ${c}` : ""}`, "data-off": i, ...(t ? { title: t } : {}) }, bytes[i]!.toString(16).padStart(2, "0")));
    }
    box.append(line);
  }
  if (!bytes.length) box.append(h("div", { class: "muted" }, "(empty)"));
  return box;
}
