// BPF_PROG_TYPE_SK_REUSEPORT: picks the socket of an SO_REUSEPORT group for a new connection or datagram
// (bpf_sk_select_reuseport), or for a request migrated off a closing listener (sk_reuseport/migrate).
// Context struct sk_reuseport_md, read-only (sk_reuseport_is_valid_access, net/core/filter.c).
import { layoutStruct, type CDecl, NARROW_READ, WORD, DWORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const SK_REUSEPORT_DECL: readonly CDecl[] = [
  ["data", "ptr"], ["data_end", "ptr"], ["len", "u32"], ["eth_protocol", "u32"], ["ip_protocol", "u32"],
  ["bind_inany", "u32"], ["hash", "u32"], ["sk", "ptr"], ["migrating_sk", "ptr"],
];

const LAYOUT = layoutStruct("sk_reuseport_md", SK_REUSEPORT_DECL, (name) => {
  switch (name) {
    case "data": return { read: DWORD, pointer: "pkt" };
    case "data_end": return { read: DWORD, pointer: "pkt_end" };
    case "sk": return { read: DWORD, pointer: "sock" };
    case "migrating_sk": return { read: DWORD, pointer: "sock_common_or_null" };
    case "hash": return { read: WORD }; // matched by `case offsetof()`: whole field only
    case "eth_protocol": return { read: [2, 4] }; // narrower than skb->protocol (2 bytes) is refused
    default: return { read: NARROW_READ }; // len, ip_protocol, bind_inany
  }
});

export const skReuseport: ProgTypeInfo = {
  id: ProgType.SK_REUSEPORT, name: "sk_reuseport", kernelName: "BPF_PROG_TYPE_SK_REUSEPORT",
  summary: "SO_REUSEPORT socket selection (bpf_sk_select_reuseport from a reuseport_sockarray); SK_PASS / SK_DROP",
  context: () => LAYOUT, packetAccess: "read",
  attachTypes: [AttachType.SK_REUSEPORT_SELECT, AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE], expectedAttachTypeRequired: true,
  defaultAttachType: AttachType.SK_REUSEPORT_SELECT, // bpf_prog_load_fixup_attach_type
  returnRule: {}, // no check_return_code case: anything but SK_PASS drops
  returnCodes: [{ name: "SK_DROP", value: 0, meaning: "drop / refuse" }, { name: "SK_PASS", value: 1, meaning: "use the selected socket (or the kernel's hash pick)" }],
  testRun: { supported: false, data: "none", ctx: "none" },
  // sk_reuseport_func_proto falls back to bpf_base_func_proto, not the sk base
  helpers: uniq(["sk_select_reuseport", "skb_load_bytes", "skb_load_bytes_relative", "get_socket_cookie", "ktime_get_coarse_ns"], BASE),
};
