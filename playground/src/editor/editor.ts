// The program editor (CodeMirror 6): BPF assembly highlighting, the assembler's and the verifier's
// diagnostics at their line:col, the verifier's state after each instruction on hover, the failing
// path's branches and the line a step is at as line decorations.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { HighlightStyle, syntaxHighlighting, bracketMatching } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorState, RangeSetBuilder, StateEffect, StateField, type Extension } from "@codemirror/state";
import {
  Decoration, type DecorationSet, drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter,
  hoverTooltip, keymap, lineNumbers, GutterMarker, gutter,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import type { PcState, VerifyReport } from "../verify-core.js";
import { bpfAsm } from "./language.js";
import { stateTable } from "../state-view.js";

const highlight = HighlightStyle.define([
  { tag: t.comment, color: "#7d8799", fontStyle: "italic" },
  { tag: t.meta, color: "#c678dd" },
  { tag: t.keyword, color: "#c678dd", fontWeight: "600" },
  { tag: t.special(t.variableName), color: "#e5c07b" },
  { tag: t.number, color: "#d19a66" },
  { tag: t.string, color: "#98c379" },
  { tag: t.labelName, color: "#61afef", fontWeight: "600" },
  { tag: t.typeName, color: "#56b6c2" },
  { tag: t.function(t.variableName), color: "#61afef" },
  { tag: t.operator, color: "#abb2bf" },
  { tag: t.variableName, color: "#e06c75" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13.5px", backgroundColor: "#1e2127", color: "#d7dae0" },
  ".cm-content": { fontFamily: "var(--mono)", caretColor: "#fff" },
  ".cm-gutters": { backgroundColor: "#1a1d22", color: "#5c6370", border: "none" },
  ".cm-activeLine": { backgroundColor: "#2a2f38" },
  ".cm-activeLineGutter": { backgroundColor: "#2a2f38", color: "#abb2bf" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "#fff" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "#3e4451 !important" },
  ".cm-tooltip": { backgroundColor: "#262a31", color: "#d7dae0", border: "1px solid #3b4048", borderRadius: "6px" },
  ".cm-tooltip-lint": { fontFamily: "var(--sans)" },
  ".cm-line.bk-error-line": { backgroundColor: "rgba(224, 108, 117, 0.16)" },
  ".cm-line.bk-path-line": { backgroundColor: "rgba(97, 175, 239, 0.10)" },
  ".cm-line.bk-step-line": { backgroundColor: "rgba(229, 192, 123, 0.28)", outline: "1px solid rgba(229,192,123,0.6)" },
  ".cm-line.bk-unreached": { opacity: "0.55" },
  ".bk-path-gutter": { width: "1.6em" },
  ".bk-path-marker": { color: "#61afef", fontSize: "11px", cursor: "default" },
  ".bk-path-marker.not-taken": { color: "#7d8799" },
}, { dark: true });

interface Marks { error?: number; path: { line: number; taken: boolean }[]; step?: number; unreached: number[] }

const setMarks = StateEffect.define<Marks>();
const marksField = StateField.define<Marks>({
  create: () => ({ path: [], unreached: [] }),
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setMarks)) return e.value;
    return v;
  },
});

function lineDecorations(state: EditorState, m: Marks): DecorationSet {
  const byLine = new Map<number, string[]>();
  const add = (line: number, cls: string): void => {
    if (line < 1 || line > state.doc.lines) return;
    const l = byLine.get(line) ?? [];
    l.push(cls);
    byLine.set(line, l);
  };
  for (const l of m.unreached) add(l, "bk-unreached");
  for (const p of m.path) add(p.line, "bk-path-line");
  if (m.error) add(m.error, "bk-error-line");
  if (m.step) add(m.step, "bk-step-line");
  const b = new RangeSetBuilder<Decoration>();
  for (const line of [...byLine.keys()].sort((a, c) => a - c)) {
    b.add(state.doc.line(line).from, state.doc.line(line).from, Decoration.line({ class: byLine.get(line)!.join(" ") }));
  }
  return b.finish();
}

const decorations = EditorView.decorations.compute(["doc", marksField], (state) => lineDecorations(state, state.field(marksField)));

class PathMarker extends GutterMarker {
  constructor(readonly taken: boolean) { super(); }
  override eq(o: GutterMarker): boolean { return o instanceof PathMarker && o.taken === this.taken; }
  override toDOM(): Node {
    const s = document.createElement("span");
    s.className = `bk-path-marker${this.taken ? "" : " not-taken"}`;
    s.textContent = this.taken ? "↷" : "↓";
    s.title = this.taken ? "on the failing path: this branch was taken" : "on the failing path: this branch was not taken";
    return s;
  }
}

