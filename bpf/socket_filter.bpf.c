// SPDX-License-Identifier: GPL-2.0 OR MIT
// socket_filter: a socket filter that keeps only IPv4 TCP segments to or from port 80, like the classic
// `tcpdump 'ip and tcp port 80'` filter, written with bpf_skb_load_bytes_relative (socket filters cannot
// read packet memory directly) and the __sk_buff fields protocol and len.
// Offsets are taken from the network header (BPF_HDR_START_NET), so the same filter works on packet
// sockets (data starts at the Ethernet header) and on IP-level sockets or BPF_PROG_TEST_RUN (data starts
// at the IP header). Returns the number of bytes to keep: the whole packet, or 0 to drop it.
//
// Maps: none.
// Try it: attach to a socket with setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(int)),
// or run it: bpftool prog run pinned PATH data_in frame.bin (see test/examples).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PORT 80

SEC("socket")
int socket_filter(struct __sk_buff *skb)
{
	struct iphdr ip;
	__be16 ports[2];
	__u32 l4;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) < 0)
		return 0;
	if (ip.protocol != IPPROTO_TCP || (ip.frag_off & bpf_htons(0x1fff)))
		return 0;
	l4 = ip.ihl * 4;
	if (l4 < sizeof(ip) || bpf_skb_load_bytes_relative(skb, l4, ports, sizeof(ports), BPF_HDR_START_NET) < 0)
		return 0;
	if (ports[0] == bpf_htons(PORT) || ports[1] == bpf_htons(PORT))
		return skb->len;
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
