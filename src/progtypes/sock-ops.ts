// BPF_PROG_TYPE_SOCK_OPS: TCP socket event callbacks (ops in bpf_sock_ops.op); writes `reply` and may
// set socket options. All reads are full 4-byte words except the 8-byte counters and pointers.
import { layoutStruct, type CDecl, NARROW_READ, WORD, DWORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { CGROUP_COMMON, SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const SOCK_OPS_DECL: readonly CDecl[] = [
  ["op", "u32"], ["args", "u32[4]"], // union { args[4]; reply; replylong[4] }: reply is args[0]'s slot
  ["family", "u32"], ["remote_ip4", "u32"], ["local_ip4", "u32"], ["remote_ip6", "u32[4]"], ["local_ip6", "u32[4]"],
  ["remote_port", "u32"], ["local_port", "u32"], ["is_fullsock", "u32"], ["snd_cwnd", "u32"], ["srtt_us", "u32"],
  ["bpf_sock_ops_cb_flags", "u32"], ["state", "u32"], ["rtt_min", "u32"], ["snd_ssthresh", "u32"], ["rcv_nxt", "u32"],
  ["snd_nxt", "u32"], ["snd_una", "u32"], ["mss_cache", "u32"], ["ecn_flags", "u32"], ["rate_delivered", "u32"],
  ["rate_interval_us", "u32"], ["packets_out", "u32"], ["retrans_out", "u32"], ["total_retrans", "u32"],
  ["segs_in", "u32"], ["data_segs_in", "u32"], ["segs_out", "u32"], ["data_segs_out", "u32"], ["lost_out", "u32"],
  ["sacked_out", "u32"], ["sk_txhash", "u32"], ["bytes_received", "u64"], ["bytes_acked", "u64"], ["sk", "ptr"],
  ["skb_data", "ptr"], ["skb_data_end", "ptr"], ["skb_len", "u32"], ["skb_tcp_flags", "u32"], ["skb_hwtstamp", "u64"],
];

const LAYOUT = layoutStruct("bpf_sock_ops", SOCK_OPS_DECL, (name) => {
  switch (name) {
    case "args[0]": return { read: WORD, write: WORD }; // `reply`
    case "sk_txhash": return { read: WORD, write: WORD };
    case "bytes_received": case "bytes_acked": case "skb_hwtstamp": return { read: DWORD };
    case "sk": return { read: DWORD, pointer: "sock_or_null" };
    case "skb_data": return { read: DWORD, pointer: "pkt" };
    case "skb_data_end": return { read: DWORD, pointer: "pkt_end" };
    case "skb_tcp_flags": return { read: NARROW_READ, narrowAtStart: true }; // `case offsetof`: only at offset 212
    default: return { read: WORD };
  }
});

export const sockOps: ProgTypeInfo = {
  id: ProgType.SOCK_OPS, name: "sock_ops", kernelName: "BPF_PROG_TYPE_SOCK_OPS",
  summary: "TCP socket operation callbacks (cgroup sockops); sets reply and socket options",
  context: () => LAYOUT, packetAccess: "read", attachTypes: [AttachType.CGROUP_SOCK_OPS], expectedAttachTypeRequired: false,
  returnRule: { range: [0, 1] },
  returnCodes: [{ name: "0", value: 0, meaning: "failure (for ops that check it)" }, { name: "1", value: 1, meaning: "success" }],
  testRun: { supported: false, data: "none", ctx: "none", note: "PROG_TEST_RUN answers ENOTSUPP (524)" },
  helpers: uniq(CGROUP_COMMON, [
    "setsockopt", "getsockopt", "sock_ops_cb_flags_set", "sock_map_update", "sock_hash_update", "get_socket_cookie",
    "perf_event_output", "sk_storage_get", "sk_storage_delete", "get_netns_cookie", "load_hdr_opt", "store_hdr_opt",
    "reserve_hdr_opt", "tcp_sock",
  ], SK_BASE),
};
