// Differential tests, packets and maps: seeded XDP and tc programs (test/runtime/support/packet-programs.ts)
// with direct packet reads / writes / byte swaps, adjust_head / adjust_tail / adjust_meta + metadata access,
// xdp_load/store_bytes, skb_load/store_bytes, l3/l4_csum_replace and csum_diff on real headers, __sk_buff
// writes (read back and through ctx_out), array / hash / percpu_array / lru_hash / lpm_trie lookups,
// updates with every flag and deletes, bpf_redirect / bpf_redirect_map and tail calls through a prog_array.
// Each program runs on two random packets on the interpreter (checked AND fast mode), compiled, and on the kernel
// (BPF_PROG_TEST_RUN); retval, output packet, ctx_out and every map's contents must agree.
//
// The second block pins down, without a kernel, each runtime bug these runs found (values measured on 6.18).
import { describe, expect, it } from "vitest";
import type { Program } from "../../src/program/program.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { compareEngines } from "../../src/testing/agree.js";
import { assemble } from "../../src/text/assembler.js";
import { describeKernel } from "../support/kernel.js";
import { generateCase, minimiseCase, type GeneratedCase, type Kind } from "./support/packet-programs.js";

const PROGRAMS_PER_KIND = 200;
const MODES = ["checked", "fast", "compiled"] as const;

describeKernel("interpreter vs kernel: generated packet, map and helper programs", () => {
  it(`${PROGRAMS_PER_KIND} XDP + ${PROGRAMS_PER_KIND} tc programs x 2 packets agree in checked and fast mode and compiled`, async () => {
    const { possibleCpus } = await import("../../src/kernel/maps.js");
    const cpus = possibleCpus();
    const compare = (c: GeneratedCase, mode: (typeof MODES)[number]) =>
      compareEngines(c.programs[0]!, c.inputs, mode === "compiled"
        ? { maps: c.maps, others: c.programs.slice(1), engines: ["compiled", "kernel"], interpreter: { cpus } }
        : { maps: c.maps, others: c.programs.slice(1), engines: ["interp", "kernel"], interpreter: { mode, cpus } });
    let programs = 0, runs = 0, withTailCalls = 0, resized = 0, rewritten = 0, nonZeroCtx = 0;
    const rejected: string[] = [];
    const mismatches: { c: GeneratedCase; mode: (typeof MODES)[number]; text: string }[] = [];
    const helpers = new Map<string, number>();
    for (const kind of ["xdp", "tc"] as Kind[]) {
      for (let seed = 1; seed <= PROGRAMS_PER_KIND; seed++) {
        const c = generateCase(seed, kind);
        programs++;
        if (c.programs.length > 1) withTailCalls++;
        for (const s of c.sources) for (const m of s.matchAll(/call (bpf_\w+)/g)) helpers.set(m[1]!, (helpers.get(m[1]!) ?? 0) + 1);
        for (const mode of MODES) {
          let report;
          try {
            report = compare(c, mode);
          } catch (err) {
            rejected.push(`${c.name}: ${String(err).split("\n")[0]}`);
            break;
          }
          runs += c.inputs.length;
          if (!report.agree) mismatches.push({ c, mode, text: report.text() });
          if (mode === "checked") {
            report.results.forEach((r, i) => {
              const k = r.kernel;
              if (!k) return;
              const input = c.inputs[i]!;
              if (k.data.length !== input.data!.length) resized++;
              else if (k.data.some((b, j) => b !== input.data![j])) rewritten++;
              if (input.ctx && k.ctx?.some((b, j) => b !== input.ctx![j])) nonZeroCtx++;
            });
          }
        }
      }
    }
    console.log(`interpreter vs kernel (packets, maps, helpers): ${programs} programs (${withTailCalls} with tail calls), ` +
      `${runs} runs compared, ${mismatches.length} mismatches; ${resized} output packets resized, ${rewritten} rewritten in place, ${nonZeroCtx} ctx_out changed`);
    expect(rejected.slice(0, 3)).toEqual([]);
    if (mismatches.length) {
      // Report the first mismatch minimised to the steps that still make the engines disagree.
      const { c, mode } = mismatches[0]!;
      const [kind, seed] = [c.kind, Number(c.name.split(" ").pop())];
      const small = minimiseCase(seed, kind, (x) => { try { return !compare(x, mode).agree; } catch { return false; } });
      expect.fail(`${mismatches.length} mismatches; first: ${c.name} (${mode})\n${compare(small, mode).text()}\nminimised program:\n${small.sources.map((s) => s.split("\n").filter((l) => !l.startsWith(".map")).join("\n")).join("\n--- tail-call target ---\n")}`);
    }
    expect(runs).toBe(programs * 2 * MODES.length);
    // The generator really exercises what it claims to.
    for (const h of ["bpf_xdp_adjust_head", "bpf_xdp_adjust_tail", "bpf_xdp_adjust_meta", "bpf_xdp_load_bytes", "bpf_xdp_store_bytes",
      "bpf_skb_load_bytes", "bpf_skb_store_bytes", "bpf_l3_csum_replace", "bpf_l4_csum_replace", "bpf_csum_diff", "bpf_map_lookup_elem",
      "bpf_map_update_elem", "bpf_map_delete_elem", "bpf_redirect", "bpf_redirect_map", "bpf_tail_call"]) {
      expect(helpers.get(h) ?? 0, h).toBeGreaterThan(10);
    }
    expect(withTailCalls).toBeGreaterThan(50);
    expect(resized).toBeGreaterThan(50);
    expect(rewritten).toBeGreaterThan(100);
    expect(nonZeroCtx).toBeGreaterThan(100);
  }, 300_000);
});

