// BPF_PROG_TYPE_CGROUP_SKB: per-cgroup ingress/egress packet filter. Return 1 = allow, 0 = drop; egress
// programs may also return 2/3 (congestion notification: drop+cn / allow+cn), which requires the program to
// be loaded with expected_attach_type cgroup_inet_egress (check_return_code).
import { skBuffLayout } from "./sk-buff.js";
import { AttachType, ProgType } from "./numbers.js";
import { CGROUP_COMMON, SK_BASE, uniq } from "./helper-sets.js";
import { SKB_TEST_RUN_NOTE } from "./sched-cls.js";
import type { ProgTypeInfo } from "./types.js";

export const cgroupSkb: ProgTypeInfo = {
  id: ProgType.CGROUP_SKB, name: "cgroup_skb", kernelName: "BPF_PROG_TYPE_CGROUP_SKB",
  summary: "cgroup packet filter on ingress/egress; returns 1 (allow) or 0 (drop)",
  context: () => skBuffLayout("cgroup_skb"),
  packetAccess: "read", // data/data_end readable (CAP_BPF); no direct writes
  attachTypes: [AttachType.CGROUP_INET_INGRESS, AttachType.CGROUP_INET_EGRESS],
  expectedAttachTypeRequired: true, // 0 = cgroup_inet_ingress, so the default works
  returnRule: { range: [0, 1], byAttachType: [{ attachTypes: [AttachType.CGROUP_INET_EGRESS], range: [0, 3], note: "2 = drop + congestion notification, 3 = allow + cn" }] },
  returnCodes: [
    { name: "SK_DROP", value: 0, meaning: "drop" }, { name: "SK_PASS", value: 1, meaning: "allow" },
    { name: "NET_XMIT_CN|drop", value: 2, meaning: "egress only: drop and signal congestion" },
    { name: "NET_XMIT_CN|allow", value: 3, meaning: "egress only: allow and signal congestion" },
  ],
  testRun: { supported: true, data: "required", ctx: "optional", minDataSize: 14, note: SKB_TEST_RUN_NOTE },
  helpers: uniq(CGROUP_COMMON, [
    "sk_fullsock", "sk_storage_get", "sk_storage_delete", "perf_event_output", "skb_cgroup_id", "skb_ancestor_cgroup_id",
    "sk_cgroup_id", "sk_ancestor_cgroup_id", "sk_lookup_tcp", "sk_lookup_udp", "sk_release", "skc_lookup_tcp", "tcp_sock",
    "get_listener_sock", "skb_ecn_set_ce",
    // falls back to sk_filter_func_proto
    "skb_load_bytes", "skb_load_bytes_relative", "get_socket_cookie", "get_socket_uid",
    "get_netns_cookie", // 6.18 (not in 6.12): recorded in test/facts/fixtures/kernel-helpers.json
  ], SK_BASE),
};
