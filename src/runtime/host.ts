// The host side of every run: one runtime memory holding several programs, each with its own program type
// and context layout, sharing their object's maps by name (as libbpf loads an object). It checks each
// program's helper calls against its type, finds maps by the handle a program passes, keeps the
// deterministic clock and PRNG, switches programs on tail calls, runs callbacks, reads and writes the
// running program's context fields and keeps checked mode's regions. RuntimeProgram (runtime.ts: one
// program and its tail-call targets behind the test-run API) and the socket world (src/sockets: the
// sockops, sk_msg, sk_skb and sock_addr programs of one object) are both built on it, and both may run
// their programs in the interpreter or compiled (`compile`).
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { isHelperAllowed } from "../helpers/table.js";
import { HELPER_IMPLS, type HelperCall, type HelperImpl, type PacketState, type RunCapture, type RuntimeHost } from "../helpers/impl/index.js";
import { helperName } from "../isa/index.js";
import { createRuntimeMap, ArrayOfMapsMap, HashOfMapsMap, ProgArrayMap, RingbufMap, ArrayMap, u32Bytes, type RuntimeMap } from "../maps/runtime/index.js";
import type { Program } from "../program/program.js";
import { contextLayout, fieldByName, progTypeByName, resolveSection, type ContextLayout, type ProgTypeInfo } from "../progtypes/index.js";
import type { XdpBatchLayout } from "../compiler/index.js";
import { Engine, type CompileStats, type ExecResult, type LoadedCode, type Mode } from "./engine.js";
import { CTX, CTX_MAX, R_READ, R_WRITE } from "./layout.js";
import { ctxRegion, type Region } from "./memory.js";

const MAX_TAIL_CALLS = 33;
const NO_REGIONS: Region[] = [];

/** A program type by section or type name, with the attach type a section implies. */
export interface ResolvedType { info: ProgTypeInfo; attachType?: number }

/** Resolve a program type by section or type name; BK5012 when unknown. */
export function resolveProgType(name: string): ResolvedType {
  const info = progTypeByName(name);
  if (!info) throw new BpfkitError(diag("BK5012", { type: name || "(none)" }, {}, "give the type with --type (xdp, tc, socket, cgroup_skb/ingress, ...)"), 2);
  const sec = resolveSection(name);
  return sec?.attachType !== undefined ? { info, attachType: sec.attachType } : { info };
}

/** A program loaded into a host: its type, context layout and pre-decoded code. */
export interface HostProgram {
  readonly name: string;
  readonly program: Program;
  readonly info: ProgTypeInfo;
  readonly attachType: number | undefined;
  readonly layout: ContextLayout | undefined;
  readonly code: LoadedCode;
  /** Checked mode's view of the context: field by field, with the type's read/write rules. */
  readonly ctxRegions: Region[];
  /** Context field addresses and sizes by name (looked up on first use). */
  readonly ctxFields: Map<string, { addr: number; size: number } | undefined>;
}

export interface HostOptions {
  /** Virtual CPUs (per-CPU maps keep one value each; default 4). */
  cpus?: number;
  /** PRNG seed for bpf_get_prandom_u32. */
  seed?: number;
  /** Start of the deterministic clock in ns, and how far it advances on each read. */
  clockStart?: bigint;
  clockStep?: bigint;
  /** Implementations that replace the generic ones of src/helpers/impl, by name without `bpf_`. */
  helpers?: ReadonlyMap<string, HelperImpl>;
}

/** What a run with a prepared context gives back. */
export interface ContextRunResult { r0: bigint; ctx: Uint8Array; insns: number }

export class ProgramHost implements RuntimeHost {
  readonly engine = new Engine();
  readonly maps = new Map<string, RuntimeMap>();
  /** Loaded programs by name (tail calls and the owner find them here). */
  readonly programs = new Map<string, HostProgram>();
  /** Programs loaded beside the main one that the runtime could not load, with the reasons (raised on a tail call into one). */
  readonly unloadable = new Map<string, Diagnostic[]>();
  readonly cpus: number;
  readonly ctxAddr = CTX;
  readonly task = { pid: 4242, tgid: 4242, uid: 0, gid: 0, comm: "bpfkit" };
  capture: RunCapture = { trace: [], tailCalls: 0, locks: new Set() };
  packet: PacketState | undefined;
  /** The program a run started with (helpers read and write its context fields). */
  running: HostProgram | undefined;
  /** Memory a run may address besides the context, the packet and map values (checked mode). */
  extraRegions: Region[] = NO_REGIONS;
  /** How the programs were compiled, once `compile` ran. */
  compileStats: CompileStats | undefined;
  protected runMode: Mode = "checked";
  protected regions: Region[] = NO_REGIONS;
  protected currentCpu = 0;
  private clock: bigint;
  private readonly clockStep: bigint;
  private rng: number;
  private readonly mapsByHandle = new Map<number, RuntimeMap>();
  private readonly impls = new Map<number, HelperImpl>();
  private readonly overrides: ReadonlyMap<string, HelperImpl> | undefined;

