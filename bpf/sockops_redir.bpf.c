// SPDX-License-Identifier: GPL-2.0 OR MIT
// sockops_redir: sidecar acceleration. Two programs sharing one sockhash:
//   sockops_established (sockops, attached to a cgroup): when a TCP/IPv4 connection is established,
//     actively or passively, store the socket in `sock_map` keyed by its 4-tuple as seen from it.
//   sk_msg_redirect (sk_msg, attached to sock_map): for each sendmsg() on a stored socket, look up the
//     peer socket (the reversed 4-tuple) and hand the data straight to its receive queue
//     (bpf_msg_redirect_hash with BPF_F_INGRESS), skipping the TCP/IP stack on the same host.
//     Messages whose peer is not in the map (remote peers) go through the stack as usual.
//
// Maps:
//   sock_map        sockhash  struct sock_key -> socket
//   redirect_stats  array[2] u64: [0] messages redirected, [1] messages passed to the stack
// Written with BTF-defined maps: the legacy `struct bpf_map_def SEC("maps")` form much sidecar code
// uses is no longer accepted by libbpf 1.x (this libbpf-dev is 1.1), whatever the kernel would take.
//
// Try it:
//   bpftool prog loadall bpf/sockops_redir.bpf.o /sys/fs/bpf/redir pinmaps /sys/fs/bpf/redir_maps
//   bpftool cgroup attach /sys/fs/cgroup/<group> sock_ops pinned /sys/fs/bpf/redir/sockops_established
//   bpftool prog attach pinned /sys/fs/bpf/redir/sk_msg_redirect msg_verdict pinned /sys/fs/bpf/redir_maps/sock_map
#include <linux/bpf.h>
#include <linux/socket.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef AF_INET
#define AF_INET 2
#endif

// Both ends are in host byte order so a key and its reverse are built the same way in both programs.
// bpf_sock_ops and sk_msg_md give local_port in host order and remote_port in network order (in the
// high half of the 32-bit field on little-endian hosts, hence the 32-bit bpf_ntohl).
struct sock_key {
	__u32 local_ip4;  // network order, as the context gives it
	__u32 remote_ip4;
	__u32 local_port;  // host order
	__u32 remote_port; // host order
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__type(key, struct sock_key);
	__type(value, __u64); // the socket cookie / fd, as user space sees it
	__uint(max_entries, 65536);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} redirect_stats SEC(".maps");

SEC("sockops")
int sockops_established(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	if (skops->family != AF_INET)
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		key.local_ip4 = skops->local_ip4;
		key.remote_ip4 = skops->remote_ip4;
		key.local_port = skops->local_port;
		key.remote_port = bpf_ntohl(skops->remote_port);
		bpf_sock_hash_update(skops, &sock_map, &key, BPF_NOEXIST);
		break;
	}
	return 1; // sockops return value: 1 = ok
}

SEC("sk_msg")
int sk_msg_redirect(struct sk_msg_md *msg)
{
	// The peer's key: its local end is our remote end.
	struct sock_key peer = {
		.local_ip4 = msg->remote_ip4,
		.remote_ip4 = msg->local_ip4,
		.local_port = bpf_ntohl(msg->remote_port),
		.remote_port = msg->local_port,
	};
	__u32 slot;
	__u64 *n;

	if (msg->family != AF_INET)
		return SK_PASS;
	// SK_PASS: the redirect is set up; SK_DROP: no such peer, so let the message take the normal path.
	slot = bpf_msg_redirect_hash(msg, &sock_map, &peer, BPF_F_INGRESS) == SK_PASS ? 0 : 1;
	n = bpf_map_lookup_elem(&redirect_stats, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
