// The playground's controller: one state (what a shared link carries), the editor, the verifier worker
// and the panels. Every change of program text goes to the worker; its report updates the editor and the
// panels. Runs and steps happen on the page (the interpreter answers in microseconds).
import { ProgramEditor } from "./editor/editor.js";
import { exampleById, EXAMPLES, type Example } from "./examples.js";
import { LESSONS, type Lesson } from "./course.js";
import { fieldsOf, packetsOfCapture, type PacketInput } from "./packets.js";
import { currentProgram, errorMessages, mapShapes, objectText, openObject, type CurrentProgram, type LoadedObject, type Syntax } from "./program-source.js";
import { decodeState, encodeState, fromBase64url, toBase64url, type SharedState } from "./share.js";
import { parse } from "./btf-values.js";
import { bytesToHex } from "./packets.js";
import type { VerifyReport } from "./verify-core.js";
import { VerifyClient } from "./verify-client.js";
import { fill, h } from "./dom.js";
import { renderVerifier, renderStateTab } from "./panels/verifier.js";
import { RunPanel } from "./panels/run.js";
import { renderMaps } from "./panels/maps.js";
import { renderCourse } from "./panels/course.js";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export const WELCOME = `; Welcome to the bpfkit playground: BPF assembly, verified as you type.
; Hover a line for the verifier's state after it; Run sends a packet through it.
; Pick an example or a lesson (Course tab) to start, or open a clang-built .o file.
.section xdp
.license "GPL"
.name count_packets
.map counts, type=percpu_array, key=4, value=8, max_entries=1
    r6 = *(u32 *)(r1 + 0)      ; data
    r7 = *(u32 *)(r1 + 4)      ; data_end
    r0 = 2                     ; XDP_PASS
    r5 = r6
    r5 += 14                   ; an Ethernet header?
    if r5 > r7 goto out
    r1 = 0
    *(u32 *)(r10 - 4) = r1     ; key 0
    r2 = r10
    r2 += -4
    r1 = counts ll
    call bpf_map_lookup_elem
    if r0 == 0 goto pass
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1      ; counts[0] += 1 (this CPU's copy)
pass:
    r0 = 2
out:
    exit
`;

export class App {
  readonly state: SharedState;
  readonly editor: ProgramEditor;
  object: { obj: LoadedObject; program: string; text: string } | undefined;
  report: VerifyReport | undefined;
  private readonly verifier: VerifyClient;
  private readonly runPanel: RunPanel;
  private tab = "verifier";
  private cursorLine = 1;
  private verifyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the report for the current text has arrived (tests and the budget script wait on it). */
  private settled: { id: number; resolve: () => void; promise: Promise<void> } | undefined;
  private requestId = 0;

  constructor() {
    this.state = { v: 1, source: WELCOME, syntax: "auto", packets: [{ kind: "build", label: "UDP to port 53", fields: fieldsOf({ ipv4: {}, udp: { dstPort: 53 }, payload: "hello" }) }], packet: 0, maps: {} };
    this.editor = new ProgramEditor($("editor"), this.state.source, {
      onChange: (text) => { this.state.source = text; this.onTextChanged(); },
      onCursorLine: (line) => { this.cursorLine = line; if (this.tab === "state") this.renderState(); },
    });
    this.verifier = new VerifyClient((r) => this.onReport(r), (busy) => this.onBusy(busy), (m) => this.onCrash(m));
    this.runPanel = new RunPanel(this, $("panel-run"));
    this.wireHeader();
    this.wireTabs();
    this.wireDrop();
  }

  // ---- state changes ----

  private onTextChanged(): void {
    this.runPanel.textChanged();
    // setSource already asked for this very text: a second request would only delay the report.
    if (this.state.source === this.requestedSource) return;
    clearTimeout(this.verifyTimer);
    this.verifyTimer = setTimeout(() => this.verifyNow(), 120);
    this.markSettling();
  }

