// Packets and captures: builders, parsers, checksum checks, incremental checksums, pcap/pcapng.
import { fail } from "../diagnostics/index.js";
import type { Capture } from "./capture.js";
import { isPcap, readPcap } from "./pcap.js";
import { isPcapng, readPcapng } from "./pcapng.js";

export * from "./addr.js";
export * from "./build.js";
export * from "./capture.js";
export * from "./checksum.js";
export * from "./constants.js";
export * from "./incremental.js";
export * from "./parse.js";
export * from "./pcap.js";
export * from "./pcapng.js";
export * from "./replay.js";
export * from "./verify.js";

/** Read a pcap or pcapng file, whichever the magic says. */
export function readCapture(bytes: Uint8Array): Capture {
  if (isPcapng(bytes)) return readPcapng(bytes);
  if (isPcap(bytes)) return readPcap(bytes);
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  return fail("BK9504", { magic: magic || "(empty)" }, { offset: 0 });
}
