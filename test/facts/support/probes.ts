// Probing the running kernel for the facts in src/progtypes, src/helpers and src/maps: tiny programs and
// map creations whose accept/refuse answer is recorded by scripts/record-facts-kernel.ts into
// test/facts/fixtures/kernel-*.json and re-checked live (for a sample) by test/facts/kernel-live.test.ts.
// The probes only build inputs and classify the kernel's answer; they never consult the fact tables.
import { encode, call, exit, mov64Imm, load, storeReg, storeImm, make, R0, R1, R2, type Instruction } from "../../../src/isa/index.js";
import { progLoadRaw, mapCreate, btfLoad, KernelError, closeFd, mapTypeId } from "../../../src/kernel/index.js";
import { ProgType as P, AttachType as A } from "../../../src/progtypes/numbers.js";

/** One program type + expected attach type to probe. `key` names it in the fixtures. */
export interface ProbeTarget {
  key: string;
  progType: number;
  attachType?: number;
}

const t = (key: string, progType: number, attachType?: number): ProbeTarget => (attachType === undefined ? { key, progType } : { key, progType, attachType });

/** The program types added with their own context files (lwt, sk_reuseport, flow dissector, sysctl, sockopt):
 * probed for both helpers and context accesses. */
const MORE_TARGETS: readonly ProbeTarget[] = [
  t("lwt_in", P.LWT_IN), t("lwt_out", P.LWT_OUT), t("lwt_xmit", P.LWT_XMIT), t("lwt_seg6local", P.LWT_SEG6LOCAL),
  t("sk_reuseport/select", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT), t("sk_reuseport/migrate", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE),
  t("flow_dissector", P.FLOW_DISSECTOR, A.FLOW_DISSECTOR), t("cgroup_sysctl", P.CGROUP_SYSCTL, A.CGROUP_SYSCTL),
  t("cgroup_sockopt/getsockopt", P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT), t("cgroup_sockopt/setsockopt", P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT),
];

/** The tracing types and cgroup_device, with context layouts since their own files (kprobe.ts, ...): probed
 * for both helpers and context accesses. */
const TRACING_TARGETS: readonly ProbeTarget[] = [
  t("kprobe", P.KPROBE), t("tracepoint", P.TRACEPOINT), t("raw_tracepoint", P.RAW_TRACEPOINT), t("perf_event", P.PERF_EVENT),
  t("cgroup_device", P.CGROUP_DEVICE, A.CGROUP_DEVICE),
];

/** Targets of the helper-permission probe: every program type with a helper list, per attach type where
 * the kernel's *_func_proto looks at it. */
export const HELPER_TARGETS: readonly ProbeTarget[] = [
  t("socket_filter", P.SOCKET_FILTER), t("sched_cls", P.SCHED_CLS), t("sched_act", P.SCHED_ACT), t("xdp", P.XDP),
  t("xdp/devmap", P.XDP, A.XDP_DEVMAP),
  t("cgroup_skb/ingress", P.CGROUP_SKB, A.CGROUP_INET_INGRESS), t("cgroup_skb/egress", P.CGROUP_SKB, A.CGROUP_INET_EGRESS),
  t("cgroup_sock/sock_create", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE), t("cgroup_sock/sock_release", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE),
  t("cgroup_sock/post_bind4", P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND), t("cgroup_sock/post_bind6", P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND),
  t("sock_ops", P.SOCK_OPS), t("sk_skb/stream_parser", P.SK_SKB, A.SK_SKB_STREAM_PARSER), t("sk_skb/stream_verdict", P.SK_SKB, A.SK_SKB_STREAM_VERDICT),
  t("sk_msg", P.SK_MSG, A.SK_MSG_VERDICT), t("sk_lookup", P.SK_LOOKUP, A.SK_LOOKUP),
  ...([
    ["bind4", A.CGROUP_INET4_BIND], ["bind6", A.CGROUP_INET6_BIND], ["connect4", A.CGROUP_INET4_CONNECT], ["connect6", A.CGROUP_INET6_CONNECT],
    ["sendmsg4", A.CGROUP_UDP4_SENDMSG], ["sendmsg6", A.CGROUP_UDP6_SENDMSG], ["recvmsg4", A.CGROUP_UDP4_RECVMSG], ["recvmsg6", A.CGROUP_UDP6_RECVMSG],
    ["getpeername4", A.CGROUP_INET4_GETPEERNAME], ["getpeername6", A.CGROUP_INET6_GETPEERNAME], ["getsockname4", A.CGROUP_INET4_GETSOCKNAME],
    ["getsockname6", A.CGROUP_INET6_GETSOCKNAME], ["connect_unix", A.CGROUP_UNIX_CONNECT], ["sendmsg_unix", A.CGROUP_UNIX_SENDMSG],
    ["recvmsg_unix", A.CGROUP_UNIX_RECVMSG], ["getpeername_unix", A.CGROUP_UNIX_GETPEERNAME], ["getsockname_unix", A.CGROUP_UNIX_GETSOCKNAME],
  ] as const).map(([n, a]) => t(`cgroup_sock_addr/${n}`, P.CGROUP_SOCK_ADDR, a)),
  ...MORE_TARGETS, ...TRACING_TARGETS,
];

