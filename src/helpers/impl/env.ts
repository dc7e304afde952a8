// What a helper implementation sees: its arguments r1-r5, the shared memory, and the runtime that hosts
// the program (maps by handle, the run's captured output, the packet, the deterministic clock and PRNG).
import type { RuntimeMap } from "../../maps/runtime/map.js";
import type { RingbufMap } from "../../maps/runtime/ringbuf.js";
import type { RuntimeMemory } from "../../runtime/memory.js";

/** The packet of the current run (addresses in the shared memory). */
export interface PacketState {
  /** Start and end of the whole buffer (headroom + data + tailroom). */
  frame: number;
  frameEnd: number;
  /** Lowest address data may move to (XDP: after the xdp_frame room). */
  minData: number;
  /** Highest address data_end may move to (XDP: frame end minus the skb_shared_info tailroom). */
  maxEnd: number;
  meta: number;
  data: number;
  dataEnd: number;
  /** skb-based types: the packet starts at the Ethernet header but skb->data may sit at L3. */
  kind: "xdp" | "skb";
  /** skb-based types: how far skb->data lies past the Ethernet (MAC) header (14 for socket filters and cgroup_skb, 0 for tc). */
  macOffset?: number;
  /** skb: CHECKSUM_UNNECESSARY and its csum_level once bpf_csum_level raised it (test-run skbs start CHECKSUM_NONE). */
  csumLevel?: number;
  /** skb: skb->encapsulation, set by bpf_skb_adjust_room growing with encap flags. */
  encapsulated?: boolean;
}

export interface Redirect {
  helper: "redirect" | "redirect_map";
  ifindex?: number;
  flags: number;
  map?: string;
  key?: number;
  target?: number;
}

export interface RunCapture {
  trace: string[];
  redirect?: Redirect;
  tailCalls: number;
  /** skb hash set by set_hash / computed by get_hash_recalc. */
  locks: Set<number>;
}

export interface RuntimeHost {
  readonly mem: RuntimeMemory;
  readonly progTypeName: string;
  readonly cpus: number;
  cpu(): number;
  capture: RunCapture;
  packet?: PacketState;
  /** Address of the context struct. */
  readonly ctxAddr: number;
  /** Read / write a 32-bit context field by name (`mark`, `hash`, `vlan_tci`); undefined if the layout has none. */
  ctxField(name: string): number | undefined;
  setCtxField(name: string, value: number): void;
  /** The map whose handle a program passed, or a BK5017 error naming the helper. */
  map(handle: bigint, helper: string): RuntimeMap;
  /** Deterministic clock (ns) the test controls. */
  now(): bigint;
  /** Seeded PRNG (xorshift). */
  random32(): number;
  /** Update ctx data/data_end/data_meta and the checked-mode regions after the packet moved. */
  packetChanged(): void;
  /** bpf_tail_call: switch to the program in `map` at `index`; false when the slot is empty or the limit is hit. */
  tailCall(map: RuntimeMap, index: number): boolean;
  /** Every ring buffer map of the runtime (submit/discard find the record's ring by address). */
  ringbufs(): RingbufMap[];
  /** Run BPF code at an entry address (a callback) with r1-r5; returns r0. */
  callback(entry: number, args: bigint[]): bigint;
  /** Fixed identity values for get_current_*. */
  readonly task: { pid: number; tgid: number; uid: number; gid: number; comm: string };
}

export interface HelperCall {
  readonly id: number;
  readonly name: string;
  readonly pc: number;
  readonly args: readonly [bigint, bigint, bigint, bigint, bigint];
  readonly rt: RuntimeHost;
}

/** A helper's implementation: returns r0 (negative errno as a two's complement u64). */
export type HelperImpl = (call: HelperCall) => bigint;

/** -errno as the u64 r0 holds. */
export const err = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
export const ok = 0n;
export const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));
export const addr = (v: bigint): number => Number(BigInt.asUintN(32, v));
export const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

import { BpfkitError, diag } from "../../diagnostics/index.js";
/** Stop the run with a clear error naming the helper and the pc of the call. */
export function helperFail(c: HelperCall, what: string): never {
  throw new BpfkitError(diag("BK5017", { name: c.name, id: c.id, what }, { pc: c.pc }), 1);
}
