// Writes the sample inputs in bpf/packets/ with the packet builders of src/packet, so they can be
// regenerated and checked (test/examples/xdp_ddos_blocklist.interp.test.ts compares the committed files with
// what this script builds):
//
//   npx tsx scripts/make-sample-packets.ts [--check]
//
// *.hex: one frame as a single line of hex, for `bpfkit run FILE --data "$(cat bpf/packets/NAME.hex)"`.
// mixed.pcap: a few frames of different kinds (microsecond pcap, Ethernet), for `bpfkit run FILE --pcap`.
// Addresses: 192.0.2.0/24 and 2001:db8:bad::/48 are the prefixes the xdp_ddos_blocklist examples block;
// 10.0.0.100 is the xdp_lb examples' VIP.
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildPacket, writePcap } from "../src/packet/index.js";

const CLIENT = "02:00:00:00:00:cc", HOST = "02:00:00:00:00:aa";

/** Every sample frame by file stem (bpf/packets/<stem>.hex). */
export const SAMPLE_FRAMES: Record<string, Uint8Array> = {
  // A TCP SYN from a blocked source (192.0.2.0/24) to a web server.
  blocked_ipv4: buildPacket({ eth: { src: CLIENT, dst: HOST }, ipv4: { src: "192.0.2.10", dst: "198.51.100.1", id: 1 }, tcp: { srcPort: 40000, dstPort: 80, seq: 1, flags: "SYN" } }),
  // The same SYN from an allowed source.
  allowed_ipv4: buildPacket({ eth: { src: CLIENT, dst: HOST }, ipv4: { src: "203.0.113.5", dst: "198.51.100.1", id: 2 }, tcp: { srcPort: 40001, dstPort: 80, seq: 1, flags: "SYN" } }),
  // A UDP datagram from a blocked IPv6 prefix (2001:db8:bad::/48).
  blocked_ipv6: buildPacket({ eth: { src: CLIENT, dst: HOST }, ipv6: { src: "2001:db8:bad::10", dst: "2001:db8::1" }, udp: { srcPort: 5000, dstPort: 53 }, payload: "query" }),
  // An HTTP request to the load balancer's VIP (xdp_lb) -- also what socket_filter keeps.
  lb_vip_tcp: buildPacket({ eth: { src: CLIENT, dst: HOST }, ipv4: { src: "172.16.0.1", dst: "10.0.0.100", id: 3 }, tcp: { srcPort: 41000, dstPort: 80, seq: 1000 }, payload: "GET / HTTP/1.1\r\n\r\n" }),
};

/** The frames of mixed.pcap, in order. */
export const MIXED: Uint8Array[] = [
  SAMPLE_FRAMES.blocked_ipv4!,
  SAMPLE_FRAMES.allowed_ipv4!,
  SAMPLE_FRAMES.blocked_ipv6!,
  SAMPLE_FRAMES.lb_vip_tcp!,
  buildPacket({ eth: { src: CLIENT, dst: HOST }, vlan: { id: 100 }, ipv4: { src: "192.0.2.77", dst: "198.51.100.1" }, udp: { srcPort: 123, dstPort: 123 }, payload: new Uint8Array(48) }),
  buildPacket({ eth: { src: CLIENT, dst: "ff:ff:ff:ff:ff:ff", type: 0x0806 }, payload: new Uint8Array(28) }),
  buildPacket({ eth: { src: CLIENT, dst: HOST }, ipv4: { src: "203.0.113.5", dst: "198.51.100.1", ttl: 1 }, icmp: { id: 7, seq: 1 }, payload: "ping" }),
];

const T0 = 1_700_000_000_000_000_000n; // fixed, so the file is reproducible

/** Every sample file's name and bytes. */
export function sampleFiles(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [stem, frame] of Object.entries(SAMPLE_FRAMES)) {
    out.set(`${stem}.hex`, new TextEncoder().encode(Array.from(frame, (b) => b.toString(16).padStart(2, "0")).join("") + "\n"));
  }
  out.set("mixed.pcap", writePcap(MIXED.map((data, i) => ({ timestamp: T0 + BigInt(i) * 1_000_000n, data, originalLength: data.length }))));
  return out;
}

export const PACKETS_DIR = resolve(import.meta.dirname, "../bpf/packets");

function main(): void {
  const check = process.argv.includes("--check");
  mkdirSync(PACKETS_DIR, { recursive: true });
  let stale = 0;
  for (const [name, bytes] of sampleFiles()) {
    const file = join(PACKETS_DIR, name);
    if (check) {
      let old: Uint8Array | undefined;
      try { old = new Uint8Array(readFileSync(file)); } catch { /* missing */ }
      if (!old || Buffer.compare(Buffer.from(old), Buffer.from(bytes)) !== 0) { console.error(`${file}: out of date (run npx tsx scripts/make-sample-packets.ts)`); stale++; }
    } else {
      writeFileSync(file, bytes);
      console.log(`wrote ${file} (${bytes.length} bytes)`);
    }
  }
  if (stale) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
