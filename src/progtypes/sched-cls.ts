// BPF_PROG_TYPE_SCHED_CLS: tc classifier (clsact qdisc, "direct action"), tcx links and netkit devices.
// Context __sk_buff with the tc rules: mark, priority, tc_index, tc_classid, queue_mapping, tstamp and cb[]
// are writable; data/data_meta/data_end give direct packet access (writes unclone the skb first).
import { skBuffLayout } from "./sk-buff.js";
import { AttachType, ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo, ReturnCode } from "./types.js";

/** TC_ACT_* (include/uapi/linux/pkt_cls.h) plus the tcx names (enum tcx_action_base) for the same values. */
export const TC_ACTIONS: readonly ReturnCode[] = [
  { name: "TC_ACT_UNSPEC", value: -1, meaning: "use the qdisc's default action (tcx: TCX_NEXT, run the next program)" },
  { name: "TC_ACT_OK", value: 0, meaning: "pass the packet (tcx: TCX_PASS)" },
  { name: "TC_ACT_RECLASSIFY", value: 1, meaning: "restart classification" },
  { name: "TC_ACT_SHOT", value: 2, meaning: "drop the packet (tcx: TCX_DROP)" },
  { name: "TC_ACT_PIPE", value: 3, meaning: "continue with the next action" },
  { name: "TC_ACT_STOLEN", value: 4, meaning: "consumed by the action (no further processing)" },
  { name: "TC_ACT_QUEUED", value: 5, meaning: "queued by the action" },
  { name: "TC_ACT_REPEAT", value: 6, meaning: "repeat the action" },
  { name: "TC_ACT_REDIRECT", value: 7, meaning: "redirect to the target set by bpf_redirect* (tcx: TCX_REDIRECT)" },
  { name: "TC_ACT_TRAP", value: 8, meaning: "hand to the slow path (hardware offload)" },
];

/** tc_cls_act_func_proto (net/core/filter.c), shared by sched_cls and sched_act. */
export const TC_HELPERS = uniq([
  "skb_store_bytes", "skb_load_bytes", "skb_load_bytes_relative", "skb_pull_data", "csum_diff", "csum_update",
  "csum_level", "l3_csum_replace", "l4_csum_replace", "clone_redirect", "get_cgroup_classid", "skb_vlan_push",
  "skb_vlan_pop", "skb_change_proto", "skb_change_type", "skb_adjust_room", "skb_change_tail", "skb_change_head",
  "skb_get_tunnel_key", "skb_set_tunnel_key", "skb_get_tunnel_opt", "skb_set_tunnel_opt", "redirect",
  "redirect_neigh", "redirect_peer", "get_route_realm", "get_hash_recalc", "set_hash_invalid", "set_hash",
  "perf_event_output", "get_smp_processor_id", "skb_under_cgroup", "get_socket_cookie", "get_socket_uid",
  "fib_lookup", "check_mtu", "sk_fullsock", "sk_storage_get", "sk_storage_delete", "skb_get_xfrm_state",
  "skb_cgroup_classid", "skb_cgroup_id", "skb_ancestor_cgroup_id", "sk_lookup_tcp", "sk_lookup_udp", "sk_release",
  "tcp_sock", "get_listener_sock", "skc_lookup_tcp", "tcp_check_syncookie", "skb_ecn_set_ce", "tcp_gen_syncookie",
  "sk_assign", "skb_set_tstamp", "tcp_raw_gen_syncookie_ipv4", "tcp_raw_gen_syncookie_ipv6",
  "tcp_raw_check_syncookie_ipv4", "tcp_raw_check_syncookie_ipv6",
  "get_netns_cookie", // 6.18: skb variant (not in 6.12), recorded in test/facts/fixtures/kernel-helpers.json
], SK_BASE);

export const SKB_TEST_RUN_NOTE =
  "data is an Ethernet frame (at least 14 bytes); ctx_in is an optional __sk_buff where only mark, priority, " +
  "ingress_ifindex, ifindex, cb[], tstamp, wire_len, gso_segs, gso_size and hwtstamp may be non-zero";

export const schedCls: ProgTypeInfo = {
  id: ProgType.SCHED_CLS,
  name: "sched_cls",
  kernelName: "BPF_PROG_TYPE_SCHED_CLS",
  summary: "traffic control classifier (clsact ingress/egress, tcx links, netkit); returns a TC_ACT_* verdict",
  context: () => skBuffLayout("tc"),
  packetAccess: "read_write",
  attachTypes: [AttachType.TCX_INGRESS, AttachType.TCX_EGRESS, AttachType.NETKIT_PRIMARY, AttachType.NETKIT_PEER],
  expectedAttachTypeRequired: false,
  returnRule: {}, // no check_return_code case: any scalar; tc maps unknown codes to TC_ACT_OK/TCX_PASS-like handling
  returnCodes: TC_ACTIONS,
  testRun: { supported: true, data: "required", ctx: "optional", minDataSize: 14, note: SKB_TEST_RUN_NOTE },
  helpers: TC_HELPERS,
};
