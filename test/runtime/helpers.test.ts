// Helpers and program contexts through whole programs: what BPF_PROG_TEST_RUN would hand back.
import { describe, expect, it } from "vitest";
import { call, exit, insn, lddw, mov64Imm, mov64Reg, aluImm, R0, R1, R2, R3, R4, wide } from "../../src/isa/index.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";
import { internetChecksum } from "../../src/packet/checksum.js";
import { u32Bytes } from "../../src/maps/runtime/index.js";
import { ProgArrayMap } from "../../src/maps/runtime/prog-array.js";
import { RedirectTargetMap } from "../../src/maps/runtime/redirect-target.js";

const frame = (len: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => i & 0xff);

describe("xdp", () => {
  it("xdp_adjust_head grows the packet into the headroom and the output shows it", () => {
    const rt = loadProgram(assemble(`.section xdp
      r6 = r1
      r2 = -4
      call bpf_xdp_adjust_head
      if r0 != 0 goto out
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 4)
      r4 = r2
      r4 += 4
      if r4 > r3 goto out
      *(u32 *)(r2 + 0) = 0x44434241
      r0 = 2
      exit
    out:
      r0 = 1
      exit`));
    const r = rt.run({ data: frame(60) });
    expect(r.action).toBe("XDP_PASS");
    expect(r.data.length).toBe(64);
    expect([...r.data.subarray(0, 4)]).toEqual([0x41, 0x42, 0x43, 0x44]);
    expect([...r.data.subarray(4)]).toEqual([...frame(60)]);
  });
  it("xdp_adjust_head and adjust_tail refuse to move past the kernel's limits", () => {
    const run = (helper: string, delta: number): bigint =>
      loadProgram(assemble(`.section xdp\nr2 = ${delta}\ncall ${helper}\nexit`)).run({ data: frame(64) }).r0;
    expect(run("bpf_xdp_adjust_head", -256)).toBe(BigInt.asUintN(64, -22n)); // only 256 - sizeof(xdp_frame) of headroom
    expect(run("bpf_xdp_adjust_head", -216)).toBe(0n);
    expect(run("bpf_xdp_adjust_head", 51)).toBe(BigInt.asUintN(64, -22n)); // must leave an Ethernet header
    expect(run("bpf_xdp_adjust_tail", -51)).toBe(BigInt.asUintN(64, -22n));
    expect(run("bpf_xdp_adjust_tail", 4096)).toBe(BigInt.asUintN(64, -22n));
    const grow = loadProgram(assemble(".section xdp\nr2 = 10\ncall bpf_xdp_adjust_tail\nr0 = 2\nexit")).run({ data: frame(64) });
    expect(grow.data.length).toBe(74);
    expect([...grow.data.subarray(64)]).toEqual(new Array(10).fill(0));
  });
  it("redirect_map records the target when the key exists, else returns the fallback action", () => {
    const p = assemble(`.section xdp
.map ports, type=devmap, key=4, value=4, max_entries=8
      r1 = ports ll
      r2 = 3
      r3 = 1
      call bpf_redirect_map
      exit`);
    const rt = loadProgram(p);
    expect(rt.run({ data: frame(64) }).action).toBe("XDP_DROP");
    (rt.maps.get("ports") as RedirectTargetMap).set(u32Bytes(3), u32Bytes(7));
    const r = rt.run({ data: frame(64) });
    expect(r.action).toBe("XDP_REDIRECT");
    expect(r.redirect).toMatchObject({ helper: "redirect_map", map: "ports", key: 3, target: 7 });
  });
  it("ingress_ifindex defaults to the loopback device and ctx_in can set it", () => {
    const rt = loadProgram(assemble(".section xdp\nr0 = *(u32 *)(r1 + 12)\nexit"));
    expect(rt.run({ data: frame(64) }).retval).toBe(1);
    const ctx = new Uint8Array(24); ctx[12] = 5;
    expect(rt.run({ data: frame(64), ctx }).retval).toBe(5);
  });
});

