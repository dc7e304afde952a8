// Helpers that might sleep (the kernel's `might_sleep` prototypes, in src/helpers) in sleepable and
// non-sleepable programs. Recorded against Linux 6.18 for uprobe / uprobe.s / tp_btf programs in
// test/fixtures/verifier/kfuncs/sleep.bpf.c (replayed by kfunc-programs.test.ts); fentry(.s) and lsm(.s)
// programs are refused with EPERM on the recording machine before the verifier runs, so these cases hold
// the emulator to the 6.12 sources instead (kernel/bpf/verifier.c check_helper_call: "helper call might
// sleep in a non-sleepable prog", the RCU / non-preemptible region checks; kernel/trace/bpf_trace.c
// bpf_tracing_func_proto offers bpf_copy_from_user to every tracing program). The section table gives
// BPF_F_SLEEPABLE to `.s` sections, and `bpfkit verify` passes it on (src/cli/verify-target.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { programType } from "../../src/cli/verify-target.js";
import { verifyListing } from "../../src/cli/verify-listing.js";
import { loadObject } from "../../src/elf/index.js";
import { targetFromBtf } from "../../src/elf/target.js";
import { assemble } from "../../src/text/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { bundledBtf } from "../support/selftests-corpus.js";

const FIXTURES = new URL("../fixtures/verifier/kfuncs/", import.meta.url).pathname;

/** bpf_copy_from_user(fp-16, 16, NULL) in a program of this section. */
function copyProgram(section: string): string {
  return `.license "GPL"
.section ${section}
  r1 = r10
  r1 += -16
  r2 = 16
  r3 = 0
  call 148
  r0 = 0
  exit`;
}

function verifyAs(section: string): ReturnType<typeof verifyProgram> {
  const p = assemble(copyProgram(section), { file: "t.s" });
  const kind = programType(section, undefined, "t", p, () => bundledBtf());
  return verifyProgram(p, { ...kind });
}

describe("helpers that might sleep", () => {
  it("the helper table carries the kernel's might_sleep flag", async () => {
    const { helperByName } = await import("../../src/helpers/table.js");
    expect(helperByName("copy_from_user")!.mightSleep).toBe(true);
    expect(helperByName("copy_from_user_task")!.mightSleep).toBe(true);
    expect(helperByName("ima_inode_hash")!.mightSleep).toBe(true);
    expect(helperByName("probe_read_user")!.mightSleep).toBe(false);
    expect(helperByName("get_stack")!.mightSleep).toBe(false);
  });

  it("the section gives BPF_F_SLEEPABLE (`.s`), as libbpf passes it", () => {
    expect(programType("fentry.s/do_unlinkat", undefined, "t").progFlags).toBe(16);
    expect(programType("lsm.s/file_open", undefined, "t").progFlags).toBe(16);
    expect(programType("uprobe.s", undefined, "t").progFlags).toBe(16);
    expect(programType("fentry/do_unlinkat", undefined, "t").progFlags).toBeUndefined();
    expect(programType("kprobe/x", undefined, "t").progFlags).toBeUndefined();
  });

  // fentry / fexit / lsm: held to the 6.12 sources (EPERM here); targets the kernel lets sleep (a syscall is
  // on the error-injection list; file_open is one of bpf_lsm.c's sleepable_lsm_hooks)
  for (const [plain, sleepable] of [["fentry/__x64_sys_getpgid", "fentry.s/__x64_sys_getpgid"], ["fexit/__x64_sys_getpgid", "fexit.s/__x64_sys_getpgid"], ["lsm/file_open", "lsm.s/file_open"]] as const) {
    it(`${plain}: refused; ${sleepable}: accepted`, () => {
      const r = verifyAs(plain);
      expect(r.verdict).toBe("reject");
      expect(r.error?.message).toBe("helper call might sleep in a non-sleepable prog");
      const s = verifyAs(sleepable);
      expect(s.verdict, s.error?.message).toBe("accept");
    });
  }

  it("kprobe (never sleepable) is refused; uprobe.s is accepted", () => {
    expect(verifyAs("kprobe/do_unlinkat").error?.message).toBe("helper call might sleep in a non-sleepable prog");
    expect(verifyAs("uprobe.s").verdict).toBe("accept");
  });

  it("bpfkit verify's listing gives the kernel's verdict on every recorded sleep.bpf.c program (flags from the section table)", () => {
    const recorded = JSON.parse(readFileSync(FIXTURES + "sleep.json", "utf8")) as { programs: { name: string; kernel: { verdict: string; error?: string } }[] };
    const target = targetFromBtf(bundledBtf(), "bundled Linux 6.18");
    const o = loadObject(new Uint8Array(readFileSync(FIXTURES + "sleep.bpf.o")), { file: "sleep.bpf.o", target });
    const l = verifyListing("sleep.bpf.o", o.programs, o.unsupported, { target: () => bundledBtf() });
    expect(recorded.programs.length).toBeGreaterThanOrEqual(10);
    for (const p of recorded.programs) {
      const row = l.programs.find((r) => r.name === p.name);
      expect(row?.verdict, `${p.name}: ${row?.error?.message ?? row?.reason}`).toBe(p.kernel.verdict);
      if (p.kernel.error) expect(row?.error?.message).toBe(p.kernel.error);
    }
  });
});

