// The test-run API: `loadProgram(program, options).run({ data, ctx, repeat })`, mirroring
// BPF_PROG_TEST_RUN (net/bpf/test_run.c): the program type decides the context struct and where the packet
// sits; the output packet, context, trace text, redirect, perf/ringbuf records and duration come back.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import type { Redirect, RunCapture } from "../helpers/impl/index.js";
import { PSEUDO, type Instruction } from "../isa/index.js";
import { RingbufMap, PerfEventArrayMap } from "../maps/runtime/index.js";
import type { Program } from "../program/program.js";
import { contextChanges, fieldByName, type ContextLayout, type CtxChange, type ProgTypeInfo } from "../progtypes/index.js";
import type { CompileStats, ExecOptions, ExecResult, LoadedCode, Mode } from "./engine.js";
import { CTX, CTX_MAX, MAY_GOTO_BUDGET } from "./layout.js";
import { BATCH, type XdpBatchLayout } from "../compiler/index.js";
import { ProgramHost, resolveProgType, type HostProgram } from "./host.js";
import { CHANGES_PKT_DATA } from "../helpers/table.js";
import { helperName } from "../isa/index.js";
import { isSpans, packetAt, packetCount, type ArenaRun, type PacketArena, type PacketList } from "./packet-batch.js";
import { Stepper, type StepHost } from "./step.js";

export type { Mode, CompileStats };
export { Stepper, type Step, type MemoryAccess } from "./step.js";

/** Which executor runs the program: the interpreter loop, or the program compiled to WebAssembly. */
export type Executor = "interp" | "compiled";

/**
 * Most runs one call may ask for: BPF_PROG_TEST_RUN's `repeat` is a u32 (the kernel would silently take
 * 4294967297 as 1), and the local engines keep the same bound so a run means the same on every engine.
 */
import { MAX_REPEAT } from "./limits.js";
export { MAX_REPEAT };

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

export interface LoadOptions {
  /** `interp` (default) or `compiled`; compiled code runs with fast mode's semantics. */
  executor?: Executor;
  /** The program passed the verifier: the compiler may use its guarantees (src/compiler/lower.ts). */
  verified?: boolean;
  /** Program type / section name overriding the program's own (`xdp`, `tc`, `socket`, `cgroup_skb/ingress`). */
  type?: string;
  mode?: Mode;
  /** Instructions one run may execute before it is stopped (default 100 million). */
  budget?: number;
  /** Virtual CPUs (per-CPU maps keep one value each; default 4). */
  cpus?: number;
  /** PRNG seed for bpf_get_prandom_u32. */
  seed?: number;
  /** Start of the deterministic clock in ns, and how far it advances on each read. */
  clockStart?: bigint;
  clockStep?: bigint;
  /** Further programs (same object) that prog_array slots may name, loaded into the same runtime. */
  others?: Program[];
}

export interface RunOptions {
  data?: Uint8Array;
  /** The context struct bytes (ctx_in): fields a test may set (mark, priority, cb, ingress_ifindex...). */
  ctx?: Uint8Array;
  repeat?: number;
  mode?: Mode;
  /** CPU the program runs on (per-CPU maps, smp_processor_id). */
  cpu?: number;
  budget?: number;
  /** Called about once a second during a long `repeat` with the runs done so far. */
  onProgress?: (done: number, total: number) => void;
  /** How often onProgress is called, in ms (default 1000). */
  progressEveryMs?: number;
}

export interface RunResult {
  /** r0 truncated to 32 bits, as BPF_PROG_TEST_RUN reports it. */
  retval: number;
  r0: bigint;
  /** Return code name (XDP_PASS, TC_ACT_SHOT...) when the type has named codes. */
  action?: string;
  /** The packet after the run (XDP: from data_meta to data_end; skb types: from the MAC header). */
  data: Uint8Array;
  /** The context struct after the run (pointer fields zeroed). */
  ctx?: Uint8Array;
  /** Context fields the program changed (skb->mark, priority, tc_classid, cb[]...), by name. */
  ctxChanges?: CtxChange[];
  trace: string[];
  redirect?: Redirect;
  /** ns per run: the average of runs 2..repeat (the steady state) when repeat > 1, else the one run. */
  duration: number;
  /** ns of the first run (it may include V8 compiling code lazily), reported apart from the steady state. */
  firstRun: number;
  /** Instructions executed by the last run (including callbacks). */
  insnCount: number;
  perf: { map: string; cpu: number; data: Uint8Array }[];
  ringbuf: { map: string; data: Uint8Array }[];
}

/** r1 of a program run: the context struct's address. */
const RUN_ARGS = [BigInt(CTX)];
const XDP_HEADROOM = 256;
const SKB_HEADROOM = 64; // NET_SKB_PAD + NET_IP_ALIGN (0 on x86-64): skb test runs take up to 3712 bytes
const ETH_HLEN = 14;
const GSO_LEGACY_MAX_SIZE = 65536;
const GSO_MAX_SEGS = 65535;
const SHINFO = 320; // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64
const PAGE = 4096;
const XDP_FRAME_ROOM = 40; // sizeof(struct xdp_frame) at the start of the headroom
const LOOPBACK_IFINDEX = 1;
/** __sk_buff fields BPF_PROG_TEST_RUN copies back into ctx_out (convert_skb_to___skb). */
const SKB_CTX_OUT = new Set(["mark", "priority", "ingress_ifindex", "ifindex", "cb", "tstamp", "wire_len", "gso_segs", "gso_size", "hwtstamp"]);

type Family = "xdp" | "skb_l2" | "skb_l3";
function familyOf(t: ProgTypeInfo): Family | undefined {
  switch (t.name) {
    case "xdp": return "xdp";
    case "sched_cls": case "sched_act": return "skb_l2";
    case "socket_filter": case "cgroup_skb": case "lwt_in": case "lwt_out": case "lwt_xmit": return "skb_l3";
    default: return undefined;
  }
}

export { resolveProgType, ProgramHost, type HostProgram, type HostOptions, type ResolvedType } from "./host.js";

/**
 * A program (and its tail-call targets, of the same type) loaded into its own runtime (memory, maps,
 * interpreter or compiled code: the host in host.ts), ready to run many times through the test-run API.
 */
