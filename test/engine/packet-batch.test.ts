// Packet batches with summary results (src/engine/batch.ts): the compiled engine runs XDP packets in place
// in its memory; whatever path a batch takes, every packet's retval, output bytes, instruction count and
// error, and the maps after, must be what single interpreter runs give (the interpreter is held to the
// kernel by test/runtime/kernel-diff-packet.test.ts; test/engine/packet-batch-kernel.test.ts compares batches
// with the kernel directly).
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/assembler.js";
import { loadPacketBatch, openEngine, runPackets, type BatchSummary, type BpfEngine, type EngineRunInput } from "../../src/engine/index.js";
import { generateCase } from "../runtime/support/packet-programs.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The interpreter's answer per packet, one run each, as a line to compare. */
function singleRuns(e: BpfEngine, inputs: readonly Uint8Array[]): string[] {
  return inputs.map((data) => {
    try {
      const r = e.run({ data });
      return `${r.retval} ${hex(r.data)} ${r.insnCount} ${r.trace.join("|")} ${JSON.stringify(r.redirect ?? null)}`;
    } catch (err) { return `error ${(err as Error).message.split("\n")[0]}`; }
  });
}
function summaryLines(s: BatchSummary): string[] {
  return Array.from({ length: s.count }, (_, i) => {
    const o = s.result(i);
    if (!o.ok) return `error ${o.error.message.split("\n")[0]}`;
    expect(o.result.retval).toBe(s.retval[i]);
    expect(o.result.data.length).toBe(s.length[i]);
    return `${s.retval[i]} ${hex(s.data(i))} ${s.insnCount[i]} ${o.result.trace.join("|")} ${JSON.stringify(o.result.redirect ?? null)}`;
  });
}
const mapsOf = (e: BpfEngine): string => JSON.stringify([...e.maps].filter(([, m]) => !["prog_array", "devmap"].includes(m.type))
  .map(([n, m]) => [n, m.entries().map((x) => [hex(x.key), x.values.map(hex)]).sort()]));

