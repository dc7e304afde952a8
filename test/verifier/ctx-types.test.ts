// Program types whose context layouts live in src/progtypes/{lwt,sk-reuseport,flow-dissector,cgroup-sysctl,
// cgroup-sockopt,kprobe,perf-event,raw-tracepoint,tracepoint,cgroup-device}.ts: small programs that use what
// each context gives (pointers into the packet, the flow keys, the socket, writable fields, registers and
// event records) and break its rules. Each case states the kernel's verdict and first error line; the
// emulator must give them offline, and the live kernel must still give them (for the tracing and device
// cases, with the emulator's whole level-2 log).
import { describe, expect, it } from "vitest";
import { resolveSection } from "../../src/progtypes/index.js";
import { assemble } from "../../src/text/index.js";
import { kernelVerifyProgram } from "../../src/testing/kernel-verdict.js";
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

// pt_regs (x86_64): rdi 112, rsi 104, rax 80, rip 128, ss 160 (size 168). bpf_perf_event_data: regs 0..167,
// sample_period 168, addr 176. bpf_raw_tracepoint_args: args[i] at 8*i, 12 of them. A tracepoint record:
// common fields 0..7, the event's fields from 8 to 8191. bpf_cgroup_dev_ctx: access_type 0, major 4, minor 8.
const TRACING_CASES: Case[] = [
  { name: "kprobe reads registers whole and in parts", section: "kprobe/do_sys_openat2", body: `
  r2 = *(u64 *)(r1 + 112)
  r3 = *(u32 *)(r1 + 108)
  r4 = *(u16 *)(r1 + 82)
  r5 = *(u8 *)(r1 + 167)
  r0 = r2
  r0 += r5` },
  { name: "kprobe sign-extends a register half", section: "kprobe/do_sys_openat2", body: `
  r0 = *(s32 *)(r1 + 84)
  r0 = 0` },
  { name: "kprobe load past pt_regs", section: "kprobe/do_sys_openat2", body: `
  r0 = *(u64 *)(r1 + 168)`, error: "invalid bpf_context access off=168 size=8" },
  { name: "kprobe unaligned load", section: "kprobe/do_sys_openat2", body: `
  r0 = *(u32 *)(r1 + 114)`, error: "invalid bpf_context access off=114 size=4" },
  { name: "kprobe may not write pt_regs", section: "kprobe/do_sys_openat2", body: `
  r2 = 0
  *(u64 *)(r1 + 80) = r2
  r0 = 0`, error: "invalid bpf_context access off=80 size=8" },
  { name: "kprobe negative offset", section: "kprobe/do_sys_openat2", body: `
  r0 = *(u64 *)(r1 - 8)`, error: "invalid bpf_context access off=-8 size=8" },
  { name: "kprobe.session returns 2", section: "kprobe.session/do_sys_openat2", body: `
  r0 = 2`, error: "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]" },
  { name: "kprobe.session returns 1", section: "kprobe.session/do_sys_openat2", body: `
  r0 = *(u64 *)(r1 + 112)
  r0 &= 1` },
  // perf_event: registers only whole, sample_period and addr in parts
  { name: "perf_event reads a register, the period and the address", section: "perf_event", body: `
  r2 = *(u64 *)(r1 + 128)
  r3 = *(u64 *)(r1 + 168)
  r4 = *(u32 *)(r1 + 172)
  r5 = *(u8 *)(r1 + 183)
  r0 = *(u16 *)(r1 + 176)
  r0 = 0` },
  { name: "perf_event register loaded in 4 bytes", section: "perf_event", body: `
  r0 = *(u32 *)(r1 + 128)`, error: "invalid bpf_context access off=128 size=4" },
  { name: "perf_event load past the data", section: "perf_event", body: `
  r0 = *(u64 *)(r1 + 184)`, error: "invalid bpf_context access off=184 size=8" },
  { name: "perf_event sample_period is read-only", section: "perf_event", body: `
  r2 = 1
  *(u64 *)(r1 + 168) = r2
  r0 = 0`, error: "invalid bpf_context access off=168 size=8" },
  // raw tracepoint: 12 u64 arguments, read-only
  { name: "raw tracepoint reads its arguments", section: "raw_tracepoint/sys_enter", body: `
  r2 = *(u64 *)(r1 + 8)
  r3 = *(u32 *)(r1 + 88)
  r0 = *(u8 *)(r1 + 95)
  r0 = 0` },
  { name: "raw tracepoint thirteenth argument", section: "raw_tracepoint/sys_enter", body: `
  r0 = *(u64 *)(r1 + 96)`, error: "invalid bpf_context access off=96 size=8" },
  { name: "raw tracepoint argument written", section: "raw_tracepoint/sys_enter", body: `
  *(u64 *)(r1 + 0) = 1
  r0 = 0`, error: "invalid bpf_context access off=0 size=8" },
  // tracepoint: the record past its common header, up to 8 KiB; negative offsets pass the kernel's check
  { name: "tracepoint reads event fields", section: "tracepoint/raw_syscalls/sys_enter", body: `
  r2 = *(u64 *)(r1 + 8)
  r3 = *(u32 *)(r1 + 16)
  r4 = *(u64 *)(r1 + 8184)
  r0 = *(s16 *)(r1 + 4094)
  r0 = 0` },
  { name: "tracepoint common header", section: "tracepoint/raw_syscalls/sys_enter", body: `
  r0 = *(u32 *)(r1 + 4)`, error: "invalid bpf_context access off=4 size=4" },
  { name: "tracepoint past 8 KiB", section: "tracepoint/raw_syscalls/sys_enter", body: `
  r0 = *(u8 *)(r1 + 8192)`, error: "invalid bpf_context access off=8192 size=1" },
  { name: "tracepoint record written", section: "tracepoint/raw_syscalls/sys_enter", body: `
  r2 = 0
  *(u32 *)(r1 + 8) = r2
  r0 = 0`, error: "invalid bpf_context access off=8 size=4" },
  { name: "tracepoint loads before the record", section: "tracepoint/raw_syscalls/sys_enter", body: `
  r2 = *(u64 *)(r1 - 8)
  r3 = *(u8 *)(r1 - 32768)
  r0 = 0` },
  { name: "tracepoint unaligned load before the record", section: "tracepoint/raw_syscalls/sys_enter", body: `
  r0 = *(u64 *)(r1 - 4)`, error: "invalid bpf_context access off=-4 size=8" },
  // cgroup_device: access_type in parts, major/minor whole, read-only, return [0, 1]
  { name: "device filter allows /dev/null", section: "cgroup/dev", body: `
  r2 = *(u16 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = *(u32 *)(r1 + 8)
  r0 = 0
  if r3 != 1 goto out
  if r4 != 3 goto out
  r0 = 1
out:` },
  { name: "device filter major in one byte", section: "cgroup/dev", body: `
  r0 = *(u8 *)(r1 + 4)`, error: "invalid bpf_context access off=4 size=1" },
  { name: "device filter reads past the struct", section: "cgroup/dev", body: `
  r0 = *(u64 *)(r1 + 8)`, error: "invalid bpf_context access off=8 size=8" },
  { name: "device filter may not change the minor", section: "cgroup/dev", body: `
  r2 = 0
  *(u32 *)(r1 + 8) = r2
  r0 = 1`, error: "invalid bpf_context access off=8 size=4" },
  { name: "device filter returns 2", section: "cgroup/dev", body: `
  r0 = 2`, error: "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]" },
  { name: "device filter reads the current comm", section: "cgroup/dev", body: `
  r1 = r10
  r1 += -16
  r2 = 16
  call 16
  r0 = 1` },
  { name: "device filter may not use skb helpers", section: "cgroup/dev", body: `
  r2 = 0
  r3 = r10
  r3 += -8
  r4 = 4
  call 26
  r0 = 1`, error: "program of this type cannot use helper bpf_skb_load_bytes#26" },
];

