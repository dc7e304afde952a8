// Seeded generator of XDP and tc programs for the differential tests against the kernel
// (test/runtime/kernel-diff-packet.test.ts). Every program is safe by construction so that the kernel's
// verifier accepts it: each packet access re-reads data / data_end from the context and checks the bounds
// first (helpers that move the packet invalidate older pointers), every map lookup is null-checked, and
// every stack slot is initialised in the prologue. What a program observes (packet bytes, context fields,
// helper return values, map values) is folded into r7, which ends up in the `out` map and in r0, so both
// the return value and the maps carry the whole run; the packet and ctx_out carry the rest.
import { buildPacket, type PacketSpec } from "../../../src/packet/index.js";
import type { Program } from "../../../src/program/program.js";
import type { EngineInput, MapSeed } from "../../../src/testing/agree.js";
import { assemble } from "../../../src/text/assembler.js";

/** A small deterministic PRNG (mulberry32), so a failing case is reproduced by its seed alone. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(min: number, max: number): number { return min + (this.u32() % (max - min + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[this.u32() % xs.length]!; }
  chance(p: number): boolean { return this.u32() / 0x100000000 < p; }
  bytes(n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.u32() & 0xff); }
  i32(): number { return this.u32() | 0; }
}

export type Kind = "xdp" | "tc";

export interface GeneratedCase {
  name: string;
  kind: Kind;
  /** The program under test first, then its tail-call targets. */
  programs: Program[];
  sources: string[];
  inputs: EngineInput[];
  maps: MapSeed;
}

const MAPS = (kind: Kind): string => [
  ".map arr, type=array, key=4, value=16, max_entries=4",
  ".map hsh, type=hash, key=4, value=16, max_entries=6",
  ".map pca, type=percpu_array, key=4, value=16, max_entries=4",
  // Large enough that the kernel's LRU never shrinks (it refills per-CPU free lists 128 nodes at a time).
  ".map lru, type=lru_hash, key=4, value=16, max_entries=1024",
  ".map lpm, type=lpm_trie, key=8, value=8, max_entries=16, flags=1",
  ".map jt, type=prog_array, key=4, value=4, max_entries=4",
  ".map out, type=array, key=4, value=8, max_entries=4",
  ...(kind === "xdp" ? [".map dev, type=devmap, key=4, value=4, max_entries=4"] : []),
].join("\n");

/** Context offsets (uapi struct xdp_md / struct __sk_buff). */
const XDP = { data: 0, dataEnd: 4, meta: 8, ingressIfindex: 12, rxQueue: 16 };
const SKB = { len: 0, pktType: 4, mark: 8, queueMapping: 12, protocol: 16, priority: 32, ingressIfindex: 36, ifindex: 40, tcIndex: 44, cb: 48, hash: 68, tcClassid: 72, data: 76, dataEnd: 80 };
const SKB_CTX_SIZE = 192;
const XDP_CTX_SIZE = 24;

const SIZES = { 1: "u8", 2: "u16", 4: "u32", 8: "u64" } as const;
type Size = keyof typeof SIZES;

/** lpm_trie keys: prefix length (host order) + IPv4 address bytes; the imm whose LE bytes are the address. */
const LPM_ADDRS = [[10, 1, 2, 3], [10, 1, 2, 9], [10, 1, 9, 9], [10, 9, 9, 9], [11, 0, 0, 0], [10, 1, 2, 0]];
const addrImm = (a: number[]): number => (a[0]! | (a[1]! << 8) | (a[2]! << 16) | (a[3]! << 24)) | 0;
const lpmKey = (prefix: number, a: number[]): Uint8Array => { const k = new Uint8Array(8); new DataView(k.buffer).setUint32(0, prefix, true); k.set(a, 4); return k; };
const u32le = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };

class ProgramWriter {
  lines: string[] = [];
  private n = 0;
  constructor(readonly r: Rng, readonly kind: Kind, readonly index: number, readonly targets: number) {}
  label(): string { return `L${this.index}_${this.n++}`; }
  emit(...ls: string[]): void { this.lines.push(...ls.map((l) => (l.endsWith(":") ? l : `    ${l}`))); }
  /** Fold r0 (a helper's answer) into r7. */
  mixR0(): void { this.emit("r7 *= 31", "r7 += r0"); }
  get dataOff(): number { return this.kind === "xdp" ? XDP.data : SKB.data; }
  get endOff(): number { return this.kind === "xdp" ? XDP.dataEnd : SKB.dataEnd; }

