// Sub-program prototypes from BTF and global functions (kernel: btf_prepare_func_args,
// btf_check_subprog_call, the global branch of check_func_call, do_check_subprogs).
//
// clang gives every non-static function BTF_FUNC_GLOBAL linkage in the object's func info. The kernel
// does not walk into such a function at a call: it checks the caller's r1-r5 against the argument types
// the prototype gives (context pointer, scalar, or memory of the pointee's size that may be NULL), sets
// r0 to an unknown scalar and goes on. Each called global function is verified once afterwards, on its
// own, from a state built from its prototype alone. Static functions go through the same argument check,
// but a mismatch only makes their BTF "unreliable" (it is logged, not fatal).
import { BTF_KIND, BTF_KIND_NAMES, type Btf, type BtfType, sizeOf, skipModifiers } from "../btf/btf.js";
import { cachedBtf, funcInfoRecords } from "./map-fields.js";
import { coreCandidates, declTags, progCtxType, structIdsMatch, typeName } from "./target-btf.js";
import { checkHelperDynptrArg } from "./dynptr.js";
import { btfOf, isRcuReg, isTrustedReg } from "./btf-ptr.js";
import { regTypeStr } from "./log.js";
import { PROG_TYPE_NAMES } from "../progtypes/numbers.js";
import { helperForProgType } from "../helpers/table.js";
import { type Env, Reject, regs } from "./env.js";
import { checkPtrOffReg } from "./calls.js";
import { checkHelperMem } from "./memory.js";
import { isZero } from "./scalar.js";
import { type Reg, type State, TF, assignReg, copyReg, newFrame, notInit, ownSpills, pointer, unknownScalar } from "./state.js";

const MAX_ARGS = 5;

/** One parameter as BTF describes it (before the program type decides what a context pointer is). */
export type BtfParamKind = ({ kind: "scalar" }
  /**
   * Pointer: the pointee's struct name (modifiers skipped), a kprobe's bpf_user_pt_regs_t typedef, its size or
   * why none; the pointee's kind, name, int size and id (for `arg:ctx` and `arg:trusted`), a struct bpf_dynptr.
   */
  | { kind: "ptr"; structName?: string; ptRegsTypedef: boolean; size?: number; sizeError?: string; pointeeKind: number; pointeeName: string;
    pointeeIntSize: number; isDynptr: boolean }
  | { kind: "other"; kindName: string }) & {
  /** The `arg:<tag>` decl tags on this parameter (__arg_ctx, __arg_nonnull, __arg_nullable, __arg_trusted, __arg_arena). */
  tags?: string[];
};

export interface FuncProto {
  name: string;
  global: boolean;
  returnsScalar: boolean;
  params: BtfParamKind[];
}

/** What btf_prepare_func_args makes of an argument. */
export type SubprogArg = { type: "ctx" } | { type: "scalar" } | { type: "mem"; size: number; nullable: boolean }
  /** arg:trusted: a trusted BTF pointer to the target type matching the parameter's struct. */
  | { type: "btf_id"; id: number; nullable: boolean }
  /** A `struct bpf_dynptr *` parameter: an initialized dynptr (read-only). */
  | { type: "dynptr" }
  /** arg:arena: an arena pointer or a scalar. */
  | { type: "arena" };

const kindStr = (t: BtfType): string => (t.kind === 0 ? "UNKNOWN" : (BTF_KIND_NAMES[t.kind] ?? "UNKNOWN").toUpperCase());
const isModifier = (t: BtfType): boolean => [BTF_KIND.TYPEDEF, BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG].includes(t.kind as 8);
const isScalarType = (t: BtfType): boolean => t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64;

