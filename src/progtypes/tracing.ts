// Tracing and other program types bpfkit knows by name and number only (no context layout, helpers
// not listed): kprobe, tracepoint, raw_tracepoint, perf_event, tracing (fentry/fexit/iter), lsm, ...
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

export const NAMES_ONLY: readonly ProgTypeInfo[] = [
  namesOnly(ProgType.KPROBE, "kprobe/uprobe/usdt (context: struct pt_regs)"),
  namesOnly(ProgType.TRACEPOINT, "tracepoint (context: the event's record)"),
  namesOnly(ProgType.PERF_EVENT, "perf event sampling (context: bpf_perf_event_data)"),
  namesOnly(ProgType.RAW_TRACEPOINT, "raw tracepoint (context: the tracepoint's arguments as u64s)"),
  namesOnly(ProgType.RAW_TRACEPOINT_WRITABLE, "writable raw tracepoint"),
  namesOnly(ProgType.TRACING, "BTF tracing: fentry/fexit/fmod_ret/tp_btf/iter"),
  namesOnly(ProgType.LSM, "BPF LSM hook"),
  namesOnly(ProgType.LWT_IN, "lightweight tunnel input"), namesOnly(ProgType.LWT_OUT, "lightweight tunnel output"),
  namesOnly(ProgType.LWT_XMIT, "lightweight tunnel transmit"), namesOnly(ProgType.LWT_SEG6LOCAL, "SRv6 local action"),
  namesOnly(ProgType.CGROUP_DEVICE, "cgroup device access control", [0, 1]),
  namesOnly(ProgType.LIRC_MODE2, "infrared decoder"), namesOnly(ProgType.SK_REUSEPORT, "SO_REUSEPORT socket selection"),
  namesOnly(ProgType.FLOW_DISSECTOR, "flow dissector"), namesOnly(ProgType.CGROUP_SYSCTL, "cgroup sysctl access", [0, 1]),
  namesOnly(ProgType.CGROUP_SOCKOPT, "cgroup get/setsockopt", [0, 1]), namesOnly(ProgType.STRUCT_OPS, "struct_ops implementation"),
  namesOnly(ProgType.EXT, "freplace extension"), namesOnly(ProgType.SYSCALL, "syscall program (BPF_PROG_RUN from user space)"),
  namesOnly(ProgType.NETFILTER, "netfilter hook", [0, 1]),
];
