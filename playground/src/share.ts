// Sharing: the playground's state (program, packets, map entries, where the program came from) as the
// URL's fragment, `#s=` + base64url(deflate-raw(JSON)). The fragment never reaches a server, and a link
// reproduces what its sender saw. CompressionStream is in every current browser and in Node 18+.
import type { PacketInput } from "./packets.js";

export interface SharedState {
  v: 1;
  /** The editor's text. */
  source: string;
  syntax: "auto" | "llvm" | "mnemonic";
  /**
   * Where the text came from: an example or lesson by id, or an uploaded object (its bytes, base64),
   * whose unedited disassembly is verified with the object's BTF.
   */
  origin?: { example?: string; lesson?: string; object?: { name: string; base64: string }; program?: string };
  packets: PacketInput[];
  /** The selected packet. */
  packet: number;
  /** Entries to write into each map before a run, as hex key -> hex value. */
  maps: Record<string, { key: string; value: string }[]>;
}

const PREFIX = "s=";

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

export function toBase64url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const s = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The fragment (without '#') that encodes `state`. */
export async function encodeState(state: SharedState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + toBase64url(await pipe(json, new CompressionStream("deflate-raw")));
}

/** The state in a fragment (with or without '#'); undefined when there is none; throws on a damaged one. */
export async function decodeState(hash: string): Promise<SharedState | undefined> {
  const h = hash.replace(/^#/, "");
  if (!h.startsWith(PREFIX)) return undefined;
  let json: string;
  try {
    json = new TextDecoder().decode(await pipe(fromBase64url(h.slice(PREFIX.length)), new DecompressionStream("deflate-raw")));
  } catch {
    throw new Error("the link's program data is damaged (was it cut short?)");
  }
  const s = JSON.parse(json) as SharedState;
  if (s.v !== 1 || typeof s.source !== "string") throw new Error("the link was made by another version of the playground");
  return { ...s, packets: s.packets ?? [], packet: s.packet ?? 0, maps: s.maps ?? {}, syntax: s.syntax ?? "auto" };
}
