// Map keys and values as text by their BTF type (the Maps tab), on the example objects' real types.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { format, parse, rawShape, ValueSyntaxError } from "../../playground/src/btf-values.js";
import { mapShapes } from "../../playground/src/program-source.js";

const shapesOf = (name: string, program = name) => {
  const obj = loadObject(new Uint8Array(readFileSync(`bpf/${name}.bpf.o`)), { file: `${name}.bpf.o` });
  return mapShapes(obj.programs.find((p) => p.name === program)!);
};

describe("BTF values", () => {
  it("read and write an LPM trie key as {prefixlen, addr} with the address in network order", () => {
    const v4 = shapesOf("xdp_ddos_blocklist").find((m) => m.spec.name === "blocklist_v4")!;
    expect(v4.typed).toBe(true);
    const key = parse(v4.key, "{prefixlen: 24, addr: 198.51.100.0}", "key");
    expect(Array.from(key)).toEqual([24, 0, 0, 0, 198, 51, 100, 0]);
    expect(format(v4.key, key)).toBe("{prefixlen: 24, addr: 198.51.100.0}");
    const v6 = shapesOf("xdp_ddos_blocklist").find((m) => m.spec.name === "blocklist_v6")!;
    expect(format(v6.key, parse(v6.key, "{prefixlen: 48, addr: 2001:db8:bad::}"))).toBe("{prefixlen: 48, addr: 2001:db8:bad::}");
  });

  it("show __be16 ports by value and nested structs of the load balancer", () => {
    const services = shapesOf("xdp_lb").find((m) => m.spec.name === "services")!;
    const key = parse(services.key, "{vip: 10.0.0.100, port: 80, proto: 6}");
    expect(Array.from(key)).toEqual([10, 0, 0, 100, 0, 80, 6, 0]); // port big-endian, pad zero
    const backends = shapesOf("xdp_lb").find((m) => m.spec.name === "backends")!;
    const v = parse(backends.value, "{ip: 192.168.1.10, mac: 02:00:00:00:01:10}");
    expect(format(backends.value, v)).toBe("{ip: 192.168.1.10, mac: 02:00:00:00:01:10, pad: 0}");
  });

  it("show global data sections as their variables", () => {
    const bss = shapesOf("xdp_feature_tour").find((m) => m.spec.name.endsWith(".bss"))!;
    expect(format(bss.value, new Uint8Array(bss.spec.valueSize))).toMatch(/^\{dropped_low_ttl: 0, last_prefix_sum: 0\}$/);
  });

  it("take hex, integers and IPv4 addresses where there is no BTF", () => {
    const s = rawShape(4);
    expect(Array.from(parse(s, "0a 00 00 01"))).toEqual([10, 0, 0, 1]);
    expect(Array.from(parse(s, "10.0.0.1"))).toEqual([10, 0, 0, 1]);
    expect(Array.from(parse(s, "258"))).toEqual([2, 1, 0, 0]);
    expect(format(s, Uint8Array.of(10, 0, 0, 1))).toBe("0a 00 00 01");
  });

  it("say what is wrong with a bad entry", () => {
    const v4 = shapesOf("xdp_ddos_blocklist").find((m) => m.spec.name === "blocklist_v4")!;
    const err = (text: string): string => { try { parse(v4.key, text, "key"); } catch (e) { if (e instanceof ValueSyntaxError) return e.message; throw e; } return "no error"; };
    expect(err("{prefixlen: 24, adr: 1.2.3.4}")).toBe("key: no field 'adr' (fields: prefixlen, addr)");
    expect(err("{prefixlen: 24, addr: 1.2.3}")).toMatch(/^key\.addr: expected an IPv4 address/);
    expect(err("{prefixlen: 99999999999, addr: 1.2.3.4}")).toMatch(/does not fit 4 byte/);
    expect(err("{prefixlen: 24")).toMatch(/expected ',' or '}'/);
    expect(err("12")).toMatch(/expected \{prefixlen, addr\}/);
  });
});
