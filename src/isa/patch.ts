// Editing a program without breaking its jumps: `unlink` turns every relative jump and local call into a
// reference to a label on its target (the inverse of `link`), so instructions can be inserted anywhere
// and `link` computes the offsets again. Used by `verify --explain` to apply the fix it suggests.
import { type Instruction, SlotMap } from "./instruction.js";
import { link } from "./builders.js";

const isJumpClass = (op: number): boolean => (op & 7) === 5 || (op & 7) === 6;
/** exit (0x95), helper/kfunc calls (0x85 with src != 1) and callx have no relative target. */
function relTarget(i: Instruction): "off" | "imm" | undefined {
  if (!isJumpClass(i.opcode)) return undefined;
  const op = i.opcode & 0xf0;
  if (op === 0x90) return undefined; // exit
  if (op === 0x80) return i.opcode === 0x85 && i.src === 1 ? "imm" : undefined; // local call only
  if (i.opcode === 0x06) return "imm"; // gotol
  return "off"; // conditional jumps, ja, may_goto
}

/** Label name given to the instruction at `slot` by `unlink` (unless it already had one). */
export const slotLabel = (slot: number): string => `.L${slot}`;

/**
 * Every jump and local call as a label reference (`ref`) to its target, which gets a label (keeping any
 * label it had). `link(unlink(p))` gives back the same instructions.
 */
export function unlink(insns: readonly Instruction[]): Instruction[] {
  const slots = new SlotMap(insns);
  const out = insns.map((i) => ({ ...i }));
  const labelOfSlot = (slot: number): string => {
    const idx = slots.indexOf(slot);
    if (idx < 0) throw new Error(`jump to slot ${slot}, which does not start an instruction`);
    return (out[idx]!.label ??= slotLabel(slot));
  };
  insns.forEach((i, idx) => {
    const kind = relTarget(i);
    if (kind === undefined || i.ref !== undefined) return;
    const target = slots.slotOf[idx]! + 1 + (kind === "imm" ? i.imm : i.off);
    out[idx]!.ref = labelOfSlot(target);
  });
  return out;
}

/**
 * Insert `added` before the instruction starting at `slot`, so that every path that reached it now runs
 * `added` first (the instruction's label moves to the first inserted one), and append `tail` (e.g. the
 * block a check jumps to) at the end. Jumps in `added`/`tail` may refer to labels; the result is linked.
 */
export function insertBefore(insns: readonly Instruction[], slot: number, added: readonly Instruction[], tail: readonly Instruction[] = []): Instruction[] {
  const unlinked = unlink(insns);
  const idx = new SlotMap(insns).indexOf(slot);
  if (idx < 0) throw new Error(`slot ${slot} does not start an instruction`);
  const first = added.map((i) => ({ ...i }));
  const at = unlinked[idx]!;
  if (at.label !== undefined && first.length) {
    if (first[0]!.label !== undefined) throw new Error("the first inserted instruction already has a label");
    first[0]!.label = at.label;
    delete at.label;
  }
  return link([...unlinked.slice(0, idx), ...first, ...unlinked.slice(idx), ...tail.map((i) => ({ ...i }))]);
}
