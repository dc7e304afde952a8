// `bpfkit inspect FILE.o [--json] [--btf FILE] [--kconfig FILE]`: what an ELF object holds — programs
// (name, section, type, size, source file, whether bpfkit can use it and why not), maps, each program's
// CO-RE relocations (kind, local type and access string, the value patched in or why the instruction was
// poisoned), its externs and how they resolved, and the target kernel they were resolved against.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { BpfkitError, diag, formatDiagnostic } from "../../diagnostics/index.js";
import { loadObject, type ElfObject } from "../../elf/index.js";
import { slotCount } from "../../isa/index.js";
import { resolveTarget } from "../../load/target-node.js";
import { progTypeId, progTypeName, resolveSection } from "../../progtypes/index.js";
import { action } from "../run-command.js";
import { progChoice, progOption } from "../prog-option.js";
import { typeChoice, typeOption } from "../type-option.js";
import { addTargetOptions, targetOptions } from "../target-options.js";

interface InspectOptions { json?: boolean; type?: string[]; btf?: string; kconfig?: string; prog?: string; program?: string }

export function register(program: Command): void {
  typeOption(addTargetOptions(progOption(program
    .command("inspect")
    .description("list the programs, maps, CO-RE relocations, externs and unsupported features of a BPF ELF object")
    .argument("<file>", "ELF object (clang -target bpf)"), "only this program of the object (and the maps it uses)")
    .option("--json", "print JSON instead of tables")))
    .action(action((file: string, opts: InspectOptions) => {
      const choice = typeChoice(opts);
      const target = targetOptions(opts);
      const obj = loadObject(readFileSync(file), { file, target: () => resolveTarget(target), ...(choice ? { type: choice } : {}) });
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
    target: obj.target ?? null,
    programs: obj.programs.map((p) => {
      const resolved = resolveSection(p.section);
      const id = resolved?.progType ?? progTypeId(p.section);
      return {
        name: p.name, section: p.section, type: id !== undefined ? progTypeName(id) ?? String(id) : "unknown",
        insns: slotCount(p.insns), source: p.lines?.[0]?.file ?? null, maps: p.maps.map((m) => m.name),
        ...(p.autoload === false ? { autoload: false } : {}), ...(p.sectionAsWritten !== undefined ? { sectionAsWritten: p.sectionAsWritten } : {}),
        ...(p.sectionHint !== undefined ? { hint: p.sectionHint } : {}),
        usable: !p.unsupported?.length && p.sectionHint === undefined,
        ...(p.unsupported?.length ? { unsupported: p.unsupported } : {}),
        ...(p.relocations?.length ? { relocations: p.relocations } : {}),
        ...(p.externs?.length ? { externs: p.externs } : {}),
        // struct_ops: the kernel struct member it implements (expected_attach_type) and the struct's BTF id
        ...(p.structOps ? { structOps: { ...p.structOps, ...(p.attachBtfId !== undefined ? { structBtfId: p.attachBtfId } : {}) } } : {}),
      };
    }),
    maps: obj.maps.map((m) => ({
      name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags,
      pinning: m.pinning ?? "none", ...(m.inner ? { inner: m.inner.type } : {}), ...(m.initialSlots ? { initialSlots: m.initialSlots } : {}),
      ...(m.readOnly ? { readOnly: true } : {}), ...(m.extra ? { extra: m.extra } : {}),
    })),
    externs: obj.externs ?? [],
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
  let out = `${s.file}: license ${JSON.stringify(s.license)}\n`;
  if (s.target) out += `target: ${s.target}\n`;
  out += `\nprograms (${s.programs.length}):\n`;
  if (s.programs.length) {
    // the section as written, `?` included; a type chosen with --type follows it
    const section = (p: (typeof s.programs)[number]): string =>
      (p.autoload === false ? "?" : "") + (p.sectionAsWritten !== undefined ? `${p.sectionAsWritten} (--type ${p.section})` : p.section);
    out += table([["NAME", "SECTION", "TYPE", "INSNS", "SOURCE", "STATUS"], ...s.programs.map((p) => [
      p.name, section(p), p.type, String(p.insns), p.source ?? "-",
      p.unsupported ? `unusable (${p.unsupported.length} reason${p.unsupported.length > 1 ? "s" : ""}, below)` : p.hint !== undefined ? "no type (below)" : "ok",
    ])]);
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
  const stOps = s.programs.filter((p) => p.structOps);
  if (stOps.length) {
    out += `\nstruct_ops members (${stOps.length}):\n`;
    out += table([["PROGRAM", "MAP", "IMPLEMENTS", "MEMBER INDEX", "STRUCT BTF ID"], ...stOps.map((p) => [
      p.name, p.structOps!.map, `${p.structOps!.struct}.${p.structOps!.member}`, String(p.structOps!.memberIndex), String(p.structOps!.structBtfId ?? "-"),
    ])]);
  }
  for (const p of s.programs) {
    if (!p.relocations) continue;
    out += `\nCO-RE relocations of ${p.name} (${p.relocations.length}):\n`;
    out += table([["PC", "KIND", "TYPE", "ACCESS", "RESULT"], ...p.relocations.map((r) => [
      String(r.pc), r.kind, r.type, r.access,
      r.error !== undefined ? `error: ${r.error}` : r.poisoned !== undefined ? `poisoned: ${r.poisoned}` : `${r.value}${fieldOf(r.target ?? r.local)}${r.missing ? ` (${r.missing})` : ""}`,
    ])]);
  }
  if (s.externs.length) {
    out += `\nexterns (${s.externs.length}):\n`;
    out += table([["NAME", "KIND", "WEAK", "RESOLVED", "HOW"], ...s.externs.map((e) => [
      e.name, e.kind, e.weak ? "weak" : "strong", e.resolved ? "yes" : "no", `${e.btfId !== undefined ? `[${e.btfId}] ` : ""}${e.note}`,
    ])]);
  }
  if (s.unsupported.length) out += `\nunusable programs, and why (${s.unsupported.length}):\n` + s.unsupported.map((u) => `  ${u}\n`).join("");
  return out;
}

/** ` = task_struct.pid` from a spec print such as `[114] struct task_struct.pid (0:142 @ offset 2584)`. */
function fieldOf(spec: string): string {
  const m = /^\[\d+\] \w+ (\S+)/.exec(spec);
  return m && m[1] !== "<anon>" ? ` = ${m[1]}` : "";
}
