// Strongly connected components of the instruction graph (6.17+'s compute_scc): the loops of the
// program. The kernel numbers every component that is a loop (two or more instructions, or an
// instruction jumping to itself) from 1, in the order an iterative Tarjan walk closes them
// (instructions in index order as roots, successors in bpf_insn_successors order). The level-2 "Live
// regs before insn:" table prints the number in front of each instruction of a loop. A helper call that
// runs a callback synchronously (bpf_loop, bpf_for_each_map_elem, ...) is its own successor too (the
// verifier returns to it after each callback walk), so it is a loop of its own: the running 6.18 prints it
// so (`  1   5: ... call bpf_loop#181`), and the callback's states belong to that loop.
import type { RawInsn } from "./cfg.js";
import { callsCallback } from "./callbacks.js";
import { insnSuccessors } from "./stack-liveness.js";

/** The SCC number of each instruction (0: in no loop). */
export function loopComponents(insns: readonly RawInsn[]): Uint32Array {
  const n = insns.length;
  const scc = new Uint32Array(n);
  const pre = new Uint32Array(n);
  const low = new Float64Array(n);
  const stack: number[] = [];
  let nextPre = 1, nextScc = 1;
  const succOf = (pc: number): number[] => {
    const succ = insnSuccessors(insns, pc).filter((s) => s >= 0 && s < n);
    if (callsCallback(insns[pc])) succ.push(pc);
    return succ;
  };
  for (let root = 0; root < n; root++) {
    if (pre[root]) continue;
    const dfs = [root];
    while (dfs.length) {
      const w = dfs[dfs.length - 1]!;
      if (!pre[w]) { pre[w] = low[w] = nextPre++; stack.push(w); }
      // descend into the first unvisited successor; visited ones lower w's reach
      const succ = succOf(w);
      let descended = false;
      for (const s of succ) {
        if (pre[s]) low[w] = Math.min(low[w]!, low[s]!);
        else { dfs.push(s); descended = true; break; }
      }
      if (descended) continue;
      if (low[w]! < pre[w]!) { dfs.pop(); continue; }
      // w roots a component: a loop if it has several members or a self edge
      const loop = stack[stack.length - 1] !== w || succ.includes(w);
      let t: number;
      do {
        t = stack.pop()!;
        low[t] = Infinity; // off the stack: no longer lowers anyone's reach
        if (loop) scc[t] = nextScc;
      } while (t !== w);
      if (loop) nextScc++;
      dfs.pop();
    }
  }
  return scc;
}
