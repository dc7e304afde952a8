// The programs of one object loaded into one runtime memory, sharing their maps (as libbpf loads an
// object), each with its own program type and context layout: sockops, sk_msg, sk_skb and sock_addr
// programs run on the same sockhash. The socket world (world.ts) calls `run` for each callback with the
// context bytes it built; helpers reach the socket the run is about through `call`.
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { isHelperAllowed } from "../helpers/table.js";
import { HELPER_IMPLS, type HelperCall, type HelperImpl, type PacketState, type RunCapture, type RuntimeHost } from "../helpers/impl/index.js";
import { helperName } from "../isa/index.js";
import { createRuntimeMap, ArrayMap, ProgArrayMap, RingbufMap, type RuntimeMap } from "../maps/runtime/index.js";
import type { Program } from "../program/program.js";
import { contextLayout, fieldByName, type ContextLayout, type ProgTypeInfo } from "../progtypes/index.js";
import { Engine, type LoadedCode, type Mode } from "../runtime/engine.js";
import { CTX, CTX_MAX, R_READ, R_WRITE } from "../runtime/layout.js";
import type { Region } from "../runtime/memory.js";
import { resolveProgType } from "../runtime/runtime.js";
import { SOCK_HELPERS, type SockCall } from "./helpers.js";

export interface LoadedProg {
  name: string;
  program: Program;
  info: ProgTypeInfo;
  attachType: number | undefined;
  layout: ContextLayout | undefined;
  code: LoadedCode;
  ctxRegions: Region[];
}

export interface RunInput {
  prog: LoadedProg;
  /** The context struct's bytes. */
  ctx: Uint8Array;
  /** sk_skb: the packet (helpers move data/data_end through `packetChanged`). */
  packet?: PacketState;
  /** Other memory the program may address (message data, a TCP header). */
  regions?: Region[];
  call: SockCall;
}

/** How much instruction budget one callback gets. */
const BUDGET = 1_000_000;
const MAX_TAIL_CALLS = 33;

export class ProgramHost implements RuntimeHost {
  readonly engine = new Engine();
  readonly maps = new Map<string, RuntimeMap>();
  readonly programs = new Map<string, LoadedProg>();
  readonly cpus = 1;
  private readonly byHandle = new Map<number, RuntimeMap>();
  private readonly impls = new Map<number, HelperImpl>();
  private clock = 1_000_000_000n;
  private rng = 0x2545f491;
  private regions: Region[] = [];
  capture: RunCapture = { trace: [], tailCalls: 0, locks: new Set() };
  packet: PacketState | undefined;
  /** The socket-world call the running program is part of (socket helpers read it). */
  call: SockCall | undefined;
  /** Memory every run may read: the sockets' `struct bpf_sock` views. */
  fixedRegions: Region[] = [];
  readonly ctxAddr = CTX;
  readonly task = { pid: 4242, tgid: 4242, uid: 0, gid: 0, comm: "bpfkit" };
  readonly trace: string[] = [];

  constructor(programs: readonly Program[], readonly mode: Mode = "checked") {
    for (const p of programs) for (const spec of p.maps) {
      if (this.maps.has(spec.name)) continue;
      const m = createRuntimeMap(spec, { mem: this.engine.mem, cpus: 1, cpu: () => 0 });
      this.maps.set(spec.name, m);
      this.byHandle.set(m.handle, m);
    }
    this.engine.dispatch = (id, at) => this.callHelper(id, at.pc);
    const problems: Diagnostic[] = [];
    for (const p of programs) {
      let resolved: ReturnType<typeof resolveProgType>;
      try { resolved = resolveProgType(p.section); } catch { continue; } // a section the world has no use for
      const { info, attachType } = resolved;
      const before = problems.length;
      this.checkHelpers(p, info, attachType, problems);
      if (problems.length > before) continue;
      const code = this.engine.load(p.name, p.insns, {
        mapHandle: (index, pc) => BigInt(this.mapAt(p, index, pc).handle),
        mapValue: (index, offset, pc) => {
          const m = this.mapAt(p, index, pc);
          if (!(m instanceof ArrayMap)) throw new BpfkitError(diag("BK5014", { map: m.name, what: "a direct value address (lddw map_value) needs an array map" }, { pc }), 1);
          return BigInt(m.valueAddress(offset));
        },
      });
      const layout = contextLayout(info.id, attachType);
      this.programs.set(p.name, { name: p.name, program: p, info, attachType, layout, code, ctxRegions: ctxRegions(layout) });
    }
    if (problems.length) throw new BpfkitError(problems, 1);
  }

