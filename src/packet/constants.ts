// Numbers from the IEEE and IANA registries that the builders and parsers share.
export const ETH_P = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IPPROTO = { HOPOPTS: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, ROUTING: 43, FRAGMENT: 44, ICMPV6: 58, NONE: 59, DSTOPTS: 60 } as const;
export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;
export type TcpFlagName = keyof typeof TCP_FLAG;

export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
export const TCP_HLEN = 20;
export const UDP_HLEN = 8;
export const ICMP_HLEN = 8;

/** Offset of the checksum field inside each transport header. */
export const L4_CSUM_OFFSET = { tcp: 16, udp: 6, icmp: 2, icmpv6: 2 } as const;

/** Names of the flags set in a TCP flags byte, lowest bit first ("SYN", "ACK"). */
export function tcpFlagNames(flags: number): TcpFlagName[] {
  return (Object.keys(TCP_FLAG) as TcpFlagName[]).filter((n) => (flags & TCP_FLAG[n]) !== 0);
}
