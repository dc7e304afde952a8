// SPDX-License-Identifier: GPL-2.0 OR MIT
// xdp_feature_tour: one small XDP program that exercises the language features a loader, verifier and
// interpreter must get right, each used for something plausible:
//   - global data: read-only config in .rodata (`const volatile`, set by the loader before loading),
//     a counter placed in .data, and zero-initialized state in .bss (all three are array maps underneath);
//   - bpf-to-bpf calls: two __noinline subprograms in .text (`prefix_sum`, `ttl_below`);
//   - a bounded loop (`prefix_sum` sums up to `scan_limit` bytes of the frame);
//   - a tail call through a prog_array (`jump_table`, slot 0 initialized in the object to `xdp_drop_stage`).
// Behaviour: count the packet, remember the sum of its first bytes, and for IPv4 packets whose TTL is
// below `min_ttl` tail-call the drop stage (which counts and drops); everything else passes.
//
// Maps: .rodata, .data, .bss (global data), jump_table (prog_array[4]).
// Try it: bpftool prog loadall bpf/xdp_feature_tour.bpf.o /sys/fs/bpf/tour (libbpf fills jump_table),
// then bpftool prog run pinned /sys/fs/bpf/tour/xdp_feature_tour data_in frame.bin repeat 1.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_SCAN 64

const volatile __u32 scan_limit = 32; // .rodata: bytes prefix_sum looks at (<= MAX_SCAN)
const volatile __u8 min_ttl = 2;      // .rodata: IPv4 packets with a lower TTL are dropped

__u64 packets_seen SEC(".data") = 0; // .data (explicitly: a zero-initialized global would go to .bss)
__u32 last_prefix_sum;               // .bss
__u64 dropped_low_ttl;               // .bss, written by the tail-called program

SEC("xdp")
int xdp_drop_stage(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&dropped_low_ttl, 1);
	return XDP_DROP;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} jump_table SEC(".maps") = {
	.values = { [0] = (void *)&xdp_drop_stage },
};

// Sum of the first min(scan_limit, MAX_SCAN, frame length) bytes: a loop the verifier bounds.
static __noinline __u32 prefix_sum(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 sum = 0;

	for (int i = 0; i < MAX_SCAN; i++) {
		if (i >= scan_limit || (void *)(p + i + 1) > data_end)
			break;
		sum += p[i];
	}
	return sum;
}

// 1 when the frame is IPv4 with a TTL below min_ttl.
static __noinline int ttl_below(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	return ip->ttl < min_ttl;
}

SEC("xdp")
int xdp_feature_tour(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&packets_seen, 1);
	last_prefix_sum = prefix_sum(ctx);
	if (ttl_below(ctx)) {
		bpf_tail_call(ctx, &jump_table, 0);
		return XDP_ABORTED; // only reached when slot 0 is empty
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
