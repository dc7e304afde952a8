// The driver (bpf_check + do_check): control-flow checks first, then a depth-first walk over every path
// of the program with the abstract state, one instruction at a time, pushing the other side of each
// undecided branch and popping it when a path ends (exit, or an equivalent state already proven safe).
// The log is written as the kernel writes it at levels 1 and 2; the first rejection ends the walk.
import type { Instruction } from "../isa/instruction.js";
import type { MapSpec, Program, SourceLine } from "../program/program.js";
import { checkAlu } from "./alu.js";
import { checkCondJmp } from "./branch.js";
import { callbackDepthsOk, callsCallback, isAsyncCallback, sameCallsites, widenAfterCallback, widenAfterMayGoto } from "./callbacks.js";
import { checkExit, checkHelperCall, checkLocalCall, helperAllowed, setFramePrinter } from "./calls.js";
import { type CfgResult, type RawInsn, checkCfg } from "./cfg.js";
import { type Env, type EnvOptions, Reject, VerifyTimeout, checkRegRead, checkRegWrite, frame, mapInfo, regs, sanityCheckBounds, type UninitStackRead } from "./env.js";
import { type FuncProto, checkGlobalCall, globalEntryState, initSubprogProtos, mainProtoNote, markGlobalVerified, nextGlobalToVerify, readFuncProtos,
  subprogName } from "./global-funcs.js";
import { VLog, alignPad, frameStr, insnStr, printedRefIds, regTypeStr, setBtfTypeNamer, setIterTypeNamer } from "./log.js";
import { checkKfuncCall, exceptionCallbackNote, isIterNextCall, kfuncArgCount, kfuncCallCheck, kfuncFastcall } from "./kfuncs.js";
import { checkStructOpsAttach } from "./struct-ops.js";
import { type FastcallCallee, fastcallStackDepths, markFastcallPatterns } from "./fastcall.js";
import { attachSleepableError } from "./attach.js";
import { helperForProgType } from "../helpers/table.js";
import { btfName } from "./btf-ptr.js";
import { iterActiveAtR1, iterTypeStr } from "./iter.js";
import { checkMemAccess } from "./memory.js";
import { liveRegisters, liveRegsTable } from "./liveness.js";
import { StackLiveness, callInsnOf } from "./stack-liveness.js";
import { loopComponents } from "./scc.js";
import { type MapFields, cachedBtf, funcReturnsScalar, mapFields } from "./map-fields.js";
import { BTF_KIND, skipModifiers, type Btf } from "../btf/btf.js";
import { findByNameKind, resolveSize } from "./target-btf.js";
import { jmpPoints, markAllScalarsImprecise, propagatePrecision, pushHist, resetHist } from "./precision.js";
import { type Backedge, propagateBackedges, saveBackedge } from "./backedges.js";
import { type Checkpoint, finishPath, iterDepthsDiffer, statesEqual } from "./prune.js";
import { BLANK_SLOT, NO_SPILL, type Reg, Slot, type State, TF, cloneState, constScalar, curFrame, deadReg, newFrame, notInit, PathLog, pointer, unknownScalar } from "./state.js";

export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
/** VerifyOptions.nrCpus when none is given: CONFIG_NR_CPUS of x86_64 distribution kernels. */
export const DEFAULT_NR_CPUS = 8192;
const mayGotoDepth = (s: State): number => s.mayGotoDepth ?? 0;
const COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const COMPLEXITY_LIMIT_STATES = 64;

export interface VerifyOptions {
  progType: number;
  attachType?: number;
  /** 0: no log, 1: the failing path, 2: every instruction. */
  logLevel?: number;
  /** Stop after this many processed instructions (the kernel's 1M limit by default). */
  insnLimit?: number;
  /** Keep the state at every instruction of the path that failed (for explanations and --json). */
  recordStates?: boolean;
  /**
   * Time limit: after this many ms of wall time the walk stops with the verdict "timeout" (error message
   * "timeout after N s, M insns processed"), so a batch always ends. The kernel has no such limit (only the
   * 1M-instruction one), so a timeout is no verdict on the program.
   */
  timeoutMs?: number;
  /** Keep the registers before the failing instruction (for explanations). */
  captureRegs?: boolean;
  /**
   * nr_cpu_ids of the machine the program is for: bpf_get_smp_processor_id() returns [0, nrCpus - 1], as
   * the kernel refines it. Default 8192, the largest count an x86_64 distribution kernel allows
   * (CONFIG_NR_CPUS), so no program is accepted for fewer CPUs than a machine may have; `bpfkit verify`
   * passes the running machine's count (/sys/devices/system/cpu/possible).
   */
  nrCpus?: number;
  /** The program comes with BTF function info (ELF objects): needed for callbacks (bpf_loop). */
  hasFuncInfo?: boolean;
  /**
   * BPF_PROG_LOAD's prog_flags where they change the verifier's walk: BPF_F_STRICT_ALIGNMENT (1; every
   * pointer access aligned, packets with NET_IP_ALIGN), BPF_F_ANY_ALIGNMENT (2; overrides it),
   * BPF_F_TEST_STATE_FREQ (8; a checkpoint at every prune point), BPF_F_TEST_REG_INVARIANTS (128; a bounds
   * invariant violation rejects instead of forgetting the bounds). The kernel's selftests load with them.
   * BPF_F_SLEEPABLE (16) makes the program sleepable (might-sleep helpers and kfuncs, `.s` sections).
   */
  progFlags?: number;
  /** Special fields (bpf_spin_lock, bpf_timer) of each map's value; verifyProgram finds them in the BTF. */
  mapFields?: MapFields[];
  /** Sub-program start -> its BTF return type is a scalar (check_btf_func); verifyProgram reads it from the BTF. */
  funcReturnsScalar?: ReadonlyMap<number, boolean>;
  /** Sub-program start -> its BTF prototype (global functions, argument types); verifyProgram reads it from the BTF. */
  funcProtos?: ReadonlyMap<number, FuncProto>;
  /**
   * The kernel's BTF the program is verified against (the running kernel's /sys/kernel/btf/vmlinux or a
   * bundled one): kfunc calls (imm = a FUNC id in it), BTF-typed pointers and tracing contexts need it.
   * A function is called the first time the verifier needs the BTF (a vmlinux BTF takes ~0.5 s to parse;
   * most programs never need it).
   */
  targetBtf?: Btf | (() => Btf | undefined);
  /**
   * The target kernel's configuration (.config text, or a function giving it on first need): helpers a
   * program type is offered only under a kernel option (the SRv6 helpers) are refused when it is unset.
   * Without one, every option counts as set.
   */
  kernelConfig?: string | (() => string | undefined);
  /** The program's own BTF, parsed (verifyProgram takes it from the program). */
  progBtf?: Btf;
  /** attach_btf_id: the attach target's id in the target BTF (tp_btf, fentry/fexit, iter, lsm, struct_ops). */
  attachBtfId?: number;
  /** Device-bound XDP program (prog_ifindex set with BPF_F_XDP_DEV_BOUND_ONLY). */
  devBound?: boolean;
}

export interface InsnState {
  pc: number;
  /** Registers and stack in the kernel's print format (`R1=ctx() R10=fp0 fp-8=mmmmmmmm`). */
  text: string;
  regs: Reg[];
}

export interface VerifyStats {
  processed: number;
  maxStatesPerInsn: number;
  totalStates: number;
  peakStates: number;
  stackDepth: number[];
}

export interface VerifyResult {
  /** "timeout": VerifyOptions.timeoutMs ran out first (no verdict; `error.message` says when). */
  verdict: "accept" | "reject" | "timeout";
  error?: { pc: number; message: string; line?: SourceLine; errno: number };
  log: string;
  stats: VerifyStats;
  /** State after each instruction on the last path walked (the failing one for a rejection). */
  states?: InsnState[];
  /** Branch decisions on that path: [pc of the jump, jump taken]. */
  path?: [number, boolean][];
  /** The failing instruction's registers before it ran, for explanations. */
  failRegs?: Reg[];
  /**
   * Reads of stack bytes never written, which a privileged loader may do (the kernel then returns stack
   * garbage, and bpfkit zeros), by pc: `verify --explain` and checked-mode runs warn about them.
   */
  uninitStackReads?: UninitStackRead[];
}

