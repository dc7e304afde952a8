// The socket world's programs on the runtime's multi-program host (src/runtime/host.ts): the programs of
// one object in one memory, sharing their maps, each with its own program type and context layout, so
// sockops, sk_msg, sk_skb and sock_addr programs work on the same sockhash. The world (world.ts) calls
// `run` for each callback with the context bytes it built; helpers reach the socket the run is about
// through `call`. The programs run in the interpreter, or compiled (src/compiler) when the verifier
// accepts them all (`engine: "auto"`) or when asked (`"compiled"`).
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { verifiedForCompile } from "../engine/local.js";
import type { PacketState } from "../helpers/impl/index.js";
import type { Program } from "../program/program.js";
import type { Mode } from "../runtime/engine.js";
import { ProgramHost, resolveProgType, type HostProgram, type ResolvedType } from "../runtime/host.js";
import type { Region } from "../runtime/memory.js";
import { SOCK_HELPERS, type SockCall } from "./helpers.js";

export type LoadedProg = HostProgram;

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

/** Which engine runs the world's programs: as `bpfkit run --engine` (auto: compiled when every program verifies). */
export type SocketEngineChoice = "auto" | "interp" | "compiled";

export interface SocketHostOptions {
  /** interp: checked (default) or fast; compiled code runs with fast mode's semantics. */
  mode?: Mode;
  engine?: SocketEngineChoice;
}

/** How the world's programs run (for reports and tests). */
export interface SocketEngineInfo {
  kind: "interp" | "compiled";
  mode: Mode;
  /** Whether every program the world loaded passed the verifier emulator (asked for auto and compiled). */
  verified?: boolean;
  /** Why auto chose the interpreter (the verifier's message). */
  rejected?: string;
}

/** How much instruction budget one callback gets. */
const BUDGET = 1_000_000;

export class SocketHost extends ProgramHost {
  /** The socket-world call the running program is part of (socket helpers read it). */
  call: SockCall | undefined;
  /** Memory every run may read: the sockets' `struct bpf_sock` views. */
  fixedRegions: Region[] = [];
  readonly trace: string[] = [];
  readonly mode: Mode;
  readonly engineInfo: SocketEngineInfo;

  constructor(programs: readonly Program[], options: SocketHostOptions = {}) {
    super({ cpus: 1, helpers: SOCK_HELPERS });
    this.addMaps(programs);
    const problems: Diagnostic[] = [];
    for (const p of programs) {
      let type: ResolvedType;
      try { type = resolveProgType(p.section); } catch { continue; } // a section the world has no use for
      this.addProgram(p, type, problems);
    }
    if (problems.length) throw new BpfkitError(problems, 1);
    const choice = options.engine ?? "auto";
    if (choice === "compiled" && options.mode === "checked") {
      throw new BpfkitError(diag("BK5013", { what: "checked mode needs the interpreter: compiled code runs with fast mode's semantics" }, {}, "use --engine interp for checked mode"), 2);
    }
    const loaded = [...this.programs.values()].map((p) => p.program);
    const v = choice === "interp" ? undefined : verifiedForCompile(loaded, undefined);
    const compiled = choice === "compiled" || (choice === "auto" && v!.ok && options.mode !== "checked");
    this.mode = compiled ? "fast" : options.mode ?? "checked";
    this.engineInfo = { kind: compiled ? "compiled" : "interp", mode: this.mode, ...(v ? { verified: v.ok } : {}), ...(v?.why ? { rejected: v.why } : {}) };
    if (compiled) this.compile({ verified: v!.ok });
  }

  /** Run a program with a prepared context; returns r0 and the context as the program left it. */
  run(input: RunInput): { r0: bigint; ctx: Uint8Array; insns: number } {
    this.call = input.call;
    try {
      const res = this.runContext(input.prog, {
        ctx: input.ctx, regions: [...this.fixedRegions, ...(input.regions ?? [])], mode: this.mode, budget: BUDGET,
        ...(input.packet ? { packet: input.packet } : {}),
      });
      this.trace.push(...this.capture.trace);
      return res;
    } finally {
      this.call = undefined;
      this.packet = undefined;
    }
  }

  /** Replace the region named `r.name` (message data moved after push/pull/pop). */
  setRegion(r: Region): void {
    this.extraRegions = [...this.extraRegions.filter((x) => x.name !== r.name), r];
    this.refreshRegions();
  }
  /** The packet region ends at `end` now (bpf_store_hdr_opt grew the header). */
  setPacketEnd(end: number): void {
    const p = this.extraRegions.find((r) => r.kind === "packet");
    if (p) this.setRegion({ ...p, end });
  }
}
