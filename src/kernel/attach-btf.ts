// The kernel BTF id a BTF-attached program is loaded against (BPF_PROG_LOAD's attach_btf_id), found in
// the target kernel's BTF by the name its section gives, as libbpf's find_kernel_btf_id does:
//   tp_btf/X      -> typedef btf_trace_X
//   fentry/X, fexit/X, fmod_ret/X (and their .s sleepable forms) -> func X
//   lsm/X, lsm.s/X, lsm_cgroup/X -> func bpf_lsm_X
//   iter/X, iter.s/X -> func bpf_iter_X
// Programs of other types need none (0). freplace (an attach program fd) and struct_ops (a member of the
// struct_ops type) are not resolved here.
import { BTF_KIND, type Btf } from "../btf/btf.js";

const RULES: { prefixes: string[]; kind: number; name: (x: string) => string }[] = [
  { prefixes: ["tp_btf"], kind: BTF_KIND.TYPEDEF, name: (x) => `btf_trace_${x}` },
  { prefixes: ["fentry", "fexit", "fmod_ret", "fentry.s", "fexit.s", "fmod_ret.s"], kind: BTF_KIND.FUNC, name: (x) => x },
  { prefixes: ["lsm", "lsm.s", "lsm_cgroup"], kind: BTF_KIND.FUNC, name: (x) => `bpf_lsm_${x}` },
  { prefixes: ["iter", "iter.s"], kind: BTF_KIND.FUNC, name: (x) => `bpf_iter_${x}` },
];

/** The attach target a section names (`{ kind, name }`), or undefined for sections that attach by other means. */
export function attachTargetOf(section: string): { kind: number; name: string } | undefined {
  const s = section.startsWith("?") ? section.slice(1) : section;
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const prefix = s.slice(0, slash), target = s.slice(slash + 1);
  if (!target) return undefined;
  const rule = RULES.find((r) => r.prefixes.includes(prefix));
  return rule ? { kind: rule.kind, name: rule.name(target) } : undefined;
}

/** The attach BTF id for a section in a kernel BTF; 0 when the section needs none, -1 when the kernel lacks the target. */
export function attachBtfIdOf(section: string, btf: Btf): number {
  const t = attachTargetOf(section);
  if (!t) return 0;
  return btf.findByNameKind(t.name, t.kind);
}
