// xdp_feature_tour in the interpreter: .rodata config, .data/.bss globals, two bpf-to-bpf calls, a bounded
// loop and a tail call through a prog_array, observed through actions and the global-data maps (read by
// variable name from the object's BTF); then the same frames through the kernel.
import { describe, expect, it } from "vitest";
import { expectEnginesAgree } from "../../src/testing/agree.js";
import { buildPacket, verifyChecksums } from "../../src/packet/index.js";
import type { Program } from "../../src/program/index.js";
import { loadProgram, type Mode } from "../../src/runtime/runtime.js";
import { describeKernel } from "../support/kernel.js";
import { exampleProgram, globals, interpExample, loadExample, mapOf, MODES, u32le, enginesOf, type RunMode } from "./support/interp.js";

const XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2;
const MAX_SCAN = 64;
const sumOf = (b: Uint8Array, n: number) => b.subarray(0, Math.min(n, MAX_SCAN, b.length)).reduce((s, x) => s + x, 0);

/** The object's programs with .rodata rewritten, as a loader sets `const volatile` config before loading. */
function withConfig(scanLimit: number, minTtl: number): { main: Program; all: Program[] } {
  const obj = loadExample("xdp_feature_tour");
  const rodata = obj.maps.find((m) => m.name.endsWith(".rodata"))!;
  const sec = obj.btf!.types.find((t) => t.name === ".rodata" && t.secinfos)!;
  const value = rodata.initialValue!.slice();
  for (const si of sec.secinfos!) {
    const name = obj.btf!.types[si.type]!.name;
    const v = name === "scan_limit" ? scanLimit : name === "min_ttl" ? minTtl : undefined;
    if (v === undefined) continue;
    for (let i = 0; i < si.size; i++) value[si.offset + i] = (v >>> (8 * i)) & 0xff;
  }
  const all = obj.programs.map((p) => ({ ...p, maps: p.maps.map((m) => (m.name === rodata.name ? { ...m, initialValue: value } : m)) }));
  return { main: all.find((p) => p.name === "xdp_feature_tour")!, all };
}

