// struct_ops programs through bpfkit's own path, as `bpfkit verify` takes them: the ELF loader binds each
// program to its kernel struct and member (src/elf/struct-ops.ts), programType hands the verifier the
// struct's BTF id and the member index, the verifier (src/verifier/struct-ops.ts) gives the verdict. Held to
// what libbpf 1.5 and Linux 6.18 did with the same objects:
// - test/fixtures/verifier/kfuncs/structops.bpf.c (tcp_congestion_ops and bpf_dummy_ops members, accepted and
//   refused; recorded by scripts/record-verifier-kfuncs.ts): binding equal to libbpf's, the kernel's
//   verdict, first error line and processed count;
// - the real corpus's struct_ops programs (bpf_cubic, bpf_dctcp, tcp_ca_write_sk_pacing): same.
// Then what libbpf refuses while binding (a relocation into no function pointer, a program bound twice,
// a program bound to nothing, a struct the kernel lacks), and loads through bpfkit's kernel loader.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { readElf } from "../../src/elf/reader.js";
import { bundledTarget } from "../../src/load/node.js";
import { programType } from "../../src/cli/verify-target.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { loadProgramIntoKernel } from "../../src/kernel/index.js";
import type { Program } from "../../src/program/index.js";
import { describeKernel } from "../support/kernel.js";
import { liveRegisters } from "../../src/verifier/liveness.js";

const target = bundledTarget();
const FIX = new URL("../fixtures/verifier/kfuncs/", import.meta.url).pathname;
const REAL = new URL("../fixtures/real/", import.meta.url).pathname;

interface Recorded { name: string; expectedAttachType?: number; attachBtfId?: number; kernel: { verdict: "accept" | "reject"; error?: string; processed?: number } }

function open(path: string, bytes: Uint8Array = new Uint8Array(readFileSync(path))) {
  return loadObject(bytes, { file: path.split("/").pop()!, target });
}

function verify(p: Program, license?: string) {
  const kind = programType(p.section, undefined, p.name, p, () => target.btf());
  return verifyProgram(license !== undefined ? { ...p, license } : p, { ...kind, hasFuncInfo: (p.btf?.funcInfo?.length ?? 0) > 0 });
}

describe("struct_ops fixtures (tcp_congestion_ops, bpf_dummy_ops) against libbpf and the kernel", () => {
  const rec = (JSON.parse(readFileSync(FIX + "structops.json", "utf8")) as { programs: Recorded[] }).programs;
  const obj = open(FIX + "structops.bpf.o");
  it("has accepted and refused programs of both struct_ops types", () => {
    expect(rec.filter((r) => r.kernel.verdict === "accept").length).toBeGreaterThanOrEqual(8);
    expect(rec.filter((r) => r.kernel.verdict === "reject").length).toBeGreaterThanOrEqual(10);
    expect(new Set(obj.programs.map((p) => p.structOps?.struct))).toEqual(new Set(["tcp_congestion_ops", "bpf_dummy_ops"]));
  });
  for (const r of rec) {
    it(`${r.name}: bound as libbpf binds it; ${r.kernel.verdict === "accept" ? "accepted" : `refused: ${r.kernel.error}`} in ${r.kernel.processed} insns`, () => {
      const p = obj.programs.find((x) => x.name === r.name)!;
      expect(p.unsupported).toBeUndefined();
      expect(p.structOps?.memberIndex).toBe(r.expectedAttachType);
      expect(p.attachBtfId).toBe(r.attachBtfId);
      const res = verify(p);
      expect(res.verdict, res.error?.message).toBe(r.kernel.verdict);
      if (r.kernel.error !== undefined) expect(res.error?.message.split("\n")[0]).toBe(r.kernel.error);
      expect(res.stats.processed).toBe(r.kernel.processed);
    });
  }
  it("refuses a struct_ops program without a GPL-compatible licence before the walk", () => {
    const res = verify(obj.programs.find((x) => x.name === "so_ssthresh")!, "Proprietary");
    expect(res.verdict).toBe("reject");
    expect(res.error?.message).toBe("struct ops programs must have a GPL compatible license");
    expect(res.stats.processed).toBe(0);
  });
});

describe("struct_ops programs of the real corpus", () => {
  for (const f of ["bpf_cubic", "bpf_dctcp", "tcp_ca_write_sk_pacing"]) {
    it(`${f}: every program bound to libbpf's member, with the kernel's verdict and processed count`, () => {
      const kernel = JSON.parse(readFileSync(`${REAL}kernel/linux-bpf-selftests/${f}.json`, "utf8")) as { programs: (Recorded & { result: string; processed: number })[] };
      const libbpf = JSON.parse(readFileSync(`${REAL}libbpf/linux-bpf-selftests/${f}.json`, "utf8")) as { programs: { name: string; attachBtfId: number }[] };
      const obj = open(`${REAL}linux-bpf-selftests/${f}.bpf.o`);
      expect(kernel.programs.length).toBeGreaterThan(3);
      for (const k of kernel.programs) {
        const p = obj.programs.find((x) => x.name === k.name)!;
        expect(p.structOps?.memberIndex, k.name).toBe(k.expectedAttachType);
        expect(p.attachBtfId, k.name).toBe(libbpf.programs.find((x) => x.name === k.name)!.attachBtfId);
        const res = verify(p);
        expect(res.verdict, `${k.name}: ${res.error?.message}`).toBe(k.result === "loaded" ? "accept" : "reject");
        expect(res.stats.processed, k.name).toBe(k.processed);
      }
    });
  }
});