export class RuntimeProgram extends ProgramHost implements StepHost {
  readonly program: Program;
  readonly progType: ProgTypeInfo;
  readonly layout: ContextLayout | undefined;
  private readonly main: LoadedCode;
  private readonly family: Family | undefined;
  private readonly mode: Mode;
  private readonly budget: number;
  readonly executor: Executor;
  private pktBuf = 0;
  private pktCap = 0;
  /** The context as the program got it, to name the fields it changed. */
  private ctxStart: Uint8Array | undefined;

  constructor(program: Program, options: LoadOptions = {}) {
    super({
      ...(options.cpus !== undefined ? { cpus: options.cpus } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.clockStart !== undefined ? { clockStart: options.clockStart } : {}), ...(options.clockStep !== undefined ? { clockStep: options.clockStep } : {}),
    });
    this.program = program;
    const type = resolveProgType(options.type ?? program.section);
    this.progType = type.info;
    this.family = familyOf(type.info);
    this.executor = options.executor ?? "interp";
    if (this.executor === "compiled" && options.mode === "checked") {
      throw new BpfkitError(diag("BK5013", { what: "checked mode needs the interpreter: compiled code runs with fast mode's semantics" }, {}, "use --engine interp --mode checked to get every access checked"), 2);
    }
    this.mode = this.executor === "compiled" ? "fast" : options.mode ?? "checked";
    this.budget = options.budget ?? 100_000_000;
    if (this.family === "skb_l2" || this.family === "skb_l3") this.engine.ctxStore = (addr, size, v, imm) => this.storeSkbCtx(addr, size, v, imm);
    const all = [program, ...(options.others ?? []).filter((p) => p !== program)];
    this.addMaps(all);
    const problems: Diagnostic[] = [];
    const loaded: (HostProgram | undefined)[] = [this.addProgram(program, type, problems)];
    if (problems.length) throw new BpfkitError(problems, 1);
    // The object's other programs come along only as tail-call targets: one the runtime cannot load (a
    // kfunc, a helper it lacks) is set aside with its reasons, raised if a tail call ever reaches it,
    // instead of failing a run of a neighbour that never calls it.
    for (const p of all.slice(1)) {
      const own: Diagnostic[] = [];
      try { this.addProgram(p, type, own); } catch (e) { if (e instanceof BpfkitError) own.push(...e.diagnostics); else throw e; }
      if (own.length) this.unloadable.set(p.name, own);
    }
    this.running = loaded[0]!;
    this.layout = this.running.layout;
    this.main = this.running.code;
    if (this.executor === "compiled") {
      const verified = options.verified ?? false;
      // The WebAssembly batch drivers set xdp_md up once and read back only r0 and the packet: only a program
      // the verifier accepted cannot write the context (data_end included), so only it gets them; any other
      // batch runs input by input, as run() does.
      this.compile({
        verified, ctxHook: this.family === "skb_l2" || this.family === "skb_l3",
        ...(this.family === "xdp" && this.layout && verified ? { batch: this.xdpBatchLayout(this.layout), inPlace: !all.some(movesPacket) } : {}),
      });
    }
  }

  /**
   * A program's store into the __sk_buff: members backed by 16-bit skb fields keep only the low 16 bits
   * (tc_index, tc_classid), and queue_mapping drops values from 0xffff (NO_QUEUE_MAPPING) up, as the
   * kernel's context rewrite does: a register is compared as a u64, an immediate as an s32 (so
   * `*(u32 *)(r1 + 12) = -1` stores 0xffff). Checked against the kernel (test/runtime/kernel-diff-packet.test.ts).
   */
  private storeSkbCtx(addr: number, size: number, v: bigint, imm: boolean): void {
    const f = this.layout?.fields.find((x) => CTX + x.offset === addr);
    if (f && size === 4) {
      if (f.name === "tc_index" || f.name === "tc_classid") { this.engine.plainStore(addr, 4, v & 0xffffn); return; }
      if (f.name === "queue_mapping") {
        const drop = imm ? BigInt.asIntN(64, v) >= 0xffffn : BigInt.asUintN(64, v) >= 0xffffn;
        if (!drop) this.engine.plainStore(addr, 4, v & 0xffffn);
        return;
      }
    }
    this.engine.plainStore(addr, size, v);
  }

  // ---- RuntimeHost (the rest is ProgramHost's) ----
  override packetChanged(): void {
    super.packetChanged();
    // A batch zeroes the whole buffer before its next packet once a helper moved this one.
    if (this.batch?.active) this.mem.u32[(this.batch.desc + BATCH.DIRTY) >> 2] = 1;
  }

  protected override callHelper(id: number, pc: number): bigint {
    if (this.batch?.active) this.syncBatchPacket();
    return super.callHelper(id, pc);
  }

  // ---- running ----
  private preparePacket(data: Uint8Array): void {
    if (!this.family) { this.packet = undefined; return; }
    const bad = (what: string, errno = "EINVAL"): never => { throw new BpfkitError(diag("BK5013", { what: `${what} (BPF_PROG_TEST_RUN answers ${errno})` }), 2); };
    const min = this.progType.testRun.minDataSize ?? ETH_HLEN;
    if (data.length < min) bad(`${this.progType.name} test runs need at least ${min} bytes of packet data, got ${data.length}`);
    const headroom = this.family === "xdp" ? XDP_HEADROOM : SKB_HEADROOM;
    const max = PAGE - headroom - SHINFO;
    if (data.length > max) {
      if (this.family === "xdp") throw new BpfkitError(diag("BK5013", { what: `packet of ${data.length} bytes does not fit one XDP buffer (${max} bytes); the kernel would run it as a multi-buffer (fragmented) frame, which the interpreter does not support` }), 2);
      bad(`packet of ${data.length} bytes is larger than an skb test-run buffer takes (${max} bytes)`);
    }
    if (this.family !== "xdp") {
      // bpf_prog_test_run_skb refuses an IPv4 / IPv6 EtherType without a whole fixed IP header after it.
      const type = (data[12]! << 8) | data[13]!;
      const need = type === 0x0800 ? 20 : type === 0x86dd ? 40 : 0;
      if (data.length - ETH_HLEN < need) bad(`the EtherType is ${type === 0x0800 ? "IPv4" : "IPv6"} but only ${data.length - ETH_HLEN} bytes follow the Ethernet header; an skb test run needs the whole ${need}-byte ${type === 0x0800 ? "IPv4" : "IPv6"} header`);
    }
    if (this.pktCap < PAGE) { this.pktBuf = this.mem.alloc(PAGE, 64, "packet buffer"); this.pktCap = PAGE; }
    this.mem.fill(this.pktBuf, PAGE);
    const start = this.pktBuf + headroom;
    this.mem.write(start, data);
    const l3 = this.family === "skb_l3" ? ETH_HLEN : 0;
    this.packet = {
      frame: this.pktBuf, frameEnd: this.pktBuf + PAGE,
      minData: this.family === "xdp" ? this.pktBuf + XDP_FRAME_ROOM : this.pktBuf,
      maxEnd: this.pktBuf + PAGE - SHINFO,
      meta: start + l3, data: start + l3, dataEnd: start + data.length, kind: this.family === "xdp" ? "xdp" : "skb",
      ...(this.family === "xdp" ? {} : { macOffset: l3 }),
    };
  }

