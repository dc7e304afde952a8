// ALU and jump semantics against an independent BigInt model of RFC 9669 (plus the kernel's rules for
// division by zero and INT_MIN / -1), over random and edge-case operands.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aluImm, aluReg, exit, jmpImm, jmpReg, lddw, make, mov64Imm, R0, R1, R2, type Instruction } from "../../src/isa/index.js";
import { ConformanceRunner } from "../../src/runtime/conformance.js";
import { fuzzRuns } from "../support/fuzz-runs.js";

const M64 = (1n << 64n) - 1n;
const u = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
const s = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);

/** Reference result of `dst op= src` for a width. */
function model(op: string, a: bigint, b: bigint, bits: 32 | 64): bigint {
  const x = u(a, bits), y = u(b, bits);
  const sh = y & BigInt(bits - 1);
  switch (op) {
    case "add": return u(x + y, bits);
    case "sub": return u(x - y, bits);
    case "mul": return u(x * y, bits);
    case "div": return y === 0n ? 0n : x / y;
    case "sdiv": return y === 0n ? 0n : u(s(x, bits) / s(y, bits), bits);
    case "mod": return y === 0n ? x : x % y;
    case "smod": return y === 0n ? x : u(s(x, bits) % s(y, bits), bits);
    case "or": return x | y;
    case "and": return x & y;
    case "xor": return x ^ y;
    case "lsh": return u(x << sh, bits);
    case "rsh": return x >> sh;
    case "arsh": return u(s(x, bits) >> sh, bits);
    case "mov": return y;
    default: throw new Error(op);
  }
}

const EDGE = [0n, 1n, M64, 1n << 63n, (1n << 63n) - 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0xffffffff80000000n, 63n, 64n, 32n, 31n];
const operand = fc.oneof(fc.constantFrom(...EDGE), fc.bigInt({ min: 0n, max: M64 }));
const imm = fc.oneof(fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 63), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const OPS = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"];

describe("ALU semantics", () => {
  const runner = new ConformanceRunner("checked");
  const run = (insns: Instruction[]): bigint => runner.execute(insns, new Uint8Array(0));
  for (const bits of [64, 32] as const) {
    it(`register operands, ${bits}-bit`, () => {
      fc.assert(fc.property(fc.constantFrom(...OPS), operand, operand, (op, a, b) => {
        const got = run([lddw(R0, a), lddw(R1, b), aluReg(op, R0, R1, bits === 32), exit()]);
        expect(got).toBe(model(op, a, b, bits));
      }), { numRuns: fuzzRuns(400) });
    });
    it(`immediate operands, ${bits}-bit`, () => {
      fc.assert(fc.property(fc.constantFrom(...OPS), operand, imm, (op, a, k) => {
        // 64-bit ops sign-extend the immediate; 32-bit ops use its low 32 bits.
        const b = bits === 64 ? u(BigInt(k), 64) : u(BigInt(k), 32);
        const got = run([lddw(R0, a), aluImm(op, R0, k, bits === 32), exit()]);
        expect(got).toBe(model(op, a, b, bits));
      }), { numRuns: fuzzRuns(400) });
    });
  }
  it("neg, movsx and byte swaps", () => {
    fc.assert(fc.property(operand, (a) => {
      expect(run([lddw(R0, a), make("neg", { dst: R0 }), exit()])).toBe(u(-a, 64));
      expect(run([lddw(R0, a), make("neg32", { dst: R0 }), exit()])).toBe(u(-a, 32));
      expect(run([lddw(R1, a), make("movsx864", { dst: R0, src: R1 }), exit()])).toBe(u(s(a, 8), 64));
      expect(run([lddw(R1, a), make("movsx3264", { dst: R0, src: R1 }), exit()])).toBe(u(s(a, 32), 64));
      expect(run([lddw(R1, a), make("movsx1632", { dst: R0, src: R1 }), exit()])).toBe(u(s(a, 16), 32));
      const bytes = (v: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => (v >> BigInt(8 * i)) & 0xffn);
      const swap = (v: bigint, n: number): bigint => bytes(v, n).reduce((acc, b) => (acc << 8n) | b, 0n);
      expect(run([lddw(R0, a), make("be16", { dst: R0 }), exit()])).toBe(swap(a, 2));
      expect(run([lddw(R0, a), make("be32", { dst: R0 }), exit()])).toBe(swap(a, 4));
      expect(run([lddw(R0, a), make("bswap64", { dst: R0 }), exit()])).toBe(swap(a, 8));
      expect(run([lddw(R0, a), make("le16", { dst: R0 }), exit()])).toBe(a & 0xffffn);
      expect(run([lddw(R0, a), make("le32", { dst: R0 }), exit()])).toBe(a & 0xffffffffn);
    }), { numRuns: fuzzRuns(200) });
  });
  it("INT_MIN / -1 and INT_MIN % -1 do not trap", () => {
    expect(run([lddw(R0, 1n << 63n), lddw(R1, M64), aluReg("sdiv", R0, R1), exit()])).toBe(1n << 63n);
    expect(run([lddw(R0, 1n << 63n), lddw(R1, M64), aluReg("smod", R0, R1), exit()])).toBe(0n);
    expect(run([mov64Imm(R0, 0), lddw(R0, 0x80000000n), aluImm("sdiv", R0, -1, true), exit()])).toBe(0x80000000n);
  });
});

const JOPS: [string, (a: bigint, b: bigint, bits: number) => boolean][] = [
  ["jeq", (a, b) => a === b], ["jne", (a, b) => a !== b], ["jgt", (a, b) => a > b], ["jge", (a, b) => a >= b],
  ["jlt", (a, b) => a < b], ["jle", (a, b) => a <= b], ["jset", (a, b) => (a & b) !== 0n],
  ["jsgt", (a, b, n) => s(a, n) > s(b, n)], ["jsge", (a, b, n) => s(a, n) >= s(b, n)],
  ["jslt", (a, b, n) => s(a, n) < s(b, n)], ["jsle", (a, b, n) => s(a, n) <= s(b, n)],
];

describe("jump semantics", () => {
  const runner = new ConformanceRunner("fast");
  const taken = (j: Instruction, setup: Instruction[]): bigint =>
    runner.execute([...setup, mov64Imm(R0, 0), j, exit(), mov64Imm(R0, 1), exit()], new Uint8Array(0));
  for (const bits of [64, 32] as const) {
    it(`conditions on registers and immediates, ${bits}-bit`, () => {
      fc.assert(fc.property(fc.constantFrom(...JOPS), operand, operand, imm, ([op, pred], a, b, k) => {
        const is32 = bits === 32;
        const reg = taken(jmpReg(op, R1, R2, 1, is32), [lddw(R1, a), lddw(R2, b)]);
        expect(reg).toBe(pred(u(a, bits), u(b, bits), bits) ? 1n : 0n);
        const kb = is32 ? u(BigInt(k), 32) : u(BigInt(k), 64);
        const immRes = taken(jmpImm(op, R1, k, 1, is32), [lddw(R1, a)]);
        expect(immRes).toBe(pred(u(a, bits), kb, bits) ? 1n : 0n);
      }), { numRuns: fuzzRuns(300) });
    });
  }
});
