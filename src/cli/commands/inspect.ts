// `bpfkit inspect FILE.o [--json]`: what an ELF object holds — programs (name, section, type, size, source
// file), maps (type, sizes, flags, pinning) and what bpfkit cannot load from it — without loading anything.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { BpfkitError, diag, formatDiagnostic } from "../../diagnostics/index.js";
import { loadObject, type ElfObject } from "../../elf/index.js";
import { slotCount } from "../../isa/index.js";
import { progTypeName, resolveSection } from "../../progtypes/index.js";
import { action } from "../run-command.js";
import { progChoice, progOption } from "../prog-option.js";

interface InspectOptions { json?: boolean; type?: string; prog?: string; program?: string }

export function register(program: Command): void {
  progOption(program
    .command("inspect")
    .description("list the programs, maps and unsupported features of a BPF ELF object")
    .argument("<file>", "ELF object (clang -target bpf)"), "only this program of the object (and the maps it uses)")
    .option("--json", "print JSON instead of tables")
    .option("--type <section>", "program type (libbpf section name such as xdp) for sections bpfkit does not know")
    .action(action((file: string, opts: InspectOptions) => {
      const obj = loadObject(readFileSync(file), { file, allowUnsupported: true, ...(opts.type !== undefined ? { type: opts.type } : {}) });
      for (const w of obj.warnings) process.stderr.write(formatDiagnostic(w) + "\n");
      const s = only(summary(obj), file, progChoice(opts));
      process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + "\n" : render(s));
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
      return {
        name: p.name, section: p.section, type: resolved ? progTypeName(resolved.progType) ?? String(resolved.progType) : "unknown",
        insns: slotCount(p.insns), source: p.lines?.[0]?.file ?? null, maps: p.maps.map((m) => m.name),
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

/** The summary of one program (`--prog`): that program and the maps it uses. */
function only(s: ReturnType<typeof summary>, file: string, name: string | undefined): ReturnType<typeof summary> {
  if (name === undefined) return s;
  const p = s.programs.find((x) => x.name === name);
  if (!p) throw new BpfkitError(diag("BK3006", { name, file, names: s.programs.map((x) => x.name).join(", ") || "(none)" }, { file }), 2);
  return { ...s, programs: [p], maps: s.maps.filter((m) => p.maps.includes(m.name)) };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n") + "\n";
}

function render(s: ReturnType<typeof summary>): string {
  let out = `${s.file}: license ${JSON.stringify(s.license)}\n\nprograms (${s.programs.length}):\n`;
  if (s.programs.length) {
    out += table([["NAME", "SECTION", "TYPE", "INSNS", "SOURCE"], ...s.programs.map((p) => [p.name, p.section, p.type, String(p.insns), p.source ?? "-"])]);
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
