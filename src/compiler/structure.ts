// Structured control flow for one function. Reducible graphs (every loop entered through its header,
// which is what compilers emit) are laid out as nested WebAssembly blocks and loops following Ramsey,
// "Beyond Relooper" (ICFP 2022): each block is placed under its immediate dominator, merge points after a
// `block` that branches to them exit, loop headers inside a `loop` that back edges continue. Anything
// else falls back to a dispatcher: one `loop` around a `br_table` on the next block's number.
import { ENTRY, STATUS } from "../runtime/layout.js";
import type { Block, FunctionCfg, Slot } from "./cfg.js";
import type { FnFrame } from "./frame.js";
import { lowerCondition, lowerInsn, lowerMayGoto, mayGotoSpend } from "./lower.js";
import { OP } from "./wasm.js";


interface Emit {
  f: FnFrame;
  fn: FunctionCfg;
  slots: readonly Slot[];
  live: Map<number, number>;
  /** Slots of the program (for the address of the "ran off the end" sentinel). */
  end: number;
}

const ipOf = (e: Emit, b: Block): number => e.f.base + b.start * ENTRY;

/** The block's instructions up to (not including) its terminator; the count for the whole block first. */
function blockCode(e: Emit, b: Block): void {
  const f = e.f, body = f.body;
  const bad = b.term.kind === "bad" || b.term.kind === "off_end";
  const n = b.pcs.length + (bad ? 1 : 0);
  if (n) body.get(f.cnt).i64(n).op(0x7c /* i64.add */).set(f.cnt);
  plainCode(e, b, b.term.kind === "fall" || bad ? b.pcs.length : b.pcs.length - 1, n, 0);
}

/**
 * The first `plain` instructions of `b`. `pending`: instructions run before them that the count does not
 * have yet (an unrolled loop adds its count once for all its copies), so a stop inside still counts right.
 */
function plainCode(e: Emit, b: Block, plain: number, n: number, pending: number): void {
  const f = e.f;
  f.knownR1 = undefined;
  for (let k = 0; k < plain; k++) {
    const pc = b.pcs[k]!;
    const s = e.slots[pc]!;
    lowerInsn(f, s, n - k - 1 - pending, e.live.get(pc) ?? 0x7ff);
    f.knownR1 = r1After(s, f.knownR1);
  }
}

/** Copies of a one-block loop run by its fast path between budget checks (see selfLoop). */
const UNROLL = 2;
/** The longest one-block loop unrolled (its code is emitted UNROLL + 1 times). */
const UNROLL_MAX_INSNS = 24;

/**
 * Whether `b` is a loop of one block whose taken jump goes back to itself (`loop: ...; if rX != 0 goto loop`),
 * made only of instructions that neither call out nor stop the run (ALU, loads, stores, lddw), so the count
 * of a run through it can be added once for several iterations.
 */
function selfLoop(e: Emit, b: Block): boolean {
  if (!b.loopHeader || b.term.kind !== "cond" || b.succs[0] !== b.id || b.succs[1] === b.id || b.pcs.length > UNROLL_MAX_INSNS) return false;
  for (let k = 0; k < b.pcs.length - 1; k++) {
    const op = e.slots[b.pcs[k]!]!.op, cls = op & 7;
    const ok = cls === 4 || cls === 7 || op === 0x18 || cls === 1 || (cls === 2 && !e.f.ctxHook) || (cls === 3 && (op & 0xe0) === 0x60 && !e.f.ctxHook);
    if (!ok) return false;
  }
  return true;
}

/**
 * r1's constant after `s` (`known` before it): set by an lddw, kept by stores and by instructions that write
 * another register, forgotten by calls and by anything else that may write r1.
 */
function r1After(s: Slot, known: bigint | undefined): bigint | undefined {
  const op = s.op, cls = op & 7;
  if (op === 0x18) return s.dst === 1 ? s.imm : known;
  if (known === undefined) return undefined;
  if (cls === 2 || (cls === 3 && (op & 0xe0) === 0x60)) return known; // ST / STX: no register written
  if (cls === 3) return s.src === 1 || s.dst === 1 ? undefined : known; // atomics: fetch writes src, cmpxchg r0
  if (cls === 5 || cls === 6) return op === 0x85 || op === 0x8d ? undefined : known;
  return s.dst === 1 ? undefined : known;
}

/**
 * Whether a taken jump from `from` to `to` checks the budget. The interpreter checks on every taken jump,
 * and unverified code keeps exactly that. In a verified program laid out as structured code, a forward
 * jump cannot repeat work: only back edges (and calls, checked at the call) can make a run long, so only
 * they check. Such a run over its budget stops at its next back edge or call instead of its next taken jump.
 */
function needsBudgetCheck(e: Emit, from: Block, to: Block): boolean {
  return !e.f.verified || !e.fn.reducible || to.id <= from.id;
}

/**
 * Emit the terminator of `b`, calling `branch(to, taken)` for each successor edge (inside an if/else for
 * conditional ones: `inIf` is true then, so the branch knows one more label is open).
 */
