// `Program`: the one object every stage passes on (assembler, ELF loader and bundle reader produce it;
// verifier, engines, kernel loader and disassembler consume it). Nothing downstream re-reads a file.
import type { Instruction } from "../isa/index.js";
import type { Btf } from "../btf/btf.js";

/** A map the program needs, as declared (not yet created anywhere). */
export interface MapSpec {
  /** Name as declared (`.maps` symbol, asm `.map` directive, or `map<N>` for anonymous bundle maps). */
  name: string;
  /** Kernel map type name in lower case without BPF_MAP_TYPE_ (`hash`, `array`, `lpm_trie`, ...). */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Inner map template for array_of_maps / hash_of_maps. */
  inner?: MapSpec;
  /** libbpf pinning: none or by name (LIBBPF_PIN_BY_NAME). */
  pinning?: "none" | "by_name";
  /** map_extra (bloom filter hash count, ...). */
  extra?: number;
  /**
   * Initial contents: global data sections (`.data`, `.rodata`, `.bss`) carry their bytes here as the
   * value of key 0; prog_array / map-in-map initial values carry slot -> program or map name.
   */
  initialValue?: Uint8Array;
  initialSlots?: { index: number; target: string }[];
  /** `.rodata`: frozen after its value is written, so the verifier may treat its contents as constants. */
  readOnly?: boolean;
  /** BTF type ids of key and value, when the map came from an object with BTF. */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

/** Source position of an instruction, from BTF line info (ELF) or from the asm file itself. */
export interface SourceLine {
  /** Slot index (pc) of the first instruction this line covers. */
  pc: number;
  file: string;
  line: number;
  col: number;
  /** The line's text, when known (BTF carries it for C sources). */
  text?: string;
}

/**
 * Something that keeps one program of an object from being used as the kernel would use it. Each program
 * carries its own list, so a neighbour's kfunc or unknown section never makes this program unusable.
 */
export interface ProgramIssue {
  /** What, in words: `struct_ops programs are not modelled`, `CO-RE relocation #3 (byte_off of struct x, access 0:2): ...`. */
  what: string;
  /** Where in the linked program, when it is one instruction. */
  pc?: number;
  /** libbpf itself refuses to load this (an unresolvable strong extern, a malformed relocation), not only bpfkit. */
  refusedByLibbpf?: true;
}

/** A CO-RE relocation of a program as it was resolved (src/elf/core-relocate.ts); `inspect` lists them. */
export interface ProgramRelocation {
  /** pc in the linked program. */
  pc: number;
  /** libbpf's relocation number: the record's index in its section's list (`relo #N`). */
  index: number;
  section: string;
  /** libbpf's kind name: byte_off, byte_sz, field_exists, signed, lshift_u64, rshift_u64, local_type_id, target_type_id, type_exists, type_size, enumval_exists, enumval_value, type_matches. */
  kind: string;
  /** The local type, `struct task_struct`. */
  type: string;
  /** The raw access string, `0:1:2`. */
  access: string;
  /** libbpf's spec print of the local side: `[5] struct task_struct.pid (0:1 @ offset 4)`. */
  local: string;
  /** The matching target spec, when one matched. */
  target?: string;
  /** The value patched in (decimal), when the relocation resolved. */
  value?: string;
  /** For a relocation that resolved to "absent" (field_exists = 0, type_size = 0, ...): what the target lacks. */
  missing?: string;
  /** Why the instruction was poisoned (the target lacks the field or type; a load size that cannot change). */
  poisoned?: string;
  /** Why libbpf refuses the relocation (and with it the object). */
  error?: string;
}

/** An extern a program references and how it was resolved (`.kconfig`, `.ksyms`, kfuncs). */
export interface ProgramExtern {
  name: string;
  /** Position in libbpf's sorted extern list (a poisoned weak kfunc call is `call 2002000000 + index`). */
  index: number;
  kind: "kconfig" | "ksym" | "kfunc";
  weak: boolean;
  resolved: boolean;
  /** Target BTF id (typed ksym, kfunc). */
  btfId?: number;
  note: string;
}

export interface Program {
  /** Function name (ELF symbol, asm `.name`, or `prog`). */
  name: string;
  /**
   * libbpf section name that says the program type and attach type: `xdp`, `tc`, `socket`, `sockops`,
   * `sk_msg`, `cgroup_skb/ingress`, ... (see src/progtypes/).
   */
  section: string;
  insns: Instruction[];
  /**
   * Maps referenced by the program. An lddw with src=1 (map fd) or src=2 (map value) carries the
   * index into this array in its imm (for src=2, the value offset in the upper half of imm64).
   */
  maps: MapSpec[];
  license: string;
  /** Source lines by pc, sorted. */
  lines?: SourceLine[];
  /** Where the program came from, for messages. */
  origin?: { file: string; kind: "asm" | "elf" | "bundle" | "bin" };
  /** BTF of the object (raw bytes) and its function/line info records, for loading into the kernel. */
  btf?: { raw: Uint8Array; funcInfo?: Uint8Array; funcInfoRecSize?: number; lineInfo?: Uint8Array; lineInfoRecSize?: number };
  /**
   * The exact bytecode, when the program came from raw bytes (bundle or .bin) read leniently: the
   * verifier judges these slots, so a malformed encoding gets the kernel's verdict, not a decode error.
   */
  bytecode?: Uint8Array;
  /** Other programs of the same object, by name, for tail-call targets (prog_array initial values). */
  siblings?: string[];
  /**
   * False for libbpf's `SEC("?...")` (the `?` is not part of `section`): libbpf does not load it unless
   * asked, so bpfkit leaves it out of default runs and deploys; naming it (`--prog`) still works.
   */
  autoload?: boolean;
  /** The section as written in the file, when `--type` gave the program another (`section`). */
  sectionAsWritten?: string;
  /**
   * Set by the ELF loader when the section names no type libbpf 1.5 knows and no `--type` chose one:
   * the closest known section and the `--type` that chooses it. Such a program loads but cannot be
   * verified, run or deployed until its type is chosen.
   */
  sectionHint?: string;
  /**
   * What keeps this program from being verified, run or loaded as the kernel would (absent or empty: it
   * can be). Filled by the ELF loader; `pickProgram` refuses such a program, `inspect` and the per-program
   * `verify` listing show why.
   */
  unsupported?: ProgramIssue[];
  /** Its CO-RE relocations (ELF objects with .BTF.ext CO-RE records). */
  relocations?: ProgramRelocation[];
  /** The externs it uses and their values. */
  externs?: ProgramExtern[];
  /**
   * The target BTF the program was relocated against (the running kernel's, a `--btf` file, or the bundled
   * Linux 6.18 default). Kfunc calls (call src=2) and typed .ksyms (lddw src=3) carry ids into it, so the
   * verifier finds a kfunc's FUNC -> FUNC_PROTO as `targetBtf.type(insn.imm)`. Opened on first read and not
   * enumerable (it is 5 MB of types; JSON output and deep comparisons skip it).
   */
  targetBtf?: Btf;
  /** Which target BTF that is, in words (`running kernel (/sys/kernel/btf/vmlinux)`), for reports. */
  targetBtfSource?: string;
  /**
   * BTF-attached programs (tp_btf, fentry/fexit/fmod_ret, lsm, iter): the id in `targetBtf` of what the
   * section attaches to (libbpf's attach_btf_id), -1 when the target lacks it. Found on first read.
   */
  attachBtfId?: number;
  /**
   * struct_ops programs: the kernel struct and member the program implements, as libbpf binds them (the
   * `.struct_ops` section's relocations, the member found by name in the target BTF). `memberIndex` is the
   * expected_attach_type it loads with; `attachBtfId` is then the kernel struct's id.
   */
  structOps?: { map: string; struct: string; member: string; memberIndex: number };
}