  /**
   * ctx_in checks of BPF_PROG_TEST_RUN (bpf_ctx_init, convert___skb_to_skb, xdp_convert_md_to_buff),
   * checked against the 6.18 kernel: bytes past the struct must be zero; an __sk_buff may only set the
   * fields the kernel copies in; an xdp_md only the metadata length, data_end and the receive device.
   */
  private checkCtxIn(ctxIn: Uint8Array, data: Uint8Array): void {
    const l = this.layout;
    const size = l?.size ?? 0;
    const bad = (what: string, errno = "EINVAL"): never => { throw new BpfkitError(diag("BK5013", { what: `${what} (BPF_PROG_TEST_RUN answers ${errno})` }), 2); };
    if (ctxIn.length > size && ctxIn.subarray(size).some((b) => b !== 0)) bad(`ctx is ${ctxIn.length} bytes but ${l?.struct ?? "this program type's context"} is ${size}; bytes past the struct must be zero`, "E2BIG");
    if (!l || !this.family) return;
    const view = new Uint8Array(size);
    view.set(ctxIn.subarray(0, size));
    const dv = new DataView(view.buffer);
    const u32 = (name: string): number => { const f = fieldByName(l, name); return f ? dv.getUint32(f.offset, true) : 0; };
    if (this.family === "xdp") {
      if (u32("data_meta")) bad("xdp_md.data_meta must be 0 (the metadata length goes in xdp_md.data)");
      if (u32("egress_ifindex")) bad("xdp_md.egress_ifindex must be 0");
      if (u32("data_end") > data.length) bad(`xdp_md.data_end ${u32("data_end")} is past the ${data.length}-byte packet`);
      if (u32("data") > u32("data_end")) bad(`xdp_md.data (metadata length) ${u32("data")} is past xdp_md.data_end ${u32("data_end")}`);
      const ifindex = u32("ingress_ifindex"), queue = u32("rx_queue_index");
      if (queue && !ifindex) bad("xdp_md.rx_queue_index needs xdp_md.ingress_ifindex");
      if (queue && ifindex === LOOPBACK_IFINDEX) bad(`xdp_md.rx_queue_index ${queue} does not exist on the loopback device (it has one receive queue)`);
      return;
    }
    for (const f of l.fields) {
      if (SKB_CTX_OUT.has(f.name.replace(/\[\d+\]$/, ""))) continue;
      const end = f.offset + Math.max(f.size, f.span ?? 0);
      if (view.subarray(f.offset, end).some((b) => b !== 0)) bad(`__sk_buff.${f.name} cannot be set by a test run; only ${[...SKB_CTX_OUT].join(", ")} can`);
    }
    // Bytes between fields (padding) must be zero too.
    const covered = new Uint8Array(size);
    for (const f of l.fields) covered.fill(1, f.offset, f.offset + Math.max(f.size, f.span ?? 0));
    const pad = view.findIndex((b, i) => b !== 0 && !covered[i]);
    if (pad >= 0) bad(`byte ${pad} of the __sk_buff is padding and must be zero`);
    const ifindex = u32("ifindex");
    if (ifindex > LOOPBACK_IFINDEX) bad(`__sk_buff.ifindex ${ifindex}: the interpreter has only the loopback device (ifindex 1), and the kernel answers ENODEV for a device that does not exist`, "ENODEV");
    const skbLen = data.length - (this.family === "skb_l3" ? ETH_HLEN : 0);
    const wire = u32("wire_len");
    if (wire && (wire < skbLen || wire > GSO_LEGACY_MAX_SIZE)) bad(`__sk_buff.wire_len ${wire} must be 0 or between skb->len (${skbLen}) and ${GSO_LEGACY_MAX_SIZE}`);
    if (u32("gso_segs") > GSO_MAX_SEGS) bad(`__sk_buff.gso_segs ${u32("gso_segs")} is more than ${GSO_MAX_SEGS}`);
  }

