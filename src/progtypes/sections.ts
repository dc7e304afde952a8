// libbpf's section names (ELF `SEC("...")`) and what they mean: program type, expected attach type,
// sleepable, XDP frags. The list is libbpf 1.5's `section_defs` (tools/lib/bpf/libbpf.c), entry for entry
// and in the same order: the first match wins, so the more specific `xdp/devmap` comes before `xdp`.
// test/facts/sections.test.ts holds it to libbpf's own table. Since libbpf 1.0 names without a trailing
// `+` match exactly; names with `+` match `prefix` or `prefix/anything`. A leading `?` (`SEC("?raw_tp")`)
// means "do not load by default" and is not part of the name. Names libbpf 1.x does not know (`xdp_auth`,
// the pre-1.0 forms `xdp/my_prog`, `classifier/foo`) resolve to nothing: the user chooses the type
// (`--type`), helped by `suggestSection`.
import { AttachType as A, ProgType as P } from "./numbers.js";
import type { SectionDef } from "./types.js";

type Extra = Partial<Pick<SectionDef, "attachType" | "targetRequired" | "sleepable" | "xdpFrags" | "legacy" | "attachBtf" | "usdt">>;
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
  plus("usdt", P.KPROBE, { usdt: true }),
  plus("usdt.s", P.KPROBE, { usdt: true, sleepable: true }),
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
  plus("tp_btf", P.TRACING, { attachType: A.TRACE_RAW_TP, targetRequired: true, attachBtf: true }),
  plus("fentry", P.TRACING, { attachType: A.TRACE_FENTRY, targetRequired: true, attachBtf: true }),
  plus("fmod_ret", P.TRACING, { attachType: A.MODIFY_RETURN, targetRequired: true, attachBtf: true }),
  plus("fexit", P.TRACING, { attachType: A.TRACE_FEXIT, targetRequired: true, attachBtf: true }),
  plus("fentry.s", P.TRACING, { attachType: A.TRACE_FENTRY, targetRequired: true, attachBtf: true, sleepable: true }),
  plus("fmod_ret.s", P.TRACING, { attachType: A.MODIFY_RETURN, targetRequired: true, attachBtf: true, sleepable: true }),
  plus("fexit.s", P.TRACING, { attachType: A.TRACE_FEXIT, targetRequired: true, attachBtf: true, sleepable: true }),
  plus("freplace", P.EXT, { targetRequired: true, attachBtf: true }),
  plus("lsm", P.LSM, { attachType: A.LSM_MAC, targetRequired: true, attachBtf: true }),
  plus("lsm.s", P.LSM, { attachType: A.LSM_MAC, targetRequired: true, attachBtf: true, sleepable: true }),
  plus("lsm_cgroup", P.LSM, { attachType: A.LSM_CGROUP, targetRequired: true, attachBtf: true }),
  plus("iter", P.TRACING, { attachType: A.TRACE_ITER, targetRequired: true, attachBtf: true }),
  plus("iter.s", P.TRACING, { attachType: A.TRACE_ITER, targetRequired: true, attachBtf: true, sleepable: true }),
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

/** prog_flags bits libbpf sets from the section (include/uapi/linux/bpf.h). */
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

export interface ResolvedSection {
  /** The section name as given, without a leading `?`. */
  section: string;
  progType: number;
  /** expected_attach_type of the table entry (undefined = 0); what goes to BPF_PROG_LOAD is `loadAttrs()`. */
  attachType?: number;
  /** The matching libbpf definition. */
  def: SectionDef;
  /** For `plus` sections: what follows `prefix/` (`do_sys_open` in `kprobe/do_sys_open`). */
  target?: string;
  sleepable: boolean;
  xdpFrags: boolean;
  /** False for `SEC("?name")`: libbpf does not load it unless asked (bpf_program__set_autoload). */
  autoload: boolean;
  /** Matched only by the pre-libbpf-1.0 rule (`xdp/foo`, asked for with `sloppy: true`); libbpf 1.x refuses it. */
  sloppy: boolean;
}

