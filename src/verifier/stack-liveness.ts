// Live stack slots (6.18's kernel/bpf/liveness.c): which 8-byte stack slots may still be read at an
// instruction or after it. Checkpoints forget dead slots before they are compared (clean_func_state),
// so a path that reaches a checkpoint with a different value in a slot nobody reads again is pruned.
//
// The analysis is dynamic and call-chain sensitive. While states are walked, each instruction of each
// call chain (the call instructions leading to a sub-program, plus its start) collects, per frame:
//   mayRead   - slots some walk read there (union over the walks),
//   mustWrite - slots every walk wrote whole there (intersection; only aligned 8-byte stores count).
// Whenever a path ends (exit, or pruned) and on every sub-program return, the instances on the current
// call chain that changed are solved as textbook backward liveness over the sub-program's static
// control flow, in the kernel's post-order:
//   liveBefore   = (union of the successors' liveBefore  minus mustWrite) plus mayRead
//   mustWriteAcc = (intersection of the successors' mustWriteAcc) plus mustWrite
// and a callee's entry (liveBefore, mustWriteAcc) of its callers' frames becomes the call
// instruction's mayRead/mustWrite in the caller's chain. Instructions never walked read and write
// nothing. At level 2 each changed mask is logged (`(0) frame 0 insn 8 +live -8`).
//
// Safety: a slot is only forgotten when no walk recorded a read of it on any path after the
// checkpoint's instruction in the same call chain, and the checkpoint's subtree is finished (the
// kernel's invariant: every path below a state with no branches has been walked and its reads recorded).
import type { RawInsn } from "./cfg.js";
import type { State } from "./state.js";

// A mask of the 64 slots is two int32 halves: slots 0-31 in `lo`, 32-63 in `hi`. In the per-instruction
// arrays instruction i's mask sits at [2i] (lo) and [2i+1] (hi).

/** Per frame, per instruction of the function instance: the four masks of liveness.c's per_frame_masks. */
interface FrameMasks {
  mayRead: Int32Array;
  mustWrite: Int32Array;
  mustWriteAcc: Int32Array;
  liveBefore: Int32Array;
}

/** A slot mask as a bigint (printing). */
const maskBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** One sub-program reached through one call chain (func_instance). */
interface Instance {
  /** Call instructions of the outer frames, then the sub-program's first instruction. */
  callsites: number[];
  start: number;
  len: number;
  /** Masks of frames 0..depth, created on first use. */
  frames: (FrameMasks | undefined)[];
  /** must_write_set: the instruction's mustWrite was recorded once (later walks intersect). */
  mustWriteSet: Uint8Array;
  updated: boolean;
  mustWriteDropped: boolean;
}

/** What stack-liveness needs of the program: its instructions, sub-programs and prune points. */
export interface LivenessProgram {
  insns: readonly RawInsn[];
  /** First instruction of each sub-program, ascending. */
  subprogs: readonly number[];
  prunePoints: Uint8Array;
  /** Does the instruction call a callback synchronously (bpf_loop, for_each_map_elem: calls_callback)? */
  callsCallback: (pc: number) => boolean;
}

/** bpf_insn_successors: where control may go next inside the sub-program (calls fall through). */
export function insnSuccessors(insns: readonly RawInsn[], pc: number): number[] {
  const i = insns[pc]!;
  const cls = i.code & 7;
  if (i.code === 0x18) return [pc + 2];
  if (cls !== 5 && cls !== 6) return [pc + 1];
  const op = i.code & 0xf0;
  if (op === 0x90) return [];
  if (op === 0x80) return [pc + 1];
  if (op === 0x00) return [pc + (cls === 6 ? i.imm : i.off) + 1];
  if (op === 0xf0) return [pc + 1]; // not a jump opcode: the kernel's table falls through
  return [pc + 1, pc + i.off + 1];
}

/**
 * compute_postorder: per sub-program, an iterative depth-first walk from its start in which the later
 * successor (the jump target) is explored first; one array, sub-program after sub-program.
 */
export function postorder(insns: readonly RawInsn[], subprogs: readonly number[]): { order: number[]; starts: number[] } {
  const DISCOVERED = 1, EXPLORED = 2;
  const state = new Uint8Array(insns.length);
  const order: number[] = [];
  const starts: number[] = [];
  for (const start of subprogs) {
    starts.push(order.length);
    const stack = [start];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      state[top]! |= DISCOVERED;
      if (state[top]! & EXPLORED) { order.push(top); stack.pop(); continue; }
      for (const s of insnSuccessors(insns, top)) {
        if (s < 0 || s >= insns.length || state[s]) continue;
        stack.push(s);
        state[s]! |= DISCOVERED;
      }
      state[top]! |= EXPLORED;
    }
  }
  starts.push(order.length);
  return { order, starts };
}

