// Fixed part of the one linear memory shared by the interpreter, compiled programs and the host.
// The same numbers live in src/runtime/layout.ts; the host checks them against this module's exported
// globals at instantiation, so the two can never drift silently. See src/runtime/README.md.

/** 0x00000-0x00fff: never a valid BPF address, so a NULL pointer dereference faults in checked mode. */
export const NULL_GUARD_END: u32 = 0x1000;
/** Registers r0-r10, 8 bytes each. */
export const REGS: u32 = 0x10000;
/** Control block shared with the host (fields at the C_* offsets). */
export const CTRL: u32 = 0x10100;
/** Saved caller state for local calls: 8 frames x FRAME_SAVE bytes. */
export const FRAMES: u32 = 0x10200;
export const FRAME_SAVE: u32 = 48;
/** Region table for checked mode: REGION_MAX entries of 16 bytes (start u32, end u32, flags u32, id u32). */
export const REGIONS: u32 = 0x11000;
export const REGION_MAX: u32 = 256;
/** BPF stack: MAX_FRAMES frames of STACK_FRAME bytes; frame i's r10 = STACK + (i + 1) * STACK_FRAME. */
export const STACK: u32 = 0x12000;
export const STACK_FRAME: u32 = 512;
export const MAX_FRAMES: u32 = 8;

/** Context struct of the running program: stores into it go through the host (narrow kernel fields). */
export const CTX: u32 = 0x13000;
export const CTX_MAX: u32 = 0x2000; // a tracepoint record can be PERF_MAX_TRACE_SIZE (8 KiB)

/** Pre-decoded instruction size (see src/runtime/predecode.ts). */
export const ENTRY: u32 = 24;

// Control block fields.
export const C_STOP: u32 = 0; // u32: set by a helper to end the program now (r0 as set)
export const C_TAIL: u32 = 4; // u32: set by bpf_tail_call: address of the target's first entry (0 = none)
export const C_FAULT_KIND: u32 = 8; // u32
export const C_FAULT_IP: u32 = 12; // u32: entry address of the faulting instruction
export const C_FAULT_ADDR: u32 = 16; // u64
export const C_FAULT_SIZE: u32 = 24; // u32
export const C_FAULT_WRITE: u32 = 28; // u32
export const C_COUNT: u32 = 32; // u64 out: executed instructions
export const C_BUDGET: u32 = 40; // u64 in: instruction budget
export const C_NREGIONS: u32 = 48; // u32 in: entries used in the region table
export const C_PKT: u32 = 52; // u32 in: skb->data for ld_abs / ld_ind
export const C_PKT_LEN: u32 = 56; // u32 in: headlen for ld_abs / ld_ind
export const C_DEPTH: u32 = 60; // u32 out: call depth when the program stopped
export const C_MAY_GOTO: u32 = 64; // u32: may_goto loop budget left
export const C_CODE: u32 = 68; // u32 in: start of the code region (for pc computation by the host)
export const C_CPU: u32 = 72; // u32 in: the CPU the program runs on (per-CPU array lookups)
export const C_HOST: u32 = 76; // u32: compiled repeat loop only (src/compiler/module.ts): a helper ran on the host
export const C_REPEATED: u32 = 80; // u32 out: compiled repeat loop only: runs done

// Map descriptor (src/maps/runtime/map.ts DESC): the handle `lddw map_fd` yields. Map operations in
// WebAssembly (asm/maps/) read everything they need from it; the host writes it once at creation.
export const D_TYPE: u32 = 0;
export const D_KEY_SIZE: u32 = 4;
export const D_VALUE_SIZE: u32 = 8;
export const D_MAX_ENTRIES: u32 = 12;
export const D_VALUES: u32 = 16; // address of value slot 0
export const D_SLOT: u32 = 20; // bytes of one slot (every CPU's copy)
export const D_CPUS: u32 = 24;
export const D_STRIDE: u32 = 28; // bytes between CPUs' copies of one value
export const D_MAGIC: u32 = 32;
export const D_IMPL: u32 = 36; // which WebAssembly implementation answers (IMPL_*), 0: the host
export const D_FLAGS: u32 = 40; // MF_PERCPU | MF_LRU
export const D_COUNT: u32 = 44; // entries in use (hash, lpm)
export const D_TABLE: u32 = 48; // hash: entry records; lpm: node pool; array_of_maps: inner handles
export const D_ESIZE: u32 = 52; // bytes of one entry record / trie node
export const D_BUCKETS: u32 = 56; // hash: bucket heads (entry index + 1)
export const D_MASK: u32 = 60; // hash: buckets - 1
export const D_FREE: u32 = 64; // hash: free entries (index + 1, linked); lpm: free nodes
export const D_HEAD: u32 = 68; // hash: oldest entry of the insertion / recency order (index + 1)
export const D_TAIL: u32 = 72; // hash: newest
export const D_ROOT: u32 = 76; // lpm: root node (index + 1)
export const D_VFREE: u32 = 80; // lpm: stack of free value slots (u32 each)
export const D_VTOP: u32 = 84; // lpm: free value slots on that stack
export const D_EVICTIONS: u32 = 88; // lru: entries evicted so far
export const D_MAXBITS: u32 = 92; // lpm: bits of key data
export const DESC_SIZE: u32 = 128;
export const DESC_MAGIC: u32 = 0x4d465042;

export const IMPL_HOST: u32 = 0;
export const IMPL_ARRAY: u32 = 1;
export const IMPL_HASH: u32 = 2;
export const IMPL_LPM: u32 = 3;
export const IMPL_ARRAY_OF_MAPS: u32 = 4;
export const IMPL_HASH_OF_MAPS: u32 = 5;
export const MF_PERCPU: u32 = 1;
export const MF_LRU: u32 = 2;
export const MF_INDEXED: u32 = 4; // devmap, cpumap, xskmap: keys are indexes below max_entries

// Hash entry record: chain link, hash, order links (entry index + 1), then the key (8-byte aligned).
export const E_NEXT: u32 = 0;
export const E_HASH: u32 = 4;
export const E_PREV_ORDER: u32 = 8;
export const E_NEXT_ORDER: u32 = 12;
export const E_KEY: u32 = 16;
// Key hash of hash maps (asm/maps/common.ts hashKey): seed, per-word multiplier and shift, final multiplier.
// Compiled programs hash keys inline the same way (src/compiler/map-inline.ts reads src/maps/runtime/layout.ts
// KEY_HASH, which wasm-ops.ts checks against these).
export const H_SEED: u64 = 0x9e3779b97f4a7c15;
export const H_MUL: u64 = 0xbf58476d1ce4e5b9;
export const H_SHIFT: u64 = 31;
export const H_FINAL: u64 = 0x94d049bb133111eb;
export const H_FINAL_SHIFT: u64 = 32;
// LPM trie node: children (node index + 1), prefix length, value slot + 1 (0: intermediate node), data.
export const N_CHILD0: u32 = 0;
export const N_CHILD1: u32 = 4;
export const N_PREFIXLEN: u32 = 8;
export const N_SLOT: u32 = 12;
export const N_DATA: u32 = 16;

// Run statuses.
export const S_EXIT: i32 = 0;
export const S_BUDGET: i32 = 1;
export const S_FAULT: i32 = 2;
export const S_DEPTH: i32 = 3;
export const S_BAD_INSN: i32 = 4;
export const S_STOPPED: i32 = 5;
export const S_STEP: i32 = 6; // stepChecked: one instruction done, the next entry is in C_FAULT_IP

// Region flags.
export const R_READ: u32 = 1;
export const R_WRITE: u32 = 2;
