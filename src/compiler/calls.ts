// Helper call glue: how compiled code calls the host's helpers (the interpreter's `helper(id, ip)`
// import, reading r1-r5 from the register area), calls the map module's WebAssembly for map lookups,
// updates and deletes (as the interpreter does), honours a helper's request to stop or to tail-call, and
// makes bpf-to-bpf calls as WebAssembly calls with the frame depth checked.
import { MAX_FRAMES, REGS, STATUS } from "./layout-facts.js";
import type { Slot } from "./cfg.js";
import { CTRL_ADDR, type ArrayMapFacts, type FnFrame } from "./frame.js";
import { OP } from "./wasm.js";

/** A helper call (0x85 src 0) or callx (0x8d: the helper number is in dst). */
function lowerHelperCall(f: FnFrame, s: Slot, adj: number): void {
  const b = f.body;
  const staticId = s.op === 0x85 ? s.imm32 : undefined;
  // A lookup inlined in a verified program runs no BPF code and cannot repeat work: no budget check
  // (verified code checks it where a run can repeat work: back edges and real calls).
  if (staticId === 1 && f.verified && f.knownR1 !== undefined) {
    const a = f.ids.arrayMap(f.knownR1);
    if (a) { inlineArrayLookup(f, a); return; }
    // Hash and LPM maps: the map's lookup specialised to it, inline (map-inline.ts).
    const emit = f.ids.inlineLookup(f.knownR1);
    if (emit) { b.get(f.reg[2]!).op(OP.i32_wrap_i64).set(f.t32[1]!); emit(b, f.t32[1]!, f.reg[0]!); return; }
  }
  f.budgetCheck(s.ip, adj);
  const pushId = (): void => { if (staticId !== undefined) b.i32(staticId); else b.get(f.reg[s.dst]!).op(OP.i32_wrap_i64); };
  const r0 = f.reg[0]!;
  // bpf_map_lookup_elem / update_elem / delete_elem go to the map module's WebAssembly (asm/maps.entry.ts),
  // as the interpreter's calls do; only its "not here" answer (-1 / 1) falls through to the host.
  let fastOpen = false;
  /** Call the map module for helper `id`; leaves i32 "answered" (the result is in t64[0]). */
  const mapOp = (id: number): void => {
    const t = f.t64[0]!, cpu = (): void => { b.i32(CTRL_ADDR("CPU")).mem(OP.i32_load, 2, 0); };
    if (id === 1) { b.get(f.reg[1]!).get(f.reg[2]!); cpu(); b.call(f.ids.mapLookup).tee(t).i64(-1); }
    else if (id === 2) { b.get(f.reg[1]!).get(f.reg[2]!).get(f.reg[3]!).get(f.reg[4]!); cpu(); b.call(f.ids.mapUpdate).tee(t).i64(1); }
    else { b.get(f.reg[1]!).get(f.reg[2]!).call(f.ids.mapDelete).tee(t).i64(1); }
    b.op(OP.i64_ne);
  };
  if (staticId === 1 || staticId === 2 || staticId === 3) {
    mapOp(staticId);
    b.if_().get(f.t64[0]!).set(r0).else_();
    fastOpen = true;
  } else if (staticId === undefined) {
    // callx: the helper number is only known at run time.
    const done = f.t32[1]!;
    b.i32(0).set(done);
    for (const id of [1, 2, 3]) {
      pushId(); b.i32(id).op(OP.i32_eq).if_();
      mapOp(id);
      b.set(done);
      b.end();
    }
    b.get(done).if_().get(f.t64[0]!).set(r0).else_();
    fastOpen = true;
  }
  // The host reads r1-r5, the count (bpf_loop's budget) and the depth (callbacks run one frame up).
  b.i32(CTRL_ADDR("COUNT")).get(f.cnt);
  if (adj) b.i64(adj).op(OP.i64_sub);
  b.mem(OP.i64_store, 3, 0);
  b.i32(CTRL_ADDR("DEPTH")).get(f.depth).mem(OP.i32_store, 2, 0);
  for (let r = 1; r <= 5; r++) b.i32(REGS + r * 8).get(f.reg[r]!).mem(OP.i64_store, 3, 0);
  pushId();
  b.i32(s.ip).call(f.ids.helper).set(r0);
  // A helper may end the program (the conformance suite's unwind) ...
  b.i32(CTRL_ADDR("STOP")).mem(OP.i32_load, 2, 0).if_();
  f.halt(STATUS.STOPPED, s.ip, adj);
  b.end();
  // ... or continue in another program (bpf_tail_call): its result is this function's.
  b.i32(CTRL_ADDR("TAIL")).mem(OP.i32_load, 2, 0).tee(f.t32[1]!).if_();
  b.i32(CTRL_ADDR("TAIL")).i32(0).mem(OP.i32_store, 2, 0);
  b.get(f.cnt);
  if (adj) b.i64(adj).op(OP.i64_sub);
  b.gset(f.ids.g.cnt);
  b.get(f.t32[1]!);
  f.pushArgs(() => b.get(f.depth));
  b.call(f.ids.tail).ret();
  b.end();
  if (fastOpen) b.end();
}

/**
 * bpf_map_lookup_elem on an array map known at compile time, as the verifier inlines it in the kernel
 * (array_map_gen_lookup): r0 = index < max_entries ? the slot's address (this CPU's copy) : NULL. The key
 * pointer is readable (the verifier checked it), so its u32 is read directly; r1-r5 keep their values (a
 * verified program never reads them after a call).
 */
function inlineArrayLookup(f: FnFrame, a: ArrayMapFacts): void {
  const b = f.body, i = f.t32[1]!;
  b.get(f.reg[2]!).op(OP.i32_wrap_i64).mem(OP.i32_load, 0, 0).set(i);
  b.get(i).i32(a.slot).op(OP.i32_mul).i32(a.values).op(OP.i32_add);
  if (a.perCpu) b.i32(CTRL_ADDR("CPU")).mem(OP.i32_load, 2, 0).i32(a.stride).op(OP.i32_mul).op(OP.i32_add);
  b.op(OP.i64_extend_i32_u).i64(0).get(i).i32(a.maxEntries).op(OP.i32_lt_u).op(OP.select);
  b.set(f.reg[0]!);
}

/** A bpf-to-bpf call: a new frame one level deeper (at most MAX_FRAMES), r6-r9 kept by the caller's locals. */
function lowerLocalCall(f: FnFrame, s: Slot, adj: number): void {
  const b = f.body;
  f.budgetCheck(s.ip, adj);
  b.get(f.depth).i32(1).op(OP.i32_add).i32(MAX_FRAMES).op(OP.i32_ge_u).if_();
  f.halt(STATUS.DEPTH, s.ip, adj);
  b.end();
  b.get(f.cnt);
  if (adj) b.i64(adj).op(OP.i64_sub);
  b.gset(f.ids.g.cnt);
  f.pushArgs(() => b.get(f.depth).i32(1).op(OP.i32_add));
  b.call(f.ids.funcAt(f.prog, s.off));
  f.checkHalted();
  f.popResults();
  b.gget(f.ids.g.cnt);
  if (adj) b.i64(adj).op(OP.i64_add);
  b.set(f.cnt);
}

export function lowerCall(f: FnFrame, s: Slot, adj: number, _liveOut: number): void {
  if (s.op === 0x85 && s.aux === 1) lowerLocalCall(f, s, adj);
  else lowerHelperCall(f, s, adj);
}
