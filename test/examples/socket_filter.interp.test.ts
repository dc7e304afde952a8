// socket_filter in the interpreter: keep IPv4 TCP segments to or from port 80 (return skb->len), drop the
// rest (0). Frames are built with src/packet; the expected verdict is derived from the parsed headers and the
// filter's documented rule, then the kernel runs the same frames and must agree.
import { describe, expect, it } from "vitest";
import { expectEnginesAgree } from "../../src/testing/agree.js";
import { buildPacket, parsePacket, verifyChecksums } from "../../src/packet/index.js";
import type { RuntimeProgram } from "../../src/runtime/runtime.js";
import { describeKernel } from "../support/kernel.js";
import { exampleProgram, interpExample, MODES, enginesOf, type RunMode } from "./support/interp.js";

const ETH_HLEN = 14;

// `tcpdump 'ip and tcp port 80'` on an unfragmented-or-first fragment, from the parsed frame.
function keeps(frame: Uint8Array): boolean {
  const p = parsePacket(frame);
  if (p.vlans.length || !p.ipv4 || p.ipv4.protocol !== 6 || p.ipv4.fragOffset !== 0 || !p.tcp) return false;
  return p.tcp.srcPort === 80 || p.tcp.dstPort === 80;
}

const FRAMES: { name: string; data: Uint8Array }[] = [
  { name: "tcp to 80", data: buildPacket({ ipv4: {}, tcp: { dstPort: 80 }, payload: "GET / HTTP/1.1\r\n" }) },
  { name: "tcp from 80", data: buildPacket({ ipv4: { src: "192.0.2.80" }, tcp: { srcPort: 80, dstPort: 51000 }, payload: "HTTP/1.1 200 OK\r\n" }) },
  { name: "tcp 80 with IP options (IHL 6)", data: buildPacket({ ipv4: { options: Uint8Array.of(0x94, 4, 0, 0) }, tcp: { dstPort: 80 } }) },
  { name: "tcp 80 first fragment", data: buildPacket({ ipv4: { mf: true }, tcp: { dstPort: 80 }, payload: "x" }) },
  { name: "tcp 80 padded to 60 bytes", data: buildPacket({ ipv4: {}, tcp: { dstPort: 80, flags: "SYN" }, minLength: 60 }) },
  { name: "tcp 443", data: buildPacket({ ipv4: {}, tcp: { dstPort: 443 } }) },
  { name: "udp 80", data: buildPacket({ ipv4: {}, udp: { dstPort: 80 }, payload: "q" }) },
  { name: "icmp", data: buildPacket({ ipv4: {}, icmp: {} }) },
  { name: "ipv6 tcp 80", data: buildPacket({ ipv6: {}, tcp: { dstPort: 80 } }) },
  { name: "later fragment", data: buildPacket({ ipv4: { fragOffset: 3 }, tcp: { dstPort: 80 } }) },
  // Option bytes that read as "port 80" if the filter ignored the IHL and took the ports at offset 20.
  { name: "options that look like port 80", data: buildPacket({ ipv4: { options: Uint8Array.of(1, 1, 0, 80) }, tcp: { srcPort: 5000, dstPort: 443 } }) },
  { name: "vlan-tagged tcp 80", data: buildPacket({ vlan: { id: 9 }, ipv4: {}, tcp: { dstPort: 80 } }) },
  { name: "not ip", data: buildPacket({ payload: "not ip" }) },
  { name: "arp", data: buildPacket({ eth: { type: 0x0806 }, payload: new Uint8Array(28) }) },
];

describe.each(MODES)("socket_filter in the interpreter (%s mode)", (mode) => {
  let rt: RuntimeProgram;
  const load = () => (rt ??= interpExample("socket_filter", { mode }));

  it("keeps IPv4 TCP port 80 in either direction (returns skb->len) and drops the rest (0)", () => {
    let kept = 0;
    for (const f of FRAMES) {
      const r = load().run({ data: f.data });
      // BPF_PROG_TEST_RUN pulls the Ethernet header: skb->len is the IP datagram plus any link padding.
      const want = keeps(f.data) ? f.data.length - ETH_HLEN : 0;
      expect(r.retval, f.name).toBe(want);
      if (want) kept++;
    }
    expect(kept).toBe(5);
  });

  it("hands the packet back unchanged from the IP header on, checksums intact", () => {
    for (const f of FRAMES.slice(0, 5)) {
      const r = load().run({ data: f.data });
      expect(r.data.length).toBe(f.data.length);
      expect(r.data.subarray(ETH_HLEN)).toEqual(f.data.subarray(ETH_HLEN));
      const ip = r.data.subarray(ETH_HLEN);
      expect(parsePacket(ip, { link: "ip" }).tcp).toBeDefined();
      expect(verifyChecksums(ip, { link: "ip" }).bad).toEqual([]);
    }
  });

  it("drops a segment whose ports lie past the end of the packet", () => {
    const full = buildPacket({ ipv4: {}, tcp: { dstPort: 80 } });
    // The IP header is whole, the TCP header stops after the source port: the second load fails.
    expect(load().run({ data: full.subarray(0, ETH_HLEN + 20 + 2) }).retval).toBe(0);
    expect(load().run({ data: full.subarray(0, ETH_HLEN + 20 + 4) }).retval).toBe(20 + 4);
  });
});

describeKernel("socket_filter: interpreter and kernel agree", () => {
  const full = buildPacket({ ipv4: {}, tcp: { dstPort: 80 } });
  const inputs = [...FRAMES, { name: "ports cut", data: full.subarray(0, ETH_HLEN + 20 + 2) }, { name: "ports whole", data: full.subarray(0, ETH_HLEN + 24) }];
  for (const mode of MODES) {
    it(`agrees on every verdict and output packet (${mode} mode)`, () => {
      const report = expectEnginesAgree(exampleProgram("socket_filter"), inputs, { ...enginesOf(mode) });
      expect(report.results.filter((r) => r.kernel!.retval !== 0).length).toBe(6);
    });
  }
});
