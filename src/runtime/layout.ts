// The fixed part of the one linear memory (mirrors asm/layout.ts; `checkLayout` compares the two at
// instantiation). Everything above DYN_BASE is handed out by the bump allocator in memory.ts.
export const NULL_GUARD_END = 0x1000;
export const REGS = 0x10000;
export const CTRL = 0x10100;
export const FRAMES = 0x10200;
export const REGIONS = 0x11000;
export const REGION_MAX = 256;
export const STACK = 0x12000;
export const STACK_FRAME = 512;
export const MAX_FRAMES = 8;
export const STACK_END = STACK + STACK_FRAME * MAX_FRAMES;
/**
 * Context struct of the running program: the uapi contexts are well under 4 KiB, but a tracepoint's
 * record may be PERF_MAX_TRACE_SIZE (8 KiB) long.
 */
export const CTX = 0x13000;
export const CTX_MAX = 0x2000;
/** Scratch space for helpers (formatting, copies). */
export const SCRATCH = 0x15000;
export const SCRATCH_SIZE = 0xb000;
/** Start of the dynamically allocated part: code, packet buffers, map arenas, ring buffers. */
export const DYN_BASE = 0x20000;
/** Pre-decoded instruction size. */
export const ENTRY = 24;

/** Control block fields (byte offsets from CTRL). */
export const C = {
  STOP: 0, TAIL: 4, FAULT_KIND: 8, FAULT_IP: 12, FAULT_ADDR: 16, FAULT_SIZE: 24, FAULT_WRITE: 28,
  COUNT: 32, BUDGET: 40, NREGIONS: 48, PKT: 52, PKT_LEN: 56, DEPTH: 60, MAY_GOTO: 64, CODE: 68, CPU: 72,
  // Compiled code's repeat loop (src/compiler/module.ts): set by the host on every helper call; runs done.
  HOST: 76, REPEATED: 80,
} as const;

/** What runChecked / runFast / stepChecked return. */
export const STATUS = { EXIT: 0, BUDGET: 1, FAULT: 2, DEPTH: 3, BAD_INSN: 4, STOPPED: 5, STEP: 6 } as const;

export const R_READ = 1;
export const R_WRITE = 2;

/** The kernel's BPF_MAX_LOOPS: how many times may_goto falls through before it jumps. */
export const MAY_GOTO_BUDGET = 1 << 23;

/** Compare with the layout the Wasm module was built with. Returns the mismatches. */
export function checkLayout(exports: Record<string, unknown>): string[] {
  const expected: Record<string, number> = {
    L_REGS: REGS, L_CTRL: CTRL, L_FRAMES: FRAMES, L_REGIONS: REGIONS, L_REGION_MAX: REGION_MAX, L_STACK: STACK,
    L_STACK_FRAME: STACK_FRAME, L_MAX_FRAMES: MAX_FRAMES, L_ENTRY: ENTRY, L_NULL_GUARD_END: NULL_GUARD_END, L_CTX: CTX, L_CTX_MAX: CTX_MAX,
  };
  return globalMismatches(exports, expected);
}

/** The exported globals of a built module that differ from what the host expects (name -> value). */
export function globalMismatches(exports: Record<string, unknown>, expected: Record<string, number>): string[] {
  const bad: string[] = [];
  for (const [k, v] of Object.entries(expected)) {
    const g = exports[k];
    const actual = g instanceof WebAssembly.Global ? Number(g.value) : undefined;
    if (actual !== v) bad.push(`${k}: wasm has ${actual}, host expects ${v}`);
  }
  return bad;
}