function terminator(e: Emit, b: Block, branch: (to: number, inIf: boolean) => void): void {
  const f = e.f, body = f.body;
  const t = b.term;
  switch (t.kind) {
    case "exit": f.ret(); return;
    case "bad": f.halt(STATUS.BAD_INSN, t.ip, 0); return;
    case "off_end": f.halt(STATUS.BAD_INSN, f.base + e.end * ENTRY, 0); return;
    case "fall": branch(b.succs[0]!, false); return;
    case "jump": {
      const to = e.fn.blocks[b.succs[0]!]!;
      if (needsBudgetCheck(e, b, to)) f.budgetCheck(ipOf(e, to), 0);
      branch(to.id, false);
      return;
    }
    case "cond": {
      const taken = e.fn.blocks[b.succs[0]!]!;
      lowerCondition(f, e.slots[b.pcs[b.pcs.length - 1]!]!);
      body.if_();
      if (needsBudgetCheck(e, b, taken)) f.budgetCheck(ipOf(e, taken), 0);
      branch(taken.id, true);
      body.else_();
      branch(b.succs[1]!, true);
      body.end();
      return;
    }
    case "may_goto": {
      lowerMayGoto(f);
      body.if_();
      branch(b.succs[0]!, true);
      body.else_();
      mayGotoSpend(f);
      branch(b.succs[1]!, true);
      body.end();
      return;
    }
  }
}

function structured(e: Emit): void {
  const blocks = e.fn.blocks;
  const body = e.f.body;
  // The open labels, innermost last; where each loop header's `loop` and each merge node's `block` sit, so
  // a branch finds its label depth in constant time (deep dominator trees make searching quadratic).
  let open = 0;
  const loopAt = new Int32Array(blocks.length).fill(-1);
  const followAt = new Int32Array(blocks.length).fill(-1);
  const doTree = (x: number): void => {
    const b = blocks[x]!;
    if (b.loopHeader) {
      body.loop();
      loopAt[x] = open++;
      nodeWithin(x, b.mergeChildren, 0);
      open--;
      loopAt[x] = -1;
      body.end();
    } else nodeWithin(x, b.mergeChildren, 0);
  };
  /**
   * A one-block loop (selfLoop): while the count after UNROLL more iterations stays below the budget, run
   * that many copies with no budget check and one count update; else one iteration as any block runs,
   * checked on its back edge. Every back edge's check would have passed on the fast path (the count only
   * grows), so runs stop at the same back edge with the same count as the interpreter's.
   *
   *   loop $L { block $out { if (cnt + UNROLL*n < budget) { copy; if !cond { cnt += n; br $out } ...
   *     cnt += UNROLL*n; br $L }  cnt += n; code; if cond { check; br $L } }  the exit edge }
   */
  const selfLoopCode = (x: number): void => {
    const b = blocks[x]!, f = e.f;
    const n = b.pcs.length, last = e.slots[b.pcs[n - 1]!]!;
    const toLoop = (): void => { body.br(open - 1 - loopAt[x]!); };
    body.block();
    const out = open++;
    body.get(f.cnt).i64(UNROLL * n).op(OP.i64_add).get(f.budget).op(OP.i64_lt_u).if_();
    open++;
    for (let j = 0; j < UNROLL; j++) {
      plainCode(e, b, n - 1, n, (j + 1) * n);
      lowerCondition(f, last);
      body.op(OP.i32_eqz).if_();
      open++;
      body.get(f.cnt).i64((j + 1) * n).op(OP.i64_add).set(f.cnt);
      body.br(open - 1 - out);
      body.end();
      open--;
    }
    body.get(f.cnt).i64(UNROLL * n).op(OP.i64_add).set(f.cnt);
    toLoop();
    body.end();
    open--;
    blockCode(e, b);
    lowerCondition(f, last);
    body.if_();
    open++;
    f.budgetCheck(ipOf(e, b), 0);
    toLoop();
    body.end();
    open--;
    body.end();
    open--;
    doBranch(x, b.succs[1]!);
  };
  const nodeWithin = (x: number, ys: readonly number[], from: number): void => {
    if (from === ys.length) {
      const b = blocks[x]!;
      if (selfLoop(e, b)) { selfLoopCode(x); return; }
      blockCode(e, b);
      terminator(e, b, (to, inIf) => {
        if (inIf) open++;
        doBranch(x, to);
        if (inIf) open--;
      });
      return;
    }
    const y = ys[from]!;
    body.block();
    followAt[y] = open++;
    nodeWithin(x, ys, from + 1);
    open--;
    followAt[y] = -1;
    body.end();
    doTree(y);
  };
  const doBranch = (x: number, y: number): void => {
    if (y <= x) {
      if (loopAt[y]! < 0) throw new Error("compiler: back edge outside its loop");
      body.br(open - 1 - loopAt[y]!);
    } else if (blocks[y]!.merge) {
      if (followAt[y]! < 0) throw new Error("compiler: branch to a merge node outside its block");
      body.br(open - 1 - followAt[y]!);
    } else doTree(y);
  };
  doTree(0);
}

/** Irreducible control flow: loop { block* { br_table } code* } with the next block's number in a local. */
function dispatcher(e: Emit): void {
  const blocks = e.fn.blocks;
  const f = e.f, body = f.body;
  const n = blocks.length;
  const next = f.t32[0]!; // free between blocks: only used inside one instruction's lowering
  const label = body.local(0x7f);
  body.i32(0).set(label);
  body.loop();
  for (let i = 0; i < n; i++) body.block();
  body.get(label).brTable(blocks.map((_, i) => i), n - 1);
  for (let i = 0; i < n; i++) {
    body.end();
    const b = blocks[i]!;
    const loopDepth = n - 1 - i;
    blockCode(e, b);
    terminator(e, b, (to, inIf) => { body.i32(to).set(label).br(loopDepth + (inIf ? 1 : 0)); });
  }
  body.end();
  void next;
}

/** The body of one function: prologue, then its blocks. */
export function emitFunction(f: FnFrame, fn: FunctionCfg, slots: readonly Slot[], live: Map<number, number>, end: number): void {
  f.prologue();
  const e: Emit = { f, fn, slots, live, end };
  if (fn.reducible) structured(e); else dispatcher(e);
  // Every path above ends in a return or a branch; the function's end is unreachable.
  f.body.op(0x00);
}
