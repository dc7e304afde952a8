// One WebAssembly module for all programs loaded into one runtime (a program and its tail-call targets):
// a function per BPF function, the shared internal functions (stop, tail call) and `run`,
// the export with the interpreter's own calling protocol (`runFast(entry, depth)`: registers in the
// register area, status returned, count/depth/fault in the control block), so the host side is shared.
import { C, CTRL, CTX, ENTRY, MAY_GOTO_BUDGET, REGS, STATUS } from "../runtime/layout.js";
import { DESC, DESC_MAGIC, IMPL, MF } from "../maps/runtime/layout.js";
import { buildProgram, readSlots, type CodeImage } from "./cfg.js";
import { FnFrame, convention, fnParams, fnResults, type ModuleIds } from "./frame.js";
import { liveness } from "./liveness.js";
import { MapInliner } from "./map-inline.js";
import { emitFunction } from "./structure.js";
import { Body, I32, I64, ModuleWriter, OP } from "./wasm.js";

export interface ModuleOptions {
  /** The programs passed the verifier: use its guarantees (see lower.ts). */
  verified: boolean;
  /** Stores into the context struct go through the host's ctxStore import. */
  ctxHook: boolean;
  /** Emit `batch` for the first program (XDP): many packets per call, see batchBody(). */
  batch?: XdpBatchLayout;
  /**
   * Also emit `batchInPlace` (see inPlaceBody()): the host asks for it only when no loaded program can move
   * the packet (no bpf_xdp_adjust_* call) and the verifier accepted them all, so every packet access stays
   * between data and data_end and a packet can run where it lies in the batch arena.
   */
  inPlace?: boolean;
}

/** Where the XDP context fields are (xdp_md), for the batch driver's per-packet setup. */
export interface XdpBatchLayout {
  ctxSize: number;
  data: number;
  dataEnd: number;
  dataMeta: number;
  ingressIfindex: number;
  /** Bytes of headroom before the packet data in the packet buffer. */
  headroom: number;
  /** Bytes of the packet buffer (zeroed whole after a helper moved the packet). */
  bufSize: number;
  ifindex: number;
}

