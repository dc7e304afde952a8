// The kernel BTF type a BTF-attached program is loaded against (BPF_PROG_LOAD's attach_btf_id), as
// libbpf's find_kernel_btf_id finds it: the section table says whether a section attaches by BTF and
// with which attach type; the attach type gives the name's prefix (libbpf's btf_get_kernel_prefix):
//   tp_btf/X (TRACE_RAW_TP)        -> typedef btf_trace_X
//   lsm/X, lsm.s/X, lsm_cgroup/X   -> func bpf_lsm_X
//   iter/X, iter.s/X (TRACE_ITER)  -> func bpf_iter_X
//   fentry/fexit/fmod_ret (.s)     -> func X
// freplace (an attach program fd) and struct_ops (a member of the struct_ops type) are not found here.
// The verifier reads the target's prototype through it (tp_btf/fentry arguments); the kernel loader
// passes it to BPF_PROG_LOAD.
import { BTF_KIND, type Btf } from "../btf/btf.js";
import { AttachType, resolveSection } from "../progtypes/index.js";

/** The attach target a section names (`{ kind, name }`), or undefined for sections that attach by other means. */
export function attachTargetOf(section: string): { kind: number; name: string } | undefined {
  const r = resolveSection(section);
  if (!r || !r.def.attachBtf || !r.target || r.attachType === undefined) return undefined;
  switch (r.attachType) {
    case AttachType.TRACE_RAW_TP: return { kind: BTF_KIND.TYPEDEF, name: `btf_trace_${r.target}` };
    case AttachType.LSM_MAC: case AttachType.LSM_CGROUP: return { kind: BTF_KIND.FUNC, name: `bpf_lsm_${r.target}` };
    case AttachType.TRACE_ITER: return { kind: BTF_KIND.FUNC, name: `bpf_iter_${r.target}` };
    case AttachType.TRACE_FENTRY: case AttachType.TRACE_FEXIT: case AttachType.MODIFY_RETURN:
      return { kind: BTF_KIND.FUNC, name: r.target };
    default: return undefined;
  }
}

/** The attach BTF id for a section in a kernel BTF; 0 when the section needs none, -1 when the kernel lacks the target. */
export function attachBtfIdOf(section: string, btf: Btf): number {
  const t = attachTargetOf(section);
  if (!t) return 0;
  return btf.findByNameKind(t.name, t.kind);
}