describe.each(MODES)("xdp_feature_tour in the interpreter (%s mode)", (mode) => {
  const fresh = () => interpExample("xdp_feature_tour", { mode });

  it("starts with the object's global data and the prog_array slot the object names", () => {
    const rt = fresh();
    expect(globals(rt, "xdp_feature_tour", ".rodata")).toEqual({ scan_limit: 32, min_ttl: 2 });
    expect(globals(rt, "xdp_feature_tour", ".data")).toEqual({ packets_seen: 0n });
    expect(globals(rt, "xdp_feature_tour", ".bss")).toEqual({ last_prefix_sum: 0, dropped_low_ttl: 0n });
    expect(mapOf(rt, "jump_table").entries().map((e) => [e.key[0], new TextDecoder().decode(e.value as Uint8Array)])).toEqual([[0, "xdp_drop_stage"]]);
  });

  it("passes normal traffic untouched, summing the first scan_limit bytes in a subprogram loop", () => {
    const rt = fresh();
    const f = buildPacket({ ipv4: { ttl: 64 }, udp: {}, payload: "some payload bytes" });
    const r = rt.run({ data: f });
    expect(r.retval).toBe(XDP_PASS);
    expect(r.data).toEqual(f);
    expect(verifyChecksums(r.data).bad).toEqual([]);
    expect(globals(rt, "xdp_feature_tour", ".bss").last_prefix_sum).toBe(sumOf(f, 32));
    const short = Uint8Array.from({ length: 20 }, (_, i) => 200 + i); // shorter than scan_limit; not IPv4
    expect(rt.run({ data: short }).retval).toBe(XDP_PASS);
    expect(globals(rt, "xdp_feature_tour", ".bss").last_prefix_sum).toBe(sumOf(short, 20));
    expect(globals(rt, "xdp_feature_tour", ".data").packets_seen).toBe(2n);
  });

  it("tail-calls the drop stage for IPv4 with a TTL below min_ttl", () => {
    const rt = fresh();
    const frames = [
      buildPacket({ ipv4: { ttl: 1 }, udp: {} }),
      buildPacket({ ipv4: { ttl: 0 }, tcp: {} }),
      buildPacket({ ipv4: { ttl: 2 }, tcp: {} }),
      buildPacket({ ipv6: { hopLimit: 1 }, tcp: {} }), // only IPv4 is checked
      buildPacket({ vlan: { id: 4 }, ipv4: { ttl: 1 }, udp: {} }), // nor tagged frames
      buildPacket({ ipv4: { ttl: 1 }, udp: {} }).subarray(0, 14 + 19), // IPv4 header cut: no TTL to read
    ];
    const want = [XDP_DROP, XDP_DROP, XDP_PASS, XDP_PASS, XDP_PASS, XDP_PASS];
    expect(frames.map((f) => rt.run({ data: f }).retval)).toEqual(want);
    expect(globals(rt, "xdp_feature_tour", ".bss").dropped_low_ttl).toBe(2n);
    expect(globals(rt, "xdp_feature_tour", ".data").packets_seen).toBe(BigInt(frames.length));
    // The drop stage ran after prefix_sum: the last sum is that of the last frame.
    expect(globals(rt, "xdp_feature_tour", ".bss").last_prefix_sum).toBe(sumOf(frames.at(-1)!, 32));
  });

  it("returns XDP_ABORTED when the tail-call slot is empty", () => {
    const rt = fresh();
    expect(mapOf(rt, "jump_table").delete(u32le(0))).toBe(0);
    expect(rt.run({ data: buildPacket({ ipv4: { ttl: 1 }, udp: {} }) }).retval).toBe(XDP_ABORTED);
    expect(globals(rt, "xdp_feature_tour", ".bss").dropped_low_ttl).toBe(0n);
  });

  it("follows .rodata config set before loading", () => {
    const { main, all } = withConfig(8, 100);
    const rt = loadProgram(main, { mode: mode as Mode, others: all.filter((p) => p !== main) });
    expect(globals(rt, "xdp_feature_tour", ".rodata")).toEqual({ scan_limit: 8, min_ttl: 100 });
    const f = buildPacket({ ipv4: { ttl: 64 }, tcp: {} });
    expect(rt.run({ data: f }).retval).toBe(XDP_DROP); // 64 < 100
    expect(globals(rt, "xdp_feature_tour", ".bss").last_prefix_sum).toBe(sumOf(f, 8));
    expect(rt.run({ data: buildPacket({ ipv4: { ttl: 100 }, tcp: {} }) }).retval).toBe(XDP_PASS);
    // scan_limit above MAX_SCAN: the loop stops at 64 bytes.
    const big = withConfig(1000, 0);
    const rt2 = loadProgram(big.main, { mode: mode as Mode, others: big.all.filter((p) => p !== big.main) });
    const long = buildPacket({ ipv4: {}, udp: {}, payload: new Uint8Array(100).fill(0xff) });
    expect(rt2.run({ data: long }).retval).toBe(XDP_PASS);
    expect(globals(rt2, "xdp_feature_tour", ".bss").last_prefix_sum).toBe(sumOf(long, MAX_SCAN));
  });
});

describeKernel("xdp_feature_tour: interpreter and kernel agree", () => {
  const inputs = [
    { name: "udp ttl 64", data: buildPacket({ ipv4: { ttl: 64 }, udp: {}, payload: "some payload bytes" }) },
    { name: "short non-ip", data: Uint8Array.from({ length: 20 }, (_, i) => 200 + i) },
    { name: "ttl 1", data: buildPacket({ ipv4: { ttl: 1 }, udp: {} }) },
    { name: "ttl 0", data: buildPacket({ ipv4: { ttl: 0 }, tcp: {} }) },
    { name: "ttl 2", data: buildPacket({ ipv4: { ttl: 2 }, tcp: {} }) },
    { name: "ipv6 hop limit 1", data: buildPacket({ ipv6: { hopLimit: 1 }, tcp: {} }) },
    { name: "long frame", data: buildPacket({ ipv4: {}, udp: {}, payload: new Uint8Array(300).fill(0xab) }) },
    { name: "cut ip header", data: buildPacket({ ipv4: { ttl: 1 }, udp: {} }).subarray(0, 30) },
  ];
  for (const mode of MODES) {
    it(`agrees on actions and on .data/.bss after each frame (${mode} mode)`, () => {
      const obj = loadExample("xdp_feature_tour");
      const main = exampleProgram("xdp_feature_tour");
      const report = expectEnginesAgree(main, inputs, { others: obj.programs.filter((p) => p !== main), ...enginesOf(mode) });
      expect(report.results.map((r) => r.kernel!.retval)).toEqual([XDP_PASS, XDP_PASS, XDP_DROP, XDP_DROP, XDP_PASS, XDP_PASS, XDP_PASS, XDP_PASS]);
    });
  }
  it("agrees with .rodata config changed before loading", () => {
    const { main, all } = withConfig(12, 65);
    const report = expectEnginesAgree(main, inputs, { others: all.filter((p) => p !== main) });
    expect(report.results.map((r) => r.kernel!.retval)).toContain(XDP_DROP);
  });
});