  private mapAt(p: Program, index: number, pc: number): RuntimeMap {
    const spec = p.maps[index];
    if (!spec) throw new BpfkitError(diag("BK5004", { index, count: p.maps.length }, { pc }), 1);
    return this.maps.get(spec.name)!;
  }

  private checkHelpers(p: Program, info: ProgTypeInfo, attachType: number | undefined, problems: Diagnostic[]): void {
    let pc = 0;
    for (const i of p.insns) {
      if (i.opcode === 0x85 && i.src === 0) {
        const name = helperName(i.imm);
        const short = name?.replace(/^bpf_/, "");
        if (!name || !short) problems.push(diag("BK5010", { name: `#${i.imm}`, id: i.imm }, { pc }, "no kernel helper has this number"));
        else if (!isHelperAllowed(info.id, i.imm, attachType)) problems.push(diag("BK5011", { name, id: i.imm, progType: info.name }, { pc }));
        else {
          const impl = SOCK_HELPERS.get(short) ?? HELPER_IMPLS.get(short);
          if (!impl) problems.push(diag("BK5010", { name, id: i.imm }, { pc }, `program '${p.name}'`));
          else this.impls.set(i.imm, impl);
        }
      }
      pc += i.opcode === 0x18 ? 2 : 1;
    }
  }

  /** Run a program with a prepared context; returns r0 and the context as the program left it. */
  run(input: RunInput): { r0: bigint; ctx: Uint8Array; insns: number } {
    const { prog } = input;
    const mem = this.engine.mem;
    mem.fill(CTX, CTX_MAX);
    mem.write(CTX, input.ctx);
    this.packet = input.packet;
    this.call = input.call;
    this.capture = { trace: [], tailCalls: 0, locks: new Set() };
    this.regions = [...prog.ctxRegions, ...this.fixedRegions, ...(input.regions ?? [])];
    if (input.packet) this.packetRegions(input.packet);
    for (const m of this.maps.values()) {
      const r = m.valueRegion();
      if (r) this.regions.push({ kind: m instanceof RingbufMap ? "ringbuf" : "map_value", name: `map ${m.name}`, start: r.start, end: r.end, flags: R_READ | R_WRITE });
    }
    this.running = prog;
    const pkt = input.packet ? { addr: input.packet.data, len: input.packet.dataEnd - input.packet.data } : undefined;
    try {
      const res = this.engine.exec(prog.code, [BigInt(CTX)], { mode: this.mode, budget: BUDGET, regions: this.regions, ...(pkt ? { pkt } : {}) });
      this.trace.push(...this.capture.trace);
      return { r0: res.r0, ctx: mem.read(CTX, prog.layout?.size ?? 0), insns: res.insnCount };
    } finally {
      this.call = undefined;
      this.packet = undefined;
    }
  }
  /** The program running now (helpers write its context fields). */
  running: LoadedProg | undefined;

  private packetRegions(p: PacketState): void {
    this.regions = this.regions.filter((r) => r.kind !== "packet");
    this.regions.push({ kind: "packet", name: "packet", start: p.data, end: p.dataEnd, flags: R_READ | R_WRITE });
  }