  private prepareCtx(ctxIn: Uint8Array | undefined, data: Uint8Array): void {
    const size = this.layout?.size ?? 0;
    // The struct's bytes (a verified program writes nothing else; checked mode faults on anything else).
    this.mem.fill(CTX, this.layout ? Math.min(Math.max(size, 64), CTX_MAX) : CTX_MAX);
    if (ctxIn) {
      this.checkCtxIn(ctxIn, data);
      this.mem.write(CTX, ctxIn.subarray(0, Math.min(size, CTX_MAX)));
    }
    const p = this.packet;
    if (!p) return;
    if (this.family === "xdp") {
      // ctx_in.data is the metadata length (xdp_convert_md_to_buff); the rest are device fields.
      const metalen = ctxIn ? (this.ctxField("data") ?? 0) : 0;
      if (metalen > 255 || metalen % 4 !== 0 || metalen > data.length - 14) throw new BpfkitError(diag("BK5013", { what: `xdp_md.data (metadata length) ${metalen} must be a multiple of 4, at most 255 and leave 14 bytes of packet` }), 2);
      // The metadata is taken from the headroom (bpf_prog_test_run_xdp: headroom -= ctx->data): the first
      // metalen bytes of the input sit just below the usual 256 B of headroom and data starts there.
      if (metalen) {
        this.mem.u8.copyWithin(p.meta - metalen, p.meta, p.dataEnd);
        p.meta -= metalen;
        p.dataEnd -= metalen;
        this.mem.fill(p.dataEnd, metalen);
      }
      p.data = p.meta + metalen;
      if (!ctxIn || !this.ctxField("ingress_ifindex")) this.setCtxField("ingress_ifindex", LOOPBACK_IFINDEX);
    } else {
      const dv = this.mem.dv;
      const frame = p.data - (this.family === "skb_l3" ? 14 : 0);
      const dest = this.mem.read(frame, 6);
      // eth_type_trans against the loopback device: its address and its "broadcast" address are both
      // all-zero, so ff:ff:ff:ff:ff:ff counts as multicast (checked against the kernel).
      const pktType = dest.every((b) => b === 0) ? 0 : dest[0]! & 1 ? 2 : 3;
      this.setCtxField("pkt_type", pktType);
      this.setCtxField("protocol", dv.getUint16(frame + 12, true)); // __be16 as the program reads it
      this.setCtxField("ifindex", LOOPBACK_IFINDEX);
      // qdisc_skb_cb(skb)->pkt_len: skb->len when the test run converts the ctx (no Ethernet header for L3 types).
      const skbLen = data.length - (this.family === "skb_l3" ? ETH_HLEN : 0);
      this.setCtxField("wire_len", ctxIn ? (this.ctxField("wire_len") || skbLen) : skbLen);
      // gso_segs stays what ctx_in says (0 by default), as skb_shinfo(skb)->gso_segs does in test runs.
    }
    this.packetChanged();
  }

  run(options: RunOptions = {}): RunResult {
    const data = options.data ?? new Uint8Array(0);
    const repeat = checkRepeat(options.repeat ?? 1);
    const exec = this.begin(options);
    let res: ExecResult = { r0: 0n, insnCount: 0, stopped: false };
    let t0 = now(), firstRun = 0, lastReport = t0; // now(), not process.hrtime: the runtime also runs in browsers
    const pkt = { addr: 0, len: 0 };
    // Compiled code repeats runs inside WebAssembly (in chunks, so progress is still reported) for as long
    // as they stay there; a run that calls a host helper hands the next one back to this loop.
    const inWasm = this.engine.canRepeat && exec.mode === "fast";
    for (let i = 0, sinceReport = 0; i < repeat; ) {
      // Repeated runs see the packet as the previous run left it (as the kernel's test-run loop does).
      this.capture.tailCalls = 0;
      if (this.capture.locks.size) this.capture.locks.clear();
      exec.regions = this.regions;
      if (this.packet) { pkt.addr = this.packet.data; pkt.len = this.packet.dataEnd - this.packet.data; exec.pkt = pkt; }
      let done = 1;
      if (i > 0 && inWasm) ({ done, res } = this.engine.repeatRuns(this.main, RUN_ARGS, exec, Math.min(repeat - i, 4096)));
      else res = this.engine.exec(this.main, RUN_ARGS, exec);
      i += done;
      sinceReport += done;
      if (i === 1) {
        const t = now();
        firstRun = (t - t0) * 1e6;
        t0 = t;
      } else if (sinceReport >= 4096 && options.onProgress) {
        sinceReport = 0;
        const t = now();
        if (t - lastReport >= (options.progressEveryMs ?? 1000)) { lastReport = t; options.onProgress(i, repeat); }
      }
    }
    const duration = repeat > 1 ? ((now() - t0) * 1e6) / (repeat - 1) : firstRun;
    return this.result(res, data, options.ctx, duration, firstRun);
  }

  /**
   * Run the program one instruction at a time (checked mode, the interpreter), for debuggers and the
   * playground: see step.ts. Maps keep their contents between runs and steppers, as they do between run() calls.
   */
  debug(options: Omit<RunOptions, "repeat" | "mode"> = {}): Stepper {
    if (this.executor === "compiled") throw new BpfkitError(diag("BK5013", { what: "stepping needs the interpreter: load the program with executor 'interp'" }), 2);
    const exec = this.begin({ ...options, mode: "checked" });
    if (this.packet) exec.pkt = { addr: this.packet.data, len: this.packet.dataEnd - this.packet.data };
    this.engine.begin(this.main, RUN_ARGS, exec);
    return new Stepper(this, this.engine, this.main, (res) => this.result(res, options.data ?? new Uint8Array(0), options.ctx, 0, 0));
  }

  /** Everything before the first instruction of a run: mode, CPU, packet, context, regions. */
  private begin(options: RunOptions): ExecOptions {
    const data = options.data ?? new Uint8Array(0);
    this.runMode = options.mode ?? this.mode;
    if (this.executor === "compiled" && this.runMode === "checked") {
      throw new BpfkitError(diag("BK5013", { what: "checked mode needs the interpreter: compiled code runs with fast mode's semantics" }), 2);
    }
    this.useCpu(options.cpu);
    this.capture = { trace: [], tailCalls: 0, locks: new Set() };
    for (const m of this.maps.values()) if (m instanceof PerfEventArrayMap) m.samples.length = 0;
    this.preparePacket(data);
    this.prepareCtx(options.ctx, data);
    // the context as the program gets it, to name the fields it changed (a copy of at most CTX_MAX bytes)
    this.ctxStart = this.layout ? this.mem.read(CTX, Math.min(this.layout.size, CTX_MAX)) : undefined;
    this.refreshRegions();
    return { mode: this.runMode, budget: options.budget ?? this.budget, regions: this.regions };
  }

  /** The test-run output of a finished run. */
  private result(res: ExecResult, data: Uint8Array, ctx: Uint8Array | undefined, duration: number, firstRun: number): RunResult {
    const retval = Number(res.r0 & 0xffffffffn);
    const out: RunResult = {
      retval, r0: res.r0, data: this.outputData(data), trace: this.capture.trace, duration, firstRun, insnCount: res.insnCount,
      perf: [], ringbuf: [],
    };
    const code = this.progType.returnCodes.find((c) => (c.value >>> 0) === retval);
    if (code) out.action = code.name;
    if (this.capture.redirect) out.redirect = this.capture.redirect;
    if (this.layout) {
      out.ctx = this.outputCtx(ctx);
      if (this.ctxStart) {
        const changes = contextChanges(this.layout, this.ctxStart, this.mem.read(CTX, this.ctxStart.length));
        if (changes.length) out.ctxChanges = changes;
      }
    }
    for (const m of this.maps.values()) {
      if (m instanceof PerfEventArrayMap) out.perf.push(...m.samples.map((s) => ({ map: m.name, cpu: s.cpu, data: s.data })));
      if (m instanceof RingbufMap) out.ringbuf.push(...m.drain().map((d) => ({ map: m.name, data: d })));
    }
    return out;
  }

