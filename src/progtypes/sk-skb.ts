// BPF_PROG_TYPE_SK_SKB: sockmap/sockhash stream parser (returns the message length) and verdict programs
// (return SK_PASS / SK_DROP, or redirect with bpf_sk_redirect_map/hash). Not testable with PROG_TEST_RUN.
import { skBuffLayout } from "./sk-buff.js";
import { AttachType, ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo, ReturnCode } from "./types.js";

export const SK_ACTIONS: readonly ReturnCode[] = [
  { name: "SK_DROP", value: 0, meaning: "drop" },
  { name: "SK_PASS", value: 1, meaning: "pass (or redirect, when a redirect helper was called)" },
];

export const skSkb: ProgTypeInfo = {
  id: ProgType.SK_SKB, name: "sk_skb", kernelName: "BPF_PROG_TYPE_SK_SKB",
  summary: "sockmap stream parser / verdict on received skbs",
  context: () => skBuffLayout("sk_skb"), packetAccess: "read_write",
  attachTypes: [AttachType.SK_SKB_STREAM_PARSER, AttachType.SK_SKB_STREAM_VERDICT, AttachType.SK_SKB_VERDICT],
  expectedAttachTypeRequired: false,
  returnRule: {}, returnCodes: SK_ACTIONS,
  testRun: { supported: false, data: "none", ctx: "none", note: "PROG_TEST_RUN answers ENOTSUPP (524): only live sockets run sk_skb programs" },
  helpers: uniq([
    "skb_store_bytes", "skb_load_bytes", "skb_pull_data", "skb_change_tail", "skb_change_head", "skb_adjust_room",
    "get_socket_cookie", "get_socket_uid", "sk_redirect_map", "sk_redirect_hash", "perf_event_output", "sk_lookup_tcp",
    "sk_lookup_udp", "sk_release", "skc_lookup_tcp",
  ], SK_BASE),
};
