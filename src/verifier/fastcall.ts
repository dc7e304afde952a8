// bpf_fastcall (mark_fastcall_patterns, check_fastcall_stack_contract, remove_fastcall_spills_fills):
// clang surrounds a call to a bpf_fastcall function with spills and fills of the caller-saved registers
// the call does not clobber, at the lowest stack offsets of the function. Before the walk the kernel
// finds these patterns; during it, any other access to that stack region turns the rewrite off for the
// sub-program; after it, a sub-program whose patterns surround calls the kernel inlines (on x86-64:
// bpf_get_smp_processor_id, bpf_cast_to_kern_ctx, bpf_rdonly_cast) loses the spills and fills, and its
// stack depth shrinks to what lies above the pattern region. check_max_stack_depth sees the smaller size.
import type { RawInsn } from "./cfg.js";

/** The caller-saved registers r0-r5. */
const ALL_CALLER_SAVED = 0x3f;
const STX_DW = 0x7b, LDX_DW = 0x79;

/** What the kernel knows of one call: the registers it clobbers, and whether it is rewritten inline. */
export interface FastcallCallee { clobbers: number; inlined: boolean }

export interface Fastcall {
  /** Per sub-program: fastcall_stack_off (0 none found yet; -32768 the rewrite is off). */
  stackOff: number[];
  /** Per sub-program: keep_fastcall_stack (a pattern surrounds a call that is not inlined). */
  keep: boolean[];
  /** Per instruction: a spill or fill of a pattern (fastcall_pattern). */
  pattern: Uint8Array;
  /** Per instruction: fastcall_spills_num of an inlined call. */
  spills: Uint8Array;
  subprogs: readonly number[];
}

/** helper_fastcall_clobber_mask: r0 unless void, and r1.. for each argument the prototype describes. */
export function helperClobbers(retVoid: boolean, argCount: number): number {
  let mask = retVoid ? 0 : 1;
  for (let i = 0; i < argCount; i++) mask |= 1 << (i + 1);
  return mask;
}

/**
 * mark_fastcall_patterns. `callee` answers for a call instruction (undefined: not a helper or kfunc the
 * program may call, which the kernel leaves alone); `jumpTarget` marks instructions a jump lands on.
 */
export function markFastcallPatterns(insns: readonly RawInsn[], subprogs: readonly number[], jumpTarget: Uint8Array,
  callee: (pc: number) => FastcallCallee | undefined): Fastcall {
  const n = insns.length;
  const fc: Fastcall = { stackOff: subprogs.map(() => 0), keep: subprogs.map(() => false), pattern: new Uint8Array(n), spills: new Uint8Array(n), subprogs };
  subprogs.forEach((start, s) => {
    const end = subprogs[s + 1] ?? n;
    let lowest = 0;
    for (let i = start; i < end; i++) {
      const x = insns[i]!;
      if (x.code === STX_DW && x.dst === 10) lowest = Math.min(lowest, x.off);
    }
    for (let i = start; i < end; i++) {
      const x = insns[i]!;
      if (x.code !== 0x85 || (x.src !== 0 && x.src !== 2)) continue;
      // no spill right before the call: no pattern (and no need to ask about the callee)
      const prev = insns[i - 1];
      if (!prev || prev.code !== STX_DW || prev.dst !== 10) continue;
      const c = callee(i);
      if (!c) continue;
      markForCall(fc, insns, jumpTarget, s, i, lowest, c);
    }
  });
  return fc;
}

function markForCall(fc: Fastcall, insns: readonly RawInsn[], jumpTarget: Uint8Array, s: number, pc: number, lowest: number, c: FastcallCallee): void {
  const n = insns.length;
  if ((c.clobbers & ALL_CALLER_SAVED) === ALL_CALLER_SAVED) return;
  let expected = ~c.clobbers & ALL_CALLER_SAVED;
  let i = 1, off = lowest;
  for (; i <= 6; i++, off += 8) {
    if (pc - i < 0 || pc + i >= n) break;
    // the spills, the call and the fills must not be jump targets (a jump to the first spill is fine)
    if (jumpTarget[pc - i + 1] || jumpTarget[pc + i]) break;
    const stx = insns[pc - i]!, ldx = insns[pc + i]!;
    if (stx.code !== STX_DW || ldx.code !== LDX_DW || stx.dst !== 10 || ldx.src !== 10) break;
    if (stx.src !== ldx.dst || !((1 << stx.src) & expected)) break;
    if (stx.off !== off || ldx.off !== off) break;
    expected &= ~(1 << stx.src);
    fc.pattern[pc - i] = 1;
    fc.pattern[pc + i] = 1;
  }
  if (i === 1) return;
  if (c.inlined) fc.spills[pc] = i - 1;
  else fc.keep[s] = true;
  fc.stackOff[s] = Math.min(fc.stackOff[s]!, off);
}

/**
 * check_fastcall_stack_contract: a stack access at `off` (from the frame's top) of sub-program `s` that
 * reaches into the pattern region from outside a pattern turns the rewrite off for the sub-program.
 */
export function checkFastcallContract(fc: Fastcall | undefined, s: number, pc: number, off: number): void {
  if (!fc || fc.stackOff[s]! <= off || fc.pattern[pc]) return;
  fc.stackOff[s] = -32768;
  const end = fc.subprogs[s + 1] ?? fc.pattern.length;
  for (let i = fc.subprogs[s]!; i < end; i++) { fc.spills[i] = 0; fc.pattern[i] = 0; }
}

/** remove_fastcall_spills_fills: the stack depth of each sub-program whose inlined calls lose their spills and fills. */
export function fastcallStackDepths(fc: Fastcall, stackDepth: number[]): void {
  fc.subprogs.forEach((start, s) => {
    const end = fc.subprogs[s + 1] ?? fc.spills.length;
    let modified = false;
    for (let i = start; i < end; i++) if (fc.spills[i]) modified = true;
    if (modified && !fc.keep[s]) stackDepth[s] = -fc.stackOff[s]!;
  });
}
