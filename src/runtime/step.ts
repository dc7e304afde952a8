// Stepping through one run, one instruction at a time (checked mode), for debuggers and the playground:
//
//   const s = loadProgram(program).debug({ data });
//   while (!s.done) { const st = s.step(); console.log(st.pc, st.accesses, s.registers()); }
//   s.result  // the same RunResult run() gives
//
// Each step runs the interpreter's own loop (wasm stepChecked) for exactly one instruction, so stepping
// and run() execute identical code; the registers, call frames and control block in the shared memory
// carry the state between steps. A step tells which memory the instruction read and wrote (computed from
// the instruction and the registers before it ran) and which packet bytes changed by any means (stores,
// helpers such as bpf_skb_store_bytes). Helpers, including callbacks they run (bpf_loop), count as one step.
import { formOf, SIZE_BYTES, SlotMap, type Instruction } from "../isa/index.js";
import type { Program } from "../program/program.js";
import type { RuntimeMap } from "../maps/runtime/index.js";
import type { PacketState } from "../helpers/impl/index.js";
import type { Engine, ExecResult, LoadedCode } from "./engine.js";
import { CTX, CTX_MAX, MAX_FRAMES, STACK, STACK_FRAME } from "./layout.js";
import type { RunResult } from "./runtime.js";

/** One memory access of an instruction. */
export interface MemoryAccess {
  write: boolean;
  addr: number;
  size: number;
  /** What the address lies in: `packet`, `data_meta`, `stack`, `ctx`, `map <name>`, or `unknown`. */
  region: string;
  /**
   * Offset inside it: from `data` for the packet (ld_abs/ld_ind too), from the frame's r10 for the stack
   * (negative, as `fp-8`), from the struct's start for the context, from the map's first value slot.
   */
  offset: number;
  /** Stack accesses: the call frame (0 = the program's own). */
  frame?: number;
}

/** What one step did. */
export interface Step {
  /** Program (by name: tail calls move to another) and pc of the instruction executed. */
  program: string;
  pc: number;
  insn: Instruction | undefined;
  /** Call frame the instruction ran in. */
  depth: number;
  accesses: MemoryAccess[];
  /** Packet offsets (from data, after the step) whose byte differs from before the step. */
  packetChanged: number[];
  /** The program has ended (its result is in Stepper.result). */
  done: boolean;
}

/** What a stepper needs from the runtime that set up the run. */
export interface StepHost {
  readonly packet: PacketState | undefined;
  readonly maps: ReadonlyMap<string, RuntimeMap>;
  programByName(name: string): Program | undefined;
}

export class Stepper {
  private ip: number;
  private frame = 0;
  private count = 0;
  private finished: RunResult | undefined;
  private readonly slotMaps = new Map<string, SlotMap>();

  constructor(
    private readonly host: StepHost,
    private readonly engine: Engine,
    main: LoadedCode,
    private readonly finish: (res: ExecResult) => RunResult,
  ) {
    this.ip = main.base;
  }

  /** The run has ended. */
  get done(): boolean { return this.finished !== undefined; }
  /** The run's result once it has ended. */
  get result(): RunResult | undefined { return this.finished; }
  /** Instructions executed so far. */
  get insnCount(): number { return this.count; }
  /** Call frame of the next instruction (0 = the program's own). */
  get depth(): number { return this.frame; }
  /** Program and pc of the next instruction. */
  get next(): { program: string; pc: number } {
    const at = this.engine.locate(this.ip);
    return { program: at.program.name, pc: at.pc };
  }

  /** r0-r10 now. */
  registers(): bigint[] {
    return Array.from({ length: 11 }, (_, i) => this.engine.mem.reg(i));
  }

  /** The 512 bytes of a call frame's stack (default: the current one); the last byte is at r10 - 1. */
  stack(frame = this.frame): Uint8Array {
    return this.engine.mem.read(STACK + frame * STACK_FRAME, STACK_FRAME);
  }

  /** The packet now, from data to data_end (empty for program types without one). */
  packet(): Uint8Array {
    const p = this.host.packet;
    return p ? this.engine.mem.read(p.data, p.dataEnd - p.data) : new Uint8Array(0);
  }