function paramKind(btf: Btf, typeId: number): BtfParamKind {
  const t = skipModifiers(btf, typeId);
  if (isScalarType(t)) return { kind: "scalar" };
  if (t.kind !== BTF_KIND.PTR) return { kind: "other", kindName: kindStr(t) };
  // btf_is_prog_ctx_type looks at the pointee: a kprobe's typedef first, then the struct behind modifiers
  let p = btf.types[t.sizeOrType]!;
  for (let guard = 0; guard < 64 && isModifier(p) && p.kind !== BTF_KIND.TYPEDEF; guard++) p = btf.types[p.sizeOrType]!;
  const ptRegsTypedef = p.kind === BTF_KIND.TYPEDEF && p.name === "bpf_user_pt_regs_t";
  const pointee = skipModifiers(btf, t.sizeOrType);
  const out: BtfParamKind = { kind: "ptr", ptRegsTypedef, pointeeKind: pointee.kind, pointeeName: pointee.name === "void" && pointee.id === 0 ? "" : pointee.name,
    pointeeIntSize: pointee.kind === BTF_KIND.INT ? pointee.sizeOrType : 0, isDynptr: pointee.kind === BTF_KIND.STRUCT && pointee.name === "bpf_dynptr" };
  if (pointee.kind === BTF_KIND.STRUCT) out.structName = pointee.name;
  // btf_resolve_size: void, forward declarations and functions have none (-EINVAL)
  const sized = [BTF_KIND.INT, BTF_KIND.PTR, BTF_KIND.ARRAY, BTF_KIND.STRUCT, BTF_KIND.UNION, BTF_KIND.ENUM, BTF_KIND.ENUM64, BTF_KIND.FLOAT] as number[];
  if (sized.includes(pointee.kind)) out.size = sizeOf(btf, pointee.id);
  else out.sizeError = `reference type('${kindStr(pointee)} ${pointee.name === "void" ? "" : pointee.name}') size cannot be determined: -22`;
  return out;
}

/** The prototype of every sub-program with func info, by its first instruction; empty when the BTF cannot be read. */
export function readFuncProtos(rawBtf: Uint8Array, funcInfo: Uint8Array, recSize: number): Map<number, FuncProto> {
  const out = new Map<number, FuncProto>();
  // the object's BTF is parsed once per buffer for all the verifier's BTF readers
  const btf = cachedBtf(rawBtf);
  if (!btf) return out;
  for (const { pc, typeId } of funcInfoRecords(funcInfo, recSize)) {
    try {
      const fn = btf.types[typeId];
      const proto = fn ? btf.types[fn.sizeOrType] : undefined;
      if (!fn || fn.kind !== BTF_KIND.FUNC || !proto || proto.kind !== BTF_KIND.FUNC_PROTO) continue;
      out.set(pc, {
        name: fn.name, global: fn.linkage === 1,
        returnsScalar: proto.sizeOrType !== 0 && isScalarType(skipModifiers(btf, proto.sizeOrType)),
        params: (proto.params ?? []).map((p, i) => {
          const k = paramKind(btf, p.type);
          const tags = declTags(btf, typeId, i).filter((t) => t.startsWith("arg:")).map((t) => t.slice(4));
          return tags.length ? { ...k, tags } : k;
        }),
      });
    } catch { /* malformed: the kernel's BTF checks refuse the load before the verifier runs */ }
  }
  return out;
}

/** The context struct each program type's BTF arguments are recognised by (include/linux/bpf_types.h). */
const CTX_STRUCT: Record<number, string> = {
  1: "__sk_buff", 2: "pt_regs", 3: "__sk_buff", 4: "__sk_buff", 6: "xdp_md", 7: "bpf_perf_event_data", 8: "__sk_buff",
  9: "bpf_sock", 10: "__sk_buff", 11: "__sk_buff", 12: "__sk_buff", 13: "bpf_sock_ops", 14: "__sk_buff", 15: "bpf_cgroup_dev_ctx",
  16: "sk_msg_md", 17: "bpf_raw_tracepoint_args", 18: "bpf_sock_addr", 19: "__sk_buff", 21: "sk_reuseport_md", 22: "__sk_buff",
  23: "bpf_sysctl", 24: "bpf_raw_tracepoint_args", 25: "bpf_sockopt", 30: "bpf_sk_lookup", 32: "bpf_nf_ctx",
};
/** btf_is_projection_of: the kernel-side names of the uapi mirrors count too. */
const PROJECTION: Record<string, string> = { __sk_buff: "sk_buff", xdp_md: "xdp_buff" };

function isCtxArg(p: Extract<BtfParamKind, { kind: "ptr" }>, progType: number): boolean {
  if (progType === 2 && p.ptRegsTypedef) return true;
  const want = CTX_STRUCT[progType];
  return !!want && !!p.structName && (p.structName === want || PROJECTION[want] === p.structName);
}

interface SubprogInfo {
  args?: SubprogArg[];
  unreliable: boolean;
  called: boolean;
  verified: boolean;
}

interface GlobalFuncState {
  protos: ReadonlyMap<number, FuncProto>;
  info: SubprogInfo[];
}

