// struct bpf_sock: what a PTR_TO_SOCKET / PTR_TO_SOCK_COMMON points to, and the context of cgroup_sock
// programs. Reads follow bpf_sock_is_valid_access; cgroup_sock narrows them per attach type
// (__sock_filter_check_attach_type in net/core/filter.c).
import { layoutStruct, type CDecl, type ContextLayout, type FieldRule, NARROW_READ, WORD } from "./context.js";
import { AttachType as A } from "./numbers.js";

export const BPF_SOCK_DECL: readonly CDecl[] = [
  ["bound_dev_if", "u32"], ["family", "u32"], ["type", "u32"], ["protocol", "u32"], ["mark", "u32"], ["priority", "u32"],
  ["src_ip4", "u32"], ["src_ip6", "u32[4]"], ["src_port", "u32"], ["dst_port", "u16"], ["", "pad16"], ["dst_ip4", "u32"],
  ["dst_ip6", "u32[4]"], ["state", "u32"], ["rx_queue_mapping", "u32"],
];

/** bpf_sock_is_valid_access read rule for a field. */
function sockRead(base: string): FieldRule {
  if (base === "dst_port") return { read: [1, 2, 4], span: 4 }; // a 4-byte load also covers the zero padding
  if (["bound_dev_if", "mark", "priority"].includes(base)) return { read: WORD };
  // `case offsetof(struct bpf_sock, x)` in the kernel (not bpf_ctx_range): narrow loads only at the first
  // byte (the running 6.18 kernel refuses family+1 etc.; test/facts/fixtures/kernel-ctx.json)
  if (["family", "type", "protocol", "src_port", "state", "rx_queue_mapping"].includes(base)) return { read: NARROW_READ, narrowAtStart: true };
  return { read: NARROW_READ };
}

/** Layout seen through a socket pointer (read-only). */
export const BPF_SOCK_LAYOUT: ContextLayout = layoutStruct("bpf_sock", BPF_SOCK_DECL, (_n, base) => sockRead(base));

/** Layout as the context of a cgroup_sock program loaded with this expected attach type. */
export function cgroupSockLayout(attachType: number): ContextLayout {
  const createOrRelease = attachType === A.CGROUP_INET_SOCK_CREATE || attachType === A.CGROUP_INET_SOCK_RELEASE;
  return layoutStruct("bpf_sock", BPF_SOCK_DECL, (_n, base) => {
    const r = sockRead(base);
    switch (base) {
      case "bound_dev_if": case "mark": case "priority":
        return createOrRelease ? { read: WORD, write: WORD } : {};
      case "src_ip4": return attachType === A.CGROUP_INET4_POST_BIND ? r : {};
      case "src_ip6": return attachType === A.CGROUP_INET6_POST_BIND ? r : {};
      case "src_port": return attachType === A.CGROUP_INET4_POST_BIND || attachType === A.CGROUP_INET6_POST_BIND ? r : {};
      default: return r; // read only
    }
  });
}
