// BPF_PROG_TYPE_CGROUP_SOCKOPT: cgroup/getsockopt and cgroup/setsockopt hooks; see and rewrite the option
// buffer (optval..optval_end, packet-like, writable) and its length. Context struct bpf_sockopt
// (cg_sockopt_is_valid_access, kernel/bpf/cgroup.c): which scalar fields are writable, and whether retval
// exists at all, depends on the expected attach type, which the kernel requires at load.
import { layoutStruct, type CDecl, type ContextLayout, WORD, DWORD } from "./context.js";
import { AttachType as A, ProgType } from "./numbers.js";
import { BASE, CGROUP_COMMON, CGROUP_CURRENT, CGROUP_RETVAL, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const SOCKOPT_DECL: readonly CDecl[] = [
  ["sk", "ptr"], ["optval", "ptr"], ["optval_end", "ptr"], ["level", "u32"], ["optname", "u32"], ["optlen", "u32"], ["retval", "u32"],
];

const cache = new Map<number, ContextLayout>();

/** bpf_sockopt as getsockopt (retval readable and writable) or setsockopt (level and optname writable) sees it. */
export function sockoptLayout(attachType: number): ContextLayout {
  let l = cache.get(attachType);
  if (l) return l;
  const get = attachType === A.CGROUP_GETSOCKOPT, set = attachType === A.CGROUP_SETSOCKOPT;
  l = layoutStruct("bpf_sockopt", SOCKOPT_DECL, (name) => {
    switch (name) {
      case "sk": return { read: DWORD, pointer: "sock" };
      case "optval": return { read: DWORD, pointer: "pkt" };
      case "optval_end": return { read: DWORD, pointer: "pkt_end" };
      case "retval": return get ? { read: WORD, write: WORD } : {};
      case "level": case "optname": return { read: WORD, write: set ? WORD : [] };
      default: return { read: WORD, write: WORD }; // optlen
    }
  });
  cache.set(attachType, l);
  return l;
}

export const cgroupSockopt: ProgTypeInfo = {
  id: ProgType.CGROUP_SOCKOPT, name: "cgroup_sockopt", kernelName: "BPF_PROG_TYPE_CGROUP_SOCKOPT",
  summary: "cgroup get/setsockopt hooks: inspect or rewrite the option; 1 continues, 0 refuses (EPERM)",
  context: (at) => sockoptLayout(at ?? -1), packetAccess: "read_write",
  attachTypes: [A.CGROUP_GETSOCKOPT, A.CGROUP_SETSOCKOPT], expectedAttachTypeRequired: true,
  returnRule: { range: [0, 1] },
  returnCodes: [{ name: "0", value: 0, meaning: "refuse (EPERM, or the retval set)" }, { name: "1", value: 1, meaning: "continue" }],
  testRun: { supported: false, data: "none", ctx: "none" },
  // cg_sockopt_func_proto
  helpers: uniq(CGROUP_COMMON, CGROUP_RETVAL, CGROUP_CURRENT, ["get_netns_cookie", "sk_storage_get", "sk_storage_delete", "tcp_sock", "perf_event_output"], BASE),
  helpersByAttachType: [{ attachTypes: [A.CGROUP_SETSOCKOPT], helpers: ["setsockopt", "getsockopt"] }],
};
