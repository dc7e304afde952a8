// The kernel's verdict for `verify --compare-kernel` comes from the kernel loader's one load path, the way
// libbpf loads an object: BTF with func_info (bpf_loop callbacks, global functions), line_info (the log's
// `; source @ file:line` lines), map BTF (spin locks) and global data with its contents. Raw slots without
// any of that are the control: the same bytes get a different kernel verdict, so these tests can fail.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { explainVerifierLog, patchMapReferencesInBytecode } from "../../src/kernel/loader.js";
import type { Program } from "../../src/program/program.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { formatKernelComparison, kernelVerify, kernelVerifyProgram, type KernelVerdict } from "../../src/testing/kernel-verdict.js";
import { toRawSlots, verifyProgram, type VerifyResult } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";
import { possibleCpus } from "../../src/kernel/maps.js";

const DIR = new URL("../fixtures/verifier/c/", import.meta.url);
const programOf = (object: string, name: string): Program => {
  const p = loadObject(new Uint8Array(readFileSync(new URL(object, DIR))), { file: object }).programs.find((x) => x.name === name);
  if (!p) throw new Error(`${object}: no program ${name}`);
  return p;
};
const emulate = (p: Program): VerifyResult => {
  const sec = resolveSection(p.section)!;
  return verifyProgram(p, { progType: sec.progType, nrCpus: possibleCpus(), ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 });
};
const firstLine = (r: VerifyResult): string | undefined => r.error?.message.split("\n")[0];

describe("patchMapReferencesInBytecode", () => {
  const slot = (code: number, regs: number, imm: number): number[] => {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint8(0, code); v.setUint8(1, regs); v.setInt32(4, imm, true);
    return [...b];
  };
  it("patches lddw map indexes (src 1 and 2) slot by slot and leaves the rest", () => {
    const bytes = Uint8Array.from([
      ...slot(0x18, 0x11, 0), ...slot(0, 0, 0), // r1 = map[0]
      ...slot(0x18, 0x21, 1), ...slot(0, 0, 8), // r1 = &map[1] + 8
      ...slot(0x18, 0x01, 1), ...slot(0, 0, 0x18), // plain 64-bit constant
      ...slot(0x18, 0x11, 5), ...slot(0, 0, 0), // no map 5: left for the kernel to judge
      ...slot(0x95, 0, 0),
    ]);
    const out = new DataView(patchMapReferencesInBytecode(bytes, [40, 41]).buffer);
    expect([0, 2, 4, 6].map((s) => out.getInt32(s * 8 + 4, true))).toEqual([40, 41, 1, 5]);
    expect(out.getInt32(3 * 8 + 4, true)).toBe(8);
    expect(new DataView(bytes.buffer).getInt32(4, true)).toBe(0); // the input is not changed
  });
});

describe("formatKernelComparison (the --compare-kernel table)", () => {
  const kernelLog = "0: (61) r2 = *(u32 *)(r1 +0)\n; return *p; @ prog.bpf.c:12\n5: (71) r0 = *(u8 *)(r2 +8)\ninvalid access to packet, off=8 size=1\nprocessed 6 insns\n";
  const k = (over: Partial<KernelVerdict>): KernelVerdict => ({ verdict: "reject", errno: 13, log: kernelLog, timeNs: 1, error: "invalid access to packet, off=8 size=1", ...over });
  const ours = (message?: string): Pick<VerifyResult, "verdict" | "error"> =>
    message === undefined ? { verdict: "accept" } : { verdict: "reject", error: { pc: 5, message, errno: 13, line: { pc: 5, file: "./src/prog.bpf.c", line: 12, col: 3 } } };
  const rows = (t: string): string[] => t.trimEnd().split("\n");

  it("shows each verdict, its pc and source line, its first error line, and agreement", () => {
    const t = rows(formatKernelComparison(ours("invalid access to packet, off=8 size=1\nmore"), k({})));
    expect(t[1]).toMatch(/^emulator  reject   pc 5 \(prog\.bpf\.c:12\)  invalid access to packet, off=8 size=1$/);
    expect(t[2]).toMatch(/^kernel    reject   pc 5 \(prog\.bpf\.c:12\)  invalid access to packet, off=8 size=1$/);
    expect(t.at(-1)).toBe("agree: same verdict and first error line");
  });
  it("names the kind of disagreement and shows the load's notes", () => {
    expect(rows(formatKernelComparison(ours(), k({}))).at(-1)).toBe("DISAGREE: the emulator says accept, the kernel reject");
    expect(rows(formatKernelComparison(ours("R0 !read_ok"), k({}))).at(-1)).toBe("DISAGREE: both reject, with different first error lines");
    const t = formatKernelComparison(ours(), { verdict: "accept", errno: 0, log: "", timeNs: 1, warnings: ["BTF refused by the kernel (EINVAL)"] });
    expect(t).toMatch(/^kernel\s+accept\s+-\s+-$/m);
    expect(t).toContain("note: BTF refused by the kernel (EINVAL)\nagree");
  });
});