  /** r8 = data, r9 = data_end, skip to the returned label unless [off, off+size) is inside the packet. */
  guard(off: number, size: number): string {
    const skip = this.label();
    this.emit(`r8 = *(u32 *)(r6 + ${this.dataOff})`, `r9 = *(u32 *)(r6 + ${this.endOff})`, "r1 = r8", `r1 += ${off + size}`, `if r1 > r9 goto ${skip}`);
    return skip;
  }
  offset(): number { return this.r.chance(0.7) ? this.r.int(0, 60) : this.r.int(0, 200); }
  size(): Size { return this.r.pick([1, 2, 4, 8] as const); }

  pktRead(): void {
    const off = this.offset(), size = this.size();
    const skip = this.guard(off, size);
    this.emit(`r2 = *(${SIZES[size]} *)(r8 + ${off})`);
    if (size > 1 && this.r.chance(0.5)) this.emit(`r2 = ${this.r.pick(["be", "le", "bswap"])}${this.r.pick([16, 32, 64].filter((w) => w >= size * 8 || this.r.chance(0.5)))} r2`);
    this.emit("r7 *= 31", "r7 += r2", `${skip}:`);
    this.emit("r7 ^= 0x11");
  }
  pktWrite(): void {
    const off = this.offset(), size = this.size();
    const skip = this.guard(off, size);
    if (this.r.chance(0.3) && size < 8) this.emit(`*(${SIZES[size]} *)(r8 + ${off}) = ${this.r.i32()}`);
    else this.emit(`*(${SIZES[size]} *)(r8 + ${off}) = r7`);
    this.emit(`${skip}:`);
  }
  /** A header field turned around in place (ntohs / ntohl of the real bytes). */
  pktSwap(): void {
    const off = this.r.pick([12, 14, 16, 20, 22, 23, 26, 30, 34, 36, 38, 40, 54]);
    const size = this.r.pick([2, 4] as const);
    const skip = this.guard(off, size);
    this.emit(`r2 = *(${SIZES[size]} *)(r8 + ${off})`, `r2 = be${size * 8} r2`, "r2 += 1", `*(${SIZES[size]} *)(r8 + ${off}) = r2`, "r7 += r2", `${skip}:`);
  }
  alu(): void {
    const op = this.r.pick(["+=", "^=", "|=", "*=", "-="]);
    this.emit(`r7 ${op} ${this.r.i32()}`);
    if (this.r.chance(0.3)) this.emit(`r7 ${this.r.pick(["<<=", ">>=", "s>>="])} ${this.r.int(1, 40)}`);
  }

