// The interpreter engine: one instance of wasm/interpreter.wasm bound to one RuntimeMemory, the code of
// every program loaded into it, and the host side of helper calls. Higher layers (runtime.ts) add
// program contexts, packets and maps; the conformance runner uses this layer directly.
import interpreterBytes from "../../wasm/interpreter.bytes.js";
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import type { Instruction } from "../isa/index.js";
import { C, CTRL, ENTRY, MAX_FRAMES, MAY_GOTO_BUDGET, REGS, STACK, STACK_FRAME, STATUS, checkLayout } from "./layout.js";
import { RuntimeMemory, type Region } from "./memory.js";
import { entriesNeeded, predecode, type LddwResolver } from "./predecode.js";
import { buildModule, type ModuleInfo, type XdpBatchLayout } from "../compiler/index.js";
import { PSEUDO } from "../isa/index.js";
import { mapOps } from "../maps/runtime/wasm-ops.js";

export type Mode = "checked" | "fast";

/** Called for every helper call; returns r0. `pc` is relative to the calling program. */
export type HelperDispatch = (id: number, at: CodeLocation) => bigint;

export interface CodeLocation { program: LoadedCode; pc: number }

export interface LoadedCode {
  name: string;
  base: number;
  slots: number;
  /** Slots of lddw instructions that load a function's address (callbacks), for the compiler. */
  funcRefs?: number[];
}

/** How a compiled module was made (for `--json`, benchmarks and tests). */
export interface CompileStats extends Omit<ModuleInfo, "bytes"> {
  /** Bytes of the WebAssembly module. */
  size: number;
  /** Milliseconds turning BPF into WebAssembly bytes, and V8 compiling those into machine code. */
  compileMs: number;
  instantiateMs: number;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

export interface ExecResult {
  r0: bigint;
  insnCount: number;
  /** A helper ended the program (conformance `unwind`, bpf_loop's callback end...). */
  stopped: boolean;
  /** Engine.step(): one instruction ran and the program goes on. */
  paused?: boolean;
}

export interface ExecOptions { mode: Mode; budget: number; regions: Region[]; pkt?: { addr: number; len: number } }

const S_EXIT = STATUS.EXIT, S_STOPPED = STATUS.STOPPED;
const FRAME0_TOP = BigInt(STACK + STACK_FRAME);
const I_HOST = (CTRL + C.HOST) >> 2, I_REPEATED = (CTRL + C.REPEATED) >> 2;
const I_STOP = (CTRL + C.STOP) >> 2, I_TAIL = (CTRL + C.TAIL) >> 2, I_FAULT_KIND = (CTRL + C.FAULT_KIND) >> 2;
const I_PKT = (CTRL + C.PKT) >> 2, I_PKT_LEN = (CTRL + C.PKT_LEN) >> 2, I_MAY_GOTO = (CTRL + C.MAY_GOTO) >> 2;
const I_CODE = (CTRL + C.CODE) >> 2, I_BUDGET64 = (CTRL + C.BUDGET) >> 3, I_COUNT64 = (CTRL + C.COUNT) >> 3;
let wasmModule: WebAssembly.Module | undefined;
function interpreterModule(): WebAssembly.Module {
  // wasm/interpreter.bytes.js is built with the module (npm run build:wasm); both sit two levels above
  // src/runtime/engine.ts and dist/runtime/engine.js.
  return (wasmModule ??= new WebAssembly.Module(interpreterBytes));
}

export class Engine {
  readonly mem: RuntimeMemory;
  private readonly runChecked: (entry: number, depth: number) => number;
  private runFast: (entry: number, depth: number) => number;
  private readonly stepChecked: (entry: number, depth: number) => number;
  private readonly imports: WebAssembly.Imports;
  /** Set once `compile()` replaced the fast loop by compiled code. */
  compiled: CompileStats | undefined;
  /** The last compiled module's bytes (tests validate and print them with wabt). */
  compiledBytes: Uint8Array | undefined;
  /** The compiled module's batch driver (XDP programs compiled with a batch layout). */
  batch: ((desc: number, from: number, to: number) => number) | undefined;
  /** Its in-place driver (packets run where they lie in a batch arena; src/compiler/module.ts inPlaceBody). */
  batchInPlace: ((desc: number, from: number, to: number) => number) | undefined;
  /** Instructions executed by nested runs (callbacks) of the current run. */
  private nestedCount = 0;
  private mode: Mode = "checked";
  private budget = 0;
  private budgetBig = 0n;
  readonly programs: LoadedCode[] = [];
  /** Set by the owner: handles helper calls. */
  dispatch: HelperDispatch = (id, at) => { throw new BpfkitError(diag("BK5010", { name: `#${id}`, id }, { pc: at.pc })); };
  private hostError: unknown;
  /**
   * Set by the owner: a program's store into the context struct (default: the plain store). `v` is the
   * whole source register, or the sign-extended immediate when `imm` (BPF_ST).
   */
  ctxStore: (addr: number, size: number, v: bigint, imm: boolean) => void = (addr, size, v) => this.plainStore(addr, size, v);
  /** Store `size` bytes of `v` (little-endian) at `addr`. */
  plainStore(addr: number, size: number, v: bigint): void {
    const dv = this.mem.dv;
    if (size === 1) dv.setUint8(addr, Number(v & 0xffn));
    else if (size === 2) dv.setUint16(addr, Number(v & 0xffffn), true);
    else if (size === 4) dv.setUint32(addr, Number(v & 0xffffffffn), true);
    else dv.setBigUint64(addr, BigInt.asUintN(64, v), true);
  }

