// struct pt_regs as x86_64 user space declares it (<asm/ptrace.h>, uapi names: rbp, rax, ...): the context
// of kprobe programs and the first member of perf_event's bpf_perf_event_data. bpfkit targets x86_64, the
// architecture of the kernels it checks against; other architectures have other register files.
import type { CDecl } from "./context.js";

export const PT_REGS_DECL: readonly CDecl[] = [
  "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax",
  "rip", "cs", "eflags", "rsp", "ss",
].map((name): CDecl => [name, "u64"]);

/** sizeof(struct pt_regs) on x86_64. */
export const PT_REGS_SIZE = PT_REGS_DECL.length * 8;
