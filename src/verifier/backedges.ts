// Precision re-propagation after a loop visit (6.17+'s bpf_scc_backedge and propagate_backedges).
//
// While a loop (SCC) visit is open, a path pruned against a state of that loop is compared by range
// (RANGE_WITHIN), and the precision it copies from the state it matched (propagate_precision) is only
// what that state knew then: the paths still to be walked inside the loop can make more of its scalars
// precise later. So each such pruning hit is remembered as a backedge: the pruned state (its history,
// its checkpoint chain, the instruction it stopped at) and the state it matched. When the visit ends (its
// entry checkpoint's subtree is walked), every backedge propagates again from its matched state into its
// own checkpoint chain, over and over until no checkpoint gains a mark (at most 64 rounds, then every
// scalar of the chains is made precise). Checkpoints of the loop that were relied on with incomplete marks
// thereby carry what the loop's exits need, and later paths are pruned against them as the kernel does.
import type { Env } from "./env.js";
import type { State } from "./state.js";
import type { Checkpoint } from "./prune.js";
import { markAllScalarsPrecise, propagatePrecision } from "./precision.js";

/** One pruning hit inside an open loop visit (struct bpf_scc_backedge). */
export interface Backedge {
  /** The pruned state as it stood at the hit (its history, first insn and frames; never changed after). */
  state: State;
  /** The checkpoint the pruned path had last passed (the kernel's state->parent). */
  parent: Checkpoint | undefined;
  /** The instruction where it was pruned. */
  insn: number;
  /** The state it was found equivalent to (equal_state). */
  equal: State;
}

const MAX_BACKEDGE_ITERS = 64;

/**
 * copy_verifier_state for a backedge: a shallow copy of the current state suffices, since back-tracking
 * reads only its history (immutable, shared), its first and last instruction and its frame count, and
 * the pruned path's state is dropped right after the hit.
 */
export function saveBackedge(env: Env, parent: Checkpoint | undefined, insn: number, equal: State): Backedge {
  return { state: { ...env.cur, frames: env.cur.frames.slice() }, parent, insn, equal };
}

/**
 * propagate_backedges: a fixed point of propagate_precision over the visit's backedges, newest first
 * (the kernel keeps them in a list it prepends to).
 */
export function propagateBackedges(env: Env, edges: readonly Backedge[]): void {
  for (let i = 0; ; ) {
    if (i++ > MAX_BACKEDGE_ITERS) {
      if (env.log.level >= 2) env.log.write("propagate_backedges: too many iterations\n");
      for (let k = edges.length - 1; k >= 0; k--) markAllScalarsPrecise(env, edges[k]!.parent, edges[k]!.state.frames.length - 1);
      return;
    }
    let changed = false;
    for (let k = edges.length - 1; k >= 0; k--) {
      const e = edges[k]!;
      if (propagatePrecision(env, e.equal, e.state, e.parent, e.insn)) changed = true;
    }
    if (!changed) return;
  }
}
