// tc_policy in the interpreter: per-direction, per-protocol packet and byte counters (per CPU), skb->mark =
// 0xb0000000 | protocol on IP packets, and drops of blocked destination port/protocol pairs counted per rule,
// on frames built with src/packet; then the same frames (with a __sk_buff ctx) through the kernel.
import { describe, expect, it } from "vitest";
import { compareEngines, expectEnginesAgree } from "../../src/testing/agree.js";
import { buildPacket, parsePacket } from "../../src/packet/index.js";
import type { RuntimeProgram } from "../../src/runtime/runtime.js";
import { describeKernel } from "../support/kernel.js";
import { exampleProgram, interpExample, mapOf, MODES, perCpuSum, perCpuValues, readU32, readU64, seed, u16be, u64le, enginesOf, type RunMode } from "./support/interp.js";

const TC_ACT_OK = 0, TC_ACT_SHOT = 2;
const MARK_BASE = 0xb0000000;
const mark = (proto: number) => (MARK_BASE | proto) >>> 0;
const SKB_SIZE = 192; // sizeof(struct __sk_buff) on 6.18
const MARK_OFFSET = 8; // struct __sk_buff { __u32 len, pkt_type, mark; ... }
const INGRESS = 0, EGRESS = 1;
type Dir = "tc_ingress" | "tc_egress";

const portKey = (port: number, proto: number) => Uint8Array.of(...u16be(port), proto, 0);
const BLOCKED = [[22, 6], [5353, 17]] as const;

function fresh(program: Dir, mode: RunMode): RuntimeProgram {
  const rt = interpExample("tc_policy", { program, mode });
  for (const [port, proto] of BLOCKED) seed(rt, "blocked_ports", portKey(port, proto), u64le(0n));
  return rt;
}
function run(rt: RuntimeProgram, data: Uint8Array, cpu = 0) {
  const r = rt.run({ data, ctx: new Uint8Array(SKB_SIZE), cpu });
  return { ret: r.retval, action: r.action, mark: readU32(r.ctx!, MARK_OFFSET), data: r.data };
}
const drops = (rt: RuntimeProgram) =>
  Object.fromEntries(mapOf(rt, "blocked_ports").entries().map((e) => [`${e.key[2]}/${(e.key[0]! << 8) | e.key[1]!}`, readU64(e.value as Uint8Array)]));

// What the policy must do with a frame, from its headers as src/packet parses them (the documented logic).
function expected(frame: Uint8Array): { ret: number; mark: number; proto?: number } {
  const p = parsePacket(frame);
  if (p.vlans.length || (!p.ipv4 && !p.ipv6)) return { ret: TC_ACT_OK, mark: 0 };
  const proto = p.ipv4 ? p.ipv4.protocol : p.ipv6!.nextHeader;
  const laterFragment = p.ipv4 ? p.ipv4.fragOffset !== 0 : false;
  const port = p.tcp?.dstPort ?? p.udp?.dstPort;
  const blocked = !laterFragment && port !== undefined && BLOCKED.some(([bp, bproto]) => bp === port && bproto === proto);
  return { ret: blocked ? TC_ACT_SHOT : TC_ACT_OK, mark: mark(proto), proto };
}