describe("tc (__sk_buff)", () => {
  it("derives len, protocol and pkt_type, and returns the fields the program wrote", () => {
    const rt = loadProgram(assemble(`.section tc
      r2 = *(u32 *)(r1 + 0)
      *(u32 *)(r1 + 8) = r2
      r3 = *(u32 *)(r1 + 16)
      *(u32 *)(r1 + 48) = r3
      r0 = *(u32 *)(r1 + 4)
      exit`));
    const data = new Uint8Array(60);
    data.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
    data.set([0x08, 0x00], 12);
    const r = rt.run({ data });
    expect(r.retval).toBe(2); // PACKET_MULTICAST: the loopback device's broadcast address is all-zero
    const ctx = new DataView(r.ctx!.buffer);
    expect(ctx.getUint32(8, true)).toBe(60); // mark = len
    expect(ctx.getUint32(48, true)).toBe(0x0008); // cb[0] = protocol, __be16 0x0800 read as a little-endian u32
    expect(ctx.getUint32(76, true)).toBe(0); // data pointers are not returned
  });
  it("l3_csum_replace keeps an IPv4 header checksum valid after a rewrite", () => {
    const pkt = new Uint8Array(54);
    pkt.set([0x08, 0x00], 12);
    pkt.set([0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    const sum = internetChecksum(pkt, 14, 34);
    pkt[24] = sum >> 8; pkt[25] = sum & 0xff;
    const rt = loadProgram(assemble(`.section tc
      r6 = r1
      r2 = *(u32 *)(r1 + 76)
      r3 = *(u32 *)(r1 + 80)
      r4 = r2
      r4 += 34
      if r4 > r3 goto out
      r7 = *(u32 *)(r2 + 30)
      r8 = 0x0900000a
      *(u32 *)(r2 + 30) = r8
      r1 = r6
      r2 = 24
      r3 = r7
      r4 = r8
      r5 = 4
      call bpf_l3_csum_replace
    out:
      r0 = 0
      exit`));
    const out = rt.run({ data: pkt }).data;
    expect([...out.subarray(30, 34)]).toEqual([10, 0, 0, 9]);
    expect(internetChecksum(out, 14, 34)).toBe(0); // a valid header sums to zero with its checksum
    expect(out[24]! << 8 | out[25]!).not.toBe(sum);
  });
  it("skb_load_bytes copies from the packet and fails past its end", () => {
    const rt = loadProgram(assemble(`.section tc
      r2 = 12
      r3 = r10
      r3 += -8
      r4 = 2
      call bpf_skb_load_bytes
      if r0 != 0 goto bad
      r0 = *(u16 *)(r10 - 8)
      exit
    bad:
      r0 = 0xbad
      exit`));
    expect(rt.run({ data: frame(64) }).retval).toBe(12 | (13 << 8));
    expect(rt.run({ data: frame(14) }).retval).toBe(12 | (13 << 8));
    const far = loadProgram(assemble(".section tc\nr2 = 60\nr3 = r10\nr3 += -8\nr4 = 8\ncall bpf_skb_load_bytes\nexit"));
    expect(far.run({ data: frame(64) }).r0).toBe(BigInt.asUintN(64, -14n));
  });
});

describe("tc packet reshaping", () => {
  const ipv4 = (): Uint8Array => { const f = frame(60); f[12] = 0x08; f[13] = 0x00; return f; };
  it("skb_adjust_room inserts zeroed room after the IPv4 header and removes it again", () => {
    const grow = loadProgram(assemble(".section tc\nr2 = 8\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room\nexit")).run({ data: ipv4() });
    expect(grow.retval).toBe(0);
    expect(grow.data.length).toBe(68);
    expect([...grow.data.subarray(0, 34)]).toEqual([...ipv4().subarray(0, 34)]);
    expect([...grow.data.subarray(34, 42)]).toEqual(new Array(8).fill(0));
    expect([...grow.data.subarray(42)]).toEqual([...ipv4().subarray(34)]);
    const shrink = loadProgram(assemble(".section tc\nr2 = -4\nr3 = 1\nr4 = 0\ncall bpf_skb_adjust_room\nexit")).run({ data: ipv4() });
    expect([...shrink.data]).toEqual([...ipv4().subarray(0, 14), ...ipv4().subarray(18)]);
    const notIp = loadProgram(assemble(".section tc\nr2 = 8\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room\nexit")).run({ data: frame(60) });
    expect(notIp.r0).toBe(BigInt.asUintN(64, -524n)); // -ENOTSUPP: not IP
  });
  it("skb_change_proto IPv4 -> IPv6 adds 20 bytes after L2 and changes skb->protocol", () => {
    const r = loadProgram(assemble(".section tc\nr6 = r1\nr2 = 0xdd86\nr3 = 0\ncall bpf_skb_change_proto\nr0 = *(u32 *)(r6 + 16)\nexit")).run({ data: ipv4() });
    expect(r.retval).toBe(0xdd86);
    expect(r.data.length).toBe(80);
    expect([...r.data.subarray(14, 34)]).toEqual(new Array(20).fill(0));
  });
  it("skb_vlan_push sets the accelerated tag fields and leaves the bytes alone", () => {
    const r = loadProgram(assemble(".section tc\nr6 = r1\nr2 = 0x81\nr3 = 42\ncall bpf_skb_vlan_push\nr0 = *(u32 *)(r6 + 24)\nr1 = *(u32 *)(r6 + 20)\nr1 <<= 16\nr0 |= r1\nexit")).run({ data: ipv4() });
    expect(r.retval).toBe(42 | (1 << 16)); // vlan_tci and vlan_present
    expect([...r.data]).toEqual([...ipv4()]); // the bytes are untouched
    // Linux 6.18 treats an unknown vlan_proto as 802.1Q (measured: vlan_proto reads 0x0081) and succeeds.
    const odd = loadProgram(assemble(".section tc\nr6 = r1\nr2 = 0x1234\nr3 = 1\ncall bpf_skb_vlan_push\nif r0 != 0 goto out\nr0 = *(u32 *)(r6 + 20)\nout:\nexit")).run({ data: ipv4() });
    expect(odd.retval).toBe(1); // vlan_present, so the push returned 0
  });
});

describe("helpers", () => {
  it("trace_printk formats with the kernel's conversions and refuses bad formats", () => {
    const fmt = (s: string): string => {
      const bytes = [...new TextEncoder().encode(s), 0];
      while (bytes.length % 8) bytes.push(0);
      const lines: string[] = [];
      for (let i = 0; i < bytes.length; i += 8) {
        const v = bytes.slice(i, i + 8).reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
        lines.push(`r1 = ${v} ll`, `*(u64 *)(r10 - ${bytes.length - i}) = r1`);
      }
      return `${lines.join("\n")}\nr1 = r10\nr1 += -${bytes.length}\nr2 = ${bytes.length}`;
    };
    const printk = (f: string, a: number, b: number, c: number): string[] =>
      loadProgram(assemble(`.section xdp\n${fmt(f)}\nr3 = ${a}\nr4 = ${b}\nr5 = ${c}\ncall bpf_trace_printk\nexit`)).run({ data: frame(64) }).trace;
    expect(printk("x=%d y=%u z=%x\n", -5, -1, 255)).toEqual(["x=-5 y=4294967295 z=ff\n"]);
    expect(printk("[%05d|%-4x|%lld]", -42, 10, -1)).toEqual(["[-0042|a   |-1]"]);
    expect(printk("%c%c %%", 0x48, 0x69, 0)).toEqual(["Hi %"]);
    const bad = loadProgram(assemble(`.section xdp\n${fmt("%d %d %d %d")}\ncall bpf_trace_printk\nexit`)).run({ data: frame(64) });
    expect(bad.r0).toBe(BigInt.asUintN(64, -22n));
    expect(bad.trace).toEqual([]);
  });
  it("map helpers from a program: update, lookup through the pointer, delete", () => {
    const rt = loadProgram(assemble(`.section xdp
.map h, type=hash, key=4, value=8, max_entries=4
      *(u32 *)(r10 - 4) = 7
      *(u64 *)(r10 - 16) = 41
      r1 = h ll
      r2 = r10
      r2 += -4
      r3 = r10
      r3 += -16
      r4 = 1
      call bpf_map_update_elem
      r1 = h ll
      r2 = r10
      r2 += -4
      r3 = r10
      r3 += -16
      r4 = 1
      call bpf_map_update_elem
      r6 = r0
      r1 = h ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      r0 = r6
    out:
      exit`));
    const r = rt.run({ data: frame(64) });
    expect(r.r0).toBe(BigInt.asUintN(64, -17n)); // second NOEXIST update: -EEXIST
    const v = rt.maps.get("h")!.get(u32Bytes(7)) as Uint8Array;
    expect(v[0]).toBe(42);
  });
  it("array and percpu_array lookups (answered inside the interpreter) follow the key and the CPU", () => {
    for (const type of ["array", "percpu_array"]) {
      const rt = loadProgram(assemble(`.section xdp
.map a, type=${type}, key=4, value=8, max_entries=4
        r6 = 0
        *(u32 *)(r10 - 4) = 3
        r1 = a ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto next
        r1 = 1
        lock *(u64 *)(r0 + 0) += r1
        r6 += 1
      next:
        *(u32 *)(r10 - 4) = 4
        r1 = a ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 != 0 goto out
        r6 += 2
      out:
        r0 = r6
        exit`), { cpus: 4 });
      expect(rt.run({ data: frame(64), cpu: 2 }).retval).toBe(3); // index 3 found, index 4 is past max_entries
      rt.run({ data: frame(64), cpu: 2 });
      rt.run({ data: frame(64), cpu: 1 });
      const v = rt.maps.get("a")!.get(u32Bytes(3))!;
      const counts = (Array.isArray(v) ? v : [v]).map((b) => b[0]);
      expect(counts).toEqual(type === "array" ? [3] : [0, 1, 2, 0]);
    }
  });
  it("array_of_maps: lookup returns the inner map, usable for a lookup in it", () => {
    const p = assemble(`.section xdp
.map inner, type=array, key=4, value=8, max_entries=2
.map outer, type=array_of_maps, key=4, value=4, max_entries=1, inner=inner
        *(u32 *)(r10 - 4) = 0
        r1 = outer ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto none
        r1 = r0
        *(u32 *)(r10 - 8) = 1
        r2 = r10
        r2 += -8
        call bpf_map_lookup_elem
        if r0 == 0 goto none
        r0 = *(u64 *)(r0 + 0)
        exit
      none:
        r0 = 99
        exit`);
    const empty = loadProgram(p);
    expect(empty.run({ data: frame(64) }).retval).toBe(99); // slot 0 holds no map yet
    p.maps.find((m) => m.name === "outer")!.initialSlots = [{ index: 0, target: "inner" }];
    const rt = loadProgram(p);
    rt.maps.get("inner")!.set(u32Bytes(1), Uint8Array.of(42, 0, 0, 0, 0, 0, 0, 0));
    expect(rt.run({ data: frame(64) }).retval).toBe(42);
  });
  it("queue push/pop from a program, ringbuf reserve/submit/discard, current task identity", () => {
    const rt = loadProgram(assemble(`.section xdp
.map q, type=queue, key=0, value=4, max_entries=2
.map rb, type=ringbuf, key=0, value=0, max_entries=4096
        *(u32 *)(r10 - 4) = 11
        r1 = q ll
        r2 = r10
        r2 += -4
        r3 = 0
        call bpf_map_push_elem
        *(u32 *)(r10 - 4) = 22
        r1 = q ll
        r2 = r10
        r2 += -4
        r3 = 0
        call bpf_map_push_elem
        r1 = q ll
        r2 = r10
        r2 += -8
        call bpf_map_pop_elem
        r6 = *(u32 *)(r10 - 8)
        r1 = rb ll
        r2 = 8
        r3 = 0
        call bpf_ringbuf_reserve
        if r0 == 0 goto out
        *(u64 *)(r0 + 0) = r6
        r1 = r0
        r2 = 0
        call bpf_ringbuf_submit
        r1 = rb ll
        r2 = 16
        r3 = 0
        call bpf_ringbuf_reserve
        if r0 == 0 goto out
        r1 = r0
        r2 = 0
        call bpf_ringbuf_discard
        call bpf_get_current_pid_tgid
        r6 = r0
      out:
        r0 = r6
        exit`));
    const r = rt.run({ data: frame(64) });
    expect(r.ringbuf.map((x) => x.data[0])).toEqual([11]); // FIFO: the first value pushed comes out first
    expect(r.r0).toBe((4242n << 32n) | 4242n);
    expect(rt.maps.get("q")!.entries().map((e) => (e.value as Uint8Array)[0])).toEqual([22]);
  });
  it("taking a held spin lock again is reported instead of deadlocking", () => {
    const rt = loadProgram(assemble(`.section tc
.map m, type=array, key=4, value=8, max_entries=1
        *(u32 *)(r10 - 4) = 0
        r1 = m ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r6 = r0
        r1 = r6
        call bpf_spin_lock
        r1 = r6
        call bpf_spin_lock
      out:
        r0 = 0
        exit`));
    expect(() => rt.run({ data: frame(64) })).toThrow(/BK5017.*|already held/);
  });
  it("tail calls jump to the program in the prog_array slot and stop after 33", () => {
    const main = assemble(`.section xdp
.name entry
.map jmp, type=prog_array, key=4, value=4, max_entries=4
      r2 = jmp ll
      r3 = 1
      call bpf_tail_call
      r0 = 1
      exit`);
    const target = assemble(`.section xdp\n.name target\nr0 = 3\nexit`);
    const rt = loadProgram(main, { others: [target] });
    expect(rt.run({ data: frame(64) }).retval).toBe(1); // empty slot: falls through
    (rt.maps.get("jmp") as ProgArrayMap).setProgram(1, "target");
    expect(rt.run({ data: frame(64) }).action).toBe("XDP_TX");
    (rt.maps.get("jmp") as ProgArrayMap).setProgram(1, "entry"); // tail-calls itself
    const loop = rt.run({ data: frame(64) });
    expect(loop.retval).toBe(1);
    expect(loop.insnCount).toBe(34 * 3 + 2); // 3 instructions up to each of 33 tail calls, 3 more and the fall-through r0 = 1; exit
  });
  it("a neighbour the runtime cannot load does not stop the run; a tail call into it names it", () => {
    const main = assemble(`.section xdp
.name entry
.map jmp, type=prog_array, key=4, value=4, max_entries=4
      r2 = jmp ll
      r3 = 0
      call bpf_tail_call
      r0 = 2
      exit`);
    // a kfunc call (src 2): the interpreter has no kernel functions
    const other = assemble(`.section xdp\n.name uses_kfunc\nr0 = 0\nexit`);
    other.insns.unshift(insn(0x85, 0, 2, 0, 1234));
    const rt = loadProgram(main, { others: [other] });
    expect(rt.run({ data: frame(64) }).action).toBe("XDP_PASS");
    (rt.maps.get("jmp") as ProgArrayMap).setProgram(0, "uses_kfunc");
    expect(() => rt.run({ data: frame(64) })).toThrow(/tail call into program 'uses_kfunc'[\s\S]*call kfunc/);
    // the main program itself still fails at once
    expect(() => loadProgram(other, { others: [main] })).toThrow(/call kfunc/);
  });
  it("bpf_loop runs the callback until it returns 1, in its own frame", () => {
    // callback(i, ctx): *(u64 *)ctx += i; return i == 4
    const insns = [
      insn(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 - 8) = 0
      mov64Imm(R1, 10),
      wide(R2, 0n, 4), // r2 = callback (pc-relative, fixed below)
      mov64Reg(R3, 10), aluImm("add", R3, -8),
      mov64Imm(R4, 0),
      call("bpf_loop"),
      insn(0x79, R1, 10, -8, 0), // r1 = *(u64 *)(r10 - 8)
      aluImm("lsh", R1, 32),
      insn(0x4f, R0, R1, 0, 0), // r0 |= r1
      exit(),
      // callback:
      insn(0x79, R3, R2, 0, 0), insn(0x0f, R3, R1, 0, 0), insn(0x7b, R2, R3, 0, 0),
      mov64Imm(R0, 0), { ...insn(0x55, R1, 0, 1, 4) }, mov64Imm(R0, 1), exit(),
    ];
    insns[2]!.imm = 12 - 2 - 1; // callback at slot 12 (the lddw at slots 2-3), relative to the next slot
    void lddw; void R4;
    const rt = loadProgram({ name: "p", section: "xdp", insns, maps: [], license: "GPL" });
    const r = rt.run({ data: frame(64) });
    expect(Number(r.r0 & 0xffffffffn)).toBe(5); // iterations: 0..4
    expect(Number(r.r0 >> 32n)).toBe(0 + 1 + 2 + 3 + 4);
  });
  it("clock, prandom and cpu id are deterministic", () => {
    const p = assemble(".section xdp\ncall bpf_ktime_get_ns\nr6 = r0\ncall bpf_ktime_get_ns\nr0 -= r6\nexit");
    expect(loadProgram(p, { clockStep: 250n }).run({ data: frame(64) }).r0).toBe(250n);
    const rnd = assemble(".section xdp\ncall bpf_get_prandom_u32\nexit");
    expect(loadProgram(rnd, { seed: 7 }).run({ data: frame(64) }).r0).toBe(loadProgram(rnd, { seed: 7 }).run({ data: frame(64) }).r0);
    expect(loadProgram(rnd, { seed: 7 }).run({ data: frame(64) }).r0).not.toBe(loadProgram(rnd, { seed: 8 }).run({ data: frame(64) }).r0);
    const id = loadProgram(assemble(".section xdp\ncall bpf_get_smp_processor_id\nexit"));
    expect(id.run({ data: frame(64), cpu: 3 }).retval).toBe(3);
  });
  it("ringbuf_output and perf_event_output records come back with the run", () => {
    const rt = loadProgram(assemble(`.section xdp
.map rb, type=ringbuf, key=0, value=0, max_entries=4096
.map ev, type=perf_event_array, key=4, value=4, max_entries=4
      r6 = r1
      *(u64 *)(r10 - 8) = 0x1234
      r1 = rb ll
      r2 = r10
      r2 += -8
      r3 = 8
      r4 = 0
      call bpf_ringbuf_output
      r1 = r6
      r2 = ev ll
      r3 = 0xffffffff ll
      r4 = r10
      r4 += -8
      r5 = 4
      call bpf_perf_event_output
      r0 = 2
      exit`));
    const r = rt.run({ data: frame(64), cpu: 2 });
    expect(r.ringbuf.map((x) => [...x.data])).toEqual([[0x34, 0x12, 0, 0, 0, 0, 0, 0]]);
    expect(r.perf.map((x) => [x.cpu, [...x.data]])).toEqual([[2, [0x34, 0x12, 0, 0]]]);
  });
  it("a perf_event_array declared without max_entries gets one slot per CPU, as libbpf creates it", () => {
    const rt = loadProgram(assemble(`.section xdp
.map ev, type=perf_event_array, key=4, value=4, max_entries=0
      r6 = r1
      *(u64 *)(r10 - 8) = 7
      r1 = r6
      r2 = ev ll
      r3 = 0xffffffff ll
      r4 = r10
      r4 += -8
      r5 = 4
      call bpf_perf_event_output
      exit`), { cpus: 4 });
    const r = rt.run({ data: frame(64), cpu: 3 });
    expect(r.retval).toBe(0);
    expect(r.perf.map((x) => x.cpu)).toEqual([3]);
  });
});
void R0; void R3;
