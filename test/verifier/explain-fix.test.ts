// `verify --explain` suggests a fix; here each suggestion is applied (explain's own patch, inserted before
// the faulting instruction) and held to the kernel: the original is rejected by both the emulator and the
// kernel, the patched program accepted by both. A fix that only reads well (a check on `data + N` for a
// pointer with a variable offset) fails here.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/text/index.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { applyFix, explain, type Explanation } from "../../src/verifier/explain.js";
import { toRawSlots } from "../../src/verifier/verifier.js";
import type { Program } from "../../src/program/program.js";
import { describeKernel } from "../support/kernel.js";

interface Case { name: string; asm: string; rejects: RegExp; fix: RegExp }

const XDP_PARSE = `
        .section xdp
        .license "GPL"
        r0 = 2
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r1 = r2
        r1 += 14
        if r1 > r3 goto out
        r4 = r2
        r4 += 34
        if r4 > r3 goto out
        r2 = *(u8 *)(r2 + 23)
        if r2 != 6 goto out`;

const CASES: Case[] = [
  {
    // struct tcphdr *tcp = (void *)ip + ip->ihl * 4; if (tcp->dest == htons(22)) ... (clang-19 output)
    name: "a TCP header behind a variable-length IPv4 header (variable offset)",
    asm: `${XDP_PARSE}
        r2 = *(u8 *)(r1 + 0)
        r2 <<= 2
        r2 &= 60
        r1 += r2
        r1 = *(u16 *)(r1 + 2)
        r0 = 1
        if r1 == 0x1600 goto out
        r0 = 2
out:
        exit`,
    rejects: /^invalid access to packet, off=16 size=2, R1\(id=1,off=16,r=0\)/,
    fix: /compare this pointer itself with data_end.*\+ 4 > data_end/s,
  },
  {
    name: "a read past the checked Ethernet header (constant offset)",
    asm: `
        .section xdp
        r0 = 2
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r1 = r2
        r1 += 14
        if r1 > r3 goto out
        r0 = *(u8 *)(r2 + 23)
out:
        exit`,
    rejects: /^invalid access to packet, off=23 size=1, R2\(id=0,off=23,r=14\)/,
    fix: /data \+ 24 > data_end/,
  },
  {
    name: "tc: a port behind a variable-length IPv4 header in __sk_buff data",
    asm: `
        .section tc
        .license "GPL"
        r0 = 0
        r2 = *(u32 *)(r1 + 76)
        r3 = *(u32 *)(r1 + 80)
        r4 = r2
        r4 += 34
        if r4 > r3 goto out
        r5 = *(u8 *)(r2 + 14)
        r5 &= 15
        r5 <<= 2
        r2 += 14
        r2 += r5
        r0 = *(u16 *)(r2 + 0)
out:
        exit`,
    rejects: /^invalid access to packet, off=14 size=2, R2\(id=\d+,off=14,r=0\)/,
    fix: /compare this pointer itself/,
  },
  {
    name: "a map lookup used without a NULL check",
    asm: `
        .section xdp
        .license "GPL"
        .map counts, type=hash, key=4, value=8, max_entries=4
        *(u32 *)(r10 - 4) = 0
        r2 = r10
        r2 += -4
        r1 = counts ll
        call bpf_map_lookup_elem
        r1 = *(u64 *)(r0 + 0)
        r0 = 2
        exit`,
    rejects: /^R0 invalid mem access 'map_value_or_null'/,
    fix: /if r0 == 0 goto out/,
  },
  {
    name: "a socket lookup used without a NULL check (the NULL path holds no reference)",
    asm: `
        .section tc
        .license "GPL"
        r2 = r10
        r2 += -16
        *(u64 *)(r10 - 16) = 0
        *(u32 *)(r10 - 8) = 0
        r3 = 12
        r4 = 0
        r5 = 0
        call bpf_sk_lookup_tcp
        r6 = r0
        r2 = *(u32 *)(r6 + 4)
        r1 = r6
        call bpf_sk_release
        r0 = 0
        exit`,
    rejects: /^R6 invalid mem access 'sock_or_null'/,
    fix: /if r6 == 0 goto out/,
  },
  {
    name: "exit without a return value",
    asm: `
        .section xdp
        r1 = 1
        exit`,
    rejects: /^R0 !read_ok/,
    fix: /r0 = 0/i,
  },
];

function program(c: Case): { prog: Program; progType: number } {
  const prog = assemble(c.asm, { file: `${c.name}.s` });
  const sec = resolveSection(prog.section)!;
  return { prog, progType: sec.progType };
}

function explained(c: Case): { prog: Program; progType: number; ex: Explanation } {
  const { prog, progType } = program(c);
  const res = verifyProgram(prog, { progType, captureRegs: true }); // as `verify --explain` does
  expect(res.verdict, c.name).toBe("reject");
  expect(res.error!.message, c.name).toMatch(c.rejects);
  const ex = explain(res, toRawSlots(prog.insns), prog.maps, progType)!;
  expect(ex.fix, c.name).toMatch(c.fix);
  expect(ex.patch, `${c.name}: a patch`).toBeDefined();
  return { prog, progType, ex };
}

describe("--explain's fixes, applied (emulator)", () => {
  for (const c of CASES) {
    it(`${c.name}: the patched program is accepted`, () => {
      const { prog, progType, ex } = explained(c);
      const fixed = applyFix(prog, ex.patch!);
      const res = verifyProgram(fixed, { progType });
      expect(res.error?.message ?? "", c.name).toBe("");
      expect(res.verdict).toBe("accept");
    });
  }

  it("a variable-offset pointer is not told to check `data + N` (the advice that does not work)", () => {
    const { ex } = explained(CASES[0]!);
    expect(ex.fix).not.toMatch(/data \+ \d+ > data_end/);
    expect(ex.why).toMatch(/id=1/);
  });
});

describeKernel("--explain's fixes, applied (kernel)", () => {
  for (const c of CASES) {
    it(`${c.name}: the kernel rejects the original and accepts the patched program`, async () => {
      const { kernelVerifyProgram } = await import("../../src/testing/kernel-verdict.js");
      const { prog, progType, ex } = explained(c);
      const before = kernelVerifyProgram(prog, 1, progType);
      expect(before.verdict, `${c.name}: ${before.error}`).toBe("reject");
      expect(before.error).toMatch(c.rejects);
      const after = kernelVerifyProgram(applyFix(prog, ex.patch!), 1, progType);
      expect(after.error ?? "", c.name).toBe("");
      expect(after.verdict).toBe("accept");
    });
  }
});