/** The batch descriptor the host fills (u32 fields, byte offsets). */
export const BATCH = {
  PKT_BUF: 0, IN_RECS: 4, OUT_RECS: 8, OUT_ARENA: 12, OUT_POS: 16, DIRTY: 20, PREV_LEN: 24, CURRENT: 28, MAY_GOTO: 32,
  /** batchInPlace: where retvals (r0's low 32 bits), r0's high 32 bits and instruction counts go (u32 per packet each). */
  RETS: 36, COUNTS: 40, STATUS: 44, HIGHS: 48, SIZE: 56,
  /** Input record: address, length. */
  IN_REC: 8,
  /** Output record: status, r0 (low, high 32 bits), instruction count (low 32 bits), output offset, output length. */
  OUT_REC: 24,
} as const;

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
  // The map module's program-side operations (asm/maps.entry.ts), imported as they are (no JavaScript between).
  const mapLookup = m.importFunc("env", "mapLookup", [I64, I64, I32], [I64]);
  const mapUpdate = m.importFunc("env", "mapUpdate", [I64, I64, I64, I64, I32], [I64]);
  const mapDelete = m.importFunc("env", "mapDelete", [I64, I64], [I64]);
  const g = { cnt: m.global(I64), budget: m.global(I64), halted: m.global(I32), status: m.global(I32), r0: m.global(I64), depth: m.global(I32) };
  const halt = m.func([I32, I32, I32, I64, I64], []);
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
    helper, ctxStore, mapLookup, mapUpdate, mapDelete, halt, tail, g,
    inlineLookup: ((inl) => (handle: bigint) => inl.lookup(handle))(new MapInliner(u8)),
    arrayMap: (handle) => {
      // A descriptor of an array or per-CPU array answered in WebAssembly (src/maps/runtime/array.ts).
      const h = Number(handle);
      if (handle < 0x1000n || handle > BigInt(u8.length - DESC.SIZE)) return undefined;
      const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
      const f = (off: number): number => dv.getUint32(h + off, true);
      if (f(DESC.MAGIC) !== DESC_MAGIC || f(DESC.IMPL) !== IMPL.ARRAY || (f(DESC.TYPE) !== 2 && f(DESC.TYPE) !== 6) || f(DESC.FLAGS) & MF.LRU) return undefined;
      return { maxEntries: f(DESC.MAX_ENTRIES), values: f(DESC.VALUES), slot: f(DESC.SLOT), stride: f(DESC.STRIDE), perCpu: (f(DESC.FLAGS) & MF.PERCPU) !== 0 };
    },
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
    // Re-entrant: a helper calling back into BPF (bpf_loop) runs `run` inside a run; the caller's
    // count, budget and stop state are kept and given back.
    const saved = [b.local(I64), b.local(I64), b.local(I32), b.local(I32), b.local(I64), b.local(I32)];
    const globals = [g.cnt, g.budget, g.halted, g.status, g.r0, g.depth];
    globals.forEach((gi, i) => b.gget(gi).set(saved[i]!));
    const status = b.local(I32);
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
    b.gget(g.status).set(status);
    globals.forEach((gi, i) => b.get(saved[i]!).gset(gi));
    b.get(status);
    m.define(run, b);
  }

  // repeat(entry, n) -> status: `run` up to n times with the argument registers the host set for the first
  // (Engine.begin), each time with the control block as begin() resets it; stops after a run that did not
  // exit or that called a host helper (the host's per-run bookkeeping, tail-call count and locks, is then
  // the caller's). Runs done go to the control block. BPF_PROG_TEST_RUN's repeat loop, without JavaScript.
  {
    const repeat = m.func([I32, I32], [I32]);
    m.export("repeat", repeat);
    const b = new Body([I32, I32]);
    const ENTRY_ = 0, N = 1;
    const i = b.local(I32), status = b.local(I32);
    const saved = conv.params.map(() => b.local(I64));
    conv.params.forEach((r, k) => { b.i32(REGS + r * 8).mem(OP.i64_load, 3, 0).set(saved[k]!); });
    const ctrl = (field: keyof typeof C, value: number): void => { b.i32(CTRL + C[field]).i32(value).mem(OP.i32_store, 2, 0); };
    b.i32(STATUS.EXIT).set(status);
    b.block().loop();
    b.get(i).get(N).op(OP.i32_ge_u).brIf(1);
    conv.params.forEach((r, k) => { b.i32(REGS + r * 8).get(saved[k]!).mem(OP.i64_store, 3, 0); });
    ctrl("STOP", 0); ctrl("TAIL", 0); ctrl("FAULT_KIND", 0); ctrl("MAY_GOTO", MAY_GOTO_BUDGET); ctrl("HOST", 0);
    b.get(ENTRY_).i32(0).call(run).set(status);
    b.get(i).i32(1).op(OP.i32_add).set(i);
    b.get(status).i32(STATUS.EXIT).op(OP.i32_ne).brIf(1);
    b.i32(CTRL + C.HOST).mem(OP.i32_load, 2, 0).brIf(1);
    b.br(0);
    b.end().end();
    b.i32(CTRL + C.REPEATED).get(i).mem(OP.i32_store, 2, 0);
    b.get(status);
    m.define(repeat, b);
  }

  if (options.batch) {
    const batch = m.func([I32, I32, I32], [I32]);
    m.export("batch", batch);
    m.define(batch, batchBody(options.batch, conv.params, progs[0]!.index.get(0)!, g));
    if (options.inPlace) {
      const inPlace = m.func([I32, I32, I32], [I32]);
      m.export("batchInPlace", inPlace);
      m.define(inPlace, inPlaceBody(options.batch, conv.params, progs[0]!.index.get(0)!, g));
    }
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

/**
 * Copy `len` bytes from `src` to `dst` (locals; the areas never overlap): a word loop inline for packets up
 * to 256 bytes, memory.copy beyond (in V8 memory.copy is a call into the engine's runtime, which costs
 * more than the whole copy of a short packet). `i` is a scratch i32 local.
 */
function emitCopy(b: Body, dst: number, src: number, len: number, i: number): void {
  b.get(len).i32(256).op(OP.i32_le_u).if_();
  b.i32(0).set(i);
  b.block().loop();
  b.get(i).i32(8).op(OP.i32_add).get(len).op(OP.i32_gt_u).brIf(1);
  b.get(dst).get(i).op(OP.i32_add).get(src).get(i).op(OP.i32_add).mem(OP.i64_load, 0, 0).mem(OP.i64_store, 0, 0);
  b.get(i).i32(8).op(OP.i32_add).set(i);
  b.br(0);
  b.end().end();
  b.block().loop();
  b.get(i).get(len).op(OP.i32_ge_u).brIf(1);
  b.get(dst).get(i).op(OP.i32_add).get(src).get(i).op(OP.i32_add).mem(OP.i32_load8_u, 0, 0).mem(OP.i32_store8, 0, 0);
  b.get(i).i32(1).op(OP.i32_add).set(i);
  b.br(0);
  b.end().end();
  b.else_();
  b.get(dst).get(src).get(len).memoryCopy();
  b.end();
}

/**
 * batch(desc, from, to) -> index: run XDP packets from..to-1 (input records in the descriptor), each set up
 * as the host's single run sets one up without ctx_in (packet at the headroom of a zeroed buffer, xdp_md
 * data/data_end/data_meta and the loopback ingress device), its output packet appended to the output arena.
 * Returns `to`, or the index of a packet whose run ended in an error (the host reports it and goes on).
 * Only the part of the buffer the previous packet could have dirtied is zeroed: its bytes, or the whole
 * buffer once a helper moved the packet (the host sets DIRTY).
 */
function batchBody(x: XdpBatchLayout, params: readonly number[], main: number, g: { cnt: number; budget: number; halted: number; status: number; r0: number; depth: number }): Body {
  const b = new Body([I32, I32, I32]);
  const DESC = 0, I = 1, TO = 2;
  const start = b.local(I32), len = b.local(I32), rec = b.local(I32), r0 = b.local(I64), status = b.local(I32), meta = b.local(I32), pos = b.local(I32), out = b.local(I32), prev = b.local(I32);
  const src = b.local(I32), dst = b.local(I32), k = b.local(I32);
  const d = (field: number): void => { b.get(DESC).mem(OP.i32_load, 2, field); };
  const setD = (field: number, value: () => void): void => { b.get(DESC); value(); b.mem(OP.i32_store, 2, field); };
  const ctrl = (field: keyof typeof C, value: () => void): void => { b.i32(CTRL + C[field]); value(); b.mem(OP.i32_store, 2, 0); };
  b.i32(CTRL + C.BUDGET).mem(OP.i64_load, 3, 0).gset(g.budget);
  b.block().loop();
  b.get(I).get(TO).op(OP.i32_ge_u).brIf(1);
  setD(BATCH.CURRENT, () => b.get(I));
  // input record
  d(BATCH.IN_RECS); b.get(I).i32(BATCH.IN_REC).op(OP.i32_mul).op(OP.i32_add).set(rec);
  b.get(rec).mem(OP.i32_load, 2, 4).set(len);
  d(BATCH.PKT_BUF); b.i32(x.headroom).op(OP.i32_add).set(start);
  // reset what the previous packet may have left
  d(BATCH.DIRTY); b.if_();
  d(BATCH.PKT_BUF); b.i32(0).i32(x.bufSize).memoryFill();
  setD(BATCH.DIRTY, () => b.i32(0));
  b.else_();
  d(BATCH.PREV_LEN); b.tee(prev).get(len).op(OP.i32_gt_u).if_();
  b.get(start).get(len).op(OP.i32_add).i32(0).get(prev).get(len).op(OP.i32_sub).memoryFill();
  b.end();
  b.end();
  b.get(rec).mem(OP.i32_load, 2, 0).set(src);
  emitCopy(b, start, src, len, k);
  setD(BATCH.PREV_LEN, () => b.get(len));
  // xdp_md
  // (a few zero stores for a small struct: memory.fill is a call into the engine's runtime in V8)
  if (x.ctxSize % 8 === 0 && x.ctxSize <= 64) for (let o = 0; o < x.ctxSize; o += 8) b.i32(CTX).i64(0).mem(OP.i64_store, 3, o);
  else b.i32(CTX).i32(0).i32(x.ctxSize).memoryFill();
  b.i32(CTX + x.data).get(start).mem(OP.i32_store, 2, 0);
  b.i32(CTX + x.dataEnd).get(start).get(len).op(OP.i32_add).mem(OP.i32_store, 2, 0);
  b.i32(CTX + x.dataMeta).get(start).mem(OP.i32_store, 2, 0);
  b.i32(CTX + x.ingressIfindex).i32(x.ifindex).mem(OP.i32_store, 2, 0);
  // control block, as Engine.exec sets it
  ctrl("STOP", () => b.i32(0)); ctrl("TAIL", () => b.i32(0)); ctrl("FAULT_KIND", () => b.i32(0));
  ctrl("PKT", () => b.get(start)); ctrl("PKT_LEN", () => b.get(len));
  ctrl("MAY_GOTO", () => d(BATCH.MAY_GOTO));
  b.i32(0).gset(g.halted).i64(0).gset(g.cnt);
  for (const r of params) { if (r === 1) b.i64(CTX); else b.i64(0); }
  b.i32(0).call(main);
  for (let i = 1; i < (params.length === 5 ? 1 : 6); i++) b.op(OP.drop);
  b.set(r0);
  b.i32(STATUS.EXIT).set(status);
  b.gget(g.halted).if_();
  b.gget(g.status).set(status).gget(g.r0).set(r0);
  b.end();
  d(BATCH.OUT_RECS); b.get(I).i32(BATCH.OUT_REC).op(OP.i32_mul).op(OP.i32_add).set(out);
  b.get(out).get(status).mem(OP.i32_store, 2, 0);
  b.get(status).i32(STATUS.EXIT).op(OP.i32_ne).get(status).i32(STATUS.STOPPED).op(OP.i32_ne).op(OP.i32_and).if_();
  b.i32(CTRL + C.COUNT).gget(g.cnt).mem(OP.i64_store, 3, 0);
  b.i32(CTRL + C.DEPTH).gget(g.depth).mem(OP.i32_store, 2, 0);
  b.i32(REGS).get(r0).mem(OP.i64_store, 3, 0);
  b.get(I).ret();
  b.end();
  // output record and bytes (from data_meta to data_end)
  b.get(out).get(r0).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, 4);
  b.get(out).get(r0).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, 8);
  b.get(out).gget(g.cnt).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, 12);
  b.i32(CTX + x.dataMeta).mem(OP.i32_load, 2, 0).set(meta);
  b.i32(CTX + x.dataEnd).mem(OP.i32_load, 2, 0).get(meta).op(OP.i32_sub).set(len);
  d(BATCH.OUT_POS); b.set(pos);
  b.get(out).get(pos).mem(OP.i32_store, 2, 16);
  b.get(out).get(len).mem(OP.i32_store, 2, 20);
  d(BATCH.OUT_ARENA); b.get(pos).op(OP.i32_add).set(dst);
  emitCopy(b, dst, meta, len, k);
  setD(BATCH.OUT_POS, () => b.get(pos).get(len).op(OP.i32_add));
  b.get(I).i32(1).op(OP.i32_add).set(I);
  b.br(0);
  b.end().end();
  b.get(TO);
  return b;
}

