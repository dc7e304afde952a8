// The compiled engine against the interpreter, no kernel needed: programs from the project's generators
// (the packet/map/helper generator of the kernel differential tests, and the verifier's program
// generator, accepted and rejected alike) run on both with the same inputs; retval, packet, ctx_out,
// maps and errors must be identical. A rejected program is compiled without the verifier's guarantees
// and must still behave exactly as the interpreter's fast mode.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "../../src/isa/index.js";
import type { Program } from "../../src/program/program.js";
import { compareEngines } from "../../src/testing/agree.js";
import { fuzzRuns } from "../support/fuzz-runs.js";
import { generate, type GenCase } from "../support/verifier-gen.js";
import { generateCase, Rng, type Kind } from "../runtime/support/packet-programs.js";
import { openEngine, verifiedForCompile } from "../../src/engine/index.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { ENTRY } from "../../src/runtime/layout.js";

/**
 * Whether running `program` in the interpreter's fast mode overwrote its own pre-decoded code (a rejected
 * program can write anywhere in the runtime's memory, e.g. through a helper given a wild pointer). The
 * interpreter then runs the damaged entries while compiled code is out of reach: a known difference that
 * only unverified programs can show.
 */
function overwritesCode(program: Program, inputs: { data: Uint8Array }[]): boolean {
  const rt = loadProgram(program, { mode: "fast" });
  const code = rt.engine.programs.map((c) => rt.engine.mem.read(c.base, c.slots * ENTRY));
  for (const input of inputs) { try { rt.run(input); } catch { /* compared elsewhere */ } }
  return rt.engine.programs.some((c, i) => rt.engine.mem.read(c.base, c.slots * ENTRY).some((b, k) => b !== code[i]![k]));
}

const toProgram = (c: GenCase): Program => {
  const bytes = new Uint8Array(c.insns.length * 8);
  const dv = new DataView(bytes.buffer);
  c.insns.forEach((i, k) => {
    dv.setUint8(k * 8, i.code);
    dv.setUint8(k * 8 + 1, (i.src << 4) | (i.dst & 15));
    dv.setInt16(k * 8 + 2, i.off, true);
    dv.setInt32(k * 8 + 4, i.imm, true);
  });
  return { name: `gen_${c.id}`, section: c.type, insns: decode(bytes, { lenient: true }), maps: c.maps, license: c.license };
};

describe("compiled engine == interpreter", () => {
  it("on generated XDP and tc programs with packet access, maps, helpers and tail calls", () => {
    let compared = 0, verified = 0;
    const mismatches: string[] = [];
    for (const kind of ["xdp", "tc"] as Kind[]) {
      for (let seed = 1; seed <= fuzzRuns(60); seed++) {
        const c = generateCase(seed, kind);
        if (verifiedForCompile(c.programs, undefined).ok) verified++;
        for (const mode of ["fast", "checked"] as const) {
          const report = compareEngines(c.programs[0]!, c.inputs, { maps: c.maps, others: c.programs.slice(1), engines: ["interp", "compiled"], interpreter: { mode } });
          compared++;
          if (!report.agree) mismatches.push(`${c.name} (${mode}): ${report.text().split("\n").slice(0, 3).join("; ")}`);
        }
      }
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(compared).toBe(2 * 2 * fuzzRuns(60));
    expect(verified).toBeGreaterThan(fuzzRuns(60)); // the verifier's facts were in use for most of them
  });

  it("on the verifier's generated programs, accepted or rejected (fast-check seeds)", () => {
    const rng = new Rng(7);
    let ran = 0, accepted = 0, failedBoth = 0;
    const mismatches: string[] = [];
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
      for (const c of generate(seed, 4)) {
        let program: Program;
        try { program = toProgram(c); } catch { continue; }
        const inputs = [{ data: rng.bytes(64) }, { data: rng.bytes(14 + rng.int(20, 100)) }];
        let report;
        try {
          report = compareEngines(program, inputs, { engines: ["interp", "compiled"], interpreter: { mode: "fast" }, compareMaps: true });
        } catch (err) {
          // Both engines refuse at load time (unsupported helper or instruction): the same refusal for both.
          const a = (() => { try { openEngine(program, { engine: "interp", mode: "fast" }); return "ok"; } catch (e) { return String(e); } })();
          const b = (() => { try { openEngine(program, { engine: "compiled" }); return "ok"; } catch (e) { return String(e); } })();
          if (a !== b) mismatches.push(`${c.id}: load: interp ${a.split("\n")[0]} / compiled ${b.split("\n")[0]}`);
          void err;
          continue;
        }
        ran++;
        if (verifiedForCompile([program], undefined).ok) accepted++;
        if (report.results.every((r) => r.interp === undefined && r.compiled === undefined)) failedBoth++;
        if (!report.agree && !(verifiedForCompile([program], undefined).ok === false && overwritesCode(program, inputs))) {
          mismatches.push(`${c.id} (${c.family}): ${report.text().split("\n").slice(0, 2).join("; ")}`);
        }
      }
    }), { numRuns: fuzzRuns(150), seed: 1313 });
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(ran).toBeGreaterThan(fuzzRuns(150));
    expect(accepted).toBeGreaterThan(20);
    expect(failedBoth).toBeLessThan(ran);
  });
});