/** A section name without libbpf's "do not autoload" mark: `?raw_tp` -> { name: "raw_tp", autoload: false }. */
export function splitAutoload(section: string): { name: string; autoload: boolean } {
  return section.startsWith("?") ? { name: section.slice(1), autoload: false } : { name: section, autoload: true };
}

function matches(def: SectionDef, name: string): { target?: string } | undefined {
  if (def.match === "exact") return name === def.prefix ? {} : undefined;
  if (name === def.prefix) return {};
  if (name.startsWith(def.prefix + "/")) return { target: name.slice(def.prefix.length + 1) };
  return undefined;
}

function resolved(name: string, def: SectionDef, target: string | undefined, sloppy: boolean, autoload: boolean): ResolvedSection {
  const r: ResolvedSection = { section: name, progType: def.progType, def, sleepable: !!def.sleepable, xdpFrags: !!def.xdpFrags, autoload, sloppy };
  if (def.attachType !== undefined) r.attachType = def.attachType;
  if (target !== undefined) r.target = target;
  return r;
}

/**
 * What a section name means, by libbpf 1.x's rules (first match in SECTION_DEFS order; a leading `?` is
 * the autoload mark). Undefined when libbpf would not know it either: report it with `sectionHint`.
 * `sloppy: true` also takes the pre-1.0 form `<exact name>/anything` (`xdp/my_prog`), flagged `sloppy`.
 */
export function resolveSection(section: string, opts: { sloppy?: boolean } = {}): ResolvedSection | undefined {
  const { name, autoload } = splitAutoload(section);
  for (const def of SECTION_DEFS) {
    const m = matches(def, name);
    if (m) return resolved(name, def, m.target, false, autoload);
  }
  if (opts.sloppy !== true) return undefined;
  // Old libbpf: `xdp/foo` matched the `xdp` entry. Longest prefix first so `sk_skb/stream_parser/x` is not `sk_skb`.
  const candidates = SECTION_DEFS.filter((d) => d.match === "exact" && name.startsWith(d.prefix + "/"));
  candidates.sort((a, b) => b.prefix.length - a.prefix.length);
  const def = candidates[0];
  return def ? resolved(name, def, name.slice(def.prefix.length + 1), true, autoload) : undefined;
}

/**
 * What libbpf 1.5 passes to BPF_PROG_LOAD for a section (libbpf_prepare_prog_load): the program type, the
 * expected attach type (a `usdt` program gets BPF_TRACE_UPROBE_MULTI, as on every kernel with uprobe_multi
 * links, 6.6+) and prog_flags (BPF_F_SLEEPABLE for `.s` sections and `syscall`, BPF_F_XDP_HAS_FRAGS for
 * `xdp.frags`).
 */
export function loadAttrs(r: ResolvedSection): { progType: number; expectedAttachType: number; progFlags: number } {
  const expectedAttachType = r.def.usdt ? A.TRACE_UPROBE_MULTI : r.attachType ?? 0;
  const progFlags = (r.sleepable ? BPF_F_SLEEPABLE : 0) | (r.xdpFrags && r.progType === P.XDP ? BPF_F_XDP_HAS_FRAGS : 0);
  return { progType: r.progType, expectedAttachType, progFlags };
}

/** Section names for messages ("known: xdp, tc, ..."): `kprobe/<target>` style for `plus` sections. */
export function knownSectionNames(): string[] {
  return SECTION_DEFS.map((d) => (d.match === "plus" ? (d.targetRequired ? `${d.prefix}/<target>` : `${d.prefix}[/<target>]`) : d.prefix));
}

/**
 * The section a program's context argument points to, after veristat's guess_prog_type_by_ctx_name: the
 * UAPI struct name and the kernel's own. `__sk_buff` is the most ambiguous; like veristat, take it for tc.
 */
