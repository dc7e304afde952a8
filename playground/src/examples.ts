// The bpf/ examples: each object (built by `npm run build:bpf` from its C source, both committed), the
// packets that show what it does and the map entries it needs, as the playground opens them. The objects
// and sources are bundled (a few kB each), so an example opens offline and from file://.
import blocklistC from "../../bpf/xdp_ddos_blocklist.bpf.c?raw";
import blocklistO from "../../bpf/xdp_ddos_blocklist.bpf.o?inline";
import lbC from "../../bpf/xdp_lb.bpf.c?raw";
import lbO from "../../bpf/xdp_lb.bpf.o?inline";
import tcC from "../../bpf/tc_policy.bpf.c?raw";
import tcO from "../../bpf/tc_policy.bpf.o?inline";
import sfC from "../../bpf/socket_filter.bpf.c?raw";
import sfO from "../../bpf/socket_filter.bpf.o?inline";
import sockopsC from "../../bpf/sockops_redir.bpf.c?raw";
import sockopsO from "../../bpf/sockops_redir.bpf.o?inline";
import tourC from "../../bpf/xdp_feature_tour.bpf.c?raw";
import tourO from "../../bpf/xdp_feature_tour.bpf.o?inline";
import blockedV4 from "../../bpf/packets/blocked_ipv4.hex?raw";
import allowedV4 from "../../bpf/packets/allowed_ipv4.hex?raw";
import blockedV6 from "../../bpf/packets/blocked_ipv6.hex?raw";
import lbVip from "../../bpf/packets/lb_vip_tcp.hex?raw";
import { fieldsOf, hexLines, type PacketInput } from "./packets.js";
import type { packet } from "../../src/index.js";

type PacketSpec = packet.PacketSpec;

export interface Example {
  id: string;
  title: string;
  /** One paragraph: what it does and what to try. */
  about: string;
  file: string;
  /** The object's bytes. */
  object(): Uint8Array;
  /** Its C source. */
  source: string;
  /** The program to open (objects with several programs). */
  program: string;
  packets: PacketInput[];
  /** Map entries in the Maps tab's text form (by BTF type), key -> value. */
  maps: Record<string, [string, string][]>;
}

