// SPDX-License-Identifier: GPL-2.0 OR MIT
// sock_trace: records every sockops, sk_msg, sk_skb and cgroup sock_addr callback it sees, with the
// context fields, into an array used as a log; what it does with each (callback flags, sockhash inserts,
// verdicts, redirects, apply/cork bytes, push/pop/pull, address rewrites) comes from the `cfg` array.
// The socket-world differential (test/sockets/kernel-diff.test.ts) runs the same scenarios through
// the kernel and through bpfkit's simulated host (src/sockets) with this object and compares the logs.
//
// Programs:
//   trace_sockops   sockops: logs each op; sets cfg[CFG_CB_FLAGS] with bpf_sock_ops_cb_flags_set on
//                   connect/listen/established; inserts established sockets into `socks` (cfg[CFG_HASH]);
//                   answers TIMEOUT_INIT / RWND_INIT / NEEDS_ECN / BASE_RTT from cfg.
//   trace_msg       sk_msg (attach to `socks`): logs each verdict run; apply/cork/push/pop/pull from cfg;
//                   the verdict from cfg[CFG_MSG_ACTION] (pass, drop, redirect to the peer or to
//                   `targets`[cfg[CFG_TARGET]], ingress or egress, or to a key that is not there).
//   trace_parser    sk_skb stream parser: logs; returns cfg[CFG_PARSE_LEN] or the skb length.
//   trace_verdict   sk_skb stream verdict: logs; pass, drop or redirect to `targets`[cfg[CFG_TARGET]].
//   trace_connect4  cgroup/connect4: logs; rewrites a destination found in `lb` (VIP -> backend).
//   trace_getpeername4  cgroup/getpeername4: logs; rewrites a backend found in `lb_rev` back to the VIP.
//   trace_bind4     cgroup/bind4: logs; rewrites port cfg[CFG_BIND_FROM] to cfg[CFG_BIND_TO].
//   trace_sendmsg4 / trace_recvmsg4  cgroup/sendmsg4, recvmsg4 (UDP): log; rewrite through lb / lb_rev.
//   trace_connect6  cgroup/connect6: logs only.
//
// Maps:
//   events   array[4096] struct event   the log; ctl[0] counts the events written
//   ctl      array[4] u64               [0] events, [1] sk_msg redirects set up, [2] sk_msg redirects
//                                       refused (no such key), [3] sk_skb redirects set up
//   cfg      array[32] u32              what to do (CFG_* below)
//   socks    sockhash struct sock_key -> socket (sockops inserts established sockets)
//   targets  sockmap[8]                 sockets user space puts there (redirect targets)
//   lb, lb_rev hash struct addr4 -> struct addr4
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10
#define MAX_EVENTS 4096
// One load per context word: clang would otherwise walk an address array with a moved ctx pointer,
// which the verifier refuses ("dereference of modified ctx ptr").
#define CTX_READ(dst, field) do { (dst) = (field); asm volatile("" : "+r"(dst)); } while (0)

enum {
	K_SOCKOPS = 1, K_MSG = 2, K_PARSER = 3, K_VERDICT = 4, K_CONNECT4 = 5, K_GETPEERNAME4 = 6,
	K_BIND4 = 7, K_SENDMSG4 = 8, K_RECVMSG4 = 9, K_CONNECT6 = 10,
};

