// Opening any program file from its bytes: asm text (.s/.asm), bundle (.json/.jsonl), raw bytecode (.bin)
// or an ELF object (.o). Every command and the playground go through here, so they all accept the same
// files. No Node imports: reading the file from disk is src/load/node.ts.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { decode } from "../isa/index.js";
import { readBundles, type BundleProgram, type Program } from "../program/index.js";
import { loadObject } from "../elf/index.js";
import type { ElfObject } from "../elf/object.js";
import { checkChoiceNames, chosenType, normalizeTypeChoice, type TypeOption } from "../elf/type-choice.js";
import type { TargetKernel } from "../elf/target.js";

export type ProgramFileKind = "asm" | "bundle" | "bin" | "elf";

export interface LoadOptions {
  /**
   * Program type (libbpf section name) to use, overriding what the file says (or supplying it for .bin):
   * one string for every program, or per program (or ELF section) name, as `--type [NAME=]TYPE` gives it.
   */
  type?: TypeOption;
  /** Assembler syntax for text files. */
  syntax?: "llvm" | "mnemonic" | "auto";
  /** Raw bytecode (bundle, .bin): accept invalid encodings and keep the bytes for the verifier (see Program.bytecode). */
  lenient?: boolean;
  /** Kept for compatibility: ELF programs bpfkit cannot load are always returned, each with its `unsupported` list. */
  allowUnsupported?: boolean;
  /** ELF: the kernel to relocate for (CO-RE, externs); asked only when the object needs one. */
  target?: TargetKernel | (() => TargetKernel | undefined);
}

export interface LoadedFile {
  kind: ProgramFileKind;
  programs: Program[];
  /** Bundle-only: each program's extra fields (e.g. `runs`), in the same order. */
  extras: Record<string, unknown>[];
  /** ELF-only: what the object uses that bpfkit does not support (reported, never silently mis-loaded). */
  unsupported: string[];
  /** ELF-only: the target kernel the object was relocated for, when it needed one. */
  target?: string;
  /** ELF-only, objects with struct_ops maps: the object (its maps' contents, for registering them). */
  structOps?: ElfObject;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** The last component of a path, with either separator (no node:path here). */
const baseName = (file: string): string => file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);

/** What kind of program file this is, from its extension, else from its first bytes. */
export function detectKind(file: string, bytes: Uint8Array): ProgramFileKind {
  const lower = file.toLowerCase();
  if (lower.endsWith(".o") || lower.endsWith(".elf")) return "elf";
  if (lower.endsWith(".json") || lower.endsWith(".jsonl")) return "bundle";
  if (lower.endsWith(".bin")) return "bin";
  if (lower.endsWith(".s") || lower.endsWith(".asm") || lower.endsWith(".bpf")) return "asm";
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) return "elf";
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart();
  if (head.startsWith("{") || head.startsWith("[")) return "bundle";
  // Text without control characters is assembly; anything else is bytecode.
  return /[\u0000-\u0008\u000e-\u001f]/.test(head) ? "bin" : "asm";
}

