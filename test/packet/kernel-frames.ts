// Frames the Linux kernel built, captured by fixtures/capture-frames.py: an oracle independent of src/packet.
import { readFileSync } from "node:fs";

export const kernelFrames: Uint8Array[] = readFileSync(new URL("./fixtures/kernel-frames.hex", import.meta.url), "utf8")
  .split("\n").filter((l) => l && !l.startsWith("#")).map((l) => Uint8Array.from(Buffer.from(l.trim(), "hex")));

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