enum {
	CFG_CB_FLAGS = 0,    // flags for bpf_sock_ops_cb_flags_set (0: leave them)
	CFG_HASH = 1,        // 1: insert established sockets into `socks`
	CFG_MSG_ACTION = 2,  // 0 pass, 1 drop, 2 peer ingress, 3 peer egress, 4 target ingress, 5 target egress,
	                     // 6 missing key (verdict = helper's answer), 7 missing key but return SK_PASS
	CFG_TARGET = 3,      // index in `targets`
	CFG_APPLY = 4,       // bpf_msg_apply_bytes (0: not called)
	CFG_CORK = 5,        // bpf_msg_cork_bytes (0: not called)
	CFG_PUSH_START = 6, CFG_PUSH_LEN = 7,  // bpf_msg_push_data when PUSH_LEN != 0
	CFG_POP_START = 8, CFG_POP_LEN = 9,    // bpf_msg_pop_data when POP_LEN != 0
	CFG_PULL_START = 10, CFG_PULL_END = 11, // bpf_msg_pull_data when PULL_END != 0
	CFG_SKB_ACTION = 12, // 0 pass, 1 drop, 2 target ingress, 3 target egress, 4 missing key
	CFG_PARSE_LEN = 13,  // stream parser answer (0: the skb's length)
	CFG_TIMEOUT = 14,    // reply to TIMEOUT_INIT (0: -1, the kernel default)
	CFG_RWND = 15,       // reply to RWND_INIT (0: leave reply 0)
	CFG_ECN = 16,        // reply to NEEDS_ECN
	CFG_BIND_FROM = 17, CFG_BIND_TO = 18,
	CFG_EST_FLAGS = 19,  // 0x100 | flags: set these flags at ACTIVE/PASSIVE_ESTABLISHED instead of CFG_CB_FLAGS
	CFG_HDR_LEN = 20,    // HDR_OPT_LEN_CB: bytes to reserve (0: none); WRITE_HDR_OPT_CB writes option 253
	CFG_MAX = 32,
};

struct event {
	__u32 kind, op, family, state;
	__u32 local_ip4, remote_ip4, local_port, remote_port;
	__u32 local_ip6[4], remote_ip6[4];
	__u32 is_fullsock, cb_flags, args[4];
	__u32 size, data_len, ret, aux;
	__u32 snd_cwnd, mss_cache, total_retrans, srtt_us;
	__u64 cookie, bytes_received, bytes_acked;
};

struct sock_key {
	__u32 family;
	__u32 local_ip[4];
	__u32 remote_ip[4];
	__u32 local_port;  // host order
	__u32 remote_port; // host order
};

struct addr4 {
	__u32 ip;   // network order
	__u32 port; // network order, in the low 16 bits
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct event);
	__uint(max_entries, MAX_EVENTS);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, CFG_MAX);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__type(key, struct sock_key);
	__type(value, __u64);
	__uint(max_entries, 1024);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct addr4);
	__type(value, struct addr4);
	__uint(max_entries, 64);
} lb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct addr4);
	__type(value, struct addr4);
	__uint(max_entries, 64);
} lb_rev SEC(".maps");

static __always_inline __u32 conf(__u32 i)
{
	__u32 *v = bpf_map_lookup_elem(&cfg, &i);

	return v ? *v : 0;
}

static __always_inline void count(__u32 i)
{
	__u64 *n = bpf_map_lookup_elem(&ctl, &i);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline struct event *next_event(__u32 kind)
{
	__u32 zero = 0, idx;
	__u64 *n = bpf_map_lookup_elem(&ctl, &zero);
	struct event *e;

	if (!n)
		return 0;
	idx = __sync_fetch_and_add(n, 1);
	e = bpf_map_lookup_elem(&events, &idx);
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		e->kind = kind;
	}
	return e;
}