  /** Execute the next instruction. Throws the run's error (a BpfkitError with the pc) when it faults. */
  step(): Step {
    if (this.finished) throw new Error("the run has ended");
    const at = this.engine.locate(this.ip);
    const insn = this.instructionAt(at.program.name, at.pc);
    const depth = this.frame;
    const accesses = insn ? this.accessesOf(insn) : [];
    const before = this.packet();
    const out = this.engine.step(this.ip, depth);
    this.count += 1;
    let done = false;
    if ("next" in out) {
      this.ip = out.next.ip;
      this.frame = out.next.depth;
    } else {
      done = true;
      this.finished = this.finish({ ...out.done, insnCount: this.count });
    }
    const after = this.packet();
    const packetChanged: number[] = [];
    for (let i = 0; i < after.length; i++) if (i >= before.length || before[i] !== after[i]) packetChanged.push(i);
    return { program: at.program.name, pc: at.pc, insn, depth, accesses, packetChanged, done };
  }

  /** Step until the program ends (at most `limit` more instructions) and return its result. */
  finishRun(limit = 1_000_000): RunResult {
    for (let i = 0; i < limit && !this.finished; i++) this.step();
    if (!this.finished) throw new Error(`the program did not end within ${limit} more steps`);
    return this.finished;
  }

  private instructionAt(program: string, pc: number): Instruction | undefined {
    const p = this.host.programByName(program);
    if (!p) return undefined;
    let slots = this.slotMaps.get(program);
    if (!slots) { slots = new SlotMap(p.insns); this.slotMaps.set(program, slots); }
    const index = slots.indexOf(pc);
    return index >= 0 ? p.insns[index] : undefined;
  }

  /** The memory `insn` is about to read and write, from the registers as they are before it runs. */
  private accessesOf(insn: Instruction): MemoryAccess[] {
    const kind = formOf(insn)?.kind;
    const size = SIZE_BYTES[insn.opcode & 0x18]!;
    const reg = (r: number): bigint => this.engine.mem.reg(r);
    const at = (base: number, write: boolean): MemoryAccess => this.locateAccess(Number(BigInt.asUintN(32, reg(base) + BigInt(insn.off))), size, write);
    switch (kind) {
      case "load": case "loadsx": case "load_acquire": return [at(insn.src, false)];
      case "store_imm": case "store_reg": case "store_release": return [at(insn.dst, true)];
      case "atomic": return [at(insn.dst, false), at(insn.dst, true)];
      case "ld_abs": case "ld_ind": {
        const off = insn.imm + (kind === "ld_ind" ? Number(BigInt.asIntN(32, reg(insn.src))) : 0);
        const base = this.host.packet?.data ?? 0;
        return [{ write: false, addr: base + off, size, region: "packet", offset: off }];
      }
      default: return [];
    }
  }

  /** What an address points into (for showing pointer registers): region and offset, as in MemoryAccess. */
  locate(addr: number): { region: string; offset: number; frame?: number } {
    if (addr > STACK && addr <= STACK + MAX_FRAMES * STACK_FRAME) {
      // A pointer at a frame's top is that frame's r10 (fp0), not the bottom of the frame above.
      const frame = Math.ceil((addr - STACK) / STACK_FRAME) - 1;
      return { region: "stack", offset: addr - (STACK + (frame + 1) * STACK_FRAME), frame };
    }
    const { region, offset } = this.locateAccess(addr, 0, false);
    return { region, offset };
  }

  private locateAccess(addr: number, size: number, write: boolean): MemoryAccess {
    const a = { write, addr, size };
    const p = this.host.packet;
    if (p && addr >= p.data && addr < p.maxEnd) return { ...a, region: "packet", offset: addr - p.data };
    if (p && addr >= p.meta && addr < p.data) return { ...a, region: "data_meta", offset: addr - p.data };
    if (addr >= STACK && addr < STACK + MAX_FRAMES * STACK_FRAME) {
      const frame = Math.floor((addr - STACK) / STACK_FRAME);
      return { ...a, region: "stack", offset: addr - (STACK + (frame + 1) * STACK_FRAME), frame };
    }
    if (addr >= CTX && addr < CTX + CTX_MAX) return { ...a, region: "ctx", offset: addr - CTX };
    for (const m of this.host.maps.values()) {
      const r = m.valueRegion();
      if (r && addr >= r.start && addr < r.end) return { ...a, region: `map ${m.name}`, offset: addr - r.start };
    }
    return { ...a, region: "unknown", offset: addr };
  }
}