const states = new WeakMap<Env, GlobalFuncState>();

/** Attach the prototypes to a verification (once env.subprogs is known). */
export function initSubprogProtos(env: Env, protos: ReadonlyMap<number, FuncProto> | undefined): void {
  states.set(env, { protos: protos ?? new Map(), info: env.subprogs.map(() => ({ unreliable: false, called: false, verified: false })) });
}

const stateOf = (env: Env): GlobalFuncState => {
  let s = states.get(env);
  if (!s) { initSubprogProtos(env, undefined); s = states.get(env)!; }
  return s;
};
const protoOf = (env: Env, subprog: number): FuncProto | undefined => stateOf(env).protos.get(env.subprogs[subprog] ?? -1);

export const isGlobalSubprog = (env: Env, subprog: number): boolean => subprog > 0 && protoOf(env, subprog)?.global === true;
export const subprogName = (env: Env, subprog: number): string => protoOf(env, subprog)?.name ?? "";

/**
 * btf_prepare_func_args: the argument types, or the reason there are none. Global functions log why;
 * static ones fail silently (their BTF is just not used).
 */
function prepareArgs(env: Env, subprog: number): { args: SubprogArg[] } | { error: string } {
  const info = stateOf(env).info[subprog]!;
  if (info.args) return { args: info.args };
  const proto = protoOf(env, subprog);
  if (!proto) return { error: "" };
  const global = proto.global;
  const fail = (message: string): { error: string } => ({ error: global ? message : "" });
  if (proto.params.length > MAX_ARGS) return fail(`Global function ${proto.name}() with ${proto.params.length} > ${MAX_ARGS} args. Buggy compiler.`);
  if (!proto.returnsScalar) return fail(`Global function ${proto.name}() doesn't return scalar. Only those are supported.`);
  const args: SubprogArg[] = [];
  for (let i = 0; i < proto.params.length; i++) {
    const p = proto.params[i]!;
    // 'arg:<tag>' decl tags take precedence over what the type alone says (global functions only)
    const tags = new Set<string>();
    for (const t of p.tags ?? []) {
      if (!global) return { error: `arg#${i} type tag is not supported in static functions` };
      if (!["ctx", "trusted", "nonnull", "nullable", "arena"].includes(t)) return fail(`arg#${i} has unsupported set of tags`);
      tags.add(t);
    }
    if (p.kind === "ptr") {
      if (tags.has("ctx") || isCtxArg(p, env.opts.progType)) {
        if ([...tags].some((t) => t !== "ctx")) return fail(`arg#${i} has invalid combination of tags`);
        if (tags.has("ctx")) {
          const bad = validateCtxArg(env, p, i);
          if (bad) return fail(bad);
        }
        args.push({ type: "ctx" });
        continue;
      }
      if (p.isDynptr) {
        if (tags.size) return fail(`arg#${i} has invalid combination of tags`);
        args.push({ type: "dynptr" });
        continue;
      }
      if (tags.has("trusted")) {
        if (tags.has("nonnull")) return fail(`arg#${i} has invalid combination of tags`);
        const target = env.opts.targetBtf;
        const kindName = p.pointeeKind === BTF_KIND.UNION ? "UNION" : "STRUCT";
        const cands = target ? coreCandidates(target, p.pointeeName, p.pointeeKind) : [];
        if (cands.length !== 1) return fail(`arg#${i} reference type('${kindName} ${p.pointeeName}') ${cands.length === 0 ? "has no matches" : "is ambiguous"}`);
        args.push({ type: "btf_id", id: cands[0]!, nullable: tags.has("nullable") });
        continue;
      }
      if (tags.has("arena")) {
        if (tags.size > 1) return fail(`arg#${i} arena cannot be combined with any other tags`);
        args.push({ type: "arena" });
        continue;
      }
      if (!global) return fail("");
      if (tags.has("nullable")) return fail(`arg#${i} has invalid combination of tags`);
      if (p.size === undefined) return fail(`arg#${i} ${p.sizeError ?? "reference type('UNKNOWN ') size cannot be determined: -22"}`);
      args.push({ type: "mem", size: p.size, nullable: !tags.has("nonnull") });
      continue;
    }
    if (tags.size) return fail(`arg#${i} has pointer tag, but is not a pointer type`);
    if (p.kind === "scalar") { args.push({ type: "scalar" }); continue; }
    return fail(`Arg#${i} type ${p.kindName} in ${proto.name}() is not supported yet.`);
  }
  info.args = args;
  return { args };
}

