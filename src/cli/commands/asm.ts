// `bpfkit asm FILE [-o OUT] [--format bin|hex|json|elf] [--syntax llvm|mnemonic|auto]`: assemble a text
// program into raw bytecode, hex text, a JSON bundle or an ELF object (chosen by --format, else by OUT's
// extension: .o -> elf, .json -> json, .hex/.txt -> hex, anything else -> bin; hex on stdout without -o).
import type { Command } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { BpfkitError, type Diagnostic } from "../../diagnostics/index.js";
import { encode, slotCount, toHex } from "../../isa/index.js";
import { programToBundle, type Program } from "../../program/index.js";
import { action } from "../run-command.js";

type Format = "bin" | "hex" | "json" | "elf";
const FORMATS: readonly Format[] = ["bin", "hex", "json", "elf"];
const SYNTAXES = ["llvm", "mnemonic", "auto"] as const;

interface AsmOptions { output?: string; format?: string; syntax?: string; type?: string; json?: boolean }

export function register(program: Command): void {
  program
    .command("asm")
    .description("assemble a BPF program (LLVM or mnemonic syntax) into bytecode, hex, a JSON bundle or an ELF object")
    .argument("<file>", "assembly source (.s); see docs/asm-syntax.md")
    .option("-o, --output <file>", "where to write (default: hex on stdout)")
    .option("--format <format>", "bin | hex | json | elf (default: from the output's extension)")
    .option("--syntax <syntax>", "llvm | mnemonic | auto", "auto")
    .option("--type <section>", "program type (libbpf section name such as xdp), overriding .section")
    .option("--json", "print the result (or the diagnostics) as JSON on stdout")
    .action(action(async (file: string, opts: AsmOptions) => {
      const usage = checkUsage(opts);
      if (usage) return usageError(usage, opts.json);
      let source: string;
      try {
        source = await readFile(file, "utf8");
      } catch (err) {
        return usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, opts.json);
      }
      let prog: Program;
      const { assemble } = await import("../../text/index.js"); // loaded by the command that uses it (start-up time)
      try {
        prog = assemble(source, { file, syntax: (opts.syntax ?? "auto") as (typeof SYNTAXES)[number] });
      } catch (err) {
        if (opts.json && err instanceof BpfkitError) return printJsonError(err.diagnostics, err.exitCode);
        throw err;
      }
      if (opts.type !== undefined) prog.section = opts.type;
      const format = (opts.format as Format | undefined) ?? formatFromName(opts.output);
      const output = await render(prog, format);
      if (opts.output !== undefined) await writeFile(opts.output, output);
      else if (!opts.json) process.stdout.write(output);
      if (opts.json) {
        process.stdout.write(JSON.stringify({
          ok: true, file, output: opts.output ?? null, format, slots: slotCount(prog.insns), section: prog.section,
          bundle: programToBundle(prog),
        }, null, 2) + "\n");
      }
      return 0;
    }));
}

function checkUsage(opts: AsmOptions): string | undefined {
  if (opts.format !== undefined && !FORMATS.includes(opts.format as Format)) return `--format must be one of ${FORMATS.join(", ")} (got '${opts.format}')`;
  if (opts.syntax !== undefined && !(SYNTAXES as readonly string[]).includes(opts.syntax)) return `--syntax must be one of ${SYNTAXES.join(", ")} (got '${opts.syntax}')`;
  if (opts.format === "bin" && opts.output === undefined && process.stdout.isTTY) return "refusing to write binary to a terminal: use -o FILE or --format hex";
  return undefined;
}

function formatFromName(output: string | undefined): Format {
  if (output === undefined) return "hex";
  const lower = output.toLowerCase();
  if (lower.endsWith(".o")) return "elf";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".hex") || lower.endsWith(".txt")) return "hex";
  return "bin";
}

async function render(prog: Program, format: Format): Promise<Uint8Array | string> {
  switch (format) {
    case "bin": return encode(prog.insns);
    case "hex": return toHex(encode(prog.insns)) + "\n";
    case "json": return JSON.stringify(programToBundle(prog)) + "\n";
    case "elf": {
      const { writeObject } = await import("../../elf/index.js");
      return writeObject([prog]);
    }
  }
}

function usageError(message: string, json: boolean | undefined): number {
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: message }) + "\n");
  else process.stderr.write(`bpfkit asm: ${message}\n`);
  return 2;
}

function printJsonError(diagnostics: Diagnostic[], exitCode: number): number {
  process.stdout.write(JSON.stringify({ ok: false, diagnostics }, null, 2) + "\n");
  return exitCode;
}