  // ---- maps ----
  private key(map: string): void {
    if (map === "lpm") {
      this.emit(`*(u32 *)(r10 - 8) = ${this.r.chance(0.8) ? 32 : this.r.pick([0, 8, 24, 40])}`, `*(u32 *)(r10 - 4) = ${addrImm(this.r.pick(LPM_ADDRS))}`);
    } else {
      this.emit(`*(u32 *)(r10 - 8) = ${map === "arr" || map === "pca" ? this.r.int(0, 5) : this.r.int(0, 9)}`);
    }
  }
  mapLookup(): void {
    const map = this.r.pick(["arr", "hsh", "pca", "lru", "lpm"]);
    this.key(map);
    const isNull = this.label(), done = this.label();
    this.emit("r2 = r10", "r2 += -8", `r1 = ${map} ll`, "call bpf_map_lookup_elem", `if r0 == 0 goto ${isNull}`);
    this.emit("r1 = *(u64 *)(r0 + 0)");
    if (map === "pca") {
      // Per-CPU values: runs may land on different CPUs in the kernel, so only values nobody writes
      // (offset 0) flow into r7, and offset 8 only ever gets added to (the CPU sum is then the same).
      this.emit("r7 += r1", "lock *(u64 *)(r0 + 8) += r7");
    } else if (map === "lpm") {
      this.emit("r7 *= 31", "r7 += r1", "r1 = r7", "r1 ^= 0x5a5a", "*(u64 *)(r0 + 0) = r1");
    } else {
      this.emit("r7 *= 31", "r7 += r1", this.r.pick(["lock *(u64 *)(r0 + 8) += r7", "*(u64 *)(r0 + 8) = r7", "*(u32 *)(r0 + 4) = r7"]));
    }
    this.emit(`goto ${done}`, `${isNull}:`, "r7 ^= 0x5555", `${done}:`);
  }
  mapUpdate(): void {
    const map = this.r.pick(["arr", "hsh", "lru", "lpm", "hsh", "lru"]);
    this.key(map);
    this.emit("*(u64 *)(r10 - 32) = r7", "r1 = r7", `r1 ^= ${this.r.i32()}`, "*(u64 *)(r10 - 24) = r1");
    const flags = this.r.pick([0, 0, 1, 2, 1, 2, 4, 3, 5, 6]);
    this.emit(`r1 = ${map} ll`, "r2 = r10", "r2 += -8", "r3 = r10", "r3 += -32", `r4 = ${flags}`, "call bpf_map_update_elem");
    this.mixR0();
  }
  mapDelete(): void {
    const map = this.r.pick(["arr", "hsh", "lru", "lpm", "hsh"]);
    if (map === "lpm") this.emit(`*(u32 *)(r10 - 8) = ${this.r.pick([8, 16, 24, 32])}`, `*(u32 *)(r10 - 4) = ${addrImm(this.r.pick(LPM_ADDRS))}`);
    else this.key(map);
    this.emit(`r1 = ${map} ll`, "r2 = r10", "r2 += -8", "call bpf_map_delete_elem");
    this.mixR0();
  }
  /** out[index] = out[index] * 31 + r7: what this program computed so far survives a tail call. */
  flush(): void {
    const skip = this.label();
    this.emit(`*(u32 *)(r10 - 8) = ${this.index}`, "r2 = r10", "r2 += -8", "r1 = out ll", "call bpf_map_lookup_elem", `if r0 == 0 goto ${skip}`,
      "r1 = *(u64 *)(r0 + 0)", "r1 *= 31", "r1 += r7", "*(u64 *)(r0 + 0) = r1", `${skip}:`);
  }
  tailCall(): void {
    this.flush();
    this.emit("r1 = r6", "r2 = jt ll", `r3 = ${this.r.int(0, 3)}`, "call bpf_tail_call", "r7 ^= 0x7777");
  }
  redirect(): void {
    const flags = this.r.pick([0, 0, 1, 2, 8]);
    this.emit(`r1 = ${this.r.pick([1, 2, 7, 100])}`, `r2 = ${flags}`, "call bpf_redirect");
    this.mixR0();
  }
  redirectMap(): void {
    this.emit("r1 = dev ll", `r2 = ${this.r.int(0, 5)}`, `r3 = ${this.r.pick([0, 1, 2, 3, 8, 16, 0x20])}`, "call bpf_redirect_map");
    this.mixR0();
  }
  csumDiff(): void {
    // Two stack buffers filled from the packet (or left as r7-derived bytes), then their difference.
    const off = this.r.int(0, 40);
    const skip = this.guard(off, 16);
    this.emit(`r1 = *(u64 *)(r8 + ${off})`, "*(u64 *)(r10 - 48) = r1", `r1 = *(u64 *)(r8 + ${off + 8})`, "*(u64 *)(r10 - 40) = r1", `${skip}:`);
    const from = this.r.pick([0, 4, 8, 12, 16]), to = this.r.pick([0, 4, 8, 12, 16, 6]);
    this.emit("r1 = r10", "r1 += -48", `r2 = ${from}`, "r3 = r10", "r3 += -64", `r4 = ${to}`, `r5 = ${this.r.chance(0.5) ? 0 : this.r.int(0, 0xffff)}`, "call bpf_csum_diff");
    this.mixR0();
  }

