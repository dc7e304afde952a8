// socket_filter in the kernel: keep IPv4 TCP to or from port 80 (return the length), drop the rest (0).
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildPacket } from "../../src/packet/index.js";
import { describeKernel } from "../support/kernel.js";
import { type Loaded, loadAll, progRun, unload } from "./bpftool.js";

describeKernel("socket_filter (kernel)", () => {
  let l: Loaded | undefined;
  beforeAll(() => { l = loadAll("socket_filter"); });
  afterAll(() => unload(l));
  const run = (f: Uint8Array) => progRun(`${l!.progs}/socket_filter`, f).retval;

  it("keeps IPv4 TCP port 80 in either direction, options or not", () => {
    for (const f of [
      buildPacket({ ipv4: {}, tcp: { dstPort: 80 }, payload: "GET / HTTP/1.1\r\n" }),
      buildPacket({ ipv4: {}, tcp: { srcPort: 80, dstPort: 51000 } }),
      buildPacket({ ipv4: { options: Uint8Array.of(0x94, 4, 0, 0) }, tcp: { dstPort: 80 } }), // router alert: IHL 6
    ]) expect(run(f)).toBe(f.length - 14); // BPF_PROG_TEST_RUN pulls the Ethernet header: skb->len excludes it
  });

  it("drops everything else", () => {
    for (const f of [
      buildPacket({ ipv4: {}, tcp: { dstPort: 443 } }),
      buildPacket({ ipv4: {}, udp: { dstPort: 80 } }),
      buildPacket({ ipv6: {}, tcp: { dstPort: 80 } }),
      buildPacket({ ipv4: { fragOffset: 3 }, tcp: { dstPort: 80 } }),
      // Option bytes that read as "port 80" if the filter ignored the IHL and took the ports at offset 20.
      buildPacket({ ipv4: { options: Uint8Array.of(1, 1, 0, 80) }, tcp: { srcPort: 5000, dstPort: 443 } }),
      buildPacket({ payload: "not ip" }),
    ]) expect(run(f)).toBe(0);
  });
});
