// bpf_map_lookup_elem on a hash or LPM trie map known at compile time, inline in the program's code
// instead of a call into the map module (asm/maps.entry.ts): the same data structure, read the same
// way (asm/maps/hash.ts hashFind, asm/maps/lpm.ts lpmFindSlot), specialised to the map's key size and to
// its descriptor, which never changes once the map exists (tables, slot sizes, bucket mask). Keys are
// hashed and compared as whole 8/4/2/1-byte loads. Only for verified programs (the key pointer is readable
// for key_size bytes, so no check is needed) and only where a lookup has no side effect: plain and per-CPU
// hashes and LPM tries; LRU hashes (a lookup marks the entry as used) keep the map module's call.
//
// Layout facts come from src/maps/runtime/layout.ts (DESC, ENTRY_FIELDS, NODE_FIELDS, KEY_HASH), which
// src/maps/runtime/wasm-ops.ts checks against the map module's build: nothing here restates a number.
import { C, CTRL } from "../runtime/layout.js";
import { DESC, DESC_MAGIC, ENTRY_FIELDS, IMPL, KEY_HASH, MF, NODE_FIELDS } from "../maps/runtime/layout.js";
import { I32, I64, OP, type Body } from "./wasm.js";

/** Opcodes the shared opcode table does not name. */
const I32_CLZ = 0x67, I32_CTZ = 0x68, I64_CTZ = 0x7a;
/** Map type ids (the kernel's enum bpf_map_type) answered inline. */
const T_HASH = 1, T_PERCPU_HASH = 5, T_LPM_TRIE = 11;
/** Longest key (bytes) inlined: longer keys keep the map module's loops. */
const MAX_KEY = 64;

/** Where a map keeps its state, read once from its descriptor. */
interface Desc { handle: number; type: number; keySize: number; maxEntries: number; values: number; slot: number; stride: number; impl: number; flags: number; table: number; esize: number; buckets: number; mask: number; maxBits: number }

/** Emit a lookup: the key's address is in i32 local `key`; the value's address (or 0) goes to i64 local `out`. */
export type LookupEmitter = (b: Body, key: number, out: number) => void;

/** Per module: how to emit a lookup in each hash or LPM map the program names, decided once per map. */
export class MapInliner {
  private readonly emitters = new Map<number, LookupEmitter | undefined>();
  constructor(private readonly u8: Uint8Array) {}

  /** Inline code for lookups in the map at `handle`, or undefined (the lookup keeps the map module's call). */
  lookup(handle: bigint): LookupEmitter | undefined {
    if (handle < 0x1000n || handle > BigInt(this.u8.length - DESC.SIZE)) return undefined;
    const h = Number(handle);
    if (this.emitters.has(h)) return this.emitters.get(h);
    const d = this.desc(h);
    const emit: LookupEmitter | undefined = !d ? undefined
      : d.impl === IMPL.HASH ? (b, key, out) => emitHashLookup(b, d, key, out)
      : (b, key, out) => emitLpmLookup(b, d, key, out);
    this.emitters.set(h, emit);
    return emit;
  }

  private desc(h: number): Desc | undefined {
    const dv = new DataView(this.u8.buffer, this.u8.byteOffset, this.u8.byteLength);
    const f = (off: number): number => dv.getUint32(h + off, true);
    if (f(DESC.MAGIC) !== DESC_MAGIC) return undefined;
    const d: Desc = {
      handle: h, type: f(DESC.TYPE), keySize: f(DESC.KEY_SIZE), maxEntries: f(DESC.MAX_ENTRIES), values: f(DESC.VALUES), slot: f(DESC.SLOT),
      stride: f(DESC.STRIDE), impl: f(DESC.IMPL), flags: f(DESC.FLAGS), table: f(DESC.TABLE), esize: f(DESC.ESIZE), buckets: f(DESC.BUCKETS),
      mask: f(DESC.MASK), maxBits: f(DESC.MAXBITS),
    };
    if (d.keySize < 1 || d.keySize > MAX_KEY || d.maxEntries === 0) return undefined;
    if (d.impl === IMPL.HASH && (d.type === T_HASH || d.type === T_PERCPU_HASH) && !(d.flags & (MF.LRU | MF.INDEXED))) return d;
    if (d.impl === IMPL.LPM && d.type === T_LPM_TRIE && d.keySize > 4 && d.maxBits === (d.keySize - 4) * 8) return d;
    return undefined;
  }
}