  // ---- XDP ----
  adjustHead(): void {
    this.emit("r1 = r6", `r2 = ${this.r.chance(0.8) ? this.r.int(-64, 40) : this.r.pick([-300, -216, -217, 1000, 60, -40])}`, "call bpf_xdp_adjust_head");
    this.mixR0();
  }
  adjustTail(): void {
    this.emit("r1 = r6", `r2 = ${this.r.chance(0.8) ? this.r.int(-60, 64) : this.r.pick([-1000, 4000, 3000, 256, -14])}`, "call bpf_xdp_adjust_tail");
    this.mixR0();
  }
  adjustMeta(): void {
    this.emit("r1 = r6", `r2 = ${this.r.chance(0.7) ? -4 * this.r.int(0, 10) : this.r.pick([-3, 4, 8, -256, -60, 2])}`, "call bpf_xdp_adjust_meta");
    this.mixR0();
  }
  metaAccess(): void {
    const skip = this.label();
    const size = this.r.pick([4, 8] as const);
    this.emit(`r8 = *(u32 *)(r6 + ${XDP.meta})`, `r9 = *(u32 *)(r6 + ${XDP.data})`, "r1 = r8", `r1 += ${size}`, `if r1 > r9 goto ${skip}`,
      `r2 = *(${SIZES[size]} *)(r8 + 0)`, "r7 *= 31", "r7 += r2", `*(${SIZES[size]} *)(r8 + 0) = r7`, `${skip}:`);
  }
  xdpBytes(): void {
    const store = this.r.chance(0.5);
    const n = this.r.int(1, 16);
    this.emit("*(u64 *)(r10 - 48) = r7", "r1 = r7", "r1 *= 7", "*(u64 *)(r10 - 40) = r1");
    this.emit("r1 = r6", `r2 = ${this.offset()}`, "r3 = r10", "r3 += -48", `r4 = ${n}`, `call bpf_xdp_${store ? "store" : "load"}_bytes`);
    this.mixR0();
    if (!store) this.emit("r1 = *(u64 *)(r10 - 48)", "r7 += r1", "r1 = *(u64 *)(r10 - 40)", "r7 ^= r1");
  }
  xdpBuffLen(): void {
    this.emit("r1 = r6", "call bpf_xdp_get_buff_len");
    this.mixR0();
  }
  xdpCtx(): void {
    this.emit(`r1 = *(u32 *)(r6 + ${this.r.pick([XDP.ingressIfindex, XDP.rxQueue])})`, "r7 *= 31", "r7 += r1");
    this.emit(`r1 = *(u32 *)(r6 + ${XDP.data})`, `r2 = *(u32 *)(r6 + ${XDP.dataEnd})`, "r2 -= r1", "r7 += r2");
    this.emit(`r1 = *(u32 *)(r6 + ${XDP.meta})`, `r2 = *(u32 *)(r6 + ${XDP.data})`, "r2 -= r1", "r7 += r2");
  }

