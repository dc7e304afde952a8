// Stepping (RuntimeProgram.debug): one instruction per step through the interpreter's own loop, the same
// result as run(), and the memory each instruction touches.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { loadObject } from "../../src/elf/index.js";
import { ProgArrayMap } from "../../src/maps/runtime/index.js";
import { buildPacket } from "../../src/packet/index.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";

const frame = (n = 64): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);
const xdp = (body: string) => loadProgram(assemble(`.section xdp\n${body}`));

describe("Stepper", () => {
  it("runs one instruction per step, with registers after each", () => {
    const rt = xdp("r0 = 7\nr0 += 3\nr0 *= 2\nexit");
    const s = rt.debug({ data: frame() });
    expect(s.next.pc).toBe(0);
    const r0s: bigint[] = [];
    const pcs: number[] = [];
    while (!s.done) { pcs.push(s.step().pc); r0s.push(s.registers()[0]!); }
    expect(pcs).toEqual([0, 1, 2, 3]);
    expect(r0s).toEqual([7n, 10n, 20n, 20n]);
    expect(s.result!.retval).toBe(20);
    expect(s.result!.insnCount).toBe(4);
  });

  it("follows taken and untaken jumps and lddw's two slots", () => {
    const rt = xdp("r1 = 0x100000000 ll\nr2 = 1\nif r2 == 1 goto yes\nr0 = 1\nexit\nyes:\nr0 = 2\nexit");
    const s = rt.debug({ data: frame() });
    const pcs: number[] = [];
    while (!s.done) pcs.push(s.step().pc);
    expect(pcs).toEqual([0, 2, 3, 6, 7]);
    expect(s.result!.retval).toBe(2);
  });

  it("reports packet reads and writes with their offsets, and the bytes that changed", () => {
    const rt = xdp(`r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r5 = *(u16 *)(r2 + 12)
*(u8 *)(r2 + 0) = 0xff
out:
r0 = 2
exit`);
    const s = rt.debug({ data: frame() });
    const steps = [];
    while (!s.done) steps.push(s.step());
    expect(steps[0]!.accesses).toEqual([expect.objectContaining({ region: "ctx", offset: 0, size: 4, write: false })]);
    const load = steps.find((x) => x.pc === 5)!;
    expect(load.accesses).toEqual([expect.objectContaining({ region: "packet", offset: 12, size: 2, write: false })]);
    const store = steps.find((x) => x.pc === 6)!;
    expect(store.accesses).toEqual([expect.objectContaining({ region: "packet", offset: 0, size: 1, write: true })]);
    expect(store.packetChanged).toEqual([0]);
    expect(steps.filter((x) => x.pc !== 6).every((x) => x.packetChanged.length === 0)).toBe(true);
    expect(s.result!.data[0]).toBe(0xff);
  });

  it("locates stack slots from r10 and shows the frame's bytes", () => {
    const rt = xdp("r1 = 0x1122334455667788 ll\n*(u64 *)(r10 - 8) = r1\nr0 = *(u8 *)(r10 - 8)\nexit");
    const s = rt.debug({ data: frame() });
    s.step();
    const st = s.step();
    expect(st.accesses).toEqual([expect.objectContaining({ region: "stack", offset: -8, frame: 0, write: true, size: 8 })]);
    expect(Array.from(s.stack().subarray(504))).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(s.locate(Number(s.registers()[10]))).toEqual({ region: "stack", offset: 0, frame: 0 });
    expect(s.locate(Number(s.registers()[10]) - 8)).toEqual({ region: "stack", offset: -8, frame: 0 });
    s.finishRun();
    expect(s.result!.retval).toBe(0x88);
  });

  it("enters and leaves bpf-to-bpf calls (depth) like run()", () => {
    const src = "r1 = 5\ncall fn\nr0 += 1\nexit\nfn:\nr0 = r1\nr0 *= 3\nexit";
    const s = xdp(src).debug({ data: frame() });
    const depths: number[] = [];
    while (!s.done) depths.push(s.step().depth);
    expect(depths).toEqual([0, 0, 1, 1, 1, 0, 0]);
    expect(s.result!.retval).toBe(xdp(src).run({ data: frame() }).retval);
    expect(s.result!.retval).toBe(16);
  });

  it("throws the run's fault with its pc", () => {
    const s = xdp("r2 = *(u32 *)(r1 + 0)\nr0 = *(u32 *)(r2 + 62)\nexit").debug({ data: frame() });
    s.step();
    let err: unknown;
    try { s.step(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BpfkitError);
    expect((err as BpfkitError).code).toBe("BK5006");
    expect((err as BpfkitError).diagnostics[0]!.pc).toBe(1);
  });

  it("follows a tail call into the other program", () => {
    const main = assemble(".section xdp\n.name entry\n.map jmp, type=prog_array, key=4, value=4, max_entries=4\nr2 = jmp ll\nr3 = 1\ncall bpf_tail_call\nr0 = 1\nexit");
    const target = assemble(".section xdp\n.name target\nr0 = 3\nexit");
    const rt = loadProgram(main, { others: [target] });
    (rt.maps.get("jmp") as ProgArrayMap).setProgram(1, "target");
    const s = rt.debug({ data: frame() });
    const where: string[] = [];
    while (!s.done) { const st = s.step(); where.push(`${st.program}:${st.pc}`); }
    expect(where).toEqual(["entry:0", "entry:2", "entry:3", "target:0", "target:1"]);
    expect(s.result!.action).toBe("XDP_TX");
  });

  it("gives the same result and map contents as run() on the DDoS blocklist example", () => {
    const obj = loadObject(new Uint8Array(readFileSync("bpf/xdp_ddos_blocklist.bpf.o")), { file: "xdp_ddos_blocklist.bpf.o" });
    const prog = obj.programs[0]!;
    const pkt = buildPacket({ ipv4: { src: "198.51.100.7", dst: "10.0.0.2" }, udp: { dstPort: 53 }, payload: "hi" });
    const key = Uint8Array.of(24, 0, 0, 0, 198, 51, 100, 0); // prefixlen 24, 198.51.100.0
    const results = [];
    for (const stepping of [false, true]) {
      const rt = loadProgram(prog);
      rt.maps.get("blocklist_v4")!.set(key, new Uint8Array(8));
      const r = stepping ? rt.debug({ data: pkt }).finishRun() : rt.run({ data: pkt });
      results.push({ action: r.action, data: Array.from(r.data), insns: r.insnCount, maps: [...rt.maps.values()].map((m) => m.entries().map((e) => [Array.from(e.key), e.value])) });
    }
    expect(results[0]!.action).toBe("XDP_DROP");
    expect(results[1]).toEqual(results[0]);
  });

  it("refuses to step past the end", () => {
    const s = xdp("r0 = 2\nexit").debug({ data: frame() });
    s.finishRun();
    expect(() => s.step()).toThrow(/ended/);
  });
});