const pathGutter = gutter({
  class: "bk-path-gutter",
  markers(view) {
    const m = view.state.field(marksField);
    const b = new RangeSetBuilder<GutterMarker>();
    const seen = new Set<number>();
    for (const p of [...m.path].sort((a, c) => a.line - c.line)) {
      if (seen.has(p.line) || p.line < 1 || p.line > view.state.doc.lines) continue;
      seen.add(p.line);
      const pos = view.state.doc.line(p.line).from;
      b.add(pos, pos, new PathMarker(p.taken));
    }
    return b.finish();
  },
});

export interface EditorCallbacks {
  onChange(text: string): void;
  onCursorLine(line: number): void;
}

export class ProgramEditor {
  readonly view: EditorView;
  private states = new Map<number, PcState[]>();

  constructor(parent: HTMLElement, text: string, cb: EditorCallbacks) {
    const hover = hoverTooltip((view, pos) => {
      const line = view.state.doc.lineAt(pos).number;
      const states = this.states.get(line);
      if (!states?.length) return null;
      return {
        pos: view.state.doc.line(line).from,
        above: false,
        create: () => {
          const dom = document.createElement("div");
          dom.className = "bk-hover";
          dom.append(stateTable(states, { compact: true }));
          return { dom };
        },
      };
    }, { hoverTime: 250 });
    const extensions: Extension[] = [
      lineNumbers(), pathGutter, highlightActiveLineGutter(), lintGutter(), history(), drawSelection(), highlightActiveLine(),
      bracketMatching(), bpfAsm, syntaxHighlighting(highlight), theme, marksField, decorations, hover,
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) cb.onChange(u.state.doc.toString());
        if (u.selectionSet || u.docChanged) cb.onCursorLine(u.state.doc.lineAt(u.state.selection.main.head).number);
      }),
      EditorView.contentAttributes.of({ "aria-label": "BPF assembly program", spellcheck: "false" }),
    ];
    this.view = new EditorView({ parent, state: EditorState.create({ doc: text, extensions }) });
  }

  get text(): string { return this.view.state.doc.toString(); }

  /** Replace the whole text (loading an example, a lesson, an object): reported as a change once. */
  setText(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text }, selection: { anchor: 0 } });
    this.view.scrollDOM.scrollTop = 0;
  }

  /** Show a verification report: diagnostics, the failing path, and hover states. */
  showReport(r: VerifyReport, stepLine?: number): void {
    const doc = this.view.state.doc;
    const at = (line: number, col = 1, endCol?: number): { from: number; to: number } => {
      const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
      const from = Math.min(l.from + col - 1, l.to);
      const to = endCol ? Math.min(l.from + endCol - 1, l.to) : l.to;
      return { from, to: Math.max(to, from) };
    };
    const diags: Diagnostic[] = r.problems.map((p) => ({ ...at(p.line, p.col, p.endCol), severity: "error", source: p.code, message: p.hint ? `${p.message}\n${p.hint}` : p.message }));
    if (r.error) {
      const line = r.error.line ?? 1;
      const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
      const text = l.text;
      const start = text.length - text.trimStart().length;
      diags.push({ from: l.from + start, to: l.to, severity: "error", source: "verifier", message: r.explanation ? `${r.error.message}\n\n${r.explanation.why}\nFix: ${r.explanation.fix}` : r.error.message });
    }
    this.states.clear();
    for (const s of r.states) if (s.line) { const l = this.states.get(s.line) ?? []; l.push(s); this.states.set(s.line, l); }
    const reached = new Set(r.states.map((s) => s.line));
    const unreached = r.verdict ? [...new Set(r.pcLines)].filter((l) => l && !reached.has(l)) : [];
    const marks: Marks = {
      ...(r.error?.line ? { error: r.error.line } : {}),
      path: (r.explanation?.path ?? []).filter((p) => p.line).map((p) => ({ line: p.line!, taken: p.taken })),
      ...(stepLine ? { step: stepLine } : {}),
      unreached: r.verdict === "accept" ? unreached : [],
    };
    this.view.dispatch(setDiagnostics(this.view.state, diags), { effects: setMarks.of(marks) });
  }

  /** Highlight the line a stepped run is at (undefined clears it). */
  setStepLine(line: number | undefined): void {
    const m = this.view.state.field(marksField);
    const next: Marks = { ...m };
    if (line) next.step = line; else delete next.step;
    this.view.dispatch({ effects: setMarks.of(next) });
    if (line && line <= this.view.state.doc.lines) {
      this.view.dispatch({ effects: EditorView.scrollIntoView(this.view.state.doc.line(line).from, { y: "nearest" }) });
    }
  }

  /** Put the cursor on a line and show it. */
  goto(line: number): void {
    const l = this.view.state.doc.line(Math.min(Math.max(line, 1), this.view.state.doc.lines));
    this.view.dispatch({ selection: { anchor: l.from }, effects: EditorView.scrollIntoView(l.from, { y: "center" }) });
    this.view.focus();
  }

  /** Verifier states of the instructions on a line. */
  statesAt(line: number): PcState[] { return this.states.get(line) ?? []; }
}
