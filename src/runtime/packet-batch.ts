// Packets as a batch takes them: a list of byte arrays, or one buffer with each packet's offset and length
// (a capture file as read: its packets are spans of one buffer, so they are copied into the runtime's
// memory in one go, not one by one).
import type { RunCapture } from "../helpers/impl/index.js";

export type PacketList = readonly Uint8Array[] | PacketSpans;

/** Packets as spans of one buffer: packet i is bytes[offsets[i] .. offsets[i] + lengths[i]). */
export interface PacketSpans {
  readonly bytes: Uint8Array;
  readonly offsets: ArrayLike<number>;
  readonly lengths: ArrayLike<number>;
}

export const isSpans = (p: PacketList): p is PacketSpans => !Array.isArray(p);
export const packetCount = (p: PacketList): number => (isSpans(p) ? p.lengths.length : (p as readonly Uint8Array[]).length);
export const packetAt = (p: PacketList, i: number): Uint8Array => {
  if (!isSpans(p)) return (p as readonly Uint8Array[])[i]!;
  const o = p.offsets[i]!;
  return p.bytes.subarray(o, o + p.lengths[i]!);
};

/**
 * A batch of packets laid out once in a runtime's memory (RuntimeProgram.loadPackets): the loaded bytes,
 * and a working copy the program runs on in place.
 */
export interface PacketArena {
  readonly count: number;
  /** Byte offset of each packet in the loaded (and working) area. */
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  /** Addresses: loaded bytes, working copy (same layout), their size; input records; r0 low, r0 high, counts (u32 each). */
  readonly orig: number;
  readonly work: number;
  readonly bytes: number;
  readonly recs: number;
  readonly rets: number;
  readonly highs: number;
  readonly counts: number;
  /**
   * Each run's per-packet results, copied here from the runtime's memory: arrays made once per batch and
   * overwritten by every run (allocating fresh typed arrays of a large batch costs more than the run).
   */
  readonly retval: Uint32Array;
  readonly r0high: Uint32Array;
  readonly insnCount: Uint32Array;
  /** Which load of the runtime's arena this is (a later load replaces it). */
  readonly generation: number;
  /** Runs of this batch so far. */
  runs: number;
}

/** What one run of an arena gives back (RuntimeProgram.runArena), copied out of the runtime's memory. */
export interface ArenaRun {
  /** The arena's arrays (overwritten by its next run): r0's low and high 32 bits (0 for packets with an error), instructions. */
  readonly retval: Uint32Array;
  readonly r0high: Uint32Array;
  readonly insnCount: Uint32Array;
  /** Which run of the arena this is. */
  readonly run: number;
  readonly errors: ReadonlyMap<number, Error>;
  /** Host state of packets that called a host helper (trace lines, redirect), by index. */
  readonly captures: ReadonlyMap<number, { capture: RunCapture; nested: number }>;
  /** ns per packet inside WebAssembly (the driver calls, no JavaScript per packet). */
  readonly duration: number;
  /** The working copy as this run left it (copied out on first use; valid until the arena runs again). */
  output(): Uint8Array;
}
