// Every lesson of the playground's course teaches one rejection: its starting program must get exactly
// that rejection from the verifier, its solution must be accepted, and the solution must do to the
// lesson's packet what the lesson says (with the map entries it tells the reader to add).
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/index.js";
import { buildPacket } from "../../src/packet/index.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { LESSONS } from "../../playground/src/course.js";
import { analyze } from "../../playground/src/verify-core.js";
import { hexToBytes } from "../../playground/src/packets.js";
import { kernelVerifyProgram } from "../../src/testing/index.js";
import { describeKernel } from "../support/kernel.js";

describe("playground course", () => {
  it("has at least 8 lessons with distinct ids, from a first XDP program to the classic rejections", () => {
    expect(LESSONS.length).toBeGreaterThanOrEqual(8);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    const taught = LESSONS.map((l) => l.rejection.source).join(" ");
    for (const topic of ["R0 !read_ok", "invalid access to packet", "map_value_or_null", "infinite loop", "stack"]) expect(taught).toContain(topic);
  });

  describe.each(LESSONS.map((l) => [l.title, l] as const))("%s", (_title, lesson) => {
    it("starts from a program the verifier rejects for the lesson's reason", () => {
      const r = analyze({ id: 1, source: lesson.start, syntax: "auto", logLevel: 1 });
      expect(r.problems).toEqual([]);
      expect(r.verdict).toBe("reject");
      expect(r.error!.message).toMatch(lesson.rejection);
      expect(r.error!.line, "the rejection points at a line of the lesson's text").toBeGreaterThan(0);
    });

    it("has a solution the verifier accepts", () => {
      const r = analyze({ id: 2, source: lesson.solution, syntax: "auto", logLevel: 1 });
      expect(r.problems).toEqual([]);
      expect(r.error?.message).toBeUndefined();
      expect(r.verdict).toBe("accept");
    });

    it.runIf(lesson.goal !== undefined)("whose run gives the action the lesson promises", () => {
      const goal = lesson.goal!;
      const rt = loadProgram(assemble(lesson.solution));
      for (const [map, entries] of Object.entries(goal.maps ?? {})) {
        for (const e of entries) expect(rt.maps.get(map)!.set(hexToBytes(e.key), hexToBytes(e.value))).toBe(0);
      }
      expect(rt.run({ data: buildPacket(goal.packet) }).action).toBe(goal.action);
    });
  });
});

// The kernel is the oracle: each lesson's starting program gets the same first error line from the
// running kernel, and each solution loads.
describeKernel("playground course against the kernel", () => {
  it.each(LESSONS.map((l) => [l.id, l] as const))("%s", (_id, lesson) => {
    const start = kernelVerifyProgram(assemble(lesson.start), 1);
    expect(start.verdict).toBe("reject");
    expect(start.error).toMatch(lesson.rejection);
    const ours = analyze({ id: 1, source: lesson.start, syntax: "auto", logLevel: 1 });
    expect(ours.error!.message.split("\n")[0]).toBe(start.error);
    const solution = kernelVerifyProgram(assemble(lesson.solution), 1);
    expect(solution.error).toBeUndefined();
    expect(solution.verdict).toBe("accept");
  });
});