  constructor(mem = new RuntimeMemory()) {
    this.mem = mem;
    const ops = mapOps(mem);
    this.imports = {
      env: {
        memory: mem.memory,
        helper: (id: number, ip: number): bigint => {
          this.mem.u32[I_HOST] = 1; // compiled code's repeat loop hands the next run back to the host
          try {
            return this.dispatch(id, this.locate(ip));
          } catch (err) {
            // Remember the real error: the Wasm frame between us and run() must not turn it into a trap message.
            this.hostError = err;
            throw err;
          }
        },
        ctxStore: (addr: number, size: number, v: bigint, imm: number): void => {
          try {
            this.ctxStore(addr, size, v, imm !== 0);
          } catch (err) {
            this.hostError = err;
            throw err;
          }
        },
        abort: () => { throw new Error("interpreter abort"); },
        // Map operations stay in WebAssembly: the map module's exports are imported as they are.
        mapLookup: ops.exports.lookup, mapUpdate: ops.exports.update, mapDelete: ops.exports.remove,
      },
    };
    const instance = new WebAssembly.Instance(interpreterModule(), this.imports);
    const bad = checkLayout(instance.exports as Record<string, unknown>);
    if (bad.length) throw new BpfkitError(diag("BK5008", { what: `wasm/interpreter.wasm was built with another memory layout (${bad.join("; ")}): rebuild with npm run build:wasm` }));
    this.runChecked = instance.exports.runChecked as (entry: number, depth: number) => number;
    this.runFast = instance.exports.runFast as (entry: number, depth: number) => number;
    this.stepChecked = instance.exports.stepChecked as (entry: number, depth: number) => number;
  }

  /** Pre-decode a program into the code region. */
  load(name: string, insns: readonly Instruction[], resolver: LddwResolver): LoadedCode {
    const n = entriesNeeded(insns);
    const base = this.mem.alloc(n * ENTRY, 8, `program ${name}`);
    const code = predecode(insns, this.mem, base, resolver);
    const funcRefs: number[] = [];
    let pc = 0;
    for (const i of insns) {
      if (i.opcode === 0x18 && i.src === PSEUDO.FUNC) funcRefs.push(pc);
      pc += i.opcode === 0x18 ? 2 : 1;
    }
    const loaded: LoadedCode = { name, base: code.base, slots: code.slots, funcRefs };
    this.programs.push(loaded);
    return loaded;
  }

  /**
   * Compile `codes` (default: every loaded program) into one WebAssembly module and run it instead of the
   * interpreter's fast loop from now on: same memory, helpers and protocol, so results are identical.
   * `verified`: the programs passed the verifier (the compiler may rely on it, src/compiler/lower.ts).
   * `ctxHook`: context stores go through `ctxStore` (program types that narrow context fields).
   */
  compile(options: { verified: boolean; ctxHook: boolean; batch?: XdpBatchLayout; inPlace?: boolean }, codes: readonly LoadedCode[] = this.programs): CompileStats {
    const t0 = now();
    const info = buildModule(this.mem.u8, codes.map((c) => ({ name: c.name, base: c.base, slots: c.slots, funcRefs: c.funcRefs ?? [] })), options);
    const t1 = now();
    const module = new WebAssembly.Module(info.bytes as BufferSource);
    const instance = new WebAssembly.Instance(module, this.imports);
    const t2 = now();
    this.runFast = instance.exports.run as (entry: number, depth: number) => number;
    this.repeatFast = instance.exports.repeat as (entry: number, n: number) => number;
    this.batch = instance.exports.batch as ((desc: number, from: number, to: number) => number) | undefined;
    this.batchInPlace = instance.exports.batchInPlace as ((desc: number, from: number, to: number) => number) | undefined;
    const { bytes, ...rest } = info;
    this.compiledBytes = bytes;
    this.compiled = { ...rest, size: bytes.length, compileMs: t1 - t0, instantiateMs: t2 - t1 };
    return this.compiled;
  }