/** bpf_fmt_stack_mask: "-8,-24" for slots 0 and 2. */
export function fmtStackMask(mask: bigint): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) out.push(String(-(i + 1) * 8));
  return out.join(",");
}

/** The kernel's callsite of a frame: the call instruction (a bpf-to-bpf frame keeps its return pc here). */
export function callInsnOf(f: State["frames"][number]): number {
  return f.inCallback ? f.callsite : f.callsite - 1;
}

export class StackLiveness {
  private readonly instances = new Map<string, Instance>();
  /** liveness->cur_instance: the instance of the state being walked, dropped at calls and returns. */
  private cur: Instance | undefined;
  /** Per frame of the current instance: the slots the instruction wrote whole (lo, hi pairs). */
  private writeMasks: number[] = [];
  private writeInsn = 0;
  private readonly order: number[];
  private readonly poStarts: number[];
  private readonly subStarts: readonly number[];

  constructor(private readonly prog: LivenessProgram, private readonly log: (line: string) => void, private readonly logging: () => boolean) {
    const po = postorder(prog.insns, prog.subprogs);
    this.order = po.order;
    this.poStarts = po.starts;
    this.subStarts = prog.subprogs;
    // the successors of every instruction, once (the fixed point visits each instruction at every path end)
    const n = prog.insns.length;
    this.succN = new Uint8Array(n);
    this.succ = new Int32Array(2 * n);
    for (let pc = 0; pc < n; pc++) {
      const succ = insnSuccessors(prog.insns, pc);
      this.succN[pc] = succ.length;
      for (let i = 0; i < succ.length; i++) this.succ[2 * pc + i] = succ[i]!;
    }
  }
  private readonly succN: Uint8Array;
  private readonly succ: Int32Array;

  /** compute_callchain for frame `frameno` of a state. */
  private callchain(st: State, frameno: number): number[] {
    const cs: number[] = [];
    for (let i = 0; i < frameno; i++) cs.push(callInsnOf(st.frames[i + 1]!));
    cs.push(this.subStarts[st.frames[frameno]!.subprog]!);
    return cs;
  }

  private lookup(callsites: number[]): Instance {
    const key = callsites.join(",");
    let inst = this.instances.get(key);
    if (!inst) {
      const start = callsites[callsites.length - 1]!;
      const k = this.subStarts.indexOf(start);
      const end = k >= 0 && k + 1 < this.subStarts.length ? this.subStarts[k + 1]! : this.prog.insns.length;
      inst = { callsites, start, len: end - start, frames: [], mustWriteSet: new Uint8Array(end - start), updated: false, mustWriteDropped: false };
      this.instances.set(key, inst);
    }
    return inst;
  }

  private instanceOf(st: State, frameno: number): Instance {
    return this.lookup(this.callchain(st, frameno));
  }

  private masks(inst: Instance, frame: number): FrameMasks {
    let m = inst.frames[frame];
    if (!m) {
      const n = 2 * inst.len;
      m = { mayRead: new Int32Array(n), mustWrite: new Int32Array(n), mustWriteAcc: new Int32Array(n), liveBefore: new Int32Array(n) };
      inst.frames[frame] = m;
    }
    return m;
  }

  /** bpf_reset_live_stack_callchain: the walk entered a sub-program; the instance is looked up again. */
  resetCallchain(): void {
    this.cur = undefined;
  }

  /** bpf_reset_stack_write_marks before an instruction is checked. */
  beginInsn(st: State, pc: number): void {
    this.cur ??= this.instanceOf(st, st.frames.length - 1);
    this.resetWrites(this.cur, pc);
  }

  private resetWrites(inst: Instance, pc: number): void {
    this.writeInsn = pc;
    const n = 2 * inst.callsites.length;
    if (this.writeMasks.length !== n) this.writeMasks = new Array<number>(n);
    this.writeMasks.fill(0);
  }

  /** bpf_mark_stack_read: the instruction being checked reads slot `spi` of frame `frameno`. */
  markRead(st: State, frameno: number, pc: number, spi: number): void {
    if (spi < 0 || spi >= 64) return;
    this.cur ??= this.instanceOf(st, st.frames.length - 1);
    this.addRead(this.cur, frameno, pc, spi < 32 ? 1 << spi : 0, spi >= 32 ? 1 << (spi - 32) : 0);
  }

