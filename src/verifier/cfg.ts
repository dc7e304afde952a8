// The checks the kernel runs before abstract interpretation, in its order (bpf_check):
// add_subprog_and_kfunc -> check_subprogs -> resolve_pseudo_ldimm64 -> check_cfg. Each works on raw
// slots (an lddw is two slots, the second with opcode 0), since that is what the kernel sees and what
// its messages count. The first failure ends verification with the kernel's message.
import { OPCODE_LDDW } from "../isa/opcodes.js";
import { isKernelOpcode } from "./opcodes.js";

/** One 8-byte slot as the kernel sees it. */
export interface RawInsn { code: number; dst: number; src: number; off: number; imm: number }

export interface CfgResult {
  error?: { pc: number; message: string };
  /** Start slot of every sub-program, sorted; [0] is 0. */
  subprogs: number[];
  /** Slots where the kernel checks for equivalent states (jump targets, after conditional jumps, calls). */
  prunePoints: Uint8Array;
  /** Slots that are jump targets (to print "from X to Y"). */
  jumpTargets: Uint8Array;
}

const CLS = (c: number): number => c & 7;
const OP = (c: number): number => c & 0xf0;
const isJmp = (c: number): boolean => CLS(c) === 5 || CLS(c) === 6;
const isPseudoCall = (i: RawInsn): boolean => i.code === 0x85 && i.src === 1;
const isPseudoFunc = (i: RawInsn): boolean => i.code === OPCODE_LDDW && i.src === 4;
const isKfuncCall = (i: RawInsn): boolean => i.code === 0x85 && i.src === 2;

/** What the verifier knows about kfunc calls before the walk (kfuncs.ts): add_kfunc_call's checks, and which are iterator _next calls. */
export interface KfuncCfgHooks {
  /** The kernel's message when add_kfunc_call refuses the call at `pc` (`first`: the program's first kfunc call). */
  check(pc: number, first: boolean): string | undefined;
  /** The call at `pc` is an iterator's _next: a prune point where a checkpoint is forced. */
  isIterNext(pc: number): boolean;
  /** check_pseudo_btf_id for the typed-ksym lddw (src 3) at `pc` against the target BTF: the kernel's message when bad. */
  /** check_pseudo_btf_id: the error, undefined when fine, null when there is no target BTF to check against. */
  btfId?(pc: number): string | undefined | null;
}