describe.each(MODES)("tc_policy in the interpreter (%s mode)", (mode) => {
  for (const [dir, d] of [["tc_ingress", INGRESS], ["tc_egress", EGRESS]] as const) {
    it(`${dir}: marks, counts and filters a mix of IPv4/IPv6 TCP/UDP/ICMP traffic`, () => {
      const rt = fresh(dir, mode);
      const frames = [
        buildPacket({ ipv4: {}, tcp: { dstPort: 80 }, payload: "GET /" }),
        buildPacket({ ipv4: {}, tcp: { dstPort: 22 } }),
        buildPacket({ ipv4: {}, udp: { dstPort: 53 }, payload: "q" }),
        buildPacket({ ipv4: {}, udp: { dstPort: 5353 }, payload: new Uint8Array(40) }),
        buildPacket({ ipv4: {}, udp: { dstPort: 22 } }), // udp/22 is not blocked
        buildPacket({ ipv4: {}, tcp: { dstPort: 5353 } }), // nor tcp/5353
        buildPacket({ ipv4: {}, icmp: {} }),
        buildPacket({ ipv6: {}, tcp: { dstPort: 22 }, payload: "ssh" }),
        buildPacket({ ipv6: {}, udp: { dstPort: 5353 } }),
        buildPacket({ ipv6: {}, icmpv6: {} }),
        buildPacket({ ipv4: { options: Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1) }, tcp: { dstPort: 22 } }), // ports after options
        buildPacket({ ipv4: { mf: true }, tcp: { dstPort: 22 } }), // first fragment: has ports
        buildPacket({ ipv4: { fragOffset: 10 }, tcp: { dstPort: 22 } }), // later fragment: no ports
      ];
      const counts = new Map<number, { packets: bigint; bytes: bigint }>();
      let shot = 0;
      for (const [i, f] of frames.entries()) {
        const want = expected(f);
        const r = run(rt, f);
        expect(r, `frame ${i}`).toMatchObject({ ret: want.ret, mark: want.mark });
        expect(r.action).toBe(want.ret === TC_ACT_SHOT ? "TC_ACT_SHOT" : "TC_ACT_OK");
        expect(r.data, `frame ${i}`).toEqual(f); // the packet is never written
        const c = counts.get(want.proto!) ?? { packets: 0n, bytes: 0n };
        counts.set(want.proto!, { packets: c.packets + 1n, bytes: c.bytes + BigInt(f.length) });
        if (want.ret === TC_ACT_SHOT) shot++;
      }
      expect(shot).toBe(6);
      expect(drops(rt)).toEqual({ "6/22": 4n, "17/5353": 2n });
      for (const [proto, c] of counts) {
        expect(perCpuSum(rt, "proto_stats", d * 256 + proto, 0), `packets proto ${proto}`).toBe(c.packets);
        expect(perCpuSum(rt, "proto_stats", d * 256 + proto, 8), `bytes proto ${proto}`).toBe(c.bytes);
        expect(perCpuSum(rt, "proto_stats", (1 - d) * 256 + proto, 0)).toBe(0n); // the other direction untouched
      }
    });
  }

  // (IP frames cut inside their IP header never reach a tc program: BPF_PROG_TEST_RUN refuses them, see below.)
  it("leaves non-IP and VLAN-tagged frames alone (not counted, not marked)", () => {
    const rt = fresh("tc_ingress", mode);
    const frames = [
      buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }),
      buildPacket({ eth: { type: 0x88cc } }), // LLDP-like, Ethernet header only
      buildPacket({ vlan: { id: 3 }, ipv4: {}, tcp: { dstPort: 22 } }), // the program does not look into tags
      buildPacket({ vlan: { id: 3, tpid: 0x88a8 }, ipv6: {}, udp: { dstPort: 5353 } }),
    ];
    for (const f of frames) expect(run(rt, f)).toMatchObject({ ret: TC_ACT_OK, mark: 0 });
    for (const m of mapOf(rt, "proto_stats").entries()) for (const v of m.value as Uint8Array[]) expect(readU64(v) + readU64(v, 8)).toBe(0n);
    expect(drops(rt)).toEqual({ "6/22": 0n, "17/5353": 0n });
  });

  it("counts and marks, but cannot match, an IP packet whose ports are cut off", () => {
    const rt = fresh("tc_ingress", mode);
    const cut = buildPacket({ ipv4: {}, tcp: { dstPort: 22 } }).subarray(0, 14 + 20 + 3); // dport needs 4 bytes
    expect(run(rt, cut)).toMatchObject({ ret: TC_ACT_OK, mark: mark(6) });
    expect(perCpuSum(rt, "proto_stats", 6)).toBe(1n);
    expect(perCpuSum(rt, "proto_stats", 6, 8)).toBe(BigInt(cut.length));
    // Four bytes are enough to see the destination port.
    expect(run(rt, buildPacket({ ipv4: {}, tcp: { dstPort: 22 } }).subarray(0, 14 + 20 + 4)).ret).toBe(TC_ACT_SHOT);
  });

  it("counts IPv6 extension headers under their own number", () => {
    const rt = fresh("tc_egress", mode);
    // Hop-by-hop options (next header 0, then No Next Header): counted as protocol 0, never matched.
    const hbh = Uint8Array.of(59, 0, 1, 4, 0, 0, 0, 0);
    const f = buildPacket({ ipv6: { nextHeader: 0 }, payload: hbh });
    expect(parsePacket(f).ipv6!.nextHeader).toBe(0);
    expect(run(rt, f)).toMatchObject({ ret: TC_ACT_OK, mark: mark(0) });
    expect(perCpuSum(rt, "proto_stats", 256 + 0)).toBe(1n);
  });

  it("keeps counters per CPU and rule counters shared", () => {
    const rt = fresh("tc_ingress", mode);
    const f = buildPacket({ ipv4: {}, tcp: { dstPort: 22 } });
    run(rt, f, 0);
    run(rt, f, 3);
    run(rt, buildPacket({ ipv4: {}, tcp: { dstPort: 443 } }), 3);
    expect(perCpuValues(rt, "proto_stats", 6)).toEqual([1n, 0n, 0n, 2n]);
    expect(drops(rt)["6/22"]).toBe(2n);
  });

  it("keeps the ctx fields it does not write as the test passed them", () => {
    const rt = fresh("tc_ingress", mode);
    const ctx = new Uint8Array(SKB_SIZE);
    new DataView(ctx.buffer).setUint32(MARK_OFFSET, 0x1234, true);
    new DataView(ctx.buffer).setUint32(32, 7, true); // priority
    const ip = rt.run({ data: buildPacket({ ipv4: {}, udp: {} }), ctx });
    expect(readU32(ip.ctx!, MARK_OFFSET)).toBe(mark(17)); // overwritten
    expect(readU32(ip.ctx!, 32)).toBe(7);
    const arp = rt.run({ data: buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }), ctx });
    expect(readU32(arp.ctx!, MARK_OFFSET)).toBe(0x1234); // untouched on non-IP
  });
});

