// Every program of the real-program corpus (test/fixtures/real) and the verifier selftests
// (test/fixtures/selftests) that the running kernel loaded through libbpf, loaded again through bpfkit:
// opened and relocated by bpfkit's ELF loader for the running kernel (CO-RE, kfunc/.ksyms ids, .kconfig),
// then handed to the kernel by bpfkit's loader (src/kernel/loader.ts: maps as libbpf creates them, the
// object's BTF with func/line info, attach BTF ids). Prints how many load, and why the others did not.
// Also checks that the attach BTF id bpfkit finds is the one libbpf used (test/fixtures/<set>/libbpf).
// The test (test/elf/real-corpus-relocation.test.ts) loads a third of the objects; this loads them all.
//
//   npx tsx scripts/real-corpus-kernel-load.ts [--set real|selftests|all]      (root, Linux)
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadObject } from "../src/elf/index.js";
import { attachBtfIdOf } from "../src/elf/attach-target.js";
import { loadProgramIntoKernel } from "../src/kernel/index.js";
import { resolveTarget } from "../src/load/node.js";
import type { Program } from "../src/program/index.js";
import { adjustMaps, jsonFiles } from "../test/support/corpus.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const setArg = args.includes("--set") ? args[args.indexOf("--set") + 1]! : "all";
const SETS = setArg === "all" ? ["real", "selftests"] : [setArg];
// freplace (28) attaches to another loaded program, which bpfkit's loader does not resolve; struct_ops (27)
// programs load with the struct and member the ELF loader bound them to (src/elf/struct-ops.ts)
const NOT_LOADABLE = new Set([28]);

interface KernelProgram { name: string; result: string; progType?: number; expectedAttachType?: number; adjustedMaps?: string }



const target = resolveTarget({ forKernel: true });
for (const set of SETS) {
  const dir = join(repo, "test/fixtures", set);
  let tried = 0, ok = 0, skipped = 0, attachChecked = 0;
  const bad: string[] = [];
  for (const f of jsonFiles(join(dir, "kernel"))) {
    const rec = JSON.parse(readFileSync(f, "utf8")) as { object: string; programs?: KernelProgram[] };
    const parityFile = f.replace(`${join(dir, "kernel")}`, join(dir, "libbpf"));
    const parity = existsSync(parityFile) ? JSON.parse(readFileSync(parityFile, "utf8")) as { programs?: { name: string; attachBtfId?: number }[] } : undefined;
    const loadedByKernel = (rec.programs ?? []).filter((k) => k.result === "loaded");
    if (!loadedByKernel.length) continue;
    const obj = loadObject(new Uint8Array(readFileSync(join(dir, rec.object))), { file: rec.object.split("/").pop()!, target });
    for (const k of loadedByKernel) {
      if (k.progType === undefined || NOT_LOADABLE.has(k.progType)) { skipped++; continue; }
      const p = obj.programs.find((q) => q.name === k.name);
      if (!p) { bad.push(`${rec.object} ${k.name}: bpfkit did not find the program`); continue; }
      const section = p.section.replace(/^\?/, "");
      const want = parity?.programs?.find((q) => q.name === k.name)?.attachBtfId;
      if (want !== undefined) {
        attachChecked++;
        const ours = p.structOps ? p.attachBtfId : attachBtfIdOf(section, target.btf());
        if (ours !== want) bad.push(`${rec.object} ${k.name}: attach BTF id ${ours}, libbpf used ${want}`);
      }
      const prog: Program = { ...adjustMaps(p, k.adjustedMaps), section };
      Object.defineProperty(prog, "targetBtf", { get: () => p.targetBtf, enumerable: false });
      tried++;
      try {
        // struct_ops: the member index is bpfkit's own (compared with the recording's just above)
        const eat = p.structOps ? undefined : k.expectedAttachType;
        if (p.structOps && k.expectedAttachType !== undefined && p.structOps.memberIndex !== k.expectedAttachType) {
          bad.push(`${rec.object} ${k.name}: member index (expected_attach_type) ${p.structOps.memberIndex}, libbpf used ${k.expectedAttachType}`);
        }
        loadProgramIntoKernel(prog, { progType: k.progType, ...(eat !== undefined ? { expectedAttachType: eat } : {}) }).close();
        ok++;
      } catch (e) {
        bad.push(`${rec.object} ${k.name} (type ${k.progType}): ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
      }
    }
  }
  console.log(`== ${set}: ${ok}/${tried} programs the kernel loaded through libbpf also load through bpfkit; ${skipped} freplace not tried; attach BTF ids equal to libbpf's: ${attachChecked - bad.filter((b) => b.includes("attach BTF id")).length}/${attachChecked}`);
  for (const b of bad) console.log(`  ${b}`);
}
