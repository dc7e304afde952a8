// `Program`: the one object every stage passes on (assembler, ELF loader and bundle reader produce it;
// verifier, engines, kernel loader and disassembler consume it). Nothing downstream re-reads a file.
import type { Instruction } from "../isa/index.js";

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
}
