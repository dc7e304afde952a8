// Which Program the editor's text stands for: the object's own program while the editor shows its
// unedited disassembly (with the object's BTF, line info and sibling programs), else the text assembled.
// Also the shapes (BTF types) of the program's maps, for the Maps tab and the run results.
import { assemble, BpfkitError, btf as btfLib, disassemble, loadObject, type MapSpec, type Program, type TargetKernel } from "../../src/index.js";
import { parseProgramBtf, type Shape } from "./btf-values.js";

export interface LoadedObject {
  name: string;
  bytes: Uint8Array;
  programs: Program[];
  /** What the ELF loader could not load faithfully (shown, never hidden). */
  unsupported: string[];
  /** The object has CO-RE relocations or kernel externs and was opened without a target: open it again with one. */
  needsTarget?: boolean;
  /** The target kernel it was relocated for, when it needed one. */
  target?: string;
}

export type Syntax = "auto" | "llvm" | "mnemonic";

/**
 * Open an ELF object. The target kernel (its BTF) is only asked for by objects with CO-RE relocations or
 * kernel externs; without `target` such an object comes back with `needsTarget` (the page loads the
 * target BTF, a part, and opens it again).
 */
export function openObject(name: string, bytes: Uint8Array, target?: TargetKernel): LoadedObject {
  let asked = false;
  const obj = loadObject(bytes, { file: name, target: () => { asked = true; return target; } });
  if (asked && !target) return { name, bytes, programs: obj.programs, unsupported: obj.unsupported, needsTarget: true };
  if (!obj.programs.length) throw new Error(`${name} has no BPF programs (no executable section with a known program type)`);
  return { name, bytes, programs: obj.programs, unsupported: obj.unsupported, ...(obj.target ? { target: obj.target } : {}) };
}

/** The text the editor shows for an object's program: its disassembly with the C lines as comments. */
export function objectText(p: Program, syntax: Syntax): string {
  return disassemble(p, { syntax: syntax === "mnemonic" ? "mnemonic" : "llvm", labels: true, source: true, helperNames: true });
}

export interface CurrentProgram {
  program: Program;
  others: Program[];
  /** The object's program itself (not a re-assembly of the text). */
  fromObject: boolean;
}

/** The program the editor's text stands for; throws BpfkitError when the text does not assemble. */
export function currentProgram(text: string, syntax: Syntax, object?: { obj: LoadedObject; program: string; text: string }): CurrentProgram {
  if (object && object.text === text) {
    const p = object.obj.programs.find((x) => x.name === object.program);
    if (p) return { program: p, others: object.obj.programs, fromObject: true };
  }
  return { program: assemble(text, { file: "program.s", syntax }), others: [], fromObject: false };
}

export interface MapShapes { spec: MapSpec; key: Shape; value: Shape; typed: boolean }

/** Key and value shapes of each map: by BTF where the object has it, hex bytes otherwise (the library's rule, src/btf/values.ts). */
export function mapShapes(p: Program): MapShapes[] {
  const btf = parseProgramBtf(p.btf?.raw);
  return p.maps.map((spec) => ({ spec, ...btfLib.mapShapes(spec, btf) }));
}

/** Map types whose entries a user edits before a run (not program arrays, ring buffers, sockets...). */
export const EDITABLE_MAP_TYPES = new Set(["hash", "array", "percpu_array", "percpu_hash", "lru_hash", "lru_percpu_hash", "lpm_trie"]);

export const errorMessages = (err: unknown): string[] =>
  err instanceof BpfkitError ? err.diagnostics.map((d) => `${d.pc !== undefined ? `pc ${d.pc}: ` : d.line ? `line ${d.line}: ` : ""}${d.message}${d.hint ? ` (${d.hint})` : ""}`) : [err instanceof Error ? err.message : String(err)];