/** Instructions as the kernel sees them: one entry per 8-byte slot. */
export function toRawSlots(insns: readonly Instruction[]): RawInsn[] {
  const out: RawInsn[] = [];
  for (const i of insns) {
    out.push({ code: i.opcode, dst: i.dst, src: i.src, off: i.off, imm: i.imm });
    if (i.opcode === 0x18) {
      const hi = i.imm64 !== undefined ? Number(BigInt.asIntN(32, i.imm64 >> 32n)) : 0;
      out.push({ code: 0, dst: 0, src: 0, off: 0, imm: hi });
    }
  }
  return out;
}

interface Pending { state: State; insn: number; prev: number; logPos: number; parentCp: Checkpoint | undefined }

type BtfOptions = Pick<VerifyOptions, "mapFields" | "funcReturnsScalar" | "funcProtos" | "progBtf">;

/**
 * What the verifier reads from a program's BTF (map special fields, sub-program return types and
 * prototypes), filled into `opts` where the caller gave nothing.
 */
export function withBtfOptions<T extends BtfOptions>(program: Program, opts: T): T {
  const btf = program.btf;
  if (!btf) return opts;
  const out: T = { ...opts };
  out.mapFields ??= mapFields(program.maps, btf.raw);
  if (!out.progBtf) { const parsed = cachedBtf(btf.raw); if (parsed) out.progBtf = parsed; }
  if (btf.funcInfo) {
    // read once per program's func info (each verify of the program asks again; the verifier only reads them)
    const funcInfo = btf.funcInfo;
    let known = funcInfoCache.get(funcInfo);
    if (!known || known.raw !== btf.raw) {
      known = { raw: btf.raw, returnsScalar: funcReturnsScalar(btf.raw, funcInfo, btf.funcInfoRecSize ?? 8),
        protos: readFuncProtos(btf.raw, funcInfo, btf.funcInfoRecSize ?? 8) };
      funcInfoCache.set(funcInfo, known);
    }
    out.funcReturnsScalar ??= known.returnsScalar;
    out.funcProtos ??= known.protos;
  }
  return out;
}
const funcInfoCache = new WeakMap<Uint8Array, { raw: Uint8Array; returnsScalar: ReadonlyMap<number, boolean>; protos: ReadonlyMap<number, FuncProto> }>();

export function verifyProgram(program: Program, opts: VerifyOptions): VerifyResult {
  return verifySlots(toRawSlots(program.insns), program.maps, program.license, withBtfOptions(program, opts), program.lines);
}

/**
 * The walk's options (env.opts), read all over the hot path: every program's object is built by this one
 * constructor, with every field present in the same order, so that V8 gives them all one shape. (They were
 * object literals with fields added when set, and a target BTF opened on first use through a getter defined
 * on each object: after a batch of programs with different option sets, such as the generated corpus, every
 * `env.opts.x` read was a megamorphic lookup and the same programs verified up to twice as slowly.) The
 * target BTF stays lazy, through one getter on the prototype.
 */
class EnvOpts implements EnvOptions {
  private tbOpened: Btf | undefined;
  private tbOpen: (() => Btf | undefined) | undefined;
  constructor(
    readonly progType: number,
    readonly attachType: number | undefined,
    readonly maps: MapSpec[],
    readonly innerMap: number[],
    readonly fields: MapFields[],
    readonly gpl: boolean,
    readonly nrCpus: number,
    readonly logLevel: number,
    readonly recordStates: boolean,
    tb: Btf | (() => Btf | undefined) | undefined,
    readonly progBtf: Btf | undefined,
    readonly attachBtfId: number | undefined,
    readonly configEnabled: ((option: string) => boolean) | undefined,
    readonly sleepable: boolean | undefined,
    readonly devBound: boolean | undefined,
    readonly strictAlignment: boolean,
    readonly testStateFreq: boolean,
    readonly testRegInvariants: boolean,
  ) {
    this.tbOpened = typeof tb === "function" ? undefined : tb || undefined;
    this.tbOpen = typeof tb === "function" ? tb : undefined;
  }
  get targetBtf(): Btf | undefined {
    const open = this.tbOpen;
    if (open !== undefined) { this.tbOpen = undefined; this.tbOpened = open(); }
    return this.tbOpened;
  }
}

/** Verify raw slots (what the kernel receives, including malformed lddw halves). */
export function verifySlots(insns: RawInsn[], maps: MapSpec[], license: string, opts: VerifyOptions, lines?: SourceLine[]): VerifyResult {
  // map-in-map lookups return a pointer to the inner map: its template gets an index of its own
  const allMaps = [...maps];
  // (the kernel's inner_map_meta has no name: the log prints none)
  const innerMap = maps.map((m) => (m.inner ? allMaps.push({ ...m.inner, name: "" }) - 1 : -1));
  const kc = opts.kernelConfig;
  let configEnabled: ((option: string) => boolean) | undefined;
  if (kc !== undefined) {
    let enabled: Set<string> | undefined;
    configEnabled = (option: string): boolean => {
      enabled ??= configOptions(typeof kc === "function" ? kc() : kc);
      return enabled === undefined || enabled.has(option) || enabled.size === 0;
    };
  }
  const flags = opts.progFlags ?? 0;
  const envOpts = new EnvOpts(opts.progType, opts.attachType, allMaps, innerMap, allMaps.map((_, i) => opts.mapFields?.[i] ?? { spinLock: -1, timer: -1 }),
    isGplCompatible(license), opts.nrCpus ?? DEFAULT_NR_CPUS, opts.logLevel ?? 0, opts.recordStates ?? false, opts.targetBtf,
    opts.progBtf || undefined, opts.attachBtfId || undefined, configEnabled,
    // prog_flags beyond the three below: BPF_F_SLEEPABLE (16)
    (flags & 16) !== 0 ? true : undefined, opts.devBound ? true : undefined,
    (flags & 3) === 1, (flags & 8) !== 0, (flags & 128) !== 0);
  return new Walker(insns, envOpts, opts, lines).run();
}

/** BPF_SIZE (bits 3-4 of a load or store opcode) in bytes. */
const SIZE_OF = [4, 2, 1, 8] as const;

/** The options a .config text sets (=y or =m); undefined without a text. */
function configOptions(text: string | undefined): Set<string> {
  // one target configuration serves a whole batch: parse each text once (a 6.18 .config is ~200 KB)
  if (text !== undefined && text === lastConfig?.text) return lastConfig.set;
  const out = new Set<string>();
  for (const m of (text ?? "").matchAll(/^(CONFIG_\w+)=[ym]\s*$/gm)) out.add(m[1]!);
  if (text !== undefined) lastConfig = { text, set: out };
  return out;
}
let lastConfig: { text: string; set: Set<string> } | undefined;

/**
 * check_pseudo_btf_id and check_ld_imm64 for a typed ksym (lddw src 3, imm = a VAR or FUNC id in the target
 * BTF): a kfunc's address is read-only memory of size 0; a per-CPU variable a per-CPU BTF pointer; a
 * variable of another type than a struct read-only memory of its size; a struct variable a BTF pointer.
 * A string is the kernel's refusal (a variable's address needs CONFIG_KALLSYMS_ALL in the target's
 * configuration, when one is given). (Module BTF, a non-zero fd in the second half, is not modelled.)
 */
function pseudoBtfId(btf: Btf, insn: RawInsn, next: RawInsn, configEnabled?: (option: string) => boolean): Reg | string {
  const id = insn.imm;
  if (next.imm !== 0) return `bpfkit: typed ksym from a module's BTF (btf fd ${next.imm}) is not modelled`;
  const t = id > 0 ? btf.types[id] : undefined;
  if (!t) return `ldimm64 insn specifies invalid btf_id ${id}.`;
  if (t.kind !== BTF_KIND.VAR && t.kind !== BTF_KIND.FUNC) return `pseudo btf_id ${id} in ldimm64 isn't KIND_VAR or KIND_FUNC`;
  if (t.kind === BTF_KIND.FUNC) { const r = pointer("mem"); r.rdonly = true; r.memSize = 0; return r; }
  // kallsyms_lookup_name finds variables only in a kernel built with CONFIG_KALLSYMS_ALL
  if (configEnabled && !configEnabled("CONFIG_KALLSYMS_ALL")) return `ldimm64 failed to find the address for kernel symbol '${t.name}'.`;
  const dsec = findByNameKind(btf, ".data..percpu", BTF_KIND.DATASEC);
  const percpu = dsec > 0 && (btf.types[dsec]!.secinfos ?? []).some((v) => v.type === id);
  const type = t.sizeOrType;
  const target = skipModifiers(btf, type);
  if (percpu) { const r = pointer("btf_id"); r.btfId = type; r.tflags = TF.PERCPU; return r; }
  if (target.kind !== BTF_KIND.STRUCT && target.kind !== BTF_KIND.UNION) {
    const size = resolveSize(btf, type);
    if (!size) return `ldimm64 unable to resolve the size of type '${target.name}': -22`;
    const r = pointer("mem"); r.rdonly = true; r.memSize = size.size; return r;
  }
  const r = pointer("btf_id"); r.btfId = type; return r;
}