  /**
   * Run many inputs, once each, in order (maps carry over); an input that faults gets its error and the
   * batch goes on. Compiled XDP programs run whole chunks of packets inside WebAssembly (runWasmBatch).
   */
  runBatch(inputs: readonly RunOptions[]): BatchResult[] {
    if (this.canBatchInWasm(inputs)) return (this.runsInPlace && this.runInPlaceBatch(inputs)) || this.runWasmBatch(inputs);
    const out: BatchResult[] = [];
    for (const input of inputs) {
      try {
        out.push({ ok: true, result: this.run({ ...input, repeat: 1 }) });
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        out.push({ ok: false, error: err });
      }
    }
    return out;
  }

  /** The return code's name (XDP_PASS...) for this program's type. */
  actionOf(retval: number): string | undefined { return this.actionNames.get(retval >>> 0); }

  /** Return code -> name, for results made in bulk. */
  private get actionNames(): Map<number, string> {
    return (this.actionNameCache ??= new Map(this.progType.returnCodes.map((c) => [c.value >>> 0, c.name])));
  }
  private actionNameCache: Map<number, string> | undefined;

  private xdpBatchLayout(l: ContextLayout): XdpBatchLayout {
    const off = (name: string): number => fieldByName(l, name)!.offset;
    return { ctxSize: Math.min(l.size, CTX_MAX), data: off("data"), dataEnd: off("data_end"), dataMeta: off("data_meta"), ingressIfindex: off("ingress_ifindex"),
      headroom: XDP_HEADROOM, bufSize: PAGE, ifindex: LOOPBACK_IFINDEX };
  }

  /** What the WebAssembly batch driver reproduces of run(): XDP, no ctx_in, one CPU, no perf or ring buffer output. */
  private canBatchInWasm(inputs: readonly RunOptions[]): boolean {
    if (!this.engine.batch || this.family !== "xdp" || inputs.length === 0) return false;
    const cpu = inputs[0]!.cpu ?? 0;
    if (cpu >= this.cpus) return false;
    for (const m of this.maps.values()) if (m instanceof PerfEventArrayMap || m instanceof RingbufMap) return false;
    const max = PAGE - XDP_HEADROOM - SHINFO;
    return inputs.every((i) => !i.ctx && (i.cpu ?? 0) === cpu && (i.mode ?? "fast") === "fast" && i.budget === undefined &&
      (i.data?.length ?? 0) >= (this.progType.testRun.minDataSize ?? ETH_HLEN) && (i.data?.length ?? 0) <= max);
  }

  private batch: {
    desc: number; inRecs: number; outRecs: number; inArena: number; outArena: number;
    active: boolean; current: number;
    captures: Map<number, { capture: RunCapture; nested: number }>;
    /** The packets run where they lie (batchInPlace): the host's packet is the packet itself. */
    inPlace: boolean;
  } | undefined;

  /** The first helper call of each packet: the host's packet state and capture follow the driver. */
  private syncBatchPacket(): void {
    const b = this.batch!;
    const cur = this.mem.u32[(b.desc + BATCH.CURRENT) >> 2]!;
    if (cur === b.current) return;
    this.finishBatchPacket();
    b.current = cur;
    this.capture = { trace: [], tailCalls: 0, locks: new Set() };
    this.engine.clearHostError();
    const start = this.ctxField("data")!, end = this.ctxField("data_end")!;
    this.packet = b.inPlace
      ? { frame: start, frameEnd: end, minData: start, maxEnd: end, meta: start, data: start, dataEnd: end, kind: "xdp" }
      : {
        frame: this.pktBuf, frameEnd: this.pktBuf + PAGE, minData: this.pktBuf + XDP_FRAME_ROOM, maxEnd: this.pktBuf + PAGE - SHINFO,
        meta: start, data: start, dataEnd: end, kind: "xdp",
      };
  }
  private finishBatchPacket(): void {
    const b = this.batch!;
    if (b.current >= 0) b.captures.set(b.current, { capture: this.capture, nested: this.engine.nested });
  }

  private static readonly BATCH_CHUNK = 1024;
  private static readonly IN_PLACE_CHUNK = 8192;

  /** runBatch through the in-place driver (loadPackets, runArena) in chunks; undefined when it cannot take them. */
  private runInPlaceBatch(inputs: readonly RunOptions[]): BatchResult[] | undefined {
    const out = new Array<BatchResult>(inputs.length);
    const cpu = inputs[0]!.cpu ?? 0;
    for (let from = 0; from < inputs.length; from += RuntimeProgram.IN_PLACE_CHUNK) {
      const n = Math.min(RuntimeProgram.IN_PLACE_CHUNK, inputs.length - from);
      const arena = this.loadPackets(inputs.slice(from, from + n).map((x) => x.data!));
      if (!arena) { if (from === 0) return undefined; throw new Error("runtime: a batch chunk could not be laid out in place"); }
      const run = this.runArena(arena, { cpu });
      // The output records the copy driver writes (status, r0, count, offset, length), so results share BatchRun.
      const recs = new Uint32Array(n * (BATCH.OUT_REC / 4));
      for (let k = 0, r = 0; k < n; k++, r += BATCH.OUT_REC / 4) {
        recs[r + 1] = run.retval[k]!; recs[r + 2] = run.r0high[k]!; recs[r + 3] = run.insnCount[k]!;
        recs[r + 4] = arena.offsets[k]!; recs[r + 5] = arena.lengths[k]!;
      }
      const chunk: BatchChunk = { recs, arena: run.output(), ctxSize: this.layout!.size, duration: run.duration, names: this.actionNames };
      const caps = run.captures.size ? run.captures : undefined, errs = run.errors.size ? run.errors : undefined;
      for (let k = 0; k < n; k++) {
        const err = errs?.get(k);
        // insnCount in the record already has the nested count added (runArena); BatchRun adds cap.nested again.
        const cap = caps?.get(k);
        out[from + k] = err ? { ok: false, error: err } : { ok: true, result: new BatchRun(chunk, k * (BATCH.OUT_REC / 4), cap && { capture: cap.capture, nested: 0 }) };
      }
    }
    return out;
  }

