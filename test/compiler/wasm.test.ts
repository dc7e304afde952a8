// What the compiler emits, checked with wabt (a test-only dependency): every module validates, loops
// become WebAssembly loops (no dispatcher) for reducible code, irreducible code gets the br_table
// dispatcher and still runs right, and the interpreter's stops (budget, call depth, ld_abs past the
// packet, running off the end) come out of compiled code with the same message, pc and count.
import wabtInit from "wabt";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";
import type { Program } from "../../src/program/program.js";
import { openEngine } from "../../src/engine/index.js";

const wabt = await wabtInit();
const repo = join(import.meta.dirname, "..", "..");

function compiledWat(p: Program, others: Program[] = [], verified = true): string {
  const rt = loadProgram(p, { executor: "compiled", verified, others });
  const mod = wabt.readWasm(rt.engine.compiledBytes!, { readDebugNames: false, features: { bulk_memory: true, sign_extension: true, multi_value: true } } as never);
  mod.validate();
  return mod.toText({});
}

/** Both engines' outcome as one comparable string (retval or the error's first line). */
function outcome(p: Program, data: Uint8Array, engine: "interp" | "compiled", budget?: number): string {
  // Not verified (some never terminate): the compiler keeps the interpreter's exact semantics without the verifier's facts.
  const e = loadProgram(p, { ...(engine === "interp" ? { mode: "fast" as const } : { executor: "compiled" as const, verified: false }), ...(budget ? { budget } : {}) });
  try { const r = e.run({ data }); return `retval ${r.retval} insns ${r.insnCount}`; } catch (err) { return String(err).split("\n")[0]!; }
}

describe("compiled modules", () => {
  it("validate for every example program, with the batch driver for XDP", () => {
    for (const name of ["xdp_ddos_blocklist", "xdp_lb", "xdp_feature_tour", "tc_policy", "socket_filter", "sockops_redir"]) {
      const obj = loadObject(new Uint8Array(readFileSync(join(repo, "bpf", `${name}.bpf.o`))), { file: name });
      for (const p of obj.programs) {
        if (!["xdp", "tc", "socket", "classifier"].some((t) => p.section.startsWith(t))) continue;
        const wat = compiledWat(p, obj.programs.filter((q) => q !== p));
        expect(wat).toContain("(export \"run\"");
        if (p.section.startsWith("xdp")) expect(wat, name).toContain("(export \"batch\"");
      }
    }
  });

  it("turn a BPF loop into a WebAssembly loop, counting the block once per iteration", () => {
    const wat = compiledWat(assemble(".section xdp\n  r0 = 0\n  r1 = 10000000\nloop:\n  r0 += r1\n  r1 += -1\n  if r1 != 0 goto loop\n  exit\n", { file: "sum_loop.s" }), [], false);
    expect(wat).toMatch(/\bloop\b/);
    expect(wat).not.toMatch(/br_table/);
  });

  it("use the dispatcher for irreducible control flow, with the interpreter's results", () => {
    // Two entries into one loop: r1 picks the way in, so neither block dominates the other.
    const p = assemble(`.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r3 -= r2
  r0 = 0
  r4 = 5
  if r3 > 40 goto b
a:
  r0 += 3
  r4 += -1
  if r4 == 0 goto out
b:
  r0 += 7
  if r4 s> 2 goto a
  r4 += -1
  if r4 != 0 goto a
out:
  exit
`, { file: "irreducible.s" });
    const wat = compiledWat(p, [], false);
    expect(wat).toMatch(/br_table/);
    for (const len of [30, 64]) expect(outcome(p, new Uint8Array(len), "compiled")).toBe(outcome(p, new Uint8Array(len), "interp"));
  });

  it("stop where the interpreter stops: budget, call depth, ld_abs past the packet, the end of the code", () => {
    const loop = assemble(".section xdp\n  r0 = 0\nl:\n  r0 += 1\n  if r0 != 0 goto l\n  exit\n", { file: "forever.s" });
    const deep = assemble(".section xdp\n  call f\n  exit\nf:\n  call f\n  exit\n", { file: "deep.s" });
    const ldabs = assemble(".section socket\n  r6 = r1\n  r0 = *(u8 *)skb[70]\n  r0 = 9\n  exit\n", { file: "ldabs.s" });
    const offEnd = assemble(".section xdp\n  r0 = 1\n  if r0 == 2 goto x\n  r0 = 3\nx:\n  r0 += 1\n", { file: "offend.s" });
    for (const [p, budget] of [[loop, 1000], [loop, 7], [deep, undefined], [ldabs, undefined], [offEnd, undefined]] as const) {
      const a = outcome(p, new Uint8Array(64), "interp", budget), b = outcome(p, new Uint8Array(64), "compiled", budget);
      expect(b, p.name).toBe(a);
    }
    expect(outcome(loop, new Uint8Array(64), "compiled", 1000)).toMatch(/pc 1: .*1000/);
    expect(outcome(deep, new Uint8Array(64), "compiled")).toMatch(/BK5007/);
    expect(outcome(ldabs, new Uint8Array(64), "compiled")).toBe("retval 0 insns 2");
    expect(outcome(offEnd, new Uint8Array(64), "compiled")).toMatch(/ran past its last instruction/);
  });
});

