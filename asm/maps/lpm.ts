// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c), the kernel's algorithm on nodes in the shared memory:
// a binary trie of prefixes where each node matches `prefixlen` bits of its data; intermediate nodes
// (value slot 0) join two subtrees and always have both children. Keys are { u32 prefixlen; u8 data[] },
// data big-endian bit order. Lookup walks down while a node's whole prefix matches and keeps the last
// real node; update and delete keep the kernel's shapes (and so its get_next_key order, which the host's
// entries() follows: postorder, children before their parent, child 0 first). The node pool holds
// 2 * max_entries nodes (at most max_entries real ones and fewer intermediate ones); value slots come
// from their own stack (last freed, first reused), so a value's address stays put while its key lives.
import {
  D_COUNT, D_ESIZE, D_FREE, D_KEY_SIZE, D_MAX_ENTRIES, D_MAXBITS, D_ROOT, D_SLOT, D_TABLE, D_VALUE_SIZE, D_VALUES, D_VFREE, D_VTOP,
  N_CHILD0, N_CHILD1, N_DATA, N_PREFIXLEN, N_SLOT,
} from "../layout";
import { BPF_EXIST, BPF_NOEXIST, EEXIST, EINVAL, ENOENT, ENOSPC, field, setField, writeValue } from "./common";

// @ts-ignore: decorator
@inline function node(d: usize, n: u32): usize { return <usize>(field(d, D_TABLE) + (n - 1) * field(d, D_ESIZE)); }
// @ts-ignore: decorator
@inline function extractBit(data: usize, index: u32): u32 { return (<u32>load<u8>(data + <usize>(index >> 3)) >> (7 - (index & 7))) & 1; }

export function lpmInit(d: usize): void {
  const max = field(d, D_MAX_ENTRIES);
  const nodes = max * 2;
  for (let n: u32 = 1; n <= nodes; n++) store<u32>(node(d, n) + N_CHILD0, n < nodes ? n + 1 : 0);
  setField(d, D_FREE, nodes ? 1 : 0);
  const stack = <usize>field(d, D_VFREE);
  for (let k: u32 = 0; k < max; k++) store<u32>(stack + (<usize>k << 2), max - 1 - k);
  setField(d, D_VTOP, max);
  setField(d, D_ROOT, 0);
  setField(d, D_COUNT, 0);
}

/** How many leading bits of node `n`'s data match the key's, at most min(prefixlens) (__longest_prefix_match). */
function matchLen(d: usize, a: usize, key: usize): u32 {
  const np = load<u32>(a + N_PREFIXLEN), kp = load<u32>(key);
  const limit = np < kp ? np : kp;
  const ds = field(d, D_KEY_SIZE) - 4;
  const x = a + N_DATA, y = key + 4;
  let pl: u32 = 0, i: u32 = 0;
  while (i + 4 <= ds) {
    const diff = bswap<u32>(load<u32>(x + <usize>i) ^ load<u32>(y + <usize>i));
    pl += clz<u32>(diff);
    if (pl >= limit) return limit;
    if (diff) return pl;
    i += 4;
  }
  if (i + 2 <= ds) {
    const diff = <u32>bswap<u16>(load<u16>(x + <usize>i) ^ load<u16>(y + <usize>i));
    pl += clz<u32>(diff) - 16;
    if (pl >= limit) return limit;
    if (diff) return pl;
    i += 2;
  }
  if (i + 1 <= ds) {
    pl += clz<u32>(<u32>(load<u8>(x + <usize>i) ^ load<u8>(y + <usize>i))) - 24;
    if (pl >= limit) return limit;
  }
  return pl;
}

/** The value slot of the longest stored prefix matching the key (slot + 1), or 0 (trie_lookup_elem). */
export function lpmFindSlot(d: usize, key: usize): u32 {
  const max = field(d, D_MAXBITS);
  if (load<u32>(key) > max) return 0;
  let found: u32 = 0;
  let n = field(d, D_ROOT);
  while (n) {
    const a = node(d, n);
    const m = matchLen(d, a, key);
    if (m == max) { found = load<u32>(a + N_SLOT); break; }
    const np = load<u32>(a + N_PREFIXLEN);
    if (m < np) break;
    const s = load<u32>(a + N_SLOT);
    if (s) found = s;
    n = load<u32>(a + (extractBit(key + 4, np) ? N_CHILD1 : N_CHILD0));
  }
  return found;
}

export function lpmLookup(d: usize, key: usize): u32 {
  const s = lpmFindSlot(d, key);
  return s ? field(d, D_VALUES) + (s - 1) * field(d, D_SLOT) : 0;
}

function allocNode(d: usize, key: usize, slot: u32): u32 {
  const n = field(d, D_FREE);
  const a = node(d, n);
  setField(d, D_FREE, load<u32>(a + N_CHILD0));
  store<u32>(a + N_CHILD0, 0);
  store<u32>(a + N_CHILD1, 0);
  store<u32>(a + N_PREFIXLEN, load<u32>(key));
  store<u32>(a + N_SLOT, slot);
  memory.copy(a + N_DATA, key + 4, <usize>(field(d, D_KEY_SIZE) - 4));
  return n;
}
function freeNode(d: usize, n: u32): void {
  store<u32>(node(d, n) + N_CHILD0, field(d, D_FREE));
  setField(d, D_FREE, n);
}
/** A zeroed value slot (+ 1) for a new entry (trie_check_add_elem: full is -ENOSPC), or -errno. */
function takeSlot(d: usize, flags: u64): i32 {
  if (flags == BPF_EXIST) return -ENOENT;
  const count = field(d, D_COUNT);
  if (count == field(d, D_MAX_ENTRIES)) return -ENOSPC;
  setField(d, D_COUNT, count + 1);
  const top = field(d, D_VTOP) - 1;
  setField(d, D_VTOP, top);
  const s = load<u32>(<usize>(field(d, D_VFREE) + (top << 2)));
  const size = field(d, D_SLOT);
  memory.fill(<usize>(field(d, D_VALUES) + s * size), 0, <usize>size);
  return <i32>(s + 1);
}
function freeSlot(d: usize, s: u32): void {
  const top = field(d, D_VTOP);
  store<u32>(<usize>(field(d, D_VFREE) + (top << 2)), s - 1);
  setField(d, D_VTOP, top + 1);
}

