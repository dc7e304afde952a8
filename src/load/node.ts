// Reading a program file from disk (Node only): the bytes go to loadProgramBytes, which every
// front end shares.
import { readFile } from "node:fs/promises";
import { BpfkitError, diag } from "../diagnostics/index.js";
import type { Program } from "../program/index.js";
import { loadProgramBytes, pickProgram, requireUsable, type LoadedFile, type LoadOptions } from "./program-file.js";
import { resolveTarget, type TargetOptions } from "./target-node.js";

export { pickProgram, requireUsable };
export { resolveTarget, bundledTarget, BUNDLED, type TargetOptions } from "./target-node.js";

/** Command-line loading: the target kernel is chosen from --btf/--kconfig (see target-node.ts) unless given. */
export type NodeLoadOptions = LoadOptions & TargetOptions;

function withTarget(options: NodeLoadOptions): LoadOptions {
  if (options.target) return options;
  const { btf, kconfig, forKernel, ...rest } = options;
  const targetOptions: TargetOptions = { ...(btf !== undefined ? { btf } : {}), ...(kconfig !== undefined ? { kconfig } : {}), ...(forKernel ? { forKernel } : {}) };
  return { ...rest, target: () => resolveTarget(targetOptions) };
}

/** Load every program a file holds. */
export async function loadProgramFile(file: string, options: NodeLoadOptions = {}): Promise<LoadedFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new BpfkitError(diag("BK3005", { file, reason: `cannot read it (${code})` }, { file }), 2);
  }
  return loadProgramBytes(file, bytes, withTarget(options));
}

/** Load a file and pick one program: by name when given, else the only one. */
export async function loadOneProgram(file: string, options: NodeLoadOptions & { program?: string } = {}): Promise<Program> {
  const { programs } = await loadProgramFile(file, options);
  return pickProgram(programs, file, options.program);
}

/** Compatibility name used by the command modules: all programs of a file. */
export async function loadPrograms(file: string, options: NodeLoadOptions = {}): Promise<Program[]> {
  return (await loadProgramFile(file, options)).programs;
}