const programOf = (c: Case) => assemble(`  .section ${c.section}\n  .license "GPL"\n${c.body}\n  exit\n`, { file: `${c.name}.s` });
const emulate = (c: Case, logLevel = 0) => {
  const sec = resolveSection(c.section)!;
  return verifyProgram(programOf(c), { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), logLevel });
};

describe("contexts of lwt, sk_reuseport, flow_dissector, cgroup_sysctl, cgroup_sockopt, tracing and cgroup_device programs", () => {
  for (const c of [...CASES, ...TRACING_CASES]) {
    it(`${c.section}: ${c.name}`, () => {
      const r = emulate(c);
      expect(r.verdict).toBe(c.error === undefined ? "accept" : "reject");
      expect(r.error?.message.split("\n")[0]).toBe(c.error);
    });
  }
});

describeKernel("contexts of the newly described types, against the live kernel", () => {
  it("the kernel gives every case the stated verdict and first error line", () => {
    const wrong = [...CASES, ...TRACING_CASES].map((c) => ({ c, k: kernelVerifyProgram(programOf(c)) }))
      .filter(({ c, k }) => k.verdict !== (c.error === undefined ? "accept" : "reject") || k.error !== c.error)
      .map(({ c, k }) => `${c.section}: ${c.name}: kernel ${k.verdict} ${k.error ?? ""}`);
    expect(wrong).toEqual([]);
  });
  it("tracing and device cases: the emulator's level-2 log is the kernel's (loaded without line info: no `; ` source lines)", () => {
    const withoutSource = (log: string): string => log.split("\n").filter((l) => !l.startsWith("; ")).join("\n").trim();
    const differ = TRACING_CASES.filter((c) => withoutSource(emulate(c, 2).log) !== withoutSource(kernelVerifyProgram(programOf(c), 2).log))
      .map((c) => `${c.section}: ${c.name}`);
    expect(differ).toEqual([]);
  });
});