  // ---- tc ----
  skbLoadBytes(): void {
    const n = this.r.int(1, 16);
    this.emit("*(u64 *)(r10 - 48) = r7", "*(u64 *)(r10 - 40) = r7");
    this.emit("r1 = r6", `r2 = ${this.r.chance(0.9) ? this.offset() : this.r.pick([-1, 0x10000])}`, "r3 = r10", "r3 += -48", `r4 = ${n}`, "call bpf_skb_load_bytes");
    this.mixR0();
    this.emit("r1 = *(u64 *)(r10 - 48)", "r7 += r1", "r1 = *(u64 *)(r10 - 40)", "r7 ^= r1");
  }
  skbStoreBytes(): void {
    const n = this.r.int(1, 16);
    this.emit("*(u64 *)(r10 - 48) = r7", "r1 = r7", "r1 *= 3", "*(u64 *)(r10 - 40) = r1");
    this.emit("r1 = r6", `r2 = ${this.offset()}`, "r3 = r10", "r3 += -48", `r4 = ${n}`, `r5 = ${this.r.pick([0, 0, 1, 2, 3, 4])}`, "call bpf_skb_store_bytes");
    this.mixR0();
  }
  /** Rewrite an IPv4 address / port with the checksum helpers (l3 over the IP header, l4 with the pseudo header). */
  csumReplace(): void {
    const field = this.r.pick([{ off: 26, size: 4 }, { off: 30, size: 4 }, { off: 34, size: 2 }, { off: 36, size: 2 }]);
    const skip = this.guard(field.off, field.size);
    const sz = SIZES[field.size as Size];
    this.emit(`r3 = *(${sz} *)(r8 + ${field.off})`, "r4 = r7");
    if (field.size === 2) this.emit("r4 &= 0xffff");
    else this.emit("r4 <<= 32", "r4 >>= 32");
    this.emit(`*(${sz} *)(r8 + ${field.off}) = r4`, "*(u64 *)(r10 - 56) = r3", "*(u64 *)(r10 - 64) = r4");
    const l3flags = this.r.chance(0.8) ? field.size : this.r.pick([0, 2, 4, 8, 0x10]);
    const l3off = this.r.chance(0.85) ? 24 : this.r.pick([25, 200, 1000]);
    if (field.size === 4) {
      this.emit("r1 = r6", `r2 = ${l3off}`, `r5 = ${l3flags}`, "call bpf_l3_csum_replace");
      this.mixR0();
    }
    // TCP checksum at 14 + 20 + 16, UDP at 14 + 20 + 6.
    const l4off = this.r.pick([50, 40, 50, 40, 51, 300]);
    const l4flags = (this.r.chance(0.8) ? field.size : this.r.pick([0, 2, 4, 1])) | (field.size === 4 && this.r.chance(0.7) ? 0x10 : 0) | (this.r.chance(0.3) ? 0x20 : 0) | (this.r.chance(0.05) ? 0x100 : 0);
    this.emit("r1 = r6", `r2 = ${l4off}`, "r3 = *(u64 *)(r10 - 56)", "r4 = *(u64 *)(r10 - 64)", `r5 = ${l4flags}`, "call bpf_l4_csum_replace");
    this.mixR0();
    this.emit(`${skip}:`);
  }
  skbCtxWrite(): void {
    const field = this.r.pick([SKB.mark, SKB.priority, SKB.cb, SKB.cb + 4, SKB.cb + 8, SKB.cb + 12, SKB.cb + 16, SKB.tcIndex, SKB.tcClassid, SKB.queueMapping]);
    if (this.r.chance(0.3)) this.emit(`*(u32 *)(r6 + ${field}) = ${this.r.pick([0, 1, 0xfffe, 0xffff, 0x10000, -1, this.r.i32()])}`);
    else if (this.r.chance(0.3)) this.emit("r1 = r7", "r1 &= 0x1ffff", `*(u32 *)(r6 + ${field}) = r1`);
    else this.emit(`*(u32 *)(r6 + ${field}) = r7`);
    if (this.r.chance(0.5)) this.emit(`r1 = *(u32 *)(r6 + ${field})`, "r7 += r1");
  }
  skbAdjustRoom(): void {
    const diff = this.r.chance(0.8) ? this.r.pick([-40, -20, -8, -4, 4, 8, 14, 20, 40, 60]) : this.r.pick([0, -1, 3, -3000, 5000, 0x1000]);
    const l2 = (n: number): bigint => BigInt(n) << 56n;
    const flags = this.r.chance(0.5) ? 0n : this.r.pick([1n, 2n, 4n, 6n, 0x20n, 0x40n, 0x200n, 0x1000n, 2n | 8n, 4n | 16n, 2n | 8n | 16n, 2n | 0x40n | l2(14),
      2n | l2(14), 4n | 0x40n | l2(8), 2n | l2(60), 0x80n, 0x100n, 0x180n, 0x80n | 0x20n, 0x100n | 1n, 2n | 0x20n]);
    this.emit("r1 = r6", `r2 = ${diff}`, `r3 = ${this.r.pick([0, 1, 0, 1, 2])}`, `r4 = ${flags} ll`, "call bpf_skb_adjust_room");
    this.mixR0();
  }
  skbChangeProto(): void {
    this.emit("r1 = r6", `r2 = ${this.r.pick([0x0008, 0xdd86, 0x0008, 0xdd86, 0x0608])}`, `r3 = ${this.r.chance(0.9) ? 0 : 1}`, "call bpf_skb_change_proto");
    this.mixR0();
  }
  skbLoadRelative(): void {
    const n = this.r.int(1, 16);
    this.emit("*(u64 *)(r10 - 48) = r7", "*(u64 *)(r10 - 40) = r7");
    this.emit("r1 = r6", `r2 = ${this.r.chance(0.9) ? this.r.int(0, 80) : this.r.pick([0x10000, -1])}`, "r3 = r10", "r3 += -48", `r4 = ${n}`, `r5 = ${this.r.pick([0, 1, 0, 1, 2])}`, "call bpf_skb_load_bytes_relative");
    this.mixR0();
    this.emit("r1 = *(u64 *)(r10 - 48)", "r7 += r1", "r1 = *(u64 *)(r10 - 40)", "r7 ^= r1");
  }
  skbVlan(): void {
    if (this.r.chance(0.5)) this.emit("r1 = r6", `r2 = ${this.r.pick([0x0081, 0xa888, 0x0008])}`, `r3 = ${this.r.int(0, 0xffff)}`, "call bpf_skb_vlan_push");
    else this.emit("r1 = r6", "call bpf_skb_vlan_pop");
    this.mixR0();
    for (const f of [20, 24, 28]) this.emit(`r1 = *(u32 *)(r6 + ${f})`, "r7 *= 31", "r7 += r1");
  }
  skbMisc(): void {
    switch (this.r.int(0, 3)) {
      case 0: this.emit("r1 = r6", `r2 = ${this.r.i32()}`, "call bpf_set_hash", "r7 += r0", `r1 = *(u32 *)(r6 + ${SKB.hash})`, "r7 *= 31", "r7 += r1"); break;
      case 1: this.emit("r1 = r6", `r2 = ${this.r.int(0, 5)}`, "call bpf_skb_change_type"); this.mixR0(); this.emit(`r1 = *(u32 *)(r6 + ${SKB.pktType})`, "r7 += r1"); break;
      case 2: this.emit("r1 = r6", `r2 = ${this.r.int(0, 4)}`, "call bpf_csum_level"); this.mixR0(); break;
      default: this.emit("r1 = r6", `r2 = ${this.r.i32()}`, "call bpf_csum_update"); this.mixR0(); break;
    }
  }
  skbCtxRead(): void {
    const field = this.r.pick([SKB.len, SKB.pktType, SKB.mark, SKB.queueMapping, SKB.protocol, SKB.priority, SKB.ingressIfindex, SKB.ifindex, SKB.tcIndex, SKB.tcClassid, SKB.cb, SKB.cb + 16, SKB.hash]);
    this.emit(`r1 = *(u32 *)(r6 + ${field})`, "r7 *= 31", "r7 += r1");
  }
}