  /** The program and pc of an entry address. */
  locate(ip: number): CodeLocation {
    for (const p of this.programs) {
      if (ip >= p.base && ip <= p.base + p.slots * ENTRY) return { program: p, pc: Math.floor((ip - p.base) / ENTRY) };
    }
    return { program: { name: "?", base: 0, slots: 0 }, pc: -1 };
  }

  /**
   * Execute `code` with registers r1-r5 as given. Throws a BpfkitError (pc, reason) when the program faults,
   * exhausts its budget or calls too deep.
   */
  exec(code: LoadedCode, args: bigint[], opts: ExecOptions): ExecResult {
    this.begin(code, args, opts);
    return this.finishRun(opts.budget, () => (opts.mode === "checked" ? this.runChecked(code.base, 0) : this.runFast(code.base, 0)));
  }

  /** Compiled code's repeat loop (src/compiler/module.ts), once compile() ran. */
  private repeatFast: ((entry: number, n: number) => number) | undefined;
  /** Whether repeatRuns() can run repeated runs inside WebAssembly (compiled code, fast mode). */
  get canRepeat(): boolean { return this.repeatFast !== undefined; }

  /**
   * Run `code` up to `n` times as exec() would run it n times, inside WebAssembly (compiled code, fast mode),
   * stopping early after a run that called a host helper (the caller does its per-run bookkeeping and goes
   * on). Returns the runs done and the last run's result; throws as exec() does when a run fails.
   */
  repeatRuns(code: LoadedCode, args: bigint[], opts: ExecOptions, n: number): { done: number; res: ExecResult } {
    this.begin(code, args, opts);
    const go = this.repeatFast!;
    const res = this.finishRun(opts.budget, () => go(code.base, n));
    return { done: this.mem.u32[I_REPEATED]!, res };
  }

  /**
   * Set up a run of `code` without starting it (registers, control block, regions): exec() then runs it
   * whole; a stepper (step.ts) runs it one instruction at a time with step().
   */
  begin(code: LoadedCode, args: bigint[], opts: ExecOptions): void {
    const mem = this.mem;
    mem.clearRegs();
    for (let i = 0; i < args.length; i++) mem.setReg(i + 1, args[i]!);
    mem.setReg(10, FRAME0_TOP);
    // Control block through element indexes: this runs once per program run.
    const u32 = mem.u32;
    u32[I_STOP] = 0;
    u32[I_TAIL] = 0;
    u32[I_FAULT_KIND] = 0;
    if (opts.budget !== this.budget) this.budgetBig = BigInt(opts.budget);
    mem.u64[I_BUDGET64] = this.budgetBig;
    u32[I_PKT] = opts.pkt?.addr ?? 0;
    u32[I_PKT_LEN] = opts.pkt?.len ?? 0;
    u32[I_MAY_GOTO] = MAY_GOTO_BUDGET;
    u32[I_CODE] = code.base;
    if (opts.mode === "checked") mem.setRegions(opts.regions);
    this.hostError = undefined;
    this.nestedCount = 0;
    this.mode = opts.mode;
    this.budget = opts.budget;
  }

  /**
   * Execute one instruction (checked mode) of a run set up by begin(): the one at entry address `ip` in
   * call frame `depth` (the run's first is `code.base` in frame 0). Returns where the next one is, or the
   * result when the program has ended; throws as exec() does when the instruction faults.
   */
  step(ip: number, depth: number): { next: { ip: number; depth: number } } | { done: ExecResult } {
    this.nestedCount = 0;
    const res = this.finishRun(this.budget, () => this.stepChecked(ip, depth));
    if (res.paused) return { next: { ip: this.mem.ctrl32("FAULT_IP"), depth: this.mem.ctrl32("DEPTH") } };
    return { done: res };
  }

  /**
   * Run BPF code at `entry` (a callback: bpf_loop, for_each_map_elem) from inside a helper, in the frame
   * above the caller's, with r1-r5 as given; the caller's registers and control block are restored after.
   */
  /** Set the mode and budget nested runs (callbacks) use, for runs started without exec() (batches). */
  prepare(mode: Mode, budget: number): void { this.mode = mode; this.budget = budget; }