describe("array lookups inlined (as the kernel's verifier inlines them)", () => {
  // The index comes from the packet, so in-range, last and past-the-end indexes are all taken; the per-CPU
  // array's copy is the running CPU's.
  const src = (type: string): string => `.map counts, type=${type}, key=4, value=8, max_entries=4
.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 14
  r0 = 2
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 0)
  *(u32 *)(r10 - 4) = r5
  r2 = r10
  r2 += -4
  r1 = counts ll
  call bpf_map_lookup_elem
  if r0 == 0 goto none
  r1 = *(u64 *)(r0 + 0)
  r1 += 3
  *(u64 *)(r0 + 0) = r1
  r0 = 2
  exit
none:
  r0 = 1
out:
  exit
`;
  for (const type of ["array", "percpu_array"]) {
    it(`${type}: compiled code reads the slot directly and gives the interpreter's retvals and map`, () => {
      const p = assemble(src(type), { file: `${type}.s` });
      const wat = compiledWat(p);
      // no call out to the map module for this lookup
      expect(wat).not.toMatch(/call \$?(env\.)?mapLookup|call 2\b/);
      const compiled = openEngine(p, { engine: "compiled" }), interp = openEngine(p, { engine: "interp", mode: "fast" });
      expect(compiled.kind).toBe("compiled");
      for (const e of [compiled, interp]) {
        const rets: number[] = [];
        for (const [idx, cpu] of [[0, 0], [3, 1], [4, 2], [1, 2], [200, 0], [3, 1]] as const) {
          const d = new Uint8Array(20); d[0] = idx;
          rets.push(e.run({ data: d, cpu }).retval);
        }
        expect(rets).toEqual([2, 2, 1, 2, 1, 2]);
      }
      const dump = (e: typeof compiled): string => JSON.stringify(e.maps.get("counts")!.entries().map((x) => x.values.map((v) => [...v])));
      expect(dump(compiled)).toBe(dump(interp));
      expect(dump(compiled)).toContain(type === "array" ? "[6,0,0,0,0,0,0,0]" : "[3,0,0,0,0,0,0,0]");
    });
  }
});

describe("budget checks", () => {
  const fwd = `.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 14
  r0 = 1
  if r4 > r3 goto out
  r0 = 2
  r5 = *(u8 *)(r2 + 0)
  if r5 == 7 goto out
  r0 = 3
out:
  exit
`;
  it("a verified program checks its budget only where a run can repeat work (back edges, calls)", () => {
    const p = assemble(fwd, { file: "fwd.s" });
    // the budget is compared with i64.ge_u; the program itself has no >= comparison
    expect(compiledWat(p, [], true)).not.toMatch(/i64\.ge_u/);
    expect(compiledWat(p, [], false)).toMatch(/i64\.ge_u/);
    const loop = assemble(".section xdp\n  r0 = 0\n  r1 = 0\nl:\n  r1 += 1\n  r0 += r1\n  if r1 < 100 goto l\n  exit\n", { file: "bounded.s" });
    expect(compiledWat(loop, [], true)).toMatch(/i64\.ge_u/);
    // the bounded loop verifies, and still stops on its budget when compiled
    const e = openEngine(loop, { engine: "compiled", budget: 50 });
    expect(e.info.verified).toBe(true);
    expect(() => e.run({ data: new Uint8Array(20) })).toThrow(/budget|instructions/i);
    expect(openEngine(loop, { engine: "compiled" }).run({ data: new Uint8Array(20) }).retval).toBe(5050);
  });
});

describe("one-block loops run unrolled between budget checks", () => {
  it("stop at the interpreter's back edge with its count for every budget, and finish with its count", () => {
    // sum_loop's shape (3 instructions a turn), a load and store in the loop (fnv1a's), and a loop of one pass
    const sum = assemble(".section xdp\n  r0 = 0\n  r1 = 9\nl:\n  r0 += r1\n  r1 += -1\n  if r1 != 0 goto l\n  exit\n", { file: "sum.s" });
    const mem = assemble(`.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = r2
  r3 += 10
  r0 = 0
l:
  r5 = *(u8 *)(r2 + 0)
  r0 ^= r5
  r0 *= 31
  *(u8 *)(r2 + 0) = r0
  r2 += 1
  if r2 < r3 goto l
  exit
`, { file: "mem.s" });
    const once = assemble(".section xdp\n  r1 = 1\nl:\n  r1 += -1\n  if r1 != 0 goto l\n  r0 = 2\n  exit\n", { file: "once.s" });
    for (const p of [sum, mem, once]) {
      expect(compiledWat(p, [], false), p.name).toMatch(/i64\.lt_u/); // the fast path's guard
      const data = Uint8Array.from({ length: 64 }, (_, i) => i * 5);
      for (let budget = 1; budget <= 50; budget++) {
        expect(outcome(p, data, "compiled", budget), `${p.name} budget ${budget}`).toBe(outcome(p, data, "interp", budget));
      }
      expect(outcome(p, data, "compiled"), p.name).toBe(outcome(p, data, "interp"));
      const v = openEngine(p, { engine: "compiled" });
      const w = openEngine(p, { engine: "interp", mode: "fast" });
      const a = v.run({ data }), b = w.run({ data });
      expect([a.retval, a.insnCount, Array.from(a.data)], p.name).toEqual([b.retval, b.insnCount, Array.from(b.data)]);
    }
  });
});