type Step = (w: ProgramWriter) => void;
const COMMON: [number, Step][] = [
  [4, (w) => w.pktRead()], [3, (w) => w.pktWrite()], [2, (w) => w.pktSwap()], [2, (w) => w.alu()],
  [3, (w) => w.mapLookup()], [3, (w) => w.mapUpdate()], [1, (w) => w.mapDelete()], [1, (w) => w.redirect()], [1, (w) => w.csumDiff()],
];
const XDP_STEPS: [number, Step][] = [
  [3, (w) => w.adjustHead()], [3, (w) => w.adjustTail()], [2, (w) => w.adjustMeta()], [2, (w) => w.metaAccess()],
  [1, (w) => w.xdpBytes()], [1, (w) => w.xdpCtx()], [1, (w) => w.redirectMap()], [1, (w) => w.xdpBuffLen()],
];
const TC_STEPS: [number, Step][] = [
  [2, (w) => w.skbLoadBytes()], [2, (w) => w.skbStoreBytes()], [3, (w) => w.csumReplace()], [2, (w) => w.skbCtxWrite()], [2, (w) => w.skbCtxRead()],
  [2, (w) => w.skbAdjustRoom()], [1, (w) => w.skbChangeProto()], [1, (w) => w.skbLoadRelative()], [1, (w) => w.skbVlan()], [1, (w) => w.skbMisc()],
];

