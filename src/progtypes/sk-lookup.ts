// BPF_PROG_TYPE_SK_LOOKUP: picks the listening/receiving socket for a new connection or datagram in a
// network namespace (bpf_sk_assign). Context bpf_sk_lookup is read-only.
import { layoutStruct, type CDecl, NARROW_READ, DWORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const SK_LOOKUP_DECL: readonly CDecl[] = [
  ["sk", "ptr"], // union with __u64 cookie
  ["family", "u32"], ["protocol", "u32"], ["remote_ip4", "u32"], ["remote_ip6", "u32[4]"], ["remote_port", "u16"],
  ["(padding)", "u16"], ["local_ip4", "u32"], ["local_ip6", "u32[4]"], ["local_port", "u32"], ["ingress_ifindex", "u32"],
];

const LAYOUT = layoutStruct("bpf_sk_lookup", SK_LOOKUP_DECL, (name) => {
  if (name === "sk") return { read: DWORD, pointer: "sock_or_null" };
  if (name === "remote_port") return { read: [1, 2, 4], span: 4 }; // 4-byte load kept for compatibility
  if (name === "(padding)") return { read: [1, 2] }; // zero padding, readable for compatibility
  return { read: NARROW_READ };
});

export const skLookup: ProgTypeInfo = {
  id: ProgType.SK_LOOKUP, name: "sk_lookup", kernelName: "BPF_PROG_TYPE_SK_LOOKUP",
  summary: "socket lookup in a netns: select a socket with bpf_sk_assign; SK_PASS / SK_DROP",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [AttachType.SK_LOOKUP], expectedAttachTypeRequired: true,
  returnRule: { range: [0, 1] },
  returnCodes: [{ name: "SK_DROP", value: 0, meaning: "drop / refuse" }, { name: "SK_PASS", value: 1, meaning: "continue (with the assigned socket, if any)" }],
  testRun: { supported: true, data: "none", ctx: "required", note: "ctx_in is a bpf_sk_lookup (family, protocol, addresses, ports); no packet data" },
  helpers: uniq(["perf_event_output", "sk_assign", "sk_release"], SK_BASE),
};
