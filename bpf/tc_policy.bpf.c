// SPDX-License-Identifier: GPL-2.0 OR MIT
// tc_policy: a traffic-control classifier for ingress and egress (direct action) that
//   - counts packets and bytes per IP protocol (per CPU, per direction),
//   - marks each IP packet (skb->mark = MARK_BASE | protocol) so routing rules or iptables can match it,
//   - drops packets to a blocked destination port/protocol, counting the drops per rule.
//
// Maps:
//   proto_stats    percpu_array[2 * 256] {packets, bytes}: index = direction * 256 + IP protocol
//   blocked_ports  hash {port (network order), proto} -> u64 packets dropped
//
// Try it:
//   tc qdisc add dev eth0 clsact
//   tc filter add dev eth0 ingress bpf direct-action obj bpf/tc_policy.bpf.o sec tc
//   (tc loads the first program in section "tc", tc_ingress; bpftool prog loadall loads both)
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MARK_BASE 0xb0000000u
enum { DIR_INGRESS, DIR_EGRESS };

struct proto_counter {
	__u64 packets;
	__u64 bytes;
};

struct port_key {
	__be16 port;
	__u8 proto;
	__u8 pad; // must be 0
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct proto_counter);
	__uint(max_entries, 2 * 256);
} proto_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct port_key);
	__type(value, __u64);
	__uint(max_entries, 1024);
} blocked_ports SEC(".maps");

static __always_inline int policy(struct __sk_buff *skb, __u32 dir)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct port_key key = {};
	struct proto_counter *c;
	void *l4;
	__u8 proto;
	__u32 idx;
	__u64 *drops;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return TC_ACT_OK;
		proto = ip->protocol;
		// Later fragments have no L4 header: count them but never match a port.
		l4 = (ip->frag_off & bpf_htons(0x1fff)) ? 0 : (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_OK;
		proto = ip6->nexthdr; // extension headers are counted under their own number
		l4 = ip6 + 1;
	} else {
		return TC_ACT_OK;
	}

	idx = dir * 256 + proto;
	c = bpf_map_lookup_elem(&proto_stats, &idx);
	if (c) {
		c->packets++;
		c->bytes += skb->len;
	}
	skb->mark = MARK_BASE | proto;

	if (l4 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		// The destination port is at offset 2 in both headers.
		__be16 *ports = l4;
		if ((void *)(ports + 2) > data_end)
			return TC_ACT_OK;
		key.port = ports[1];
		key.proto = proto;
		drops = bpf_map_lookup_elem(&blocked_ports, &key);
		if (drops) {
			__sync_fetch_and_add(drops, 1);
			return TC_ACT_SHOT;
		}
	}
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	return policy(skb, DIR_INGRESS);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return policy(skb, DIR_EGRESS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
