// struct_ops: BPF programs that implement the members (function pointers) of a kernel struct, such as
// tcp_congestion_ops. One entry per struct_ops type the kernel registers (register_bpf_struct_ops), with
// what its `struct bpf_struct_ops` and `bpf_verifier_ops` decide for a program of one member:
// - get_func_proto: the helpers it offers (and those it withholds from some members);
// - is_valid_access: the context is the member's arguments (btf_ctx_access), with a few promotions;
// - btf_struct_access: the fields of a kernel struct such a program may write;
// - cfi_stubs (bpf_struct_ops_supported): members without a stub cannot be implemented;
// - check_member: members that may (not) be sleepable;
// - the stubs' argument names: `__nullable` arguments may be NULL.
// The program's member comes from libbpf (src/elf/struct-ops.ts: the `.struct_ops` relocations), the
// member's prototype from the target BTF. Facts from the Linux 6.12 sources (net/ipv4/bpf_tcp_ca.c,
// net/bpf/bpf_dummy_struct_ops.c), checked against the running 6.18 kernel by
// test/verifier/struct-ops.test.ts's recorded fixtures.
import { BASE } from "./helper-sets.js";

/** A field a struct_ops program may write through a BTF pointer (its btf_struct_access). */
export interface StructOpsWritableField {
  /** Member names from the struct the pointer must point to, nested structs searched by name: `icsk_ack`, `pending`. */
  path: readonly string[];
  /** The write may start anywhere inside the field (bpf_ctx_range), not only at its first byte. */
  anyOffset?: boolean;
}

export interface StructOpsKind {
  /** The struct's name in the kernel's BTF (the map value is `struct bpf_struct_ops_<name>`). */
  name: string;
  /** Where the kernel defines it. */
  source: string;
  /** get_func_proto: helpers (names without `bpf_`); none when the type has no get_func_proto. */
  helpers: readonly string[];
  /** Helpers get_func_proto withholds from some members (by member name). */
  helpersNotFor?: Readonly<Record<string, readonly string[]>>;
  /** is_valid_access promotes an argument of this struct to the other (tcp_congestion_ops: sock -> tcp_sock). */
  promoteArg?: { from: string; to: string };
  /**
   * btf_struct_access: writes are allowed through a pointer to exactly this struct, to these fields (or,
   * `whole`, anywhere inside it); `otherStruct` is the message for a pointer to another struct.
   */
  writable?: { struct: string; fields: readonly StructOpsWritableField[]; whole?: boolean; otherStruct?: string };
  /** Members the kernel's cfi_stubs leave NULL: "attach to unsupported member". */
  unsupportedMembers: readonly string[];
  /** check_member: the only members a sleepable program may implement (undefined: no check, any member). */
  sleepableMembers?: readonly string[];
  /** Arguments a stub names `*__nullable`: by member, the argument indexes that may be NULL. */
  nullableArgs?: Readonly<Record<string, readonly number[]>>;
}

/** Every struct_ops type bpfkit models. */
export const STRUCT_OPS_KINDS: readonly StructOpsKind[] = [
  {
    name: "tcp_congestion_ops",
    source: "net/ipv4/bpf_tcp_ca.c",
    helpers: ["tcp_send_ack", "sk_storage_get", "sk_storage_delete", "setsockopt", "getsockopt", "ktime_get_coarse_ns", ...BASE],
    // release() may not change the socket it is retiring (and getsockopt goes with setsockopt)
    helpersNotFor: { release: ["setsockopt", "getsockopt"] },
    promoteArg: { from: "sock", to: "tcp_sock" },
    writable: {
      struct: "tcp_sock",
      fields: [
        { path: ["sk_pacing_rate"] }, { path: ["sk_pacing_status"] }, { path: ["icsk_ca_priv"], anyOffset: true },
        { path: ["icsk_ack", "pending"] }, { path: ["snd_cwnd"] }, { path: ["snd_cwnd_cnt"] }, { path: ["snd_cwnd_stamp"] },
        { path: ["snd_ssthresh"] }, { path: ["ecn_flags"] }, { path: ["app_limited"] },
      ],
    },
    unsupportedMembers: ["get_info"],
  },
  {
    name: "bpf_dummy_ops",
    source: "net/bpf/bpf_dummy_struct_ops.c",
    helpers: [],
    writable: { struct: "bpf_dummy_ops_state", fields: [], whole: true, otherStruct: "only access to bpf_dummy_ops_state is supported" },
    unsupportedMembers: [],
    sleepableMembers: ["test_sleepable"],
    nullableArgs: { test_1: [0] },
  },
];

/** The struct_ops type by its kernel struct name. */
export function structOpsKind(name: string): StructOpsKind | undefined {
  return STRUCT_OPS_KINDS.find((k) => k.name === name);
}

/** Every helper some struct_ops type offers (the program type's list; each type then narrows it). */
export const STRUCT_OPS_HELPERS: readonly string[] = [...new Set(STRUCT_OPS_KINDS.flatMap((k) => k.helpers))];

/** Whether a program implementing `member` of `kind` may call helper `short` (get_func_proto). */
export function structOpsHelperAllowed(kind: StructOpsKind, member: string, short: string): boolean {
  return kind.helpers.includes(short) && !(kind.helpersNotFor?.[member] ?? []).includes(short);
}
