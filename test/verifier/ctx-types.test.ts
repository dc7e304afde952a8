// Program types whose context layouts live in src/progtypes/{lwt,sk-reuseport,flow-dissector,cgroup-sysctl,
// cgroup-sockopt}.ts: small programs that use what each context gives (pointers into the packet, the flow
// keys, the socket, writable fields) and break its rules. Each case states the kernel's verdict and first
// error line; the emulator must give them offline, and the live kernel must still give them.
import { describe, expect, it } from "vitest";
import { resolveSection } from "../../src/progtypes/index.js";
import { assemble } from "../../src/text/index.js";
import { kernelVerifyProgram } from "../../src/verifier/kernel-compare.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { describeKernel } from "../support/kernel.js";

interface Case { name: string; section: string; body: string; error?: string }

// __sk_buff: mark 8, data 76, data_end 80, flow_keys 144. sk_reuseport_md: data 0, data_end 8, eth_protocol 20,
// sk 40, migrating_sk 48. bpf_sysctl: write 0, file_pos 4. bpf_sockopt: sk 0, optval 8, optval_end 16,
// level 24, optname 28, optlen 32, retval 36.
const PKT_CHECK = (data: number, end: number, size: 4 | 8, n: number): string => `
  r2 = *(u${size * 8} *)(r1 + ${data})
  r3 = *(u${size * 8} *)(r1 + ${end})
  r4 = r2
  r4 += ${n}
  if r4 > r3 goto out`;

