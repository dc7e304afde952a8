// The playground's examples (bpf/ objects with their packets and map entries) and what the playground
// computes for a program text: assembler problems at line:col, the verifier's report mapped to lines.
import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../../playground/src/examples.js";
import { analyze } from "../../playground/src/verify-core.js";
import { parse } from "../../playground/src/btf-values.js";
import { packetBytes } from "../../playground/src/packets.js";
import { loadEngine } from "../../playground/src/engine.js";
import { currentProgram, mapShapes, objectText, openObject } from "../../playground/src/program-source.js";

describe("playground examples", () => {
  it("cover the bpf/ examples the issue names", () => {
    expect(EXAMPLES.map((e) => e.id)).toEqual(expect.arrayContaining(["xdp_ddos_blocklist", "xdp_lb", "tc_policy", "socket_filter", "sockops_redir"]));
  });

  describe.each(EXAMPLES.map((e) => [e.id, e] as const))("%s", (_id, ex) => {
    const obj = openObject(ex.file, ex.object());
    const program = obj.programs.find((p) => p.name === ex.program)!;

    it("opens as its disassembly with C source lines, accepted by the verifier", () => {
      expect(program).toBeDefined();
      const text = objectText(program, "auto");
      expect(text).toMatch(/^; .+/m); // C lines from BTF line info
      expect(ex.source).toContain("SEC(");
      const r = analyze({ id: 1, source: text, syntax: "auto", logLevel: 1, program });
      expect(r.problems).toEqual([]);
      expect(r.verdict).toBe("accept");
      expect(r.states.length).toBeGreaterThan(0);
      expect(r.states.every((s) => s.line! > 0)).toBe(true);
      // The text is the program: assembling it gives the same instructions.
      const again = currentProgram(text + " ", "auto", { obj, program: program.name, text }).program;
      expect(again.insns.map((i) => [i.opcode, i.dst, i.src, i.off, i.imm])).toEqual(program.insns.map((i) => [i.opcode, i.dst, i.src, i.off, i.imm]));
    });

    it("has map entries that parse by the maps' types and packets that build", () => {
      const shapes = mapShapes(program);
      for (const [name, entries] of Object.entries(ex.maps)) {
        const s = shapes.find((m) => m.spec.name === name);
        expect(s, `map ${name}`).toBeDefined();
        for (const [k, v] of entries) { parse(s!.key, k, "key"); parse(s!.value, v, "value"); }
      }
      for (const p of ex.packets) expect(packetBytes(p).length).toBeGreaterThanOrEqual(54);
    });
  });

  it("run as the Run tab runs them: the blocked source is dropped and its prefix counted", () => {
    const ex = EXAMPLES.find((e) => e.id === "xdp_ddos_blocklist")!;
    const obj = openObject(ex.file, ex.object());
    const program = obj.programs[0]!;
    const shapes = mapShapes(program);
    const results = ex.packets.slice(0, 3).map((p) => {
      const engine = loadEngine(program, obj.programs);
      for (const [name, entries] of Object.entries(ex.maps)) {
        const s = shapes.find((m) => m.spec.name === name)!;
        expect(engine.seed(name, entries.map(([k, v]) => ({ key: parse(s.key, k), value: parse(s.value, v) })))).toEqual([]);
      }
      const r = engine.run(packetBytes(p));
      const v4 = engine.readMaps().find((m) => m.spec.name === "blocklist_v4")!;
      return { action: r.action, hits: v4.entries.map((e) => e.values[0]![0]) };
    });
    expect(results.map((r) => r.action)).toEqual(["XDP_DROP", "XDP_PASS", "XDP_DROP"]);
    expect(results[0]!.hits).toContain(1);
  });

  it("load balancer: the VIP packet goes back out (XDP_TX) rewritten to a backend", () => {
    const ex = EXAMPLES.find((e) => e.id === "xdp_lb")!;
    const obj = openObject(ex.file, ex.object());
    const program = obj.programs[0]!;
    const shapes = mapShapes(program);
    const engine = loadEngine(program, obj.programs);
    for (const [name, entries] of Object.entries(ex.maps)) {
      const s = shapes.find((m) => m.spec.name === name)!;
      engine.seed(name, entries.map(([k, v]) => ({ key: parse(s.key, k), value: parse(s.value, v) })));
    }
    const input = packetBytes(ex.packets[0]!);
    const r = engine.run(input);
    expect(r.action).toBe("XDP_TX");
    expect(Array.from(r.data.subarray(30, 33))).toEqual([192, 168, 1]); // destination rewritten to a backend
  });
});

describe("analyze (the verifier worker's job)", () => {
  it("reports every assembler error at its line and column", () => {
    const r = analyze({ id: 7, source: ".section xdp\nr0 = 2\nr9 = *(u32 *)(r1 + 0\nfoo r1\nexit", syntax: "auto", logLevel: 1 });
    expect(r.id).toBe(7);
    expect(r.verdict).toBeUndefined();
    expect(r.problems.map((p) => [p.line, p.col, p.code])).toEqual([[3, 21, "BK2001"], [4, 1, "BK2002"]]);
  });

  it("asks for a program type when there is none", () => {
    const r = analyze({ id: 1, source: "r0 = 0\nexit", syntax: "auto", logLevel: 1 });
    expect(r.problems[0]!.message).toMatch(/\.section xdp/);
  });

  it("maps the rejection, the failing path and the states to editor lines", () => {
    const src = [".section xdp", "r2 = *(u32 *)(r1 + 0)", "r3 = *(u32 *)(r1 + 4)", "r4 = r2", "r4 += 14", "if r4 > r3 goto out",
      "r0 = *(u16 *)(r2 + 14)", "out:", "r0 = 2", "exit"].join("\n");
    const r = analyze({ id: 1, source: src, syntax: "auto", logLevel: 1 });
    expect(r.verdict).toBe("reject");
    expect(r.error).toMatchObject({ pc: 5, line: 7 });
    expect(r.explanation!.path).toEqual([{ pc: 4, line: 6, taken: false, text: "if r4 > r3 goto out" }]);
    expect(r.pcLines.slice(0, 6)).toEqual([2, 3, 4, 5, 6, 7]);
    const after = r.states.find((s) => s.pc === 4)!;
    expect(after.line).toBe(6);
    expect(after.texts.join(" ")).toContain("pkt(off=14,r=14)");
  });

  it("keeps one state per distinct path of an instruction", () => {
    const src = ".section xdp\ncall bpf_get_prandom_u32\nr1 = 1\nif r0 > 5 goto l\nr1 = 2\nl:\nr0 = r1\nexit";
    const r = analyze({ id: 1, source: src, syntax: "auto", logLevel: 1 });
    expect(r.verdict).toBe("accept");
    const join = r.states.find((s) => s.line === 7)!;
    expect(join.texts.length).toBe(2); // r1=1 on one path, r1=2 on the other
  });
});
