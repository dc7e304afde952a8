// Deployment files: several programs (from any program files) attached in one step, sharing maps by name.
//   { "name": "proxy", "programs": [
//       { "file": "sockops.json", "attach": { "type": "sockops", "target": "/sys/fs/cgroup/unified/app" } },
//       { "file": "redir.o", "program": "redir", "attach": { "type": "sk_msg", "target": "sock_hash" } } ] }
// Files are relative to the deployment file.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { BpfkitError, diag } from "../diagnostics/index.js";
import { loadPrograms, pickProgram, type TargetOptions } from "../load/node.js";
import type { Program } from "../program/index.js";
import type { TypeOption } from "../elf/type-choice.js";
import { tailCallTargets, type AttachSpec, type DeployProgram } from "./deploy.js";

const TYPES = new Set(["xdp", "tc", "sockops", "sk_msg", "sk_skb", "cgroup", "none"]);

export interface DeploymentFile {
  name?: string;
  programs: DeployProgram[];
}

export async function readDeploymentFile(path: string, type?: TypeOption, target: TargetOptions = { forKernel: true }): Promise<DeploymentFile> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new BpfkitError(diag("BK7017", { reason: `${path}: ${err instanceof Error ? err.message : String(err)}` }, { file: path }), 2);
  }
  const bad = (reason: string): never => { throw new BpfkitError(diag("BK7017", { reason }, { file: path }), 2); };
  if (!json || typeof json !== "object" || !Array.isArray((json as { programs?: unknown }).programs)) bad("expected an object with a `programs` array");
  const obj = json as { name?: unknown; programs: unknown[] };
  const out: { name?: string; programs: (DeployProgram & { objectPrograms: Program[] })[] } = { programs: [] };
  if (typeof obj.name === "string") out.name = obj.name;
  for (const [i, entry] of obj.programs.entries()) {
    const e = entry as { file?: unknown; program?: unknown; type?: unknown; attach?: unknown };
    if (typeof e?.file !== "string") bad(`programs[${i}]: \`file\` (a program file) is required`);
    const attach = e.attach as AttachSpec | undefined;
    if (!attach || typeof attach !== "object" || !TYPES.has(String(attach.type))) bad(`programs[${i}]: \`attach.type\` must be one of ${[...TYPES].join(", ")}`);
    const file = resolve(dirname(path), e.file as string);
    const t = typeof e.type === "string" ? e.type : type;
    const programs = await loadPrograms(file, { ...target, ...(t !== undefined ? { type: t } : {}) });
    out.programs.push({ program: pickProgram(programs, file, typeof e.program === "string" ? e.program : undefined), attach: attach!, objectPrograms: programs });
  }
  // Tail-call targets named by prog_array slots (and not listed themselves) are loaded too, unattached.
  const listed = new Set(out.programs.map((p) => p.program.name));
  for (const item of [...out.programs]) {
    for (const t of tailCallTargets(item.program, item.objectPrograms)) {
      if (listed.has(t.name)) continue;
      listed.add(t.name);
      out.programs.push({ program: t, attach: { type: "none" }, objectPrograms: item.objectPrograms });
    }
  }
  return { ...(out.name !== undefined ? { name: out.name } : {}), programs: out.programs.map(({ program, attach }) => ({ program, attach })) };
}
