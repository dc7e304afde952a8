// `bpfkit disasm FILE [--syntax llvm|mnemonic] [--labels] [--offsets] [--bytes] [--json]`: print the
// programs of any program file (.s, .bin, .json/.jsonl bundle, .o) as text that assembles back to the
// same bytes. Several programs (an ELF object, a .jsonl) are printed one after the other, each headed
// by a comment naming it.
import type { Command } from "commander";
import { BpfkitError } from "../../diagnostics/index.js";
import { encode, SlotMap, toHex } from "../../isa/index.js";
import type { Program } from "../../program/index.js";
import { loadProgramFile, pickProgram } from "../../load/node.js";
import { disassemble } from "../../text/index.js";
import { action } from "../run-command.js";
import { typeChoice, typeOption } from "../type-option.js";
import { addTargetOptions, targetOptions } from "../target-options.js";

interface DisasmOptions {
  syntax?: string; labels?: boolean; offsets?: boolean; bytes?: boolean; json?: boolean; program?: string; type?: string[];
  helperNames?: boolean; source?: boolean; btf?: string; kconfig?: string;
}

export function register(program: Command): void {
  typeOption(addTargetOptions(program
    .command("disasm")
    .description("disassemble a BPF program (.s, .bin, .json/.jsonl bundle or .o) in LLVM or mnemonic syntax")
    .argument("<file>", "program file")), "program type for files that do not say it (.bin)")
    .option("--syntax <syntax>", "llvm (as llvm-objdump prints it) | mnemonic (the conformance suite's dialect)", "llvm")
    .option("--labels", "name jump and call targets instead of printing relative offsets")
    .option("--offsets", "prefix each instruction with its pc, like objdump")
    .option("--bytes", "show each instruction's bytes, like objdump")
    .option("--program <name>", "only this program of the file")
    .option("--no-helper-names", "print helper calls exactly as llvm-objdump does, without the helper's name")
    .option("--no-source", "do not interleave C source lines (ELF objects with BTF line info)")
    .option("--json", "print JSON: each program's instructions with pc, bytes, text and source line")
    .action(action(async (file: string, opts: DisasmOptions) => {
      if (opts.syntax !== "llvm" && opts.syntax !== "mnemonic") {
        return usageError(`--syntax must be llvm or mnemonic (got '${opts.syntax}')`, opts.json);
      }
      const syntax = opts.syntax;
      let programs: Program[];
      try {
        const choice = typeChoice(opts);
        const loaded = await loadProgramFile(file, { ...targetOptions(opts), ...(choice ? { type: choice } : {}) });
        // disassembly shows any program, usable or not (relocated as far as bpfkit could), whatever its type
        programs = opts.program !== undefined ? [pickProgram(loaded.programs, file, opts.program, { needType: false, allowUnsupported: true })] : loaded.programs;
      } catch (err) {
        if (opts.json && err instanceof BpfkitError) {
          process.stdout.write(JSON.stringify({ ok: false, diagnostics: err.diagnostics }, null, 2) + "\n");
          return err.exitCode;
        }
        throw err;
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ok: true, file, syntax, programs: programs.map((p) => asJson(p, syntax, !!opts.labels)) }, null, 2) + "\n");
        return 0;
      }
      const parts = programs.map((p) => {
        const text = disassemble(p, {
          syntax, labels: !!opts.labels, offsets: !!opts.offsets, bytes: !!opts.bytes,
          helperNames: opts.helperNames !== false,
          // Source lines are C from BTF line info; an asm file's own lines would only repeat the text.
          source: opts.source !== false && p.origin?.kind === "elf",
        });
        const named = kfuncNames(p, text);
        return programs.length > 1 ? `# program ${p.name} (${p.section || "no section"})\n${named}` : named;
      });
      process.stdout.write(parts.join("\n"));
      return 0;
    }));
}

/** `call kfunc(64914)` gets the kfunc's name from the target BTF the program was relocated against, as helper calls do. */
function kfuncNames(p: Program, text: string): string {
  if (!p.targetBtfSource || !text.includes("kfunc(")) return text;
  const btf = p.targetBtf;
  if (!btf) return text;
  return text.replace(/^(\s*call kfunc\((\d+)\))$/gm, (line, _call: string, id: string) => {
    const n = Number(id);
    return n > 0 && n < btf.count && btf.type(n).name ? `${line}\t# ${btf.type(n).name}` : line;
  });
}

/** One program for machines: its header facts and, per instruction, pc, bytes, text and source line. */
function asJson(p: Program, syntax: "llvm" | "mnemonic", labels: boolean) {
  const slots = new SlotMap(p.insns);
  // Disassemble the whole program once (so labels are consistent), then split it per instruction.
  const lines = disassemble(p, { syntax, labels, directives: false }).split("\n").filter((l) => l !== "");
  const texts: string[] = [];
  const labelOf: (string | undefined)[] = [];
  let pending: string | undefined;
  for (const l of lines) {
    if (!l.startsWith("\t") && l.endsWith(":") && labels) { pending = l.slice(0, -1); continue; }
    texts.push(l.replace(/^\t/, ""));
    labelOf.push(pending);
    pending = undefined;
  }
  const lineAt = new Map((p.lines ?? []).map((l) => [l.pc, l]));
  return {
    name: p.name, section: p.section, license: p.license,
    maps: p.maps.map((m) => ({ name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, flags: m.flags })),
    insns: p.insns.map((insn, index) => {
      const pc = slots.slotOf[index]!;
      const src = lineAt.get(pc);
      let bytes: string | null = null;
      try { bytes = toHex(encode([{ ...insn, ref: undefined } as typeof insn].map(({ ref: _r, label: _l, ...rest }) => rest))); } catch { bytes = null; }
      return {
        pc, bytes, text: texts[index] ?? "",
        ...(labelOf[index] !== undefined ? { label: labelOf[index] } : {}),
        ...(src ? { source: { file: src.file, line: src.line, col: src.col } } : {}),
      };
    }),
  };
}

function usageError(message: string, json: boolean | undefined): number {
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: message }) + "\n");
  else process.stderr.write(`bpfkit disasm: ${message}\n`);
  return 2;
}
