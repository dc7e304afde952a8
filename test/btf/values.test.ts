// The BTF value codec (src/btf/values.ts): map keys and values by their C type, as text, as JSON and as
// JS values, on objects clang built (test/fixtures/btf-values, bpf/). Issue #15 items 10 and 13.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeValue, describeShape, encodeValue, formatValue, isAddressName, jsonValue, mapShapes, parseProgramBtf, parseValue, rawShape, ValueSyntaxError } from "../../src/btf/values.js";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { loadObject } from "../../src/elf/index.js";

function shapes(file: string) {
  const obj = loadObject(new Uint8Array(readFileSync(file)), { file });
  const p = obj.programs[0]!;
  const btf = parseProgramBtf(p.btf?.raw);
  return (name: string) => {
    const spec = obj.maps.find((m) => m.name === name)!;
    return mapShapes(spec, btf);
  };
}
const typed = shapes("test/fixtures/btf-values/typed_maps.bpf.o");
const bytes = (...b: number[]) => Uint8Array.from(b);
const le32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return Array.from(b); };

describe("address rule", () => {
  it("an address name is the whole name or its last word", () => {
    for (const n of ["addr", "saddr", "daddr", "ip", "remote_ip4", "s_addr", "backend_ip", "vip", "dst_addr"]) expect(isAddressName(n), n).toBe(true);
    for (const n of ["addr_count", "ifindex", "port", "ips", "mark", "ip_count"]) expect(isAddressName(n), n).toBe(false);
    expect(isAddressName("local_ip6")).toBe(false);
    expect(isAddressName("local_ip6", true)).toBe(true);
  });

  it("__be32 saddr/daddr are IPv4, __be16 ports are numbers in network order", () => {
    const { key } = typed("flows");
    const k = bytes(192, 0, 2, 1, 10, 0, 0, 2, 0x1f, 0x90, 0, 80, 6, 0, 0, 0);
    expect(formatValue(key, k)).toBe("{saddr: 192.0.2.1, daddr: 10.0.0.2, sport: 8080, dport: 80, proto: 6, pad: [0, 0, 0]}");
    expect(Array.from(parseValue(key, "{saddr: 192.0.2.1, daddr: 10.0.0.2, sport: 8080, dport: 80, proto: 6}"))).toEqual(Array.from(k));
    expect(jsonValue(key, k)).toEqual({ saddr: "192.0.2.1", daddr: "10.0.0.2", sport: 8080, dport: 80, proto: 6, pad: [0, 0, 0] });
  });

  it("struct in6_addr is IPv6 whatever its field is called", () => {
    const { key, value } = typed("flows6");
    const k = parseValue(key, "{saddr: 2001:db8::1, daddr: fe80::2, ifindex: 3}");
    expect(Array.from(k.subarray(0, 16))).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(formatValue(key, k)).toBe("{saddr: 2001:db8::1, daddr: fe80::2, ifindex: 3}");
    expect(describeShape(value)).toBe("u64");
  });

  it("a __u32 named like an address is IPv4; addr_count is a number; u32[4] local_ip6 is IPv6; a MAC by name", () => {
    const { value } = typed("counters");
    const v = parseValue(value, "{addr_count: 3, remote_ip4: 10.1.2.3, local_ip6: ::1, src_mac: 02:00:00:00:00:01}");
    expect(formatValue(value, v)).toBe("{addr_count: 3, remote_ip4: 10.1.2.3, local_ip6: ::1, src_mac: 02:00:00:00:00:01, pad: 0}");
    expect(Array.from(v.subarray(4, 8))).toEqual([10, 1, 2, 3]);
  });
});

