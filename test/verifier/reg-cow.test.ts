// Registers that hold no value (not_init), and ctx and stack pointers, are shared between a state and its
// copies instead of copied (src/verifier/state.ts, shareRegs): most of the registers a state copy holds are
// such (96% in short_loop1). A shared register is frozen in every mode, so a change to it in place that skipped ownReg
// throws instead of changing every state that holds it (a checkpoint, a queued branch). The selftests and
// corpus walks run with this always on; this file checks the rule itself and the one walk that changes
// registers in place across the whole state (forEachReg).
import { describe, expect, it } from "vitest";
import { type State, assignReg, cloneState, deadReg, newFrame, ownReg, ownRegs, unknownScalar } from "../../src/verifier/state.js";
import { forEachReg } from "../../src/verifier/env.js";

const state = (): State => ({ frames: [newFrame(0, -1, 0)], refs: [], path: undefined, callbackDepth: 0, hist: undefined, histLen: 0, firstInsnIdx: 0, lastInsnIdx: -1 });

describe("verifier: shared registers between state copies", () => {
  it("a copy shares the not_init, ctx and stack-pointer registers and copies the scalars; ownReg takes a copy, a change that skips it throws", () => {
    const s = state();
    const f = s.frames[0]!;
    f.regs[6] = unknownScalar();
    const copy = cloneState(s);
    const c = copy.frames[0]!;
    expect(c.regs[1]).toBe(f.regs[1]);
    expect(c.regs[6]).not.toBe(f.regs[6]);
    expect(c.regs[10]).toBe(f.regs[10]);
    expect(() => { f.regs[10]!.off = -8; }).toThrow(TypeError);
    expect(() => { f.regs[1]!.id = 5; }).toThrow(TypeError);
    ownReg(f, 1).id = 5;
    expect(f.regs[1]!.id).toBe(5);
    expect(c.regs[1]!.id).toBe(0);
    ownRegs(c).forEach((r) => expect(Object.isFrozen(r)).toBe(false));
  });

  it("forEachReg owns a shared register before changing it", () => {
    const s = state();
    const f = s.frames[0]!;
    // a register that died keeping its reference id (deadReg), as the LD_ABS clobber leaves r1-r5
    const held = unknownScalar();
    held.refObjId = 7;
    f.regs[2] = deadReg(held);
    const copy = cloneState(s);
    expect(copy.frames[0]!.regs[2]).toBe(f.regs[2]);
    forEachReg(s, (r) => { if (r.refObjId === 7) assignReg(r, unknownScalar()); });
    expect(f.regs[2]!.type).toBe("scalar");
    expect(copy.frames[0]!.regs[2]!.type).toBe("not_init");
    expect(copy.frames[0]!.regs[2]!.refObjId).toBe(7);
  });
});
