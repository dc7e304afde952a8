// Which Program the editor's text stands for: the object's own program while the editor shows its
// unedited disassembly (with the object's BTF, line info and sibling programs), else the text assembled.
// Also the shapes (BTF types) of the program's maps, for the Maps tab and the run results.
import { assemble, BpfkitError, disassemble, loadObject, type MapSpec, type Program } from "../../src/index.js";
import { parseProgramBtf, rawShape, shapeOf, type Shape } from "./btf-values.js";

export interface LoadedObject {
  name: string;
  bytes: Uint8Array;
  programs: Program[];
  /** What the ELF loader could not load faithfully (shown, never hidden). */
  unsupported: string[];
}

export type Syntax = "auto" | "llvm" | "mnemonic";

export function openObject(name: string, bytes: Uint8Array): LoadedObject {
  const obj = loadObject(bytes, { file: name });
  if (!obj.programs.length) throw new Error(`${name} has no BPF programs (no executable section with a known program type)`);
  return { name, bytes, programs: obj.programs, unsupported: obj.unsupported };
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

/** Key and value shapes of each map: by BTF where the object has it, hex bytes otherwise. */
export function mapShapes(p: Program): MapShapes[] {
  const btf = parseProgramBtf(p.btf?.raw);
  return p.maps.map((spec) => {
    const typed = (id: number | undefined, size: number): Shape => {
      if (!btf || !id) return rawShape(size);
      try {
        const s = shapeOf(btf, id);
        return s.size === size ? s : rawShape(size);
      } catch { return rawShape(size); }
    };
    return { spec, key: typed(spec.btfKeyTypeId, spec.keySize), value: typed(spec.btfValueTypeId, spec.valueSize), typed: !!btf && !!(spec.btfKeyTypeId || spec.btfValueTypeId) };
  });
}

/** Map types whose entries a user edits before a run (not program arrays, ring buffers, sockets...). */
export const EDITABLE_MAP_TYPES = new Set(["hash", "array", "percpu_array", "percpu_hash", "lru_hash", "lru_percpu_hash", "lpm_trie"]);

export const errorMessages = (err: unknown): string[] =>
  err instanceof BpfkitError ? err.diagnostics.map((d) => `${d.pc !== undefined ? `pc ${d.pc}: ` : d.line ? `line ${d.line}: ` : ""}${d.message}${d.hint ? ` (${d.hint})` : ""}`) : [err instanceof Error ? err.message : String(err)];
