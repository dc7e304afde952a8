// Replay a capture through a program: feed each packet to any engine's run function and collect the
// verdicts and the packets as the program left them, ready to be written back with writePcap.
import type { Capture, CapturedPacket } from "./capture.js";

export interface ReplayRun { retval: number | bigint; data: Uint8Array }

export interface ReplayResult {
  /** One entry per input packet, in order. */
  results: { index: number; retval: number | bigint; data: Uint8Array }[];
  /** Output packets (timestamps kept), optionally only those `keep` accepted (e.g. XDP_TX / XDP_PASS). */
  packets: CapturedPacket[];
}

export async function replayCapture(capture: Capture | readonly CapturedPacket[], run: (data: Uint8Array, index: number) => ReplayRun | Promise<ReplayRun>,
  keep: (retval: number | bigint) => boolean = () => true): Promise<ReplayResult> {
  const input = Array.isArray(capture) ? capture : (capture as Capture).packets;
  const results: ReplayResult["results"] = [];
  const packets: CapturedPacket[] = [];
  for (const [index, p] of input.entries()) {
    const r = await run(p.data, index);
    results.push({ index, retval: r.retval, data: r.data });
    if (keep(r.retval)) packets.push({ timestamp: p.timestamp, data: r.data, originalLength: r.data.length });
  }
  return { results, packets };
}
