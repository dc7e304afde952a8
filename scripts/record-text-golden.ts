// Records what LLVM 19 does with every instruction form, so test/text/golden.test.ts can check our
// assembler and disassembler against LLVM without needing LLVM installed.
//
//   npx tsx scripts/record-text-golden.ts      (needs llvm-mc-19 and llvm-objdump-19)
//
// Cases come from the ISA table (every form of src/isa/table.ts, with varied registers, offsets and
// immediates including edge values), never from our own assembler:
//   1. bytes -> text: each encoding is emitted with `.byte`, assembled into an object by llvm-mc and
//      disassembled by `llvm-objdump -d --mcpu=v4`; the text is recorded per encoding.
//   2. text -> bytes: every recorded text, plus hand-written spellings (decimal, no spaces, ...), is
//      assembled by `llvm-mc --show-encoding`; the encoding (or the rejection) is recorded.
// Output: test/fixtures/text/golden-llvm.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode, FORMS, type Instruction, insn, type InstructionForm, toHex, wide } from "../src/isa/index.js";

const MC = process.env.LLVM_MC ?? "llvm-mc-19";
const OBJDUMP = process.env.LLVM_OBJDUMP ?? "llvm-objdump-19";
const OUT = new URL("../test/fixtures/text/golden-llvm.json", import.meta.url);

const REGS = [0, 1, 9, 10, 5, 3];
const SRCS = [2, 10, 0, 7, 1, 9];
const OFFS = [0, 1, -1, 0x7fff, -0x8000, -8];
const IMMS = [0, 1, -1, 0x7fffffff, -0x80000000, 255];
const IMM64 = [0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x1122334455667788n, 0xffffffffn];

/** Several encodings of one form with operands cycling through the edge values. */
function casesOf(f: InstructionForm): Instruction[] {
  const out: Instruction[] = [];
  for (let k = 0; k < 6; k++) {
    const dst = f.uses.dst ? REGS[k]! : 0;
    const src = f.fixed.src ?? (f.uses.src ? SRCS[k]! : 0);
    const off = f.fixed.off ?? (f.uses.off ? OFFS[k]! : 0);
    const imm = f.fixed.imm ?? (f.uses.imm ? IMMS[k]! : 0);
    if (f.kind === "lddw") {
      // Pseudo sources usually carry a small index; give them both small and 64-bit values.
      out.push(wide(dst, f.fixed.src ? [0n, 1n, 3n, 0x100000002n, 0xffffffffn, 7n][k]! : IMM64[k]!, f.fixed.src ?? 0));
    } else {
      out.push(insn(f.opcode, dst, src, off, imm));
    }
    if (!f.uses.dst && !f.uses.src && !f.uses.off && !f.uses.imm) break; // exit: one case is all there is
  }
  return out;
}

/** Spellings a person would write, not the ones objdump prints. */
const HAND_WRITTEN = [
  "r0 = 1", "w1 += 5", "r1 -= -7", "w2 = 4294967295", "r3 = -2147483648", "r1 s/= r2", "w1 s%= 3", "r1 s>>= 63",
  "if r1 > r2 goto +3", "if w1 s<= -1 goto -2", "if r1 & 0x10 goto +0", "goto +7", "gotol +5", "gotol -100000", "may_goto +3",
  "*(u32 *)(r10 - 4) = r1", "*(u8 *)(r10 - 1) = 5", "*(u64 *)(r1 + 0) = -1", "*(u16 *)(r2 + 32767) = w3",
  "r0 = *(s8 *)(r1 + 2)", "r0 = *(u64 *)(r10 - 8)", "w0 = *(u16 *)(r1 + 0)", "r0 = *(s32 *)(r1 - 32768)",
  "r1 = (s16)r2", "w1 = (s8)w2", "r1 = (s32)r1", "r1 = be16 r1", "r1 = le32 r1", "r1 = bswap64 r1", "r1 = -r1", "w3 = -w3",
  "lock *(u64 *)(r1 + 0) += r2", "lock *(u32 *)(r1 + 4) |= w2", "lock *(u64 *)(r1 - 8) ^= r3",
  "r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)", "w2 = atomic_fetch_and((u32 *)(r1 + 8), w2)",
  "r0 = cmpxchg_64(r1 + 8, r0, r2)", "w0 = cmpxchg32_32(r1 + 8, w0, w2)", "r2 = xchg_64(r1 + 8, r2)", "w2 = xchg32_32(r1 - 4, w2)",
  "r1 = addr_space_cast(r2, 0, 1)", "r1 = addr_space_cast(r1, 1, 0)", "call 1", "call 0x7fffffff", "callx r1", "exit",
  "r0 = 0x1122334455667788 ll", "r0 = -1 ll", "r9 = 0 ll", "r0 = *(u8 *)skb[10]", "r0 = *(u16 *)skb[-1]", "r0 = *(u32 *)skb[r1]",
  "ld_pseudo r1, 1, 3", "ld_pseudo r2, 2, 0", "ld_pseudo r1, 4, 5", "r0 = *(u64 *)(r1 + -8)", "r1 = 0xffffffff", "r0 = r10",
];