/** license_is_gpl_compatible(). */
export function isGplCompatible(license: string): boolean {
  return ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"].includes(license);
}

/** The full pointer type (base type and flags) that save_aux_ptr_type compares. */
const ptrTypeKey = (r: Reg): string => `${r.type}|${r.maybeNull ? 1 : 0}${r.rdonly ? 1 : 0}${r.ringbuf ? 1 : 0}`;

/** Sub-program starts as add_subprog_and_kfunc finds them (for the level-2 header when a later check fails). */
function subprogStarts(insns: readonly RawInsn[]): number[] {
  const s = new Set([0]);
  insns.forEach((i, k) => { if ((i.code === 0x85 && i.src === 1) || (i.code === 0x18 && i.src === 4)) s.add(k + i.imm + 1); });
  return [...s].sort((a, b) => a - b);
}

class Walker {
  readonly env: Env;
  private live: Uint16Array | undefined;
  /** The source line record printed last (env->prev_linfo). */
  private prevLinfo: SourceLine | undefined;
  private jmpsProcessed = 0;
  private prevJmpsProcessed = 0;
  private prevInsnProcessed = 0;
  private cfg!: CfgResult;
  /** The checkpoints kept per instruction (an array indexed by pc: looked up at every prune point). */
  private readonly explored: (Checkpoint[] | undefined)[];
  /** States per bucket of the kernel's explored_states hash table (insn ^ callsite, modulo the program length). */
  private readonly bucketSizes: Int32Array;
  private readonly pending: Pending[] = [];
  private doPrintState = false;
  private totalStates = 0;
  private curStates = 0;
  /** Evicted checkpoints (Checkpoint.evicted) whose last branch finished since the last new state: the
   *  kernel keeps an evicted state on its free list, counted toward peak_states, until its paths end. */
  private evictedFinished = 0;
  /** Some loop iteration was pruned against an unfinished checkpoint (Checkpoint.loopHit). */
  private loopHits = false;
  /** The loop (SCC) number of each instruction, computed for level-2 logs (scc.ts). */
  private loops: Uint32Array | undefined;
  /** bpf_scc_visit entry states: the first checkpoint of each loop visit, per call chain, until it finishes. */
  private readonly loopVisits = new Map<string, Checkpoint | undefined>();
  /** The backedges of each open loop visit that has any (a loop hit, or a hit against a state of the visit):
   *  incomplete_read_marks while present, re-propagated when the visit ends (backedges.ts). */
  private readonly visitBackedges = new Map<string, Backedge[]>();
  /** The backedges of all open visits (num_backedges: the kernel counts them toward peak_states). */
  private numBackedges = 0;
  private peakStates = 0;
  private maxStatesPerInsn = 0;
  private processed = 0;
  private readonly states: InsnState[] = [];
  private failRegs: Reg[] | undefined;
  private readonly started = Date.now();
  /** insn_aux_data[].ptr_type: the pointer type each load/store was first checked with. */
  private readonly auxPtrType = new Map<number, string>();

  constructor(insns: RawInsn[], envOpts: EnvOptions, private readonly opts: VerifyOptions, private readonly lines?: SourceLine[]) {
    resetHist();
    this.explored = new Array<Checkpoint[] | undefined>(insns.length).fill(undefined);
    this.bucketSizes = new Int32Array(insns.length);
    const s: State = { frames: [newFrame(0, -1, 0)], refs: [], path: undefined, callbackDepth: 0, hist: undefined, histLen: 0, firstInsnIdx: 0, lastInsnIdx: -1 };
    this.env = {
      insns, opts: envOpts, log: new VLog(envOpts.logLevel), cur: s, parentCp: undefined, insnIdx: 0, prevInsnIdx: -1, idGen: 0,
      subprogs: [0], scratchedRegs: new Set(), scratchedSlots: new Set(), prevLogPos: 0, prevInsnPrintLen: 0, stackDepth: [0],
      changesPktData: false, curHist: undefined, jmpPoints: new Uint8Array(insns.length + 1),
      push: (st, insn) => this.pushBranch(st, insn, this.env.insnIdx),
      clone: cloneState,
    };
    setFramePrinter((env, f) => frameStr(f, true, new Set(), new Set(), (i) => mapInfo(env, i), printedRefIds(env.cur)));
    setBtfTypeNamer((r) => btfName(this.env, r));
    setIterTypeNamer((id) => iterTypeStr(this.env.opts.targetBtf, id));
  }

  /** Iterator _next calls (forced checkpoints where a loop converges), found before the walk. */
  private iterNext = new Set<number>();
  /** The branch decisions of every path walked (State.path indexes it). */
  private pathLog = new PathLog();

  private stats(): VerifyStats {
    return { processed: this.processed, maxStatesPerInsn: this.maxStatesPerInsn, totalStates: this.totalStates, peakStates: this.peakStates,
      stackDepth: this.env.stackDepth };
  }

  private statsLine(): string {
    const s = this.stats();
    return `processed ${s.processed} insns (limit ${COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${s.maxStatesPerInsn} total_states ${s.totalStates} peak_states ${s.peakStates} mark_read 0\n`;
  }

  private result(error?: { pc: number; message: string; errno: number }, noNewline = false, timedOut = false): VerifyResult {
    const env = this.env;
    if (error) env.log.write(error.message + (noNewline ? "" : "\n"));
    env.log.write(this.statsLine());
    const res: VerifyResult = { verdict: timedOut ? "timeout" : error ? "reject" : "accept", log: env.log.text, stats: this.stats() };
    if (error) {
      res.error = { ...error };
      const line = this.lineFor(error.pc);
      if (line) res.error.line = line;
      // built when read (--explain, --json): a path that reached the 1M-insn limit holds ~10^5 decisions
      const pathLog = this.pathLog, last = env.cur.path;
      let path: [number, boolean][] | undefined;
      Object.defineProperty(res, "path", { enumerable: true, configurable: true, get: () => (path ??= pathLog.pathOf(last)),
        set: (v: [number, boolean][]) => { path = v; } });
      if (this.failRegs) res.failRegs = this.failRegs;
    }
    if (this.opts.recordStates) res.states = this.states;
    if (env.uninitReads?.size) res.uninitStackReads = [...env.uninitReads.values()].sort((a, b) => a.pc - b.pc);
    return res;
  }