describeKernel("kernel verdict loaded as libbpf loads it", () => {
  it("a bpf_loop callback verifies with the object's func_info, as the emulator says; without it the kernel refuses", () => {
    const p = programOf("loops.bpf.o", "with_bpf_loop");
    const ours = emulate(p);
    const k = kernelVerifyProgram(p);
    expect(k.warnings).toBeUndefined();
    expect([ours.verdict, k.verdict]).toEqual(["accept", "accept"]);
    // the control: the same slots loaded raw, as --compare-kernel used to
    const raw = kernelVerify(p.section, toRawSlots(p.insns), p.maps, p.license);
    expect(raw.verdict).toBe("reject");
    expect(raw.error).toBe("missing btf func_info");
  });

  it("a rejected bpf_loop callback: same first error line from both", () => {
    const p = programOf("loops.bpf.o", "bpf_loop_bad_return");
    const ours = emulate(p);
    const k = kernelVerifyProgram(p);
    expect(k.verdict).toBe("reject");
    expect(ours.verdict).toBe("reject");
    expect(firstLine(ours)).toBe(k.error);
    expect(k.error).toMatch(/^At callback return the register R0/);
  });

  it("the kernel's log carries `; source @ file:line` lines, pointing where the emulator points", () => {
    const p = programOf("map_null.bpf.o", "no_null_check");
    const ours = emulate(p);
    const k = kernelVerifyProgram(p);
    expect(k.verdict).toBe("reject");
    expect(firstLine(ours)).toBe(k.error);
    expect(k.log).toMatch(/^; .+ @ map_null\.bpf\.c:\d+$/m);
    const where = explainVerifierLog(k.log);
    expect(where.file).toMatch(/map_null\.bpf\.c$/);
    expect(where.line).toBe(ours.error!.line!.line);
    expect(where.pc).toBe(ours.error!.pc);
  });

  it("spin-lock maps get their BTF value type: the kernel accepts bpf_spin_lock, and says why without map BTF", () => {
    const p = programOf("maps_special.bpf.o", "lock_ok");
    expect(emulate(p).verdict).toBe("accept");
    expect(kernelVerifyProgram(p).verdict).toBe("accept");
    const raw = kernelVerify(p.section, toRawSlots(p.insns), p.maps.map(({ btfKeyTypeId: _k, btfValueTypeId: _v, ...m }) => m), p.license);
    expect(raw.verdict).toBe("reject");
    expect(raw.error).toBe("map 'locks' has to have BTF in order to use bpf_spin_lock");
  });

  it(".rodata is written and frozen: a write into it is refused by both", () => {
    const p = programOf("global_data.bpf.o", "writes_rodata");
    const ours = emulate(p);
    const k = kernelVerifyProgram(p);
    expect([ours.verdict, k.verdict]).toEqual(["reject", "reject"]);
    expect(firstLine(ours)).toBe(k.error);
    expect(kernelVerifyProgram(programOf("global_data.bpf.o", "counts")).verdict).toBe("accept");
  });

  it("raw slots keep their license as written: an empty one is not GPL", () => {
    // call bpf_get_current_task (35, GPL-only); r0 = 0; exit
    const slots = [{ code: 0x85, dst: 0, src: 0, off: 0, imm: 35 }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    expect(kernelVerify("kprobe", slots, [], "GPL").verdict).toBe("accept");
    const k = kernelVerify("kprobe", slots, [], "");
    expect(k.verdict).toBe("reject");
    expect(k.error).toBe("cannot call GPL-restricted function from non-GPL compatible program");
  });
});