  private runWasmBatch(inputs: readonly RunOptions[]): BatchResult[] {
    const CHUNK = RuntimeProgram.BATCH_CHUNK;
    const mem = this.mem;
    const b = this.batchState();
    if (!b.inRecs) {
      b.inRecs = mem.alloc(CHUNK * BATCH.IN_REC, 8, "batch inputs");
      b.outRecs = mem.alloc(CHUNK * BATCH.OUT_REC, 8, "batch outputs");
      b.inArena = mem.alloc(CHUNK * (PAGE - XDP_HEADROOM - SHINFO), 8, "batch packets");
      b.outArena = mem.alloc(CHUNK * PAGE, 8, "batch output packets");
    }
    b.inPlace = false;
    if (this.pktCap < PAGE) { this.pktBuf = mem.alloc(PAGE, 64, "packet buffer"); this.pktCap = PAGE; }
    this.prepareFastBatch(inputs[0]!.cpu);
    const u32 = mem.u32, d = b.desc >> 2;
    u32[d + BATCH.PKT_BUF / 4] = this.pktBuf;
    u32[d + BATCH.IN_RECS / 4] = b.inRecs;
    u32[d + BATCH.OUT_RECS / 4] = b.outRecs;
    u32[d + BATCH.OUT_ARENA / 4] = b.outArena;
    u32[d + BATCH.MAY_GOTO / 4] = MAY_GOTO_BUDGET;
    u32[d + BATCH.DIRTY / 4] = 1;
    const out = new Array<BatchResult>(inputs.length);
    const layout = this.layout!;
    for (let from = 0; from < inputs.length; from += CHUNK) {
      const n = Math.min(CHUNK, inputs.length - from);
      let at = b.inArena;
      for (let i = 0; i < n; i++) {
        const data = inputs[from + i]!.data!;
        mem.u8.set(data, at);
        u32[(b.inRecs >> 2) + i * 2] = at;
        u32[(b.inRecs >> 2) + i * 2 + 1] = data.length;
        at += data.length;
      }
      u32[d + BATCH.OUT_POS / 4] = 0;
      b.active = true;
      b.current = -1;
      b.captures = new Map(); // a fresh map: the results of earlier chunks keep theirs
      this.capture = { trace: [], tailCalls: 0, locks: new Set() };
      this.engine.clearHostError();
      const errors = new Map<number, Error>();
      const t0 = now();
      let i = 0;
      while (i < n) {
        let stop: number;
        try {
          stop = this.engine.batch!(b.desc, i, n);
        } catch (err) {
          const at = u32[d + BATCH.CURRENT / 4]!;
          const e = this.engine.trapError(err);
          if (!(e instanceof Error)) throw e;
          errors.set(at, e);
          u32[d + BATCH.DIRTY / 4] = 1;
          this.engine.clearHostError();
          i = at + 1;
          continue;
        }
        if (stop >= n) break;
        const status = u32[(b.outRecs >> 2) + stop * (BATCH.OUT_REC / 4)]!;
        errors.set(stop, this.engine.statusError(status, this.budget, Number(mem.ctrl64("COUNT")) + this.engine.nested));
        u32[d + BATCH.DIRTY / 4] = 1;
        this.engine.clearHostError();
        i = stop + 1;
      }
      const per = ((now() - t0) * 1e6) / n;
      this.finishBatchPacket();
      b.active = false;
      // Records and output bytes are copied out once per chunk; each result reads its part lazily.
      const arena = mem.read(b.outArena, u32[d + BATCH.OUT_POS / 4]!);
      const recs = new Uint32Array(mem.read(b.outRecs, n * BATCH.OUT_REC).buffer);
      const chunk: BatchChunk = { recs, arena, ctxSize: layout.size, duration: per, names: this.actionNames };
      const caps = b.captures.size ? b.captures : undefined, errs = errors.size ? errors : undefined;
      for (let k = 0; k < n; k++) {
        const err = errs?.get(k);
        out[from + k] = err ? { ok: false, error: err } : { ok: true, result: new BatchRun(chunk, k * (BATCH.OUT_REC / 4), caps?.get(k)) };
      }
    }
    return out;
  }

  // ---- packets run in place (compiled XDP programs that cannot move the packet) ----

  /** Whether loadPackets() can lay batches out to run in place: see canBatchInWasm() for what else must hold. */
  get runsInPlace(): boolean { return this.engine.batchInPlace !== undefined; }
  private arenaArea: { addr: number; cap: number } | undefined;
  private arenaGeneration = 0;

