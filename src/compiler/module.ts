// One WebAssembly module for all programs loaded into one runtime (a program and its tail-call targets):
// a function per BPF function, the shared internal functions (stop, array lookup, tail call) and `run`,
// the export with the interpreter's own calling protocol (`runFast(entry, depth)`: registers in the
// register area, status returned, count/depth/fault in the control block), so the host side is shared.
import { C, CTRL, ENTRY, REGS, STATUS } from "../runtime/layout.js";
import { arrayLookupBody } from "./calls.js";
import { buildProgram, readSlots, type CodeImage } from "./cfg.js";
import { FnFrame, convention, fnParams, fnResults, type ModuleIds } from "./frame.js";
import { liveness } from "./liveness.js";
import { emitFunction } from "./structure.js";
import { Body, I32, I64, ModuleWriter, OP } from "./wasm.js";

export interface ModuleOptions {
  /** The programs passed the verifier: use its guarantees (see lower.ts). */
  verified: boolean;
  /** Stores into the context struct go through the host's ctxStore import. */
  ctxHook: boolean;
}

export interface ModuleInfo {
  bytes: Uint8Array;
  /** Compiled BPF functions and instructions (slots). */
  functions: number;
  slots: number;
  /** Functions that needed the br_table dispatcher (irreducible control flow). */
  dispatched: number;
}

export function buildModule(u8: Uint8Array, codes: readonly CodeImage[], options: ModuleOptions): ModuleInfo {
  const m = new ModuleWriter();
  const conv = convention(options.verified);
  const helper = m.importFunc("env", "helper", [I32, I32], [I64]);
  const ctxStore = m.importFunc("env", "ctxStore", [I32, I32, I64, I32], []);
  const g = { cnt: m.global(I64), budget: m.global(I64), halted: m.global(I32), status: m.global(I32), r0: m.global(I64), depth: m.global(I32) };
  const halt = m.func([I32, I32, I32, I64, I64], []);
  const arrayLookup = m.func([I64, I64], [I64]);
  const tail = m.func([I32, ...fnParams(conv)], fnResults(conv));
  const run = m.func([I32, I32], [I32]);
  m.export("run", run);

  const progs = codes.map((code) => {
    const slots = readSlots(u8, code);
    const { entries, functions } = buildProgram(slots, code);
    const index = new Map<number, number>();
    for (const e of entries) index.set(e, m.func(fnParams(conv), fnResults(conv)));
    return { code, slots, entries, functions, index };
  });
  const ids: ModuleIds = {
    helper, ctxStore, halt, arrayLookup, tail, g,
    funcAt: (p, pc) => {
      const i = progs[p]!.index.get(pc);
      if (i === undefined) throw new Error(`compiler: no function at pc ${pc}`);
      return i;
    },
  };

  // halt(status, ip, depth, r0, count)
  {
    const b = new Body([I32, I32, I32, I64, I64]);
    b.i32(1).gset(g.halted).get(0).gset(g.status).get(2).gset(g.depth).get(3).gset(g.r0).get(4).gset(g.cnt);
    b.i32(CTRL + C.FAULT_IP).get(1).mem(OP.i32_store, 2, 0);
    m.define(halt, b);
  }
  m.define(arrayLookup, arrayLookupBody());
  // tail(target, registers..., depth): the program whose first entry is `target`.
  {
    const params = fnParams(conv);
    const b = new Body([I32, ...params]);
    for (const p of progs) {
      b.get(0).i32(p.code.base).op(OP.i32_eq).if_();
      for (let i = 0; i < params.length; i++) b.get(1 + i);
      b.call(p.index.get(0)!).ret();
      b.end();
    }
    b.i32(STATUS.BAD_INSN).get(0).get(params.length).i64(0).gget(g.cnt).call(halt);
    for (const _ of conv.results) b.i64(0);
    m.define(tail, b);
  }
  // run(entry, depth) -> status
  {
    const b = new Body([I32, I32]);
    const r0 = b.local(I64);
    b.i32(0).gset(g.halted).i64(0).gset(g.cnt);
    b.i32(CTRL + C.BUDGET).mem(OP.i64_load, 3, 0).gset(g.budget);
    b.block();
    for (const p of progs) {
      for (const [pc, fi] of p.index) {
        b.get(0).i32(p.code.base + pc * ENTRY).op(OP.i32_eq).if_();
        for (const r of conv.params) b.i32(REGS + r * 8).mem(OP.i64_load, 3, 0);
        b.get(1).call(fi);
        for (let i = conv.results.length - 1; i > 0; i--) b.op(OP.drop);
        b.set(r0).br(1);
        b.end();
      }
    }
    b.i32(STATUS.BAD_INSN).get(0).get(1).i64(0).i64(0).call(halt);
    b.end();
    // status, r0, depth
    b.gget(g.halted).if_();
    b.gget(g.r0).set(r0);
    b.i32(CTRL + C.DEPTH).gget(g.depth).mem(OP.i32_store, 2, 0);
    b.else_();
    b.i32(STATUS.EXIT).gset(g.status);
    b.i32(CTRL + C.DEPTH).get(1).mem(OP.i32_store, 2, 0);
    b.end();
    b.i32(REGS).get(r0).mem(OP.i64_store, 3, 0);
    b.i32(CTRL + C.COUNT).gget(g.cnt).mem(OP.i64_store, 3, 0);
    b.gget(g.status);
    m.define(run, b);
  }

  let functions = 0, slots = 0, dispatched = 0;
  progs.forEach((p, pi) => {
    slots += p.code.slots;
    p.functions.forEach((fn) => {
      const f = new FnFrame(ids, conv, pi, p.code.base, options.verified, options.ctxHook);
      emitFunction(f, fn, p.slots, liveness(fn, p.slots, conv), p.code.slots);
      m.define(p.index.get(fn.entry)!, f.body);
      functions++;
      if (!fn.reducible) dispatched++;
    });
  });
  return { bytes: m.encode(), functions, slots, dispatched };
}