function run(cmd: string, args: string[], input?: string): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 26 });
    return { stdout, stderr: "" };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: string };
    if (e.code === "ENOENT") throw new Error(`${cmd} is not installed (set LLVM_MC / LLVM_OBJDUMP)`);
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-golden-"));
  const cases: { form: string; bytes: string }[] = [];
  for (const f of FORMS) for (const i of casesOf(f)) cases.push({ form: f.name, bytes: toHex(encode([i])) });
  const seen = new Set<string>();
  const unique = cases.filter((c) => (seen.has(c.bytes) ? false : (seen.add(c.bytes), true)));

  // 1. bytes -> objdump text. Each case sits at a known slot of .text.
  const src = ["\t.text", ...unique.map((c) => `\t.byte ${c.bytes.match(/../g)!.map((b) => "0x" + b).join(",")}`)].join("\n") + "\n";
  writeFileSync(join(dir, "bytes.s"), src);
  run(MC, ["-triple", "bpfel", "-mcpu=v4", "-filetype=obj", join(dir, "bytes.s"), "-o", join(dir, "bytes.o")]);
  const dump = run(OBJDUMP, ["-d", "--mcpu=v4", "--no-show-raw-insn", join(dir, "bytes.o")]).stdout;
  const textAt = new Map<number, string>();
  for (const line of dump.split("\n")) {
    const m = /^\s*(\d+):\t(.*)$/.exec(line);
    if (m) textAt.set(Number(m[1]), m[2]!.replace(/ <[^<>]*>$/, "").trimEnd());
  }
  let slot = 0;
  const disasm = unique.map((c) => {
    const text = textAt.get(slot);
    if (text === undefined) throw new Error(`objdump printed nothing at slot ${slot} (${c.form} ${c.bytes})`);
    slot += c.bytes.length / 16;
    return { form: c.form, bytes: c.bytes, objdump: text };
  });

  // 2. text -> bytes with llvm-mc, one line per statement; rejected lines are reported on stderr by line.
  const texts = [...new Set([...disasm.map((d) => d.objdump).filter((t) => t !== "<unknown>"), ...HAND_WRITTEN])];
  writeFileSync(join(dir, "text.s"), texts.join("\n") + "\n");
  const mc = run(MC, ["-triple", "bpfel", "-mcpu=v4", "--show-encoding", join(dir, "text.s")]);
  const rejected = new Set<number>();
  for (const m of mc.stderr.matchAll(/text\.s:(\d+):\d+: error/g)) rejected.add(Number(m[1]) - 1);
  const encodings = [...mc.stdout.matchAll(/# encoding: \[([^\]]*)\]/g)].map((m) => m[1]!.split(",").map((b) => Number(b.trim()).toString(16).padStart(2, "0")).join(""));
  const asm: { text: string; bytes: string }[] = [];
  const llvmRejects: string[] = [];
  let k = 0;
  texts.forEach((t, index) => {
    if (rejected.has(index)) { llvmRejects.push(t); return; }
    asm.push({ text: t, bytes: encodings[k++]! });
  });
  if (k !== encodings.length) throw new Error(`llvm-mc printed ${encodings.length} encodings for ${k} accepted lines`);

  const version = run(MC, ["--version"]).stdout.split("\n").find((l) => /LLVM version/.test(l))?.trim() ?? "unknown";
  const fixture = {
    comment: "Generated by scripts/record-text-golden.ts from the ISA table; do not edit by hand.",
    llvm: version,
    objdump: `${OBJDUMP} -d --mcpu=v4 --no-show-raw-insn (symbol suffixes '<...>' removed)`,
    mc: `${MC} -triple bpfel -mcpu=v4 --show-encoding`,
    disasm, asm, llvmRejects,
  };
  writeFileSync(OUT, JSON.stringify(fixture, null, 1) + "\n");
  console.log(`recorded ${disasm.length} encodings, ${asm.length} assembled texts, ${llvmRejects.length} rejected by llvm-mc -> ${OUT.pathname}`);
}

main();