  constructor(options: HostOptions = {}) {
    this.cpus = options.cpus ?? 4;
    this.clock = options.clockStart ?? 1_000_000_000n;
    this.clockStep = options.clockStep ?? 1000n;
    this.rng = (options.seed ?? 0x2545f491) >>> 0 || 1;
    this.overrides = options.helpers;
    this.engine.dispatch = (id, at) => this.callHelper(id, at.pc);
  }

  // ---- loading ----

  /** Create the maps every program declares (one map per name, shared), then fill map-in-map slots. */
  addMaps(programs: readonly Program[]): void {
    for (const p of programs) for (const spec of p.maps) {
      if (this.maps.has(spec.name)) continue;
      const m = createRuntimeMap(spec, { mem: this.engine.mem, cpus: this.cpus, cpu: () => this.currentCpu });
      this.maps.set(spec.name, m);
      this.mapsByHandle.set(m.handle, m);
    }
    // Map-in-map initial values name other maps of the object (libbpf's `.values = { [i] = &inner }`).
    for (const m of this.maps.values()) {
      if (!(m instanceof ArrayOfMapsMap) && !(m instanceof HashOfMapsMap)) continue;
      for (const slot of m.spec.initialSlots ?? []) {
        const inner = this.maps.get(slot.target);
        if (!inner) throw new BpfkitError(diag("BK5014", { map: m.name, what: `slot ${slot.index} names map '${slot.target}', which the program does not declare` }), 2);
        if (m instanceof ArrayOfMapsMap) m.setInner(slot.index, inner);
        else m.setInner(u32Bytes(slot.index).subarray(0, m.spec.keySize), inner);
      }
    }
  }

  /**
   * Load `p` as a program of `type` (its maps must have been added): every helper call is checked
   * against the type (problems appended; nothing is loaded then), the code is pre-decoded.
   */
  addProgram(p: Program, type: ResolvedType, problems: Diagnostic[]): HostProgram | undefined {
    if (!this.checkHelpers(p, type, problems)) return undefined;
    const mapAt = (index: number, pc: number): RuntimeMap => {
      const spec = p.maps[index];
      if (!spec) throw new BpfkitError(diag("BK5004", { index, count: p.maps.length }, { pc }), 1);
      return this.maps.get(spec.name)!;
    };
    const code = this.engine.load(p.name, p.insns, {
      mapHandle: (index, pc) => BigInt(mapAt(index, pc).handle),
      mapValue: (index, offset, pc) => {
        const m = mapAt(index, pc);
        if (!(m instanceof ArrayMap)) throw new BpfkitError(diag("BK5014", { map: m.name, what: "a direct value address (lddw map_value) needs an array map" }, { pc }), 1);
        return BigInt(m.valueAddress(offset));
      },
    });
    const layout = contextLayout(type.info.id, type.attachType);
    const loaded: HostProgram = {
      name: p.name, program: p, info: type.info, attachType: type.attachType, layout, code,
      ctxRegions: ctxRegions(layout), ctxFields: new Map(),
    };
    this.programs.set(p.name, loaded);
    return loaded;
  }

  private checkHelpers(p: Program, type: ResolvedType, problems: Diagnostic[]): boolean {
    const before = problems.length;
    let pc = 0;
    for (const i of p.insns) {
      if (i.opcode === 0x85 && i.src === 0) {
        const name = helperName(i.imm);
        const short = name?.replace(/^bpf_/, "");
        if (!name || !short) problems.push(diag("BK5010", { name: `#${i.imm}`, id: i.imm }, { pc }, "no kernel helper has this number"));
        else if (!isHelperAllowed(type.info.id, i.imm, type.attachType)) problems.push(diag("BK5011", { name, id: i.imm, progType: type.info.name }, { pc }));
        else {
          const impl = this.overrides?.get(short) ?? HELPER_IMPLS.get(short);
          if (!impl) problems.push(diag("BK5010", { name, id: i.imm }, { pc }, this.programs.size ? `program '${p.name}'` : undefined));
          else this.impls.set(i.imm, impl);
        }
      }
      pc += i.opcode === 0x18 ? 2 : 1;
    }
    return problems.length === before;
  }

