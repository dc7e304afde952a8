// SPDX-License-Identifier: GPL-2.0 OR MIT
// xdp_ddos_blocklist: drop packets whose source address falls in a blocked IPv4 or IPv6 prefix.
//
// Maps:
//   blocklist_v4  lpm_trie  {prefixlen, 4-byte address}  -> u64 packets dropped by that prefix
//   blocklist_v6  lpm_trie  {prefixlen, 16-byte address} -> u64 packets dropped by that prefix
//   stats         percpu_array[STAT_MAX] u64: passed, dropped v4, dropped v6 (one slot per CPU: no atomics)
// Frames with one 802.1Q/802.1ad tag are looked into too; everything that is not blocked passes.
//
// Try it:
//   bpftool prog loadall bpf/xdp_ddos_blocklist.bpf.o /sys/fs/bpf/ddos pinmaps /sys/fs/bpf/ddos_maps
//   bpftool map update pinned /sys/fs/bpf/ddos_maps/blocklist_v4 key 24 0 0 0 192 0 2 0 value 0 0 0 0 0 0 0 0
//   (block 192.0.2.0/24), then attach: ip link set dev eth0 xdpgeneric pinned /sys/fs/bpf/ddos/xdp_ddos_blocklist
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct lpm_v4_key {
	__u32 prefixlen; // bits of addr that must match, 0-32
	__u8 addr[4];    // network byte order
};

struct lpm_v6_key {
	__u32 prefixlen; // 0-128
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4_key);
	__type(value, __u64);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC); // the kernel requires it for LPM tries
} blocklist_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v6_key);
	__type(value, __u64);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist_v6 SEC(".maps");

enum { STAT_PASS, STAT_DROP_V4, STAT_DROP_V6, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STAT_MAX);
} stats SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

static __always_inline int count(__u32 slot, int action)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &slot);
	if (n)
		*n += 1; // per-CPU slot: no other CPU writes it
	return action;
}

SEC("xdp")
int xdp_ddos_blocklist(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u16 proto;
	__u64 *hits;

	if ((void *)(eth + 1) > data_end)
		return count(STAT_PASS, XDP_PASS);
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vlan = l3;
		if ((void *)(vlan + 1) > data_end)
			return count(STAT_PASS, XDP_PASS);
		proto = vlan->encapsulated_proto;
		l3 = vlan + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		struct lpm_v4_key key = { .prefixlen = 32 };
		if ((void *)(ip + 1) > data_end)
			return count(STAT_PASS, XDP_PASS);
		__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
		hits = bpf_map_lookup_elem(&blocklist_v4, &key);
		if (hits) {
			__sync_fetch_and_add(hits, 1); // shared between CPUs
			return count(STAT_DROP_V4, XDP_DROP);
		}
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		struct lpm_v6_key key = { .prefixlen = 128 };
		if ((void *)(ip6 + 1) > data_end)
			return count(STAT_PASS, XDP_PASS);
		__builtin_memcpy(key.addr, &ip6->saddr, sizeof(key.addr));
		hits = bpf_map_lookup_elem(&blocklist_v6, &key);
		if (hits) {
			__sync_fetch_and_add(hits, 1);
			return count(STAT_DROP_V6, XDP_DROP);
		}
	}
	return count(STAT_PASS, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
