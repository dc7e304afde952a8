// Stack slots are copy-on-write between state copies (src/verifier/state.ts): a copy shares its frames'
// slots, and every change to a slot goes through ownSlot first. A change that skipped it would change
// every state sharing the slot (a checkpoint, a queued branch) without a trace. With
// BPFKIT_VERIFIER_COW_CHECK=1 shared slots are frozen, so such a change throws instead: this file loads the
// verifier in that mode and walks the selftests that write the stack the most ways (spills and fills,
// helper memory, dynptrs, iterators, callbacks, precision back-tracking through the stack), and asserts
// that nothing throws and the verdicts and processed counts are still the kernel's.
import { describe, expect, it } from "vitest";
import type { CorpusRow } from "../support/selftests-corpus.js";

process.env.BPFKIT_VERIFIER_COW_CHECK = "1";
// (the mode is read when state.ts is first loaded: these imports are this file's own module graph)
const corpus = await import("../support/selftests-corpus.js");
const state = await import("../../src/verifier/state.js");
delete process.env.BPFKIT_VERIFIER_COW_CHECK;

const STACK_HEAVY = /spill|stack|dynptr|iter|callback|loop|precis|pruning|helper_value|raw_stack|ringbuf|var_off|subprog|bpf_get_stack|int_ptr/;

describe("verifier: copy-on-write stack slots", () => {
  it("a change through ownSlot leaves the copy's slot alone; one that skips it throws in check mode", () => {
    const s: import("../../src/verifier/state.js").State = {
      frames: [state.newFrame(0, -1, 0)], refs: [], path: undefined, callbackDepth: 0, hist: undefined, histLen: 0, firstInsnIdx: 0, lastInsnIdx: -1,
    };
    const f = s.frames[0]!;
    state.growStack(f, 16);
    const own = state.ownSlot(f, 0);
    own.kinds.fill(state.Slot.MISC);
    const copy = state.cloneState(s);
    expect(copy.frames[0]!.stack[0]).toBe(f.stack[0]);
    state.ownSlot(f, 0).kinds[0] = state.Slot.ZERO;
    expect(f.stack[0]!.kinds[0]).toBe(state.Slot.ZERO);
    expect(copy.frames[0]!.stack[0]!.kinds[0]).toBe(state.Slot.MISC);
    expect(() => { copy.frames[0]!.stack[0]!.kinds[1] = state.Slot.ZERO; }).toThrow(TypeError);
    // a new slot is the shared blank one, frozen in every mode
    expect(() => { f.stack[1]!.kinds[0] = state.Slot.MISC; }).toThrow(TypeError);
  });

  it("walks the stack-heavy selftests with shared slots frozen, with the kernel's verdicts and counts", () => {
    const objects = corpus.corpusObjects().filter((o) => STACK_HEAVY.test(o));
    expect(objects.length).toBeGreaterThan(15);
    const rows: CorpusRow[] = [];
    for (const o of objects) rows.push(...corpus.runObject(o));
    const answered = rows.filter((r) => r.ours !== undefined);
    expect(answered.length).toBeGreaterThan(250);
    const known = corpus.knownDifferences();
    const differ = answered.filter((r) => r.ours !== r.kernel && !(r.key in known)).map((r) => `${r.key}: kernel ${r.kernel}, bpfkit ${r.oursError ?? r.ours}`);
    expect(differ).toEqual([]);
    const both = answered.filter((r) => r.kernel === "accept" && r.ours === "accept" && r.kProcessed !== undefined);
    const counts = both.filter((r) => r.oProcessed !== r.kProcessed).map((r) => `${r.key}: kernel ${r.kProcessed}, bpfkit ${r.oProcessed}`);
    // (the selftests corpus has one known count difference, none of them stack-heavy)
    expect(counts.length, counts.join("\n")).toBeLessThanOrEqual(1);
  }, 600_000);
});