  /** The line_info record covering pc (find_linfo): the last one starting at or before it. */
  private lineFor(pc: number): SourceLine | undefined {
    const lines = this.lines;
    if (!lines?.length || lines[0]!.pc > pc) return undefined;
    let lo = 0, hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid]!.pc <= pc) lo = mid; else hi = mid - 1;
    }
    return lines[lo];
  }

  /**
   * verbose_linfo: the source line before an instruction, when the record covering it is not the one
   * printed last, unless both name the same file and line (two records for one line differ only in the
   * column). The last printed record survives branch pops and log rewinds; it is forgotten per function.
   */
  private printSourceLine(pc: number): void {
    const linfo = this.lineFor(pc);
    const prev = this.prevLinfo;
    if (!linfo || linfo === prev) return;
    if (prev && prev.file === linfo.file && prev.line === linfo.line) return;
    this.env.log.write(`; ${(linfo.text ?? "").trimStart()} @ ${linfo.file.split("/").pop()}:${linfo.line}\n`);
    this.prevLinfo = linfo;
  }

  run(): VerifyResult {
    const env = this.env;
    const kfuncHooks = {
      check: (pc: number, first: boolean) => kfuncCallCheck(env, env.insns[pc]!, first),
      isIterNext: (pc: number) => { const yes = isIterNextCall(env, env.insns[pc]!); if (yes) this.iterNext.add(pc); return yes; },
      // only a program with a BTF-id lddw opens the target BTF (reading env.opts.targetBtf opens it: 5 MB)
      btfId: (pc: number) => {
        const target = env.opts.targetBtf;
        if (!target) return null;
        const r = pseudoBtfId(target, env.insns[pc]!, env.insns[pc + 1]!, env.opts.configEnabled);
        return typeof r === "string" ? r : undefined;
      },
    };
    this.cfg = checkCfg(env.insns, (pc) => this.checkMapRef(pc), this.opts.hasFuncInfo === true, this.opts.funcReturnsScalar, kfuncHooks);
    // add_subprog_and_kfunc prints the sub-programs at level 2 unless it failed itself
    const cfgErr = this.cfg.error?.message ?? "";
    if (env.log.level >= 2 && !/^call to invalid destination|^kernel btf_id/.test(cfgErr)) {
      const subs = this.cfg.error ? subprogStarts(env.insns) : this.cfg.subprogs;
      subs.forEach((s, i) => env.log.write(`func#${i} @${s}\n`));
    }
    // check_attach_btf_id runs after the sub-programs are found, before the maps and the CFG are checked
    const attachErr = /^call to invalid destination|^kernel btf_id/.test(cfgErr) ? undefined : attachSleepableError(env.opts);
    if (attachErr) return this.result({ pc: 0, message: attachErr, errno: 22 });
    if (!this.cfg.error) {
      this.live = liveRegisters(env.insns, (id) => helperAllowed(env.opts.progType, id, env.opts.attachType), (i) => kfuncArgCount(env, i));
      env.liveRegs = this.live;
      this.loops = loopComponents(env.insns);
      if (env.log.level >= 2) env.log.write(liveRegsTable(env.insns, this.live, this.loops));
    }
    if (this.cfg.error) return this.result({ ...this.cfg.error, errno: 22 });
    // check_attach_btf_id for struct_ops: the member the program implements (struct-ops.ts)
    const structOpsErr = checkStructOpsAttach(env);
    if (structOpsErr) return this.result({ pc: 0, message: structOpsErr.message, errno: structOpsErr.errno });
    const unmodelled = exceptionCallbackNote(env);
    if (unmodelled) return this.result({ pc: 0, message: unmodelled, errno: 95 });
    env.subprogs = this.cfg.subprogs;
    env.jmpPoints = jmpPoints(env.insns, this.cfg.jumpTargets);
    env.stackLive = new StackLiveness(
      { insns: env.insns, subprogs: env.subprogs, prunePoints: this.cfg.prunePoints, callsCallback: (pc) => callsCallback(env.insns[pc]!) },
      (line) => env.log.write(line), () => env.log.level >= 2);
    env.stackDepth = env.subprogs.map(() => 0);
    env.fastcall = markFastcallPatterns(env.insns, env.subprogs, this.cfg.jumpTargets, (pc) => this.fastcallCallee(pc));
    initSubprogProtos(env, this.opts.funcProtos);
    const f0 = frame(env);
    f0.regs[1] = pointer("ctx");
    for (let i = 0; i <= 10; i++) env.scratchedRegs.add(i);
    try {
      env.log.write(mainProtoNote(env));
      this.walk();
      // do_check_common rewinds a level-1 log after each function that verified; then the global ones
      if (env.log.level === 1) env.log.reset(0);
      this.checkGlobalFunctions();
      // remove_fastcall_spills_fills may shrink a sub-program's stack before check_max_stack_depth
      if (env.fastcall) fastcallStackDepths(env.fastcall, env.stackDepth);
      const depthErr = this.checkStackDepth();
      if (depthErr) return this.result({ pc: 0, message: depthErr, errno: 13 });
      return this.result();
    } catch (e) {
      if (e instanceof Reject) return this.result({ pc: env.insnIdx, message: e.message, errno: e.errno }, e.noNewline);
      if (e instanceof VerifyTimeout) return this.result({ pc: env.insnIdx, message: e.message, errno: 62 /* ETIME */ }, false, true);
      throw e;
    }
  }

  /**
   * do_check_subprogs: every global function a verified function calls is verified once, on its own,
   * from the state its prototype gives (the walk's counters and the insn limit go on across them).
   */
  private checkGlobalFunctions(): void {
    const env = this.env;
    for (let sub = nextGlobalToVerify(env); sub !== undefined; sub = nextGlobalToVerify(env)) {
      const name = subprogName(env, sub);
      env.insnIdx = env.subprogs[sub]!;
      env.log.write(`Validating ${name}() func#${sub}...\n`);
      env.cur = globalEntryState(env, sub);
      env.parentCp = undefined;
      env.prevInsnIdx = -1;
      env.prevLogPos = 0;
      this.prevLinfo = undefined;
      this.explored.fill(undefined);
      this.bucketSizes.fill(0);
      for (let i = 0; i <= 10; i++) env.scratchedRegs.add(i);
      // do_check starts every function with do_print_state false (a last path pruned as "from X to Y: safe" left it set)
      this.doPrintState = false;
      this.walk();
      markGlobalVerified(env, sub);
      if (env.log.level === 1) env.log.reset(0);
      env.log.write(`Func#${sub} ('${name}') is safe for any args that match its prototype\n`);
    }
  }

  /** The map part of resolve_pseudo_ldimm64 for one lddw (imm = index into the program's maps). */
  private checkMapRef(i: number): string | undefined {
    const env = this.env;
    const insn = env.insns[i]!;
    if (insn.src === 5 || insn.src === 6) return "fd_idx without fd_array is invalid";
    if (insn.imm < 0 || insn.imm >= env.opts.innerMap.length) return `fd ${insn.imm} is not pointing to valid bpf_map`;
    // check_map_prog_compatibility
    const fld = env.opts.fields[insn.imm]!;
    const tracing = [2, 5, 7, 17, 24].includes(env.opts.progType);
    if (fld.spinLock >= 0 && env.opts.progType === 1) return "socket filter progs cannot use bpf_spin_lock yet";
    if (fld.spinLock >= 0 && tracing) return "tracing progs cannot use bpf_spin_lock yet";
    if (fld.timer >= 0 && tracing) return "tracing progs cannot use bpf_timer yet";
    if (env.opts.maps[insn.imm]?.type === "arena" && env.opts.maps.some((m, j) => m.type === "arena" && j !== insn.imm && this.usesMapBefore(j, i))) return "Only one arena per program";
    if (insn.src === 2) {
      const m = env.opts.maps[insn.imm]!;
      const off = env.insns[i + 1]!.imm >>> 0;
      if (off >= 1 << 29) return `direct value offset of ${off} is not allowed`;
      if (!["array", "arena"].includes(m.type)) return "no direct value access support for this map type";
      // arena_map_direct_value_addr: any offset within the arena's user-space range (max_entries pages)
      const bad = m.type === "arena" ? off > m.maxEntries * 4096 : off >= m.valueSize;
      if (bad) return `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`;
    }
    return undefined;
  }

  /** An lddw before `pc` names map `j` (the second arena a program names is the one refused). */
  private usesMapBefore(j: number, pc: number): boolean {
    return this.env.insns.some((x, k) => k < pc && x.code === 0x18 && [1, 2, 5, 6].includes(x.src) && x.imm === j);
  }

  /**
   * check_max_stack_depth: walk the static call graph (calls and callback references, in instruction
   * order, recursion included) from each asynchronous callback (last first), then from the main program.
   * Each frame is rounded up to 16 bytes as the kernel does for a JIT-compiled program (round_up(depth,
   * 16): a frame without stack adds nothing; only the interpreter rounds to 32 with at least 1); the chain
   * stays within 512 bytes and 8 frames. Tracing programs give a frame of 64 bytes or more a private stack
   * (6.13+), unless some sub-program tail-calls: such a frame is checked on its own and adds nothing.
   */
  private checkStackDepth(): string | undefined {
    const env = this.env;
    const n = env.subprogs.length;
    const calls = env.subprogs.map(() => [] as number[]);
    const hasTailCall = env.subprogs.map(() => false);
    for (let i = 0; i < env.insns.length; i++) {
      const insn = env.insns[i]!;
      if (insn.code === 0x85 && insn.src === 0 && insn.imm === 12) hasTailCall[this.subprogOf(i)] = true;
      if ((insn.code === 0x85 && insn.src === 1) || (insn.code === 0x18 && insn.src === 4)) {
        const from = this.subprogOf(i), to = env.subprogs.indexOf(i + insn.imm + 1);
        // a timer callback runs on its own stack: only a direct call adds it to the caller's
        if (to >= 0 && !(insn.code === 0x18 && isAsyncCallback(env, to))) calls[from]!.push(to);
      }
      if (insn.code === 0x18) i++;
    }
    const round = (d: number): number => Math.ceil(d / 16) * 16;
    // bpf_enable_priv_stack: the running 6.18 kernel gives a sub-program of 64 bytes or more a private stack
    // for perf_event programs only (kprobe, tracepoint and raw_tracepoint programs are refused with the
    // combined size: corpus entry 13-338, re-recorded), and none when a tail call is made
    const privSupported = env.opts.progType === 7 && !hasTailCall.includes(true);
    // priv_stack_mode per sub-program: undefined (unknown), "adaptive" or "none"
    const mode: ("adaptive" | "none" | undefined)[] = new Array(n).fill(undefined);
    const dfs = (sp: number, depth: number, frame: number, priv: boolean): string | undefined => {
      if (!priv) mode[sp] = "none";
      if (sp && hasTailCall[sp] && depth >= 256) return `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`;
      const own = round(env.stackDepth[sp] ?? 0);
      if (priv && mode[sp] === undefined && own >= 64) mode[sp] = "adaptive";
      if (mode[sp] === "adaptive") {
        if (own > 512) return `stack size of subprog ${sp} is ${own}. Too large`;
      } else {
        depth += own;
        if (depth > 512) return `combined stack size of ${frame + 1} calls is ${depth}. Too large`;
      }
      for (const c of calls[sp]!) {
        if (frame + 1 >= 8) return `the call stack of ${frame + 1} frames is too deep !`;
        const r = dfs(c, depth, frame + 1, priv);
        if (r) return r;
      }
      return undefined;
    };
    for (let root = n - 1; root >= 0; root--) {
      if (root && !isAsyncCallback(env, root)) continue;
      const err = dfs(root, 0, 0, root === 0 && privSupported);
      if (err) return err;
    }
    return undefined;
  }

  /** A helper or kfunc call as mark_fastcall_pattern_for_call sees it (undefined: one the program may not call). */
  private fastcallCallee(pc: number): FastcallCallee | undefined {
    const env = this.env;
    const insn = env.insns[pc]!;
    if (insn.src === 2) return kfuncFastcall(env, insn);
    const fn = helperForProgType(insn.imm, env.opts.progType);
    if (!fn || !helperAllowed(env.opts.progType, insn.imm, env.opts.attachType)) return undefined;
    let clobbers = fn.ret.type === "RET_VOID" ? 0 : 1;
    fn.args.forEach((a, i) => { if (a.type !== "ARG_DONTCARE") clobbers |= 1 << (i + 1); });
    // allow_fastcall and inlined by the x86-64 JIT: bpf_get_smp_processor_id only (checked on the running 6.18)
    return { clobbers, inlined: insn.imm === 8 };
  }

  private subprogOf(pc: number): number {
    let k = 0;
    for (let i = 0; i < this.env.subprogs.length; i++) if (this.env.subprogs[i]! <= pc) k = i;
    return k;
  }

  private mapName = (i: number): { name: string; ks: number; vs: number } | undefined => mapInfo(this.env, i);

  private printState(all: boolean): string {
    const env = this.env;
    return frameStr(frame(env), all, env.scratchedRegs, env.scratchedSlots, this.mapName, printedRefIds(env.cur));
  }

  /** print_insn_state: after an instruction line, joined with `;`, or on its own `N:` line. */
  private printInsnState(): void {
    const env = this.env;
    if (!env.log.level) return;
    if (env.scratchedRegs.size === 0 && env.scratchedSlots.size === 0) return;
    const text = this.printState(false);
    if (env.prevLogPos && env.prevLogPos === env.log.pos) {
      env.log.reset(env.prevLogPos - 1);
      env.log.write(alignPad(env.prevInsnPrintLen - 1) + ";" + text);
    } else {
      env.log.write(`${env.insnIdx}:` + text);
    }
    env.scratchedRegs.clear();
    env.scratchedSlots.clear();
  }

  private markAllScratched(): void {
    const env = this.env;
    for (let i = 0; i <= 10; i++) env.scratchedRegs.add(i);
    frame(env).stack.forEach((_, i) => env.scratchedSlots.add(i));
  }

  private pushBranch(state: State, insn: number, prev: number): void {
    if (this.pending.length >= COMPLEXITY_LIMIT_JMP_SEQ) throw new Reject(`The sequence of ${this.pending.length + 1} jumps is too complex.`, 7);
    if (this.env.parentCp) this.env.parentCp.branches++;
    this.pending.push({ state, insn, prev, logPos: this.env.log.pos, parentCp: this.env.parentCp });
  }

  /** A path ended: continue with the most recently pushed branch; false when none is left. */
  private popBranch(): boolean {
    const env = this.env;
    finishPath(env.parentCp, (cp) => { if (cp.evicted) this.evictedFinished++; this.maybeExitLoop(cp); });
    // the finished path's reads and writes are solved before any checkpoint is cleaned with them
    env.stackLive?.update(env.cur);
    const p = this.pending.pop();
    if (!p) return false;
    if (env.log.level === 1) env.log.reset(p.logPos);
    env.cur = p.state;
    env.insnIdx = p.insn;
    env.prevInsnIdx = p.prev;
    env.parentCp = p.parentCp;
    env.prevLogPos = 0;
    this.markAllScratched();
    this.doPrintState = true;
    return true;
  }

  /**
   * is_state_visited: prune against finished states, catch infinite loops against unfinished ones, and
   * remember the current state with the kernel's heuristics (not before 2 jumps and 8 instructions since
   * the last one; states that keep missing are evicted).
   */
  private isStateVisited(pc: number): boolean {
    const env = this.env;
    let list = this.explored[pc];
    if (!list) this.explored[pc] = list = [];
    // is_force_checkpoint: may_goto and helper calls that run a callback always get a checkpoint (the
    // iterations are compared against it); so does a state with a long history, walked on every precision request
    const at = env.insns[pc]!;
    const mayGoto = at.code === 0xe5;
    const iterNext = this.iterNext.has(pc);
    const force = mayGoto || iterNext || callsCallback(at);
    // force_new_state: a forced checkpoint, or a history too long to keep walking
    const forceNew = force || env.opts.testStateFreq === true || env.cur.histLen > 40;
    let addNew = forceNew || (this.jmpsProcessed - this.prevJmpsProcessed >= 2 && this.processed - this.prevInsnProcessed >= 8);
    // states_cnt counts every state of the hash bucket, other instructions' included
    const bucket = this.bucketOf(pc);
    const statesCnt = this.bucketSizes[bucket]!;
    // the states kept are compacted in place (w: how many so far)
    let w = 0;
    let pruned = false;
    let prunedBy: Checkpoint | undefined;
    // the hit was compared by range inside a loop visit (the kernel's `loop`): it becomes a backedge
    let backedge = false;
    // clean_live_states: finished states of the same call chain forget what is dead, once
    for (const cp of list) if (cp.branches === 0 && !cp.cleaned && sameCallsites(cp.state, env.cur)) cp.cleaned = this.clean(cp);
    for (const cp of list) {
      if (pruned || cp.bucket !== bucket) { list[w++] = cp; continue; }
      if (cp.branches > 0 && iterNext) {
        // an open-coded iterator loop converged: an earlier, still open iteration reached this _next call in
        // a state containing this one, with the iterator still active (no infinite-loop check at _next calls)
        if (statesEqual(this.liveView(cp), env.cur, "range_within") && iterActiveAtR1(env.cur)) {
          cp.hit++; cp.loopHit = true; this.loopHits = true; backedge = true; pruned = true; prunedBy = cp; list[w++] = cp; continue;
        }
      } else if (cp.branches > 0) {
        // the sequence of callback walks converged: this iteration adds nothing an earlier one did not
        // RANGE_WITHIN: every scalar compared by range, precise or not
        // (may_goto: only an iteration that spent more of the loop budget can have converged)
        const sameDepth = mayGotoDepth(cp.state) === mayGotoDepth(env.cur);
        const mayConverge = mayGoto ? !sameDepth : force;
        if (mayConverge && statesEqual(this.liveView(cp), env.cur, "range_within") && callbackDepthsOk(cp.state, env.cur)) {
          cp.hit++; cp.loopHit = true; this.loopHits = true; backedge = true; pruned = true; prunedBy = cp; list[w++] = cp; continue;
        }
        // callback-calling helpers skip the infinite-loop check; may_goto does not
        if ((mayGoto || !force) && sameDepth && statesEqual(cp.state, env.cur, "exact") && cp.state.callbackDepth === env.cur.callbackDepth &&
          callbackDepthsOk(cp.state, env.cur) && !iterDepthsDiffer(cp.state, env.cur)) {
          throw new Reject(`infinite loop detected at insn ${pc}\ncur state:${this.printStateAll(env.cur)}old state:${this.printStateAll(cp.state).replace(/\n$/, "")}`, 22);
        }
        if (!forceNew && this.jmpsProcessed - this.prevJmpsProcessed < 20 && this.processed - this.prevInsnProcessed < 100) addNew = false;
      } else {
        // a finished state inside a loop still being walked (an open ancestor had an iteration pruned against
        // it) has incomplete precision marks: it is compared by range, not by precise registers only
        const loop = this.incompleteReadMarks(cp);
        if (statesEqual(cp.cleaned ? cp.state : this.liveView(cp), env.cur, loop ? "range_within" : "not_exact") && callbackDepthsOk(cp.state, env.cur)) {
          cp.hit++; backedge = loop; pruned = true; prunedBy = cp; list[w++] = cp; continue;
        }
      }
      if (addNew) cp.miss++;
      // evicted when unlikely to help; a callback call's own iterations get more chances
      const n = force && cp.branches > 0 ? 64 : 3;
      if (cp.miss > cp.hit * n + n) { if (cp.branches > 0) cp.evicted = true; else this.curStates--; this.bucketSizes[bucket]--; continue; }
      list[w++] = cp;
    }
    if (w !== list.length) list.length = w;
    if (pruned) {
      // what the old state needed precise, the pruned path must provide precisely too
      if (env.jmpPoints[pc]) pushHist(env, 0);
      propagatePrecision(env, prunedBy!.state);
      if (backedge) this.addBackedge(prunedBy!, pc);
      return true;
    }
    // the kernel counts the bucket's states whenever the current one was not pruned, added or not
    this.maxStatesPerInsn = Math.max(this.maxStatesPerInsn, statesCnt);
    if (!addNew) return false;
    markAllScalarsImprecise(env.cur);
    const cp: Checkpoint = { state: cloneState(env.cur), insn: pc, branches: 1, parent: env.parentCp, hit: 0, miss: 0, cleaned: false, bucket };
    // the current path's history restarts at the checkpoint (insn_hist_start = insn_hist_end)
    env.cur.hist = undefined;
    env.cur.histLen = 0;
    env.cur.firstInsnIdx = pc;
    list.unshift(cp);
    this.maybeEnterLoop(cp);
    this.bucketSizes[bucket]++;
    env.parentCp = cp;
    this.totalStates++;
    this.curStates++;
    this.curStates -= this.evictedFinished;
    this.evictedFinished = 0;
    this.peakStates = Math.max(this.peakStates, this.curStates + this.numBackedges);
    this.prevJmpsProcessed = this.jmpsProcessed;
    this.prevInsnProcessed = this.processed;
    return false;
  }

  /**
   * compute_scc_callchain: the loop a checkpoint is in, seen from the outermost frame (a call made
   * inside a caller's loop belongs to that loop), with the call instructions leading to it; printed
   * `(callsite,...,scc)`. Undefined outside loops.
   */
  private loopChain(cp: Checkpoint): { key: string; text: string } | undefined {
    const loops = this.loops;
    if (!loops) return undefined;
    const frames = cp.state.frames;
    const callsites: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      const callee = frames[i + 1];
      const at = callee ? callInsnOf(callee) : cp.insn;
      const scc = loops[at] ?? 0;
      if (scc) {
        // format_callchain stops at a zero call site
        const shown = callsites.findIndex((c) => c === 0);
        const text = `(${(shown < 0 ? callsites : callsites.slice(0, shown)).map((c) => `${c},`).join("")}${scc})`;
        return { key: `${callsites.join(",")}|${scc}`, text };
      }
      if (!callee) return undefined;
      callsites.push(at);
    }
    return undefined;
  }

  /** incomplete_read_marks: the checkpoint's loop visit is open and has a backedge (its states compare by range). */
  private incompleteReadMarks(cp: Checkpoint): boolean {
    if (!this.visitBackedges.size) return false;
    if (cp.loopKey === undefined) cp.loopKey = this.loopChain(cp)?.key ?? "";
    return cp.loopKey !== "" && this.visitBackedges.has(cp.loopKey);
  }

  /**
   * add_scc_backedge: the hit is a backedge of the pruning state's loop visit; the pruned state is kept
   * for propagate_backedges (level 2 prints the visit).
   */
  private addBackedge(cp: Checkpoint, pc: number): void {
    const chain = this.loopChain(cp);
    if (!chain || !this.loopVisits.get(chain.key)) return;
    cp.loopKey = chain.key;
    const edge = saveBackedge(this.env, this.env.parentCp, pc, cp.state);
    const edges = this.visitBackedges.get(chain.key);
    if (edges) edges.push(edge); else this.visitBackedges.set(chain.key, [edge]);
    // update_peak_states (evicted states whose paths ended are already off the kernel's free list)
    this.numBackedges++;
    this.peakStates = Math.max(this.peakStates, this.curStates - this.evictedFinished + this.numBackedges);
    if (this.env.log.level >= 2) this.env.log.write(`SCC backedge ${chain.text}\n`);
  }

  /** maybe_enter_scc: a new checkpoint in a loop nobody is visiting yet starts a visit (level 2 prints it). */
  private maybeEnterLoop(cp: Checkpoint): void {
    const chain = this.loopChain(cp);
    if (!chain || this.loopVisits.get(chain.key)) return;
    this.loopVisits.set(chain.key, cp);
    if (this.env.log.level >= 2) this.env.log.write(`SCC enter ${chain.text}\n`);
  }

  /** maybe_exit_scc: the visit ends when its first checkpoint's subtree is walked. */
  private maybeExitLoop(cp: Checkpoint): void {
    const chain = this.loopChain(cp);
    if (!chain || this.loopVisits.get(chain.key) !== cp) return;
    this.loopVisits.set(chain.key, undefined);
    if (this.env.log.level >= 2) this.env.log.write(`SCC exit ${chain.text}\n`);
    const edges = this.visitBackedges.get(chain.key);
    if (!edges) return;
    this.visitBackedges.delete(chain.key);
    this.numBackedges -= edges.length;
    propagateBackedges(this.env, edges);
  }

  /**
   * func_states_equal compares only the registers live at each frame's instruction (live_regs_before).
   * A finished checkpoint has its dead registers forgotten (clean); an unfinished one, compared while
   * its loop is walked, keeps them (the kernel prints them, and states_maybe_looping's exact check
   * compares them): its convergence checks go through this view, which shares the live registers' and
   * the stack's objects with the checkpoint (precision marks set on it are seen) and has dead registers
   * not_init. Built once per checkpoint.
   */
  private liveView(cp: Checkpoint): State {
    const live = this.live;
    if (!live) return cp.state;
    if (cp.liveView) return cp.liveView;
    const frames = cp.state.frames;
    const view: State = { ...cp.state, frames: frames.map((fr, i) => {
      const callee = frames[i + 1];
      const mask = live[callee ? callInsnOf(callee) : cp.insn]!;
      const regs = fr.regs.slice();
      for (let r = 0; r < 10; r++) if (!(mask & (1 << r))) regs[r] = NO_SPILL;
      return { ...fr, regs };
    }) };
    cp.liveView = view;
    return view;
  }

  /** explored_state(): the kernel's hash of an instruction and the current frame's call site. */
  private bucketOf(pc: number): number {
    const f = curFrame(this.env.cur);
    // the kernel's callsite is the call instruction (this emulator keeps the return pc for bpf-to-bpf calls)
    const callsite = f.callsite < 0 || f.inCallback ? f.callsite : f.callsite - 1;
    return ((pc ^ callsite) >>> 0) % this.env.insns.length;
  }

  /**
   * clean_verifier_state: forget registers that are dead at the checkpoint (never read before written;
   * in a caller's frame, at its call instruction), and stack slots of every frame that no walk reads
   * after it (stack-liveness.ts). Stack slots wait while an unfinished ancestor had a later loop
   * iteration pruned against it (the kernel's incomplete_read_marks: the rest of that loop may still
   * read them); returns whether the state is fully cleaned.
   */
  private clean(cp: Checkpoint): boolean {
    const live = this.live;
    if (!live) return true;
    // clean_live_states skips a state whose loop visit still has backedges (incomplete_read_marks): it is
    // compared by its live registers meanwhile (liveView) and printed with its dead ones, as the kernel does
    if (this.incompleteReadMarks(cp)) return false;
    const frames = cp.state.frames;
    frames.forEach((fr, i) => {
      // a caller frame resumes after its call instruction (frame_insn_idx): what is live there
      const callee = frames[i + 1];
      const at = callee ? callInsnOf(callee) : cp.insn;
      const mask = live[at]!;
      // (a checkpoint's registers are compared and printed, never changed but for precision marks on scalars:
      // its dead ones are all the one frozen not_init register)
      for (let r = 0; r < 10; r++) if (!(mask & (1 << r))) fr.regs[r] = NO_SPILL;
    });
    const stackLive = this.env.stackLive;
    if (!stackLive) return true;
    // (programs without such loops skip the walk up the checkpoint chain)
    if (this.loopHits) for (let p = cp.parent; p; p = p.parent) if (p.branches > 0 && p.loopHit) return false;
    frames.forEach((fr, i) => {
      const alive = stackLive.liveSlots(cp.state, cp.insn, i);
      fr.stack.forEach((slot, spi) => {
        if (spi < 64 && ((spi < 32 ? alive.lo >>> spi : alive.hi >>> (spi - 32)) & 1)) return;
        if (slot === BLANK_SLOT || (slot.spilled === NO_SPILL && slot.kinds.every((k) => k === Slot.INVALID))) return;
        // (a dynptr, iterator or irq flag slot keeps what it is)
        fr.stack[spi] = slot.special ? { kinds: [0, 0, 0, 0, 0, 0, 0, 0], spilled: NO_SPILL, special: slot.special, shared: false } : BLANK_SLOT;
      });
    });
    return true;
  }

  private printStateAll(s: State): string {
    return frameStr(curFrame(s), true, new Set(), new Set(), this.mapName, printedRefIds(s));
  }

  private walk(): void {
    const env = this.env;
    const n = env.insns.length;
    const limit = this.opts.insnLimit ?? COMPLEXITY_LIMIT_INSNS;
    for (;;) {
      const pc = env.insnIdx;
      if (pc >= n || pc < 0) throw new Reject(`invalid insn idx ${pc} insn_cnt ${n}`, 14);
      const insn = env.insns[pc]!;
      if (++this.processed > limit) throw new Reject(`BPF program is too large. Processed ${this.processed} insn`, 7);
      if ((this.processed & 1023) === 0 && this.opts.timeoutMs !== undefined && Date.now() - this.started > this.opts.timeoutMs) {
        throw new VerifyTimeout(this.opts.timeoutMs / 1000, this.processed);
      }
      env.curHist = undefined;
      env.cur.lastInsnIdx = env.prevInsnIdx;
      if (this.cfg.prunePoints[pc] && this.isStateVisited(pc)) {
        if (env.log.level) {
          if (this.doPrintState) env.log.write(`\nfrom ${env.prevInsnIdx} to ${pc}: safe\n`);
          else env.log.write(`${pc}: safe\n`);
        }
        if (!this.popBranch()) return;
        continue;
      }
      if (env.jmpPoints[pc]) pushHist(env, 0);
      if (env.log.level >= 2 && this.doPrintState) {
        env.log.write(`\nfrom ${env.prevInsnIdx} to ${pc}:` + this.printStateAll(env.cur));
        this.doPrintState = false;
      }
      if (env.log.level) {
        this.printInsnState();
        this.doPrintState = false;
        this.printSourceLine(pc);
        const text = `${pc}: ${insnStr(insn, env.insns[pc + 1])}\n`;
        env.log.write(text);
        env.prevInsnPrintLen = text.length;
        env.prevLogPos = env.log.pos;
      }
      if (this.opts.captureRegs || this.opts.recordStates) this.failRegs = frame(env).regs.map((r) => ({ ...r }));
      env.stackLive?.beginInsn(env.cur, pc);
      const next = this.step(insn, pc);
      env.stackLive?.endInsn();
      // after the step: while checking it, prev_insn_idx is still the instruction before (history entries)
      env.prevInsnIdx = pc;
      if (this.opts.recordStates) this.states.push({ pc, text: this.printStateAll(env.cur).trim(), regs: frame(env).regs.map((r) => ({ ...r })) });
      if (next === -1) {
        if (!this.popBranch()) return;
        continue;
      }
      env.insnIdx = next;
    }
  }

  /** Check one instruction and update the state; returns the next pc, or -1 when the path ends. */
  private step(insn: RawInsn, pc: number): number {
    const env = this.env;
    const cls = insn.code & 7;
    const size = SIZE_OF[(insn.code >> 3) & 3]!;
    switch (cls) {
      case 4: case 7:
        checkAlu(env, insn);
        return pc + 1;
      case 1: { // LDX (reserved fields were checked with the CFG)
        checkRegRead(env, insn.src);
        checkRegWrite(env, insn.dst);
        const t = ptrTypeKey(regs(env)[insn.src]!);
        checkMemAccess(env, { regno: insn.src, off: insn.off, size, write: false, valueRegno: insn.dst, ldsx: (insn.code & 0xe0) === 0x80 });
        this.saveAuxPtrType(pc, t);
        sanityCheckBounds(env, regs(env)[insn.dst]!, "ldx");
        return pc + 1;
      }
      case 3: { // STX
        if ((insn.code & 0xe0) === 0xc0) { this.checkAtomic(insn, size); return pc + 1; }
        if ((insn.code & 0xe0) !== 0x60 || insn.imm !== 0) throw new Reject("BPF_STX uses reserved fields", 22);
        checkRegRead(env, insn.src);
        checkRegRead(env, insn.dst);
        const t = ptrTypeKey(regs(env)[insn.dst]!);
        checkMemAccess(env, { regno: insn.dst, off: insn.off, size, write: true, valueRegno: insn.src });
        this.saveAuxPtrType(pc, t);
        return pc + 1;
      }
      case 2: { // ST
        if ((insn.code & 0xe0) !== 0x60 || insn.src !== 0) throw new Reject("BPF_ST uses reserved fields", 22);
        checkRegRead(env, insn.dst);
        const t = ptrTypeKey(regs(env)[insn.dst]!);
        checkMemAccess(env, { regno: insn.dst, off: insn.off, size, write: true, valueRegno: -1, imm: insn.imm });
        this.saveAuxPtrType(pc, t);
        return pc + 1;
      }
      case 0: return this.checkLd(insn, pc);
      default: this.jmpsProcessed++; return this.checkJmp(insn, pc);
    }
  }

  /**
   * save_aux_ptr_type: one load/store instruction is rewritten for one kind of pointer, so a context or
   * socket pointer may not share it with any other kind on another path.
   */
  private saveAuxPtrType(pc: number, t: string): void {
    const prev = this.auxPtrType.get(pc);
    if (prev === undefined) { this.auxPtrType.set(pc, t); return; }
    const okKind = (k: string): boolean => !["ctx", "sock", "sock_common", "tcp_sock", "xdp_sock"].includes(k.split("|")[0]!);
    if (prev !== t && (!okKind(t) || !okKind(prev))) throw new Reject("same insn cannot be used with different pointers", 22);
  }

  /** check_atomic: read-modify-write (W/DW), load-acquire and store-release (any size). */
  private checkAtomic(insn: RawInsn, size: number): void {
    const env = this.env;
    const imm = insn.imm;
    if (imm === 0x100) { // load-acquire: dst = *(src + off)
      checkRegRead(env, insn.src);
      checkRegWrite(env, insn.dst);
      checkMemAccess(env, { regno: insn.src, off: insn.off, size, write: false, valueRegno: insn.dst });
      return;
    }
    if (imm === 0x110) { // store-release: *(dst + off) = src
      checkRegRead(env, insn.src);
      checkRegRead(env, insn.dst);
      checkMemAccess(env, { regno: insn.dst, off: insn.off, size, write: true, valueRegno: insn.src });
      return;
    }
    const ok = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1].includes(imm);
    if (!ok) throw new Reject(`BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, "0")}`, 22);
    if (size !== 4 && size !== 8) throw new Reject("invalid atomic operand size", 22);
    checkRegRead(env, insn.src);
    checkRegRead(env, insn.dst);
    if (imm === 0xf1) checkRegRead(env, 0);
    const R = regs(env);
    const dr = R[insn.dst]!;
    const dt = dr.type;
    if (dt === "ctx" || dt === "pkt" || dt === "pkt_meta" || dt === "flow_keys" || dt === "sock" || dt === "sock_common" || dt === "tcp_sock" || dt === "xdp_sock") {
      throw new Reject(`BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dr)} is not allowed`, 13);
    }
    const fetch = (imm & 1) !== 0;
    const loadReg = imm === 0xf1 ? 0 : fetch ? insn.src : -1;
    checkMemAccess(env, { regno: insn.dst, off: insn.off, size, write: false, valueRegno: loadReg, strict: true });
    checkMemAccess(env, { regno: insn.dst, off: insn.off, size, write: true, valueRegno: -1, strict: true });
  }

  private checkLd(insn: RawInsn, pc: number): number {
    const env = this.env;
    const mode = insn.code & 0xe0;
    if (mode === 0x20 || mode === 0x40) return this.checkLdAbs(insn, pc);
    if (insn.code !== 0x18) throw new Reject("invalid BPF_LD_IMM insn", 22);
    if (insn.off !== 0) throw new Reject("BPF_LD_IMM64 uses reserved fields", 22);
    checkRegWrite(env, insn.dst);
    const R = regs(env);
    const hi = env.insns[pc + 1]!.imm;
    switch (insn.src) {
      case 0:
        R[insn.dst] = constScalar((BigInt(hi >>> 0) << 32n) | BigInt(insn.imm >>> 0));
        break;
      case 1: case 5: {
        const r = pointer("map_ptr"); r.map = insn.imm; R[insn.dst] = r; break;
      }
      case 2: case 6: {
        // an arena map's "value" is an address in the arena's user space: a scalar to the verifier
        if (env.opts.maps[insn.imm]?.type === "arena") { R[insn.dst] = unknownScalar(); break; }
        const r = pointer("map_value"); r.map = insn.imm; r.off = hi >>> 0; R[insn.dst] = r; break;
      }
      case 3: {
        // a typed ksym (check_pseudo_btf_id; checked against the target BTF by checkCfg)
        const v = env.opts.targetBtf ? pseudoBtfId(env.opts.targetBtf, insn, env.insns[pc + 1]!, env.opts.configEnabled) : "invalid BPF_LD_IMM insn";
        if (typeof v === "string") throw new Reject(v, 22);
        R[insn.dst] = v;
        break;
      }
      case 4: {
        // callbacks need BTF function info (the object's .BTF.ext); bytecode alone has none
        if (!this.opts.hasFuncInfo) throw new Reject("missing btf func_info", 22);
        const r = pointer("func"); r.range = env.subprogs.indexOf(pc + insn.imm + 1); R[insn.dst] = r; break;
      }
      default: throw new Reject("invalid BPF_LD_IMM insn", 22);
    }
    return pc + 2;
  }

  private checkLdAbs(insn: RawInsn, pc: number): number {
    const env = this.env;
    const t = env.opts.progType;
    if (![1, 3, 4].includes(t)) throw new Reject("BPF_LD_[ABS|IND] instructions not allowed for this program type", 22);
    if (insn.dst !== 0 || insn.off !== 0 || ((insn.code & 0x18) === 0x18) || ((insn.code & 0xe0) === 0x20 && insn.src !== 0)) {
      throw new Reject("BPF_LD_[ABS|IND] uses reserved fields", 22);
    }
    const R = regs(env);
    checkRegRead(env, 6);
    if ((insn.code & 0xe0) === 0x40) checkRegRead(env, insn.src);
    if (R[6]!.type !== "ctx") throw new Reject("at the time of BPF_LD_ABS|IND R6 != pointer to skb", 22);
    // check_reference_leak (main program or callback frames only) names the references first
    const f = frame(env);
    if (env.cur.refs.length && (env.cur.frames.length === 1 || f.inCallback)) {
      throw new Reject([...env.cur.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`), "BPF_LD_[ABS|IND] cannot be mixed with socket references"].join("\n"), 22);
    }
    if (env.cur.activeLock) throw new Reject("BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region", 22);
    for (let i = 0; i <= 5; i++) { R[i] = deadReg(R[i]!); env.scratchedRegs.add(i); }
    R[0] = unknownScalar();
    if (env.cur.frames.length > 1) {
      // the rewritten LD_ABS may leave the sub-program with r0 = 0: that exit is walked first
      this.pushBranch(cloneState(env.cur), pc + 1, pc);
      R[0] = constScalar(0n);
      return checkExit(env, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
    }
    return pc + 1;
  }

  private checkJmp(insn: RawInsn, pc: number): number {
    const env = this.env;
    const op = insn.code & 0xf0;
    const is32 = (insn.code & 7) === 6;
    if (op === 0x80) {
      // bpf-to-bpf calls may run under the lock (static ones only: see checkGlobalCall)
      if (env.cur.activeLock && ((insn.src === 0 && insn.imm !== 94 /* spin_unlock */) || insn.src === 2)) {
        throw new Reject("function calls are not allowed while holding a lock", 22);
      }
      if ((insn.code & 8) || (insn.src !== 2 && insn.off !== 0) || (insn.src !== 0 && insn.src !== 1 && insn.src !== 2) || insn.dst !== 0 || is32) {
        throw new Reject("BPF_CALL uses reserved fields", 22);
      }
      if (insn.src === 1) {
        // a global function is checked at the call by its prototype only (verified on its own later)
        if (checkGlobalCall(env, env.subprogs.indexOf(pc + insn.imm + 1))) return pc + 1;
        checkLocalCall(env, insn, pc + insn.imm + 1);
        // the callee's whole state is printed before its first instruction (after the caller/callee dump)
        this.markAllScratched();
        this.doPrintState = false;
        return pc + insn.imm + 1;
      }
      if (insn.src === 2) {
        // the forked state of an iterator's _next is widened against the previous iteration's (find_prev_entry)
        checkKfuncCall(env, insn, (queued) => {
          widenAfterMayGoto(env, this.explored[pc], queued);
          this.pushBranch(queued, pc + 1, pc);
        });
        return pc + 1;
      }
      const cbStart = checkHelperCall(env, insn);
      if (cbStart !== undefined) { this.doPrintState = false; return cbStart; }
      if (insn.imm === 12 /* tail_call */ && env.cur.frames.length > 1) {
        // a tail call from a sub-program may leave it (6.18): that exit, with any r0, is walked first
        this.pushBranch(cloneState(env.cur), pc + 1, pc);
        regs(env)[0] = unknownScalar();
        // (the kernel then prints only the scratched registers, not the whole state)
        return checkExit(env, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
      }
      return pc + 1;
    }
    if (op === 0x00) {
      if ((insn.code & 8) || (!is32 && insn.imm !== 0) || (is32 && insn.off !== 0) || insn.src !== 0 || insn.dst !== 0) {
        throw new Reject("BPF_JA uses reserved fields", 22);
      }
      return pc + (is32 ? insn.imm : insn.off) + 1;
    }
    if (op === 0x90) {
      if (env.cur.activeLock && env.cur.frames.length === 1) throw new Reject("BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region", 22);
      const fromCallback = frame(env).inCallback && env.cur.frames.length > 1;
      const back = checkExit(env, insn);
      if (fromCallback) widenAfterCallback(env, this.explored[back]);
      if (back >= 0) { this.doPrintState = true; return back; }
      return -1;
    }
    if (op === 0xe0) {
      // may_goto: explore the jump now, the fall-through later (the loop budget may or may not be spent)
      if (insn.code !== 0xe5 || insn.src !== 0 || insn.dst !== 0 || insn.imm !== 0 || insn.off === 0) throw new Reject(`invalid may_goto imm ${insn.imm}`, 22); // 6.18 words it so (6.12: "off %d imm %d")
      const other = cloneState(env.cur);
      other.mayGotoDepth = mayGotoDepth(env.cur) + 1;
      widenAfterMayGoto(env, this.explored[pc], other);
      this.pushBranch(other, pc + 1, pc);
      return pc + insn.off + 1;
    }
    const outcome = checkCondJmp(env, insn, cloneState);
    if (outcome.only !== undefined) {
      // the state is printed at the jump (print_insn_state in check_cond_jmp_op), after any mark_precise lines
      if (env.log.level) this.printInsnState();
      env.cur.path = this.pathLog.push(env.cur.path, pc, outcome.only);
      return outcome.only ? pc + insn.off + 1 : pc + 1;
    }
    const other = outcome.other!;
    other.path = this.pathLog.push(other.path, pc, true);
    env.cur.path = this.pathLog.push(env.cur.path, pc, false);
    this.pushBranch(other, pc + insn.off + 1, pc);
    if (env.log.level) this.printInsnState();
    return pc + 1;
  }
}
