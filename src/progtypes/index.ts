// Program types: one file each, collected here. Look-ups by kernel number, by name (kernel name in lower
// case, or a libbpf section name) and the access/return-code questions every stage asks.
import { xdp } from "./xdp.js";
import { schedCls } from "./sched-cls.js";
import { schedAct } from "./sched-act.js";
import { socketFilter } from "./socket-filter.js";
import { cgroupSkb } from "./cgroup-skb.js";
import { skSkb } from "./sk-skb.js";
import { skMsg } from "./sk-msg.js";
import { sockOps } from "./sock-ops.js";
import { cgroupSock } from "./cgroup-sock.js";
import { cgroupSockAddr } from "./cgroup-sock-addr.js";
import { skLookup } from "./sk-lookup.js";
import { lwtIn, lwtOut, lwtXmit, lwtSeg6local } from "./lwt.js";
import { skReuseport } from "./sk-reuseport.js";
import { flowDissector } from "./flow-dissector.js";
import { cgroupSysctl } from "./cgroup-sysctl.js";
import { cgroupSockopt } from "./cgroup-sockopt.js";
import { kprobe } from "./kprobe.js";
import { tracepoint } from "./tracepoint.js";
import { rawTracepoint } from "./raw-tracepoint.js";
import { perfEvent } from "./perf-event.js";
import { cgroupDevice } from "./cgroup-device.js";
import { lircMode2 } from "./lirc-mode2.js";
import { NAMES_ONLY } from "./tracing.js";
import { progTypeId, progTypeName, ProgType } from "./numbers.js";
import { resolveSection } from "./sections.js";
import { checkContextAccess, type CtxAccess, type CtxAccessResult, type ContextLayout } from "./context.js";
import type { ProgTypeInfo } from "./types.js";

export * from "./types.js";
export * from "./context.js";
export * from "./numbers.js";
export * from "./sections.js";
export * from "./struct-ops.js";
export { skBuffLayout, SK_BUFF_DECL, type SkBuffFlavour } from "./sk-buff.js";
export { XDP_ACTIONS } from "./xdp.js";
export { TC_ACTIONS } from "./sched-cls.js";
export { SK_ACTIONS } from "./sk-skb.js";
export { LWT_ACTIONS } from "./lwt.js";
export { BPF_FLOW_KEYS_SIZE } from "./flow-dissector.js";
export { BPF_SOCK_LAYOUT, cgroupSockLayout } from "./bpf-sock.js";
export { PT_REGS_SIZE } from "./pt-regs.js";
export { PERF_MAX_TRACE_SIZE } from "./tracepoint.js";
export { MAX_BPF_FUNC_ARGS } from "./raw-tracepoint.js";
export * as helperSets from "./helper-sets.js";

/** Every program type bpfkit describes, fully or by name and number only. */
export const PROGRAM_TYPES: readonly ProgTypeInfo[] = [
  socketFilter, schedCls, schedAct, xdp, cgroupSkb, cgroupSock, sockOps, skSkb, skMsg, cgroupSockAddr, skLookup,
  lwtIn, lwtOut, lwtXmit, lwtSeg6local, skReuseport, flowDissector, cgroupSysctl, cgroupSockopt,
  kprobe, tracepoint, rawTracepoint, perfEvent, cgroupDevice, lircMode2, ...NAMES_ONLY,
].sort((a, b) => a.id - b.id);

const BY_ID = new Map(PROGRAM_TYPES.map((p) => [p.id, p]));

/** Facts of a program type by kernel number; undefined when bpfkit does not describe it. */
export const progTypeById = (id: number): ProgTypeInfo | undefined => BY_ID.get(id);

/**
 * Facts by name: kernel name (`sched_cls`, `BPF_PROG_TYPE_SCHED_CLS`), a libbpf section name (`tc`,
 * `tcx/ingress`, `socket`), or a few friendly aliases (`tc`, `socket`, `sockops`).
 */
export function progTypeByName(name: string): ProgTypeInfo | undefined {
  const id = progTypeId(name) ?? resolveSection(name)?.progType;
  return id === undefined ? undefined : BY_ID.get(id);
}

/** Context layout of a program type for an expected attach type; undefined when it has no fixed struct. */
export function contextLayout(progType: number, attachType?: number): ContextLayout | undefined {
  return BY_ID.get(progType)?.context?.(attachType);
}

/** May a program of this type (and expected attach type) access ctx+off with this size? */
export function checkCtxAccess(progType: number, access: CtxAccess, attachType?: number): CtxAccessResult {
  const layout = contextLayout(progType, attachType);
  if (!layout) return { ok: false, reason: `program type ${progTypeName(progType) ?? progType} has no context struct bpfkit knows` };
  return checkContextAccess(layout, access);
}

/** The [min, max] r0 must lie in at exit (check_return_code); undefined = any scalar. */
export function returnRange(progType: number, attachType?: number): readonly [number, number] | undefined {
  const rule = BY_ID.get(progType)?.returnRule;
  if (!rule) return undefined;
  if (attachType !== undefined) {
    const specific = rule.byAttachType?.find((r) => r.attachTypes.includes(attachType));
    if (specific) return specific.range;
  }
  return rule.range;
}

/** Helpers (names without `bpf_`) a program of this type and expected attach type may call. */
export function allowedHelperNames(progType: number, attachType?: number): string[] {
  const info = BY_ID.get(progType);
  if (!info) return [];
  const extra = info.helpersByAttachType?.filter((h) => attachType !== undefined && h.attachTypes.includes(attachType)).flatMap((h) => h.helpers) ?? [];
  return [...new Set([...info.helpers, ...extra])];
}

export { ProgType };
