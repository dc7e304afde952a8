// What the playground shows about a program text: assembler diagnostics at line:col, or the verifier's
// verdict, kernel-format log, the state after every instruction on every path it walked, and for a
// rejection `--explain`'s account with the editor lines it names. Pure: the verifier worker runs it, and
// so do the Node tests (test/playground/*.test.ts).
import { assemble, BpfkitError, progtypes, verifier, type Diagnostic, type Program } from "../../src/index.js";

export interface VerifyRequest {
  id: number;
  /** The editor's text (assembly in either syntax). */
  source: string;
  syntax: "auto" | "llvm" | "mnemonic";
  logLevel: 1 | 2;
  /**
   * The program as loaded from an ELF object, when the editor still shows its unedited disassembly: it is
   * verified instead of the re-assembled text, because it keeps the object's BTF (function info, map
   * value layouts). The text only gives the pc -> line mapping then.
   */
  program?: Program;
  /** Give up after this long (default 20 s): the verdict is then "reject" with the message "timeout after N s, ...". */
  timeoutMs?: number;
}

/** An assembler problem, located in the editor (1-based line and columns). */
export interface TextProblem {
  line: number;
  col: number;
  endCol?: number;
  code: string;
  message: string;
  hint?: string;
}

export interface PcState {
  pc: number;
  /** Editor line of the instruction (1-based), when known. */
  line?: number;
  /** The state after the instruction in the kernel's print format, once per visit (paths differ). */
  texts: string[];
}

export interface ExplainedRejection {
  pc: number;
  line?: number;
  message: string;
  source?: string;
  insn?: string;
  why: string;
  fix: string;
  register?: { name: string; state: string };
  /** Branch decisions that led to the rejection, oldest first, with the editor line of each jump. */
  path: { pc: number; line?: number; taken: boolean; text: string }[];
}

export interface VerifyReport {
  id: number;
  /** How long assembling and verifying took (ms). */
  ms: number;
  problems: TextProblem[];
  name?: string;
  section?: string;
  progType?: string;
  verdict?: "accept" | "reject";
  /** The rejection: pc, its editor line and the kernel's message. */
  error?: { pc: number; line?: number; message: string };
  explanation?: ExplainedRejection;
  log: string;
  processed?: number;
  totalStates?: number;
  /** Verifier states by pc (only pcs the verifier reached). */
  states: PcState[];
  /** Editor line of each pc (slot), 0 where unknown. */
  pcLines: number[];
}

const located = (d: Diagnostic): TextProblem => ({
  line: d.line ?? 1,
  col: d.col ?? 1,
  ...(d.endCol !== undefined ? { endCol: d.endCol } : {}),
  code: d.code,
  message: d.message,
  ...(d.hint ? { hint: d.hint } : {}),
});

/** Program type id (and expected attach type) from a section name; undefined when unknown. */
export function programKind(section: string): { progType: number; attachType?: number; name: string } | undefined {
  const sec = progtypes.resolveSection(section);
  if (sec) {
    const name = progtypes.progTypeById(sec.progType)?.name ?? section;
    return sec.attachType !== undefined ? { progType: sec.progType, attachType: sec.attachType, name } : { progType: sec.progType, name };
  }
  const info = progtypes.progTypeByName(section);
  return info ? { progType: info.id, name: info.name } : undefined;
}

/** pc -> editor line, from a program assembled from the editor text. */
function linesOf(p: Program): number[] {
  const out: number[] = [];
  let slots = 0;
  for (const i of p.insns) slots += i.opcode === 0x18 ? 2 : 1;
  for (let pc = 0; pc < slots; pc++) out.push(0);
  for (const l of p.lines ?? []) if (l.pc < out.length) out[l.pc] = l.line;
  // lddw's second slot and lines the assembler did not record take the line of the slot before.
  for (let pc = 1; pc < out.length; pc++) if (!out[pc]) out[pc] = out[pc - 1]!;
  return out;
}

