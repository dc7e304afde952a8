// The Course tab: lessons from a first XDP program to the verifier's classic rejections. A lesson loads
// a program the verifier rejects; the tab says when the edited program is accepted.
import type { App } from "../app.js";
import { fill, h } from "../dom.js";
import type { Lesson } from "../course.js";

export function renderCourse(app: App, panel: HTMLElement): void {
  const lessons = app.lessons;
  const currentId = app.state.origin?.lesson;
  const current = lessons.find((l) => l.id === currentId);
  const list = h("ol", { class: "lessons" }, lessons.map((l) => h("li", { class: l.id === currentId ? "current" : "" },
    h("a", { href: "#", "data-lesson": l.id, onclick: (e: Event) => { e.preventDefault(); app.loadLesson(l); app.selectTab("course"); } }, l.title.replace(/^\d+\.\s*/, "")))));
  if (!current) {
    fill(panel, h("h3", {}, "Course: the verifier, one rejection at a time"),
      h("p", {}, "Each lesson opens a small program the verifier rejects, explains why, and asks you to fix it. The editor verifies as you type; the Verifier tab explains the rejection; the Run tab sends a packet through the fixed program."),
      list);
    return;
  }
  fill(panel, h("div", { class: "lesson" }, h("h3", {}, current.title), lessonBody(current), status(app, current),
    h("div", { class: "controls" },
      h("button", { class: "btn", onclick: () => app.loadLesson(current) }, "Start over"),
      h("button", { class: "btn", onclick: () => app.loadLesson(current, "solution") }, "Show a solution"),
      next(app, current))),
    h("h4", {}, "All lessons"), list);
}

function lessonBody(l: Lesson): HTMLElement {
  const div = h("div", { class: "lesson-body" });
  div.innerHTML = l.body; // the course's own text (course.ts), not user input
  return div;
}

function status(app: App, l: Lesson): HTMLElement {
  const r = app.report;
  if (!r) return h("p", { class: "muted" }, "verifying…");
  if (r.problems.length) return h("p", { class: "lesson-status problem" }, "The text does not assemble yet: see the red marks in the editor.");
  if (r.verdict === "accept") {
    return h("div", { class: "lesson-status solved", id: "lesson-status" }, h("b", {}, "✓ Accepted: lesson solved."),
      l.goal ? h("p", {}, `Now run it (Run tab): expect ${l.goal.action}, because ${l.goal.why}.`) : null);
  }
  const first = r.error?.message.split("\n")[0] ?? "";
  return h("div", { class: "lesson-status rejected", id: "lesson-status" },
    l.rejection.test(r.error?.message ?? "") ? h("p", {}, "The verifier rejects it with the message this lesson is about: ", h("code", {}, first)) : h("p", {}, "Rejected, now for another reason: ", h("code", {}, first)),
    h("p", { class: "muted" }, "The Verifier tab explains it and shows the path."));
}

function next(app: App, l: Lesson): HTMLElement | null {
  const i = app.lessons.indexOf(l);
  const n = app.lessons[i + 1];
  return n ? h("button", { class: "btn primary", onclick: () => app.loadLesson(n) }, `Next: ${n.title.replace(/^\d+\.\s*/, "")} →`) : null;
}