/** Scratch locals of one function body, shared by all the lookups inlined in it. */
interface Scratch {
  h: number; h32: number; e: number; a: number; kp: number; found: number; n: number; np: number; m: number; d32: number; d64: number; z: number;
  /** The key's words, read once (see keyWords): i64 and i32 locals by position. */
  k64: number[]; k32: number[];
}
const scratch = new WeakMap<Body, Scratch>();
function scratchOf(b: Body): Scratch {
  let s = scratch.get(b);
  if (!s) {
    s = {
      h: b.local(I64), h32: b.local(I32), e: b.local(I32), a: b.local(I32), kp: b.local(I32), found: b.local(I32), n: b.local(I32), np: b.local(I32),
      m: b.local(I32), d32: b.local(I32), d64: b.local(I64), z: b.local(I32), k64: [], k32: [],
    };
    scratch.set(b, s);
  }
  return s;
}
const k64 = (b: Body, s: Scratch, i: number): number => (s.k64[i] ??= b.local(I64));
const k32 = (b: Body, s: Scratch, i: number): number => (s.k32[i] ??= b.local(I32));

/**
 * Keys up to this many bytes are read into locals once, a byte at a time. The program has usually just
 * built the key on its stack with stores of 1, 2 or 4 bytes; a wider load over several of them cannot take
 * its bytes from the store buffer and stalls until they reach the cache (most of a lookup's time), while a
 * byte load always can. Longer keys are read in words where they are used.
 */
const BYTE_KEY = 24;

/** Push `n` (1-8) bytes at local `key` + `off` as one little-endian word, from byte loads: i64 when `wide`. */
function bytesLE(b: Body, key: number, off: number, n: number, wide: boolean): void {
  for (let i = 0; i < n; i++) {
    b.get(key).mem(wide ? OP.i64_load8_u : OP.i32_load8_u, 0, off + i);
    if (i) { if (wide) b.i64(8 * i).op(OP.i64_shl).op(OP.i64_or); else b.i32(8 * i).op(OP.i32_shl).op(OP.i32_or); }
  }
}

/** Pieces of `n` bytes from offset 0 as whole loads: [offset, size] with sizes `word` (8 or 4), then 4, 2, 1. */
function chunks(n: number, word = 8): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  for (; i + word <= n; i += word) out.push([i, word]);
  for (const s of [4, 2, 1]) if (i + s <= n) { out.push([i, s]); i += s; }
  return out;
}
/** Load `size` bytes (zero-extended) at the address on the stack plus `off`: i64 for 8, i32 otherwise. */
function load(b: Body, size: number, off: number): void {
  if (size === 8) b.mem(OP.i64_load, 0, off);
  else if (size === 4) b.mem(OP.i32_load, 0, off);
  else if (size === 2) b.mem(OP.i32_load16_u, 0, off);
  else b.mem(OP.i32_load8_u, 0, off);
}

/**
 * asm/maps/hash.ts hashLookup for one plain or per-CPU hash: hashKey of the key, the bucket's chain walked
 * comparing stored hash then key, the slot of the entry found (this CPU's copy) or 0.
 */
function emitHashLookup(b: Body, d: Desc, KEY: number, out: number): void {
  if (d.keySize <= BYTE_KEY && d.esize >= ENTRY_FIELDS.KEY + Math.ceil(d.keySize / 8) * 8) { emitHashLookupWords(b, d, KEY, out); return; }
  const { h, a } = scratchOf(b);
  const ks = d.keySize, E = ENTRY_FIELDS;
  // hashKey(key, ks), its 8-byte words and then the rest as one word, as asm/maps/common.ts reads them.
  const mix = (): void => { b.op(OP.i64_xor).i64(KEY_HASH.MUL).op(OP.i64_mul).tee(h).get(h).i64(KEY_HASH.SHIFT).op(OP.i64_shr_u).op(OP.i64_xor).set(h); };
  b.i64(BigInt.asUintN(64, KEY_HASH.SEED ^ BigInt(ks))).set(h);
  let i = 0;
  for (; i + 8 <= ks; i += 8) { b.get(h).get(KEY).mem(OP.i64_load, 0, i); mix(); }
  if (i < ks) {
    b.get(h);
    let s = 0, first = true;
    const or = (): void => { if (first) first = false; else b.op(OP.i64_or); };
    if (i + 4 <= ks) { b.get(KEY).mem(OP.i64_load32_u, 0, i); or(); i += 4; s = 32; }
    for (; i < ks; i++, s += 8) {
      b.get(KEY).mem(OP.i64_load8_u, 0, i);
      if (s) b.i64(s).op(OP.i64_shl);
      or();
    }
    mix();
  }
  emitChainWalk(b, d, out, () => {
    for (const [off, size] of chunks(ks)) {
      b.get(a); load(b, size, E.KEY + off);
      b.get(KEY); load(b, size, off);
      b.op(size === 8 ? OP.i64_ne : OP.i32_ne).brIf(0);
    }
  });
}