describe("packet batches", () => {
  it("compiled batches (in place where the program cannot move the packet) give what single interpreter runs give, run after run", () => {
    let inPlace = 0, packets = 0;
    const mismatches: string[] = [];
    for (let seed = 1; seed <= fuzzRuns(60); seed++) {
      const c = generateCase(seed, "xdp");
      // Packets of several lengths, repeated.
      const first = c.inputs.map((x) => x.data!);
      const inputs: Uint8Array[] = [...first, ...first.map((d) => d.subarray(0, Math.max(14, d.length - 7))), ...first];
      const single = openEngine(c.programs[0]!, { engine: "interp", mode: "fast", others: c.programs.slice(1) });
      const compiled = openEngine(c.programs[0]!, { engine: "compiled", others: c.programs.slice(1) });
      for (const e of [single, compiled]) for (const [name, entries] of Object.entries(c.maps)) for (const [k, v] of entries) e.maps.get(name)!.update(k, v);
      const batch = loadPacketBatch(compiled, inputs);
      if (batch.inPlace) inPlace++;
      packets += inputs.length;
      // Three runs: fresh packets twice (maps carry over), then each packet as the second run left it.
      const outputs: Uint8Array[] = [];
      for (const [k, restore] of [[0, true], [1, true], [2, false]] as const) {
        const want = singleRuns(single, restore ? inputs : outputs);
        const s = batch.run({ restore });
        const got = summaryLines(s);
        want.forEach((w, i) => { if (w !== got[i]) mismatches.push(`${c.name} run ${k} packet ${i}: interp ${w.slice(0, 160)} / batch ${got[i]!.slice(0, 160)}`); });
        const before = restore ? inputs : outputs.slice();
        for (let i = 0; i < s.count; i++) {
          if (s.errors.has(i)) { outputs[i] = before[i]!; continue; }
          const changed = hex(s.data(i)) !== hex(before[i]!);
          if (s.changed(i) !== changed) mismatches.push(`${c.name} run ${k} packet ${i}: changed() says ${s.changed(i)}`);
          outputs[i] = s.data(i);
        }
        if (mapsOf(single) !== mapsOf(compiled)) mismatches.push(`${c.name} run ${k}: maps differ`);
      }
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(packets).toBe(fuzzRuns(60) * 6);
    // The generator calls bpf_xdp_adjust_* often (those batches go through runBatch); the rest run in place.
    expect(inPlace).toBeGreaterThan(fuzzRuns(60) / 5);
  });

  const PROG = `.section xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto short
r5 = *(u8 *)(r2 + 0)
r5 += 1
*(u8 *)(r2 + 0) = r5
r0 = r5
exit
short:
r0 = 99
exit
`;
  const packets = [new Uint8Array(14).fill(1), new Uint8Array(20).fill(5), new Uint8Array(60).fill(250)];

  it("a verified program that cannot move the packet runs in place; one that can does not, with the same answers", () => {
    const inPlace = openEngine(assemble(PROG, { file: "bump.s" }), { engine: "compiled" });
    const moving = openEngine(assemble(PROG.replace("r2 = *(u32 *)(r1 + 0)", "r6 = r1\nr2 = 0\ncall bpf_xdp_adjust_head\nr1 = r6\nr2 = *(u32 *)(r1 + 0)"), { file: "moving.s" }), { engine: "compiled" });
    const a = loadPacketBatch(inPlace, packets), b = loadPacketBatch(moving, packets);
    expect([a.inPlace, b.inPlace]).toEqual([true, false]);
    const sa = a.run(), sb = b.run();
    expect([...sa.retval]).toEqual([2, 6, 251]);
    expect([...sb.retval]).toEqual([2, 6, 251]);
    expect(sa.data(2)[0]).toBe(251);
    expect([0, 1, 2].map((i) => sa.changed(i))).toEqual([true, true, true]);
    expect(sa.actions()).toEqual(new Map([[2, 1], [6, 1], [251, 1]]));
    // As the kernel's repeat: each packet as the previous run left it.
    expect([...a.run({ restore: false }).retval]).toEqual([3, 7, 252]);
    expect([...b.run({ restore: false }).retval]).toEqual([3, 7, 252]);
    expect([...a.run().retval]).toEqual([2, 6, 251]);
  });

  it("packets given as spans of one buffer run as the same packets given one by one", () => {
    const e = openEngine(assemble(PROG, { file: "bump.s" }), { engine: "compiled" });
    const bytes = new Uint8Array(200);
    const offsets = [3, 40, 100], lengths = [14, 20, 60];
    packets.forEach((p, i) => bytes.set(p, offsets[i]));
    const s = runPackets(e, { bytes, offsets, lengths });
    expect([...s.retval]).toEqual([2, 6, 251]);
    expect(hex(s.data(1))).toBe(hex(Uint8Array.from([6, ...new Uint8Array(19).fill(5)])));
    expect(bytes[40]).toBe(5); // the caller's buffer is left alone
  });

  it("a summary answers until its batch runs again; a later load replaces an earlier batch", () => {
    const e = openEngine(assemble(PROG, { file: "bump.s" }), { engine: "compiled" });
    const batch = loadPacketBatch(e, packets);
    const s1 = batch.run();
    expect(s1.changed(0)).toBe(true);
    const kept = s1.retval.slice();
    const s2 = batch.run({ restore: false });
    expect(() => s1.data(0)).toThrow(/ran again/);
    expect(() => s1.result(0)).toThrow(/ran again/);
    expect([...kept]).toEqual([2, 6, 251]);
    expect(s2.data(0)[0]).toBe(3);
    expect(s2.changed(0)).toBe(true); // against the packet as the first run left it
    loadPacketBatch(e, packets);
    expect(() => batch.run()).toThrow(/replaced/);
  });

  it("a batch asked for a CPU the engine lacks fails with a clear error, and the engine runs the next batch", () => {
    const e = openEngine(assemble(PROG, { file: "bump.s" }), { engine: "compiled" });
    const bad = loadPacketBatch(e, packets, { cpu: 999 });
    expect(() => bad.run()).toThrow(/cpu 999 does not exist/);
    const batch = loadPacketBatch(e, packets);
    const first = batch.run({ restore: false });
    expect(first.data(0)[0]).toBe(2); // the first run of the packets as loaded
  });

  it("faults are reported per packet and the batch goes on", () => {
    const e = openEngine(assemble(".section xdp\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 20\nif r4 > r3 goto out\nr0 = 2\nexit\nout:\nr0 = 1\nr1 = 0\nloop:\nr1 += 1\nif r1 < 2000 goto loop\nexit\n", { file: "budget.s" }), { engine: "compiled", budget: 1000 });
    const s = runPackets(e, [new Uint8Array(14), new Uint8Array(30), new Uint8Array(14)]);
    expect([...s.errors.keys()]).toEqual([0, 2]);
    expect(s.retval[1]).toBe(2);
    expect(s.result(0).ok).toBe(false);
  });

  it("every engine gives a summary (the interpreter through its runBatch)", () => {
    const p = assemble(PROG, { file: "bump.s" });
    const inputs: EngineRunInput[] = packets.map((data) => ({ data }));
    const interp = openEngine(p, { engine: "interp" });
    const b = loadPacketBatch(interp, packets);
    expect(b.inPlace).toBe(false);
    const s = b.run();
    expect([...s.retval]).toEqual(interp.runBatch(inputs).map((o) => (o.ok ? o.result.retval : -1)));
    expect([...s.retval]).toEqual([2, 6, 251]);
    expect([...b.run({ restore: false }).retval]).toEqual([3, 7, 252]);
  });
});

describe("bpf/ XDP examples as batches", () => {
  const ip = (s: string): number[] => s.split(".").map(Number);
  const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  const cat = (...xs: Uint8Array[]): Uint8Array => Uint8Array.from(xs.flatMap((x) => [...x]));
  const cases: [string, Record<string, [Uint8Array, Uint8Array][]>][] = [
    ["xdp_lb", {
      services: [[cat(Uint8Array.from(ip("10.0.0.100")), Uint8Array.of(0, 80, 6, 0)), cat(u32(3), u32(0))]],
      backends: [0, 1, 2].map((i) => [u32(i), cat(Uint8Array.from(ip(`192.168.1.${10 + i}`)), Uint8Array.of(2, 0, 0, 0, 1, 16 + i), new Uint8Array(2))]),
    }],
    ["xdp_ddos_blocklist", { blocklist_v4: [[cat(u32(24), Uint8Array.of(192, 0, 2, 0)), new Uint8Array(8)]] }],
    ["xdp_feature_tour", {}],
  ];
  for (const [name, maps] of cases) {
    it(`${name}: a capture replayed as one compiled batch keeps what single interpreter runs keep`, async () => {
      const { loadPrograms } = await import("../../src/load/node.js");
      const { readCapture, replayCapture } = await import("../../src/packet/index.js");
      const { replayCaptureBatch } = await import("../../src/engine/index.js");
      const { readFileSync, readdirSync } = await import("node:fs");
      const dir = new URL("../../bpf/packets/", import.meta.url);
      const capture = readCapture(readFileSync(new URL("mixed.pcap", dir)));
      const hexPackets = readdirSync(dir).filter((f) => f.endsWith(".hex")).map((f) => Buffer.from(readFileSync(new URL(f, dir), "utf8").replace(/\s+/g, ""), "hex"));
      const packets = [...capture.packets, ...hexPackets.map((d, i) => ({ timestamp: BigInt(i), data: new Uint8Array(d), originalLength: d.length }))];
      const all = await loadPrograms(new URL(`../../bpf/${name}.bpf.o`, import.meta.url).pathname);
      const open = (engine: "interp" | "compiled"): BpfEngine => {
        const e = openEngine(all[0]!, { engine, others: all.slice(1), ...(engine === "interp" ? { mode: "fast" as const } : {}) });
        for (const [m, es] of Object.entries(maps)) for (const [k, v] of es) e.maps.get(m)!.update(k, v);
        return e;
      };
      const interp = open("interp"), compiled = open("compiled");
      const keep = (rv: number | bigint): boolean => Number(rv) !== 1; // all but XDP_DROP
      const a = await replayCapture(packets, (d) => interp.run({ data: d }), keep);
      const batch = loadPacketBatch(compiled, packets.map((p) => p.data));
      expect(batch.inPlace).toBe(true);
      const b = replayCaptureBatch(compiled, packets, keep);
      expect([...b.summary.retval]).toEqual(a.results.map((r) => Number(r.retval)));
      expect(b.packets.map((p) => [p.timestamp, hex(p.data)])).toEqual(a.packets.map((p) => [p.timestamp, hex(p.data)]));
      expect(mapsOf(compiled)).toBe(mapsOf(interp));
      // the packets take different paths through the program (xdp_feature_tour passes every packet alike)
      if (name !== "xdp_feature_tour") expect(new Set(b.summary.retval).size).toBeGreaterThan(1);
    });
  }
});
