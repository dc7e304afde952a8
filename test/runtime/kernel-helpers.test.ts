// Program contexts and packet helpers on both engines: the same program and packet through the
// interpreter and BPF_PROG_TEST_RUN must give the same return value and output packet.
import { expect, it } from "vitest";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";
import { describeKernel } from "../support/kernel.js";

const udp = (): Uint8Array => {
  const f = new Uint8Array(64);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0x66, 0xb7, 10, 0, 0, 1, 192, 168, 1, 2], 14);
  f.set([0x30, 0x39, 0x00, 0x35, 0, 30, 0x12, 0x34], 34);
  for (let i = 42; i < 64; i++) f[i] = i;
  return f;
};
const packets = (): Uint8Array[] => {
  const bcast = udp(); bcast.fill(0xff, 0, 6);
  const zero = udp(); zero.fill(0, 0, 6);
  const multi = udp(); multi[0] = 0x01;
  return [udp(), bcast, zero, multi];
};

const PROGRAMS: Record<string, string> = {
  "xdp adjust_head + write": `.section xdp
    r6 = r1
    r2 = -8
    call bpf_xdp_adjust_head
    if r0 != 0 goto out
    r2 = *(u32 *)(r6 + 0)
    r3 = *(u32 *)(r6 + 4)
    r4 = r2
    r4 += 16
    if r4 > r3 goto out
    r1 = 0x1122334455667788 ll
    *(u64 *)(r2 + 0) = r1
    r0 = 2
  out:
    exit`,
  "xdp adjust_tail grow and shrink": `.section xdp
    r6 = r1
    r2 = 20
    call bpf_xdp_adjust_tail
    r7 = r0
    r1 = r6
    r2 = -30
    call bpf_xdp_adjust_tail
    r0 += r7
    exit`,
  "xdp adjust_meta, get_buff_len, load/store_bytes": `.section xdp
    r6 = r1
    r2 = -8
    call bpf_xdp_adjust_meta
    r7 = r0
    r1 = r6
    r2 = -34
    call bpf_xdp_adjust_meta
    r7 <<= 8
    r7 |= r0
    r2 = *(u32 *)(r6 + 8)
    r3 = *(u32 *)(r6 + 0)
    r4 = r2
    r4 += 8
    if r4 > r3 goto skip
    r1 = 0x0102030405060708 ll
    *(u64 *)(r2 + 0) = r1
  skip:
    r1 = r6
    call bpf_xdp_get_buff_len
    r7 <<= 8
    r7 |= r0
    r1 = r6
    r2 = 6
    r3 = r10
    r3 += -8
    r4 = 4
    call bpf_xdp_load_bytes
    r1 = r6
    r2 = 40
    r3 = r10
    r3 += -8
    r4 = 4
    call bpf_xdp_store_bytes
    r0 = r7
    exit`,
  "xdp adjust_head limit": `.section xdp
    r2 = -300
    call bpf_xdp_adjust_head
    exit`,
  "tc skb fields": `.section tc
    r0 = *(u32 *)(r1 + 0)
    r2 = *(u32 *)(r1 + 4)
    r2 <<= 8
    r0 ^= r2
    r2 = *(u32 *)(r1 + 16)
    r2 <<= 16
    r0 ^= r2
    r2 = *(u32 *)(r1 + 40)
    r2 <<= 24
    r0 ^= r2
    exit`,
  "tc l3 + l4 csum_replace": `.section tc
    r6 = r1
    r2 = *(u32 *)(r6 + 76)
    r3 = *(u32 *)(r6 + 80)
    r4 = r2
    r4 += 42
    if r4 > r3 goto out
    r7 = *(u32 *)(r2 + 30)
    r8 = 0x0300a8c0
    *(u32 *)(r2 + 30) = r8
    r1 = r6
    r2 = 24
    r3 = r7
    r4 = r8
    r5 = 4
    call bpf_l3_csum_replace
    r1 = r6
    r2 = 40
    r3 = r7
    r4 = r8
    r5 = 0x14
    call bpf_l4_csum_replace
  out:
    r0 = 0
    exit`,
  "tc csum_diff and store_bytes": `.section tc
    r6 = r1
    r1 = 0x0a000001 ll
    *(u32 *)(r10 - 8) = r1
    r1 = 0xc0a80102 ll
    *(u32 *)(r10 - 4) = r1
    r1 = r10
    r1 += -8
    r2 = 4
    r3 = r10
    r3 += -4
    r4 = 4
    r5 = 0
    call bpf_csum_diff
    r7 = r0
    *(u32 *)(r10 - 12) = r7
    r1 = r6
    r2 = 50
    r3 = r10
    r3 += -12
    r4 = 4
    r5 = 0
    call bpf_skb_store_bytes
    r0 = r7
    exit`,
  "tc skb_load_bytes": `.section tc
    r2 = 26
    r3 = r10
    r3 += -8
    r4 = 8
    call bpf_skb_load_bytes
    r0 = *(u64 *)(r10 - 8)
    exit`,
  "socket filter ld_abs / ld_ind": `.section socket
    r6 = r1
    r0 = *(u8 *)skb[9]
    r7 = r0
    r0 = *(u16 *)skb[2]
    r7 <<= 16
    r7 |= r0
    r8 = 4
    r0 = *(u32 *)skb[r8 + 8]
    r0 ^= r7
    exit`,
  "socket filter ld_abs past the end returns 0": `.section socket
    r6 = r1
    r0 = *(u32 *)skb[60]
    r0 = 7
    exit`,
  "cgroup_skb reads the packet from L3": `.section cgroup_skb/ingress
    r2 = *(u32 *)(r1 + 76)
    r3 = *(u32 *)(r1 + 80)
    r4 = r2
    r4 += 20
    r0 = 0
    if r4 > r3 goto out
    r0 = *(u8 *)(r2 + 9)
    r5 = *(u32 *)(r1 + 0)
    r0 ^= r5
    r0 &= 1
  out:
    exit`,
};

