// SPDX-License-Identifier: GPL-2.0 OR MIT
// xdp_lb: a small layer-4 load balancer in the style of a direct-server-return L4 balancer.
// IPv4 TCP/UDP packets to a virtual service (VIP:port/protocol) are sent to one of its backends, chosen by
// a hash of the 5-tuple (so a flow always reaches the same backend): the destination IP and MAC are
// rewritten, the source MAC becomes the old destination (this host), the IPv4 and TCP/UDP checksums are
// updated incrementally (RFC 1624) and the frame goes back out of the same interface (XDP_TX).
// Everything else passes to the stack.
//
// Maps:
//   services  hash   {vip, port, proto}         -> {backend count, index of the first backend}
//   backends  array  u32 index (max 256)        -> {IPv4 address, MAC}
//   lb_stats  percpu_array[LB_STAT_MAX] u64: forwarded, passed (not a service), no backend
//
// Try it: load with bpftool prog loadall ... pinmaps DIR, fill `backends` and `services` with bpftool map
// update, attach with ip link set dev eth0 xdpgeneric pinned DIR/xdp_lb. The interpreter tests in
// test/examples build packets to the VIP and check the rewritten frame.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct service_key {
	__be32 vip;
	__be16 port;
	__u8 proto; // IPPROTO_TCP or IPPROTO_UDP
	__u8 pad;   // must be 0: hash keys compare all bytes
};

struct service {
	__u32 count; // number of backends, 1..MAX_BACKENDS
	__u32 first; // index of the first one in `backends`
};

struct backend {
	__be32 ip;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

#define MAX_BACKENDS 256

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct service_key);
	__type(value, struct service);
	__uint(max_entries, 64);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(max_entries, MAX_BACKENDS);
} backends SEC(".maps");

enum { LB_STAT_FORWARDED, LB_STAT_PASSED, LB_STAT_NO_BACKEND, LB_STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, LB_STAT_MAX);
} lb_stats SEC(".maps");

static __always_inline int count(__u32 slot, int action)
{
	__u64 *n = bpf_map_lookup_elem(&lb_stats, &slot);
	if (n)
		*n += 1;
	return action;
}

// Ones'-complement fold of a 32-bit sum to 16 bits.
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

// RFC 1624 eqn. 3 for a 32-bit field: HC' = ~(~HC + ~m + m'), word by word. Values are in network
// order as loaded from the packet; the ones'-complement sum is byte-order independent.
static __always_inline __u16 csum_replace4(__u16 check, __be32 from, __be32 to)
{
	__u32 sum = (__u16)~check;
	sum += (__u16)~(from & 0xffff) + (__u16)~(from >> 16);
	sum += (to & 0xffff) + (to >> 16);
	return ~csum_fold(sum);
}

// FNV-1a over the 5-tuple: cheap, and good enough to spread flows over a handful of backends.
static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport, __u8 proto)
{
	__u32 h = 2166136261u;
	__u32 words[4] = { saddr, daddr, ((__u32)sport << 16) | dport, proto };
#pragma unroll
	for (int i = 0; i < 4; i++) {
		h ^= words[i];
		h *= 16777619u;
	}
	return h;
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct service_key key = {};
	struct service *svc;
	struct backend *be;
	__be16 *l4_check;
	__be16 sport, dport;
	__u32 idx;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(LB_STAT_PASSED, XDP_PASS);
	ip = (void *)(eth + 1);
	// Options would move the L4 header; real balancers punt such packets to the stack too.
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)))
		return count(LB_STAT_PASSED, XDP_PASS);

	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > data_end)
			return count(LB_STAT_PASSED, XDP_PASS);
		sport = tcp->source;
		dport = tcp->dest;
		l4_check = &tcp->check;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return count(LB_STAT_PASSED, XDP_PASS);
		sport = udp->source;
		dport = udp->dest;
		l4_check = &udp->check;
	} else {
		return count(LB_STAT_PASSED, XDP_PASS);
	}

	key.vip = ip->daddr;
	key.port = dport;
	key.proto = ip->protocol;
	svc = bpf_map_lookup_elem(&services, &key);
	if (!svc)
		return count(LB_STAT_PASSED, XDP_PASS);
	if (svc->count == 0 || svc->count > MAX_BACKENDS)
		return count(LB_STAT_NO_BACKEND, XDP_DROP);
	idx = svc->first + flow_hash(ip->saddr, ip->daddr, sport, dport, ip->protocol) % svc->count;
	be = bpf_map_lookup_elem(&backends, &idx);
	if (!be || be->ip == 0)
		return count(LB_STAT_NO_BACKEND, XDP_DROP);

	// The destination address is in the IPv4 header and in the TCP/UDP pseudo-header: fix both sums.
	ip->check = csum_replace4(ip->check, ip->daddr, be->ip);
	// A UDP checksum of 0 means "none" and stays 0.
	if (ip->protocol == IPPROTO_TCP || *l4_check != 0) {
		__u16 c = csum_replace4(*l4_check, ip->daddr, be->ip);
		*l4_check = (ip->protocol == IPPROTO_UDP && c == 0) ? 0xffff : c;
	}
	ip->daddr = be->ip;
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	return count(LB_STAT_FORWARDED, XDP_TX);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