export function analyze(req: VerifyRequest): VerifyReport {
  const t0 = performance.now();
  const report: VerifyReport = { id: req.id, ms: 0, problems: [], log: "", states: [], pcLines: [] };
  const done = (): VerifyReport => { report.ms = performance.now() - t0; return report; };
  let text: Program;
  try {
    text = assemble(req.source, { file: "program.s", syntax: req.syntax });
  } catch (err) {
    if (!(err instanceof BpfkitError)) throw err;
    report.problems = err.diagnostics.map(located);
    return done();
  }
  const program = req.program ?? text;
  report.pcLines = linesOf(text);
  report.name = program.name;
  report.section = program.section;
  const kind = programKind(program.section);
  if (!kind) {
    const line = req.source.split("\n").findIndex((l) => /^\s*\.(section|type)\b/.test(l)) + 1;
    report.problems = [{
      line: line || 1, col: 1, code: "BK6001",
      message: program.section ? `unknown program type '${program.section}'` : "no program type: add a `.section xdp` (or tc, socket, ...) line",
      hint: "the section name says the program type, as libbpf reads it: xdp, tc, socket, sockops, sk_msg, cgroup_skb/ingress, ...",
    }];
    return done();
  }
  report.progType = kind.name;
  const opts = {
    progType: kind.progType,
    ...(kind.attachType !== undefined ? { attachType: kind.attachType } : {}),
    logLevel: req.logLevel,
    recordStates: true,
    captureRegs: true,
    hasFuncInfo: (program.btf?.funcInfo?.length ?? 0) > 0,
    // A playground must answer: give up where the kernel would grind on towards its 1M-instruction limit.
    timeoutMs: req.timeoutMs ?? 20_000,
  };
  let res: verifier.VerifyResult;
  try {
    res = verifier.verifyProgram(program, opts);
  } catch (err) {
    if (!(err instanceof BpfkitError)) throw err;
    report.problems = err.diagnostics.map((d) => ({ ...located(d), line: d.pc !== undefined ? report.pcLines[d.pc] ?? 1 : d.line ?? 1 }));
    return done();
  }
  const lineOf = (pc: number): number | undefined => report.pcLines[pc] || undefined;
  // (a timeout is shown as a rejection whose message says so)
  report.verdict = res.verdict === "timeout" ? "reject" : res.verdict;
  report.log = res.log;
  report.processed = res.stats.processed;
  report.totalStates = res.stats.totalStates;
  const byPc = new Map<number, PcState>();
  for (const s of res.states ?? []) {
    let e = byPc.get(s.pc);
    if (!e) { const line = lineOf(s.pc); e = { pc: s.pc, ...(line ? { line } : {}), texts: [] }; byPc.set(s.pc, e); }
    if (!e.texts.includes(s.text) && e.texts.length < 32) e.texts.push(s.text);
  }
  report.states = [...byPc.values()].sort((a, b) => a.pc - b.pc);
  if (res.error) {
    const line = lineOf(res.error.pc);
    report.error = { pc: res.error.pc, ...(line ? { line } : {}), message: res.error.message };
    const raw = verifier.toRawSlots(program.insns);
    const ex = verifier.explain(res, raw, program.maps, kind.progType);
    if (ex) {
      report.explanation = {
        pc: ex.pc, ...(line ? { line } : {}), message: ex.message, why: ex.why, fix: ex.fix,
        ...(ex.source ? { source: ex.source } : {}), ...(ex.insn ? { insn: ex.insn } : {}),
        ...(ex.register ? { register: ex.register } : {}),
        path: (res.path ?? []).map(([pc, taken]) => {
          const l = lineOf(pc);
          return { pc, ...(l ? { line: l } : {}), taken, text: l ? (req.source.split("\n")[l - 1] ?? "").trim() : `pc ${pc}` };
        }),
      };
    }
  }
  return done();
}