describeKernel("interpreter vs kernel: contexts and packet helpers", () => {
  for (const [name, src] of Object.entries(PROGRAMS)) {
    it(name, async () => {
      const { KernelEngine } = await import("../../src/kernel/testrun.js");
      const prog = assemble(src, { file: name });
      const k = new KernelEngine(prog);
      try {
        for (const pkt of packets()) {
          const kr = k.run({ data: pkt });
          const ir = loadProgram(prog).run({ data: pkt });
          // retval is a __u32 in the uapi; the kernel engine reports it signed.
          expect({ retval: ir.retval, data: Buffer.from(ir.data).toString("hex") })
            .toEqual({ retval: kr.retval, data: Buffer.from(kr.data).toString("hex") });
        }
      } finally { k.close(); }
    });
  }
});

describeKernel("interpreter vs kernel: ctx_in / ctx_out", () => {
  it("tc: ctx_in fields reach the program and ctx_out holds what test_run copies back", async () => {
    const { KernelEngine } = await import("../../src/kernel/testrun.js");
    const prog = assemble(`.section tc
      r2 = *(u32 *)(r1 + 8)
      r2 += 1
      *(u32 *)(r1 + 8) = r2
      r3 = *(u32 *)(r1 + 52)
      *(u32 *)(r1 + 32) = r3
      r0 = *(u32 *)(r1 + 0)
      exit`, { file: "ctx" });
    const ctx = new Uint8Array(192);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(8, 41, true); // mark
    dv.setUint32(52, 6, true); // cb[1]
    const k = new KernelEngine(prog);
    try {
      for (const pkt of packets()) {
        const kr = k.run({ data: pkt, ctx });
        const ir = loadProgram(prog).run({ data: pkt, ctx });
        expect(Buffer.from(ir.ctx!).toString("hex")).toBe(Buffer.from(kr.ctx!).toString("hex"));
        expect(ir.retval).toBe(kr.retval);
        expect(new DataView(ir.ctx!.buffer).getUint32(8, true)).toBe(42);
      }
    } finally { k.close(); }
  });
});