describe("helpers offered only under a kernel option", () => {
  // net/core/filter.c lwt_seg6local_func_proto: the SRv6 helpers exist with CONFIG_IPV6_SEG6_BPF only; the
  // recording machine's kernel (and the bundled configuration) lacks it, and refused
  // test_seg6_loop.bpf.o:__add_egr_x with this message (test/fixtures/real)
  const src = `.license "GPL"
.section lwt_seg6local
  r2 = 0
  r3 = 0
  r4 = 0
  call 75
  r0 = 0
  exit`;
  it("refuses bpf_lwt_seg6_adjust_srh when the target's configuration does not set CONFIG_IPV6_SEG6_BPF", () => {
    const p = assemble(src, { file: "t.s" });
    const off = verifyProgram(p, { progType: 19, kernelConfig: "CONFIG_IPV6=y\n# CONFIG_IPV6_SEG6_LWTUNNEL is not set\n" });
    expect(off.error?.message).toBe("program of this type cannot use helper bpf_lwt_seg6_adjust_srh#75");
    const on = verifyProgram(p, { progType: 19, kernelConfig: () => "CONFIG_IPV6=y\nCONFIG_IPV6_SEG6_BPF=y\n" });
    expect(on.error?.message ?? "").not.toContain("cannot use helper");
    expect(verifyProgram(p, { progType: 19 }).error?.message ?? "").not.toContain("cannot use helper");
  });
});

describe("helpers with an `allowed` callback (src/helpers/allowed.ts, from the 6.12 sources)", () => {
  // bpf_d_path(path, buf, size): offered to tracing programs, allowed only on btf_allowlist_d_path's
  // functions, iterators and sleepable LSM hooks (checked before the arguments)
  const dPath = (section: string): string | undefined => {
    const p = assemble(`.license "GPL"\n.section ${section}\n  r1 = 0\n  r2 = r10\n  r2 += -16\n  r3 = 16\n  call 147\n  r0 = 0\n  exit`, { file: "t.s" });
    return verifyProgram(p, { ...programType(section, undefined, "t", p, () => bundledBtf()) }).error?.message;
  };
  it("bpf_d_path: refused in probe on other functions and on LSM hooks that cannot sleep", () => {
    expect(dPath("fentry/do_unlinkat")).toBe("helper call is not allowed in probe");
    expect(dPath("lsm/task_free")).toBe("helper call is not allowed in probe");
    expect(dPath("fentry/vfs_getattr")).not.toBe("helper call is not allowed in probe");
    expect(dPath("lsm/file_open")).not.toBe("helper call is not allowed in probe");
    expect(dPath("fentry/vfs_getattr")).toBeDefined();
  });
});