/** Bytes of a `data:...;base64,` URL (what Vite's `?inline` gives for a binary file). */
function dataUrlBytes(url: string): Uint8Array {
  const s = atob(url.slice(url.indexOf(",") + 1));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

const built = (label: string, spec: PacketSpec): PacketInput => ({ kind: "build", label, fields: fieldsOf(spec) });
const hex = (label: string, text: string): PacketInput => ({ kind: "hex", label, hex: hexLines(text) });

export const EXAMPLES: readonly Example[] = [
  {
    id: "xdp_ddos_blocklist", title: "DDoS blocklist (XDP)", file: "xdp_ddos_blocklist.bpf.o", program: "xdp_ddos_blocklist",
    about: "Drops packets whose source address is in an LPM-trie blocklist (IPv4 and IPv6, looking through one VLAN tag), counting drops per prefix and per CPU. Run the blocked packet: XDP_DROP and the prefix's counter rises; the allowed one passes.",
    object: () => dataUrlBytes(blocklistO), source: blocklistC,
    packets: [hex("blocked_ipv4.hex (192.0.2.10)", blockedV4), hex("allowed_ipv4.hex (203.0.113.5)", allowedV4), hex("blocked_ipv6.hex (2001:db8:bad::1)", blockedV6),
      built("VLAN 7, from 192.0.2.99", { vlan: { id: 7 }, ipv4: { src: "192.0.2.99", dst: "10.0.0.2" }, tcp: { dstPort: 443 } })],
    maps: {
      blocklist_v4: [["{prefixlen: 24, addr: 192.0.2.0}", "0"], ["{prefixlen: 8, addr: 10.0.0.0}", "0"]],
      blocklist_v6: [["{prefixlen: 48, addr: 2001:db8:bad::}", "0"]],
    },
  },
  {
    id: "xdp_lb", title: "L4 load balancer (XDP)", file: "xdp_lb.bpf.o", program: "xdp_lb",
    about: "Hashes the 5-tuple of packets to a virtual IP onto a backend, rewrites destination address and MACs with incremental checksums, and sends the packet back out (XDP_TX). Run the VIP packet and look at the changed bytes.",
    object: () => dataUrlBytes(lbO), source: lbC,
    packets: [hex("lb_vip_tcp.hex (to 10.0.0.100:80)", lbVip),
      built("UDP to 10.0.0.100:53", { eth: { src: "02:00:00:00:00:cc", dst: "02:00:00:00:00:aa" }, ipv4: { src: "172.16.0.1", dst: "10.0.0.100" }, udp: { srcPort: 5000, dstPort: 53 }, payload: "query" }),
      built("not a VIP", { ipv4: { src: "172.16.0.1", dst: "10.0.0.7" }, tcp: { dstPort: 80 } })],
    maps: {
      services: [["{vip: 10.0.0.100, port: 80, proto: 6, pad: 0}", "{count: 3, first: 0}"], ["{vip: 10.0.0.100, port: 53, proto: 17, pad: 0}", "{count: 1, first: 3}"]],
      backends: [["0", "{ip: 192.168.1.10, mac: 02:00:00:00:01:10, pad: 0}"], ["1", "{ip: 192.168.1.11, mac: 02:00:00:00:01:11, pad: 0}"],
        ["2", "{ip: 192.168.1.12, mac: 02:00:00:00:01:12, pad: 0}"], ["3", "{ip: 192.168.2.20, mac: 02:00:00:00:02:20, pad: 0}"]],
    },
  },
  {
    id: "tc_policy", title: "tc policy (tc ingress)", file: "tc_policy.bpf.o", program: "tc_ingress",
    about: "Counts packets and bytes per protocol, marks each packet (skb->mark) and drops TCP/UDP destination ports listed in blocked_ports. Try ssh (tcp/22, blocked) and a web request.",
    object: () => dataUrlBytes(tcO), source: tcC,
    packets: [built("TCP to port 22 (blocked)", { ipv4: {}, tcp: { dstPort: 22 } }), built("TCP to port 80", { ipv4: {}, tcp: { dstPort: 80 }, payload: "GET /" }),
      built("UDP to 5353 (blocked)", { ipv4: {}, udp: { dstPort: 5353 }, payload: "mdns" })],
    maps: { blocked_ports: [["{port: 22, proto: 6, pad: 0}", "0"], ["{port: 5353, proto: 17, pad: 0}", "0"]] },
  },
  {
    id: "socket_filter", title: "Socket filter", file: "socket_filter.bpf.o", program: "socket_filter",
    about: "Keeps only IPv4 TCP segments to or from port 80 (returns the bytes to keep), reading headers with bpf_skb_load_bytes_relative as socket filters must.",
    object: () => dataUrlBytes(sfO), source: sfC,
    packets: [built("TCP to port 80 (kept)", { ipv4: {}, tcp: { dstPort: 80 }, payload: "GET /" }), built("UDP to 53 (dropped)", { ipv4: {}, udp: { dstPort: 53 }, payload: "q" })],
    maps: {},
  },
  {
    id: "sockops_redir", title: "sockops redirect (sockops + sk_msg)", file: "sockops_redir.bpf.o", program: "sockops_established",
    about: "Sidecar acceleration: a sockops program records established TCP sockets in a sockhash, and an sk_msg program redirects each message straight to the peer socket. These run on sockets, not packets: verify them here.",
    object: () => dataUrlBytes(sockopsO), source: sockopsC,
    packets: [],
    maps: {},
  },
  {
    id: "xdp_feature_tour", title: "Feature tour (XDP: globals, calls, loop, tail call)", file: "xdp_feature_tour.bpf.o", program: "xdp_feature_tour",
    about: "Global data in .rodata/.data/.bss, two bpf-to-bpf calls, a bounded loop and a tail call through a prog_array: IPv4 packets with a TTL below min_ttl go to the drop stage. Step through it to watch the calls.",
    object: () => dataUrlBytes(tourO), source: tourC,
    packets: [built("TTL 64 (passes)", { ipv4: { ttl: 64 }, udp: {}, payload: "abcdef" }), built("TTL 1 (tail call, dropped)", { ipv4: { ttl: 1 }, udp: {}, payload: "abcdef" })],
    maps: {},
  },
];

export const exampleById = (id: string): Example | undefined => EXAMPLES.find((e) => e.id === id);
