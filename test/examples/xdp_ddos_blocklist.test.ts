// xdp_ddos_blocklist in the kernel (BPF_PROG_TEST_RUN via bpftool): blocked prefixes drop, the rest passes.
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildPacket, parseIpv4, parseIpv6 } from "../../src/packet/index.js";
import { describeKernel } from "../support/kernel.js";
import { cat, type Loaded, loadAll, mapDump, mapUpdate, perCpuSum, progRun, readU64, u32le, u64le, unload } from "./bpftool.js";

const XDP_DROP = 1, XDP_PASS = 2;

describeKernel("xdp_ddos_blocklist (kernel)", () => {
  let l: Loaded | undefined;
  const prog = () => `${l!.progs}/xdp_ddos_blocklist`;
  const map = (m: string) => `${l!.maps}/${m}`;
  beforeAll(() => {
    l = loadAll("xdp_ddos_blocklist");
    mapUpdate(map("blocklist_v4"), cat(u32le(24), parseIpv4("192.0.2.0")), u64le(0n));
    mapUpdate(map("blocklist_v4"), cat(u32le(32), parseIpv4("198.51.100.9")), u64le(0n));
    mapUpdate(map("blocklist_v6"), cat(u32le(48), parseIpv6("2001:db8:bad::")), u64le(0n));
  });
  afterAll(() => unload(l));

  const v4 = (src: string, vlan = false) => buildPacket({ vlan: vlan ? { id: 7 } : undefined, ipv4: { src }, udp: {}, payload: "attack?" });
  const v6 = (src: string) => buildPacket({ ipv6: { src }, tcp: {} });
  const prefixHits = (m: string, len: number) => {
    const e = mapDump(map(m)).find((x) => new DataView(x.key.buffer).getUint32(0, true) === len)!;
    return readU64(e.value!);
  };

  it("drops sources inside blocked prefixes and counts per prefix", () => {
    expect(progRun(prog(), v4("192.0.2.77")).retval).toBe(XDP_DROP);
    expect(progRun(prog(), v4("192.0.2.255", true)).retval).toBe(XDP_DROP); // behind a VLAN tag
    expect(progRun(prog(), v4("198.51.100.9")).retval).toBe(XDP_DROP);
    expect(progRun(prog(), v6("2001:db8:bad:ffff::1")).retval).toBe(XDP_DROP);
    expect(prefixHits("blocklist_v4", 24)).toBe(2n);
    expect(prefixHits("blocklist_v4", 32)).toBe(1n);
    expect(prefixHits("blocklist_v6", 48)).toBe(1n);
  });

  it("passes everything else unchanged", () => {
    for (const f of [v4("192.0.3.1"), v4("198.51.100.8"), v6("2001:db8:bae::1"), buildPacket({ payload: "not ip" })]) {
      const r = progRun(prog(), f);
      expect(r.retval).toBe(XDP_PASS);
      expect(r.data).toEqual(f);
    }
  });

  it("keeps per-CPU totals in stats", () => {
    // Totals over both tests above: 4 passes + 4 drops (3 v4, 1 v6).
    expect(perCpuSum(map("stats"), 0)).toBe(4n);
    expect(perCpuSum(map("stats"), 1)).toBe(3n);
    expect(perCpuSum(map("stats"), 2)).toBe(1n);
  });
});
