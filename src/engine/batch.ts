// Packet batches with summary results: many packets loaded once, run (and run again), with per-packet
// results kept in typed arrays (retval, output length, instruction count) and full records made only for
// the packets a caller asks about. Replaying a capture or a fuzzing corpus of a million packets then costs
// no JavaScript object per packet. The compiled engine runs XDP packets where they lie in its memory
// (RuntimeProgram.loadPackets); every other engine (interpreter, kernel, programs that move the packet)
// gets the same interface over its runBatch.
import type { RuntimeProgram } from "../runtime/runtime.js";
import { packetAt, packetCount, type ArenaRun, type PacketArena, type PacketList } from "../runtime/packet-batch.js";
import type { BatchOutcome, BpfEngine, EngineRunResult } from "./types.js";
import type { Capture, CapturedPacket } from "../packet/capture.js";

export type { PacketList, PacketSpans } from "../runtime/packet-batch.js";

/**
 * One run of a packet batch: per-packet figures in typed arrays, full records on demand. A summary answers
 * until its batch runs again: the arrays belong to the batch and each run overwrites them (a large batch
 * would otherwise allocate more than it runs), so copy (`.slice()`) what must outlive the next run.
 */
export interface BatchSummary {
  readonly count: number;
  /** r0 truncated to 32 bits per packet (0 for a packet whose run ended in an error). */
  readonly retval: Uint32Array;
  /** Output packet length per packet (0 for a packet with an error). */
  readonly length: Uint32Array;
  /** Instructions executed per packet (local engines; 0 from the kernel). */
  readonly insnCount: Uint32Array;
  /** Packets whose run ended in an error, by index. */
  readonly errors: ReadonlyMap<number, Error>;
  /** ns per packet spent running the batch in the engine (for the compiled engine: inside WebAssembly). */
  readonly duration: number;
  /** Packets per retval (packets with an error are not counted). */
  actions(): Map<number, number>;
  /** Packet `i` as the program left it. */
  data(i: number): Uint8Array;
  /** Whether packet `i` came out different (bytes or length) from how it went in. */
  changed(i: number): boolean;
  /** The full record of packet `i` (as runBatch gives it). */
  result(i: number): BatchOutcome;
}

export interface BatchRunOptions {
  /**
   * true (default): every packet runs as it was loaded. false: as this batch's previous run left it, which
   * is what BPF_PROG_TEST_RUN's repeat does with its one packet (the first run sees the packets as loaded).
   */
  restore?: boolean;
}

/** Packets loaded into an engine once, to be run once or many times (maps carry over between runs). */
export interface PacketBatch {
  readonly count: number;
  /** Whether the packets run where they lie in the engine's memory (the compiled engine's XDP batches). */
  readonly inPlace: boolean;
  run(options?: BatchRunOptions): BatchSummary;
}

/**
 * Load `packets` into `engine` as one batch (an engine's own fast path when it has one; otherwise runs
 * through its runBatch). `cpu`: the virtual CPU every packet runs on (local engines).
 */
export function loadPacketBatch(engine: BpfEngine, packets: PacketList, options: { cpu?: number } = {}): PacketBatch {
  return engine.loadBatch?.(packets, options) ?? new RunBatchPackets(engine, packets, options.cpu);
}

/** Load and run once: the summary of `packets` through `engine`. */
export function runPackets(engine: BpfEngine, packets: PacketList, options: { cpu?: number } = {}): BatchSummary {
  return loadPacketBatch(engine, packets, options).run();
}

/**
 * Replay a capture through `engine` as one packet batch: the summary, and the packets `keep` accepts by
 * retval (e.g. XDP_TX / XDP_PASS) as the program left them, timestamps kept, ready for writePcap. Only
 * the kept packets' bytes are read back; a packet whose run failed is not kept.
 */
export function replayCaptureBatch(engine: BpfEngine, capture: Capture | readonly CapturedPacket[],
  keep: (retval: number) => boolean = () => true, options: { cpu?: number } = {}): { summary: BatchSummary; packets: CapturedPacket[] } {
  const input = Array.isArray(capture) ? capture as readonly CapturedPacket[] : (capture as Capture).packets;
  const summary = runPackets(engine, input.map((p) => p.data), options);
  const packets: CapturedPacket[] = [];
  for (let i = 0; i < summary.count; i++) {
    if (summary.errors.has(i) || !keep(summary.retval[i]!)) continue;
    const data = summary.data(i);
    packets.push({ timestamp: input[i]!.timestamp, data, originalLength: data.length, ...(input[i]!.interface !== undefined ? { interface: input[i]!.interface! } : {}) });
  }
  return { summary, packets };
}

/** The compiled engine's batch: packets laid out once in the runtime's memory and run in place. */
export class ArenaPacketBatch implements PacketBatch {
  readonly inPlace = true;
  /** Without restore: the packets as the previous run left them (the next run's input), kept for changed(). */
  private before: Uint8Array | undefined;
  constructor(private readonly rt: RuntimeProgram, private readonly arena: PacketArena, private readonly packets: PacketList, private readonly cpu: number | undefined) {}
  get count(): number { return this.arena.count; }
  run(options: BatchRunOptions = {}): BatchSummary {
    const restore = options.restore ?? true;
    let input = (i: number): Uint8Array => packetAt(this.packets, i);
    if (!restore && this.arena.runs > 0) {
      const a = this.arena, before = (this.before ??= new Uint8Array(a.bytes));
      before.set(this.rt.mem.u8.subarray(a.work, a.work + a.bytes));
      input = (i) => spanOf(before, a, i);
    }
    const run = this.rt.runArena(this.arena, { restore, ...(this.cpu !== undefined ? { cpu: this.cpu } : {}) });
    return new ArenaSummary(this.rt, this.arena, run, input);
  }
}