SEC("sockops")
int trace_sockops(struct bpf_sock_ops *s)
{
	struct event *e = next_event(K_SOCKOPS);
	__u32 op = s->op, flags, l6[4], r6[4];
	long ret = 0;

	CTX_READ(l6[0], s->local_ip6[0]);
	CTX_READ(l6[1], s->local_ip6[1]);
	CTX_READ(l6[2], s->local_ip6[2]);
	CTX_READ(l6[3], s->local_ip6[3]);
	CTX_READ(r6[0], s->remote_ip6[0]);
	CTX_READ(r6[1], s->remote_ip6[1]);
	CTX_READ(r6[2], s->remote_ip6[2]);
	CTX_READ(r6[3], s->remote_ip6[3]);

	if (e) {
		e->op = op;
		e->family = s->family;
		e->state = s->state;
		e->local_port = s->local_port;
		e->remote_port = s->remote_port;
		e->is_fullsock = s->is_fullsock;
		e->cb_flags = s->bpf_sock_ops_cb_flags;
		e->args[0] = s->args[0];
		e->args[1] = s->args[1];
		e->args[2] = s->args[2];
		e->args[3] = s->args[3];
		if (s->family == AF_INET) {
			e->local_ip4 = s->local_ip4;
			e->remote_ip4 = s->remote_ip4;
		} else {
			e->local_ip6[0] = l6[0];
			e->local_ip6[1] = l6[1];
			e->local_ip6[2] = l6[2];
			e->local_ip6[3] = l6[3];
			e->remote_ip6[0] = r6[0];
			e->remote_ip6[1] = r6[1];
			e->remote_ip6[2] = r6[2];
			e->remote_ip6[3] = r6[3];
		}
		e->snd_cwnd = s->snd_cwnd;
		e->mss_cache = s->mss_cache;
		e->total_retrans = s->total_retrans;
		e->srtt_us = s->srtt_us;
		e->bytes_received = s->bytes_received;
		e->bytes_acked = s->bytes_acked;
		e->cookie = bpf_get_socket_cookie(s);
	}

	switch (op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		flags = conf(CFG_CB_FLAGS);
		if (op >= BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && op <= BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
		    (conf(CFG_EST_FLAGS) & 0x100))
			flags = (conf(CFG_EST_FLAGS) & 0xff) | 0x10000;
		if (flags)
			ret = bpf_sock_ops_cb_flags_set(s, flags & 0xffff);
		if (op >= BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && op <= BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
		    conf(CFG_HASH)) {
			struct sock_key key = {};

			key.family = s->family;
			if (s->family == AF_INET) {
				key.local_ip[0] = s->local_ip4;
				key.remote_ip[0] = s->remote_ip4;
			} else {
				key.local_ip[0] = l6[0];
				key.local_ip[1] = l6[1];
				key.local_ip[2] = l6[2];
				key.local_ip[3] = l6[3];
				key.remote_ip[0] = r6[0];
				key.remote_ip[1] = r6[1];
				key.remote_ip[2] = r6[2];
				key.remote_ip[3] = r6[3];
			}
			key.local_port = s->local_port;
			key.remote_port = bpf_ntohl(s->remote_port);
			// the helper's answer goes in aux (flags_set's in ret)
			if (e)
				e->aux = bpf_sock_hash_update(s, &socks, &key, BPF_NOEXIST);
			else
				bpf_sock_hash_update(s, &socks, &key, BPF_NOEXIST);
		}
		break;
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		flags = conf(CFG_TIMEOUT);
		s->reply = flags ? flags : -1;
		ret = s->reply;
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		flags = conf(CFG_RWND);
		if (flags)
			s->reply = flags;
		ret = s->reply;
		break;
	case BPF_SOCK_OPS_NEEDS_ECN:
		s->reply = conf(CFG_ECN);
		ret = s->reply;
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		flags = conf(CFG_HDR_LEN);
		if (flags)
			ret = bpf_reserve_hdr_opt(s, flags, 0);
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB: {
		__u8 opt[4] = { 253, 4, 0xeb, 0x9f };

		ret = bpf_store_hdr_opt(s, opt, sizeof(opt), 0);
		break;
	}
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB: {
		__u8 opt[4] = { 253, 4, 0xeb, 0x9f };

		ret = bpf_load_hdr_opt(s, opt, sizeof(opt), 0);
		if (e)
			e->aux = bpf_load_hdr_opt(s, opt, sizeof(opt), BPF_LOAD_HDR_OPT_TCP_SYN);
		break;
	}
	}
	if (e)
		e->ret = ret;
	return 1;
}

