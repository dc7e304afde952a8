// Real C programs (test/fixtures/verifier/c/*.bpf.c, compiled by clang-19 into the committed .o files)
// against the verdicts the running kernel gave them (test/fixtures/verifier/c-programs.json, recorded by
// scripts/record-verifier-c.ts): every program must get the kernel's verdict; the first error line and
// the processed-instruction count are reported.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import type { Program } from "../../src/program/program.js";
import { resolveSection } from "../../src/progtypes/index.js";
import { verifyProgram, type VerifyResult } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";

interface Rec { object: string; program: string; section: string; verdict: "accept" | "reject"; errno: number; error?: string; processed?: number }

const DIR = new URL("../fixtures/verifier/c/", import.meta.url);
/** Possible CPUs of the machine the kernel verdicts were recorded on: bpf_get_smp_processor_id's bound. */
const RECORDED_CPUS = 2;
const records: Rec[] = JSON.parse(readFileSync(new URL("../fixtures/verifier/c-programs.json", import.meta.url), "utf8")) as Rec[];

const objects = new Map<string, Program[]>();
function programOf(r: Rec): Program {
  let progs = objects.get(r.object);
  if (!progs) {
    progs = loadObject(new Uint8Array(readFileSync(new URL(r.object, DIR))), { file: r.object }).programs;
    objects.set(r.object, progs);
  }
  const p = progs.find((x) => x.name === r.program);
  if (!p) throw new Error(`${r.object}: no program ${r.program}`);
  return p;
}

export function emulate(p: Program): VerifyResult {
  const sec = resolveSection(p.section);
  if (!sec) throw new Error(`unknown section ${p.section}`);
  return verifyProgram(p, { progType: sec.progType, nrCpus: RECORDED_CPUS, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}),
    hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0, timeoutMs: 180_000 });
}

describe("verifier on real C programs (recorded kernel verdicts)", () => {
  const rows = records.map((r) => ({ r, ours: emulate(programOf(r)) }));

  it("covers the program types and both verdicts", () => {
    expect(records.length).toBeGreaterThanOrEqual(100);
    const sections = new Set(records.map((r) => r.section.split("/")[0]));
    for (const s of ["xdp", "tc", "socket", "cgroup_skb", "sockops", "sk_msg", "kprobe", "tracepoint", "raw_tracepoint", "perf_event",
      "flow_dissector", "sk_reuseport", "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local", "cgroup"]) expect(sections).toContain(s);
    const acc = records.filter((r) => r.verdict === "accept").length;
    expect(acc).toBeGreaterThan(records.length * 0.3);
    expect(records.length - acc).toBeGreaterThan(records.length * 0.3);
  });

  it("gives the kernel's verdict on every program", () => {
    const wrong = rows.filter(({ r, ours }) => ours.verdict !== r.verdict)
      .map(({ r, ours }) => `${r.object}:${r.program} kernel ${r.verdict} ${r.error ?? ""} | ours ${ours.verdict} ${ours.error?.message.split("\n")[0] ?? ""}`);
    expect(wrong).toEqual([]);
  });

  it("prints the kernel's first error line for >= 90% of rejections (reported)", () => {
    const rej = rows.filter(({ r }) => r.verdict === "reject");
    const diff = rej.filter(({ r, ours }) => ours.error?.message.split("\n")[0] !== r.error);
    const same = rej.length - diff.length;
    console.log(`C programs: first error line ${same}/${rej.length}` + diff.map(({ r, ours }) =>
      `\n  ${r.object}:${r.program}\n    kernel: ${r.error}\n    ours:   ${ours.error?.message.split("\n")[0] ?? "(accepted)"}`).join(""));
    expect(same / rej.length).toBeGreaterThanOrEqual(0.9);
  });

  it("walks about as many instructions as the kernel on accepted programs (reported)", () => {
    const acc = rows.filter(({ r }) => r.verdict === "accept" && r.processed !== undefined);
    const exact = acc.filter(({ r, ours }) => ours.stats.processed === r.processed).length;
    const ratios = acc.map(({ r, ours }) => ours.stats.processed / r.processed!);
    console.log(`C programs: processed-insn count equal on ${exact}/${acc.length} accepted programs, max ratio ${Math.max(...ratios).toFixed(2)}`);
    // without precision tracking the emulator may walk more, never absurdly more
    expect(Math.max(...ratios)).toBeLessThan(20);
  });
});

describeKernel("verifier on real C programs (live kernel)", () => {
  it("the recorded verdicts still hold on this kernel", async () => {
    const { kernelVerdictOf } = await import("../../scripts/record-verifier-c.js");
    const changed = records.filter((r) => r.processed === undefined || r.processed < 100_000)
      .filter((r) => kernelVerdictOf(programOf(r)).verdict !== r.verdict).map((r) => `${r.object}:${r.program}`);
    expect(changed).toEqual([]);
  });
});
