// BPF_PROG_TYPE_SK_MSG: runs on sendmsg/sendfile of sockets in a sockmap/sockhash; context sk_msg_md is
// read-only; data/data_end cover the current scatterlist chunk (bpf_msg_pull_data widens it).
import { layoutStruct, type CDecl, WORD, DWORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { SK_BASE, uniq } from "./helper-sets.js";
import { SK_ACTIONS } from "./sk-skb.js";
import type { ProgTypeInfo } from "./types.js";

export const SK_MSG_MD_DECL: readonly CDecl[] = [
  ["data", "ptr"], ["data_end", "ptr"], ["family", "u32"], ["remote_ip4", "u32"], ["local_ip4", "u32"],
  ["remote_ip6", "u32[4]"], ["local_ip6", "u32[4]"], ["remote_port", "u32"], ["local_port", "u32"], ["size", "u32"],
  ["sk", "ptr"],
];

const LAYOUT = layoutStruct("sk_msg_md", SK_MSG_MD_DECL, (_n, base) => {
  if (base === "data") return { read: DWORD, pointer: "pkt" };
  if (base === "data_end") return { read: DWORD, pointer: "pkt_end" };
  if (base === "sk") return { read: DWORD, pointer: "sock" };
  return { read: WORD };
});

export const skMsg: ProgTypeInfo = {
  id: ProgType.SK_MSG, name: "sk_msg", kernelName: "BPF_PROG_TYPE_SK_MSG",
  summary: "sockmap message verdict on sendmsg: SK_PASS, SK_DROP or redirect",
  context: () => LAYOUT, packetAccess: "read_write", attachTypes: [AttachType.SK_MSG_VERDICT], expectedAttachTypeRequired: false,
  returnRule: {}, returnCodes: SK_ACTIONS,
  testRun: { supported: false, data: "none", ctx: "none", note: "PROG_TEST_RUN answers ENOTSUPP (524)" },
  helpers: uniq([
    "msg_redirect_map", "msg_redirect_hash", "msg_apply_bytes", "msg_cork_bytes", "msg_pull_data", "msg_push_data",
    "msg_pop_data", "perf_event_output", "get_current_uid_gid", "sk_storage_get", "sk_storage_delete", "get_netns_cookie",
    "get_cgroup_classid",
  ], SK_BASE),
};
