// BPF_PROG_TYPE_FLOW_DISSECTOR: replaces the kernel's flow dissector for a network namespace; parses the
// packet and fills struct bpf_flow_keys (ctx->flow_keys, PTR_TO_FLOW_KEYS, readable and writable).
// flow_dissector_is_valid_access (net/core/filter.c) is not built on bpf_skb_is_valid_access: of the
// __sk_buff only data, data_end (4-byte loads) and flow_keys (8-byte load) exist, and nothing is writable.
import { layoutStruct, WORD, DWORD } from "./context.js";
import { SK_BUFF_DECL } from "./sk-buff.js";
import { AttachType, ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

/** sizeof(struct bpf_flow_keys) (include/uapi/linux/bpf.h): check_flow_keys_access's bound. */
export const BPF_FLOW_KEYS_SIZE = 56;

const LAYOUT = layoutStruct("__sk_buff", SK_BUFF_DECL, (name) => {
  switch (name) {
    case "data": return { read: WORD, pointer: "pkt" };
    case "data_end": return { read: WORD, pointer: "pkt_end" };
    case "flow_keys": return { read: DWORD, pointer: "flow_keys" };
    default: return undefined;
  }
});

export const flowDissector: ProgTypeInfo = {
  id: ProgType.FLOW_DISSECTOR, name: "flow_dissector", kernelName: "BPF_PROG_TYPE_FLOW_DISSECTOR",
  summary: "flow dissector for a netns: parse the packet into ctx->flow_keys; BPF_OK / BPF_DROP (BPF_FLOW_DISSECTOR_CONTINUE: use the kernel's)",
  context: () => LAYOUT, packetAccess: "read", attachTypes: [AttachType.FLOW_DISSECTOR], expectedAttachTypeRequired: false,
  returnRule: {}, // no check_return_code case
  returnCodes: [
    { name: "BPF_OK", value: 0, meaning: "flow keys filled in" },
    { name: "BPF_DROP", value: 2, meaning: "the packet cannot be dissected" },
    { name: "BPF_FLOW_DISSECTOR_CONTINUE", value: 129, meaning: "fall back to the kernel's own dissector" },
  ],
  testRun: { supported: true, data: "required", ctx: "optional", minDataSize: 14, note: "data is an Ethernet frame; ctx_in/ctx_out is a struct bpf_flow_keys (flags in, keys out)" },
  helpers: uniq(["skb_load_bytes"], SK_BASE), // flow_dissector_func_proto
};