/**
 * batchInPlace(desc, from, to) -> index: run XDP packets from..to-1 where they lie (input records: address,
 * length), writing each one's r0 (low and high 32 bits) and instruction count to the descriptor's RETS,
 * HIGHS and COUNTS arrays (u32 each).
 * Nothing is copied per packet: the host lays the packets out once (the batch arena) and reads back only
 * what it is asked for. Valid only for verified programs that cannot move the packet (ModuleOptions.inPlace):
 * such a program reads and writes only data..data_end, cannot write xdp_md, and sees data_meta == data, so
 * the buffer around the packet (zeroed headroom and tailroom in a single run) is never observed.
 * The context is set up once per call; per packet only data, data_meta and data_end change.
 * Returns `to`, or the index of a packet whose run ended in an error (the host reports it and goes on).
 */
function inPlaceBody(x: XdpBatchLayout, params: readonly number[], main: number, g: { cnt: number; budget: number; halted: number; status: number; r0: number; depth: number }): Body {
  const b = new Body([I32, I32, I32]);
  const DESC = 0, I = 1, TO = 2;
  const rec = b.local(I32), start = b.local(I32), r0 = b.local(I64), status = b.local(I32), rets = b.local(I32), counts = b.local(I32), mayGoto = b.local(I32), highs = b.local(I32), at = b.local(I32);
  const ctrl = (field: keyof typeof C, value: () => void): void => { b.i32(CTRL + C[field]); value(); b.mem(OP.i32_store, 2, 0); };
  b.i32(CTRL + C.BUDGET).mem(OP.i64_load, 3, 0).gset(g.budget);
  b.get(DESC).mem(OP.i32_load, 2, BATCH.RETS).set(rets);
  b.get(DESC).mem(OP.i32_load, 2, BATCH.COUNTS).set(counts);
  b.get(DESC).mem(OP.i32_load, 2, BATCH.HIGHS).set(highs);
  b.get(DESC).mem(OP.i32_load, 2, BATCH.MAY_GOTO).set(mayGoto);
  b.get(DESC).mem(OP.i32_load, 2, BATCH.IN_RECS).get(I).i32(BATCH.IN_REC).op(OP.i32_mul).op(OP.i32_add).set(rec);
  // xdp_md as a single run without ctx_in has it; the program cannot write it (xdp_is_valid_access).
  if (x.ctxSize % 8 === 0 && x.ctxSize <= 64) for (let o = 0; o < x.ctxSize; o += 8) b.i32(CTX).i64(0).mem(OP.i64_store, 3, o);
  else b.i32(CTX).i32(0).i32(x.ctxSize).memoryFill();
  b.i32(CTX + x.ingressIfindex).i32(x.ifindex).mem(OP.i32_store, 2, 0);
  ctrl("PKT", () => b.i32(0)); ctrl("PKT_LEN", () => b.i32(0));
  const resetHost = (): void => { ctrl("STOP", () => b.i32(0)); ctrl("TAIL", () => b.i32(0)); ctrl("FAULT_KIND", () => b.i32(0)); ctrl("HOST", () => b.i32(0)); };
  resetHost();
  b.block().loop();
  b.get(I).get(TO).op(OP.i32_ge_u).brIf(1);
  b.get(DESC).get(I).mem(OP.i32_store, 2, BATCH.CURRENT);
  b.get(rec).mem(OP.i32_load, 2, 0).set(start);
  b.i32(CTX + x.data).get(start).mem(OP.i32_store, 2, 0);
  b.i32(CTX + x.dataMeta).get(start).mem(OP.i32_store, 2, 0);
  b.i32(CTX + x.dataEnd).get(start).get(rec).mem(OP.i32_load, 2, 4).op(OP.i32_add).mem(OP.i32_store, 2, 0);
  // control block, as Engine.exec sets it: what only the host's helpers set is reset after a packet that called one
  b.i32(CTRL + C.HOST).mem(OP.i32_load, 2, 0).if_();
  resetHost();
  b.end();
  ctrl("MAY_GOTO", () => b.get(mayGoto));
  b.i32(0).gset(g.halted).i64(0).gset(g.cnt);
  for (const r of params) { if (r === 1) b.i64(CTX); else b.i64(0); }
  b.i32(0).call(main);
  for (let i = 1; i < (params.length === 5 ? 1 : 6); i++) b.op(OP.drop);
  b.set(r0);
  b.gget(g.halted).if_();
  b.gget(g.status).set(status);
  b.get(status).i32(STATUS.EXIT).op(OP.i32_ne).get(status).i32(STATUS.STOPPED).op(OP.i32_ne).op(OP.i32_and).if_();
  b.i32(CTRL + C.COUNT).gget(g.cnt).mem(OP.i64_store, 3, 0);
  b.i32(CTRL + C.DEPTH).gget(g.depth).mem(OP.i32_store, 2, 0);
  b.i32(REGS).gget(g.r0).mem(OP.i64_store, 3, 0);
  b.get(DESC).get(status).mem(OP.i32_store, 2, BATCH.STATUS);
  b.get(I).ret();
  b.end();
  b.gget(g.r0).set(r0);
  b.end();
  b.get(I).i32(2).op(OP.i32_shl).set(at);
  b.get(rets).get(at).op(OP.i32_add).get(r0).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, 0);
  b.get(highs).get(at).op(OP.i32_add).get(r0).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, 0);
  b.get(counts).get(at).op(OP.i32_add).gget(g.cnt).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, 0);
  b.get(rec).i32(BATCH.IN_REC).op(OP.i32_add).set(rec);
  b.get(I).i32(1).op(OP.i32_add).set(I);
  b.br(0);
  b.end().end();
  b.get(TO);
  return b;
}
