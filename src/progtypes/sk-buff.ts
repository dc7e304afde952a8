// struct __sk_buff, the context of tc (sched_cls/sched_act), socket filters, cgroup_skb and sk_skb programs.
// The C declaration is laid out once; the access rules per program type follow bpf_skb_is_valid_access
// and tc_cls_act_ / sk_filter_ / cg_skb_ / sk_skb_ / lwt_is_valid_access in net/core/filter.c. (The flow
// dissector's check does not build on the base one: src/progtypes/flow-dissector.ts.)
import { layoutStruct, type CDecl, type ContextLayout, type FieldRule, NARROW_READ, WORD, DWORD } from "./context.js";

export const SK_BUFF_DECL: readonly CDecl[] = [
  ["len", "u32"], ["pkt_type", "u32"], ["mark", "u32"], ["queue_mapping", "u32"], ["protocol", "u32"],
  ["vlan_present", "u32"], ["vlan_tci", "u32"], ["vlan_proto", "u32"], ["priority", "u32"],
  ["ingress_ifindex", "u32"], ["ifindex", "u32"], ["tc_index", "u32"], ["cb", "u32[5]"], ["hash", "u32"],
  ["tc_classid", "u32"], ["data", "u32"], ["data_end", "u32"], ["napi_id", "u32"],
  ["family", "u32"], ["remote_ip4", "u32"], ["local_ip4", "u32"], ["remote_ip6", "u32[4]"], ["local_ip6", "u32[4]"],
  ["remote_port", "u32"], ["local_port", "u32"],
  ["data_meta", "u32"], ["flow_keys", "ptr"], ["tstamp", "u64"], ["wire_len", "u32"], ["gso_segs", "u32"],
  ["sk", "ptr"], ["gso_size", "u32"], ["tstamp_type", "u8"], ["", "pad24"], ["hwtstamp", "u64"],
];

/** Which program family reads the __sk_buff: each has its own *_is_valid_access on top of the base. */
export type SkBuffFlavour = "tc" | "socket_filter" | "cgroup_skb" | "sk_skb" | "lwt";

const SOCK_TUPLE = new Set(["family", "remote_ip4", "local_ip4", "remote_ip6", "local_ip6", "remote_port", "local_port"]);

/** Fields the flavour refuses outright (before the base check). */
const HIDDEN: Record<SkBuffFlavour, ReadonlySet<string>> = {
  tc: SOCK_TUPLE,
  socket_filter: new Set(["tc_classid", "data", "data_meta", "data_end", "tstamp", "wire_len", "hwtstamp", ...SOCK_TUPLE]),
  cgroup_skb: new Set(["tc_classid", "data_meta", "wire_len"]),
  sk_skb: new Set(["tc_classid", "data_meta", "tstamp", "wire_len", "hwtstamp", "mark"]),
  lwt: new Set(["tc_classid", "data_meta", "tstamp", "wire_len", "hwtstamp", ...SOCK_TUPLE]),
};

/** Fields the flavour may store to (everything else is read-only). */
const WRITABLE: Record<SkBuffFlavour, ReadonlySet<string>> = {
  tc: new Set(["mark", "tc_index", "priority", "tc_classid", "cb", "tstamp", "queue_mapping"]),
  socket_filter: new Set(["cb"]),
  cgroup_skb: new Set(["mark", "priority", "cb", "tstamp"]), // tstamp needs CAP_BPF
  sk_skb: new Set(["tc_index", "priority"]),
  lwt: new Set(["mark", "priority", "cb"]), // all four lwt types: lwt_is_valid_access does not look at the type
};

/** The base rule of bpf_skb_is_valid_access for one field, given that the flavour allows it. */
function baseRule(base: string, flavour: SkBuffFlavour): FieldRule {
  const writable = WRITABLE[flavour].has(base);
  switch (base) {
    case "cb": // any aligned size inside cb[0..4], including 8-byte accesses spanning two slots
      return { read: NARROW_READ, write: writable ? NARROW_READ : [], wide: true };
    case "data": case "data_end": case "data_meta": {
      const pointer = base === "data" ? "pkt" : base === "data_end" ? "pkt_end" : "pkt_meta";
      return { read: WORD, pointer };
    }
    case "remote_ip4": case "local_ip4": case "remote_ip6": case "local_ip6":
      return { read: WORD, write: writable ? WORD : [] };
    case "flow_keys": // only the flow dissector sees it
      return {};
    case "hwtstamp":
      return { read: DWORD };
    case "tstamp":
      return { read: DWORD, write: writable ? DWORD : [] };
    case "sk":
      return { read: DWORD, pointer: "sock_common_or_null" };
    case "tstamp_type": // tc only, one byte, read only
      return flavour === "tc" ? { read: [1] } : {};
    default: // narrow reads, full-width writes
      return { read: NARROW_READ, write: writable ? WORD : [] };
  }
}

const cache = new Map<SkBuffFlavour, ContextLayout>();

/** __sk_buff with the access rules of one program family. */
export function skBuffLayout(flavour: SkBuffFlavour): ContextLayout {
  let l = cache.get(flavour);
  if (!l) {
    l = layoutStruct("__sk_buff", SK_BUFF_DECL, (_name, base) => (HIDDEN[flavour].has(base) ? {} : baseRule(base, flavour)));
    cache.set(flavour, l);
  }
  return l;
}
