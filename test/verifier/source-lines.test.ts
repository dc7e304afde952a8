// The `; source @ file:line` lines of the verifier log (verbose_linfo): printed when the line_info record
// covering an instruction changes, skipping a record for the same file and line, and not reset by branch
// pops. Compared with the kernel's own level-2 log, loaded with the object's BTF as libbpf would.
import { readdirSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { kernelVerifyProgram } from "../../src/testing/kernel-verdict.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";

const objects = [
  ...readdirSync(new URL("../../bpf/", import.meta.url)).filter((f) => f.endsWith(".bpf.o")).map((f) => new URL(`../../bpf/${f}`, import.meta.url)),
  ...readdirSync(new URL("../fixtures/verifier/c/", import.meta.url)).filter((f) => f.endsWith(".bpf.o")).map((f) => new URL(`../fixtures/verifier/c/${f}`, import.meta.url)),
];
// Only the source lines and the instruction lines they precede: the emulator and the kernel may differ in
// state printing elsewhere, this test is about where the source lines go.
const sourceLines = (log: string): string[] => {
  const lines = log.split("\n");
  const out: string[] = [];
  lines.forEach((l, i) => { if (l.startsWith("; ")) out.push(`${l} | ${(lines[i + 1] ?? "").split(/\s{2,}|;/)[0]!.replace(/= 0x[0-9a-f]+$/, "= <address>")}`); });
  return out;
};

describeKernel("verifier log source lines against the kernel", () => {
  it("prints the kernel's `; source` lines before the same instructions (level 2, every program)", () => {
    let programs = 0, withLines = 0;
    const differ: string[] = [];
    for (const url of objects) {
      const obj = loadObject(new Uint8Array(readFileSync(url)), { file: url.pathname });
      for (const p of obj.programs) {
        const sec = resolveSection(p.section);
        if (!sec) continue;
        const opts = { progType: sec.progType, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}) };
        // a walk of 100k+ instructions (the 1M-insn loop fixtures) makes a level-2 log of hundreds of MB on
        // both sides and tells nothing more about where source lines go
        if (verifyProgram(p, opts).stats.processed > 20_000) continue;
        programs++;
        const ours = sourceLines(verifyProgram(p, { ...opts, logLevel: 2 }).log);
        const k = kernelVerifyProgram(p, 2);
        const theirs = sourceLines(k.log);
        if (theirs.length) withLines++;
        // a verdict that differs walks other paths: those are counted by the C-program test, not here
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
          const i = ours.findIndex((l, j) => l !== theirs[j]);
          differ.push(`${url.pathname.split("/").pop()}:${p.name} #${i}: ours ${ours[i]} | kernel ${theirs[i]}`);
        }
      }
    }
    expect(withLines).toBeGreaterThan(programs / 2);
    expect(differ.length / programs, differ.slice(0, 10).join("\n")).toBeLessThanOrEqual(0.05);
    // every C program twice at level 2 (emulator and kernel): over a minute on a loaded 2-core machine
  }, 300_000);
});
