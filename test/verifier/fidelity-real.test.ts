// Walk-fidelity fixes pinned on the committed corpora (test/fixtures/real, test/fixtures/selftests), whose
// kernel answers were recorded by scripts/real-corpus/record.mjs: the processed-insn count (and verdict,
// first error line) must be the kernel's for each program named here.
//   - explored states are looked up in the kernel's hash bucket (insn ^ callsite): states of the same
//     instruction reached through another call site neither stop a new checkpoint nor count as misses
//     (connect4_prog, test_misc_tcp_hdr_options: sub-programs called from several places);
//   - precision back-tracking steps over a call to a global function (it sets r0, r1-r5 are dead) instead
//     of giving up and marking every scalar precise; a global function's own exit makes nothing precise;
//   - BPF_PROG_LOAD flags (VerifyOptions.progFlags): BPF_F_TEST_STATE_FREQ, BPF_F_STRICT_ALIGNMENT, as the
//     selftests are loaded;
//   - no over-pruning: a packet pointer moved after a pkt_end compare loses its AT/BEYOND_PKT_END mark, and
//     alu32-linked scalars zero-extend (test_cls_redirect: 3,205 insns short before); states of a loop visit
//     that has a backedge compare by range (incomplete_read_marks; xdp_synproxy's bpf_loop callback: 7,231
//     insns short before).
// With a kernel, the whole level-2 log of the first two is compared with the running kernel's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { bundledTarget } from "../../src/load/node.js";
import type { Program } from "../../src/program/program.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { verifyProgram, type VerifyOptions } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";

const root = new URL("../..", import.meta.url).pathname;
const target = bundledTarget();

interface Recorded { name: string; result: string; processed?: number; firstError?: string; progFlags?: number }

function load(set: "real" | "selftests", object: string, name: string): { program: Program; opts: VerifyOptions; rec: Recorded } {
  const dir = join(root, "test/fixtures", set);
  const obj = loadObject(new Uint8Array(readFileSync(join(dir, object))), { file: object.split("/").pop()!, allowUnsupported: true, target });
  const p = obj.programs.find((x) => x.name === name)!;
  const section = p.section.replace(/^\?/, "");
  const sec = resolveSection(section)!;
  const rec = (JSON.parse(readFileSync(join(dir, "kernel", object.replace(/\.bpf\.o$/, ".json")), "utf8")) as { programs: Recorded[] }).programs.find((x) => x.name === name)!;
  // the recording machine had 2 CPUs (bpf_get_smp_processor_id's bound)
  // the target BTF (kfunc calls), opened only if the program needs it
  const opts: VerifyOptions = { progType: sec.progType, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, nrCpus: 2, targetBtf: () => target.btf(),
    ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), ...(rec.progFlags ? { progFlags: rec.progFlags } : {}) };
  return { program: { ...p, section }, opts, rec };
}

const CASES: ["real" | "selftests", string, string][] = [
  ["real", "linux-bpf-selftests/connect4_prog.bpf.o", "connect_v4_prog"],
  ["real", "linux-bpf-selftests/test_misc_tcp_hdr_options.bpf.o", "misc_estab"],
  ["real", "linux-bpf-selftests/test_cls_redirect.bpf.o", "cls_redirect"],
  ["real", "linux-bpf-selftests/xdp_synproxy_kern.bpf.o", "syncookie_xdp"],
  ["selftests", "verifier_scalar_ids.bpf.o", "linked_regs_bpf_x_dst"],
  ["selftests", "verifier_scalar_ids.bpf.o", "precision_many_frames"],
  ["selftests", "verifier_scalar_ids.bpf.o", "precision_stack"],
  ["selftests", "verifier_spill_fill.bpf.o", "old_imprecise_scalar_vs_cur_stack_misc"],
  ["selftests", "verifier_spin_lock.bpf.o", "check_ids_similar_id_mappings"],
  ["selftests", "verifier_direct_packet_access.bpf.o", "packet_access_test17_pruning_alignment"],
];

describe("verifier walk fidelity on recorded real programs", () => {
  for (const [set, object, name] of CASES) {
    it(`${object}:${name}`, () => {
      const { program, opts, rec } = load(set, object, name);
      const r = verifyProgram(program, opts);
      expect(r.verdict).toBe(rec.result === "loaded" ? "accept" : "reject");
      if (rec.firstError) expect(r.error?.message.split("\n")[0]).toBe(rec.firstError);
      expect(r.stats.processed).toBe(rec.processed);
    });
  }

  it("back-tracking steps over a global function call (no fallback to all scalars precise)", () => {
    const obj = loadObject(new Uint8Array(readFileSync(join(root, "test/fixtures/verifier/c/global_funcs.bpf.o"))), { file: "global_funcs.bpf.o" });
    const p = obj.programs.find((x) => x.name === "global_result_unbounded")!;
    const log = verifyProgram(p, { progType: resolveSection(p.section)!.progType, hasFuncInfo: true, logLevel: 2 }).log;
    expect(log).not.toMatch(/BUG|falling back to forcing all scalars precise/);
  });
});

describeKernel("verifier walk fidelity: whole level-2 logs as the running kernel writes them", () => {
  const cases: [string, string, string][] = [
    [join(root, "test/fixtures/real/linux-bpf-selftests/connect4_prog.bpf.o"), "connect_v4_prog", "real"],
    [join(root, "test/fixtures/verifier/c/global_funcs.bpf.o"), "global_result_unbounded", "c"],
  ];
  for (const [file, name] of cases) {
    it(`${file.split("/").pop()}:${name}`, async () => {
      const { kernelVerifyProgram } = await import("../../src/testing/kernel-verdict.js");
      const obj = loadObject(new Uint8Array(readFileSync(file)), { file: file.split("/").pop()!, allowUnsupported: true, target });
      const p = obj.programs.find((x) => x.name === name)!;
      const section = p.section.replace(/^\?/, "");
      const sec = resolveSection(section)!;
      const prog = { ...p, section };
      const ours = verifyProgram(prog, { progType: sec.progType, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, logLevel: 2, nrCpus: 2,
        ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}) });
      const k = kernelVerifyProgram(prog, 2, sec.progType, sec.attachType);
      const norm = (s: string): string => s.replace(/0xffff[0-9a-f]{12}/g, "<addr>").replace(/verification time \d+ usec\n/, "");
      expect(norm(ours.log)).toBe(norm(k.log));
    });
  }
});