  private markSettling(): void {
    if (this.settled) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => { resolve = r; });
    this.settled = { id: -1, resolve, promise };
  }

  /** Resolves once the verifier has reported on the current text. */
  whenVerified(): Promise<void> { return this.settled?.promise ?? Promise.resolve(); }

  verifyNow(): void {
    clearTimeout(this.verifyTimer);
    this.markSettling();
    const o = this.object && this.object.text === this.state.source ? this.object : undefined;
    const id = this.verifier.request({
      source: this.state.source, syntax: this.state.syntax, logLevel: this.logLevel,
      ...(o ? { object: { name: o.obj.name, bytes: o.obj.bytes, program: o.program } } : {}),
    });
    this.requestId = id;
    this.requestedSource = this.state.source;
    this.settled!.id = id;
  }

  private requestedSource: string | undefined;

  logLevel: 1 | 2 = 1;

  private onReport(r: VerifyReport): void {
    if (r.id !== this.requestId) return;
    this.report = r;
    this.editor.showReport(r, this.runPanel.stepLine);
    this.renderVerdict();
    this.renderVisible();
    const s = this.settled;
    if (s && s.id === r.id) { this.settled = undefined; s.resolve(); }
    (window as unknown as { bpfkitReport?: VerifyReport }).bpfkitReport = r;
  }

  private onBusy(busy: boolean): void {
    if (busy) $("verdict").classList.add("busy");
    else $("verdict").classList.remove("busy");
  }

  private onCrash(message: string): void {
    const v = $("verdict");
    v.className = "verdict reject";
    v.textContent = `The verifier crashed on this program (a bpfkit bug): ${message}`;
    const s = this.settled;
    if (s) { this.settled = undefined; s.resolve(); }
  }

  private renderVerdict(): void {
    const r = this.report!;
    const v = $("verdict");
    const ms = `${r.ms < 10 ? r.ms.toFixed(1) : Math.round(r.ms)} ms`;
    if (r.problems.length) {
      v.className = "verdict problem";
      const p = r.problems[0]!;
      fill(v, h("b", {}, `${r.problems.length} assembler error${r.problems.length > 1 ? "s" : ""}`), ` · line ${p.line}:${p.col}: ${p.message}`);
      return;
    }
    const what = `${r.name ?? "program"} (${r.progType})`;
    if (r.verdict === "accept") {
      v.className = "verdict accept";
      fill(v, h("b", {}, "✓ accepted"), ` · ${what} · ${r.processed} insns processed, ${r.totalStates} states · ${ms}`);
    } else {
      v.className = "verdict reject";
      const e = r.error!;
      const first = e.message.split("\n")[0]!;
      const at = e.line ? h("a", { href: "#", class: "line-link", onclick: (ev: Event) => { ev.preventDefault(); this.editor.goto(e.line!); } }, `line ${e.line}`) : `pc ${e.pc}`;
      fill(v, h("b", {}, "✗ rejected"), " at ", at, ` (pc ${e.pc}): ${first.startsWith("timeout") ? "the verifier gave up after 20 s (the kernel would go on up to 1M instructions)" : first} · ${ms}`);
    }
  }

  // ---- what the editor's text stands for ----

  /** The program to run and the shapes of its maps; throws when the text does not assemble. */
  program(): CurrentProgram {
    return currentProgram(this.state.source, this.state.syntax, this.object);
  }

  // ---- loading things ----

  setSource(text: string, origin: SharedState["origin"]): void {
    if (origin) this.state.origin = origin; else delete this.state.origin;
    this.state.source = text;
    this.verifyNow();
    this.editor.setText(text);
    this.runPanel.reset();
    this.renderHeader();
  }

  loadExample(ex: Example, withRunSetup = true): void {
    this.object = undefined;
    const obj = openObject(ex.file, ex.object());
    this.useObject(obj, ex.program, { example: ex.id });
    if (withRunSetup) {
      this.state.packets = ex.packets.map((p) => structuredClone(p));
      this.state.packet = 0;
      this.state.maps = this.seedsFromText(ex.maps);
    }
    this.showSource(ex.source, ex.file.replace(/\.o$/, ".c"));
    this.refreshPanels();
  }

  /** Map entries given as text by type (examples) -> the hex the state keeps. */
  private seedsFromText(maps: Record<string, [string, string][]>): SharedState["maps"] {
    const shapes = mapShapes(this.program().program);
    const out: SharedState["maps"] = {};
    for (const [name, entries] of Object.entries(maps)) {
      const s = shapes.find((m) => m.spec.name === name);
      if (!s) continue;
      out[name] = entries.map(([k, v]) => ({ key: bytesToHex(parse(s.key, k, "key")), value: bytesToHex(parse(s.value, v, "value")) }));
    }
    return out;
  }

  private useObject(obj: LoadedObject, program: string, origin: NonNullable<SharedState["origin"]>): void {
    const p = obj.programs.find((x) => x.name === program) ?? obj.programs[0]!;
    const text = objectText(p, this.state.syntax);
    this.object = { obj, program: p.name, text };
    this.notice(obj.unsupported.length ? `${obj.name}: not loaded faithfully: ${obj.unsupported.join("; ")}` : undefined);
    this.setSource(text, { ...origin, program: p.name });
  }

  loadLesson(l: Lesson, which: "start" | "solution" = "start"): void {
    this.object = undefined;
    this.notice(undefined);
    this.hideSource();
    if (l.goal) {
      this.state.packets = [{ kind: "build", label: "lesson packet", fields: fieldsOf(l.goal.packet) }];
      this.state.packet = 0;
    }
    this.state.maps = {};
    this.setSource(which === "start" ? l.start : l.solution, { lesson: l.id });
    this.refreshPanels();
  }

  async openFile(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const lower = file.name.toLowerCase();
    try {
      if (/\.(pcap|pcapng|cap)$/.test(lower)) {
        const added = packetsOfCapture(file.name, bytes);
        this.state.packets.push(...added);
        this.state.packet = this.state.packets.length - added.length;
        this.selectTab("run");
        this.notice(`${file.name}: ${added.length} packet${added.length === 1 ? "" : "s"} added to the Run tab`);
        return;
      }
      const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
      if (isElf) {
        const obj = openObject(file.name, bytes);
        this.state.maps = {};
        this.useObject(obj, obj.programs[0]!.name, { object: { name: file.name, base64: toBase64url(bytes) } });
        this.hideSource();
        this.refreshPanels();
        return;
      }
      this.object = undefined;
      this.hideSource();
      this.setSource(new TextDecoder().decode(bytes), undefined);
      this.notice(undefined);
    } catch (err) {
      this.notice(`${file.name}: ${errorMessages(err).join("; ")}`, true);
    }
  }

  selectProgram(name: string): void {
    if (!this.object) return;
    const origin = { ...(this.state.origin ?? {}) };
    this.useObject(this.object.obj, name, origin);
    this.refreshPanels();
  }

  // ---- sharing ----

  async share(): Promise<string> {
    const hash = await encodeState(this.state);
    history.replaceState(null, "", `#${hash}`);
    return location.href;
  }

  async restore(hash: string): Promise<boolean> {
    let s: SharedState | undefined;
    try {
      s = await decodeState(hash);
    } catch (err) {
      this.notice(err instanceof Error ? err.message : String(err), true);
      return false;
    }
    if (!s) return false;
    this.state.syntax = s.syntax;
    ($("syntax-select") as HTMLSelectElement).value = s.syntax;
    const o = s.origin ?? {};
    try {
      const ex = o.example ? exampleById(o.example) : undefined;
      if (ex) this.loadExample(ex, false);
      else if (o.object) {
        const obj = openObject(o.object.name, fromBase64url(o.object.base64));
        this.useObject(obj, o.program ?? obj.programs[0]!.name, { object: o.object });
      }
      if (this.object && o.program && o.program !== this.object.program) this.useObject(this.object.obj, o.program, o);
    } catch (err) {
      this.notice(`the link's object: ${errorMessages(err).join("; ")}`, true);
    }
    this.state.packets = s.packets;
    this.state.packet = s.packet;
    this.state.maps = s.maps;
    // The sender's text wins over the example's (they may have edited it).
    if (s.source !== this.state.source || !this.object) this.setSource(s.source, s.origin);
    else this.state.origin = s.origin;
    this.refreshPanels();
    return true;
  }

  // ---- panels ----

  refreshPanels(): void {
    this.renderHeader();
    this.renderVisible();
  }

  /** Only the tab on screen is drawn; the others are drawn when they are chosen. */
  private renderVisible(): void {
    switch (this.tab) {
      case "verifier": renderVerifier(this, $("panel-verifier")); break;
      case "state": this.renderState(); break;
      case "run": this.runPanel.render(); break;
      case "maps": this.renderMaps(); break;
      case "course": this.renderCourse(); break;
    }
  }

  selectTab(tab: string): void {
    this.tab = tab;
    document.querySelectorAll<HTMLButtonElement>(".tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
    document.querySelectorAll<HTMLElement>(".panel").forEach((p) => { p.hidden = p.dataset.panel !== tab; });
    this.renderVisible();
  }

  renderState(): void { renderStateTab(this, $("panel-state"), this.cursorLine); }
  renderMaps(): void { renderMaps(this, $("panel-maps")); }
  renderCourse(): void { renderCourse(this, $("panel-course")); }

  private showSource(text: string, name: string): void {
    const tab = $("source-tab");
    tab.hidden = false;
    tab.textContent = name;
    fill($("panel-source"), h("pre", { class: "c-source" }, text));
  }

  private hideSource(): void {
    $("source-tab").hidden = true;
    if (this.tab === "source") this.selectTab("verifier");
  }

  notice(text: string | undefined, error = false): void {
    const n = $("notice");
    n.hidden = !text;
    n.className = `notice${error ? " error" : ""}`;
    n.textContent = text ?? "";
  }

  private renderHeader(): void {
    const ex = $<HTMLSelectElement>("example-select");
    ex.value = this.state.origin?.example ?? "";
    const ctl = $("program-ctl");
    const sel = $<HTMLSelectElement>("program-select");
    if (this.object && this.object.obj.programs.length > 1) {
      ctl.hidden = false;
      fill(sel, this.object.obj.programs.map((p) => h("option", { value: p.name }, `${p.name} (${p.section})`)));
      sel.value = this.object.program;
    } else ctl.hidden = true;
  }

  private wireHeader(): void {
    const ex = $<HTMLSelectElement>("example-select");
    fill(ex, h("option", { value: "" }, "—"), EXAMPLES.map((e) => h("option", { value: e.id }, e.title)));
    ex.addEventListener("change", () => { const e = exampleById(ex.value); if (e) this.loadExample(e); });
    const input = $<HTMLInputElement>("file-input");
    $("open-file").addEventListener("click", () => input.click());
    input.addEventListener("change", () => { const f = input.files?.[0]; if (f) void this.openFile(f); input.value = ""; });
    $<HTMLSelectElement>("program-select").addEventListener("change", (e) => this.selectProgram((e.target as HTMLSelectElement).value));
    const syn = $<HTMLSelectElement>("syntax-select");
    syn.addEventListener("change", () => this.changeSyntax(syn.value as Syntax));
    $("share").addEventListener("click", () => {
      void this.share().then(async (url) => {
        let copied = false;
        try { await navigator.clipboard.writeText(url); copied = true; } catch { /* file:// or no permission */ }
        $("share-note").textContent = copied ? "link copied" : "link is in the address bar";
        setTimeout(() => { $("share-note").textContent = ""; }, 4000);
      });
    });
  }

  /** Switch the syntax: objects are disassembled again; a text that assembles is converted (comments are not kept). */
  private changeSyntax(syntax: Syntax): void {
    const before = this.state.syntax;
    this.state.syntax = syntax;
    if (syntax === "auto") { this.verifyNow(); return; }
    if (this.object && this.object.text === this.state.source) { this.useObject(this.object.obj, this.object.program, this.state.origin ?? {}); return; }
    try {
      const p = currentProgram(this.state.source, before, undefined).program;
      this.setSource(objectText(p, syntax), this.state.origin);
    } catch {
      this.verifyNow(); // the text does not assemble: keep it, verify it in the new syntax
    }
  }

  private wireTabs(): void {
    document.querySelectorAll<HTMLButtonElement>(".tabs button").forEach((b) => b.addEventListener("click", () => this.selectTab(b.dataset.tab!)));
  }

  private wireDrop(): void {
    const zone = $("drop-zone");
    let depth = 0;
    window.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; zone.hidden = false; });
    window.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) zone.hidden = true; });
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      zone.hidden = true;
      const f = e.dataTransfer?.files?.[0];
      if (f) void this.openFile(f);
    });
  }

  get lessons(): readonly Lesson[] { return LESSONS; }
  get packets(): PacketInput[] { return this.state.packets; }
}