// The peer's key: its local end is our remote end.
static __always_inline void peer_key(struct sk_msg_md *m, struct sock_key *k)
{
	k->family = m->family;
	if (m->family == AF_INET) {
		k->local_ip[0] = m->remote_ip4;
		k->remote_ip[0] = m->local_ip4;
	} else {
		k->local_ip[0] = m->remote_ip6[0];
		k->local_ip[1] = m->remote_ip6[1];
		k->local_ip[2] = m->remote_ip6[2];
		k->local_ip[3] = m->remote_ip6[3];
		k->remote_ip[0] = m->local_ip6[0];
		k->remote_ip[1] = m->local_ip6[1];
		k->remote_ip[2] = m->local_ip6[2];
		k->remote_ip[3] = m->local_ip6[3];
	}
	k->local_port = bpf_ntohl(m->remote_port);
	k->remote_port = m->local_port;
}

SEC("sk_msg")
int trace_msg(struct sk_msg_md *m)
{
	struct event *e = next_event(K_MSG);
	struct sock_key key = {};
	__u32 v, w, target;
	long ret = SK_PASS;
	void *data, *end;

	if (e) {
		e->family = m->family;
		e->local_port = m->local_port;
		e->remote_port = m->remote_port;
		e->local_ip4 = m->local_ip4;
		e->remote_ip4 = m->remote_ip4;
		e->size = m->size;
		e->data_len = (__u32)((long)m->data_end - (long)m->data);
	}
	v = conf(CFG_APPLY);
	if (v)
		bpf_msg_apply_bytes(m, v);
	v = conf(CFG_CORK);
	if (v)
		bpf_msg_cork_bytes(m, v);
	w = conf(CFG_PUSH_LEN);
	if (w) {
		v = conf(CFG_PUSH_START);
		if (bpf_msg_push_data(m, v, w, 0) == 0) {
			// The pushed bytes are not initialised: write '+' over them (up to 16).
			if (bpf_msg_pull_data(m, v, v + w, 0) == 0) {
				data = (void *)(long)m->data;
				end = (void *)(long)m->data_end;
				for (int i = 0; i < 16; i++) {
					if (i >= w || data + i + 1 > end)
						break;
					*(char *)(data + i) = '+';
				}
			}
		}
	}
	w = conf(CFG_POP_LEN);
	if (w)
		bpf_msg_pop_data(m, conf(CFG_POP_START), w, 0);
	w = conf(CFG_PULL_END);
	if (w) {
		v = bpf_msg_pull_data(m, conf(CFG_PULL_START), w, 0);
		if (e)
			e->aux = v;
	}
	if (e) {
		e->args[0] = m->size;
		e->args[1] = (__u32)((long)m->data_end - (long)m->data);
	}
	target = conf(CFG_TARGET);
	switch (conf(CFG_MSG_ACTION)) {
	case 1:
		ret = SK_DROP;
		break;
	case 2:
	case 3:
		peer_key(m, &key);
		ret = bpf_msg_redirect_hash(m, &socks, &key, conf(CFG_MSG_ACTION) == 2 ? BPF_F_INGRESS : 0);
		break;
	case 4:
	case 5:
		ret = bpf_msg_redirect_map(m, &targets, target, conf(CFG_MSG_ACTION) == 4 ? BPF_F_INGRESS : 0);
		break;
	case 6:
	case 7:
		key.family = 99;
		ret = bpf_msg_redirect_hash(m, &socks, &key, BPF_F_INGRESS);
		if (conf(CFG_MSG_ACTION) == 7)
			ret = SK_PASS;
		break;
	}
	if (conf(CFG_MSG_ACTION) >= 2)
		count(ret == SK_PASS ? 1 : 2);
	if (e)
		e->ret = ret;
	return ret;
}