function pickStep(r: Rng, table: [number, Step][]): Step {
  let x = r.int(0, table.reduce((n, [w]) => n + w, 0) - 1);
  for (const [w, s] of table) { if (x < w) return s; x -= w; }
  return table[0]![1];
}

/** A program as its prologue, its steps (each verifier-safe on its own) and its epilogue. */
interface ProgramChunks { kind: Kind; index: number; head: string[]; steps: string[][]; tail: string[] }

function programChunks(r: Rng, kind: Kind, index: number, targets: number, steps: number): ProgramChunks {
  const w = new ProgramWriter(r, kind, index, targets);
  w.emit("r6 = r1", `r7 = ${BigInt.asIntN(64, (BigInt(r.u32()) << 32n) | BigInt(r.u32()))} ll`, "r1 = 0");
  for (let off = 8; off <= 64; off += 8) w.emit(`*(u64 *)(r10 - ${off}) = r1`);
  const head = w.lines;
  const out: string[][] = [];
  const table = [...COMMON, ...(kind === "xdp" ? XDP_STEPS : TC_STEPS), ...(targets > 0 ? [[1, (x: ProgramWriter) => x.tailCall()] as [number, Step]] : [])];
  for (let i = 0; i < steps; i++) { w.lines = []; pickStep(r, table)(w); out.push(w.lines); }
  w.lines = [];
  w.flush();
  w.emit("r0 = r7", "exit");
  return { kind, index, head, steps: out, tail: w.lines };
}

function programSource(c: ProgramChunks, drop: ReadonlySet<number> = new Set()): string {
  const body = [...c.head, ...c.steps.filter((_, i) => !drop.has(i)).flat(), ...c.tail];
  return `.section ${c.kind}\n.license "GPL"\n.name p${c.index}\n${MAPS(c.kind)}\n${body.join("\n")}\n`;
}