/** `checkMapRef` answers for an lddw of a map (src 1/2/5/6) with the kernel's message when the reference is bad. */
export function checkCfg(insns: readonly RawInsn[], checkMapRef?: (pc: number) => string | undefined, hasFuncInfo = false,
  returnsScalar?: ReadonlyMap<number, boolean>, kfuncs?: KfuncCfgHooks): CfgResult {
  const n = insns.length;
  const prunePoints = new Uint8Array(n + 1);
  const jumpTargets = new Uint8Array(n + 1);
  const fail = (pc: number, message: string): CfgResult => ({ error: { pc, message }, subprogs: [0], prunePoints, jumpTargets });

  // add_subprog_and_kfunc: every pseudo call / pseudo func lddw starts a sub-program.
  const starts = new Set<number>([0]);
  let firstKfunc = true;
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    if (isPseudoCall(insn) || isPseudoFunc(insn)) {
      const t = i + insn.imm + 1;
      if (t < 0 || t >= n) return fail(i, "call to invalid destination");
      starts.add(t);
    } else if (isKfuncCall(insn)) {
      // the kernel resolves kfuncs here (add_kfunc_call): without a target BTF none can be
      const err = kfuncs ? kfuncs.check(i, firstKfunc) : `kernel btf_id ${insn.imm >>> 0} is not a function`;
      firstKfunc = false;
      if (err) return fail(i, err);
    }
  }
  const subprogs = [...starts].sort((a, b) => a - b);

  // check_subprogs: jumps stay inside their sub-program; each sub-program ends in exit or goto.
  let cur = 0;
  let end = subprogs.length > 1 ? subprogs[1]! : n;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const code = insns[i]!.code;
    if (isJmp(code) && OP(code) !== 0x90 && OP(code) !== 0x80) {
      const off = code === 0x06 ? i + insns[i]!.imm + 1 : i + insns[i]!.off + 1;
      if (off < start || off >= end) return fail(i, `jump out of range from insn ${i} to ${off}`);
    }
    if (i === end - 1) {
      if (code !== 0x95 && code !== 0x06 && code !== 0x05) return fail(i, "last insn is not an exit or jmp");
      start = end;
      cur++;
      end = cur + 1 < subprogs.length ? subprogs[cur + 1]! : n;
    }
  }

  // check_btf_info without BTF (check_abnormal_return): sub-programs may not use LD_ABS or tail calls.
  // with BTF (check_btf_func): only sub-programs whose BTF return type is a scalar
  for (let k = 1; k < subprogs.length && hasFuncInfo && returnsScalar; k++) {
    if (returnsScalar.get(subprogs[k]!) !== false) continue;
    const end2 = k + 1 < subprogs.length ? subprogs[k + 1]! : n;
    for (let i = subprogs[k]!; i < end2; i++) {
      const c = insns[i]!.code;
      if (CLS(c) === 0 && ((c & 0xe0) === 0x20 || (c & 0xe0) === 0x40)) return fail(i, "LD_ABS is only allowed in functions that return 'int'.");
    }
    for (let i = subprogs[k]!; i < end2; i++) {
      const x = insns[i]!;
      if (x.code === 0x85 && x.src === 0 && x.imm === 12) return fail(i, "tail_call is only allowed in functions that return 'int'.");
    }
  }
  for (let k = 1; k < subprogs.length && !hasFuncInfo; k++) {
    const end2 = k + 1 < subprogs.length ? subprogs[k + 1]! : n;
    for (let i = subprogs[k]!; i < end2; i++) {
      const c = insns[i]!.code;
      if (CLS(c) === 0 && ((c & 0xe0) === 0x20 || (c & 0xe0) === 0x40)) return fail(i, "LD_ABS is not allowed in subprogs without BTF");
    }
    for (let i = subprogs[k]!; i < end2; i++) {
      const x = insns[i]!;
      if (x.code === 0x85 && x.src === 0 && x.imm === 12) return fail(i, "tail_call is not allowed in subprogs without BTF");
    }
  }

  // resolve_pseudo_ldimm64: reserved LDX fields, lddw halves and sources, opcodes the kernel knows.
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    if (CLS(insn.code) === 1 && (((insn.code & 0xe0) !== 0x60 && (insn.code & 0xe0) !== 0x80) || insn.imm !== 0)) {
      return fail(i, "BPF_LDX uses reserved fields");
    }
    if (insn.code === OPCODE_LDDW) {
      const next = insns[i + 1];
      if (i === n - 1 || !next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) return fail(i, "invalid bpf_ld_imm64 insn");
      if (insn.src === 0 || insn.src === 4) { i++; continue; }
      if (insn.src === 3) {
        // check_pseudo_btf_id: against the target BTF when the verifier has one (checkMapRef answers)
        const bad = kfuncs?.btfId?.(i);
        if (bad !== null && bad !== undefined) return fail(i, bad);
        if (bad === undefined && kfuncs?.btfId) { i++; continue; }
        const id = insn.imm;
        if (id <= 0 || id > 200000) return fail(i, id === 0 ? "pseudo btf_id 0 in ldimm64 isn't KIND_VAR or KIND_FUNC" : `ldimm64 insn specifies invalid btf_id ${id}.`);
        return fail(i, `pseudo btf_id ${id} in ldimm64 isn't KIND_VAR or KIND_FUNC`);
      }
      if (!(insn.src === 2 || insn.src === 6 || ((insn.src === 1 || insn.src === 5) && next.imm === 0))) return fail(i, "unrecognized bpf_ld_imm64 insn");
      const bad = checkMapRef?.(i);
      if (bad) return fail(i, bad);
      i++;
      continue;
    }
    if (!isKernelOpcode(insn.code)) return fail(i, `unknown opcode ${insn.code.toString(16).padStart(2, "0")}`);
  }

  // check_cfg: depth-first walk; every slot must be reached, no jump into an lddw's second half.
  const DISCOVERED = 0x10, EXPLORED = 0x20, FALLTHROUGH = 1, BRANCH = 2;
  const state = new Int32Array(n);
  const stack: number[] = [0];
  state[0] = DISCOVERED;
  const push = (t: number, w: number, e: number): number | { pc: number; message: string } => {
    if (e === FALLTHROUGH && state[t]! >= (DISCOVERED | FALLTHROUGH)) return 0;
    if (e === BRANCH && state[t]! >= (DISCOVERED | BRANCH)) return 0;
    if (w < 0 || w >= n) return { pc: t, message: `jump out of range from insn ${t} to ${w}` };
    if (e === BRANCH) { prunePoints[w] = 1; jumpTargets[w] = 1; }
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      stack.push(w);
      return 1;
    }
    if ((state[w]! & 0xf0) === DISCOVERED) return 0; // back-edge: loops are allowed for a privileged loader
    if (state[w] === EXPLORED) state[t] = DISCOVERED | e;
    return 0;
  };
  while (stack.length) {
    const t = stack[stack.length - 1]!;
    const insn = insns[t]!;
    let r: number | { pc: number; message: string } = 0;
    if (isPseudoFunc(insn)) {
      // visit_func_call_insn(visit_callee): the lddw and the slot after it are prune points too
      prunePoints[t] = 1;
      prunePoints[t + 2] = 1;
      r = push(t, t + 2, FALLTHROUGH);
      if (r === 0) r = push(t, t + insn.imm + 1, BRANCH);
    } else if (!isJmp(insn.code)) {
      r = push(t, t + (insn.code === OPCODE_LDDW ? 2 : 1), FALLTHROUGH);
    } else {
      const op = OP(insn.code);
      if (op === 0x90) r = 0;
      else if (op === 0x80) {
        if (insn.src === 0 && [181 /* bpf_loop */, 164 /* for_each_map_elem */, 170 /* timer_set_callback */, 180 /* find_vma */,
          209 /* user_ringbuf_drain */].includes(insn.imm)) prunePoints[t] = 1;
        if (insn.src === 2 && kfuncs?.isIterNext(t)) prunePoints[t] = 1;
        r = push(t, t + 1, FALLTHROUGH);
        if (r === 0 && insn.src === 1) {
          // visit_func_call_insn(visit_callee): the call itself is a prune point too
          prunePoints[t] = 1;
          prunePoints[t + 1] = 1;
          r = push(t, t + insn.imm + 1, BRANCH);
        }
        prunePoints[t + 1] = 1;
      } else if (op === 0x00) {
        const off = CLS(insn.code) === 5 ? insn.off : insn.imm;
        r = push(t, t + off + 1, FALLTHROUGH);
        prunePoints[t + off + 1] = 1;
        jumpTargets[t + off + 1] = 1;
      } else {
        prunePoints[t] = 1;
        r = push(t, t + 1, FALLTHROUGH);
        if (r === 0) r = push(t, t + insn.off + 1, BRANCH);
      }
    }
    if (typeof r === "object") return fail(r.pc, r.message);
    if (r === 0) { state[t] = EXPLORED; stack.pop(); }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) return fail(i, `unreachable insn ${i}`);
    if (insns[i]!.code === OPCODE_LDDW) {
      if (state[i + 1] !== 0) return fail(i, `jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }
  return { subprogs, prunePoints, jumpTargets };
}