  /**
   * Run every loaded program as compiled WebAssembly from now on (src/compiler): same memory, helpers
   * and results, fast mode's semantics. `verified`: every program passed the verifier (the compiler may
   * rely on it). `ctxHook`: context stores go through the engine's `ctxStore`.
   */
  compile(options: { verified: boolean; ctxHook?: boolean; batch?: XdpBatchLayout; inPlace?: boolean }): CompileStats {
    this.compileStats = this.engine.compile({ verified: options.verified, ctxHook: options.ctxHook ?? false, ...(options.batch ? { batch: options.batch, inPlace: options.inPlace ?? false } : {}) });
    return this.compileStats;
  }
  /** The programs run compiled (`compile` ran). */
  get compiled(): boolean { return this.compileStats !== undefined; }

  // ---- running ----

  /**
   * Run `prog` once on a context the caller built (program types without a test run: the socket world's
   * callbacks): the context area holds `ctx`, `packet` (if any) is the packet helpers move, `regions` is
   * what else the program may address. Returns r0 and the context as the program left it.
   */
  runContext(prog: HostProgram, input: { ctx: Uint8Array; packet?: PacketState; regions?: Region[]; mode: Mode; budget: number }): ContextRunResult {
    const mem = this.engine.mem;
    mem.fill(CTX, CTX_MAX);
    mem.write(CTX, input.ctx.subarray(0, CTX_MAX));
    this.running = prog;
    this.packet = input.packet;
    this.capture = { trace: [], tailCalls: 0, locks: new Set() };
    this.runMode = input.mode;
    this.extraRegions = input.regions ?? NO_REGIONS;
    this.refreshRegions();
    const p = input.packet;
    const res: ExecResult = this.engine.exec(prog.code, [BigInt(CTX)], {
      mode: input.mode, budget: input.budget, regions: this.regions, ...(p ? { pkt: { addr: p.data, len: p.dataEnd - p.data } } : {}),
    });
    return { r0: res.r0, ctx: mem.read(CTX, prog.layout?.size ?? 0), insns: res.insnCount };
  }

  /**
   * Checked mode's regions for the running program: its context, `extraRegions`, the packet and every
   * map's values; written to the region table at once (a helper may call this in the middle of a run).
   */
  refreshRegions(): void {
    // Only checked mode looks at regions (and builds its messages from them).
    if (this.runMode !== "checked") { this.regions = NO_REGIONS; return; }
    const prog = this.running;
    const regions: Region[] = prog?.layout ? [...prog.ctxRegions] : [ctxRegion(0, true)];
    regions.push(...this.extraRegions);
    const p = this.packet;
    if (p) {
      regions.push({ kind: "packet", name: "packet", start: p.data, end: p.dataEnd, flags: prog?.info.packetAccess === "read_write" ? R_READ | R_WRITE : R_READ });
      if (p.meta < p.data) regions.push({ kind: "packet", name: "data_meta", start: p.meta, end: p.data, flags: R_READ | R_WRITE });
    }
    for (const m of this.maps.values()) {
      const r = m.valueRegion();
      if (r) regions.push({ kind: m instanceof RingbufMap ? "ringbuf" : "map_value", name: `map ${m.name}`, start: r.start, end: r.end, flags: R_READ | R_WRITE });
    }
    this.regions = regions;
    this.engine.mem.setRegions(regions);
  }

  protected callHelper(id: number, pc: number): bigint {
    const impl = this.impls.get(id);
    const name = helperName(id) ?? `#${id}`;
    if (!impl) throw new BpfkitError(diag("BK5010", { name, id }, { pc }), 1);
    const call: HelperCall = { id, name, pc, args: this.engine.args(), rt: this };
    return BigInt.asUintN(64, impl(call));
  }