describe("helpers an iterator target adds (bpf_iter_get_func_proto)", () => {
  // net/ipv4/tcp_ipv4.c and net/unix/af_unix.c: the tcp and unix iterators get and set socket options
  // (seen on bpftune's probe.bpf.o, iter/tcp, which the kernel loads)
  const getsockopt = (section: string): string | undefined => {
    const p = assemble(`.license "GPL"\n.section ${section}\n  r1 = 0\n  r2 = 6\n  r3 = 13\n  r4 = r10\n  r4 += -8\n  r5 = 4\n  call 57\n  r0 = 0\n  exit`, { file: "t.s" });
    return verifyProgram(p, { ...programType(section, undefined, "t", p, () => bundledBtf()) }).error?.message;
  };
  it("iter/tcp and iter/unix may call bpf_getsockopt; iter/bpf_map may not", () => {
    expect(getsockopt("iter/bpf_map")).toBe("program of this type cannot use helper bpf_getsockopt#57");
    expect(getsockopt("iter/tcp")).toMatch(/^R1 type=scalar expected=/);
    expect(getsockopt("iter/unix")).toMatch(/^R1 type=scalar expected=/);
  });
});

describe("attach-time sleepability (check_attach_btf_id, bpf_check_attach_target)", () => {
  // held to the 6.12 sources: fentry/fexit/lsm loads answer EPERM on the recording machine before the verifier
  const attach = (section: string, extra: { progFlags?: number; kernelConfig?: string } = {}): ReturnType<typeof verifyProgram> => {
    const p = assemble(`.license "GPL"\n.section ${section}\n  r0 = 0\n  exit`, { file: "t.s" });
    return verifyProgram(p, { ...programType(section, undefined, "t", p, () => bundledBtf()), ...extra });
  };
  /** This machine's kernel (and the bundled configuration) leaves CONFIG_FUNCTION_ERROR_INJECTION unset. */
  const NO_INJECTION = "CONFIG_BPF=y\nCONFIG_BPF_LSM=y\n# CONFIG_FUNCTION_ERROR_INJECTION is not set\n";
  const INJECTION = "CONFIG_BPF=y\nCONFIG_FUNCTION_ERROR_INJECTION=y\n";

  it("lsm.s/ on a hook that cannot sleep is refused with the hook's name; a sleepable hook is accepted", () => {
    expect(attach("lsm.s/sock_graft").error?.message).toBe("bpf_lsm_sock_graft is not sleepable");
    expect(attach("lsm.s/task_free").error?.message).toBe("bpf_lsm_task_free is not sleepable");
    expect(attach("lsm.s/file_open").verdict).toBe("accept");
    expect(attach("lsm/sock_graft").verdict).toBe("accept");
  });

  it("fentry.s/ needs a function on the error-injection list, which needs CONFIG_FUNCTION_ERROR_INJECTION", () => {
    expect(attach("fentry.s/__x64_sys_getpgid", { kernelConfig: INJECTION }).verdict).toBe("accept");
    expect(attach("fexit.s/__x64_sys_getpgid", { kernelConfig: NO_INJECTION }).error?.message).toBe("__x64_sys_getpgid is not sleepable");
    expect(attach("fentry.s/do_unlinkat", { kernelConfig: INJECTION }).error?.message).toBe("do_unlinkat is not sleepable");
    expect(attach("fentry/do_unlinkat", { kernelConfig: NO_INJECTION }).verdict).toBe("accept");
  });

  it("only some program types may be sleepable; a syscall program must be", () => {
    const only = "Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable";
    expect(attach("tp_btf/sys_enter", { progFlags: 16 }).error?.message).toBe(only);
    expect(attach("lsm_cgroup/socket_bind", { progFlags: 16 }).error?.message).toBe(only);
    expect(attach("xdp", { progFlags: 16 }).error?.message).toBe(only);
    expect(attach("iter.s/task").verdict).toBe("accept");
    expect(attach("syscall").verdict).toBe("accept");
    expect(attach("syscall", { progFlags: 0 }).error?.message).toBe("Syscall programs can only be sleepable");
  });
});
