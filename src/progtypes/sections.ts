// libbpf's section names (ELF `SEC("...")`) and what they mean: program type, expected attach type,
// sleepable, XDP frags. The list follows libbpf 1.x `section_defs` (same order: the first match wins, so
// the more specific `xdp/devmap` comes before `xdp`). Since libbpf 1.0 names without a trailing `+` match
// exactly; names with `+` match `prefix` or `prefix/anything`. bpfkit also accepts the pre-1.0 "sloppy"
// form (`xdp/my_prog`, `socket/x`) when asked, because many older sources still use it.
import { AttachType as A, ProgType as P } from "./numbers.js";
import type { SectionDef } from "./types.js";

type Extra = Partial<Pick<SectionDef, "attachType" | "targetRequired" | "sleepable" | "xdpFrags" | "legacy">>;
const exact = (prefix: string, progType: number, extra: Extra = {}): SectionDef => ({ prefix, progType, match: "exact", ...extra });
const plus = (prefix: string, progType: number, extra: Extra = {}): SectionDef => ({ prefix, progType, match: "plus", ...extra });

export const SECTION_DEFS: readonly SectionDef[] = [
  exact("socket", P.SOCKET_FILTER),
  exact("sk_reuseport/migrate", P.SK_REUSEPORT, { attachType: A.SK_REUSEPORT_SELECT_OR_MIGRATE }),
  exact("sk_reuseport", P.SK_REUSEPORT, { attachType: A.SK_REUSEPORT_SELECT }),
  plus("kprobe", P.KPROBE, { targetRequired: true }),
  plus("uprobe", P.KPROBE),
  plus("uprobe.s", P.KPROBE, { sleepable: true }),
  plus("kretprobe", P.KPROBE, { targetRequired: true }),
  plus("uretprobe", P.KPROBE),
  plus("uretprobe.s", P.KPROBE, { sleepable: true }),
  plus("kprobe.multi", P.KPROBE, { attachType: A.TRACE_KPROBE_MULTI }),
  plus("kretprobe.multi", P.KPROBE, { attachType: A.TRACE_KPROBE_MULTI }),
  plus("kprobe.session", P.KPROBE, { attachType: A.TRACE_KPROBE_SESSION }),
  plus("uprobe.multi", P.KPROBE, { attachType: A.TRACE_UPROBE_MULTI }),
  plus("uretprobe.multi", P.KPROBE, { attachType: A.TRACE_UPROBE_MULTI }),
  plus("uprobe.multi.s", P.KPROBE, { attachType: A.TRACE_UPROBE_MULTI, sleepable: true }),
  plus("uretprobe.multi.s", P.KPROBE, { attachType: A.TRACE_UPROBE_MULTI, sleepable: true }),
  plus("ksyscall", P.KPROBE, { targetRequired: true }),
  plus("kretsyscall", P.KPROBE, { targetRequired: true }),
  plus("usdt", P.KPROBE),
  plus("usdt.s", P.KPROBE, { sleepable: true }),
  exact("tc/ingress", P.SCHED_CLS, { attachType: A.TCX_INGRESS }), // alias of tcx/ingress
  exact("tc/egress", P.SCHED_CLS, { attachType: A.TCX_EGRESS }),
  exact("tcx/ingress", P.SCHED_CLS, { attachType: A.TCX_INGRESS }),
  exact("tcx/egress", P.SCHED_CLS, { attachType: A.TCX_EGRESS }),
  exact("tc", P.SCHED_CLS), // legacy clsact attach via netlink
  exact("classifier", P.SCHED_CLS, { legacy: true }),
  exact("action", P.SCHED_ACT, { legacy: true }),
  exact("netkit/primary", P.SCHED_CLS, { attachType: A.NETKIT_PRIMARY }),
  exact("netkit/peer", P.SCHED_CLS, { attachType: A.NETKIT_PEER }),
  plus("tracepoint", P.TRACEPOINT, { targetRequired: true }),
  plus("tp", P.TRACEPOINT, { targetRequired: true }),
  plus("raw_tracepoint", P.RAW_TRACEPOINT, { targetRequired: true }),
  plus("raw_tp", P.RAW_TRACEPOINT, { targetRequired: true }),
  plus("raw_tracepoint.w", P.RAW_TRACEPOINT_WRITABLE, { targetRequired: true }),
  plus("raw_tp.w", P.RAW_TRACEPOINT_WRITABLE, { targetRequired: true }),
  plus("tp_btf", P.TRACING, { attachType: A.TRACE_RAW_TP, targetRequired: true }),
  plus("fentry", P.TRACING, { attachType: A.TRACE_FENTRY, targetRequired: true }),
  plus("fmod_ret", P.TRACING, { attachType: A.MODIFY_RETURN, targetRequired: true }),
  plus("fexit", P.TRACING, { attachType: A.TRACE_FEXIT, targetRequired: true }),
  plus("fentry.s", P.TRACING, { attachType: A.TRACE_FENTRY, targetRequired: true, sleepable: true }),
  plus("fmod_ret.s", P.TRACING, { attachType: A.MODIFY_RETURN, targetRequired: true, sleepable: true }),
  plus("fexit.s", P.TRACING, { attachType: A.TRACE_FEXIT, targetRequired: true, sleepable: true }),
  plus("freplace", P.EXT, { targetRequired: true }),
  plus("lsm", P.LSM, { attachType: A.LSM_MAC, targetRequired: true }),
  plus("lsm.s", P.LSM, { attachType: A.LSM_MAC, targetRequired: true, sleepable: true }),
  plus("lsm_cgroup", P.LSM, { attachType: A.LSM_CGROUP, targetRequired: true }),
  plus("iter", P.TRACING, { attachType: A.TRACE_ITER, targetRequired: true }),
  plus("iter.s", P.TRACING, { attachType: A.TRACE_ITER, targetRequired: true, sleepable: true }),
  exact("syscall", P.SYSCALL, { sleepable: true }),
  exact("xdp.frags/devmap", P.XDP, { attachType: A.XDP_DEVMAP, xdpFrags: true }),
  exact("xdp/devmap", P.XDP, { attachType: A.XDP_DEVMAP }),
  exact("xdp.frags/cpumap", P.XDP, { attachType: A.XDP_CPUMAP, xdpFrags: true }),
  exact("xdp/cpumap", P.XDP, { attachType: A.XDP_CPUMAP }),
  exact("xdp.frags", P.XDP, { attachType: A.XDP, xdpFrags: true }),
  exact("xdp", P.XDP, { attachType: A.XDP }),
  exact("perf_event", P.PERF_EVENT),
  exact("lwt_in", P.LWT_IN),
  exact("lwt_out", P.LWT_OUT),
  exact("lwt_xmit", P.LWT_XMIT),
  exact("lwt_seg6local", P.LWT_SEG6LOCAL),
  exact("sockops", P.SOCK_OPS, { attachType: A.CGROUP_SOCK_OPS }),
  exact("sk_skb/stream_parser", P.SK_SKB, { attachType: A.SK_SKB_STREAM_PARSER }),
  exact("sk_skb/stream_verdict", P.SK_SKB, { attachType: A.SK_SKB_STREAM_VERDICT }),
  exact("sk_skb/verdict", P.SK_SKB, { attachType: A.SK_SKB_VERDICT }),
  exact("sk_skb", P.SK_SKB),
  exact("sk_msg", P.SK_MSG, { attachType: A.SK_MSG_VERDICT }),
  exact("lirc_mode2", P.LIRC_MODE2, { attachType: A.LIRC_MODE2 }),
  exact("flow_dissector", P.FLOW_DISSECTOR, { attachType: A.FLOW_DISSECTOR }),
  exact("cgroup_skb/ingress", P.CGROUP_SKB, { attachType: A.CGROUP_INET_INGRESS }),
  exact("cgroup_skb/egress", P.CGROUP_SKB, { attachType: A.CGROUP_INET_EGRESS }),
  exact("cgroup/skb", P.CGROUP_SKB),
  exact("cgroup/sock_create", P.CGROUP_SOCK, { attachType: A.CGROUP_INET_SOCK_CREATE }),
  exact("cgroup/sock_release", P.CGROUP_SOCK, { attachType: A.CGROUP_INET_SOCK_RELEASE }),
  exact("cgroup/sock", P.CGROUP_SOCK, { attachType: A.CGROUP_INET_SOCK_CREATE }),
  exact("cgroup/post_bind4", P.CGROUP_SOCK, { attachType: A.CGROUP_INET4_POST_BIND }),
  exact("cgroup/post_bind6", P.CGROUP_SOCK, { attachType: A.CGROUP_INET6_POST_BIND }),
  exact("cgroup/bind4", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET4_BIND }),
  exact("cgroup/bind6", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET6_BIND }),
  exact("cgroup/connect4", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET4_CONNECT }),
  exact("cgroup/connect6", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET6_CONNECT }),
  exact("cgroup/connect_unix", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UNIX_CONNECT }),
  exact("cgroup/sendmsg4", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UDP4_SENDMSG }),
  exact("cgroup/sendmsg6", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UDP6_SENDMSG }),
  exact("cgroup/sendmsg_unix", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UNIX_SENDMSG }),
  exact("cgroup/recvmsg4", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UDP4_RECVMSG }),
  exact("cgroup/recvmsg6", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UDP6_RECVMSG }),
  exact("cgroup/recvmsg_unix", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UNIX_RECVMSG }),
  exact("cgroup/getpeername4", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET4_GETPEERNAME }),
  exact("cgroup/getpeername6", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET6_GETPEERNAME }),
  exact("cgroup/getpeername_unix", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UNIX_GETPEERNAME }),
  exact("cgroup/getsockname4", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET4_GETSOCKNAME }),
  exact("cgroup/getsockname6", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_INET6_GETSOCKNAME }),
  exact("cgroup/getsockname_unix", P.CGROUP_SOCK_ADDR, { attachType: A.CGROUP_UNIX_GETSOCKNAME }),
  exact("cgroup/sysctl", P.CGROUP_SYSCTL, { attachType: A.CGROUP_SYSCTL }),
  exact("cgroup/getsockopt", P.CGROUP_SOCKOPT, { attachType: A.CGROUP_GETSOCKOPT }),
  exact("cgroup/setsockopt", P.CGROUP_SOCKOPT, { attachType: A.CGROUP_SETSOCKOPT }),
  exact("cgroup/dev", P.CGROUP_DEVICE, { attachType: A.CGROUP_DEVICE }),
  plus("struct_ops", P.STRUCT_OPS),
  plus("struct_ops.s", P.STRUCT_OPS, { sleepable: true }),
  exact("sk_lookup", P.SK_LOOKUP, { attachType: A.SK_LOOKUP }),
  exact("netfilter", P.NETFILTER, { attachType: A.NETFILTER }),
];

