// Against BPF_PROG_TEST_RUN: bpf_skb_load_bytes_relative (offsets from the MAC or network header, errors
// zero the destination) and the kernel's test-run input checks (frame sizes, IP header lengths, ctx_in
// rules). Every case runs on both engines; an input the kernel refuses must be refused (BK5013) too.
import { expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { kernelTestRun } from "../../src/kernel/testrun.js";
import { contextLayout, fieldByName, progTypeByName } from "../../src/progtypes/index.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";
import { describeKernel } from "../support/kernel.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const frame = (type: string, after: number): Uint8Array => {
  const f = hex("020000000002020000000001" + type + "00".repeat(after));
  for (let i = 14; i < f.length; i++) f[i] = (i * 7 + 3) & 0xff;
  return f;
};
const trivial = (sec: string) => assemble(`.section ${sec}\nr0 = 0\nexit\n`);

type Outcome = { ok: true; retval: number } | { ok: false };
function kernelOutcome(sec: string, data: Uint8Array, ctx?: Uint8Array, body?: string): Outcome {
  try {
    return { ok: true, retval: kernelTestRun(body ? assemble(body) : trivial(sec), { data, ...(ctx ? { ctx } : {}) }).retval };
  } catch { return { ok: false }; }
}
function interpOutcome(sec: string, data: Uint8Array, ctx?: Uint8Array, body?: string, mode: "checked" | "fast" = "checked"): Outcome {
  try {
    return { ok: true, retval: loadProgram(body ? assemble(body) : trivial(sec), { mode }).run({ data, ...(ctx ? { ctx } : {}) }).retval };
  } catch (e) {
    expect(e).toBeInstanceOf(BpfkitError);
    expect((e as BpfkitError).message).toContain("BK5013");
    return { ok: false };
  }
}

describeKernel("skb_load_bytes_relative against the kernel", () => {
  // r0 = helper's return + low word + 3 * high word of the 8-byte destination, prefilled with 0xaa.
  const prog = (sec: string, off: number, len: number, hdr: number) => `.section ${sec}
    r6 = r1
    r1 = 0xaaaaaaaaaaaaaaaa ll
    *(u64 *)(r10 - 8) = r1
    r1 = r6
    r2 = ${off}
    r3 = r10
    r3 += -8
    r4 = ${len}
    r5 = ${hdr}
    call bpf_skb_load_bytes_relative
    r6 = *(u32 *)(r10 - 8)
    r7 = *(u32 *)(r10 - 4)
    r7 *= 3
    r0 += r6
    r0 += r7
    exit`;
  const data = frame("0800", 50); // 64 bytes
  const cases: [number, number, number][] = [];
  for (const hdr of [0, 1, 2]) for (const off of [0, 6, 12, 14, 40, 49, 50, 56, 60, 62, 0x10000]) for (const len of [1, 4, 8]) cases.push([off, len, hdr]);
  // (cgroup_skb programs may only return 0 or 1, so this program cannot report through r0 there.)
  for (const sec of ["socket", "tc"]) {
    it(`${sec}: ${cases.length} offset / length / start-header cases give the kernel's results`, () => {
      let errors = 0;
      for (const [off, len, hdr] of cases) {
        const k = kernelOutcome(sec, data, undefined, prog(sec, off, len, hdr));
        expect(k.ok, `kernel run off ${off} len ${len} hdr ${hdr}`).toBe(true);
        for (const mode of ["checked", "fast"] as const) {
          expect(interpOutcome(sec, data, undefined, prog(sec, off, len, hdr), mode), `off ${off} len ${len} hdr ${hdr} (${mode})`).toEqual(k);
        }
        if (k.ok && k.retval > 0x80000000) errors++;
      }
      expect(errors).toBeGreaterThan(10); // the out-of-range cases did fail (-EFAULT)
    });
  }
});