  private addRead(inst: Instance, frame: number, pc: number, lo: number, hi: number): void {
    const i = pc - inst.start;
    if (i < 0 || i >= inst.len) return; // not an instruction of this function: nothing to record
    const m = this.masks(inst, frame);
    const r = m.mayRead, l = m.liveBefore, j = 2 * i;
    const nlo = r[j]! | lo, nhi = r[j + 1]! | hi;
    if ((nlo !== r[j] || nhi !== r[j + 1]) && ((nlo | l[j]!) !== l[j] || (nhi | l[j + 1]!) !== l[j + 1])) inst.updated = true;
    r[j] = nlo; r[j + 1] = nhi;
  }

  /** bpf_mark_stack_write: the instruction being checked writes all 8 bytes of slot `spi` of frame `frameno`. */
  markWrite(frameno: number, spi: number): void {
    if (spi < 0 || spi >= 64 || 2 * frameno >= this.writeMasks.length) return;
    if (spi < 32) this.writeMasks[2 * frameno]! |= 1 << spi;
    else this.writeMasks[2 * frameno + 1]! |= 1 << (spi - 32);
  }

  /** bpf_commit_stack_write_marks after the instruction was checked (nothing when a call or return intervened). */
  endInsn(): void {
    if (this.cur) this.commitWrites(this.cur);
  }