  /**
   * Lay `packets` out once in this runtime's memory to run where they lie (runArena), or undefined when this
   * runtime cannot (not compiled XDP, a program that may move the packet, perf or ring buffer maps, a packet
   * the test run would refuse): the caller then runs them one by one. A later load replaces this one.
   */
  loadPackets(packets: PacketList): PacketArena | undefined {
    if (!this.runsInPlace) return undefined;
    const n = packetCount(packets);
    if (n === 0) return undefined;
    for (const m of this.maps.values()) if (m instanceof PerfEventArrayMap || m instanceof RingbufMap) return undefined;
    const min = this.progType.testRun.minDataSize ?? ETH_HLEN, max = PAGE - XDP_HEADROOM - SHINFO;
    // One allocation for every per-packet array of the batch (a large typed array costs more to make than
    // a short program costs to run).
    const all = new Uint32Array(5 * n);
    const lengths = all.subarray(0, n), offsets = all.subarray(n, 2 * n);
    const spans = isSpans(packets) ? packets : undefined, list = spans ? undefined : packets as readonly Uint8Array[];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const len = spans ? spans.lengths[i]! : list![i]!.length;
      if (len < min || len > max) return undefined;
      lengths[i] = len;
      if (spans) {
        const off = (offsets[i] = spans.offsets[i]!);
        if (off + len > spans.bytes.length) throw new BpfkitError(diag("BK5013", { what: `packet ${i} (offset ${off}, ${len} bytes) is past the end of the ${spans.bytes.length}-byte buffer` }), 2);
      } else bytes += (len + 7) & ~7;
    }
    if (spans) bytes = spans.bytes.length;
    const area = ((bytes + 7) & ~7) || 8;
    const need = 2 * area + n * (BATCH.IN_REC + 12);
    const mem = this.mem;
    if (!this.arenaArea || this.arenaArea.cap < need) {
      // The bump allocator never frees: grow by at least half, so a growing series of batches wastes little.
      const cap = Math.max(need, Math.floor((this.arenaArea?.cap ?? 0) * 1.5), 1 << 16);
      this.arenaArea = { addr: mem.alloc(cap, 8, "packet batch"), cap };
    }
    const orig = this.arenaArea.addr, work = orig + area, recs = work + area, rets = recs + n * BATCH.IN_REC, highs = rets + n * 4, counts = highs + n * 4;
    const u8 = mem.u8, u32 = mem.u32;
    if (spans) {
      u8.set(spans.bytes, orig);
      for (let i = 0, r = recs >> 2; i < n; i++, r += 2) { u32[r] = work + offsets[i]!; u32[r + 1] = lengths[i]!; }
    } else {
      for (let i = 0, r = recs >> 2, off = 0; i < n; i++, r += 2) {
        const p = list![i]!;
        offsets[i] = off;
        u8.set(p, orig + off);
        u32[r] = work + off; u32[r + 1] = p.length;
        off += (p.length + 7) & ~7;
      }
    }
    u8.copyWithin(work, orig, orig + bytes);
    return {
      count: n, offsets, lengths, orig, work, bytes, recs, rets, highs, counts, generation: ++this.arenaGeneration, runs: 0,
      retval: all.subarray(2 * n, 3 * n), r0high: all.subarray(3 * n, 4 * n), insnCount: all.subarray(4 * n),
    };
  }

  /**
   * Run every packet of `arena` once, in order, where it lies (maps carry over). `restore` (default): each
   * packet as loaded; false: as this arena's previous run left it (what BPF_PROG_TEST_RUN's repeat does).
   */
  runArena(arena: PacketArena, options: { restore?: boolean; cpu?: number } = {}): ArenaRun {
    if (arena.generation !== this.arenaGeneration) throw new BpfkitError(diag("BK5013", { what: "this packet batch was replaced by a later one loaded into the same engine; load it again" }), 2);
    const mem = this.mem;
    this.prepareFastBatch(options.cpu);
    if ((options.restore ?? true) && arena.runs > 0) mem.u8.copyWithin(arena.work, arena.orig, arena.orig + arena.bytes);
    arena.runs++;
    const b = this.batchState();
    b.inPlace = true;
    const u32 = mem.u32, d = b.desc >> 2, n = arena.count;
    u32[d + BATCH.IN_RECS / 4] = arena.recs;
    u32[d + BATCH.RETS / 4] = arena.rets;
    u32[d + BATCH.COUNTS / 4] = arena.counts;
    u32[d + BATCH.HIGHS / 4] = arena.highs;
    u32[d + BATCH.MAY_GOTO / 4] = MAY_GOTO_BUDGET;
    b.active = true;
    b.current = -1;
    const captures = new Map<number, { capture: RunCapture; nested: number }>();
    b.captures = captures;
    this.capture = { trace: [], tailCalls: 0, locks: new Set() };
    this.engine.clearHostError();
    const errors = new Map<number, Error>();
    const go = this.engine.batchInPlace!;
    const t0 = now();
    let i = 0;
    try {
      while (i < n) {
        let stop: number;
        try {
          stop = go(b.desc, i, n);
        } catch (err) {
          const at = u32[d + BATCH.CURRENT / 4]!;
          const e = this.engine.trapError(err);
          if (!(e instanceof Error)) throw e;
          errors.set(at, e);
          this.engine.clearHostError();
          i = at + 1;
          continue;
        }
        if (stop >= n) break;
        errors.set(stop, this.engine.statusError(u32[d + BATCH.STATUS / 4]!, this.budget, Number(mem.ctrl64("COUNT")) + this.engine.nested));
        this.engine.clearHostError();
        i = stop + 1;
      }
    } finally {
      this.finishBatchPacket();
      b.active = false;
    }
    const duration = ((now() - t0) * 1e6) / n;
    const { retval, r0high, insnCount } = arena;
    retval.set(u32.subarray(arena.rets >> 2, (arena.rets >> 2) + n));
    r0high.set(u32.subarray(arena.highs >> 2, (arena.highs >> 2) + n));
    insnCount.set(u32.subarray(arena.counts >> 2, (arena.counts >> 2) + n));
    for (const k of errors.keys()) { retval[k] = 0; r0high[k] = 0; }
    for (const [k, c] of captures) insnCount[k] = insnCount[k]! + c.nested;
    const generation = arena.generation, runs = arena.runs;
    let out: Uint8Array | undefined;
    const output = (): Uint8Array => {
      if (out) return out;
      if (arena.generation !== this.arenaGeneration || arena.runs !== runs || generation !== arena.generation) {
        throw new BpfkitError(diag("BK5013", { what: "the output packets of this batch run are gone: the batch ran again (or another was loaded) before they were read" }), 2);
      }
      return (out = mem.read(arena.work, arena.bytes));
    };
    return { retval, r0high, insnCount, run: runs, errors, captures, duration, output };
  }

  /** The CPU a run executes on (bpf_get_smp_processor_id, per-CPU maps), also told to the code in WebAssembly. */
  private useCpu(cpu: number | undefined): void {
    const c = cpu ?? 0;
    if (c >= this.cpus) throw new BpfkitError(diag("BK5013", { what: `cpu ${c} does not exist (runtime has ${this.cpus})` }), 2);
    this.currentCpu = c;
    this.mem.setCtrl32("CPU", c);
  }

  /** What every batch driver needs before its first packet: fast mode, the CPU, the run budget. */
  private prepareFastBatch(cpu: number | undefined): void {
    this.runMode = "fast";
    this.useCpu(cpu);
    this.mem.setCtrl64("BUDGET", BigInt(this.budget));
    this.engine.prepare("fast", this.budget);
  }

  /** The batch descriptor (and the host's per-batch state), made once. */
  private batchState(): NonNullable<RuntimeProgram["batch"]> {
    this.batch ??= {
      desc: this.mem.alloc(BATCH.SIZE, 8, "batch descriptor"), inRecs: 0, outRecs: 0, inArena: 0, outArena: 0,
      active: false, current: -1, captures: new Map(), inPlace: false,
    };
    return this.batch;
  }

  private outputData(input: Uint8Array): Uint8Array {
    const p = this.packet;
    if (!p) return input.slice();
    const start = this.family === "xdp" ? p.meta : p.data - (this.family === "skb_l3" ? 14 : 0);
    const out = this.mem.read(start, p.dataEnd - start);
    // Types that see the packet from L3 get the Ethernet header back zeroed (test_run pushes an empty one).
    if (this.family === "skb_l3") out.fill(0, 0, 14);
    return out;
  }

  /**
   * ctx_out as BPF_PROG_TEST_RUN fills it (checked against the kernel): for skb types only the fields
   * convert_skb_to___skb copies back; for XDP the device fields as passed in, with the pointers zeroed.
   */
  private outputCtx(ctxIn: Uint8Array | undefined): Uint8Array {
    const l = this.layout!;
    const bytes = this.mem.read(CTX, l.size);
    if (this.family === "skb_l2" || this.family === "skb_l3") {
      const out = new Uint8Array(l.size);
      for (const f of l.fields) {
        if (SKB_CTX_OUT.has(f.name.replace(/\[\d+\]$/, ""))) out.set(bytes.subarray(f.offset, f.offset + f.size), f.offset);
      }
      return out;
    }
    if (this.family === "xdp") {
      const out = new Uint8Array(l.size);
      if (!ctxIn) return out;
      out.set(ctxIn.subarray(0, l.size));
      for (const f of l.fields) if (f.pointer) out.fill(0, f.offset, f.offset + f.size);
      // xdp_convert_buff_to_md: data and data_end come back as offsets from data_meta (checked against the kernel).
      const p = this.packet!;
      const dv = new DataView(out.buffer);
      const data = fieldByName(l, "data"), end = fieldByName(l, "data_end");
      if (data) dv.setUint32(data.offset, p.data - p.meta, true);
      if (end) dv.setUint32(end.offset, p.dataEnd - p.meta, true);
      return out;
    }
    for (const f of l.fields) if (f.pointer || f.name === "flow_keys") bytes.fill(0, f.offset, f.offset + f.size);
    return bytes;
  }

  /** A loaded program (the main one or one of `others`) by name. */
  programByName(name: string): Program | undefined { return this.programs.get(name)?.program; }

  /** The code of a loaded program by name (tests seed prog_array slots with these names). */
  programNames(): string[] { return [...this.programs.keys()]; }
}