// ---- packets ----
function randomPacket(r: Rng, kind: Kind): Uint8Array {
  const roll = r.int(0, 9);
  if (roll < 2) {
    // Short or odd frames: a non-IP EtherType for tc (the skb test run insists on a whole IP header).
    const f = r.bytes(r.int(14, 48));
    if (kind === "tc" || r.chance(0.5)) { f[12] = 0x88; f[13] = 0xb5; }
    else { f[12] = 0x08; f[13] = 0x00; }
    return f;
  }
  const v6 = r.chance(0.35);
  const l4 = r.pick(["tcp", "udp", "udp", "tcp", "none"] as const);
  const vlans = r.chance(0.15) ? [{ id: r.int(0, 4095) }, ...(r.chance(0.3) ? [{ id: r.int(0, 4095), tpid: r.pick([0x8100, 0x88a8]) }] : [])] : [];
  const spec: PacketSpec = {
    ...(vlans.length ? { vlan: vlans } : {}),
    eth: { src: "02:00:00:00:00:01", dst: r.pick(["02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "01:00:5e:00:00:01"]) },
    ...(v6 ? { ipv6: { src: "2001:db8::1", dst: "2001:db8::2", hopLimit: r.int(1, 255) } } : { ipv4: { src: `10.1.2.${r.int(0, 255)}`, dst: `192.168.${r.int(0, 255)}.2`, ttl: r.int(1, 255), id: r.int(0, 0xffff) } }),
    ...(l4 === "tcp" ? { tcp: { srcPort: r.int(1, 65535), dstPort: r.int(1, 65535), seq: r.u32(), flags: r.pick(["SYN", "ACK", "SYN|ACK", "PSH|ACK"]) } } : {}),
    ...(l4 === "udp" ? { udp: { srcPort: r.int(1, 65535), dstPort: r.int(1, 65535) } } : {}),
    payload: r.bytes(r.chance(0.2) ? r.int(200, 600) : r.int(0, 60)),
  };
  return buildPacket(spec);
}

function ctxFor(r: Rng, kind: Kind, data: Uint8Array): Uint8Array | undefined {
  if (kind === "tc") {
    const c = new Uint8Array(SKB_CTX_SIZE);
    const dv = new DataView(c.buffer);
    dv.setUint32(SKB.mark, r.u32(), true);
    dv.setUint32(SKB.priority, r.chance(0.5) ? r.u32() : 0, true);
    for (let i = 0; i < 5; i++) if (r.chance(0.5)) dv.setUint32(SKB.cb + 4 * i, r.u32(), true);
    return c;
  }
  if (r.chance(0.6)) return undefined;
  const c = new Uint8Array(XDP_CTX_SIZE);
  const dv = new DataView(c.buffer);
  dv.setUint32(XDP.data, r.pick([0, 4, 8, 16].filter((m) => m <= data.length - 14)), true); // the metadata length
  dv.setUint32(XDP.dataEnd, data.length, true);
  return c;
}

function mapSeed(r: Rng): MapSeed {
  const val = (n: number): Uint8Array => r.bytes(n);
  const seed: MapSeed = {
    arr: [0, 1, 2, 3].filter(() => r.chance(0.7)).map((k) => [u32le(k), val(16)] as const),
    hsh: [...new Set(Array.from({ length: r.int(0, 5) }, () => r.int(0, 9)))].map((k) => [u32le(k), val(16)] as const),
    pca: [0, 1, 2, 3].map((k) => [u32le(k), val(16)] as const),
    lru: [...new Set(Array.from({ length: r.int(0, 5) }, () => r.int(0, 9)))].map((k) => [u32le(k), val(16)] as const),
    lpm: [[8, [10, 0, 0, 0]], [16, [10, 1, 0, 0]], [24, [10, 1, 2, 0]], [32, [10, 1, 2, 3]]].filter(() => r.chance(0.6))
      .map(([p, a]) => [lpmKey(p as number, a as number[]), val(8)] as const),
    out: [0, 1, 2, 3].map((k) => [u32le(k), val(8)] as const),
  };
  return seed;
}

export interface CaseOptions {
  /** Steps of the main program left out (minimising a mismatch: see `minimiseCase`). */
  drop?: ReadonlySet<number>;
}

/** One case: a program (plus 0-2 tail-call targets), two packets, map contents. */
export function generateCase(seed: number, kind: Kind, options: CaseOptions = {}): GeneratedCase & { steps: number } {
  const r = new Rng(seed);
  const targets = r.chance(0.35) ? r.int(1, 2) : 0;
  const chunks = [programChunks(r, kind, 0, targets, r.int(3, 14))];
  for (let t = 1; t <= targets; t++) chunks.push(programChunks(r, kind, t, targets, r.int(1, 6)));
  const sources = chunks.map((c, i) => programSource(c, i === 0 ? options.drop : undefined));
  const name = `${kind} seed ${seed}`;
  const programs = sources.map((s, i) => assemble(s, { file: `${name} p${i}` }));
  if (targets) {
    const jt = programs[0]!.maps.find((m) => m.name === "jt")!;
    // Slots 0..targets-1 hold the targets; slot 3 names the first target again (a loop when it tail-calls).
    jt.initialSlots = [...Array.from({ length: targets }, (_, i) => ({ index: i, target: `p${i + 1}` })), { index: 3, target: "p1" }];
  }
  const inputs: EngineInput[] = [0, 1].map((i) => {
    const data = randomPacket(r, kind);
    const ctx = ctxFor(r, kind, data);
    return { name: `packet ${i} (${data.length} bytes)`, data, ...(ctx ? { ctx } : {}) };
  });
  return { name, kind, programs, sources, inputs, maps: mapSeed(r), steps: chunks[0]!.steps.length };
}

/**
 * Greedily drop steps of the main program while `fails` still holds; returns the smallest case found
 * (same seed, same packets and maps), for a readable report.
 */
export function minimiseCase(seed: number, kind: Kind, fails: (c: GeneratedCase) => boolean): GeneratedCase {
  const drop = new Set<number>();
  const total = generateCase(seed, kind).steps;
  for (let i = 0; i < total; i++) {
    drop.add(i);
    if (!fails(generateCase(seed, kind, { drop }))) drop.delete(i);
  }
  return generateCase(seed, kind, { drop });
}
