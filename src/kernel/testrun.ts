// The kernel as an engine: BPF_PROG_TEST_RUN with the same call shape as the interpreter
// (`run({ data, ctx, repeat })` -> `{ retval, data, ctx, duration }`), for differential tests and benches.
import { BpfkitError, diag } from "../diagnostics/index.js";
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

/** A program loaded once and run many times (close() when done). */
export class KernelEngine {
  readonly loaded: LoadedKernelProgram;
  /** Every map the engine's programs use, by name. */
  readonly mapsByName: ReadonlyMap<string, KernelMap>;
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
  }
  run(input: KernelRunInput = {}): KernelRunResult {
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
  /** Map contents after runs: the loaded program's maps by name (fds stay owned by the engine). */
  get maps(): LoadedKernelProgram["maps"] {
    return this.loaded.maps;
  }
  close(): void {
    this.owner.close();
  }
}

/** Load, run once (or `repeat` times in the kernel) and unload. */
export function kernelTestRun(program: Program, input: KernelRunInput = {}, options: KernelEngineOptions = {}): KernelRunResult {
  const engine = new KernelEngine(program, options);
  try {
    return engine.run(input);
  } finally {
    engine.close();
  }
}
