// Arena pointers and LSM return values, checked against the kernel's rules as the 6.12 sources state
// them (kernel/bpf/verifier.c: check_alu_op's addr_space_cast, check_mem_access for PTR_TO_ARENA,
// check_return_code with bpf_lsm_get_retval_range). Not recorded against the kernel: the recording
// machine refuses arena maps (EPERM at BPF_MAP_CREATE) and every trampoline program, LSM included (EPERM
// before the verifier runs), so these cases hold the emulator to the source instead.
import { describe, expect, it } from "vitest";
import { BTF_KIND } from "../../src/btf/index.js";
import { assemble } from "../../src/text/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { findByNameKind } from "../../src/verifier/target-btf.js";
import { bundledBtf } from "../support/selftests-corpus.js";

const ARENA = ".map arena, type=arena, key=0, value=0, max_entries=4, flags=1024\n";

function verify(src: string, progType: number, extra: Partial<Parameters<typeof verifyProgram>[1]> = {}): ReturnType<typeof verifyProgram> {
  const p = assemble(`.license "GPL"\n${src}`, { file: "t.s" });
  return verifyProgram(p, { progType, targetBtf: bundledBtf(), ...extra });
}

describe("arena pointers (addr_space_cast)", () => {
  it("a cast from the arena's address space gives a pointer any load, store and arithmetic may use", () => {
    const r = verify(`${ARENA}.section socket
  r1 = 0x100000000 ll
  r1 = addr_space_cast(r1, 0, 1)
  r1 += 64
  *(u64 *)(r1 + 8) = 5
  r0 = *(u64 *)(r1 - 4096)
  r0 = 0
  exit`, 1);
    expect(r.verdict, r.error?.message).toBe("accept");
  });

  it("the other direction gives a scalar, which is no pointer", () => {
    const r = verify(`${ARENA}.section socket
  r1 = 0x100000000 ll
  r1 = addr_space_cast(r1, 1, 0)
  r0 = *(u64 *)(r1 + 0)
  exit`, 1);
    expect(r.error?.message).toBe("R1 invalid mem access 'scalar'");
  });

  it("needs an arena map in the program", () => {
    const r = verify(`.section socket
  r1 = 0
  r1 = addr_space_cast(r1, 0, 1)
  r0 = 0
  exit`, 1);
    expect(r.error?.message).toBe("addr_space_cast insn can only be used in a program that has an associated arena");
  });

  it("converts only between address spaces 0 and 1", () => {
    const r = verify(`${ARENA}.section socket
  r1 = 0
  r1 = addr_space_cast(r1, 0, 2)
  r0 = 0
  exit`, 1);
    expect(r.error?.message).toBe("addr_space_cast insn can only convert between address space 1 and 0");
  });

  it("an arena map's value address is a scalar (its user-space address)", () => {
    const r = verify(`${ARENA}.section socket
  r1 = map_value(arena) ll
  r0 = *(u64 *)(r1 + 0)
  exit`, 1);
    expect(r.error?.message).toBe("R1 invalid mem access 'scalar'");
  });
});

describe("LSM programs return within their hook's range", () => {
  const hook = (name: string): number => findByNameKind(bundledBtf(), name, BTF_KIND.FUNC);
  const lsm = (ret: string, target: string): ReturnType<typeof verifyProgram> =>
    verify(`.section lsm/x\n  ${ret}\n  exit`, 29, { attachType: 27, attachBtfId: hook(target) });

  it("an int hook takes 0 or a negative errno (file_open)", () => {
    expect(hook("bpf_lsm_file_open")).toBeGreaterThan(0);
    expect(lsm("r0 = 0", "bpf_lsm_file_open").verdict).toBe("accept");
    expect(lsm("r0 = -1", "bpf_lsm_file_open").verdict).toBe("accept");
    expect(lsm("r0 = 1", "bpf_lsm_file_open").error?.message).toBe("At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]");
  });

  it("checks the low 32 bits: a 64-bit value whose low half is in range passes", () => {
    expect(lsm("r0 = 0x100000000 ll", "bpf_lsm_file_open").verdict).toBe("accept");
  });

  it("a void hook (task_free) takes any value", () => {
    expect(lsm("r0 = 7", "bpf_lsm_task_free").verdict).toBe("accept");
  });
});
