// BPF_PROG_TYPE_CGROUP_SOCK: socket creation/release and post-bind hooks of a cgroup. Return 1 allows,
// 0 refuses (EPERM). Context bpf_sock: which fields are visible depends on the expected attach type.
import { cgroupSockLayout } from "./bpf-sock.js";
import { AttachType as A, ProgType } from "./numbers.js";
import { BASE, CGROUP_COMMON, CGROUP_CURRENT, CGROUP_RETVAL, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const cgroupSock: ProgTypeInfo = {
  id: ProgType.CGROUP_SOCK, name: "cgroup_sock", kernelName: "BPF_PROG_TYPE_CGROUP_SOCK",
  summary: "cgroup socket create/release/post_bind hook; returns 1 (allow) or 0 (EPERM)",
  context: (at) => cgroupSockLayout(at ?? A.CGROUP_INET_SOCK_CREATE),
  packetAccess: "none",
  attachTypes: [A.CGROUP_INET_SOCK_CREATE, A.CGROUP_INET_SOCK_RELEASE, A.CGROUP_INET4_POST_BIND, A.CGROUP_INET6_POST_BIND],
  expectedAttachTypeRequired: true, defaultAttachType: A.CGROUP_INET_SOCK_CREATE,
  returnRule: { range: [0, 1] },
  returnCodes: [{ name: "0", value: 0, meaning: "refuse (EPERM)" }, { name: "1", value: 1, meaning: "allow" }],
  testRun: { supported: false, data: "none", ctx: "none" },
  // sock_filter_func_proto: cgroup common + current, own cases, then bpf_base_func_proto (not the sk base)
  helpers: uniq(CGROUP_COMMON, CGROUP_RETVAL, CGROUP_CURRENT, ["get_socket_cookie", "get_netns_cookie", "perf_event_output", "sk_storage_get", "ktime_get_coarse_ns"], BASE),
};
