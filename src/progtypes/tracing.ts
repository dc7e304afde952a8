// Tracing and other program types bpfkit knows by name and number (no context layout): kprobe,
// tracepoint, raw_tracepoint and perf_event with their helper lists (kernel/trace/bpf_trace.c
// *_prog_func_proto, checked against the running kernel); tracing (fentry/fexit/iter), lsm, ... by name only.
import { PERF_EVENT_EXTRA, TRACING_BASE, TRACING_EVENT } from "./helper-sets.js";
import { PROG_TYPE_NAMES, ProgType } from "./numbers.js";
import type { ProgTypeInfo } from "./types.js";

function namesOnly(id: number, summary: string, range?: readonly [number, number]): ProgTypeInfo {
  const name = PROG_TYPE_NAMES[id]!;
  return {
    id, name, kernelName: `BPF_PROG_TYPE_${name.toUpperCase()}`, summary, packetAccess: "none", attachTypes: [],
    expectedAttachTypeRequired: false, returnRule: range ? { range } : {}, returnCodes: [],
    testRun: { supported: false, data: "none", ctx: "none" }, helpers: [], namesOnly: true,
  };
}

/** A tracing type with its helper list (context still described by the verifier's own access rules). */
function tracing(id: number, summary: string, helpers: readonly string[]): ProgTypeInfo {
  const { namesOnly: _drop, ...info } = namesOnly(id, summary);
  void _drop;
  return { ...info, helpers: [...new Set(helpers)] };
}

export const NAMES_ONLY: readonly ProgTypeInfo[] = [
  tracing(ProgType.KPROBE, "kprobe/uprobe/usdt (context: struct pt_regs)", [...TRACING_BASE, ...TRACING_EVENT]),
  tracing(ProgType.TRACEPOINT, "tracepoint (context: the event's record)", [...TRACING_BASE, ...TRACING_EVENT]),
  tracing(ProgType.PERF_EVENT, "perf event sampling (context: bpf_perf_event_data)", [...TRACING_BASE, ...TRACING_EVENT, ...PERF_EVENT_EXTRA]),
  tracing(ProgType.RAW_TRACEPOINT, "raw tracepoint (context: the tracepoint's arguments as u64s)", [...TRACING_BASE, ...TRACING_EVENT]),
  namesOnly(ProgType.RAW_TRACEPOINT_WRITABLE, "writable raw tracepoint"),
  namesOnly(ProgType.TRACING, "BTF tracing: fentry/fexit/fmod_ret/tp_btf/iter"),
  namesOnly(ProgType.LSM, "BPF LSM hook"),
  namesOnly(ProgType.CGROUP_DEVICE, "cgroup device access control", [0, 1]),
  namesOnly(ProgType.LIRC_MODE2, "infrared decoder"), namesOnly(ProgType.STRUCT_OPS, "struct_ops implementation"),
  namesOnly(ProgType.EXT, "freplace extension"), namesOnly(ProgType.SYSCALL, "syscall program (BPF_PROG_RUN from user space)"),
  namesOnly(ProgType.NETFILTER, "netfilter hook", [0, 1]),
];
