// Packet batches against the kernel: every packet of a compiled batch (run in place) must give the retval
// and output packet BPF_PROG_TEST_RUN gives for it, and the maps must end alike: on the bpf/ XDP examples
// with their packets and capture, and on the generated XDP programs that cannot move the packet.
import { readFileSync, readdirSync } from "node:fs";
import { expect, it } from "vitest";
import { loadPacketBatch, openEngine, type BpfEngine } from "../../src/engine/index.js";
import { openKernelEngine } from "../../src/kernel/testrun.js";
import { loadPrograms } from "../../src/load/node.js";
import { readCapture } from "../../src/packet/index.js";
import { describeKernel } from "../support/kernel.js";
import { fuzzRuns } from "../support/fuzz-runs.js";
import { generateCase } from "../runtime/support/packet-programs.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
const cat = (...xs: Uint8Array[]): Uint8Array => Uint8Array.from(xs.flatMap((x) => [...x]));
const ip = (s: string): Uint8Array => Uint8Array.from(s.split(".").map(Number));
/** Map contents with per-CPU values summed over CPUs (the kernel picks its CPU, the local engines use CPU 0). */
const mapsOf = (e: BpfEngine): string => JSON.stringify([...e.maps].filter(([, m]) => !["prog_array", "devmap"].includes(m.type))
  .map(([n, m]) => [n, m.entries().map((x) => [hex(x.key), hex(x.values.reduce((acc, v) => {
    if (x.values.length === 1) return v;
    const out = new Uint8Array(v.length); const dv = new DataView(out.buffer), a = new DataView(acc.buffer, acc.byteOffset), b = new DataView(v.buffer, v.byteOffset);
    for (let o = 0; o + 8 <= v.length; o += 8) dv.setBigUint64(o, a.getBigUint64(o, true) + b.getBigUint64(o, true), true);
    return out;
  }, new Uint8Array(x.values[0]!.length)))]).sort()]));

describeKernel("packet batches vs the kernel", () => {
  const dir = new URL("../../bpf/packets/", import.meta.url);
  const packets = [
    ...readCapture(readFileSync(new URL("mixed.pcap", dir))).packets.map((p) => p.data),
    ...readdirSync(dir).filter((f) => f.endsWith(".hex")).map((f) => new Uint8Array(Buffer.from(readFileSync(new URL(f, dir), "utf8").replace(/\s+/g, ""), "hex"))),
  ];
  const examples: [string, Record<string, [Uint8Array, Uint8Array][]>][] = [
    ["xdp_lb", {
      services: [[cat(ip("10.0.0.100"), Uint8Array.of(0, 80, 6, 0)), cat(u32(3), u32(0))]],
      backends: [0, 1, 2].map((i) => [u32(i), cat(ip(`192.168.1.${10 + i}`), Uint8Array.of(2, 0, 0, 0, 1, 16 + i), new Uint8Array(2))]),
    }],
    ["xdp_ddos_blocklist", { blocklist_v4: [[cat(u32(24), Uint8Array.of(192, 0, 2, 0)), new Uint8Array(8)]] }],
    ["xdp_feature_tour", {}],
  ];
  for (const [name, maps] of examples) {
    it(`${name}: a compiled batch gives the kernel's retval and packet for every packet, and its maps`, async () => {
      const all = await loadPrograms(new URL(`../../bpf/${name}.bpf.o`, import.meta.url).pathname);
      const compiled = openEngine(all[0]!, { engine: "compiled", others: all.slice(1) });
      const kernel = openKernelEngine(all[0]!, { others: all.slice(1) });
      try {
        for (const e of [compiled, kernel]) for (const [m, es] of Object.entries(maps)) for (const [k, v] of es) e.maps.get(m)!.update(k, v);
        const batch = loadPacketBatch(compiled, packets);
        expect(batch.inPlace).toBe(true);
        const s = batch.run();
        const got = packets.map((_, i) => `${s.retval[i]} ${hex(s.data(i))}`);
        const want = packets.map((data) => { const r = kernel.run({ data }); return `${r.retval} ${hex(r.data)}`; });
        expect(got).toEqual(want);
        expect(mapsOf(compiled)).toBe(mapsOf(kernel));
      } finally { kernel.close(); }
    });
  }

  it("generated XDP programs that run in place give the kernel's answers packet by packet", () => {
    let compared = 0;
    const mismatches: string[] = [];
    for (let seed = 1; seed <= fuzzRuns(40); seed++) {
      const c = generateCase(seed, "xdp");
      const compiled = openEngine(c.programs[0]!, { engine: "compiled", others: c.programs.slice(1) });
      const inputs = c.inputs.map((x) => x.data!);
      const batch = loadPacketBatch(compiled, inputs);
      if (!batch.inPlace) continue;
      let kernel: BpfEngine;
      try { kernel = openKernelEngine(c.programs[0]!, { others: c.programs.slice(1) }); } catch { continue; } // refused by the kernel: not comparable
      try {
        for (const e of [compiled, kernel]) for (const [name, entries] of Object.entries(c.maps)) for (const [k, v] of entries) e.maps.get(name)!.update(k, v);
        const s = batch.run();
        inputs.forEach((data, i) => {
          let want: string;
          try { const r = kernel.run({ data }); want = `${r.retval} ${hex(r.data)}`; } catch (err) { want = `error ${(err as Error).message.split("\n")[0]}`; }
          const got = s.errors.has(i) ? `error ${s.errors.get(i)!.message.split("\n")[0]}` : `${s.retval[i]} ${hex(s.data(i))}`;
          if (got !== want) mismatches.push(`${c.name} packet ${i}: kernel ${want.slice(0, 120)} / batch ${got.slice(0, 120)}`);
        });
        compared++;
      } finally { kernel.close(); }
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(compared).toBeGreaterThan(fuzzRuns(40) / 6);
  });
});
