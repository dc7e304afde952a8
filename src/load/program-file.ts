// Opening any program file from its bytes: asm text (.s/.asm), bundle (.json/.jsonl), raw bytecode (.bin)
// or an ELF object (.o). Every command and the playground go through here, so they all accept the same
// files. No Node imports: reading the file from disk is src/load/node.ts.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { decode } from "../isa/index.js";
import { readBundles, type BundleProgram, type Program } from "../program/index.js";
import { loadObject } from "../elf/index.js";

export type ProgramFileKind = "asm" | "bundle" | "bin" | "elf";

export interface LoadOptions {
  /** Program type (libbpf section name) to use, overriding what the file says (or supplying it for .bin). */
  type?: string;
  /** Assembler syntax for text files. */
  syntax?: "llvm" | "mnemonic" | "auto";
  /** Raw bytecode (bundle, .bin): accept invalid encodings and keep the bytes for the verifier (see Program.bytecode). */
  lenient?: boolean;
}

export interface LoadedFile {
  kind: ProgramFileKind;
  programs: Program[];
  /** Bundle-only: each program's extra fields (e.g. `runs`), in the same order. */
  extras: Record<string, unknown>[];
  /** ELF-only: what the object uses that bpfkit does not support (reported, never silently mis-loaded). */
  unsupported: string[];
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
      const obj = loadObject(bytes, { file, ...(options.type !== undefined ? { type: options.type } : {}) });
      result.programs = obj.programs;
      result.unsupported = obj.unsupported;
      break;
    }
  }
  if (options.type !== undefined) for (const p of result.programs) p.section = options.type;
  if (result.extras.length === 0) result.extras = result.programs.map(() => ({}));
  return result;
}

export function pickProgram(programs: Program[], file: string, name?: string): Program {
  if (name !== undefined) {
    const found = programs.find((p) => p.name === name);
    if (!found) throw new BpfkitError(diag("BK3006", { name, file, names: programs.map((p) => p.name).join(", ") || "(none)" }, { file }), 2);
    return found;
  }
  if (programs.length !== 1) {
    throw new BpfkitError(diag("BK3007", { file, count: programs.length, names: programs.map((p) => p.name).join(", ") }, { file }), 2);
  }
  return programs[0]!;
}
