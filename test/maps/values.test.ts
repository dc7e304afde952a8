import { describe, expect, it } from "vitest";
import { parseBytes } from "../../src/maps/values.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("map key and value text", () => {
  it("reads lpm_trie keys as ADDR/LEN with a host-order prefix length", () => {
    expect(hex(parseBytes("192.0.2.0/24", 8, "key"))).toBe("18000000c0000200");
    expect(hex(parseBytes("2001:db8::/32", 20, "key"))).toBe("2000000020010db8000000000000000000000000");
  });

  it("reads decimal as little-endian of the map's width, IPv4 in network order, and hex bytes", () => {
    expect(hex(parseBytes("258", 4, "key"))).toBe("02010000");
    expect(hex(parseBytes("-1", 2, "value"))).toBe("ffff");
    expect(hex(parseBytes("10.0.0.1", 4, "key"))).toBe("0a000001");
    expect(hex(parseBytes("0xdeadbeef", 4, "key"))).toBe("deadbeef");
  });

  it("says what it expected when the text does not fit", () => {
    expect(() => parseBytes("abc", 4, "key of map 'm'")).toThrow(/key of map 'm': expected 4 bytes as hex \(8 digits\), a decimal number, an IPv4 address, got 'abc'/);
    expect(() => parseBytes("10.0.0.0/8", 4, "key")).toThrow(/lpm_trie key of 8 bytes/);
    expect(() => parseBytes("10.0.0.0/40", 8, "key")).toThrow(/prefix length of at most 32/);
  });
});
