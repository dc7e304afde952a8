// `bpfkit inspect FILE.o [--json]`: what an ELF object holds — programs (name, section, type, size, source
// file), maps (type, sizes, flags, pinning) and what bpfkit cannot load from it — without loading anything.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { formatDiagnostic } from "../../diagnostics/index.js";
import { loadObject, type ElfObject } from "../../elf/index.js";
import { slotCount } from "../../isa/index.js";
import { progTypeId, progTypeName, resolveSection } from "../../progtypes/index.js";
import { action } from "../run-command.js";
import { typeChoice, typeOption } from "../type-option.js";

interface InspectOptions { json?: boolean; type?: string[] }

export function register(program: Command): void {
  typeOption(program
    .command("inspect")
    .description("list the programs, maps and unsupported features of a BPF ELF object")
    .argument("<file>", "ELF object (clang -target bpf)")
    .option("--json", "print JSON instead of tables"))
    .action(action((file: string, opts: InspectOptions) => {
      const choice = typeChoice(opts);
      const obj = loadObject(readFileSync(file), { file, allowUnsupported: true, ...(choice ? { type: choice } : {}) });
      for (const w of obj.warnings) process.stderr.write(formatDiagnostic(w) + "\n");
      process.stdout.write(opts.json ? JSON.stringify(summary(obj), null, 2) + "\n" : render(summary(obj)));
      return 0;
    }));
}

/** The facts `inspect` shows, as plain data (also the --json output). */
export function summary(obj: ElfObject) {
  return {
    file: obj.file,
    license: obj.license,
    programs: obj.programs.map((p) => {
      const resolved = resolveSection(p.section);
      const id = resolved?.progType ?? progTypeId(p.section);
      return {
        name: p.name, section: p.section, type: id !== undefined ? progTypeName(id) ?? String(id) : "unknown",
        insns: slotCount(p.insns), source: p.lines?.[0]?.file ?? null, maps: p.maps.map((m) => m.name),
        ...(p.autoload === false ? { autoload: false } : {}), ...(p.sectionAsWritten !== undefined ? { sectionAsWritten: p.sectionAsWritten } : {}),
        ...(p.sectionHint !== undefined ? { hint: p.sectionHint } : {}),
      };
    }),
    maps: obj.maps.map((m) => ({
      name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags,
      pinning: m.pinning ?? "none", ...(m.inner ? { inner: m.inner.type } : {}), ...(m.initialSlots ? { initialSlots: m.initialSlots } : {}),
      ...(m.readOnly ? { readOnly: true } : {}),
    })),
    unsupported: obj.unsupported,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n") + "\n";
}

function render(s: ReturnType<typeof summary>): string {
  let out = `${s.file}: license ${JSON.stringify(s.license)}\n\nprograms (${s.programs.length}):\n`;
  if (s.programs.length) {
    // the section as written, `?` included; a type chosen with --type follows it
    const section = (p: (typeof s.programs)[number]): string =>
      (p.autoload === false ? "?" : "") + (p.sectionAsWritten !== undefined ? `${p.sectionAsWritten} (--type ${p.section})` : p.section);
    out += table([["NAME", "SECTION", "TYPE", "INSNS", "SOURCE"], ...s.programs.map((p) => [p.name, section(p), p.type, String(p.insns), p.source ?? "-"])]);
    const notes = s.programs.flatMap((p) => [
      ...(p.autoload === false ? [`  ${p.name}: not loaded by default (SEC("?${p.sectionAsWritten ?? p.section}")); name it with --prog to use it\n`] : []),
      ...(p.hint !== undefined ? [`  ${p.name}: unknown section '${p.section}': ${p.hint}\n`] : []),
    ]);
    if (notes.length) out += "\n" + notes.join("");
  }
  out += `\nmaps (${s.maps.length}):\n`;
  if (s.maps.length) {
    out += table([["NAME", "TYPE", "KEY", "VALUE", "MAX_ENTRIES", "FLAGS", "PINNING"], ...s.maps.map((m) => [
      m.name, m.type + (m.inner ? ` of ${m.inner}` : ""), String(m.keySize), String(m.valueSize), String(m.maxEntries), `0x${m.flags.toString(16)}`, m.pinning,
    ])]);
  }
  if (s.unsupported.length) out += `\nunsupported (${s.unsupported.length}):\n` + s.unsupported.map((u) => `  ${u}\n`).join("");
  return out;
}