SEC("sk_skb/stream_parser")
int trace_parser(struct __sk_buff *skb)
{
	struct event *e = next_event(K_PARSER);
	__u32 len = conf(CFG_PARSE_LEN);

	if (!len)
		len = skb->len;
	if (e) {
		e->family = skb->family;
		e->local_port = skb->local_port;
		e->remote_port = skb->remote_port;
		e->size = skb->len;
		e->data_len = skb->data_end - skb->data;
		e->ret = len;
	}
	return len;
}

SEC("sk_skb/stream_verdict")
int trace_verdict(struct __sk_buff *skb)
{
	struct event *e = next_event(K_VERDICT);
	__u32 target = conf(CFG_TARGET);
	struct sock_key key = { .family = 99 };
	long ret = SK_PASS;

	switch (conf(CFG_SKB_ACTION)) {
	case 1:
		ret = SK_DROP;
		break;
	case 2:
	case 3:
		ret = bpf_sk_redirect_map(skb, &targets, target, conf(CFG_SKB_ACTION) == 2 ? BPF_F_INGRESS : 0);
		if (ret == SK_PASS)
			count(3);
		break;
	case 4:
		ret = bpf_sk_redirect_hash(skb, &socks, &key, 0);
		break;
	}
	if (e) {
		e->family = skb->family;
		e->local_port = skb->local_port;
		e->remote_port = skb->remote_port;
		e->size = skb->len;
		e->data_len = skb->data_end - skb->data;
		e->ret = ret;
	}
	return ret;
}

static __always_inline int rewrite4(struct bpf_sock_addr *ctx, void *table, __u32 kind)
{
	struct event *e = next_event(kind);
	struct addr4 a = { .ip = ctx->user_ip4, .port = ctx->user_port };
	struct addr4 *to = bpf_map_lookup_elem(table, &a);

	if (e) {
		e->family = ctx->family;
		e->op = ctx->type;
		e->remote_ip4 = ctx->user_ip4;
		e->remote_port = ctx->user_port;
		e->cookie = bpf_get_socket_cookie(ctx);
	}
	if (to) {
		ctx->user_ip4 = to->ip;
		ctx->user_port = to->port;
		if (e)
			e->ret = 1;
	}
	return 1;
}

SEC("cgroup/connect4")
int trace_connect4(struct bpf_sock_addr *ctx)
{
	return rewrite4(ctx, &lb, K_CONNECT4);
}

SEC("cgroup/getpeername4")
int trace_getpeername4(struct bpf_sock_addr *ctx)
{
	return rewrite4(ctx, &lb_rev, K_GETPEERNAME4);
}

SEC("cgroup/sendmsg4")
int trace_sendmsg4(struct bpf_sock_addr *ctx)
{
	return rewrite4(ctx, &lb, K_SENDMSG4);
}

SEC("cgroup/recvmsg4")
int trace_recvmsg4(struct bpf_sock_addr *ctx)
{
	return rewrite4(ctx, &lb_rev, K_RECVMSG4);
}

SEC("cgroup/bind4")
int trace_bind4(struct bpf_sock_addr *ctx)
{
	struct event *e = next_event(K_BIND4);
	__u32 from = conf(CFG_BIND_FROM);

	if (e) {
		e->family = ctx->family;
		e->op = ctx->type;
		e->local_ip4 = ctx->user_ip4;
		e->local_port = ctx->user_port;
	}
	if (from && ctx->user_port == bpf_htons(from)) {
		ctx->user_port = bpf_htons(conf(CFG_BIND_TO));
		if (e)
			e->ret = 1;
	}
	return 1;
}

SEC("cgroup/connect6")
int trace_connect6(struct bpf_sock_addr *ctx)
{
	struct event *e = next_event(K_CONNECT6);

	if (e) {
		e->family = ctx->family;
		e->op = ctx->type;
		e->remote_ip6[0] = ctx->user_ip6[0];
		e->remote_ip6[1] = ctx->user_ip6[1];
		e->remote_ip6[2] = ctx->user_ip6[2];
		e->remote_ip6[3] = ctx->user_ip6[3];
		e->remote_port = ctx->user_port;
	}
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
