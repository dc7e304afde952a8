// BPF_PROG_TYPE_RAW_TRACEPOINT: runs at a tracepoint with its raw arguments, u64 each (struct
// bpf_raw_tracepoint_args, a flexible args[0]). raw_tp_prog_is_valid_access -> bpf_tracing_ctx_access
// (include/linux/bpf.h): aligned loads of 1..8 bytes inside MAX_BPF_FUNC_ARGS (12) arguments, no stores;
// how many the tracepoint really has is only known at attach time.
import { layoutStruct, ANY_SIZE } from "./context.js";
import { ProgType } from "./numbers.js";
import { TRACING_BASE, TRACING_EVENT, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

/** MAX_BPF_FUNC_ARGS: the bound the kernel puts on args[]. */
export const MAX_BPF_FUNC_ARGS = 12;

const LAYOUT = {
  ...layoutStruct("bpf_raw_tracepoint_args", [["args", `u64[${MAX_BPF_FUNC_ARGS}]`]], () => ({ read: ANY_SIZE })),
  cSize: 0,
};

export const rawTracepoint: ProgTypeInfo = {
  id: ProgType.RAW_TRACEPOINT, name: "raw_tracepoint", kernelName: "BPF_PROG_TYPE_RAW_TRACEPOINT",
  summary: "raw tracepoint: runs at a tracepoint with its arguments as u64s (ctx->args[i])",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [], expectedAttachTypeRequired: false,
  returnRule: {}, // check_return_code: any value without attach_btf_id
  returnCodes: [],
  testRun: { supported: true, data: "none", ctx: "optional", note: "ctx_in is the u64 arguments (at most 12); no packet data, no ctx_out" },
  helpers: uniq(TRACING_BASE, TRACING_EVENT),
};
