// BPF_PROG_TYPE_KPROBE: kprobes, uprobes, usdt and their multi/session forms. The context is the probed
// task's struct pt_regs, read-only; kprobe_prog_is_valid_access (kernel/trace/bpf_trace.c) allows any load
// of 1, 2, 4 or 8 bytes aligned to its size inside it, so every register can be read whole or in parts.
import { layoutStruct, ANY_SIZE } from "./context.js";
import { PT_REGS_DECL } from "./pt-regs.js";
import { AttachType as A, ProgType } from "./numbers.js";
import { TRACING_BASE, TRACING_EVENT, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

const LAYOUT = { ...layoutStruct("pt_regs", PT_REGS_DECL, () => ({ read: ANY_SIZE })), header: "asm/ptrace.h" };

export const kprobe: ProgTypeInfo = {
  id: ProgType.KPROBE, name: "kprobe", kernelName: "BPF_PROG_TYPE_KPROBE",
  summary: "kprobe/uprobe/usdt: runs at a probed kernel or user instruction with its registers (struct pt_regs)",
  context: () => LAYOUT, packetAccess: "none",
  attachTypes: [A.TRACE_KPROBE_MULTI, A.TRACE_KPROBE_SESSION, A.TRACE_UPROBE_MULTI], expectedAttachTypeRequired: false,
  // check_return_code: any value, except a kprobe.session program, whose 1 skips the return probe
  returnRule: { byAttachType: [{ attachTypes: [A.TRACE_KPROBE_SESSION], range: [0, 1], note: "1: do not run the return probe" }] },
  returnCodes: [],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: uniq(TRACING_BASE, TRACING_EVENT),
};