/** btf_check_func_arg_match: the caller's registers against the argument types; the first mismatch's message. */
function matchArgs(env: Env, args: SubprogArg[]): { message: string; errno: number } | undefined {
  const R = regs(env);
  for (let i = 0; i < args.length; i++) {
    const regno = i + 1;
    const reg = R[regno]!;
    const arg = args[i]!;
    if (arg.type === "scalar") {
      if (reg.type !== "scalar") return { message: `R${regno} is not a scalar`, errno: 22 };
      continue;
    }
    if (arg.type === "arena") {
      if (reg.type !== "arena" && reg.type !== "scalar") return { message: `R${regno} is not a pointer to arena or scalar.`, errno: 22 };
      continue;
    }
    if (arg.type === "dynptr" || arg.type === "btf_id") {
      try {
        if (arg.type === "dynptr") checkHelperDynptrArg(env, regno, ["MEM_RDONLY"]);
        else checkTrustedArg(env, regno, reg, arg.id, arg.nullable);
      } catch (e) {
        if (e instanceof Reject) return { message: e.message, errno: e.errno };
        throw e;
      }
      continue;
    }
    try {
      checkArgRegOff(regno, reg);
    } catch (e) {
      if (e instanceof Reject) return { message: e.message, errno: e.errno };
      throw e;
    }
    if (arg.type === "ctx") {
      if (reg.type !== "ctx") return { message: `arg#${i} expects pointer to ctx`, errno: 22 };
      continue;
    }
    // check_mem_reg: NULL passes; otherwise the memory must be readable and writable for the whole size
    if (reg.type === "scalar" && isZero(reg)) continue;
    const saved = copyReg(reg);
    // the write check clobbers the caller's stack (helper semantics) without marking the slots for the log
    const scratched = new Set(env.scratchedSlots);
    if (reg.maybeNull) { R[regno] = copyReg(reg); R[regno]!.maybeNull = false; }
    try {
      checkHelperMem(env, regno, arg.size, false, true, false);
      checkHelperMem(env, regno, arg.size, true, true, false);
    } catch (e) {
      if (e instanceof Reject) return { message: e.message, errno: 22 };
      throw e;
    } finally {
      R[regno] = saved;
      env.scratchedSlots = scratched;
    }
    if (!arg.nullable && reg.maybeNull) return { message: `arg#${i} is expected to be non-NULL`, errno: 22 };
  }
  return undefined;
}

/**
 * A trusted BTF pointer argument (check_reg_type for ARG_PTR_TO_BTF_ID | PTR_TRUSTED, maybe NULL): NULL passes
 * a nullable one; otherwise a trusted (or RCU) pointer to the struct, at offset 0.
 */
function checkTrustedArg(env: Env, regno: number, reg: Reg, id: number, nullable: boolean): void {
  if (nullable && reg.type === "scalar" && isZero(reg)) return;
  const t = { ...reg, maybeNull: nullable ? false : reg.maybeNull };
  const name = regTypeStr(t);
  const ok = ["ptr_", "trusted_ptr_", "rcu_ptr_"];
  if (reg.type !== "btf_id" || !ok.includes(name)) throw new Reject(`R${regno} type=${regTypeStr(reg)} expected=${ok.join(", ")}`);
  // ARG_PTR_TO_BTF_ID | PTR_TRUSTED: a plain (walked) BTF pointer is not enough
  if (!isTrustedReg(t) && !isRcuReg(t)) throw new Reject(`R${regno} must be referenced or trusted`);
  const btf = btfOf(env, reg);
  if (btf && !structIdsMatch(btf, reg.btfId, reg.off, id, false, true)) {
    throw new Reject(`R${regno} is of type ${typeName(btf, reg.btfId)} but ${typeName(env.opts.targetBtf!, id)} is expected`);
  }
  checkPtrOffReg(regno, reg, true);
}

