// Bad programs and bad input: each one a BpfkitError with a code, a pc and a message saying what is
// wrong; the runtime stays usable afterwards.
import { describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { call, exit, insn, ja, lddw, load, make, mov64Imm, R0, R1, R2, R10, storeImm, type Instruction } from "../../src/isa/index.js";
import { ConformanceRunner } from "../../src/runtime/conformance.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { assemble } from "../../src/text/assembler.js";

function error(fn: () => unknown): BpfkitError {
  try { fn(); } catch (e) { if (e instanceof BpfkitError) return e; throw e; }
  throw new Error("expected a BpfkitError");
}

describe("checked mode", () => {
  const xdp = (body: string) => loadProgram(assemble(`.section xdp\n${body}`));
  it("names pc, size, region and offset for a read past data_end", () => {
    const rt = xdp("r2 = *(u32 *)(r1 + 0)\nr0 = *(u32 *)(r2 + 62)\nexit");
    const e = error(() => rt.run({ data: new Uint8Array(64) }));
    expect(e.code).toBe("BK5006");
    expect(e.diagnostics[0]!.pc).toBe(1);
    expect(e.diagnostics[0]!.message).toBe("4-byte read at packet+62 is past data_end (packet is 64 bytes)");
    // The same runtime keeps working with a long enough packet.
    const ok = rt.run({ data: new Uint8Array(66).fill(7) });
    expect(ok.retval).toBe(0x07070707);
  });
  it("reports a NULL dereference", () => {
    const rt = xdp("r1 = 0\nr0 = *(u64 *)(r1 + 8)\nexit");
    const e = error(() => rt.run({ data: new Uint8Array(64) }));
    expect(e.diagnostics[0]!.message).toMatch(/8-byte read at address 0x8 \(NULL pointer dereference\)/);
    expect(e.diagnostics[0]!.pc).toBe(1);
  });
  it("refuses writes to a read-only packet and out-of-stack writes", () => {
    const sock = loadProgram(assemble(".section socket\n*(u64 *)(r10 + 0) = 1\nr0 = 0\nexit"));
    const e = error(() => sock.run({ data: new Uint8Array(64) }));
    expect(e.code).toBe("BK5006");
    expect(e.diagnostics[0]!.message).toMatch(/^8-byte write at stack r10\+0 \(frame 0\) is above the top of the stack/);
    const cg = loadProgram(assemble(".section cgroup_skb/ingress\nr2 = *(u32 *)(r1 + 76)\n*(u8 *)(r2 + 0) = 1\nr0 = 1\nexit"));
    const w = error(() => cg.run({ data: new Uint8Array(64) }));
    expect(w.diagnostics[0]!.message).toBe("1-byte write at packet+0 is not allowed: packet is read-only");
    expect(w.diagnostics[0]!.pc).toBe(1);
  });
  it("checks context accesses field by field with the program type's rules", () => {
    const ro = loadProgram(assemble(".section xdp\nr2 = 5\n*(u32 *)(r1 + 0) = r2\nr0 = 2\nexit"));
    const e = error(() => ro.run({ data: new Uint8Array(64) }));
    expect(e.diagnostics[0]!.message).toBe("4-byte write at ctx+0 is not allowed: xdp_md.data is read-only");
    expect(e.diagnostics[0]!.pc).toBe(1);
    const hidden = loadProgram(assemble(".section xdp\nr0 = *(u32 *)(r1 + 20)\nexit")); // egress_ifindex: devmap programs only
    expect(error(() => hidden.run({ data: new Uint8Array(64) })).diagnostics[0]!.message).toBe("4-byte read at ctx+20 is not inside a field of xdp_md this program type may access");
    const cb = loadProgram(assemble(".section tc\nr2 = 1\n*(u64 *)(r1 + 48) = r2\nr0 = *(u64 *)(r1 + 52)\nexit"));
    expect(cb.run({ data: new Uint8Array(64) }).retval).toBe(0); // 8-byte accesses across cb[] elements are fine
  });
  it("fast mode still stops a wild access (Wasm bounds) with a clear error", () => {
    const r = new ConformanceRunner("fast");
    const e = error(() => r.execute([lddw(R1, 0x80000000n), load(8, R0, R1, 0x20), exit()], new Uint8Array(0)));
    expect(e.code).toBe("BK5009");
  });
});

describe("runaway and malformed programs", () => {
  const r = new ConformanceRunner("checked", 10_000);
  it("stops an endless loop at the budget with pc and count", () => {
    const e = error(() => r.execute([mov64Imm(R0, 0), ja(-1)], new Uint8Array(0)));
    expect(e.code).toBe("BK5005");
    expect(e.message).toMatch(/10000 instructions executed \(budget 10000\)/);
    expect(e.diagnostics[0]!.pc).toBe(1);
  });
  it("stops unbounded recursion at 8 frames", () => {
    const e = error(() => r.execute([make("call local", { imm: -1 }), exit()], new Uint8Array(0)));
    expect(e.code).toBe("BK5007");
  });
  it("rejects a jump out of the program and into an lddw at load time", () => {
    expect(error(() => r.execute([ja(5), exit()], new Uint8Array(0))).code).toBe("BK5002");
    expect(error(() => r.execute([ja(1), lddw(R0, 1n), exit()], new Uint8Array(0))).code).toBe("BK5003");
  });
  it("reports a program that runs off its end", () => {
    const e = error(() => r.execute([mov64Imm(R0, 1)], new Uint8Array(0)));
    expect(e.message).toMatch(/ran past its last instruction/);
  });
  it("rejects helpers the program type may not call, and unknown ones", () => {
    const e = error(() => loadProgram(assemble(".section socket\ncall bpf_xdp_adjust_head\nexit")));
    expect(e.code).toBe("BK5011");
    expect(e.diagnostics[0]!.pc).toBe(0);
    const p = assemble(".section xdp\nr0 = 0\nexit");
    p.insns.unshift(call(9999) as Instruction);
    expect(error(() => loadProgram(p)).code).toBe("BK5010");
  });
  it("rejects an unknown program type and bad input sizes", () => {
    expect(error(() => loadProgram(assemble("r0 = 0\nexit"), { type: "nonsense" })).code).toBe("BK5012");
    const rt = loadProgram(assemble(".section xdp\nr0 = 2\nexit"));
    expect(error(() => rt.run({ data: new Uint8Array(5) })).code).toBe("BK5013");
    expect(error(() => rt.run({ data: new Uint8Array(4000) })).code).toBe("BK5013");
    expect(rt.run({ data: new Uint8Array(20) }).retval).toBe(2);
  });
  it("stores and loads of every width round-trip on the stack, sign-extending loads extend", () => {
    const prog = [storeImm(8, R10, -8, -2), load(1, R0, R10, -8), exit()];
    expect(r.execute(prog, new Uint8Array(0))).toBe(0xfen);
    expect(r.execute([storeImm(8, R10, -8, -2), make("ldxsb", { dst: R0, src: R10, off: -8 }), exit()], new Uint8Array(0))).toBe(BigInt.asUintN(64, -2n));
    expect(r.execute([storeImm(4, R10, -8, 0x8000), make("ldxsh", { dst: R0, src: R10, off: -8 }), exit()], new Uint8Array(0))).toBe(0xffffffffffff8000n);
    expect(r.execute([insn(0x62, R10, 0, -4, -1), make("ldxsw", { dst: R0, src: R10, off: -4 }), exit()], new Uint8Array(0))).toBe(BigInt.asUintN(64, -1n));
    expect(r.execute([mov64Imm(R2, 3), insn(0x62, R10, 0, -4, 5), exit()].slice(0, 2).concat([load(4, R0, R10, -4), exit()]), new Uint8Array(0))).toBe(5n);
    void R1;
  });
});