describeKernel("tc_policy: interpreter and kernel agree", () => {
  const frames = [
    { name: "v4 tcp/80", data: buildPacket({ ipv4: {}, tcp: { dstPort: 80 }, payload: "GET /" }) },
    { name: "v4 tcp/22", data: buildPacket({ ipv4: {}, tcp: { dstPort: 22 } }) },
    { name: "v4 udp/5353", data: buildPacket({ ipv4: {}, udp: { dstPort: 5353 }, payload: new Uint8Array(40) }) },
    { name: "v4 udp/22", data: buildPacket({ ipv4: {}, udp: { dstPort: 22 } }) },
    { name: "v4 icmp", data: buildPacket({ ipv4: {}, icmp: {} }) },
    { name: "v4 options tcp/22", data: buildPacket({ ipv4: { options: Uint8Array.of(1, 1, 1, 1) }, tcp: { dstPort: 22 } }) },
    { name: "v4 later fragment", data: buildPacket({ ipv4: { fragOffset: 10 }, tcp: { dstPort: 22 } }) },
    { name: "v6 tcp/22", data: buildPacket({ ipv6: {}, tcp: { dstPort: 22 } }) },
    { name: "v6 icmpv6", data: buildPacket({ ipv6: {}, icmpv6: {} }) },
    { name: "v6 hop-by-hop", data: buildPacket({ ipv6: { nextHeader: 0 }, payload: Uint8Array.of(59, 0, 1, 4, 0, 0, 0, 0) }) },
    { name: "vlan", data: buildPacket({ vlan: { id: 3 }, ipv4: {}, tcp: { dstPort: 22 } }) },
    { name: "arp", data: buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }) },
    { name: "ports cut", data: buildPacket({ ipv4: {}, tcp: { dstPort: 22 } }).subarray(0, 14 + 20 + 3) },
  ];
  const withCtx = frames.map((i) => ({ ...i, ctx: new Uint8Array(SKB_SIZE) }));
  const maps = { blocked_ports: BLOCKED.map(([port, proto]) => [portKey(port, proto), u64le(0n)] as const) };
  for (const program of ["tc_ingress", "tc_egress"] as const) {
    for (const mode of MODES) {
      it(`${program}: agrees on verdicts, packets and maps (${mode} mode)`, () => {
        const report = expectEnginesAgree(exampleProgram("tc_policy", program), frames, { maps, ...enginesOf(mode) });
        expect(new Set(report.results.map((r) => r.kernel!.retval))).toEqual(new Set([TC_ACT_OK, TC_ACT_SHOT]));
      });
      it(`${program}: writes the same skb->mark (${mode} mode)`, () => {
        const report = compareEngines(exampleProgram("tc_policy", program), withCtx, { maps, ...enginesOf(mode) });
        const marks = report.results.map((r) => [readU32(Object.values(r)[0]!.ctx!, MARK_OFFSET), readU32(r.kernel!.ctx!, MARK_OFFSET)]);
        expect(marks.map(([i]) => i)).toEqual(marks.map(([, k]) => k));
        expect(marks.map(([, k]) => k)).toContain(mark(17));
        expect(report.differences.filter((d) => d.what !== "ctx")).toEqual([]);
      });
    }
  }
  // The whole __sk_buff that comes back: the kernel copies back only what a test may set (mark, priority,
  // cb, tstamp, wire_len, gso_segs...) and leaves len/pkt_type/protocol zero.
  it("returns the same whole __sk_buff as the kernel", () => {
    expectEnginesAgree(exampleProgram("tc_policy", "tc_ingress"), withCtx, { maps });
  });
  // BPF_PROG_TEST_RUN refuses skb runs on IP frames too short for their IP header (EINVAL).
  it("refuses IPv4/IPv6 frames shorter than their IP header, as the kernel does", () => {
    const report = compareEngines(exampleProgram("tc_policy", "tc_ingress"), [
      { name: "v4 header cut", data: buildPacket({ ipv4: {}, tcp: { dstPort: 22 } }).subarray(0, 14 + 19) },
      { name: "v6 header cut", data: buildPacket({ ipv6: {}, tcp: { dstPort: 22 } }).subarray(0, 14 + 39) },
    ], { maps });
    expect(report.results.map((r) => r.kernel)).toEqual([undefined, undefined]); // the kernel refused both
    expect(report.results.map((r) => r[report.engines[0]!])).toEqual([undefined, undefined]);
  });
});