/** Targets of the context-access probe. */
export const CTX_TARGETS: readonly ProbeTarget[] = [
  t("xdp", P.XDP), t("xdp/devmap", P.XDP, A.XDP_DEVMAP), t("sched_cls", P.SCHED_CLS), t("socket_filter", P.SOCKET_FILTER),
  t("cgroup_skb/ingress", P.CGROUP_SKB, A.CGROUP_INET_INGRESS), t("sock_ops", P.SOCK_OPS), t("sk_msg", P.SK_MSG, A.SK_MSG_VERDICT),
  t("sk_skb/stream_verdict", P.SK_SKB, A.SK_SKB_STREAM_VERDICT),
  // beyond the brief's list: the other types whose context the tables describe
  t("cgroup_skb/egress", P.CGROUP_SKB, A.CGROUP_INET_EGRESS), t("sk_skb/stream_parser", P.SK_SKB, A.SK_SKB_STREAM_PARSER),
  t("sched_act", P.SCHED_ACT), t("sk_lookup", P.SK_LOOKUP, A.SK_LOOKUP),
  t("cgroup_sock/sock_create", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE), t("cgroup_sock/sock_release", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE),
  t("cgroup_sock/post_bind4", P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND), t("cgroup_sock/post_bind6", P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND),
  t("cgroup_sock_addr/bind4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND), t("cgroup_sock_addr/connect6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT),
  t("cgroup_sock_addr/sendmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG), t("cgroup_sock_addr/sendmsg6", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG),
  t("cgroup_sock_addr/recvmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG), t("cgroup_sock_addr/getpeername6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME),
  t("cgroup_sock_addr/connect_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT), t("cgroup_sock_addr/sendmsg_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG),
  ...MORE_TARGETS, ...TRACING_TARGETS,
];

/** Offsets below 0 probed for every context target: the insn offset is signed, and one check
 * (tp_prog_is_valid_access) lets negative ones through. */
export const CTX_PROBED_FROM = -16;

/** The helper ids probed (the kernel's ___BPF_FUNC_MAPPER, frozen since 6.1: 1..211). */
export const MAX_PROBED_HELPER = 211;

let logBuf: Uint8Array | undefined;
const buf = (): Uint8Array => (logBuf ??= new Uint8Array(1 << 16));

export interface LoadAnswer { ok: boolean; errno: number; log: string }

/** Load a program (license and attach type as given); the fd is closed at once. */
export function tryLoad(target: ProbeTarget, insns: Instruction[], license = "GPL"): LoadAnswer {
  const r = progLoadRaw({
    progType: target.progType, insns: encode(insns), license, logLevel: 1, logBuf: buf(),
    ...(target.attachType !== undefined ? { expectedAttachType: target.attachType } : {}),
  });
  if (r.fd >= 0) closeFd(r.fd);
  return { ok: r.fd >= 0, errno: r.errno, log: r.log };
}

/** r0 = 1 is inside every return range of the probed types (cgroup_skb [0,1], recvmsg hooks [1,1], ...). */
const RET = (): Instruction[] => [mov64Imm(R0, 1), exit()];

/** A trivial program of the target loads: otherwise every other answer is meaningless. */
export function baselineLoads(target: ProbeTarget): LoadAnswer {
  return tryLoad(target, RET());
}

export type HelperAnswer = "allowed" | "allowed_gpl" | "denied";

/**
 * Whether the target may call helper `id`. check_helper_call fetches the prototype first and refuses with
 * "program of this type cannot use helper" / "unknown func" when the type does not offer it; the next
 * check is the GPL one ("cannot call GPL-restricted function"), so the program is loaded with an MIT
 * license. Any other outcome (argument errors, success) means the helper is offered.
 */
export function probeHelper(target: ProbeTarget, id: number): HelperAnswer {
  const r = tryLoad(target, [call(id), ...RET()], "MIT");
  if (r.ok) return "allowed";
  if (/cannot use helper|unknown func/.test(r.log)) return "denied";
  if (/cannot call GPL-restricted function/.test(r.log)) return "allowed_gpl";
  if (r.log === "") throw new Error(`${target.key}: helper ${id}: load failed with errno ${r.errno} and no log`);
  return "allowed";
}

export type CtxKind = "ldx" | "ldsx" | "stx" | "st";

/** Whether the target may load (ldx; ldsx: sign-extending, sizes 1/2/4) or store (stx from a register, st
 * immediate) `size` bytes at ctx+off. */
export function probeCtx(target: ProbeTarget, kind: CtxKind, off: number, size: 1 | 2 | 4 | 8): boolean {
  const body: Instruction[] =
    kind === "ldx" ? [load(size, R0, R1, off)]
      : kind === "ldsx" ? [make(`ldxs${size === 1 ? "b" : size === 2 ? "h" : "w"}`, { dst: R0, src: R1, off })]
      : kind === "stx" ? [mov64Imm(R2, 0), storeReg(size, R1, off, R2)]
        : [storeImm(size, R1, off, 0)];
  const r = tryLoad(target, [...body, ...RET()]);
  return r.ok;
}

// ---- maps ---------------------------------------------------------------------------------------

/** A map creation case: the spec in MapSpec terms (names as in src/maps) plus whether BTF ids are given. */
export interface MapCase {
  label: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  extra?: number;
  /** BTF key/value types (an int of the key size, a byte array of the value size). */
  btf?: boolean;
  inner?: { type: string; keySize: number; valueSize: number; maxEntries: number; flags: number };
}

/** Minimal BTF: [1] int (key-sized, when 1/2/4/8/16), [2] unsigned char, [3] array of [2] x n. */
function btfBlob(keySize: number, valueSize: number): Uint8Array {
  const strings = new TextEncoder().encode("\0k\0u8\0");
  const types: number[] = [];
  const intType = (nameOff: number, size: number, signed: boolean): void => {
    types.push(nameOff, (1 << 24) >>> 0, size, ((signed ? 1 : 0) << 24) | (size * 8));
  };
  intType(1, [1, 2, 4, 8, 16].includes(keySize) ? keySize : 4, false); // [1]
  intType(3, 1, false); // [2] u8
  types.push(0, (3 << 24) >>> 0, 0, 2, 1, Math.max(valueSize, 1)); // [3] u8[valueSize]: btf_type + btf_array{type, index_type, nelems}
  const typeBytes = new Uint8Array(types.length * 4);
  const tv = new DataView(typeBytes.buffer);
  types.forEach((v, i) => tv.setUint32(i * 4, v >>> 0, true));
  const out = new Uint8Array(24 + typeBytes.length + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint8(3, 0); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, typeBytes.length, true); v.setUint32(16, typeBytes.length, true); v.setUint32(20, strings.length, true);
  out.set(typeBytes, 24); out.set(strings, 24 + typeBytes.length);
  return out;
}

export interface MapAnswer { ok: boolean; errno: number }

/** MAP_CREATE the case (inner template first); every fd is closed again. */
export function probeMap(c: MapCase): MapAnswer {
  const fds: number[] = [];
  try {
    const create = (x: { type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; extra?: number }, more: object = {}): number => {
      const mapType = mapTypeId(x.type);
      if (mapType === undefined) throw new Error(`unknown map type ${x.type}`);
      const fd = mapCreate({ mapType, keySize: x.keySize, valueSize: x.valueSize, maxEntries: x.maxEntries, flags: x.flags,
        ...(x.extra !== undefined ? { mapExtra: BigInt(x.extra) } : {}), ...more });
      fds.push(fd);
      return fd;
    };
    const more: Record<string, number> = {};
    if (c.inner) more.innerMapFd = create(c.inner);
    if (c.btf) {
      const btfFd = btfLoad(btfBlob(c.keySize, c.valueSize));
      fds.push(btfFd);
      Object.assign(more, { btfFd, btfKeyTypeId: 1, btfValueTypeId: 3 });
    }
    create(c, more);
    return { ok: true, errno: 0 };
  } catch (err) {
    if (err instanceof KernelError) return { ok: false, errno: err.errno };
    throw err;
  } finally {
    for (const fd of fds.reverse()) closeFd(fd);
  }
}
