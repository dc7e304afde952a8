// xdp_feature_tour in the kernel: global data in .rodata/.data/.bss, bpf-to-bpf calls, a bounded loop
// and a tail call, observed through the program's results and its global-data maps.
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildPacket } from "../../src/packet/index.js";
import { describeKernel } from "../support/kernel.js";
import { globalMap, globals, type Loaded, loadAll, mapDump, progRun, unload } from "./bpftool.js";

const XDP_DROP = 1, XDP_PASS = 2;
const sumOf = (b: Uint8Array, n: number) => b.subarray(0, n).reduce((s, x) => s + x, 0);

describeKernel("xdp_feature_tour (kernel)", () => {
  let l: Loaded | undefined;
  const run = (f: Uint8Array) => progRun(`${l!.progs}/xdp_feature_tour`, f).retval;
  beforeAll(() => { l = loadAll("xdp_feature_tour"); });
  afterAll(() => unload(l));

  it("has its config in .rodata and the prog_array slot filled by the loader", () => {
    expect(globals(globalMap(l!, "rodata"))).toEqual({ scan_limit: 32, min_ttl: 2 });
    expect(globals(globalMap(l!, "data"))).toEqual({ packets_seen: 0 });
    expect(globals(globalMap(l!, "bss"))).toEqual({ last_prefix_sum: 0, dropped_low_ttl: 0 });
    expect(mapDump(`${l!.maps}/jump_table`).map((e) => e.key[0])).toEqual([0]);
  });

  it("passes normal traffic, summing the first scan_limit bytes in a subprogram loop", () => {
    const f = buildPacket({ ipv4: { ttl: 64 }, udp: {}, payload: "some payload bytes" });
    expect(run(f)).toBe(XDP_PASS);
    expect(globals(globalMap(l!, "bss")).last_prefix_sum).toBe(sumOf(f, 32));
    const short = Uint8Array.from({ length: 20 }, (_, i) => 200 + i); // shorter than scan_limit; not IPv4
    expect(run(short)).toBe(XDP_PASS);
    expect(globals(globalMap(l!, "bss")).last_prefix_sum).toBe(sumOf(short, 20));
  });

  it("tail-calls the drop stage for IPv4 TTL below min_ttl", () => {
    expect(run(buildPacket({ ipv4: { ttl: 1 }, udp: {} }))).toBe(XDP_DROP);
    expect(run(buildPacket({ ipv4: { ttl: 0 }, tcp: {} }))).toBe(XDP_DROP);
    expect(run(buildPacket({ ipv4: { ttl: 2 }, tcp: {} }))).toBe(XDP_PASS);
    expect(run(buildPacket({ ipv6: { hopLimit: 1 }, tcp: {} }))).toBe(XDP_PASS); // only IPv4 is checked
    expect(globals(globalMap(l!, "bss")).dropped_low_ttl).toBe(2);
    expect(globals(globalMap(l!, "data")).packets_seen).toBe(6);
  });
});
