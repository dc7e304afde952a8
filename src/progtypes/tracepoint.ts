// BPF_PROG_TYPE_TRACEPOINT: runs at a static trace event with the event's record as context. The record's
// layout is per event (/sys/kernel/tracing/events/<sys>/<event>/format), so the verifier only bounds it:
// tp_prog_is_valid_access (kernel/trace/bpf_trace.c) allows aligned loads of 1..8 bytes from offset 8 (past
// the common trace_entry header) up to PERF_MAX_TRACE_SIZE, and no stores. Its `off < sizeof(void *)` test
// is an unsigned comparison: negative offsets pass (recorded on 6.18, test/facts/fixtures/kernel-ctx.json).
import { layoutStruct, type CDecl, ANY_SIZE } from "./context.js";
import { ProgType } from "./numbers.js";
import { TRACING_BASE, TRACING_EVENT, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

/** PERF_MAX_TRACE_SIZE (include/linux/trace_events.h): the largest record a program may read. */
export const PERF_MAX_TRACE_SIZE = 8192;

/** struct trace_entry (the fields every event starts with, not readable) and the event's own fields as
 * u64 words. */
const RECORD_DECL: readonly CDecl[] = [
  ["common_type", "u16"], ["common_flags", "u8"], ["common_preempt_count", "u8"], ["common_pid", "u32"],
  ["fields", `u64[${PERF_MAX_TRACE_SIZE / 8 - 1}]`],
];

const LAYOUT = {
  ...layoutStruct("trace event record", RECORD_DECL, (_name, base) => (base === "fields" ? { read: ANY_SIZE } : undefined)),
  header: null, negativeRead: ANY_SIZE,
};

export const tracepoint: ProgTypeInfo = {
  id: ProgType.TRACEPOINT, name: "tracepoint", kernelName: "BPF_PROG_TYPE_TRACEPOINT",
  summary: "tracepoint: runs at a static trace event with its record (layout in the event's format file)",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [], expectedAttachTypeRequired: false,
  returnRule: {}, // no check_return_code case
  returnCodes: [],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: uniq(TRACING_BASE, TRACING_EVENT),
};
