// The BPF conformance suite's test format and environment (see ../shared/conformance/README.md):
// r1 = address of the test memory (0 when there is none), r2 = its length, a 512-byte stack per frame,
// helper 5 = "unwind" (returns r1; a 0 ends the program with r0 = 0).
import { BpfkitError, diag } from "../diagnostics/index.js";
import { decode, formOf, fromHex, type Instruction } from "../isa/index.js";
import { assemble } from "../text/assembler.js";
import { Engine, type ExecResult, type LoadedCode, type Mode } from "./engine.js";
import { R_READ, R_WRITE } from "./layout.js";
import type { Region } from "./memory.js";

export interface ConformanceTest {
  name: string;
  insns: Instruction[];
  memory: Uint8Array;
  expected: bigint;
  /** Highest ISA version and the conformance group the instructions belong to. */
  isa: number;
  group: string;
}

const UNWIND = 5;

function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trimEnd();
    const m = /^--\s*(.*)$/.exec(line.trim());
    if (m) { current = m[1]!.trim(); if (!out.has(current)) out.set(current, []); continue; }
    if (current !== undefined) out.get(current)!.push(line);
  }
  return out;
}

/** Parse one test file; throws BK5015 naming the file and what is wrong. */
export function parseConformanceTest(text: string, name: string): ConformanceTest {
  const sec = sections(text);
  const bad = (what: string): never => { throw new BpfkitError(diag("BK5015", { what: `${name}: ${what}` }, { file: name })); };
  let insns: Instruction[];
  const raw = sec.get("raw");
  if (raw) {
    const words = raw.join(" ").split(/\s+/).filter(Boolean);
    const bytes = new Uint8Array(words.length * 8);
    const dv = new DataView(bytes.buffer);
    words.forEach((w, i) => {
      let v: bigint;
      try { v = BigInt(w); } catch { return bad(`raw word '${w}' is not a number`); }
      dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true);
    });
    insns = decode(bytes, { lenient: true });
  } else {
    const asm = sec.get("asm");
    if (!asm) return bad("no -- asm or -- raw section");
    insns = assemble(withExitLabel(asm), { file: name, syntax: "mnemonic" }).insns;
  }
  const memText = (sec.get("mem") ?? []).join(" ").trim();
  const memory = memText ? fromHex(memText) : new Uint8Array(0);
  if (!memory) return bad("the -- mem section is not hex bytes");
  const resultText = (sec.get("result") ?? []).join(" ").trim();
  if (!resultText) return bad("no -- result section");
  let expected: bigint;
  try { expected = BigInt.asUintN(64, BigInt(resultText)); } catch { return bad(`result '${resultText}' is not a number`); }
  let isa = 1;
  let group = "base32";
  for (const i of insns) {
    const f = formOf(i);
    if (!f) continue;
    isa = Math.max(isa, f.isa);
    if (f.group !== "base32" && f.group !== "kernel" && (group === "base32" || group === "base64")) group = f.group;
  }
  return { name, insns, memory, expected, isa, group };
}

/** `exit` used as a jump target means the first exit instruction: give it a label of that name. */
function withExitLabel(lines: string[]): string {
  const usesExit = lines.some((l) => /^\s*j\w*\b.*,\s*exit\s*$/.test(l) || /^\s*ja\s+exit\s*$/.test(l));
  const hasLabel = lines.some((l) => /^\s*exit\s*:/.test(l));
  if (!usesExit || hasLabel) return lines.join("\n");
  const idx = lines.findIndex((l) => /^\s*exit\s*$/.test(l));
  if (idx < 0) return lines.join("\n");
  return [...lines.slice(0, idx), "exit:", ...lines.slice(idx)].join("\n");
}

export interface ConformanceOutcome {
  test: ConformanceTest;
  pass: boolean;
  r0?: bigint;
  error?: string;
}

/** How the runner executes: the interpreter (checked or fast) or code compiled to WebAssembly. */
export type RunnerMode = Mode | "compiled";

/** Runs conformance programs on one engine (memory is reused between tests). */
export class ConformanceRunner {
  private readonly engine = new Engine();
  private compiledFor: LoadedCode | undefined;
  private memAddr = 0;
  private memCap = 0;
  private regions: Region[] | undefined;
  private regionsFor = -1;

  constructor(private readonly mode: RunnerMode = "checked", private readonly budget = 10_000_000) {
    this.engine.dispatch = (id, at) => {
      if (id === UNWIND) {
        const r1 = this.engine.args()[0];
        if (r1 === 0n) this.engine.stop();
        return r1;
      }
      throw new BpfkitError(diag("BK5010", { name: `#${id}`, id }, { pc: at.pc }), 1);
    };
  }

  /** Pre-decode a program once (to run it many times with `runCode`). */
  load(insns: Instruction[], name = "test"): LoadedCode {
    return this.engine.load(name, insns, {
      mapHandle: (index, pc) => { throw new BpfkitError(diag("BK5004", { index, count: 0 }, { pc }), 1); },
      mapValue: (index, _o, pc) => { throw new BpfkitError(diag("BK5004", { index, count: 0 }, { pc }), 1); },
    });
  }

  /** Run loaded code with the suite's environment (r1 = memory, r2 = length). */
  runCode(code: LoadedCode, memory: Uint8Array): ExecResult {
    if (memory.length > this.memCap) {
      this.memCap = Math.max(memory.length, 4096);
      this.memAddr = this.engine.mem.alloc(this.memCap, 16, "test memory");
      this.regions = undefined;
    }
    this.engine.mem.write(this.memAddr, memory);
    const addr = memory.length ? this.memAddr : 0;
    if (!this.regions || this.regionsFor !== memory.length) {
      this.regionsFor = memory.length;
      this.regions = memory.length ? [{ kind: "memory", name: "mem", start: addr, end: addr + memory.length, flags: R_READ | R_WRITE }] : [];
    }
    const regions = this.regions;
    if (this.mode === "compiled" && this.compiledFor !== code) {
      // Conformance programs are not verified: the compiler keeps the interpreter's exact behaviour.
      this.engine.compile({ verified: false, ctxHook: false }, [code]);
      this.compiledFor = code;
    }
    const mode = this.mode === "compiled" ? "fast" : this.mode;
    return this.engine.exec(code, [BigInt(addr), BigInt(memory.length)], { mode, budget: this.budget, regions });
  }

  /** Run a program with the suite's environment; returns r0. */
  execute(insns: Instruction[], memory: Uint8Array, name = "test"): bigint {
    return this.runCode(this.load(insns, name), memory).r0;
  }

  run(test: ConformanceTest): ConformanceOutcome {
    try {
      const r0 = this.execute(test.insns, test.memory, test.name);
      return { test, pass: r0 === test.expected, r0 };
    } catch (err) {
      return { test, pass: false, error: err instanceof Error ? err.message : String(err) };
    }
  }
}