/**
 * emitHashLookup for keys of up to BYTE_KEY bytes: the key is read once into locals (its 8-byte words
 * and the 1-7 bytes left as one zero-extended word, the pieces hashKey mixes), hashed from them and
 * compared with them. An entry's key is 8-byte padded (its record size says so), so its last word is read
 * whole and masked to the key's bytes.
 */
function emitHashLookupWords(b: Body, d: Desc, KEY: number, out: number): void {
  const sc = scratchOf(b);
  const { h, a } = sc;
  const ks = d.keySize, E = ENTRY_FIELDS, words = Math.floor(ks / 8), rest = ks % 8;
  const w: number[] = [];
  for (let j = 0; j < words; j++) { w.push(k64(b, sc, j)); bytesLE(b, KEY, 8 * j, 8, true); b.set(w[j]!); }
  if (rest) { w.push(k64(b, sc, words)); bytesLE(b, KEY, 8 * words, rest, true); b.set(w[words]!); }
  b.i64(BigInt.asUintN(64, KEY_HASH.SEED ^ BigInt(ks))).set(h);
  for (const x of w) b.get(h).get(x).op(OP.i64_xor).i64(KEY_HASH.MUL).op(OP.i64_mul).tee(h).get(h).i64(KEY_HASH.SHIFT).op(OP.i64_shr_u).op(OP.i64_xor).set(h);
  emitChainWalk(b, d, out, () => {
    w.forEach((x, j) => {
      b.get(a).mem(OP.i64_load, 3, E.KEY + 8 * j);
      if (j === words) b.i64(BigInt.asIntN(64, (1n << BigInt(8 * rest)) - 1n)).op(OP.i64_and);
      b.get(x).op(OP.i64_ne).brIf(0);
    });
  });
}

/**
 * The end of a hash lookup, once the key's 64-bit hash is in `h`: finish it to 32 bits, walk the bucket's
 * chain (entries index + 1), and for an entry of the same hash run `compareKey` (it branches out of its
 * block, depth 0, on a difference); the first entry whose key matches gives its value's address
 * (slotAddr(d, e - 1, cpu)) in `out`, none gives 0.
 */
function emitChainWalk(b: Body, d: Desc, out: number, compareKey: () => void): void {
  const { h, h32, e, a } = scratchOf(b);
  const E = ENTRY_FIELDS;
  b.get(h).i64(KEY_HASH.FINAL).op(OP.i64_mul).tee(h).get(h).i64(KEY_HASH.FINAL_SHIFT).op(OP.i64_shr_u).op(OP.i64_xor).op(OP.i32_wrap_i64).set(h32);
  // The bucket's first entry (index + 1), then the chain.
  b.i64(0).set(out);
  b.get(h32).i32(d.mask).op(OP.i32_and).i32(2).op(OP.i32_shl).mem(OP.i32_load, 2, d.buckets).set(e);
  b.block().loop();
  b.get(e).op(OP.i32_eqz).brIf(1);
  b.get(e).i32(d.esize).op(OP.i32_mul).i32(d.table - d.esize).op(OP.i32_add).set(a);
  b.block();
  b.get(a).mem(OP.i32_load, 2, E.HASH).get(h32).op(OP.i32_ne).brIf(0);
  compareKey();
  // Found: slotAddr(d, e - 1, cpu).
  b.get(e).i32(d.slot).op(OP.i32_mul).i32(d.values - d.slot).op(OP.i32_add);
  if (d.flags & MF.PERCPU) b.i32(CTRL + C.CPU).mem(OP.i32_load, 2, 0).i32(d.stride).op(OP.i32_mul).op(OP.i32_add);
  b.op(OP.i64_extend_i32_u).set(out).br(2);
  b.end();
  b.get(a).mem(OP.i32_load, 2, E.NEXT).set(e);
  b.br(0);
  b.end().end();
}

/**
 * asm/maps/lpm.ts lpmLookup for one trie (trie_lookup_elem): walk down while a node's whole prefix
 * matches, keep the last node with a value; the match length of a node is min(leading equal bits of the
 * data, node prefixlen, key prefixlen), as matchLen computes it a word at a time.
 */