/** Load programs from bytes already in memory (the playground and tests use this directly). */
export async function loadProgramBytes(file: string, bytes: Uint8Array, options: LoadOptions = {}): Promise<LoadedFile> {
  const kind = detectKind(file, bytes);
  const choice = normalizeTypeChoice(options.type);
  const result: LoadedFile = { kind, programs: [], extras: [], unsupported: [] };
  switch (kind) {
    case "bundle": {
      const bundles: BundleProgram[] = readBundles(new TextDecoder().decode(bytes), file, { lenient: options.lenient === true });
      result.programs = bundles.map((b) => b.program);
      result.extras = bundles.map((b) => b.extra);
      break;
    }
    case "bin": {
      const program: Program = { name: baseName(file).replace(/\.[^.]+$/, "") || "prog", section: "", insns: [], maps: [], license: "GPL", origin: { file, kind: "bin" } };
      try {
        program.insns = decode(bytes, { lenient: options.lenient === true });
        if (options.lenient) program.bytecode = bytes;
      } catch (err) {
        if (err instanceof BpfkitError) throw new BpfkitError(err.diagnostics.map((d) => ({ ...d, file })), 2);
        throw err;
      }
      result.programs = [program];
      break;
    }
    case "asm": {
      const source = new TextDecoder().decode(bytes);
      const { assemble } = await import("../text/index.js"); // only for text sources: objects start faster
      result.programs = [assemble(source, { file, syntax: options.syntax ?? "auto" })];
      break;
    }
    case "elf": {
      const obj = loadObject(bytes, { file, ...(choice ? { type: choice } : {}), ...(options.target ? { target: options.target } : {}) });
      result.programs = obj.programs;
      result.unsupported = obj.unsupported;
      if (obj.target) result.target = obj.target;
      if (obj.structOps) result.structOps = obj;
      break;
    }
  }
  if (kind !== "elf") {
    for (const p of result.programs) {
      const chosen = chosenType(choice, p.name, p.section);
      if (chosen === undefined || chosen === p.section) continue;
      if (p.section) p.sectionAsWritten = p.section;
      p.section = chosen;
    }
  }
  checkChoiceNames(choice, file, result.programs);
  if (result.extras.length === 0) result.extras = result.programs.map(() => ({}));
  return result;
}

/**
 * The program a command works on: the one named, else the only one libbpf would load by default
 * (`SEC("?...")` programs are left out unless named). With `needType` (verify, run, deploy; the default),
 * a program whose section names no known type is an error carrying the loader's hint (`--type NAME=xdp`).
 * A program whose `unsupported` list is not empty is refused with its reasons (BK4102), unless
 * `allowUnsupported` (disassembly shows any program); its neighbours are not affected.
 */
export function pickProgram(programs: Program[], file: string, name?: string, options: { needType?: boolean; allowUnsupported?: boolean } = {}): Program {
  const picked = pick(programs, file, name);
  if (options.needType !== false && picked.sectionHint !== undefined) {
    throw new BpfkitError(diag("BK4004", { section: picked.section, name: picked.name }, { file }, picked.sectionHint), 2);
  }
  if (!options.allowUnsupported) requireUsable(picked, file);
  return picked;
}

/** BK4102 for each reason a program cannot be used (exit code 1 when libbpf too refuses it, 2 when bpfkit lacks something). */
export function requireUsable(program: Program, file?: string): void {
  const issues = program.unsupported ?? [];
  if (issues.length === 0) return;
  const exit = issues.every((i) => i.refusedByLibbpf) ? 1 : 2;
  throw new BpfkitError(issues.map((i) => diag("BK4102", { name: program.name, reason: i.what }, { ...(file !== undefined ? { file } : {}), ...(i.pc !== undefined ? { pc: i.pc } : {}) },
    i.refusedByLibbpf ? "libbpf refuses this program too: the kernel would never see it" : "bpfkit does not model this yet; the object's other programs are unaffected")), exit);
}

function pick(programs: Program[], file: string, name: string | undefined): Program {
  if (name !== undefined) {
    const found = programs.find((p) => p.name === name);
    if (!found) throw new BpfkitError(diag("BK3006", { name, file, names: programs.map((p) => p.name).join(", ") || "(none)" }, { file }), 2);
    return found;
  }
  if (programs.length === 0) throw new BpfkitError(diag("BK4010", {}, { file }), 2);
  const byDefault = programs.filter((p) => p.autoload !== false);
  if (byDefault.length === 0) {
    const names = programs.map((p) => p.name);
    throw new BpfkitError(diag("BK8103", { file, names: names.join(", "), verb: names.length === 1 ? "is" : "are" }, { file }), 2);
  }
  if (byDefault.length !== 1) {
    throw new BpfkitError(diag("BK3007", { file, count: byDefault.length, names: byDefault.map((p) => p.name).join(", ") }, { file }), 2);
  }
  return byDefault[0]!;
}
