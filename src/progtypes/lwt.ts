// BPF_PROG_TYPE_LWT_IN / LWT_OUT / LWT_XMIT / LWT_SEG6LOCAL: lightweight tunnel hooks on routes (`ip route
// ... encap bpf in|out|xmit obj ...`) and the SRv6 End.BPF action. Context __sk_buff with lwt_is_valid_access
// (the same for all four): no socket tuple, tc_classid, data_meta or timestamps; mark, priority and cb[]
// writable; data/data_end readable. Only lwt_xmit may write to the packet directly (may_access_direct_pkt_data).
import { skBuffLayout } from "./sk-buff.js";
import { ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo, ReturnCode, TestRunSupport } from "./types.js";

/** BPF_OK / BPF_DROP / BPF_REDIRECT / BPF_LWT_REROUTE (include/uapi/linux/bpf.h enum bpf_ret_code). */
export const LWT_ACTIONS: readonly ReturnCode[] = [
  { name: "BPF_OK", value: 0, meaning: "continue (lwt_xmit: transmit the possibly modified packet)" },
  { name: "BPF_DROP", value: 2, meaning: "drop the packet" },
  { name: "BPF_REDIRECT", value: 7, meaning: "lwt_xmit: redirect to the device set by bpf_redirect" },
  { name: "BPF_LWT_REROUTE", value: 128, meaning: "lwt_in / lwt_xmit: route again after bpf_lwt_push_encap" },
];

/** lwt_out_func_proto (net/core/filter.c): what every lwt type starts from. */
const LWT_OUT_HELPERS = uniq([
  "skb_load_bytes", "skb_pull_data", "csum_diff", "get_cgroup_classid", "get_route_realm", "get_hash_recalc",
  "perf_event_output", "get_smp_processor_id", "skb_under_cgroup",
], SK_BASE);

/** lwt_xmit_func_proto: tunnel keys, redirects, packet rewriting and checksums. */
const LWT_XMIT_HELPERS = uniq([
  "skb_get_tunnel_key", "skb_set_tunnel_key", "skb_get_tunnel_opt", "skb_set_tunnel_opt", "redirect", "clone_redirect",
  "skb_change_tail", "skb_change_head", "skb_store_bytes", "csum_update", "csum_level", "l3_csum_replace",
  "l4_csum_replace", "set_hash_invalid", "lwt_push_encap",
], LWT_OUT_HELPERS);

/**
 * lwt_seg6local_func_proto: the SRv6 helpers (CONFIG_IPV6_SEG6_BPF). 6.12 refuses skb_pull_data here; the
 * running 6.18 offers it (test/facts/fixtures/kernel-helpers.json), and the running kernel wins.
 */
const LWT_SEG6LOCAL_HELPERS = uniq(["lwt_seg6_store_bytes", "lwt_seg6_action", "lwt_seg6_adjust_srh"], LWT_OUT_HELPERS);

/** bpf_prog_test_run_skb without the Ethernet header kept (is_l2 false), as for socket filters. */
const LWT_TEST_RUN: TestRunSupport = {
  supported: true, data: "required", ctx: "optional", minDataSize: 14,
  note: "data is an Ethernet frame (at least 14 bytes); the program sees it from the network header on",
};

function lwt(id: number, name: string, summary: string, helpers: readonly string[], testRun: TestRunSupport, packetAccess: ProgTypeInfo["packetAccess"]): ProgTypeInfo {
  return {
    id, name, kernelName: `BPF_PROG_TYPE_${name.toUpperCase()}`, summary,
    context: () => skBuffLayout("lwt"), packetAccess, attachTypes: [], expectedAttachTypeRequired: false,
    returnRule: {}, // no check_return_code case: unknown codes are treated as drops at run time
    returnCodes: LWT_ACTIONS, testRun, helpers,
  };
}

export const lwtIn = lwt(ProgType.LWT_IN, "lwt_in", "lightweight tunnel input (route encap bpf in): may push an encapsulation and reroute",
  uniq(["lwt_push_encap"], LWT_OUT_HELPERS), LWT_TEST_RUN, "read");
export const lwtOut = lwt(ProgType.LWT_OUT, "lwt_out", "lightweight tunnel output (route encap bpf out): inspect or drop",
  LWT_OUT_HELPERS, LWT_TEST_RUN, "read");
export const lwtXmit = lwt(ProgType.LWT_XMIT, "lwt_xmit", "lightweight tunnel transmit (route encap bpf xmit): may rewrite, encapsulate or redirect",
  LWT_XMIT_HELPERS, LWT_TEST_RUN, "read_write");
export const lwtSeg6local = lwt(ProgType.LWT_SEG6LOCAL, "lwt_seg6local", "SRv6 End.BPF action (seg6local): edit the segment routing header",
  LWT_SEG6LOCAL_HELPERS, { supported: false, data: "none", ctx: "none" }, "read");
