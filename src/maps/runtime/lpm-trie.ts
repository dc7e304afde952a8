// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): keys are { u32 prefixlen; u8 data[] }; a lookup finds the
// stored prefix that is the longest match of the key's first `prefixlen` bits. Update: prefixlen beyond
// the data bits -EINVAL, full -ENOSPC, NOEXIST/EXIST as for hashes; delete of an absent prefix -ENOENT.
// Entries are kept in a list ordered by prefix length (longest first), so the first match is the answer.
import type { MapSpec } from "../../program/program.js";
import { BPF_EXIST, BPF_NOEXIST, ERRNO, RuntimeMap, type MapEntry, type MapHost, type MapValue } from "./map.js";

interface Node { prefixlen: number; data: Uint8Array; key: Uint8Array; slot: number }

function matches(prefix: Node, data: Uint8Array, bits: number): boolean {
  if (prefix.prefixlen > bits) return false;
  const full = prefix.prefixlen >> 3;
  for (let i = 0; i < full; i++) if (prefix.data[i] !== data[i]) return false;
  const rest = prefix.prefixlen & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((prefix.data[full]! ^ data[full]!) & mask) === 0;
}

export class LpmTrieMap extends RuntimeMap {
  private nodes: Node[] = [];
  private readonly free: number[] = [];
  private readonly maxBits: number;
  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, 11);
    this.maxBits = (spec.keySize - 4) * 8;
    this.allocValues(spec.maxEntries);
    for (let i = spec.maxEntries - 1; i >= 0; i--) this.free.push(i);
  }
  private split(key: Uint8Array): { prefixlen: number; data: Uint8Array } {
    const prefixlen = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    return { prefixlen, data: key.subarray(4, this.spec.keySize) };
  }
  private exact(prefixlen: number, data: Uint8Array): Node | undefined {
    return this.nodes.find((n) => n.prefixlen === prefixlen && matches(n, data, prefixlen));
  }
  lookup(key: Uint8Array): number {
    const { prefixlen, data } = this.split(key);
    if (prefixlen > this.maxBits) return 0; // trie_lookup_elem: NULL
    const hit = this.nodes.find((n) => matches(n, data, prefixlen));
    return hit ? this.slotAddr(hit.slot) : 0;
  }
  update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true, userValue?: MapValue): number {
    if (flags > BPF_EXIST) return -ERRNO.EINVAL;
    const { prefixlen, data } = this.split(key);
    if (prefixlen > this.maxBits) return -ERRNO.EINVAL;
    let node = this.exact(prefixlen, data);
    if (node && flags === BPF_NOEXIST) return -ERRNO.EEXIST;
    if (node) {
      // The kernel swaps in a new node built from this key: bits past the prefix now come from it.
      node.data = data.slice();
      node.key = key.slice(0, this.spec.keySize);
    } else {
      if (flags === BPF_EXIST) return -ERRNO.ENOENT;
      const slot = this.free.pop();
      if (slot === undefined) return -ERRNO.ENOSPC;
      node = { prefixlen, data: data.slice(), key: key.slice(0, this.spec.keySize), slot };
      this.zeroSlot(slot);
      const at = this.nodes.findIndex((n) => n.prefixlen < prefixlen);
      this.nodes.splice(at < 0 ? this.nodes.length : at, 0, node);
    }
    this.writeSlot(node.slot, fromProgram ? value : userValue ?? value, fromProgram);
    return 0;
  }
  delete(key: Uint8Array): number {
    const { prefixlen, data } = this.split(key);
    if (prefixlen > this.maxBits) return -ERRNO.EINVAL;
    const node = this.exact(prefixlen, data);
    if (!node) return -ERRNO.ENOENT;
    this.nodes = this.nodes.filter((n) => n !== node);
    this.free.push(node.slot);
    return 0;
  }
  get(key: Uint8Array): MapValue | undefined {
    const a = this.lookup(key);
    if (!a) return undefined;
    return this.host.mem.read(a, this.spec.valueSize);
  }
  entries(): MapEntry[] {
    return this.nodes.map((n) => ({ key: n.key, value: this.readSlot(n.slot) }));
  }
}
