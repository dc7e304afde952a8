// The kernel as an engine: BPF_PROG_TEST_RUN behind the one engine interface (src/engine/types.ts), so
// the CLI, the test API and benchmarks run it exactly as they run the interpreter or compiled code.
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { BatchOutcome, BpfEngine, EngineMap, EngineRunInput, EngineRunResult } from "../engine/types.js";
import { mapTypeByName } from "../maps/types.js";
import { progTypeByName } from "../progtypes/index.js";
import { mapUpdate } from "./commands.js";
import { kernelBackendProblem } from "./sys.js";
import { possibleCpus, readMapEntries, userValueSize } from "./maps.js";
import type { Program } from "../program/index.js";
import { progTestRun } from "./commands.js";
import { ERRNO, KernelError } from "./errors.js";
import { loadObjectIntoKernel, loadProgramIntoKernel, progTypeLabel, type KernelLoadOptions, type LoadedKernelProgram } from "./loader.js";
import type { KernelMap } from "./maps.js";

export interface KernelRunInput {
  /** Packet bytes (xdp, tc, socket filter, cgroup_skb). */
  data?: Uint8Array;
  /** Context struct bytes (xdp_md, __sk_buff), where the type accepts ctx_in. */
  ctx?: Uint8Array;
  /** Runs in the kernel loop; duration is the average. Default 1. */
  repeat?: number;
  /** Bytes reserved for the output packet (default: input + 4096, XDP may grow the packet). */
  dataOutSize?: number;
}

export interface KernelRunResult {
  /** r0 truncated to 32 bits, unsigned as the uapi's __u32 retval (-EINVAL reads 4294967274). */
  retval: number;
  /** The packet after the run. */
  data: Uint8Array;
  /** The context after the run (when one was passed in). */
  ctx?: Uint8Array;
  /** Average ns per run, measured by the kernel. */
  duration: number;
}

export interface KernelEngineOptions extends KernelLoadOptions {
  /**
   * Other programs of the same object (tail-call targets): loaded with this one, sharing its maps, so the
   * object's prog_array slots are filled (`loadObjectIntoKernel`).
   */
  others?: readonly Program[];
}

/** The kernel's `repeat` is a u32: a larger number would silently wrap (4294967297 runs once). */
export const KERNEL_MAX_REPEAT = 0xffffffff;