const spanOf = (bytes: Uint8Array, arena: PacketArena, i: number): Uint8Array => bytes.subarray(arena.offsets[i]!, arena.offsets[i]! + arena.lengths[i]!);

class ArenaSummary implements BatchSummary {
  readonly length: Uint32Array;
  constructor(private readonly rt: RuntimeProgram, private readonly arena: PacketArena, private readonly run: ArenaRun, private readonly input: (i: number) => Uint8Array) {
    // Packets cannot change length in place: the loaded lengths, but 0 for packets with an error.
    this.length = arena.lengths;
    if (run.errors.size) {
      this.length = arena.lengths.slice();
      for (const k of run.errors.keys()) this.length[k] = 0;
    }
  }
  get count(): number { return this.arena.count; }
  get retval(): Uint32Array { return this.run.retval; }
  get insnCount(): Uint32Array { return this.run.insnCount; }
  get errors(): ReadonlyMap<number, Error> { return this.run.errors; }
  get duration(): number { return this.run.duration; }
  actions(): Map<number, number> { return tally(this); }
  data(i: number): Uint8Array { this.check(i); return spanOf(this.run.output(), this.arena, i).slice(); }
  changed(i: number): boolean {
    this.check(i);
    if (this.run.errors.has(i)) return false;
    return !sameBytes(spanOf(this.run.output(), this.arena, i), this.input(i));
  }
  result(i: number): BatchOutcome {
    this.check(i);
    const err = this.run.errors.get(i);
    if (err) return { ok: false, error: err };
    const cap = this.run.captures.get(i)?.capture;
    const retval = this.retval[i]!;
    const action = this.rt.actionOf(retval);
    const result: EngineRunResult = {
      retval, data: this.data(i), ctx: new Uint8Array(this.rt.layout?.size ?? 0), trace: cap?.trace ?? [],
      insnCount: this.run.insnCount[i]!, duration: this.run.duration, ringbuf: [], perf: [],
      ...(action ? { action } : {}), ...(cap?.redirect ? { redirect: cap.redirect } : {}),
    };
    return { ok: true, result };
  }
  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.arena.count) throw new RangeError(`packet ${i} is not in this batch of ${this.arena.count}`);
    if (this.arena.runs !== this.run.run) {
      throw new Error("this batch ran again: a summary answers only until its batch's next run (its arrays and packets are reused; copy what you keep)");
    }
  }
}

/** Any engine's batch: its runBatch, summarised (the records are kept: this engine made them anyway). */
class RunBatchPackets implements PacketBatch {
  readonly inPlace = false;
  private last: Uint8Array[] | undefined;
  constructor(private readonly engine: BpfEngine, private readonly packets: PacketList, private readonly cpu: number | undefined) {}
  get count(): number { return packetCount(this.packets); }
  run(options: BatchRunOptions = {}): BatchSummary {
    const n = this.count;
    const inputs = Array.from({ length: n }, (_, i) => (options.restore ?? true) || !this.last ? packetAt(this.packets, i) : this.last[i]!);
    const t0 = now();
    const out = this.engine.runBatch(inputs.map((data) => ({ data, ...(this.cpu !== undefined ? { cpu: this.cpu } : {}) })));
    const duration = ((now() - t0) * 1e6) / Math.max(n, 1);
    this.last = out.map((o, i) => (o.ok ? o.result.data : inputs[i]!));
    return new OutcomeSummary(out, inputs, duration);
  }
}

class OutcomeSummary implements BatchSummary {
  readonly retval: Uint32Array;
  readonly length: Uint32Array;
  readonly insnCount: Uint32Array;
  readonly errors = new Map<number, Error>();
  constructor(private readonly out: readonly BatchOutcome[], private readonly inputs: readonly Uint8Array[], readonly duration: number) {
    const n = out.length;
    this.retval = new Uint32Array(n); this.length = new Uint32Array(n); this.insnCount = new Uint32Array(n);
    out.forEach((o, i) => {
      if (!o.ok) { this.errors.set(i, o.error); return; }
      this.retval[i] = o.result.retval; this.length[i] = o.result.data.length; this.insnCount[i] = o.result.insnCount ?? 0;
    });
  }
  get count(): number { return this.out.length; }
  actions(): Map<number, number> { return tally(this); }
  data(i: number): Uint8Array { const o = this.at(i); return o.ok ? o.result.data : new Uint8Array(0); }
  changed(i: number): boolean { const o = this.at(i); return o.ok && !sameBytes(o.result.data, this.inputs[i]!); }
  result(i: number): BatchOutcome { return this.at(i); }
  private at(i: number): BatchOutcome {
    const o = this.out[i];
    if (!o) throw new RangeError(`packet ${i} is not in this batch of ${this.out.length}`);
    return o;
  }
}

function tally(s: BatchSummary): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < s.count; i++) if (!s.errors.has(i)) m.set(s.retval[i]!, (m.get(s.retval[i]!) ?? 0) + 1);
  return m;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());