const CASES: Case[] = [
  // flow dissector: flow_keys is PTR_TO_FLOW_KEYS, readable and writable inside struct bpf_flow_keys (56 bytes)
  { name: "flow keys written and read", section: "flow_dissector", body: `
  r2 = *(u64 *)(r1 + 144)
  r3 = 14
  *(u16 *)(r2 + 0) = r3
  *(u32 *)(r2 + 52) = 0
  r0 = *(u8 *)(r2 + 55)
  r0 = 0` },
  { name: "flow keys read past the end", section: "flow_dissector", body: `
  r2 = *(u64 *)(r1 + 144)
  r0 = *(u32 *)(r2 + 56)`, error: "invalid access to flow keys off=56 size=4" },
  { name: "flow keys through a moved pointer", section: "flow_dissector", body: `
  r2 = *(u64 *)(r1 + 144)
  r2 += 16
  r0 = *(u64 *)(r2 + 40)`, error: "invalid access to flow keys off=56 size=8" },
  { name: "flow keys loaded narrow", section: "flow_dissector", body: `
  r2 = *(u32 *)(r1 + 144)`, error: "invalid bpf_context access off=144 size=4" },
  { name: "flow dissector reads the packet", section: "flow_dissector", body: `${PKT_CHECK(76, 80, 4, 14)}
  r0 = *(u8 *)(r2 + 13)
out:
  r0 = 0` },
  { name: "flow dissector may not write the packet", section: "flow_dissector", body: `${PKT_CHECK(76, 80, 4, 14)}
  *(u8 *)(r2 + 13) = 0
out:
  r0 = 0`, error: "cannot write into packet" },
  { name: "flow dissector sees no skb->mark", section: "flow_dissector", body: `
  r0 = *(u32 *)(r1 + 8)`, error: "invalid bpf_context access off=8 size=4" },
  // sk_reuseport: 8-byte packet pointers, a non-null socket, eth_protocol no narrower than 2 bytes
  { name: "reuseport reads the packet and the socket", section: "sk_reuseport", body: `${PKT_CHECK(0, 8, 8, 8)}
  r0 = *(u32 *)(r2 + 4)
  r5 = *(u64 *)(r1 + 40)
  r0 = *(u32 *)(r5 + 4)
  r0 = *(u16 *)(r1 + 22)
out:
  r0 = 1` },
  { name: "reuseport eth_protocol in one byte", section: "sk_reuseport", body: `
  r0 = *(u8 *)(r1 + 20)`, error: "invalid bpf_context access off=20 size=1" },
  { name: "reuseport migrating_sk may be NULL", section: "sk_reuseport/migrate", body: `
  r2 = *(u64 *)(r1 + 48)
  r0 = *(u32 *)(r2 + 4)`, error: "R2 invalid mem access 'sock_common_or_null'" },
  { name: "reuseport context is read-only", section: "sk_reuseport", body: `
  r2 = 0
  *(u32 *)(r1 + 16) = r2`, error: "invalid bpf_context access off=16 size=4" },
  // cgroup_sysctl: file_pos writable with 4-byte stores, write read-only, return [0, 1]
  { name: "sysctl moves file_pos", section: "cgroup/sysctl", body: `
  r2 = *(u8 *)(r1 + 0)
  r3 = 0
  *(u32 *)(r1 + 4) = r3
  r0 = 1` },
  { name: "sysctl write flag is read-only", section: "cgroup/sysctl", body: `
  r3 = 1
  *(u32 *)(r1 + 0) = r3
  r0 = 1`, error: "invalid bpf_context access off=0 size=4" },
  { name: "sysctl file_pos stored in two bytes", section: "cgroup/sysctl", body: `
  r3 = 0
  *(u16 *)(r1 + 4) = r3
  r0 = 1`, error: "invalid bpf_context access off=4 size=2" },
  { name: "sysctl returns 2", section: "cgroup/sysctl", body: `
  r0 = 2`, error: "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]" },
  // cgroup_sockopt: optval..optval_end is writable packet-like memory; retval only for getsockopt,
  // level/optname writable only for setsockopt
  { name: "getsockopt rewrites the option and retval", section: "cgroup/getsockopt", body: `${PKT_CHECK(8, 16, 8, 4)}
  r5 = 1
  *(u32 *)(r2 + 0) = r5
  r5 = 4
  *(u32 *)(r1 + 32) = r5
  r5 = 0
  *(u32 *)(r1 + 36) = r5
out:
  r0 = 1` },
  { name: "setsockopt has no retval", section: "cgroup/setsockopt", body: `
  r0 = *(u32 *)(r1 + 36)
  r0 = 1`, error: "invalid bpf_context access off=36 size=4" },
  { name: "getsockopt may not change optname", section: "cgroup/getsockopt", body: `
  r5 = 1
  *(u32 *)(r1 + 28) = r5
  r0 = 1`, error: "invalid bpf_context access off=28 size=4" },
  { name: "setsockopt changes level and optname", section: "cgroup/setsockopt", body: `
  r5 = 1
  *(u32 *)(r1 + 24) = r5
  *(u32 *)(r1 + 28) = r5
  r0 = *(u64 *)(r1 + 0)
  r0 = *(u32 *)(r0 + 4)
  r0 = 1` },
  { name: "sockopt optval past the checked range", section: "cgroup/getsockopt", body: `${PKT_CHECK(8, 16, 8, 4)}
  r0 = *(u32 *)(r2 + 1)
out:
  r0 = 1`, error: "invalid access to packet, off=1 size=4, R2(id=0,off=1,r=4)" },
  // lwt: mark/priority/cb writable in all four; only lwt_xmit writes the packet
  { name: "lwt_out writes mark and cb", section: "lwt_out", body: `
  r2 = 7
  *(u32 *)(r1 + 8) = r2
  *(u64 *)(r1 + 48) = r2
  r0 = 0` },
  { name: "lwt_in has no tc_classid", section: "lwt_in", body: `
  r0 = *(u32 *)(r1 + 100)`, error: "invalid bpf_context access off=100 size=4" },
  { name: "lwt_xmit writes the packet", section: "lwt_xmit", body: `${PKT_CHECK(76, 80, 4, 14)}
  *(u8 *)(r2 + 13) = 0
out:
  r0 = 0` },
  { name: "lwt_in may not write the packet", section: "lwt_in", body: `${PKT_CHECK(76, 80, 4, 14)}
  *(u8 *)(r2 + 13) = 0
out:
  r0 = 0`, error: "cannot write into packet" },
  { name: "lwt_seg6local reads sk", section: "lwt_seg6local", body: `
  r2 = *(u64 *)(r1 + 168)
  if r2 == 0 goto out
  r0 = *(u32 *)(r2 + 4)
out:
  r0 = 0` },
  // helpers with the type's own prototypes
  { name: "flow dissector loads bytes", section: "flow_dissector", body: `
  r2 = 0
  r3 = r10
  r3 += -8
  r4 = 8
  call 26
  r0 = 0` },
  { name: "reuseport socket cookie of ctx->sk", section: "sk_reuseport", body: `
  r1 = *(u64 *)(r1 + 40)
  call 46
  r0 = 1` },
  { name: "setsockopt hook calls bpf_setsockopt on ctx->sk", section: "cgroup/setsockopt", body: `
  r1 = *(u64 *)(r1 + 0)
  r2 = 1
  *(u32 *)(r10 - 4) = r2
  r2 = 1
  r3 = 2
  r4 = r10
  r4 += -4
  r5 = 4
  call 49
  r0 = 1` },
  { name: "getsockopt hook may not call bpf_setsockopt", section: "cgroup/getsockopt", body: `
  r1 = *(u64 *)(r1 + 0)
  call 49
  r0 = 1`, error: "program of this type cannot use helper bpf_setsockopt#49" },
  { name: "sysctl reads its name", section: "cgroup/sysctl", body: `
  r2 = r10
  r2 += -16
  r3 = 16
  r4 = 0
  call 101
  r0 = 1` },
];

const programOf = (c: Case) => assemble(`  .section ${c.section}\n  .license "GPL"\n${c.body}\n  exit\n`, { file: `${c.name}.s` });
const emulate = (c: Case) => {
  const sec = resolveSection(c.section)!;
  return verifyProgram(programOf(c), { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}) });
};

describe("contexts of lwt, sk_reuseport, flow_dissector, cgroup_sysctl and cgroup_sockopt programs", () => {
  for (const c of CASES) {
    it(`${c.section}: ${c.name}`, () => {
      const r = emulate(c);
      expect(r.verdict).toBe(c.error === undefined ? "accept" : "reject");
      expect(r.error?.message.split("\n")[0]).toBe(c.error);
    });
  }
});

describeKernel("contexts of the newly described types, against the live kernel", () => {
  it("the kernel gives every case the stated verdict and first error line", () => {
    const wrong = CASES.map((c) => ({ c, k: kernelVerifyProgram(programOf(c)) }))
      .filter(({ c, k }) => k.verdict !== (c.error === undefined ? "accept" : "reject") || k.error !== c.error)
      .map(({ c, k }) => `${c.section}: ${c.name}: kernel ${k.verdict} ${k.error ?? ""}`);
    expect(wrong).toEqual([]);
  });
});
