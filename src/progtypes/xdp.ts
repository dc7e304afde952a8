// BPF_PROG_TYPE_XDP: runs in the driver (or generically) on each received frame, before an skb exists.
// Context struct xdp_md: all fields are 4-byte read-only (xdp_is_valid_access); egress_ifindex only for
// programs loaded with expected_attach_type xdp_devmap (they run on the egress side of a devmap redirect).
import { layoutStruct, type CDecl, type ContextLayout, WORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const XDP_MD_DECL: readonly CDecl[] = [
  ["data", "u32"], ["data_end", "u32"], ["data_meta", "u32"], ["ingress_ifindex", "u32"], ["rx_queue_index", "u32"],
  ["egress_ifindex", "u32"],
];

const POINTERS = { data: "pkt", data_end: "pkt_end", data_meta: "pkt_meta" } as const;

function xdpLayout(devmap: boolean): ContextLayout {
  return layoutStruct("xdp_md", XDP_MD_DECL, (name) => {
    if (name === "egress_ifindex" && !devmap) return {};
    const pointer = POINTERS[name as keyof typeof POINTERS];
    return pointer ? { read: WORD, pointer } : { read: WORD };
  });
}
const PLAIN = xdpLayout(false);
const DEVMAP = xdpLayout(true);

/** XDP return codes (enum xdp_action); any other value is treated as XDP_ABORTED at run time. */
export const XDP_ACTIONS = [
  { name: "XDP_ABORTED", value: 0, meaning: "drop and raise the xdp_exception tracepoint (program error)" },
  { name: "XDP_DROP", value: 1, meaning: "drop the frame" },
  { name: "XDP_PASS", value: 2, meaning: "pass the frame to the network stack" },
  { name: "XDP_TX", value: 3, meaning: "bounce the frame out of the interface it arrived on" },
  { name: "XDP_REDIRECT", value: 4, meaning: "send the frame to the target set by bpf_redirect/bpf_redirect_map" },
] as const;

export const xdp: ProgTypeInfo = {
  id: ProgType.XDP,
  name: "xdp",
  kernelName: "BPF_PROG_TYPE_XDP",
  summary: "eXpress Data Path: per-frame hook in the driver receive path; returns an XDP_* action",
  context: (attachType) => (attachType === AttachType.XDP_DEVMAP ? DEVMAP : PLAIN),
  packetAccess: "read_write",
  attachTypes: [AttachType.XDP, AttachType.XDP_DEVMAP, AttachType.XDP_CPUMAP],
  expectedAttachTypeRequired: false,
  // check_return_code has no case for XDP: any scalar is accepted by the verifier; unknown actions are
  // handled at run time by bpf_warn_invalid_xdp_action (frame dropped as aborted).
  returnRule: {},
  returnCodes: XDP_ACTIONS,
  testRun: {
    supported: true, data: "required", ctx: "optional", minDataSize: 14,
    note: "ctx_in is an xdp_md: data/data_end/data_meta describe the buffer (data_meta = metadata length), ingress_ifindex and rx_queue_index may be set, egress_ifindex must be 0",
  },
  helpers: uniq([
    "perf_event_output", "get_smp_processor_id", "csum_diff", "xdp_adjust_head", "xdp_adjust_meta", "redirect",
    "redirect_map", "xdp_adjust_tail", "xdp_get_buff_len", "xdp_load_bytes", "xdp_store_bytes", "fib_lookup",
    "check_mtu", "sk_lookup_udp", "sk_lookup_tcp", "sk_release", "skc_lookup_tcp", "tcp_check_syncookie",
    "tcp_gen_syncookie", "tcp_raw_gen_syncookie_ipv4", "tcp_raw_gen_syncookie_ipv6", "tcp_raw_check_syncookie_ipv4",
    "tcp_raw_check_syncookie_ipv6",
  ], SK_BASE),
};
