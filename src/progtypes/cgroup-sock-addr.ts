// BPF_PROG_TYPE_CGROUP_SOCK_ADDR: bind/connect/sendmsg/recvmsg/getpeername/getsockname hooks that may
// rewrite the address. The address fields visible depend on the attach type (IPv4 vs IPv6, sendmsg's
// source address); expected_attach_type is mandatory at load.
import { layoutStruct, type CDecl, type ContextLayout, NARROW_READ, WORD, DWORD } from "./context.js";
import { AttachType as A, ProgType } from "./numbers.js";
import { CGROUP_COMMON, CGROUP_CURRENT, CGROUP_RETVAL, CGROUP_RETVAL_EXCLUDED_ATTACH, SK_BASE, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const SOCK_ADDR_DECL: readonly CDecl[] = [
  ["user_family", "u32"], ["user_ip4", "u32"], ["user_ip6", "u32[4]"], ["user_port", "u32"], ["family", "u32"],
  ["type", "u32"], ["protocol", "u32"], ["msg_src_ip4", "u32"], ["msg_src_ip6", "u32[4]"], ["sk", "ptr"],
];

const V4: readonly number[] = [A.CGROUP_INET4_BIND, A.CGROUP_INET4_CONNECT, A.CGROUP_INET4_GETPEERNAME, A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_UDP4_SENDMSG, A.CGROUP_UDP4_RECVMSG];
const V6: readonly number[] = [A.CGROUP_INET6_BIND, A.CGROUP_INET6_CONNECT, A.CGROUP_INET6_GETPEERNAME, A.CGROUP_INET6_GETSOCKNAME, A.CGROUP_UDP6_SENDMSG, A.CGROUP_UDP6_RECVMSG];
const ALL = [...V4, ...V6, A.CGROUP_UNIX_CONNECT, A.CGROUP_UNIX_SENDMSG, A.CGROUP_UNIX_RECVMSG, A.CGROUP_UNIX_GETPEERNAME, A.CGROUP_UNIX_GETSOCKNAME];

export function sockAddrLayout(at: number): ContextLayout {
  const addr = { read: NARROW_READ, write: WORD } as const;
  const wideAddr = { read: NARROW_READ, write: WORD, wide: true } as const;
  return layoutStruct("bpf_sock_addr", SOCK_ADDR_DECL, (_n, base) => {
    switch (base) {
      case "user_ip4": return V4.includes(at) ? addr : {};
      case "user_ip6": return V6.includes(at) ? wideAddr : {};
      case "msg_src_ip4": return at === A.CGROUP_UDP4_SENDMSG ? addr : {};
      case "msg_src_ip6": return at === A.CGROUP_UDP6_SENDMSG ? wideAddr : {};
      case "user_port": return addr;
      case "sk": return { read: DWORD, pointer: "sock" };
      default: return { read: WORD }; // user_family, family, type, protocol
    }
  });
}

const ONE_ONE = [A.CGROUP_UDP4_RECVMSG, A.CGROUP_UDP6_RECVMSG, A.CGROUP_UNIX_RECVMSG, A.CGROUP_INET4_GETPEERNAME, A.CGROUP_INET6_GETPEERNAME,
  A.CGROUP_UNIX_GETPEERNAME, A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_INET6_GETSOCKNAME, A.CGROUP_UNIX_GETSOCKNAME];
const SOCKOPT_ATTACH = [A.CGROUP_INET4_BIND, A.CGROUP_INET6_BIND, A.CGROUP_INET4_CONNECT, A.CGROUP_INET6_CONNECT, A.CGROUP_UNIX_CONNECT,
  A.CGROUP_UDP4_RECVMSG, A.CGROUP_UDP6_RECVMSG, A.CGROUP_UNIX_RECVMSG, A.CGROUP_UDP4_SENDMSG, A.CGROUP_UDP6_SENDMSG, A.CGROUP_UNIX_SENDMSG,
  A.CGROUP_INET4_GETPEERNAME, A.CGROUP_INET6_GETPEERNAME, A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_INET6_GETSOCKNAME,
  // the running 6.18 kernel also offers them to the unix getpeername/getsockname hooks (kernel-helpers.json)
  A.CGROUP_UNIX_GETPEERNAME, A.CGROUP_UNIX_GETSOCKNAME];

export const cgroupSockAddr: ProgTypeInfo = {
  id: ProgType.CGROUP_SOCK_ADDR, name: "cgroup_sock_addr", kernelName: "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
  summary: "cgroup socket address hooks (connect4, bind6, sendmsg4, ...): may rewrite the address; returns 1 allow / 0 EPERM",
  context: (at) => sockAddrLayout(at ?? -1), packetAccess: "none", attachTypes: ALL, expectedAttachTypeRequired: true,
  returnRule: { range: [0, 1], byAttachType: [
    { attachTypes: ONE_ONE, range: [1, 1], note: "recvmsg/getpeername/getsockname cannot refuse" },
    { attachTypes: [A.CGROUP_INET4_BIND, A.CGROUP_INET6_BIND], range: [0, 3], note: "bit 1 = skip the CAP_NET_BIND_SERVICE port check" },
  ] },
  returnCodes: [{ name: "0", value: 0, meaning: "refuse (EPERM)" }, { name: "1", value: 1, meaning: "allow" }],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: uniq(CGROUP_COMMON, CGROUP_CURRENT, ["get_socket_cookie", "get_netns_cookie", "perf_event_output", "sk_lookup_tcp",
    "sk_lookup_udp", "sk_release", "skc_lookup_tcp", "sk_storage_get", "sk_storage_delete"], SK_BASE),
  helpersByAttachType: [
    { attachTypes: [A.CGROUP_INET4_CONNECT, A.CGROUP_INET6_CONNECT], helpers: ["bind"] },
    { attachTypes: SOCKOPT_ATTACH, helpers: ["setsockopt", "getsockopt"] },
    { attachTypes: ALL.filter((a) => !CGROUP_RETVAL_EXCLUDED_ATTACH.includes(a)), helpers: [...CGROUP_RETVAL] },
  ],
};