describe("LPM trie keys", () => {
  it("{prefixlen, data[16]} is ADDR/LEN, and takes the struct form too", () => {
    const { key } = typed("lpm6");
    expect(key.kind).toBe("prefix");
    const k = parseValue(key, "2001:db8::/32");
    expect(Array.from(k.subarray(0, 4))).toEqual(le32(32));
    expect(formatValue(key, k)).toBe("2001:db8::/32");
    expect(Array.from(parseValue(key, "{prefixlen: 32, data: 2001:db8::}"))).toEqual(Array.from(k));
    expect(() => parseValue(key, "192.0.2.0/24")).toThrow(/expected an IPv6 prefix like 2001:db8::\/32/);
    expect(() => parseValue(key, "2001:db8::/129")).toThrow(/prefix length of at most 128/);
  });

  it("an LPM key with more than an address stays a struct", () => {
    const { key } = typed("lpm_port");
    expect(key.kind).toBe("struct");
    expect(formatValue(key, parseValue(key, "{prefixlen: 48, port: 443, addr: 192.0.2.0}"))).toBe("{prefixlen: 48, port: 443, pad: 0, addr: 192.0.2.0}");
  });

  it("the examples' LPM keys: {prefixlen, addr[4]} and {prefixlen, addr[16]}", () => {
    const ddos = shapes("bpf/xdp_ddos_blocklist.bpf.o");
    expect(formatValue(ddos("blocklist_v4").key, bytes(...le32(24), 192, 0, 2, 0))).toBe("192.0.2.0/24");
    expect(formatValue(ddos("blocklist_v6").key, parseValue(ddos("blocklist_v6").key, "2001:db8:bad::/48"))).toBe("2001:db8:bad::/48");
    expect(formatValue(ddos("stats").value, bytes(5, 0, 0, 0, 0, 0, 0, 0))).toBe("5");
  });

  it("without BTF an 8- or 20-byte lpm_trie key is a prefix too; other keys are hex", () => {
    const s = mapShapes({ type: "lpm_trie", keySize: 8, valueSize: 8 }, undefined);
    expect(s.typed).toBe(false);
    expect(formatValue(s.key, parseValue(s.key, "10.0.0.0/8"))).toBe("10.0.0.0/8");
    const h = mapShapes({ type: "hash", keySize: 8, valueSize: 8 }, undefined);
    expect(formatValue(h.key, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toBe("01 02 03 04 05 06 07 08");
  });
});

describe("structs, enums, bitfields, unions, strings", () => {
  it("by field, enums by name, bitfields by value, char arrays as strings", () => {
    const { value } = typed("flows");
    const v = parseValue(value, `{packets: 10, bytes: 18446744073709551615, last: V_LOG, name: "eth0", flags: 5, level: 31, delta: -4}`);
    expect(formatValue(value, v)).toBe(`{packets: 10, bytes: 18446744073709551615, last: V_LOG, name: "eth0", flags: 5, level: 31, delta: -4}`);
    // u64 beyond 2^53 stays exact: a string in JSON, a bigint for the library
    expect((jsonValue(value, v) as Record<string, unknown>).bytes).toBe("18446744073709551615");
    expect((decodeValue(value, v, { bigints: true }) as Record<string, unknown>).bytes).toBe(18446744073709551615n);
    expect((decodeValue(value, v, { bigints: true }) as Record<string, unknown>).packets).toBe(10n);
    expect(() => parseValue(value, "{flags: 8}")).toThrow(/does not fit a 3-bit field/);
    expect(() => parseValue(value, "{last: V_NOPE}")).toThrow(/expected V_PASS, V_DROP, V_LOG or a number/);
  });

  it("a union shows every member", () => {
    const { value } = typed("unions");
    expect(formatValue(value, bytes(1, 2, 3, 4))).toBe(`{as_u32: ${0x04030201}, bytes: [1, 2, 3, 4]}`);
  });
});

describe("JS values (the library's typed accessors)", () => {
  it("objects by field, numbers and bigints for integers, strings in the text syntax, bytes as they are", () => {
    const { key, value } = typed("flows");
    const k = encodeValue(key, { saddr: "192.0.2.1", daddr: "10.0.0.2", sport: 8080, dport: 80n, proto: 6 });
    expect(formatValue(key, k)).toMatch(/^\{saddr: 192\.0\.2\.1, daddr: 10\.0\.0\.2, sport: 8080, dport: 80, proto: 6/);
    expect(Array.from(encodeValue(key, k))).toEqual(Array.from(k));
    expect(() => encodeValue(key, new Uint8Array(3), "key")).toThrow(/key: 3 bytes given, the type is 16 bytes/);
    expect(() => encodeValue(value, { packets: "many" }, "value")).toThrow(/value\.packets: expected an integer, got 'many'/);
    expect(Array.from(encodeValue(rawShape(4), 258))).toEqual([2, 1, 0, 0]);
  });

  it("errors are typed: ValueSyntaxError is a BpfkitError (BK9803) whose message is the reason", () => {
    try { parseValue(typed("flows").key, "{nope: 1}", "key"); expect.unreachable(); } catch (e) {
      expect(e).toBeInstanceOf(ValueSyntaxError);
      expect(e).toBeInstanceOf(BpfkitError);
      expect((e as BpfkitError).code).toBe("BK9803");
      expect((e as Error).message).toBe("key: no field 'nope' (fields: saddr, daddr, sport, dport, proto, pad)");
    }
  });
});

describe("raw bytes keep the command line's old reading", () => {
  it("hex, decimal (little-endian), IPv4, IPv6, ADDR/LEN", () => {
    expect(Array.from(parseValue(rawShape(4), "0a000001"))).toEqual([10, 0, 0, 1]);
    expect(Array.from(parseValue(rawShape(4), "0x0a000001"))).toEqual([10, 0, 0, 1]);
    expect(Array.from(parseValue(rawShape(8), "1"))).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(parseValue(rawShape(4), "10.0.0.1"))).toEqual([10, 0, 0, 1]);
    expect(Array.from(parseValue(rawShape(16), "::1")).at(-1)).toBe(1);
    expect(Array.from(parseValue(rawShape(8), "192.0.2.0/24"))).toEqual([...le32(24), 192, 0, 2, 0]);
    expect(() => parseValue(rawShape(4), "zz")).toThrow(/expected 4 bytes as hex/);
  });

  it("a typed key still takes its whole size as hex (what older command lines and --json print)", () => {
    const ddos = shapes("bpf/xdp_ddos_blocklist.bpf.o");
    expect(formatValue(ddos("blocklist_v4").key, parseValue(ddos("blocklist_v4").key, "18000000c0000200"))).toBe("192.0.2.0/24");
    expect(formatValue(ddos("stats").key, parseValue(ddos("stats").key, "1"))).toBe("1");
  });
});
