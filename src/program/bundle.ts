// The raw-program bundle: the interchange format for a program outside ELF.
//   {"type": "xdp", "insns": "<hex>", "maps": [{"type": "hash", "key_size": 4, "value_size": 8,
//    "max_entries": 16, "flags": 0}], "license": "GPL"}
// An lddw with src=1 (map fd) or src=2 (map value) carries the index into `maps` as its imm.
// A `.jsonl` file holds one bundle per line. Unknown extra fields (e.g. `runs` for `bpfkit run --batch`)
// are kept in `extra` for the command that wants them.
import { BpfkitError, diag, type Diagnostic, type Location } from "../diagnostics/index.js";
import { decodeAll, encode, fromHex, PSEUDO, SlotMap, toHex } from "../isa/index.js";
import type { MapSpec, Program } from "./program.js";

export interface BundleMap {
  name?: string;
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
  flags?: number;
}

export interface Bundle {
  type: string;
  insns: string;
  maps?: BundleMap[];
  license?: string;
  name?: string;
  [extra: string]: unknown;
}

/** A program read from a bundle, with the bundle's other fields. */
export interface BundleProgram {
  program: Program;
  extra: Record<string, unknown>;
}

/** License assumed when a bundle has none: bundles are mostly test programs, and "GPL" lets them call every helper. */
export const DEFAULT_BUNDLE_LICENSE = "GPL";

const KNOWN_FIELDS = new Set(["type", "insns", "maps", "license", "name"]);

export interface BundleReadOptions {
  /**
   * Accept encodings the kernel would reject (unknown opcodes, reserved fields, broken lddw halves)
   * and keep the exact bytes in `program.bytecode`, for the verifier to judge as the kernel does.
   */
  lenient?: boolean;
}

/** Turn a parsed bundle object into a Program, collecting every problem. */
export function bundleToProgram(value: unknown, where: Location = {}, options: BundleReadOptions = {}): BundleProgram {
  const problems: Diagnostic[] = [];
  const bad = (field: string, problem: string): void => { problems.push(diag("BK3002", { field, problem }, where)); };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BpfkitError(diag("BK3002", { field: "(root)", problem: "must be a JSON object like {\"type\": \"xdp\", \"insns\": \"b7000000...\"}" }, where));
  }
  const obj = value as Record<string, unknown>;
  const type = obj.type;
  if (type !== undefined && typeof type !== "string") bad("type", "must be a program type name such as \"xdp\", \"tc\" or \"socket\"");
  const license = obj.license ?? DEFAULT_BUNDLE_LICENSE;
  if (typeof license !== "string") bad("license", "must be a string such as \"GPL\"");
  const name = obj.name ?? "prog";
  if (typeof name !== "string") bad("name", "must be a string");

  let insns: Program["insns"] = [];
  let bytecode: Uint8Array | undefined;
  if (typeof obj.insns !== "string") bad("insns", "is required: the bytecode as a hex string");
  else {
    const bytes = fromHex(obj.insns);
    if (!bytes) problems.push(diag("BK3003", { problem: "expected an even number of hex digits (0-9, a-f)" }, where));
    else {
      const decoded = decodeAll(bytes, { lenient: options.lenient === true });
      insns = decoded.insns;
      if (options.lenient) bytecode = bytes;
      // Leniently, only what cannot be expressed as slots at all is an error.
      const fatal = options.lenient ? decoded.diagnostics.filter((d) => d.code === "BK1001") : decoded.diagnostics;
      for (const d of fatal) problems.push({ ...where, ...d });
    }
  }

  const maps: MapSpec[] = [];
  if (obj.maps !== undefined && !Array.isArray(obj.maps)) bad("maps", "must be an array of map specs");
  else (obj.maps as unknown[] | undefined ?? []).forEach((m, i) => {
    const spec = bundleMapToSpec(m, i, (problem) => bad(`maps[${i}]`, problem));
    if (spec) maps.push(spec);
  });

  // Every map reference must point into `maps` (leniently, the verifier reports it as the kernel does).
  if (problems.length === 0 && !options.lenient) {
    const slots = new SlotMap(insns);
    insns.forEach((insn, i) => {
      if (insn.opcode === 0x18 && (insn.src === PSEUDO.MAP_FD || insn.src === PSEUDO.MAP_VALUE)) {
        const index = insn.imm;
        if (index < 0 || index >= maps.length) {
          problems.push(diag("BK3004", { pc: slots.slotOf[i]!, index, count: maps.length }, { ...where, pc: slots.slotOf[i]! }));
        }
      }
    });
  }
  if (problems.length) throw new BpfkitError(problems, 2);

  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!KNOWN_FIELDS.has(k)) extra[k] = v;
  const program: Program = {
    name: name as string,
    section: (type as string | undefined) ?? "",
    insns,
    maps,
    license: license as string,
  };
  if (bytecode) program.bytecode = bytecode;
  if (where.file) program.origin = { file: where.file, kind: "bundle" };
  return { program, extra };
}