describe("binding struct_ops programs as libbpf does", () => {
  const path = FIX + "structops.bpf.o";
  const bytes = new Uint8Array(readFileSync(path));
  const elf = readElf(bytes);
  const rel = elf.sections.find((s) => s.name === ".rel.struct_ops")!;
  const relos = elf.relocations.get(elf.sections.find((s) => s.name === ".struct_ops")!.index)!.entries;
  const symIndex = (name: string): number => elf.symbols.find((s) => s.name === name)!.index;
  /** A copy of the object with relocation `i` changed (its offset in the section, or the symbol it names). */
  const patched = (i: number, change: { offset?: number; symbol?: number }): Uint8Array => {
    const b = bytes.slice();
    const dv = new DataView(b.buffer, b.byteOffset + rel.offset + 16 * i, 16);
    if (change.offset !== undefined) dv.setBigUint64(0, BigInt(change.offset), true);
    if (change.symbol !== undefined) dv.setUint32(12, change.symbol, true);
    return b;
  };
  const relOf = (prog: string): number => relos.findIndex((r) => r.symbol === symIndex(prog));

  it("finds the member by the relocation's offset and the kernel member by name", () => {
    const p = open(path).programs.find((x) => x.name === "so_init_sso")!;
    expect(p.structOps).toEqual({ map: "m_init_sso", struct: "tcp_congestion_ops", member: "init", memberIndex: 16 });
    expect(target.btf().type(p.attachBtfId!).name).toBe("tcp_congestion_ops");
  });
  it("refuses the object for a relocation into the middle of a member or into no function pointer (BK4005)", () => {
    const i = relOf("so_ssthresh");
    expect(() => open(path, patched(i, { offset: relos[i]!.offset + 4 }))).toThrow(/bad relocation #\d+: struct_ops: map 'm_ssthresh': cannot find member at moff 4/);
    // tcp_congestion_ops.name (char[16]) sits after get_info (the 11th member): 88 bytes in
    expect(() => open(path, patched(i, { offset: relos[i]!.offset + 88 }))).toThrow(/cannot relocate non func ptr name/);
  });
  it("gives a program bound to two members, and one bound to none, libbpf's refusal as their own status", () => {
    // m_ssthresh's relocation now names so_write_ok (already cong_avoid of m_write_ok)
    const obj = open(path, patched(relOf("so_ssthresh"), { symbol: symIndex("so_write_ok") }));
    const twice = obj.programs.find((x) => x.name === "so_write_ok")!;
    expect(twice.unsupported?.[0]).toMatchObject({ refusedByLibbpf: true });
    // libbpf meets the maps in section order: m_ssthresh binds it to ssthresh (0) first, m_write_ok then fails
    expect(twice.unsupported?.[0]!.what).toBe("struct_ops init_kern m_write_ok func ptr cong_avoid: invalid reuse of prog so_write_ok: expected_attach_type 0 != kern_member_idx 1");
    const none = obj.programs.find((x) => x.name === "so_ssthresh")!;
    expect(none.unsupported?.[0]!.what).toBe(`SEC("struct_ops") program isn't referenced anywhere, did you forget to use it?`);
    // the object's other programs are unaffected
    expect(obj.programs.find((x) => x.name === "so_undo")!.unsupported).toBeUndefined();
  });
  it("gives a program whose struct the kernel lacks libbpf's refusal (cilium/ebpf's bpf_testmod_ops)", () => {
    const p = open(`${REAL}cilium-ebpf/testdata-struct_ops.bpf.o`).programs[0]!;
    expect(p.unsupported?.[0]!.what).toBe("struct_ops init_kern: struct bpf_struct_ops_bpf_testmod_ops is not found in kernel BTF");
    expect(p.structOps).toBeUndefined();
  });
});

describeKernel("struct_ops programs through bpfkit's kernel loader", () => {
  it("loads the corpus's and the fixture's accepted programs with the struct and member bound by bpfkit", () => {
    const rec = (JSON.parse(readFileSync(FIX + "structops.json", "utf8")) as { programs: Recorded[] }).programs;
    const objs = [open(FIX + "structops.bpf.o"), ...["bpf_cubic", "bpf_dctcp", "tcp_ca_write_sk_pacing"].map((f) => open(`${REAL}linux-bpf-selftests/${f}.bpf.o`))];
    let loaded = 0;
    for (const obj of objs) {
      for (const p of obj.programs) {
        const want = rec.find((r) => r.name === p.name)?.kernel.verdict ?? "accept";
        if (want !== "accept") continue;
        // a spread copy (as the CLI makes) loses the non-enumerable id: the loader finds the struct by name
        const l = loadProgramIntoKernel({ ...p });
        expect(l.fd, p.name).toBeGreaterThan(0);
        l.close();
        loaded++;
      }
    }
    expect(loaded).toBe(10 + 18);
  });
});

describe("live registers before a kfunc call (compute_insn_live_regs: its prototype's arguments)", () => {
  // r1..r5 = 1; call kfunc; exit: with a two-argument kfunc only r1 and r2 are live at the call
  const mov = (dst: number) => ({ code: 0xb7, dst, src: 0, off: 0, imm: 1 });
  const insns = [mov(1), mov(2), mov(3), mov(4), mov(5), { code: 0x85, dst: 0, src: 2, off: 0, imm: 4242 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  it("reads only r1-r2 of a two-argument kfunc (bpf_cubic_cong_avoid's processed count depends on it)", () => {
    expect(liveRegisters(insns, () => true, (i) => (i.imm === 4242 ? 2 : undefined))[5]).toBe(0b110);
  });
  it("reads r1-r5 of a kfunc whose prototype is unknown", () => {
    expect(liveRegisters(insns, () => true, () => undefined)[5]).toBe(0b111110);
  });
});