  callback(entry: number, args: bigint[]): bigint {
    const mem = this.mem;
    const depth = mem.ctrl32("DEPTH");
    if (depth + 1 >= MAX_FRAMES) throw new BpfkitError(diag("BK5007", { max: MAX_FRAMES, calls: MAX_FRAMES - 1 }), 1);
    const saved = mem.read(REGS, 0x400); // registers, control block, saved frames
    for (let i = 0; i <= 9; i++) mem.setReg(i, 0n);
    args.forEach((v, i) => mem.setReg(i + 1, v));
    mem.setReg(10, BigInt(STACK + (depth + 2) * STACK_FRAME));
    const used = Number(mem.ctrl64("COUNT")) + this.nestedCount;
    mem.setCtrl64("BUDGET", BigInt(Math.max(this.budget - used, 1)));
    mem.setCtrl32("STOP", 0);
    const res = this.finishRun(this.budget, () => (this.mode === "checked" ? this.runChecked(entry, depth + 1) : this.runFast(entry, depth + 1)));
    mem.write(REGS, saved);
    this.nestedCount = res.insnCount; // includes the runs nested before and inside this one
    return res.r0;
  }

  private finishRun(budget: number, go: () => number): ExecResult {
    const mem = this.mem;
    let status: number;
    try {
      status = go();
    } catch (err) {
      if (this.hostError !== undefined) throw this.hostError;
      throw this.trapError(err);
    }
    const insnCount = Number(mem.u64[I_COUNT64]!) + this.nestedCount;
    if (status === S_EXIT) return { r0: mem.reg(0), insnCount, stopped: false };
    if (status === STATUS.STEP) return { r0: mem.reg(0), insnCount, stopped: false, paused: true };
    if (status === S_STOPPED) return { r0: mem.reg(0), insnCount, stopped: true };
    throw this.statusError(status, budget, insnCount);
  }

  /** The error a run that ended with `status` (not EXIT / STOPPED) reports, from the control block. */
  statusError(status: number, budget: number, insnCount: number): BpfkitError {
    const mem = this.mem;
    const at = this.locate(mem.ctrl32("FAULT_IP"));
    const where = { pc: at.pc };
    switch (status) {
      case STATUS.BUDGET:
        return new BpfkitError(diag("BK5005", { count: insnCount, budget }, where,
          "the program looks like it does not terminate; raise the budget with --budget if it is just long"), 1);
      case STATUS.DEPTH:
        return new BpfkitError(diag("BK5007", { max: MAX_FRAMES, calls: MAX_FRAMES - 1 }, where), 1);
      case STATUS.FAULT: {
        const addr = mem.ctrl64("FAULT_ADDR");
        const size = mem.ctrl32("FAULT_SIZE");
        const write = mem.ctrl32("FAULT_WRITE") !== 0;
        const d = mem.describeFault(addr, size, write, mem.ctrl32("DEPTH"));
        return new BpfkitError(diag("BK5006", { size, access: write ? "write" : "read", location: d.location, reason: d.reason }, where), 1);
      }
      case STATUS.BAD_INSN: {
        const what = at.pc === at.program.slots ? "the program ran past its last instruction without an exit"
          : `invalid instruction reached (opcode 0x${mem.u8[mem.ctrl32("FAULT_IP")]!.toString(16)})`;
        return new BpfkitError(diag("BK5008", { what }, where), 1);
      }
      default: return new BpfkitError(diag("BK5008", { what: `interpreter returned unknown status ${status}` }, where));
    }
  }

  /** A host error raised inside a run (a helper's), or BK5009 for a WebAssembly trap (an access past memory). */
  trapError(err: unknown): unknown {
    if (this.hostError !== undefined) return this.hostError;
    if (err instanceof WebAssembly.RuntimeError) {
      return new BpfkitError(diag("BK5009", {}, {}, "fast mode only has WebAssembly's own bounds; run with --engine interp --mode checked to get the pc and the region"), 1);
    }
    return err;
  }
  /** Forget a host error of an earlier run (the batch path reuses the engine across runs). */
  clearHostError(): void { this.hostError = undefined; this.nestedCount = 0; }
  /** Instructions executed by callbacks in the current run. */
  get nested(): number { return this.nestedCount; }

  /** r1-r5 as the helper sees them. */
  args(): [bigint, bigint, bigint, bigint, bigint] {
    const dv = this.mem.dv;
    return [1, 2, 3, 4, 5].map((i) => dv.getBigUint64(REGS + i * 8, true)) as [bigint, bigint, bigint, bigint, bigint];
  }
  /** Make the program stop after the current helper returns (r0 = the helper's return value). */
  stop(): void { this.mem.setCtrl32("STOP", 1); }
  /** Continue at another program's first instruction after the current helper returns (bpf_tail_call). */
  tailCall(code: LoadedCode): void { this.mem.setCtrl32("TAIL", code.base); }
}

export type { Diagnostic };
export { C };