/** Find or insert the key's prefix (trie_update_elem); returns its value slot or -errno. */
export function lpmUpsert(d: usize, key: usize, flags: u64): i32 {
  if (flags > BPF_EXIST) return -EINVAL;
  const max = field(d, D_MAXBITS);
  const kp = load<u32>(key);
  if (kp > max) return -EINVAL;
  let slot: usize = d + D_ROOT;
  let n: u32 = 0, m: u32 = 0;
  while ((n = load<u32>(slot))) {
    const a = node(d, n);
    m = matchLen(d, a, key);
    const np = load<u32>(a + N_PREFIXLEN);
    if (np != m || np == kp || np == max) break;
    slot = a + (extractBit(key + 4, np) ? N_CHILD1 : N_CHILD0);
  }
  if (!n) {
    const s = takeSlot(d, flags);
    if (s < 0) return s;
    store<u32>(slot, allocNode(d, key, <u32>s));
    return s - 1;
  }
  const a = node(d, n);
  if (load<u32>(a + N_PREFIXLEN) == m) {
    // The prefix exists: a real node is replaced by one built from this key (the data bits past the
    // prefix come from the new key); an intermediate node becomes a real one.
    let s = load<u32>(a + N_SLOT);
    if (s) {
      if (flags == BPF_NOEXIST) return -EEXIST;
    } else {
      const t = takeSlot(d, flags);
      if (t < 0) return t;
      s = <u32>t;
      store<u32>(a + N_SLOT, s);
    }
    memory.copy(a + N_DATA, key + 4, <usize>(field(d, D_KEY_SIZE) - 4));
    return <i32>(s - 1);
  }
  const s = takeSlot(d, flags);
  if (s < 0) return s;
  const fresh = allocNode(d, key, <u32>s);
  if (m == kp) {
    // The new prefix contains the node's: it goes in between.
    store<u32>(node(d, fresh) + (extractBit(a + N_DATA, m) ? N_CHILD1 : N_CHILD0), n);
    store<u32>(slot, fresh);
    return s - 1;
  }
  // They part at bit m: an intermediate node of the common prefix (the old node's data) joins them.
  const im = allocNode(d, key, 0);
  const ia = node(d, im);
  store<u32>(ia + N_PREFIXLEN, m);
  memory.copy(ia + N_DATA, a + N_DATA, <usize>(field(d, D_KEY_SIZE) - 4));
  if (extractBit(key + 4, m)) { store<u32>(ia + N_CHILD0, n); store<u32>(ia + N_CHILD1, fresh); }
  else { store<u32>(ia + N_CHILD0, fresh); store<u32>(ia + N_CHILD1, n); }
  store<u32>(slot, im);
  return s - 1;
}

export function lpmUpdate(d: usize, key: usize, value: usize, flags: u64): i32 {
  const s = lpmUpsert(d, key, flags);
  if (s < 0) return s;
  writeValue(d, <u32>s, 0, value, field(d, D_VALUE_SIZE));
  return 0;
}

/** trie_delete_elem: 0, -EINVAL (prefix too long) or -ENOENT. */
export function lpmDelete(d: usize, key: usize): i32 {
  const kp = load<u32>(key);
  if (kp > field(d, D_MAXBITS)) return -EINVAL;
  let trim: usize = d + D_ROOT, trim2: usize = trim;
  let parent: u32 = 0, n: u32 = 0, m: u32 = 0;
  while ((n = load<u32>(trim))) {
    const a = node(d, n);
    m = matchLen(d, a, key);
    const np = load<u32>(a + N_PREFIXLEN);
    if (np != m || np == kp) break;
    parent = n;
    trim2 = trim;
    trim = a + (extractBit(key + 4, np) ? N_CHILD1 : N_CHILD0);
  }
  if (!n) return -ENOENT;
  const a = node(d, n);
  const np = load<u32>(a + N_PREFIXLEN);
  const s = load<u32>(a + N_SLOT);
  if (np != kp || np != m || !s) return -ENOENT;
  setField(d, D_COUNT, field(d, D_COUNT) - 1);
  freeSlot(d, s);
  const c0 = load<u32>(a + N_CHILD0), c1 = load<u32>(a + N_CHILD1);
  if (c0 && c1) { store<u32>(a + N_SLOT, 0); return 0; } // becomes an intermediate node
  if (parent && !load<u32>(node(d, parent) + N_SLOT) && !c0 && !c1) {
    // An intermediate parent left with one child goes too; that child takes its place.
    const pa = node(d, parent);
    store<u32>(trim2, load<u32>(pa + N_CHILD0) == n ? load<u32>(pa + N_CHILD1) : load<u32>(pa + N_CHILD0));
    freeNode(d, parent);
    freeNode(d, n);
    return 0;
  }
  store<u32>(trim, c0 ? c0 : c1);
  freeNode(d, n);
  return 0;
}
