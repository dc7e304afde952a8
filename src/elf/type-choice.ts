// The user's choice of program type for programs whose section does not say it (`SEC("xdp_auth")`, a
// `.bin` file) or says something else than wanted: `--type xdp` for every program of a file, `--type
// NAME=xdp` for one (NAME a program, else a section name), as bpftool's `prog load ... type` allows. And,
// for a program nobody chose a type for, what its context argument suggests (from BTF) for the hint.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { progTypeId, resolveSection, suggestSection } from "../progtypes/index.js";
import { BTF_KIND, type Btf } from "../btf/btf.js";

export interface ProgramTypeChoice {
  /** For every program of the file (`--type xdp`). */
  all?: string;
  /** Per program (function) name, or per ELF section name (`--type xdp_auth=xdp`). */
  byName?: Record<string, string>;
}

/** A type choice as an option gives it: one string means every program (the old `type: "xdp"`). */
export type TypeOption = string | ProgramTypeChoice;

/** Is this a program type bpfkit can take: a libbpf section name or a kernel type name (`sched_cls`)? */
export function isTypeName(value: string): boolean {
  return resolveSection(value) !== undefined || progTypeId(value) !== undefined;
}

function checkValue(value: string, what: string): string {
  if (isTypeName(value)) return value;
  const s = suggestSection(value);
  throw new BpfkitError(diag("BK8101", { value: what, reason: `'${value}' is neither a section name libbpf 1.5 knows nor a kernel program type` }, {},
    s ? `did you mean '${s.section}'?` : "for example xdp, tc, socket, sockops, sk_msg, kprobe, tracepoint, cgroup_skb/ingress, or a kernel name such as sched_cls"), 2);
}

/**
 * `--type` values from the command line (repeatable): `TYPE` for every program, `NAME=TYPE` for one. Each
 * TYPE must be a section name libbpf knows (`xdp`, `cgroup_skb/ingress`) or a kernel type name.
 */
export function parseTypeChoice(values: readonly string[] | string | undefined): ProgramTypeChoice | undefined {
  if (values === undefined) return undefined;
  const list = typeof values === "string" ? [values] : values;
  if (list.length === 0) return undefined;
  const choice: ProgramTypeChoice = {};
  for (const v of list) {
    const eq = v.indexOf("=");
    if (eq < 0) {
      if (choice.all !== undefined && choice.all !== v) {
        throw new BpfkitError(diag("BK8101", { value: v, reason: `--type ${choice.all} already gives every program its type` }, {}, "give one --type TYPE for every program, or --type NAME=TYPE per program"), 2);
      }
      choice.all = checkValue(v, v);
      continue;
    }
    const name = v.slice(0, eq);
    const type = v.slice(eq + 1);
    if (!name || !type) throw new BpfkitError(diag("BK8101", { value: v, reason: "expected TYPE or NAME=TYPE" }, {}, "for example --type xdp, or --type my_prog=xdp"), 2);
    choice.byName ??= {};
    choice.byName[name] = checkValue(type, v);
  }
  return choice;
}

/** The one form every loader takes: a plain string is `{ all }`; values are checked. */
export function normalizeTypeChoice(option: TypeOption | undefined): ProgramTypeChoice | undefined {
  if (option === undefined) return undefined;
  if (typeof option === "string") return { all: checkValue(option, option) };
  return option;
}

/** The type chosen for one program: by its name, else by its section, else the one for every program. */
export function chosenType(choice: ProgramTypeChoice | undefined, program: string, section: string): string | undefined {
  if (!choice) return undefined;
  return choice.byName?.[program] ?? choice.byName?.[section] ?? choice.all;
}

/**
 * `NAME=TYPE` entries that name no program and no section of the file: a typo there would silently leave
 * the program as it was, so it is an error naming what the file has.
 */
export function checkChoiceNames(choice: ProgramTypeChoice | undefined, file: string, programs: readonly { name: string; section: string; sectionAsWritten?: string }[]): void {
  for (const [name, type] of Object.entries(choice?.byName ?? {})) {
    if (programs.some((p) => p.name === name || (p.sectionAsWritten ?? p.section) === name)) continue;
    throw new BpfkitError(diag("BK8102", { name, type, file, names: programs.map((p) => p.name).join(", ") || "(none)" }, { file }), 2);
  }
}

/**
 * The struct (or typedef) a program's first argument points to, from the object's BTF: `xdp_md` for
 * `int f(struct xdp_md *ctx)`. Only for hints: undefined when the BTF does not say.
 */
export function contextTypeName(btf: Btf | undefined, func: string): string | undefined {
  if (!btf) return undefined;
  const fn = btf.types.find((t) => t.kind === BTF_KIND.FUNC && t.name === func);
  const proto = fn ? btf.types[fn.sizeOrType] : undefined;
  const first = proto?.kind === BTF_KIND.FUNC_PROTO ? proto.params?.[0] : undefined;
  let t = first ? btf.types[first.type] : undefined;
  const skipMods = (): void => {
    for (let guard = 0; t && guard < 16 && (t.kind === BTF_KIND.CONST || t.kind === BTF_KIND.VOLATILE || t.kind === BTF_KIND.RESTRICT || t.kind === BTF_KIND.TYPE_TAG); guard++) t = btf.types[t.sizeOrType];
  };
  skipMods();
  if (t?.kind !== BTF_KIND.PTR) return undefined;
  t = btf.types[t.sizeOrType];
  skipMods();
  return t?.name || undefined;
}