const CONTEXT_SECTIONS: readonly [names: readonly string[], section: string][] = [
  [["__sk_buff", "sk_buff"], "tc"],
  [["xdp_md", "xdp_buff"], "xdp"],
  [["bpf_sock", "sock"], "cgroup/sock"],
  [["bpf_sock_addr", "bpf_sock_addr_kern"], "cgroup/connect4"],
  [["bpf_sock_ops", "bpf_sock_ops_kern"], "sockops"],
  [["sk_msg_md", "sk_msg"], "sk_msg"],
  [["bpf_cgroup_dev_ctx"], "cgroup/dev"],
  [["bpf_sysctl", "bpf_sysctl_kern"], "cgroup/sysctl"],
  [["bpf_sockopt", "bpf_sockopt_kern"], "cgroup/setsockopt"],
  [["sk_reuseport_md", "sk_reuseport_kern"], "sk_reuseport"],
  [["bpf_sk_lookup", "bpf_sk_lookup_kern"], "sk_lookup"],
  [["bpf_user_pt_regs_t", "pt_regs"], "kprobe"],
  [["bpf_perf_event_data", "bpf_perf_event_data_kern"], "perf_event"],
  [["bpf_raw_tracepoint_args"], "raw_tp"],
  [["bpf_nf_ctx"], "netfilter"],
];

export interface SectionSuggestion {
  /** A section name libbpf 1.5 knows. */
  section: string;
  /**
   * Why: `old-libbpf` (libbpf before 1.0 matched names by prefix: `xdp_auth`, `xdp/foo` were `xdp`),
   * `context` (the program's context argument type), `spelling` (a small edit away).
   */
  why: "old-libbpf" | "context" | "spelling";
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest section libbpf 1.5 knows, for a name it does not: the longest known name the section
 * starts with (what libbpf before 1.0 did: `xdp_auth`, `socket1`, `classifier/foo`), else the section
 * of the program's context type (`ctxType`: the struct its first argument points to, from BTF), else
 * the known name fewest edits away (at most a third of its length); `__sk_buff`, the context of a dozen
 * types, comes after the spelling.
 */
export function suggestSection(section: string, ctxType?: string): SectionSuggestion | undefined {
  const { name } = splitAutoload(section);
  if (resolveSection(name)) return undefined;
  let best: string | undefined;
  for (const d of SECTION_DEFS) if (name.startsWith(d.prefix) && d.prefix.length > (best?.length ?? 0)) best = d.prefix;
  if (best) return { section: best, why: "old-libbpf" };
  const byContext = ctxType ? CONTEXT_SECTIONS.find(([names]) => names.includes(ctxType))?.[1] : undefined;
  // __sk_buff is shared by a dozen types: a near spelling says more than it does
  if (byContext !== undefined && byContext !== "tc") return { section: byContext, why: "context" };
  let closest: { s: string; d: number } | undefined;
  for (const d of SECTION_DEFS) {
    const dist = editDistance(name, d.prefix);
    if (dist <= Math.max(1, Math.floor(d.prefix.length / 3)) && (!closest || dist < closest.d)) closest = { s: d.prefix, d: dist };
  }
  if (closest) return { section: closest.s, why: "spelling" };
  return byContext !== undefined ? { section: byContext, why: "context" } : undefined;
}

/**
 * The hint for a program whose section libbpf 1.5 does not know: the closest known section and why, and
 * the `--type` that chooses it for this program (every command that takes a program file has `--type`).
 */
export function sectionHint(section: string, program: string, ctxType?: string): string {
  const s = suggestSection(section, ctxType);
  if (!s) return `libbpf 1.x would not load it either; choose its type with --type ${program}=TYPE (a section name such as xdp, tc, socket, kprobe, cgroup_skb/ingress)`;
  const why = s.why === "old-libbpf" ? `libbpf < 1.0 read '${section}' as '${s.section}'; libbpf 1.x refuses it`
    : s.why === "context" ? `its context argument is struct ${ctxType} *`
    : "the closest name libbpf knows";
  return `did you mean '${s.section}'? (${why}) choose with --type ${program}=${s.section}`;
}
