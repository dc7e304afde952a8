// The shape of one program type's facts. Each program type has its own file in this folder exporting a
// `ProgTypeInfo`; index.ts collects them and answers look-ups (by number, by name, by section name).
import type { ContextLayout } from "./context.js";

/** A named return code (XDP_PASS, TC_ACT_OK, SK_PASS, ...). */
export interface ReturnCode {
  name: string;
  value: number;
  meaning: string;
}

/**
 * What check_return_code (kernel/bpf/verifier.c) enforces on r0 at exit of the main program.
 * `range` undefined = any value is accepted (xdp, tc, socket filter, sk_skb, sk_msg: the kernel treats
 * unknown codes at run time, e.g. XDP as aborted/dropped). The register must be a known scalar
 * (not a pointer: "R0 leaks addr as return value") in every case.
 */
export interface ReturnRule {
  range?: readonly [min: number, max: number];
  /** Attach-type-specific ranges that replace `range` (cgroup_skb egress [0,3], sock_addr recvmsg [1,1]). */
  byAttachType?: ReadonlyArray<{ attachTypes: readonly number[]; range: readonly [number, number]; note?: string }>;
}

/** BPF_PROG_TEST_RUN support for the type (net/bpf/test_run.c). */
export interface TestRunSupport {
  supported: boolean;
  /** Packet data: required (xdp, tc, ...), not used (sk_lookup, raw_tp), ... */
  data: "required" | "none";
  /** ctx_in: the context struct can be passed in (some fields only) / must not be / is required. */
  ctx: "optional" | "none" | "required";
  /** Minimum data_size_in (ETH_HLEN for skb-based types). */
  minDataSize?: number;
  note?: string;
}

/** One libbpf section definition (tools/lib/bpf/libbpf.c section_defs). */
export interface SectionDef {
  /** The prefix as libbpf writes it: `xdp`, `tc/ingress`, `kprobe+`, `cgroup_skb/ingress`. */
  prefix: string;
  progType: number;
  /** expected_attach_type libbpf passes at load and uses to attach (0 is a real value: cgroup_inet_ingress);
   * undefined = libbpf passes 0. */
  attachType?: number;
  /**
   * How the name after the prefix is matched:
   * - "exact": the section name is exactly the prefix (`xdp`, `tc`, `sockops`), or prefix + `/anything`
   *   when `slashTail` is set (libbpf SEC_SLOPPY_PFX / "+" suffix).
   * - "plus": `prefix` or `prefix/<target>` (libbpf's `+`: `kprobe/do_sys_open`, `tracepoint/a/b`);
   *   `targetRequired` when the bare prefix is not enough to attach.
   */
  match: "exact" | "plus";
  /** Only for match "plus": a `/target` part is needed to attach (libbpf still loads without one). */
  targetRequired?: boolean;
  /** Program is sleepable (`.s` sections). */
  sleepable?: boolean;
  /** XDP frags support (BPF_F_XDP_HAS_FRAGS in prog_flags). */
  xdpFrags?: boolean;
  /** Deprecated alias, still accepted by libbpf. */
  legacy?: boolean;
  /**
   * libbpf SEC_ATTACH_BTF: the load needs attach_btf_id, found from the `/target` part in the target
   * kernel's BTF (fentry/fexit/fmod_ret/tp_btf/lsm/iter/freplace).
   */
  attachBtf?: boolean;
  /**
   * libbpf SEC_USDT: loaded with expected_attach_type BPF_TRACE_UPROBE_MULTI on kernels with uprobe_multi
   * links (6.6+; libbpf probes FEAT_UPROBE_MULTI_LINK), so the table's own attach type stays 0.
   */
  usdt?: boolean;
}

export interface ProgTypeInfo {
  /** Kernel number (enum bpf_prog_type). */
  id: number;
  /** Lower-case kernel name (`xdp`, `sched_cls`, `socket_filter`). */
  name: string;
  /** `BPF_PROG_TYPE_XDP`. */
  kernelName: string;
  summary: string;
  /**
   * The context layout the program sees, per expected attach type (cgroup_sock and cgroup_sock_addr allow
   * different fields per attach type; xdp's egress_ifindex needs xdp/devmap). Undefined for tracing types
   * whose context is not a fixed struct (kprobe: pt_regs, tracepoint: the event record).
   */
  context?: (attachType?: number) => ContextLayout;
  /** Direct packet access through ctx data/data_end: none, read-only, or read and write. */
  packetAccess: "none" | "read" | "read_write";
  /** Attach types valid as expected_attach_type for this program type (empty: none is checked). */
  attachTypes: readonly number[];
  /** The kernel refuses the load unless expected_attach_type is one of `attachTypes`
   * (bpf_prog_load_check_attach). */
  expectedAttachTypeRequired: boolean;
  /** What the kernel substitutes for expected_attach_type 0 (bpf_prog_load_fixup_attach_type: cgroup_sock
   * becomes inet_sock_create). */
  defaultAttachType?: number;
  returnRule: ReturnRule;
  returnCodes: readonly ReturnCode[];
  testRun: TestRunSupport;
  /**
   * Helpers the program may call, by name without `bpf_` (the *_func_proto switch of the type, including
   * the base protos it falls back to), as seen by a privileged (CAP_SYS_ADMIN) loader.
   */
  helpers: readonly string[];
  /** Helpers that need a specific expected attach type; absent from `helpers` for other attach types. */
  helpersByAttachType?: ReadonlyArray<{ attachTypes: readonly number[]; helpers: readonly string[] }>;
  /** True for types described only by name and number (tracing, LSM, ...). */
  namesOnly?: boolean;
}