  private commitWrites(inst: Instance): void {
    const idx = this.writeInsn - inst.start;
    if (idx < 0 || idx >= inst.len) return;
    for (let frame = 0; frame < inst.callsites.length; frame++) {
      let lo = this.writeMasks[2 * frame] ?? 0, hi = this.writeMasks[2 * frame + 1] ?? 0;
      if ((lo | hi) === 0 && !inst.mustWriteSet[idx]) continue;
      const m = this.masks(inst, frame);
      const j = 2 * idx;
      const oldLo = m.mustWrite[j]!, oldHi = m.mustWrite[j + 1]!;
      // the first walk of the instruction sets mustWrite, later ones intersect
      if (inst.mustWriteSet[idx]) { lo &= oldLo; hi &= oldHi; }
      if (oldLo !== lo || oldHi !== hi) { m.mustWrite[j] = lo; m.mustWrite[j + 1] = hi; inst.updated = true; }
      if ((oldLo & ~lo) | (oldHi & ~hi)) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[idx] = 1;
    this.writeInsn = 0;
  }

  /**
   * bpf_update_live_stack: solve the changed instances of the state's call chain, innermost first, so a
   * callee's entry reaches its call instruction before the caller is solved.
   */
  update(st: State): void {
    this.cur = undefined;
    for (let frame = st.frames.length - 1; frame >= 0; frame--) {
      const inst = this.instanceOf(st, frame);
      if (!inst.updated) continue;
      this.solve(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  private fmtChain(inst: Instance): string {
    return `(${inst.callsites.join(",")})`;
  }

  private logChange(inst: Instance, what: string, frame: number, pc: number, oldLo: number, oldHi: number, nowLo: number, nowHi: number): void {
    if (oldLo === nowLo && oldHi === nowHi) return;
    const old = maskBig(oldLo, oldHi), now = maskBig(nowLo, nowHi);
    const changed = old ^ now;
    let line = `${this.fmtChain(inst)} frame ${frame} insn ${pc} `;
    const ones = now & changed, zeros = ~now & changed & ((1n << 64n) - 1n);
    if (ones) line += `+${what} ${fmtStackMask(ones)} `;
    if (zeros) line += `-${what} ${fmtStackMask(zeros)}`;
    this.log(line + "\n");
  }

  /** update_insn: one step of the fixed point for one instruction; true when a mask changed. */
  private step(inst: Instance, frame: number, pc: number, logging: boolean): boolean {
    const nsucc = this.succN[pc]!;
    if (nsucc === 0) return false;
    const m = inst.frames[frame]!;
    const j = 2 * (pc - inst.start);
    let afterLo = 0, afterHi = 0, accLo = -1, accHi = -1;
    for (let i = 0; i < nsucc; i++) {
      const k = 2 * (this.succ[2 * pc + i]! - inst.start);
      // (a successor outside the function reads and writes nothing)
      const inRange = k >= 0 && k < m.liveBefore.length;
      afterLo |= inRange ? m.liveBefore[k]! : 0; afterHi |= inRange ? m.liveBefore[k + 1]! : 0;
      accLo &= inRange ? m.mustWriteAcc[k]! : 0; accHi &= inRange ? m.mustWriteAcc[k + 1]! : 0;
    }
    const wLo = m.mustWrite[j]!, wHi = m.mustWrite[j + 1]!, rLo = m.mayRead[j]!, rHi = m.mayRead[j + 1]!;
    accLo |= wLo; accHi |= wHi;
    const beforeLo = (afterLo & ~wLo) | rLo, beforeHi = (afterHi & ~wHi) | rHi;
    const changed = beforeLo !== m.liveBefore[j] || beforeHi !== m.liveBefore[j + 1] || accLo !== m.mustWriteAcc[j] || accHi !== m.mustWriteAcc[j + 1];
    if (logging && ((rLo | rHi | wLo | wHi) !== 0 || pc === inst.start || this.prog.prunePoints[pc])) {
      this.logChange(inst, "live", frame, pc, m.liveBefore[j]!, m.liveBefore[j + 1]!, beforeLo, beforeHi);
      this.logChange(inst, "written", frame, pc, m.mustWriteAcc[j]!, m.mustWriteAcc[j + 1]!, accLo, accHi);
    }
    m.liveBefore[j] = beforeLo; m.liveBefore[j + 1] = beforeHi;
    m.mustWriteAcc[j] = accLo; m.mustWriteAcc[j + 1] = accHi;
    return changed;
  }

  /** update_instance: the fixed point over the sub-program's post-order, then the callee-to-caller transfer. */
  private solve(inst: Instance): void {
    if (inst.mustWriteDropped) for (const m of inst.frames) m?.mustWriteAcc.fill(0);
    const k = this.subStarts.indexOf(inst.start);
    const from = this.poStarts[k]!, to = this.poStarts[k + 1]!;
    const logging = this.logging();
    let iterations = 0, changed: boolean;
    do {
      iterations++;
      changed = false;
      for (let frame = 0; frame < inst.callsites.length; frame++) {
        if (!inst.frames[frame]) continue;
        for (let p = from; p < to; p++) if (this.step(inst, frame, this.order[p]!, logging)) changed = true;
      }
    } while (changed);
    if (logging) this.log(`${this.fmtChain(inst)} live stack update done in ${iterations} iterations\n`);
    if (inst.callsites.length > 1) this.propagateToCaller(inst);
  }

  /** propagate_to_outer_instance: the callee's entry masks of the callers' frames, at the call instruction. */
  private propagateToCaller(inst: Instance): void {
    const outer = this.lookup(inst.callsites.slice(0, -2).concat(this.outerStart(inst)));
    const callsite = inst.callsites[inst.callsites.length - 2]!;
    this.resetWrites(outer, callsite);
    for (let frame = 0; frame < inst.callsites.length - 1; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      // index 0: the callee's first instruction
      this.writeMasks[2 * frame]! |= m.mustWriteAcc[0]!;
      this.writeMasks[2 * frame + 1]! |= m.mustWriteAcc[1]!;
      this.addRead(outer, frame, callsite, m.liveBefore[0]!, m.liveBefore[1]!);
    }
    this.commitWrites(outer);
  }

  /** The start of the sub-program the outer frame runs: the one containing the call instruction. */
  private outerStart(inst: Instance): number {
    const callsite = inst.callsites[inst.callsites.length - 2]!;
    let start = 0;
    for (const s of this.subStarts) if (s <= callsite) start = s;
    return start;
  }

  /**
   * bpf_live_stack_query_init + bpf_stack_slot_alive for every slot of every frame: the slots of frame
   * `frameno` of `st` that may still be read (a bit per slot). A slot is live if it is live before the
   * state's instruction in the innermost frame's instance, or, for each caller frame at or above
   * `frameno`, live after its call instruction (before it, when the call runs a callback that may run again).
   */
  liveSlots(st: State, pc: number, frameno: number): { lo: number; hi: number } {
    const depth = st.frames.length - 1;
    const innermost = this.instanceOf(st, depth);
    const live = { lo: 0, hi: 0 };
    this.addLiveBeforeAt(live, innermost, pc, frameno);
    for (let i = frameno; i < depth; i++) {
      const callsite = innermost.callsites[i]!;
      const inst = this.instanceOf(st, i);
      this.addLiveBeforeAt(live, inst, this.prog.callsCallback(callsite) ? callsite : callsite + 1, frameno);
    }
    return live;
  }

  private addLiveBeforeAt(live: { lo: number; hi: number }, inst: Instance, pc: number, frame: number): void {
    const m = inst.frames[frame];
    const i = pc - inst.start;
    if (!m || i < 0 || i >= inst.len) return;
    live.lo |= m.liveBefore[2 * i]!;
    live.hi |= m.liveBefore[2 * i + 1]!;
  }
}