/** btf_validate_prog_ctx_type for an `arg:ctx` parameter: `void *`, or the type the program's context is. */
function validateCtxArg(env: Env, p: Extract<BtfParamKind, { kind: "ptr" }>, i: number): string | undefined {
  const t = env.opts.progType, at = env.opts.attachType;
  if ((t === 2 || t === 7) && p.ptRegsTypedef) return undefined;
  if (p.pointeeKind === 0) return undefined;
  if (!p.pointeeName) return `arg#${i} type doesn't have a name`;
  const isStructP = p.pointeeKind === BTF_KIND.STRUCT || p.pointeeKind === BTF_KIND.UNION;
  const u64 = p.pointeeKind === BTF_KIND.INT && p.pointeeIntSize === 8;
  if (t === 2 && isStructP && p.pointeeName === "pt_regs") return undefined;
  if (t === 7 && isStructP && p.pointeeName === "pt_regs") return undefined;
  if ((t === 17 || t === 24) && u64) return undefined;
  if (t === 26) {
    if (at === 23 && ((isStructP && p.pointeeName === "bpf_raw_tracepoint_args") || u64)) return undefined;
    if (at === 28 && isStructP && p.pointeeName.startsWith("bpf_iter__")) return undefined;
    if ((at === 24 || at === 25 || at === 26) && u64) return undefined;
  }
  if ((t === 29 || t === 27) && u64) return undefined;
  if (t === 5 || t === 31 || t === 28) return undefined;
  const target = env.opts.targetBtf;
  let ctx = target ? progCtxType(target, PROG_TYPE_NAMES[t] ?? "", "prog") : undefined;
  if (!ctx) return undefined;
  while (ctx && [BTF_KIND.TYPEDEF, BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG].includes(ctx.kind as 8)) ctx = target!.types[ctx.sizeOrType];
  if (!ctx || (ctx.kind !== BTF_KIND.STRUCT && ctx.kind !== BTF_KIND.UNION)) return `arg#${i} should be void pointer`;
  if (!isStructP || ctx.name !== p.pointeeName) return `arg#${i} should be \`struct ${ctx.name} *\``;
  return undefined;
}

/** check_func_arg_reg_off with ARG_DONTCARE: memory pointers may carry offsets, other pointers none. */
function checkArgRegOff(regno: number, reg: Reg): void {
  const free = ["stack", "pkt", "pkt_meta", "map_key", "map_value", "mem", "buf", "scalar"];
  if (free.includes(reg.type) && !reg.maybeNull) return;
  checkPtrOffReg(regno, reg, false);
}

/**
 * btf_check_subprog_call: returns the message (several lines, as the kernel logs them) when the call's
 * arguments do not match the sub-program's BTF, or undefined. A static sub-program's mismatch is logged
 * once and marks its BTF unreliable; the call goes on as usual.
 */
export function checkSubprogArgs(env: Env, subprog: number): { message: string; errno: number } | undefined {
  const st = stateOf(env);
  const info = st.info[subprog];
  if (!info || !st.protos.size || info.unreliable) return info && st.protos.size ? { message: "", errno: 22 } : undefined;
  const prep = prepareArgs(env, subprog);
  let err: { message: string; errno: number } | undefined;
  if ("error" in prep) err = { message: prep.error, errno: 22 };
  else err = matchArgs(env, prep.args);
  if (!err) return undefined;
  info.unreliable = true;
  return err;
}

/**
 * A bpf-to-bpf call (check_func_call before the frame is set up). For a global function: the arguments
 * are checked, r0 becomes an unknown scalar and the walk goes on after the call (returns true); the
 * function is queued for its own verification. For a static one the argument check is only logged.
 */
export function checkGlobalCall(env: Env, subprog: number): boolean {
  const err = checkSubprogArgs(env, subprog);
  const lines = err?.message ? err.message + "\n" : "";
  if (!isGlobalSubprog(env, subprog)) {
    env.log.write(lines);
    return false;
  }
  const name = subprogName(env, subprog);
  if (env.cur.activeLock) throw new Reject(`${lines}global function calls are not allowed while holding a lock,\nuse static function instead`, 22);
  if (err) throw new Reject(`${lines}Caller passes invalid args into func#${subprog} ('${name}')`, err.errno);
  env.log.write(`Func#${subprog} ('${name}') is global and assumed valid.\n`);
  if (changesPktData(env, subprog)) clearPacketPointers(env.cur);
  stateOf(env).info[subprog]!.called = true;
  const R = regs(env);
  for (let i = 0; i <= 5; i++) { R[i] = notInit(); env.scratchedRegs.add(i); }
  R[0] = unknownScalar();
  return true;
}

