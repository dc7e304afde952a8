// tc_policy in the kernel: per-protocol counters per direction, skb->mark, drops by destination port.
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildPacket } from "../../src/packet/index.js";
import { describeKernel } from "../support/kernel.js";
import { type Loaded, loadAll, mapDump, mapUpdate, perCpuSum, progRun, readU32, readU64, u64le, unload } from "./bpftool.js";

const TC_ACT_OK = 0, TC_ACT_SHOT = 2;
const SKB_SIZE = 192; // sizeof(struct __sk_buff); ctx_in/ctx_out let us read skb->mark back
const MARK_OFFSET = 8; // struct __sk_buff { __u32 len, pkt_type, mark; ... }

describeKernel("tc_policy (kernel)", () => {
  let l: Loaded | undefined;
  const map = (m: string) => `${l!.maps}/${m}`;
  const run = (p: "tc_ingress" | "tc_egress", f: Uint8Array) => {
    const r = progRun(`${l!.progs}/${p}`, f, new Uint8Array(SKB_SIZE));
    return { ret: r.retval, mark: readU32(r.ctx!, MARK_OFFSET), data: r.data };
  };
  beforeAll(() => {
    l = loadAll("tc_policy");
    mapUpdate(map("blocked_ports"), Uint8Array.of(0, 22, 6, 0), u64le(0n)); // tcp/22
    mapUpdate(map("blocked_ports"), Uint8Array.of(0x14, 0xe9, 17, 0), u64le(0n)); // udp/5353
  });
  afterAll(() => unload(l));

  it("marks IP packets with their protocol and lets allowed ones through", () => {
    expect(run("tc_ingress", buildPacket({ ipv4: {}, tcp: { dstPort: 80 } }))).toMatchObject({ ret: TC_ACT_OK, mark: 0xb0000006 });
    expect(run("tc_ingress", buildPacket({ ipv4: {}, udp: { dstPort: 53 }, payload: "q" }))).toMatchObject({ ret: TC_ACT_OK, mark: 0xb0000011 });
    expect(run("tc_egress", buildPacket({ ipv6: {}, icmpv6: {} }))).toMatchObject({ ret: TC_ACT_OK, mark: 0xb000003a });
    expect(run("tc_egress", buildPacket({ ipv4: {}, udp: { dstPort: 22 } }))).toMatchObject({ ret: TC_ACT_OK, mark: 0xb0000011 }); // udp/22 is allowed
    // Not IP: neither counted nor marked.
    expect(run("tc_ingress", buildPacket({ payload: "arp?" }))).toMatchObject({ ret: TC_ACT_OK, mark: 0 });
  });

  it("drops blocked destination ports and counts the drops per rule", () => {
    expect(run("tc_ingress", buildPacket({ ipv4: {}, tcp: { dstPort: 22 } })).ret).toBe(TC_ACT_SHOT);
    expect(run("tc_egress", buildPacket({ ipv6: {}, tcp: { dstPort: 22 } })).ret).toBe(TC_ACT_SHOT);
    expect(run("tc_ingress", buildPacket({ ipv4: {}, udp: { dstPort: 5353 } })).ret).toBe(TC_ACT_SHOT);
    // A later fragment has no ports: not matched even though its bytes look like port 22.
    expect(run("tc_ingress", buildPacket({ ipv4: { fragOffset: 10 }, tcp: { dstPort: 22 } })).ret).toBe(TC_ACT_OK);
    const drops = Object.fromEntries(mapDump(map("blocked_ports")).map((e) => [`${e.key[2]}/${(e.key[0]! << 8) | e.key[1]!}`, readU64(e.value!)]));
    expect(drops).toEqual({ "6/22": 2n, "17/5353": 1n });
  });

  it("counts packets and bytes per direction and protocol", () => {
    const f = buildPacket({ ipv4: {}, tcp: { dstPort: 443 }, payload: new Uint8Array(100) });
    const before = perCpuSum(map("proto_stats"), 6, 0), beforeBytes = perCpuSum(map("proto_stats"), 6, 8);
    run("tc_ingress", f);
    expect(perCpuSum(map("proto_stats"), 6, 0)).toBe(before + 1n);
    expect(perCpuSum(map("proto_stats"), 6, 8)).toBe(beforeBytes + BigInt(f.length));
    // Totals over the tests above: ingress tcp 3 (80, 22, fragment) + this one; egress tcp 1, icmpv6 1, udp 1.
    expect(perCpuSum(map("proto_stats"), 6)).toBe(4n);
    expect(perCpuSum(map("proto_stats"), 17)).toBe(2n);
    expect(perCpuSum(map("proto_stats"), 256 + 6)).toBe(1n);
    expect(perCpuSum(map("proto_stats"), 256 + 58)).toBe(1n);
    expect(perCpuSum(map("proto_stats"), 256 + 17)).toBe(1n);
  });
});
