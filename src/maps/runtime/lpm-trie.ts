// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): keys are { u32 prefixlen; u8 data[] }; a lookup finds the
// stored prefix that is the longest match of the key's first `prefixlen` bits. Update: prefixlen beyond
// the data bits -EINVAL, full -ENOSPC, NOEXIST/EXIST as for hashes; delete of an absent prefix -ENOENT.
// The trie is the kernel's, in WebAssembly (asm/maps/lpm.ts) over a pool of 2 * max_entries nodes in the
// shared memory; this object lays it out and reads it back: entries() in the kernel's get_next_key order
// (postorder: more specific prefixes first, bit 0 before bit 1).
import type { MapSpec } from "../../program/program.js";
import { DESC, IMPL, NODE_FIELDS, RuntimeMap, type MapEntry, type MapHost, type MapValue } from "./map.js";
import { flagsU64 } from "./wasm-ops.js";

export class LpmTrieMap extends RuntimeMap {
  private readonly dataSize: number;
  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, 11);
    this.dataSize = spec.keySize - 4;
    this.allocValues(spec.maxEntries);
    const mem = host.mem;
    const nsize = NODE_FIELDS.DATA + Math.ceil(this.dataSize / 8) * 8;
    this.setDescField(DESC.TABLE, mem.alloc(2 * spec.maxEntries * nsize, 8, `trie nodes of map ${spec.name}`));
    this.setDescField(DESC.ESIZE, nsize);
    this.setDescField(DESC.VFREE, mem.alloc(spec.maxEntries * 4, 8, `free value slots of map ${spec.name}`));
    this.setDescField(DESC.MAXBITS, this.dataSize * 8);
    this.setImpl(IMPL.LPM);
    this.ops.initAt(this.handle);
  }
  lookup(key: Uint8Array): number {
    return this.ops.lookupAt(this.handle, this.keyIn(key), 0);
  }
  update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true, userValue?: MapValue): number {
    const slot = this.ops.upsertAt(this.handle, this.keyIn(key), flagsU64(flags));
    if (slot < 0) return slot;
    this.writeSlot(slot, fromProgram ? value : userValue ?? value, fromProgram);
    return 0;
  }
  delete(key: Uint8Array): number {
    return this.ops.deleteAt(this.handle, this.keyIn(key));
  }
  /** The value of the longest matching prefix, as the kernel's lookup from user space answers. */
  get(key: Uint8Array): MapValue | undefined {
    const s = this.ops.findAt(this.handle, this.keyIn(key));
    return s ? this.readSlot(s - 1) : undefined;
  }
  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    const mem = this.host.mem, dv = mem.dv;
    const table = this.descField(DESC.TABLE), nsize = this.descField(DESC.ESIZE);
    const at = (n: number): number => table + (n - 1) * nsize;
    // Postorder without recursion: (node, children visited) pairs.
    const stack: [number, boolean][] = [];
    const root = this.descField(DESC.ROOT);
    if (root) stack.push([root, false]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const a = at(top[0]);
      if (!top[1]) {
        top[1] = true;
        const c1 = dv.getUint32(a + NODE_FIELDS.CHILD1, true), c0 = dv.getUint32(a + NODE_FIELDS.CHILD0, true);
        if (c1) stack.push([c1, false]);
        if (c0) stack.push([c0, false]);
        continue;
      }
      stack.pop();
      const slot = dv.getUint32(a + NODE_FIELDS.SLOT, true);
      if (!slot) continue; // intermediate node
      const key = new Uint8Array(this.spec.keySize);
      new DataView(key.buffer).setUint32(0, dv.getUint32(a + NODE_FIELDS.PREFIXLEN, true), true);
      key.set(mem.u8.subarray(a + NODE_FIELDS.DATA, a + NODE_FIELDS.DATA + this.dataSize), 4);
      out.push({ key, value: this.readSlot(slot - 1) });
    }
    return out;
  }
}
