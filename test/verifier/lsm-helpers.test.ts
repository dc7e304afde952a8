// Helpers LSM programs are offered (bpf_lsm_func_proto): lsm_cgroup programs first get the cgroup helpers
// (cgroup_common_func_proto: bpf_get_local_storage, bpf_get_retval, bpf_set_retval), and bpf_setsockopt /
// bpf_getsockopt only on the socket hooks where the socket is locked or still being set up
// (bpf_lsm_locked_sockopt_hooks, bpf_lsm_unlocked_sockopt_hooks); a plain `lsm/` program never gets them.
// LSM programs are refused with EPERM on the recording machine before the verifier runs, so these cases
// hold the emulator to the 6.12 sources (kernel/bpf/bpf_lsm.c), which the running 6.18 keeps.
import { describe, expect, it } from "vitest";
import { programType } from "../../src/cli/verify-target.js";
import { assemble } from "../../src/text/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { bundledBtf } from "../support/selftests-corpus.js";

/** bpf_setsockopt(sk, SOL_SOCKET, SO_MARK, &one, 4) with the hook's first argument (a struct sock *) as sk. */
const SETSOCKOPT = `
  r1 = *(u64 *)(r1 + 0)
  r2 = 1
  *(u64 *)(r10 - 8) = r2
  r3 = 36
  r4 = r10
  r4 += -8
  r5 = 4
  call bpf_setsockopt
  r0 = 1
  exit`;

/** bpf_get_retval(). */
const GET_RETVAL = `
  call bpf_get_retval
  r0 = 1
  exit`;

function verifyAs(section: string, body: string): ReturnType<typeof verifyProgram> {
  const p = assemble(`.license "GPL"\n.section ${section}\n${body}`, { file: "t.s" });
  const kind = programType(section, undefined, "t", p, () => bundledBtf());
  return verifyProgram(p, { ...kind });
}

describe("LSM helpers by attach type and hook", () => {
  it("lsm_cgroup on a locked socket hook may set socket options", () => {
    const r = verifyAs("lsm_cgroup/sock_graft", SETSOCKOPT);
    expect(r.verdict, r.error?.message).toBe("accept");
  });

  it("lsm_cgroup on an unlocked early-init hook may too; bpf_getsockopt likewise", () => {
    const r = verifyAs("lsm_cgroup/inet_conn_established", SETSOCKOPT.replace("bpf_setsockopt", "bpf_getsockopt"));
    expect(r.verdict, r.error?.message).toBe("accept");
  });

  it("lsm_cgroup on another hook may not", () => {
    const r = verifyAs("lsm_cgroup/socket_bind", SETSOCKOPT);
    expect(r.error?.message).toMatch(/^program of this type cannot use helper bpf_setsockopt#49$/);
  });

  it("a plain lsm program may not, on any hook", () => {
    for (const hook of ["sock_graft", "socket_post_create"]) {
      const r = verifyAs(`lsm/${hook}`, SETSOCKOPT);
      expect(r.error?.message, hook).toMatch(/^program of this type cannot use helper bpf_setsockopt#49$/);
    }
  });

  it("lsm_cgroup gets the cgroup helpers (bpf_get_retval); plain lsm does not", () => {
    const c = verifyAs("lsm_cgroup/socket_bind", GET_RETVAL);
    expect(c.verdict, c.error?.message).toBe("accept");
    const p = verifyAs("lsm/socket_bind", GET_RETVAL);
    expect(p.error?.message).toMatch(/^program of this type cannot use helper bpf_get_retval#\d+$/);
  });
});