export interface ResolvedSection {
  /** The section name as given. */
  section: string;
  progType: number;
  /** expected_attach_type to pass at load (undefined = 0). */
  attachType?: number;
  /** The matching libbpf definition. */
  def: SectionDef;
  /** For `plus` sections: what follows `prefix/` (`do_sys_open` in `kprobe/do_sys_open`). */
  target?: string;
  sleepable: boolean;
  xdpFrags: boolean;
  /** Matched only by the pre-libbpf-1.0 rule (`xdp/foo`): works, but libbpf 1.x would refuse it. */
  sloppy: boolean;
}

function matches(def: SectionDef, name: string): { target?: string } | undefined {
  if (def.match === "exact") return name === def.prefix ? {} : undefined;
  if (name === def.prefix) return {};
  if (name.startsWith(def.prefix + "/")) return { target: name.slice(def.prefix.length + 1) };
  return undefined;
}

function resolved(name: string, def: SectionDef, target: string | undefined, sloppy: boolean): ResolvedSection {
  const r: ResolvedSection = { section: name, progType: def.progType, def, sleepable: !!def.sleepable, xdpFrags: !!def.xdpFrags, sloppy };
  if (def.attachType !== undefined) r.attachType = def.attachType;
  if (target !== undefined) r.target = target;
  return r;
}