describe("batches", () => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  it("a compiled XDP batch (packets run inside WebAssembly) gives what single interpreter runs give", () => {
    let packets = 0, inWasm = 0;
    const mismatches: string[] = [];
    for (let seed = 1; seed <= fuzzRuns(60); seed++) {
      const c = generateCase(seed, "xdp");
      // Packets of several lengths, repeated: the batch must reset what each packet left behind.
      const inputs = [...c.inputs, ...c.inputs.map((x) => ({ data: x.data!.subarray(0, Math.max(14, x.data!.length - 7)) })), ...c.inputs];
      const single = openEngine(c.programs[0]!, { engine: "interp", mode: "fast", others: c.programs.slice(1) });
      const batched = openEngine(c.programs[0]!, { engine: "compiled", others: c.programs.slice(1) });
      for (const e of [single, batched]) for (const [name, entries] of Object.entries(c.maps)) for (const [k, v] of entries) e.maps.get(name)!.update(k, v);
      const a = inputs.map((x) => { try { return { ok: true as const, result: single.run(x) }; } catch (error) { return { ok: false as const, error: error as Error }; } });
      const b = batched.runBatch(inputs);
      if ((batched as { rt?: { engine: { batch?: unknown } } }).rt?.engine.batch) inWasm++;
      packets += inputs.length;
      a.forEach((x, i) => {
        const y = b[i]!;
        const sa = x.ok ? `${x.result.retval} ${hex(x.result.data)} ${x.result.trace.join("|")} ${JSON.stringify(x.result.redirect ?? null)}` : `error ${x.error.message.split("\n")[0]}`;
        const sb = y.ok ? `${y.result.retval} ${hex(y.result.data)} ${y.result.trace.join("|")} ${JSON.stringify(y.result.redirect ?? null)}` : `error ${y.error.message.split("\n")[0]}`;
        if (sa !== sb) mismatches.push(`${c.name} packet ${i}: single ${sa.slice(0, 200)} / batch ${sb.slice(0, 200)}`);
      });
      for (const [name, m] of single.maps) {
        if (["prog_array", "devmap"].includes(m.type)) continue;
        const ea = JSON.stringify(m.entries().map((e) => [hex(e.key), e.values.map(hex)]).sort());
        const eb = JSON.stringify(batched.maps.get(name)!.entries().map((e) => [hex(e.key), e.values.map(hex)]).sort());
        if (ea !== eb) mismatches.push(`${c.name}: map ${name} differs`);
      }
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(packets).toBe(fuzzRuns(60) * 6);
    expect(inWasm).toBeGreaterThan(fuzzRuns(60) / 2); // most ran through the WebAssembly batch driver
  });
});