describeKernel("test-run input checks against the kernel", () => {
  it("frame sizes: Ethernet header, IPv4/IPv6 header after it, one-page buffers", () => {
    const inputs: [string, Uint8Array][] = [
      ["13 bytes", frame("08", 0)], ["bare ethernet", frame("0806", 0)],
      ["v4 19", frame("0800", 19)], ["v4 20", frame("0800", 20)], ["v6 39", frame("86dd", 39)], ["v6 40", frame("86dd", 40)],
      ["vlan short", frame("8100", 4)], ["arp", frame("0806", 28)],
      ["3712", frame("0806", 3712 - 14)], ["3713", frame("0806", 3713 - 14)], ["xdp 3520", frame("0806", 3520 - 14)],
    ];
    let refused = 0;
    for (const sec of ["tc", "socket", "cgroup_skb/ingress", "xdp"]) {
      for (const [name, data] of inputs) {
        // Past one buffer the kernel runs XDP frames as multi-buffer, which the interpreter refuses (BK5013).
        if (sec === "xdp" && data.length > 3520) { expect(interpOutcome(sec, data), name).toEqual({ ok: false }); continue; }
        const k = kernelOutcome(sec, data);
        if (!k.ok) refused++;
        expect(interpOutcome(sec, data), `${sec} ${name}`).toEqual(k);
      }
    }
    expect(refused).toBeGreaterThanOrEqual(12);
  });

  it("__sk_buff ctx_in: only the fields the kernel copies in, wire_len and gso_segs bounds, zero tail", () => {
    const layout = contextLayout(progTypeByName("tc")!.id)!;
    const data = frame("0800", 40);
    const ctx = (vals: Record<string, number>, size = layout.size): Uint8Array => {
      const c = new Uint8Array(size);
      for (const [name, v] of Object.entries(vals)) new DataView(c.buffer).setUint32(fieldByName(layout, name)!.offset, v, true);
      return c;
    };
    const inputs: [string, Uint8Array][] = [
      ["zero", ctx({})], ["mark", ctx({ mark: 5 })], ["priority", ctx({ priority: 3 })], ["cb", ctx({ "cb[0]": 1, "cb[4]": 9 })],
      ["len", ctx({ len: 5 })], ["pkt_type", ctx({ pkt_type: 1 })], ["hash", ctx({ hash: 1 })], ["protocol", ctx({ protocol: 8 })],
      ["tc_index", ctx({ tc_index: 1 })], ["napi_id", ctx({ napi_id: 1 })], ["ifindex 1", ctx({ ifindex: 1 })], ["ifindex 9999", ctx({ ifindex: 9999 })],
      ["ingress_ifindex", ctx({ ingress_ifindex: 7 })], ["wire_len 10", ctx({ wire_len: 10 })], ["wire_len 40", ctx({ wire_len: 40 })],
      ["wire_len 53", ctx({ wire_len: 53 })], ["wire_len 54", ctx({ wire_len: 54 })], ["wire_len 65536", ctx({ wire_len: 65536 })],
      ["wire_len 65537", ctx({ wire_len: 65537 })], ["gso_segs 65535", ctx({ gso_segs: 65535 })], ["gso_segs 65536", ctx({ gso_segs: 65536 })],
      ["gso_size", ctx({ gso_size: 1400 })], ["tstamp", ctx({ tstamp: 1 })], ["hwtstamp", ctx({ hwtstamp: 1 })],
      ["zero tail", ctx({}, layout.size + 8)], ["nonzero tail", (() => { const c = ctx({}, layout.size + 8); c[layout.size + 2] = 1; return c; })()],
    ];
    for (const off of [180, 181, 183, 172]) { const c = ctx({}); c[off] = 1; inputs.push([`byte ${off}`, c]); }
    for (const sec of ["tc", "socket"]) {
      for (const [name, c] of inputs) expect(interpOutcome(sec, data, c), `${sec} ${name}`).toEqual(kernelOutcome(sec, data, c));
    }
  });

  it("xdp_md ctx_in: data_meta and egress_ifindex zero, data within data_end within the packet, rx queue", () => {
    const layout = contextLayout(progTypeByName("xdp")!.id)!;
    const data = frame("0800", 40);
    const ctx = (vals: Record<string, number>): Uint8Array => {
      const c = new Uint8Array(layout.size);
      for (const [name, v] of Object.entries(vals)) new DataView(c.buffer).setUint32(fieldByName(layout, name)!.offset, v, true);
      return c;
    };
    const cases: Record<string, number>[] = [
      {}, { data_end: 54 }, { data: 4, data_end: 54 }, { data: 4 }, { data_meta: 4, data_end: 54 }, { data: 6, data_end: 54 },
      { data: 40, data_end: 54 }, { data: 44, data_end: 54 }, { data_end: 55 }, { data_end: 10 }, { egress_ifindex: 1, data_end: 54 },
      { ingress_ifindex: 1, data_end: 54 }, { rx_queue_index: 1, data_end: 54 }, { rx_queue_index: 1, ingress_ifindex: 1, data_end: 54 },
    ];
    for (const vals of cases) expect(interpOutcome("xdp", data, ctx(vals)), JSON.stringify(vals)).toEqual(kernelOutcome("xdp", data, ctx(vals)));
  });
});