/** A program loaded once and run many times (close() when done). */
export class KernelEngine implements BpfEngine {
  readonly kind = "kernel" as const;
  readonly loaded: LoadedKernelProgram;
  /** Every map the engine's programs use, by name. */
  readonly mapsByName: ReadonlyMap<string, KernelMap>;
  /** The same maps behind the engine interface (entries read and written through bpf(2)). */
  readonly maps: ReadonlyMap<string, EngineMap>;
  private readonly owner: { close(): void };
  private dataOut = new Uint8Array(0);
  constructor(readonly program: Program, options: KernelEngineOptions = {}) {
    const others = (options.others ?? []).filter((p) => p !== program && p.name !== program.name);
    if (others.length) {
      const obj = loadObjectIntoKernel([program, ...others], options);
      this.loaded = obj.programs[0]!;
      this.mapsByName = obj.maps;
      this.owner = obj;
    } else {
      this.loaded = loadProgramIntoKernel(program, options);
      this.mapsByName = new Map(this.loaded.maps.map((m) => [m.name, m]));
      this.owner = this.loaded;
    }
    const maps = new Map<string, EngineMap>();
    for (const [name, m] of this.mapsByName) {
      const t = mapTypeByName(m.spec.type);
      const perCpu = t?.perCpu ?? false;
      maps.set(name, {
        name, type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, perCpu,
        entries: () => readMapEntries(m.fd),
        update: (key, value) => {
          let bytes = value;
          if (perCpu && t) {
            const size = userValueSize(t.id, m.spec.valueSize);
            const stride = size / possibleCpus();
            bytes = new Uint8Array(size);
            for (let off = 0; off < size; off += stride) bytes.set(value.subarray(0, m.spec.valueSize), off);
          }
          mapUpdate(m.fd, key, bytes);
        },
      });
    }
    this.maps = maps;
  }
  /** One input through BPF_PROG_TEST_RUN, as the engine interface describes it. */
  run(input: EngineRunInput = {}): EngineRunResult {
    if (input.cpu !== undefined && input.cpu !== 0) {
      throw new BpfkitError(diag("BK5013", { what: "a CPU can be chosen only on the local engines (BPF_PROG_TEST_RUN picks the CPU for these program types)" }), 2);
    }
    const repeat = input.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 0 || repeat > KERNEL_MAX_REPEAT) {
      throw new BpfkitError(diag("BK5013", { what: `repeat must be an integer from 1 to ${KERNEL_MAX_REPEAT} (BPF_PROG_TEST_RUN's repeat is a u32), not ${repeat}` }), 2);
    }
    const r = this.testRun({ ...(input.data ? { data: input.data } : {}), ...(input.ctx ? { ctx: input.ctx } : {}), repeat });
    const out: EngineRunResult = { retval: r.retval, data: r.data, trace: [], duration: r.duration, ringbuf: [], perf: [] };
    if (r.ctx) out.ctx = r.ctx;
    const action = this.returnCode(r.retval);
    if (action) out.action = action;
    return out;
  }
  /** Each input once; the kernel has no batch call, so this is one BPF_PROG_TEST_RUN per input. */
  runBatch(inputs: readonly EngineRunInput[]): BatchOutcome[] {
    return inputs.map((input) => {
      try { return { ok: true as const, result: this.run({ ...input, repeat: 1 }) }; } catch (error) {
        if (!(error instanceof Error)) throw error;
        return { ok: false as const, error };
      }
    });
  }
  private returnCode(retval: number): string | undefined {
    const info = progTypeByName(this.program.section);
    return info?.returnCodes.find((c) => (c.value >>> 0) === retval)?.name;
  }
  /** BPF_PROG_TEST_RUN with the kernel's own result shape. */
  testRun(input: KernelRunInput = {}): KernelRunResult {
    const data = input.data ?? new Uint8Array(0);
    const outSize = input.dataOutSize ?? data.length + 4096;
    if (this.dataOut.length < outSize) this.dataOut = new Uint8Array(outSize);
    const dataOut = this.dataOut.subarray(0, outSize);
    const ctxOut = input.ctx ? new Uint8Array(input.ctx.length) : undefined;
    let r;
    try {
      r = progTestRun({
        progFd: this.loaded.fd, repeat: input.repeat ?? 1,
        ...(data.length ? { data, dataOut } : {}),
        ...(input.ctx ? { ctx: input.ctx, ctxOut: ctxOut! } : {}),
      });
    } catch (err) {
      if (err instanceof KernelError && (err.errno === ERRNO.ENOTSUPP || err.errno === ERRNO.EOPNOTSUPP)) {
        throw new BpfkitError(diag("BK7007", { name: this.program.name, type: progTypeLabel(this.loaded.progType), reason: "BPF_PROG_TEST_RUN answered " + err.errnoName }, {},
          "sock_ops, sk_msg and sk_skb programs run only on live sockets: deploy them instead"), 2);
      }
      throw err;
    }
    const out: KernelRunResult = { retval: r.retval >>> 0, data: dataOut.slice(0, Math.min(r.dataSizeOut, outSize)), duration: r.duration };
    if (ctxOut) out.ctx = ctxOut.subarray(0, Math.min(r.ctxSizeOut || ctxOut.length, ctxOut.length));
    return out;
  }
  close(): void {
    this.owner.close();
  }
}

/** The kernel engine behind the engine interface; BK5013 naming why when bpf(2) is not usable here. */
export function openKernelEngine(program: Program, options: KernelEngineOptions = {}): KernelEngine {
  const problem = kernelBackendProblem();
  if (problem) throw new BpfkitError(diag("BK5013", { what: `the kernel engine is not available here: ${problem}` }, {}, "use the interp or compiled engine"), 2);
  return new KernelEngine(program, options);
}

/** Load, run once (or `repeat` times in the kernel) and unload. */
export function kernelTestRun(program: Program, input: KernelRunInput = {}, options: KernelEngineOptions = {}): KernelRunResult {
  const engine = new KernelEngine(program, options);
  try {
    return engine.testRun(input);
  } finally {
    engine.close();
  }
}