function emitLpmLookup(b: Body, d: Desc, KEY: number, out: number): void {
  const sc = scratchOf(b);
  const { kp, found, n, a, np, m, d32, d64, z } = sc;
  const N = NODE_FIELDS, ds = d.keySize - 4, max = d.maxBits;
  // The key's data in 4-byte pieces: tries hold addresses, which programs copy into the key in u32 words
  // (an 8-byte load over two such stores could not take its bytes from the store buffer; see BYTE_KEY).
  // Read once into locals; longer keys are read per node.
  const parts = chunks(ds, 4);
  const local = ds <= BYTE_KEY ? parts.map(([off, size], i) => {
    const l = k32(b, sc, i);
    b.get(KEY); load(b, size, 4 + off); b.set(l);
    return l;
  }) : undefined;
  b.i64(0).set(out).i32(0).set(found);
  b.block();
  // The prefix length, a u32 field, is stored whole (or in a wider store), so one load takes it.
  b.get(KEY).mem(OP.i32_load, 0, 0).tee(kp).i32(max).op(OP.i32_gt_u).brIf(0);
  b.i32(d.handle + DESC.ROOT).mem(OP.i32_load, 2, 0).set(n);
  b.block().loop();
  b.get(n).op(OP.i32_eqz).brIf(1);
  b.get(n).i32(d.esize).op(OP.i32_mul).i32(d.table - d.esize).op(OP.i32_add).tee(a).mem(OP.i32_load, 2, N.PREFIXLEN).set(np);
  // m = leading equal bits of the node's data and the key's (ds * 8 when all are equal) ...
  b.block();
  for (const [i, [off, size]] of parts.entries()) {
    const t = size === 8 ? d64 : d32;
    b.get(a); load(b, size, N.DATA + off);
    if (local) b.get(local[i]!); else { b.get(KEY); load(b, size, 4 + off); }
    b.op(size === 8 ? OP.i64_xor : OP.i32_xor).tee(t);
    if (size === 8) b.op(OP.i64_eqz).op(OP.i32_eqz); // non-zero
    b.if_();
    // The first differing byte is the lowest-addressed one (the lowest non-zero byte, little-endian): z is
    // its bit offset in the word; then the leading equal bits inside it.
    if (size === 8) {
      b.get(d64).op(I64_CTZ).op(OP.i32_wrap_i64).i32(~7).op(OP.i32_and).set(z);
      b.get(d64).get(z).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
    } else {
      b.get(d32).op(I32_CTZ).i32(~7).op(OP.i32_and).set(z);
      b.get(d32).get(z).op(OP.i32_shr_u);
    }
    b.i32(0xff).op(OP.i32_and).op(I32_CLZ).i32(24).op(OP.i32_sub).get(z).op(OP.i32_add).i32(off * 8).op(OP.i32_add).set(m).br(1);
    b.end();
  }
  b.i32(ds * 8).set(m);
  b.end();
  // ... capped at both prefix lengths.
  b.get(m).get(np).get(m).get(np).op(OP.i32_lt_u).op(OP.select).set(m);
  b.get(m).get(kp).get(m).get(kp).op(OP.i32_lt_u).op(OP.select).set(m);
  b.get(m).i32(max).op(OP.i32_eq).if_().get(a).mem(OP.i32_load, 2, N.SLOT).set(found).br(2).end();
  b.get(m).get(np).op(OP.i32_lt_u).brIf(1);
  b.get(a).mem(OP.i32_load, 2, N.SLOT).tee(d32).get(found).get(d32).op(OP.select).set(found);
  // The child the key's bit np chooses (np < max here, so the bit is inside the key's data).
  b.get(a);
  b.get(KEY).get(np).i32(3).op(OP.i32_shr_u).op(OP.i32_add).mem(OP.i32_load8_u, 0, 4);
  b.i32(7).get(np).i32(7).op(OP.i32_and).op(OP.i32_sub).op(OP.i32_shr_u).i32(1).op(OP.i32_and);
  b.i32(N.CHILD1 - N.CHILD0).op(OP.i32_mul).op(OP.i32_add).mem(OP.i32_load, 2, N.CHILD0).set(n);
  b.br(0);
  b.end().end();
  b.get(found).if_();
  b.get(found).i32(d.slot).op(OP.i32_mul).i32(d.values - d.slot).op(OP.i32_add).op(OP.i64_extend_i32_u).set(out);
  b.end();
  b.end();
}
