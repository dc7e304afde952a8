// Shared links: the playground's state survives the trip through the URL fragment exactly.
import { describe, expect, it } from "vitest";
import { decodeState, encodeState, fromBase64url, toBase64url, type SharedState } from "../../playground/src/share.js";
import { DEFAULT_FIELDS } from "../../playground/src/packets.js";

const state: SharedState = {
  v: 1,
  source: ".section xdp\n  r0 = 1 ; drop — with a non-ASCII comment ✓\n  exit\n".repeat(40),
  syntax: "llvm",
  origin: { lesson: "bounds" },
  packets: [{ kind: "build", label: "a", fields: { ...DEFAULT_FIELDS, dstPort: "22" } }, { kind: "hex", label: "b", hex: "02 00 00 00 00 01" }],
  packet: 1,
  maps: { blocked: [{ key: "0a000001", value: "0000000000000000" }] },
};

describe("share links", () => {
  it("round-trip the state through #s=base64url(deflate-raw(JSON))", async () => {
    const hash = await encodeState(state);
    expect(hash).toMatch(/^s=[A-Za-z0-9_-]+$/);
    expect(hash.length).toBeLessThan(JSON.stringify(state).length / 4); // compressed
    expect(await decodeState(`#${hash}`)).toEqual(state);
  });

  it("carry an uploaded object's bytes", async () => {
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    const s: SharedState = { ...state, origin: { object: { name: "x.o", base64: toBase64url(bytes) }, program: "p" } };
    const back = await decodeState(await encodeState(s));
    expect(fromBase64url(back!.origin!.object!.base64)).toEqual(bytes);
  });

  it("ignore a URL without state and explain a damaged one", async () => {
    expect(await decodeState("")).toBeUndefined();
    expect(await decodeState("#section-2")).toBeUndefined();
    const hash = await encodeState(state);
    await expect(decodeState(hash.slice(0, hash.length / 2))).rejects.toThrow(/damaged/);
  });
});