/**
 * What a section name means, by libbpf's rules (first match in SECTION_DEFS order). With `sloppy` (the
 * default), a name that only matches as `<exact prefix>/anything` (libbpf < 1.0 style, `xdp/my_prog`) also
 * resolves, flagged `sloppy: true`. Undefined when nothing matches: report with `knownSectionNames()`.
 */
export function resolveSection(name: string, opts: { sloppy?: boolean } = {}): ResolvedSection | undefined {
  for (const def of SECTION_DEFS) {
    const m = matches(def, name);
    if (m) return resolved(name, def, m.target, false);
  }
  if (opts.sloppy === false) return undefined;
  // Old libbpf: `xdp_foo` and `xdp/foo` matched the `xdp` prefix. Only the `/` form is accepted here,
  // longest prefix first so `sk_skb/stream_parser/x` is not taken for `sk_skb`.
  const candidates = SECTION_DEFS.filter((d) => d.match === "exact" && name.startsWith(d.prefix + "/"));
  candidates.sort((a, b) => b.prefix.length - a.prefix.length);
  const def = candidates[0];
  return def ? resolved(name, def, name.slice(def.prefix.length + 1), true) : undefined;
}

/** Section names for messages ("known: xdp, tc, ..."): `kprobe/<target>` style for `plus` sections. */
export function knownSectionNames(): string[] {
  return SECTION_DEFS.map((d) => (d.match === "plus" ? (d.targetRequired ? `${d.prefix}/<target>` : `${d.prefix}[/<target>]`) : d.prefix));
}

/** "unknown section 'foo'; known: ...; use --type" in one place so every stage says the same. */
export function unknownSectionMessage(name: string): string {
  return `unknown section '${name}'; known: ${knownSectionNames().join(", ")}; use --type to give the program type`;
}