// ---- regressions (interpreter only; expected values measured with BPF_PROG_TEST_RUN on 6.18) ----

const tcp = (): Uint8Array => {
  const f = new Uint8Array(94);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 80, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0x6b, 0x18], 34);
  return f;
};
const asm = (section: string, body: string): Program => assemble(`.section ${section}\n.license "GPL"\n${body}\n`, { file: "regression" });
const run = (p: Program, data: Uint8Array, ctx?: Uint8Array) => loadProgram(p).run({ data, ...(ctx ? { ctx } : {}) });
const csumReplace = (helper: "l3" | "l4", off: number, from: number, flags: number): Program =>
  asm("tc", `r2 = ${off}\nr3 = ${from}\nr4 = 0x1234567\nr5 = ${flags}\ncall bpf_${helper}_csum_replace\nexit`);

describe("runtime fixes found by the packet differential tests", () => {
  it("l3/l4_csum_replace: an odd offset is -EFAULT and the packet is left alone", () => {
    for (const helper of ["l3", "l4"] as const) {
      const r = run(csumReplace(helper, helper === "l3" ? 25 : 51, 5, 4), tcp());
      expect(r.retval | 0).toBe(-14);
      expect(r.data).toEqual(tcp());
    }
  });
  it("l3/l4_csum_replace: flags 0 (`to` is a diff) with a non-zero `from` is -EINVAL", () => {
    expect(run(csumReplace("l3", 24, 5, 0), tcp()).retval | 0).toBe(-22);
    expect(run(csumReplace("l4", 50, 5, 0), tcp()).retval | 0).toBe(-22);
    expect(run(csumReplace("l3", 24, 0, 0), tcp()).retval | 0).toBe(0);
  });
  it("csum_diff takes sizes that are not multiples of 4 (csum_partial with a zero-padded tail)", () => {
    const prog = (fromSize: number, toSize: number, seed: number): Program => asm("tc", [
      "r1 = 0x0807060504030201 ll", "*(u64 *)(r10 - 16) = r1", "r1 = 0xf0e0d0c0b0a09080 ll", "*(u64 *)(r10 - 8) = r1",
      "r1 = r10", "r1 += -16", `r2 = ${fromSize}`, "r3 = r10", "r3 += -8", `r4 = ${toSize}`, `r5 = ${seed} ll`, "call bpf_csum_diff", "exit",
    ].join("\n"));
    const cases: [number, number, number, number][] = [
      [0, 1, 0, 0x80], [0, 3, 0, 0x9120], [0, 6, 0, 0x11e2], [0, 7, 0, 0x12c2], [8, 6, 0, 0xfdd1], [3, 0, 0, 0xfdfb],
      [2, 2, 0, 0x8e7f], [4, 0, 0, 0xf9fb], [0, 0, 77, 77], [0, 4, 0xfffffffe, 0x4120],
    ];
    for (const [f, t, s, want] of cases) expect([f, t, s, run(prog(f, t, s), tcp()).retval]).toEqual([f, t, s, want]);
  });
  it("xdp: metadata given in ctx_in is taken from the headroom, and ctx_out has data / data_end as offsets", () => {
    const ctx = new Uint8Array(24);
    new DataView(ctx.buffer).setUint32(0, 16, true);
    new DataView(ctx.buffer).setUint32(4, 61, true);
    const head = (off: number) => run(asm("xdp", `r2 = ${off}\ncall bpf_xdp_adjust_head\nexit`), new Uint8Array(61), ctx);
    expect(head(-200).retval | 0).toBe(0);
    expect(head(-208).retval | 0).toBe(-22);
    const grown = run(asm("xdp", "r6 = r1\nr2 = 20\ncall bpf_xdp_adjust_tail\nr1 = r6\nr2 = -8\ncall bpf_xdp_adjust_meta\nr0 = 2\nexit"), new Uint8Array(61), ctx);
    const out = new DataView(grown.ctx!.buffer, grown.ctx!.byteOffset);
    expect([out.getUint32(0, true), out.getUint32(4, true), grown.data.length]).toEqual([24, 89, 89]);
  });
  it("__sk_buff: tc_index and tc_classid keep 16 bits; queue_mapping drops values from 0xffff (an s32 immediate -1 is 0xffff)", () => {
    const rw = (off: number, store: string): number =>
      run(asm("tc", `r2 = 0x89abcdef ll\nr3 = 0x1000000005 ll\n${store.replace("OFF", String(off))}\nr0 = *(u32 *)(r1 + ${off})\nexit`), tcp()).retval;
    expect(rw(44, "*(u32 *)(r1 + OFF) = r2")).toBe(0xcdef);
    expect(rw(72, "*(u32 *)(r1 + OFF) = r2")).toBe(0xcdef);
    expect(rw(12, "*(u32 *)(r1 + OFF) = r2")).toBe(0);
    expect(rw(12, "*(u32 *)(r1 + OFF) = r3")).toBe(0); // the whole 64-bit register is compared
    expect(rw(12, "*(u32 *)(r1 + OFF) = -1")).toBe(0xffff);
    expect(rw(12, "*(u32 *)(r1 + OFF) = 0x10005")).toBe(0);
    expect(rw(12, "*(u32 *)(r1 + OFF) = 7")).toBe(7);
    expect(rw(8, "*(u32 *)(r1 + OFF) = r2")).toBe(0x89abcdef);
  });
  it("lpm_trie: updating an existing prefix stores the new key's bytes, as the kernel's new node does", () => {
    const p = asm("xdp", [
      ".map lpm, type=lpm_trie, key=8, value=8, max_entries=4, flags=1",
      "r1 = 0", "*(u64 *)(r10 - 16) = r1", "*(u32 *)(r10 - 8) = 8", "*(u32 *)(r10 - 4) = 0x0000000a",
      "r1 = lpm ll", "r2 = r10", "r2 += -8", "r3 = r10", "r3 += -16", "r4 = 0", "call bpf_map_update_elem",
      "*(u32 *)(r10 - 4) = 0x0909010a",
      "r1 = lpm ll", "r2 = r10", "r2 += -8", "r3 = r10", "r3 += -16", "r4 = 2", "call bpf_map_update_elem", "exit",
    ].join("\n"));
    const rt = loadProgram(p);
    expect(rt.run({ data: new Uint8Array(64) }).retval).toBe(0);
    expect(rt.maps.get("lpm")!.entries().map((e) => [...e.key])).toEqual([[8, 0, 0, 0, 10, 1, 9, 9]]);
  });
  it("skb_vlan_push: an unknown protocol counts as 802.1Q; a second push moves the first tag into the packet", () => {
    const fields = "r1 = *(u32 *)(r6 + 28)\nr7 <<= 16\nr7 |= r1\nr1 = *(u32 *)(r6 + 16)\nr7 <<= 16\nr7 |= r1\nr0 = r7\nexit";
    const one = run(asm("tc", `r6 = r1\nr2 = 8\nr3 = 0x1234\ncall bpf_skb_vlan_push\nr7 = r0\n${fields}`), tcp());
    expect(one.r0).toBe(0x00810008n); // r0 0, vlan_proto htons(0x8100), protocol htons(IPv4)
    const two = run(asm("tc", `r6 = r1\nr2 = 0x81\nr3 = 0x1234\ncall bpf_skb_vlan_push\nr1 = r6\nr2 = 0xa888\nr3 = 0x77\ncall bpf_skb_vlan_push\nr7 = r0\n${fields}`), tcp());
    expect(two.r0).toBe(0xa8880081n); // the new tag is 802.1AD; skb->protocol is the moved tag's TPID
    expect(two.data.length).toBe(98);
    expect([...two.data.subarray(12, 18)]).toEqual([0x81, 0x00, 0x12, 0x34, 0x08, 0x00]);
  });
  it("skb_vlan_pop follows skb->protocol, not the bytes, and moves a second in-band tag to the accelerated one", () => {
    const qinq = tcp();
    const f = new Uint8Array(qinq.length + 8);
    f.set(qinq.subarray(0, 12));
    f.set([0x88, 0xa8, 0x00, 0x05, 0x81, 0x00, 0x00, 0x07], 12);
    f.set(qinq.subarray(12), 20);
    const r = run(asm("tc", "r6 = r1\ncall bpf_skb_vlan_pop\nr7 = r0\nr1 = *(u32 *)(r6 + 24)\nr7 <<= 16\nr7 |= r1\nr1 = *(u32 *)(r6 + 16)\nr7 <<= 16\nr7 |= r1\nr0 = r7\nexit"), f);
    expect(r.r0).toBe(0x00070008n); // tci 7 is now accelerated, skb->protocol IPv4
    expect(r.data).toEqual(qinq);
  });
  it("csum_level keeps CHECKSUM_UNNECESSARY and its level (test-run skbs start CHECKSUM_NONE)", () => {
    const levels = (ls: number[]): number => run(asm("tc", "r6 = r1\nr7 = 0\n" +
      ls.map((l) => `r1 = r6\nr2 = ${l}\ncall bpf_csum_level\nr7 <<= 8\nr0 &= 0xff\nr7 |= r0\n`).join("") + "r0 = r7\nexit"), tcp()).retval & 0xff;
    expect([levels([0]), levels([1, 0]), levels([1, 1, 1, 1, 1, 0]), levels([1, 2, 0]), levels([1, 1, 2, 0]), levels([1, 3, 0]), levels([4])])
      .toEqual([0xf3, 0, 3, 0xf3, 0, 0xf3, 0xea]);
  });
  it("skb_adjust_room checks in the kernel's order and refuses a second encapsulation", () => {
    const room = (d: number, mode: number, flags: bigint) => `r1 = r6\nr2 = ${d}\nr3 = ${mode}\nr4 = ${flags} ll\ncall bpf_skb_adjust_room\nr7 <<= 8\nr0 &= 0xff\nr7 |= r0\n`;
    const go = (body: string, data: Uint8Array) => run(asm("tc", `r6 = r1\nr7 = 0\n${body}r0 = r7\nexit`), data);
    const short = new Uint8Array(26);
    short.set([0x88, 0xb5], 12);
    expect(go(room(4096, 0, 0n), short).retval).toBe(0xf2); // -EFAULT before the protocol's -ENOTSUPP
    expect(go(room(-20, 1, 4n), tcp()).retval).toBe(0xea); // encap flags when shrinking: -EINVAL
    expect(go(room(20, 1, 0x80n), tcp()).retval).toBe(0xea); // decap flags when growing: -EINVAL
    const twice = go(room(20, 1, 2n) + room(20, 1, 2n), tcp());
    expect([twice.retval, twice.data.length]).toEqual([0x8e, 114]); // 0, then -EALREADY
    const v6 = go(room(40, 1, 4n) + "r1 = *(u32 *)(r6 + 16)\nr7 <<= 16\nr7 |= r1\n", tcp());
    expect([v6.retval, v6.data.length]).toEqual([0xdd86, 134]); // the outer header is now IPv6
  });
  it("skb_change_proto clears the skb hash when it translates the header", () => {
    const v6 = new Uint8Array(74);
    v6.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 17, 64], 0);
    const prog = (to: number) => asm("tc", `r6 = r1\nr2 = 0x1234\ncall bpf_set_hash\nr1 = r6\nr2 = ${to}\nr3 = 0\ncall bpf_skb_change_proto\nr7 = r0\nr0 = *(u32 *)(r6 + 68)\nr0 <<= 8\nr7 &= 0xff\nr0 |= r7\nexit`);
    expect(run(prog(0x0008), v6).retval).toBe(0); // translated: hash cleared
    expect(run(prog(0xdd86), v6).retval).toBe(0x1234f4); // nothing to translate: -ENOTSUPP (low byte 0xf4), hash kept
  });
  it("array update: an index past the end is -E2BIG before BPF_F_LOCK's -EINVAL, NOEXIST|LOCK is -EEXIST", () => {
    const upd = (key: number, flags: number): number => run(asm("xdp", [
      ".map arr, type=array, key=4, value=8, max_entries=4",
      `*(u32 *)(r10 - 4) = ${key}`, "r1 = 0", "*(u64 *)(r10 - 16) = r1",
      "r1 = arr ll", "r2 = r10", "r2 += -4", "r3 = r10", "r3 += -16", `r4 = ${flags}`, "call bpf_map_update_elem", "exit",
    ].join("\n")), new Uint8Array(64)).retval | 0;
    expect([upd(4, 4), upd(1, 4), upd(1, 5), upd(1, 6), upd(9, 8)]).toEqual([-7, -22, -17, -22, -22]);
  });
});