/** A callback's BTF is checked against the helper call's registers too (push_callback_call); only the log shows it. */
export function checkCallbackArgs(env: Env, subprog: number): void {
  const err = checkSubprogArgs(env, subprog);
  if (err?.message) env.log.write(err.message + "\n");
}

/** The first called global function not verified yet (do_check_subprogs goes round until none is left). */
export function nextGlobalToVerify(env: Env): number | undefined {
  const info = stateOf(env).info;
  for (let i = 1; i < info.length; i++) if (isGlobalSubprog(env, i) && info[i]!.called && !info[i]!.verified) return i;
  return undefined;
}

export function markGlobalVerified(env: Env, subprog: number): void {
  stateOf(env).info[subprog]!.verified = true;
}

/**
 * do_check_common for a global function: the entry state comes from its prototype (context pointer,
 * unknown scalars, memory of the pointee's size that may be NULL, with a fresh id). Throws the kernel's
 * rejection when the prototype cannot be used.
 */
export function globalEntryState(env: Env, subprog: number): State {
  const prep = prepareArgs(env, subprog);
  if ("error" in prep) throw new Reject(prep.error || `Global function ${subprogName(env, subprog)}() cannot be verified`, 22);
  const f = newFrame(0, -1, subprog);
  prep.args.forEach((a, i) => {
    let r: Reg;
    if (a.type === "ctx") r = pointer("ctx");
    else if (a.type === "scalar" || a.type === "arena") r = unknownScalar();
    else if (a.type === "dynptr") {
      // an unspecified LOCAL dynptr
      r = pointer("dynptr_ptr"); r.tflags = TF.DYN_LOCAL; r.id = ++env.idGen;
    } else if (a.type === "btf_id") {
      r = pointer("btf_id"); r.btfId = a.id; r.tflags = TF.TRUSTED; r.maybeNull = a.nullable; r.id = ++env.idGen;
    } else { r = pointer("mem"); r.maybeNull = a.nullable; r.memSize = a.size; r.id = ++env.idGen; }
    f.regs[i + 1] = r;
  });
  return { frames: [f], refs: [], path: undefined, callbackDepth: 0, hist: undefined, histLen: 0, firstInsnIdx: env.subprogs[subprog]!, lastInsnIdx: -1 };
}

/** Sub-program ranges reachable by calls from `subprog` (itself included). */
function reachable(env: Env, subprog: number): number[] {
  const seen = new Set<number>([subprog]);
  const todo = [subprog];
  while (todo.length) {
    const k = todo.pop()!;
    const end = env.subprogs[k + 1] ?? env.insns.length;
    for (let i = env.subprogs[k]!; i < end; i++) {
      const insn = env.insns[i]!;
      if (insn.code === 0x85 && insn.src === 1) {
        const t = env.subprogs.indexOf(i + insn.imm + 1);
        if (t >= 0 && !seen.has(t)) { seen.add(t); todo.push(t); }
      }
    }
  }
  return [...seen];
}

/** changes_pkt_data of a sub-program: it, or something it calls, may move packet data. */
function changesPktData(env: Env, subprog: number): boolean {
  for (const k of reachable(env, subprog)) {
    const end = env.subprogs[k + 1] ?? env.insns.length;
    for (let i = env.subprogs[k]!; i < end; i++) {
      const insn = env.insns[i]!;
      if (insn.code === 0x85 && insn.src === 0 && helperForProgType(insn.imm, env.opts.progType)?.changesPktData) return true;
    }
  }
  return false;
}

function clearPacketPointers(s: State): void {
  for (const f of s.frames) {
    ownSpills(f);
    const all = [...f.regs, ...f.stack.filter((x) => x.kinds[7] === 1).map((x) => x.spilled)];
    for (const r of all) {
      const slice = r.type === "mem" && (r.tflags & (TF.DYN_SKB | TF.DYN_XDP)) !== 0;
      if (r.type === "pkt" || r.type === "pkt_meta" || r.type === "pkt_end" || slice) assignReg(r, unknownScalar());
    }
  }
}

/**
 * do_check_common for the main program also reads its prototype (only to decide whether its BTF can be
 * trusted): a global main program's odd argument is logged, e.g. a `void *ctx`. Returns that log line.
 */
export function mainProtoNote(env: Env): string {
  if (!stateOf(env).protos.has(0)) return "";
  const prep = prepareArgs(env, 0);
  return "error" in prep && prep.error ? prep.error + "\n" : "";
}