  /** Replace the region named `r.name` (message data moved after push/pull/pop). */
  setRegion(r: Region): void {
    this.regions = this.regions.filter((x) => x.name !== r.name);
    this.regions.push(r);
    if (this.mode === "checked") this.engine.mem.setRegions([...this.regions]);
  }
  /** The packet region ends at `end` now (bpf_store_hdr_opt grew the header). */
  setPacketEnd(end: number): void {
    const p = this.regions.find((r) => r.kind === "packet");
    if (p) this.setRegion({ ...p, end });
  }

  // ---- RuntimeHost ----
  get mem() { return this.engine.mem; }
  get progTypeName(): string { return this.running?.info.name ?? "socket world"; }
  cpu(): number { return 0; }
  now(): bigint { const t = this.clock; this.clock += 1000n; return t; }
  random32(): number {
    let x = this.rng;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.rng = x;
    return x;
  }
  map(handle: bigint, helper: string): RuntimeMap {
    const m = this.byHandle.get(Number(BigInt.asUintN(32, handle)));
    if (!m) throw new BpfkitError(diag("BK5017", { name: `bpf_${helper}`, id: 0, what: `0x${handle.toString(16)} is not a map` }), 1);
    return m;
  }
  ringbufs(): RingbufMap[] { return [...this.maps.values()].filter((m): m is RingbufMap => m instanceof RingbufMap); }
  ctxField(name: string): number | undefined {
    const f = this.running?.layout ? fieldByName(this.running.layout, name) : undefined;
    return f && f.size === 4 ? this.mem.dv.getUint32(CTX + f.offset, true) : undefined;
  }
  setCtxField(name: string, value: number): void {
    const f = this.running?.layout ? fieldByName(this.running.layout, name) : undefined;
    if (!f) return;
    if (f.size === 8) this.mem.dv.setBigUint64(CTX + f.offset, BigInt(value >>> 0), true);
    else this.mem.dv.setUint32(CTX + f.offset, value >>> 0, true);
  }
  packetChanged(): void {
    const p = this.packet;
    if (!p) return;
    this.setCtxField("data", p.data);
    this.setCtxField("data_end", p.dataEnd);
    this.setCtxField("len", p.dataEnd - p.data);
    this.mem.setCtrl32("PKT", p.data);
    this.mem.setCtrl32("PKT_LEN", p.dataEnd - p.data);
    this.packetRegions(p);
    if (this.mode === "checked") this.engine.mem.setRegions([...this.regions]);
  }
  tailCall(map: RuntimeMap, index: number): boolean {
    if (!(map instanceof ProgArrayMap)) return false;
    const name = map.programAt(index);
    const target = name === undefined ? undefined : this.programs.get(name);
    if (!target || this.capture.tailCalls >= MAX_TAIL_CALLS) return false;
    this.capture.tailCalls++;
    this.engine.tailCall(target.code);
    return true;
  }
  callback(entry: number, args: bigint[]): bigint { return this.engine.callback(entry, args); }

  private callHelper(id: number, pc: number): bigint {
    const impl = this.impls.get(id);
    const name = helperName(id) ?? `#${id}`;
    if (!impl) throw new BpfkitError(diag("BK5010", { name, id }, { pc }), 1);
    const call: HelperCall = { id, name, pc, args: this.engine.args(), rt: this };
    return BigInt.asUintN(64, impl(call));
  }
}

/** Checked-mode regions of a context layout (field by field, with its read/write rules). */
function ctxRegions(layout: ContextLayout | undefined): Region[] {
  const out: Region[] = [];
  for (const f of layout?.fields ?? []) {
    const flags = (f.read.length ? R_READ : 0) | (f.write.length ? R_WRITE : 0);
    if (!flags) continue;
    const base = f.name.replace(/\[\d+\]$/, "");
    const start = CTX + f.offset, end = Math.min(start + Math.max(f.size, f.span ?? 0), CTX + CTX_MAX);
    const last = out[out.length - 1];
    if (last && last.end === start && last.flags === flags && last.name === `${layout!.struct}.${base}` && base !== f.name) { last.end = end; continue; }
    out.push({ kind: "ctx", name: `${layout!.struct}.${base}`, start, end, flags });
  }
  return out;
}
