// What the lowering of one function needs at hand: its body and locals, the module's shared functions and
// globals, and the few code sequences every stage emits (stopping the run, returning, the register
// calling convention). BPF registers live in WebAssembly locals; the instruction count is a local too,
// handed over through a global at calls and returns.
import { CTRL, STACK, STACK_FRAME } from "../runtime/layout.js";
import { C } from "../runtime/layout.js";
import { Body, I32, I64, OP, type ValType } from "./wasm.js";
import type { LookupEmitter } from "./map-inline.js";

/** Indices shared by every function of one module. */
export interface ModuleIds {
  /** Imported host functions. */
  helper: number;
  ctxStore: number;
  /** Internal: record a stop (status, ip, depth, r0, count) in the globals and control block. */
  halt: number;
  /** Imported from the map module: bpf_map_lookup_elem (-1: the host answers), update_elem, delete_elem (1: the host answers). */
  mapLookup: number;
  mapUpdate: number;
  mapDelete: number;
  /** Internal: run another program's entry (bpf_tail_call) with the current registers. */
  tail: number;
  g: { cnt: number; budget: number; halted: number };
  /** Function index of the function starting at `pc` of program `prog`. */
  funcAt(prog: number, pc: number): number;
  /** The array (or per-CPU array) map whose handle is `handle`, for lookups inlined as the kernel inlines them. */
  arrayMap(handle: bigint): ArrayMapFacts | undefined;
  /** Inline code for lookups in the hash or LPM map `handle` (map-inline.ts), or undefined. */
  inlineLookup(handle: bigint): LookupEmitter | undefined;
}

/** Where an array map's values are (its descriptor never changes once the map exists). */
export interface ArrayMapFacts {
  maxEntries: number;
  values: number;
  /** Bytes of one slot (every CPU's copy of one value). */
  slot: number;
  /** Per-CPU arrays: bytes between CPUs' copies of one value. */
  stride: number;
  perCpu: boolean;
}

/** The register calling convention of a module (see signature()). */
export interface Convention {
  params: number[];
  results: number[];
}

/**
 * Verified programs never read a register the verifier considers uninitialised, so a function takes
 * r1-r5 and gives back r0 as the kernel's calling convention says. Unverified code (conformance tests,
 * `--engine compiled` on a rejected program) gets the interpreter's exact behaviour instead: a callee sees
 * every register of its caller and leaves r0-r5 as it had them.
 */
export function convention(verified: boolean): Convention {
  return verified ? { params: [1, 2, 3, 4, 5], results: [0] } : { params: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], results: [0, 1, 2, 3, 4, 5] };
}
export const fnParams = (c: Convention): ValType[] => [...c.params.map(() => I64), I32];
export const fnResults = (c: Convention): ValType[] => c.results.map(() => I64);

export const CTRL_ADDR = (field: keyof typeof C): number => CTRL + C[field];

export class FnFrame {
  readonly body: Body;
  /** Local index of r0-r10. */
  readonly reg: number[] = [];
  readonly depth: number;
  readonly cnt: number;
  readonly budget: number;
  /** i32: bottom of this function's stack frame (r10 - 512). */
  readonly fpb: number;
  readonly t64: number[];
  readonly t32: number[];
  /** r1's value before the instruction being lowered when its block set it from a constant (an lddw of a map handle). */
  knownR1: bigint | undefined;

  constructor(
    readonly ids: ModuleIds,
    readonly conv: Convention,
    readonly prog: number,
    readonly base: number,
    readonly verified: boolean,
    /** Stores into the context struct go through the host (skb types narrow some fields). */
    readonly ctxHook: boolean,
  ) {
    this.body = new Body(fnParams(conv));
    conv.params.forEach((r, i) => { this.reg[r] = i; });
    this.depth = conv.params.length;
    for (let r = 0; r <= 10; r++) if (this.reg[r] === undefined) this.reg[r] = this.body.local(I64);
    this.cnt = this.body.local(I64);
    this.budget = this.body.local(I64);
    this.fpb = this.body.local(I32);
    this.t64 = [this.body.local(I64), this.body.local(I64), this.body.local(I64)];
    this.t32 = [this.body.local(I32), this.body.local(I32)];
  }

  /** r10 and the frame bottom from the depth; the count and budget from the globals. */
  prologue(): void {
    const b = this.body;
    b.get(this.depth).i32(STACK_FRAME).op(OP.i32_mul).i32(STACK).op(OP.i32_add).tee(this.fpb);
    b.i32(STACK_FRAME).op(OP.i32_add).op(OP.i64_extend_i32_u).set(this.reg[10]!);
    b.gget(this.ids.g.cnt).set(this.cnt);
    b.gget(this.ids.g.budget).set(this.budget);
  }

  /** Push the function's results (the registers of the convention) and return. */
  ret(): void {
    const b = this.body;
    b.get(this.cnt).gset(this.ids.g.cnt);
    for (const r of this.conv.results) b.get(this.reg[r]!);
    b.ret();
  }
  /** Return after a stop: the caller checks the halted flag first, so the values do not matter. */
  retHalted(): void {
    for (const _ of this.conv.results) this.body.i64(0);
    this.body.ret();
  }

  /**
   * Stop the run with `status` at entry address `ip`; `adj` instructions of the current block had not run
   * yet (the count is added per block). `r0` is the register the run ends with.
   */
  halt(status: number, ip: number, adj: number, r0?: number): void {
    const b = this.body;
    b.i32(status).i32(ip).get(this.depth);
    if (r0 === undefined) b.get(this.reg[0]!); else b.i64(r0);
    b.get(this.cnt);
    if (adj) b.i64(adj).op(OP.i64_sub);
    b.call(this.ids.halt);
    this.retHalted();
  }

  /** After a call that may have stopped the run: return at once when it did. */
  checkHalted(): void {
    this.body.gget(this.ids.g.halted).if_();
    this.retHalted();
    this.body.end();
  }

  /** `if (count - adj >= budget) stop(BUDGET at ip)`. */
  budgetCheck(ip: number, adj: number): void {
    const b = this.body;
    b.get(this.cnt);
    if (adj) b.i64(adj).op(OP.i64_sub);
    b.get(this.budget).op(OP.i64_ge_u).if_();
    this.halt(1 /* STATUS.BUDGET */, ip, adj);
    b.end();
  }

  /** Push all registers of the convention's parameters (for a call) and the depth given by `depth()`. */
  pushArgs(depth: () => void): void {
    for (const r of this.conv.params) this.body.get(this.reg[r]!);
    depth();
  }
  /** Pop a call's results into the registers. */
  popResults(): void {
    for (let i = this.conv.results.length - 1; i >= 0; i--) this.body.set(this.reg[this.conv.results[i]!]!);
  }
}