function bundleMapToSpec(m: unknown, index: number, bad: (problem: string) => void): MapSpec | undefined {
  if (typeof m !== "object" || m === null) {
    bad("must be an object {\"type\", \"key_size\", \"value_size\", \"max_entries\", \"flags\"}");
    return undefined;
  }
  const o = m as Record<string, unknown>;
  const num = (k: string, required: boolean): number => {
    const v = o[k];
    if (v === undefined && !required) return 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      bad(`'${k}' must be a non-negative integer${required ? "" : " (or absent)"}`);
      return 0;
    }
    return v;
  };
  if (typeof o.type !== "string") bad("'type' must be a map type name such as \"hash\", \"array\" or \"lpm_trie\"");
  if (o.name !== undefined && typeof o.name !== "string") bad("'name' must be a string");
  return {
    name: typeof o.name === "string" ? o.name : `map${index}`,
    type: typeof o.type === "string" ? o.type : "",
    keySize: num("key_size", true),
    valueSize: num("value_size", true),
    maxEntries: num("max_entries", true),
    flags: num("flags", false),
  };
}

/** The bundle object for a Program (maps are renumbered by their position in `program.maps`). */
export function programToBundle(program: Program): Bundle {
  const bundle: Bundle = {
    type: program.section,
    insns: toHex(encode(program.insns)),
    maps: program.maps.map((m) => ({
      name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, flags: m.flags,
    })),
    license: program.license,
  };
  if (program.name && program.name !== "prog") bundle.name = program.name;
  return bundle;
}

/** Parse JSON text, turning a syntax error into file:line:col. */
export function parseJson(text: string, file?: string, lineOffset = 0): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(message);
    const where: Location = file !== undefined ? { file } : {};
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos).split("\n");
      where.line = lineOffset + before.length;
      where.col = before[before.length - 1]!.length + 1;
    } else if (lineOffset) where.line = lineOffset + 1;
    throw new BpfkitError(diag("BK3001", { message: message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "") }, where));
  }
}

/** Read a `.json` file (one bundle, or an array of bundles) or `.jsonl` text (one bundle per line). */
export function readBundles(text: string, file?: string, options: BundleReadOptions = {}): BundleProgram[] {
  const where = (line?: number): Location => ({ ...(file !== undefined ? { file } : {}), ...(line !== undefined ? { line } : {}) });
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    const arr = parseJson(text, file) as unknown[];
    return arr.map((b, i) => bundleToProgram(b, { ...where(), offset: i }, options));
  }
  const lines = text.split("\n");
  const nonEmpty = lines.map((l, i) => [l, i] as const).filter(([l]) => l.trim() !== "");
  const looksLikeJsonl = nonEmpty.length > 1 && nonEmpty.every(([l]) => l.trim().startsWith("{"));
  if (!looksLikeJsonl) return [bundleToProgram(parseJson(text, file), where(), options)];
  const out: BundleProgram[] = [];
  const problems: Diagnostic[] = [];
  for (const [l, i] of nonEmpty) {
    try {
      out.push(bundleToProgram(parseJson(l, file, i), where(i + 1), options));
    } catch (err) {
      if (err instanceof BpfkitError) problems.push(...err.diagnostics);
      else throw err;
    }
  }
  if (problems.length) throw new BpfkitError(problems, 2);
  return out;
}
