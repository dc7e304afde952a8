// Where a map keeps its state in the shared memory, as the WebAssembly map operations (asm/maps/, built
// into wasm/maps.wasm) read it; asm/layout.ts has the same numbers and wasm-ops.ts compares the two.
/**
 * Descriptor layout at `handle` (asm/layout.ts D_*; the WebAssembly map operations, asm/maps/, read it):
 * type id, sizes, value slots, and per implementation its tables, free lists and order (see hash.ts,
 * lpm-trie.ts). wasm-ops.ts checks these numbers against the module's at instantiation.
 */
export const DESC = {
  TYPE: 0, KEY_SIZE: 4, VALUE_SIZE: 8, MAX_ENTRIES: 12, VALUES: 16, SLOT: 20, CPUS: 24, STRIDE: 28, MAGIC: 32,
  IMPL: 36, FLAGS: 40, COUNT: 44, TABLE: 48, ESIZE: 52, BUCKETS: 56, MASK: 60, FREE: 64, HEAD: 68, TAIL: 72,
  ROOT: 76, VFREE: 80, VTOP: 84, EVICTIONS: 88, MAXBITS: 92, SIZE: 128,
} as const;
/** Marks a real descriptor, so WebAssembly never trusts a stray pointer as a map ("BPFM"). */
export const DESC_MAGIC = 0x4d465042;
/** Which WebAssembly implementation answers a map's operations (DESC.IMPL); HOST: the map object here. */
export const IMPL = { HOST: 0, ARRAY: 1, HASH: 2, LPM: 3, ARRAY_OF_MAPS: 4, HASH_OF_MAPS: 5 } as const;
/** DESC.FLAGS bits. */
export const MF = { PERCPU: 1, LRU: 2, INDEXED: 4 } as const;
/** Hash entry record and trie node fields (asm/layout.ts E_*, N_*). */
export const ENTRY_FIELDS = { NEXT: 0, HASH: 4, PREV_ORDER: 8, NEXT_ORDER: 12, KEY: 16 } as const;
/**
 * The key hash of hash maps (asm/maps/common.ts hashKey, constants H_* in asm/layout.ts): h = SEED ^ key
 * size; per 8-byte little-endian word w (then the 1-7 bytes left as one zero-extended word) h = (h ^ w) *
 * MUL, h ^= h >> SHIFT; finally h *= FINAL, h ^= h >> FINAL_SHIFT; the bucket hash is h's low 32 bits.
 * Compiled programs hash keys inline with these (src/compiler/map-inline.ts).
 */
export const KEY_HASH = { SEED: 0x9e3779b97f4a7c15n, MUL: 0xbf58476d1ce4e5b9n, SHIFT: 31n, FINAL: 0x94d049bb133111ebn, FINAL_SHIFT: 32n } as const;
export const NODE_FIELDS = { CHILD0: 0, CHILD1: 4, PREFIXLEN: 8, SLOT: 12, DATA: 16 } as const;