export type BatchResult = { ok: true; result: RunResult } | { ok: false; error: Error };

const NO_TRACE: string[] = [];
/** What the packets of one WebAssembly batch chunk share: their output records and bytes, copied out once. */
interface BatchChunk {
  readonly recs: Uint32Array;
  readonly arena: Uint8Array;
  readonly ctxSize: number;
  readonly duration: number;
  readonly names: Map<number, string>;
}
/**
 * One packet's result of a WebAssembly batch, materialised on access (a batch can be millions of packets):
 * one small object per packet (its chunk, its record, the host's capture when a helper ran), since
 * allocating and keeping per-packet objects is most of a batch's cost in JavaScript.
 */
class BatchRun implements RunResult {
  constructor(private readonly chunk: BatchChunk, private readonly at: number, private readonly cap: { capture: RunCapture; nested: number } | undefined) {}
  get retval(): number { return this.chunk.recs[this.at + 1]!; }
  get r0(): bigint { const r = this.chunk.recs; return (BigInt(r[this.at + 2]!) << 32n) | BigInt(r[this.at + 1]!); }
  get action(): string | undefined { return this.chunk.names.get(this.retval); }
  get data(): Uint8Array { const r = this.chunk.recs, off = r[this.at + 4]!; return this.chunk.arena.subarray(off, off + r[this.at + 5]!); }
  /** XDP without ctx_in: BPF_PROG_TEST_RUN gives back no context fields. */
  get ctx(): Uint8Array { return new Uint8Array(this.chunk.ctxSize); }
  get trace(): string[] { return this.cap?.capture.trace ?? NO_TRACE; }
  get redirect(): Redirect | undefined { return this.cap?.capture.redirect; }
  get duration(): number { return this.chunk.duration; }
  get firstRun(): number { return this.chunk.duration; }
  get insnCount(): number { return this.chunk.recs[this.at + 3]! + (this.cap?.nested ?? 0); }
  /** Batches run only when no map produces perf or ring buffer output (canBatchInWasm): always empty. */
  get perf(): RunResult["perf"] { return []; }
  get ringbuf(): RunResult["ringbuf"] { return []; }
  toJSON(): object {
    return { retval: this.retval, r0: this.r0.toString(), action: this.action, data: this.data, ctx: this.ctx, trace: this.trace, redirect: this.redirect, duration: this.duration, insnCount: this.insnCount };
  }
}

/**
 * Whether `p` calls a helper that may move the packet's start or end (bpf_helper_changes_pkt_data, less
 * tail calls: their targets are checked themselves), or a helper chosen at run time (callx).
 */
function movesPacket(p: Program): boolean {
  for (const i of p.insns) {
    if (i.opcode === 0x8d) return true;
    if (i.opcode !== 0x85 || i.src !== 0) continue;
    const short = helperName(i.imm)?.replace(/^bpf_/, "");
    if (short === undefined || (short !== "tail_call" && CHANGES_PKT_DATA.has(short))) return true;
  }
  return false;
}

/** `repeat` as every engine takes it: an integer from 1 to MAX_REPEAT (BK5013 otherwise). */
export function checkRepeat(repeat: number): number {
  if (repeat === 0) return 1; // as the kernel: repeat 0 runs once
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) {
    throw new BpfkitError(diag("BK5013", { what: `repeat must be an integer from 1 to ${MAX_REPEAT} (BPF_PROG_TEST_RUN's repeat is a u32), not ${repeat}` }), 2);
  }
  return repeat;
}

/** Load a program (and optionally its siblings, for tail calls) into a fresh runtime. */
export function loadProgram(program: Program, options: LoadOptions = {}): RuntimeProgram {
  return new RuntimeProgram(program, options);
}

export type { Instruction };
export { PSEUDO };
