// Helper call glue: how compiled code calls the host's helpers (the interpreter's `helper(id, ip)`
// import, reading r1-r5 from the register area), answers bpf_map_lookup_elem on array maps without
// leaving WebAssembly (as the interpreter does), honours a helper's request to stop or to tail-call, and
// makes bpf-to-bpf calls as WebAssembly calls with the frame depth checked.
import { CTRL, C, DESC, DESC_MAGIC, MAX_FRAMES, NULL_GUARD_END, REGS, STATUS } from "./layout-facts.js";
import type { Slot } from "./cfg.js";
import { CTRL_ADDR, type FnFrame } from "./frame.js";
import { Body, I32, I64, OP } from "./wasm.js";

/**
 * The in-Wasm array lookup (asm/interpreter.entry.ts, helper id 1): `m` a map handle, `kp` the key's
 * address. Returns r0, or -1 when the map is not an array (the host answers then).
 */
export function arrayLookupBody(): Body {
  const b = new Body([I64, I64]);
  const M = 0, KP = 1;
  const mp = b.local(I32), t = b.local(I32), key = b.local(I32), v = b.local(I32), r = b.local(I64);
  b.get(M).i64(NULL_GUARD_END).op(OP.i64_ge_u).get(M).i64(0xffff0000).op(OP.i64_lt_u).op(OP.i32_and).if_();
  b.get(M).op(OP.i32_wrap_i64).tee(mp).mem(OP.i32_load, 2, DESC.MAGIC).i32(DESC_MAGIC).op(OP.i32_eq).if_();
  b.get(mp).mem(OP.i32_load, 2, DESC.TYPE).tee(t).i32(2).op(OP.i32_eq).get(t).i32(6).op(OP.i32_eq).op(OP.i32_or).if_();
  b.get(KP).op(OP.i32_wrap_i64).mem(OP.i32_load, 2, 0).tee(key);
  b.get(mp).mem(OP.i32_load, 2, DESC.MAX_ENTRIES).op(OP.i32_lt_u).if_();
  b.get(mp).mem(OP.i32_load, 2, DESC.VALUES).get(key).get(mp).mem(OP.i32_load, 2, DESC.SLOT).op(OP.i32_mul).op(OP.i32_add).set(v);
  b.get(v).op(OP.i64_extend_i32_u).set(r);
  b.get(t).i32(6).op(OP.i32_eq).if_();
  b.get(r).i32(CTRL + C.CPU).mem(OP.i32_load, 2, 0).get(mp).mem(OP.i32_load, 2, DESC.STRIDE).op(OP.i32_mul).op(OP.i64_extend_i32_u).op(OP.i64_add).set(r);
  b.end();
  b.get(r).ret();
  b.end();
  b.i64(0).ret();
  b.end();
  b.end();
  b.end();
  b.i64(-1);
  return b;
}

/** A helper call (0x85 src 0) or callx (0x8d: the helper number is in dst). */
function lowerHelperCall(f: FnFrame, s: Slot, adj: number): void {
  const b = f.body;
  f.budgetCheck(s.ip, adj);
  const staticId = s.op === 0x85 ? s.imm32 : undefined;
  const pushId = (): void => { if (staticId !== undefined) b.i32(staticId); else b.get(f.reg[s.dst]!).op(OP.i32_wrap_i64); };
  const r0 = f.reg[0]!;
  // bpf_map_lookup_elem on an array is answered here, as the interpreter does (same result, no host call).
  let fastOpen = false;
  if (staticId === 1 || staticId === undefined) {
    if (staticId === undefined) {
      b.i64(-1).set(f.t64[0]!);
      pushId(); b.i32(1).op(OP.i32_eq).if_();
      b.get(f.reg[1]!).get(f.reg[2]!).call(f.ids.arrayLookup).set(f.t64[0]!);
      b.end();
      b.get(f.t64[0]!);
    } else b.get(f.reg[1]!).get(f.reg[2]!).call(f.ids.arrayLookup).tee(f.t64[0]!);
    b.i64(-1).op(OP.i64_ne).if_().get(f.t64[0]!).set(r0).else_();
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
