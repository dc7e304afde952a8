// BPF_PROG_TYPE_SOCKET_FILTER: SO_ATTACH_BPF on a socket; the return value is how many bytes of the packet
// to keep (0 drops it). __sk_buff is read-only except cb[]; no direct packet access (use skb_load_bytes).
import { skBuffLayout } from "./sk-buff.js";
import { ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import { SKB_TEST_RUN_NOTE } from "./sched-cls.js";
import type { ProgTypeInfo } from "./types.js";

export const socketFilter: ProgTypeInfo = {
  id: ProgType.SOCKET_FILTER, name: "socket_filter", kernelName: "BPF_PROG_TYPE_SOCKET_FILTER",
  summary: "socket filter (SO_ATTACH_BPF): returns the number of bytes to keep, 0 drops",
  context: () => skBuffLayout("socket_filter"),
  packetAccess: "none", attachTypes: [], expectedAttachTypeRequired: false,
  returnRule: {},
  returnCodes: [{ name: "DROP", value: 0, meaning: "drop the packet (any other value: keep that many bytes, truncating)" }],
  testRun: { supported: true, data: "required", ctx: "optional", minDataSize: 14, note: SKB_TEST_RUN_NOTE },
  // get_netns_cookie: added after 6.12 (the running 6.18 kernel offers it; kernel-helpers.json)
  helpers: uniq(["skb_load_bytes", "skb_load_bytes_relative", "get_socket_cookie", "get_socket_uid", "perf_event_output", "get_netns_cookie"], SK_BASE),
};
