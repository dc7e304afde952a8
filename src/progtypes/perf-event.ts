// BPF_PROG_TYPE_PERF_EVENT: runs on a perf event's overflow (sampling) with struct bpf_perf_event_data
// (<linux/bpf_perf_event.h>): the sampled registers, then sample_period and addr. pe_prog_is_valid_access
// (kernel/trace/bpf_trace.c) is read-only and stricter than kprobe's: a register is loaded whole (8 bytes),
// while sample_period and addr allow narrow loads (bpf_ctx_narrow_access_ok on a u64).
import { layoutStruct, type CDecl, ANY_SIZE, DWORD } from "./context.js";
import { PT_REGS_DECL } from "./pt-regs.js";
import { ProgType } from "./numbers.js";
import { PERF_EVENT_EXTRA, TRACING_BASE, TRACING_EVENT, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

const PERF_EVENT_DATA_DECL: readonly CDecl[] = [
  ...PT_REGS_DECL.map(([name, type]): CDecl => [`regs.${name}`, type]), ["sample_period", "u64"], ["addr", "u64"],
];

const LAYOUT = {
  ...layoutStruct("bpf_perf_event_data", PERF_EVENT_DATA_DECL, (name) => (name.startsWith("regs.") ? { read: DWORD } : { read: ANY_SIZE })),
  header: "linux/bpf_perf_event.h",
};

export const perfEvent: ProgTypeInfo = {
  id: ProgType.PERF_EVENT, name: "perf_event", kernelName: "BPF_PROG_TYPE_PERF_EVENT",
  summary: "perf event sampling: runs on each sample with the registers, sample period and address",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [], expectedAttachTypeRequired: false,
  returnRule: {}, // no check_return_code case
  returnCodes: [],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: uniq(TRACING_BASE, TRACING_EVENT, PERF_EVENT_EXTRA),
};