  // ---- RuntimeHost ----
  get mem() { return this.engine.mem; }
  get progTypeName(): string { return this.running?.info.name ?? "(no program running)"; }
  cpu(): number { return this.currentCpu; }
  now(): bigint { const t = this.clock; this.clock += this.clockStep; return t; }
  random32(): number {
    // xorshift32: deterministic for a given seed.
    let x = this.rng;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.rng = x;
    return x;
  }
  map(handle: bigint, helper: string): RuntimeMap {
    const m = this.mapsByHandle.get(Number(BigInt.asUintN(32, handle)));
    if (!m) throw new BpfkitError(diag("BK5017", { name: `bpf_${helper}`, id: 0, what: `0x${handle.toString(16)} is not a map` }), 1);
    return m;
  }
  ringbufs(): RingbufMap[] { return [...this.maps.values()].filter((m): m is RingbufMap => m instanceof RingbufMap); }

  /** Address and size of a context field of the running program by name (cached: runs read and write a few). */
  private ctxFieldAt(name: string): { addr: number; size: number } | undefined {
    const prog = this.running;
    if (!prog) return undefined;
    let a = prog.ctxFields.get(name);
    if (a === undefined && !prog.ctxFields.has(name)) {
      const f = prog.layout ? fieldByName(prog.layout, name) : undefined;
      a = f && (f.size === 4 || f.size === 8) ? { addr: CTX + f.offset, size: f.size } : undefined;
      prog.ctxFields.set(name, a);
    }
    return a;
  }
  /** A 32-bit context field (undefined when the layout has none by that name). */
  ctxField(name: string): number | undefined {
    const a = this.ctxFieldAt(name);
    return a && a.size === 4 ? this.mem.u32[a.addr >> 2] : undefined;
  }
  /** Write a context field: 32 bits, or a 64-bit one (a pointer such as sk_msg_md.data) zero-extended. */
  setCtxField(name: string, value: number): void {
    const a = this.ctxFieldAt(name);
    if (!a) return;
    if (a.size === 4) this.mem.u32[a.addr >> 2] = value >>> 0;
    else this.mem.dv.setBigUint64(a.addr, BigInt(value >>> 0), true);
  }
  /** The packet moved (a helper changed data / data_end / data_meta): the context, control block and regions follow. */
  packetChanged(): void {
    const p = this.packet;
    if (!p) return;
    this.setCtxField("data", p.data); this.setCtxField("data_end", p.dataEnd);
    if (p.kind === "xdp") this.setCtxField("data_meta", p.meta);
    else { this.setCtxField("data_meta", p.data); this.setCtxField("len", p.dataEnd - p.data); }
    this.mem.setCtrl32("PKT", p.data);
    this.mem.setCtrl32("PKT_LEN", p.dataEnd - p.data);
    this.refreshRegions();
  }
  tailCall(map: RuntimeMap, index: number): boolean {
    if (!(map instanceof ProgArrayMap)) return false;
    const name = map.programAt(index);
    const target = name === undefined ? undefined : this.programs.get(name);
    const why = name === undefined ? undefined : this.unloadable.get(name);
    if (why) {
      throw new BpfkitError([diag("BK5001", { form: `a tail call into program '${name}'`, why: "the runtime could not load that program" }), ...why], 1);
    }
    if (!target || this.capture.tailCalls >= MAX_TAIL_CALLS) return false;
    this.capture.tailCalls++;
    this.engine.tailCall(target.code);
    return true;
  }
  callback(entry: number, args: bigint[]): bigint { return this.engine.callback(entry, args); }
}

/**
 * Checked mode sees the context field by field, with the program type's read/write rules: a store to
 * xdp_md.data or a read of a field the type hides faults with the field's name. Consecutive elements
 * of one array (cb[0..4]) form one region, so an 8-byte access across two of them is allowed.
 */
function ctxRegions(layout: ContextLayout | undefined): Region[] {
  const out: Region[] = [];
  for (const f of layout?.fields ?? []) {
    const flags = (f.read.length ? R_READ : 0) | (f.write.length ? R_WRITE : 0);
    if (!flags) continue;
    const base = f.name.replace(/\[\d+\]$/, "");
    // the context area is CTX_MAX bytes (every layout fits: test/runtime/ctx-area.test.ts); never past it
    const start = CTX + f.offset, end = Math.min(start + Math.max(f.size, f.span ?? 0), CTX + CTX_MAX);
    if (start >= end) continue;
    const last = out[out.length - 1];
    if (last && last.end === start && last.flags === flags && last.name === `${layout!.struct}.${base}` && base !== f.name) { last.end = end; continue; }
    out.push({ kind: "ctx", name: `${layout!.struct}.${base}`, start, end, flags });
  }
  return out;
}
