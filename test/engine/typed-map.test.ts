// The library's map API (issue #15 item 13): set()/update() throw a typed MapError naming the map, the key
// and the errno instead of returning -errno; keys and values are typed (u32/u64/IPv4/IPv6/prefix
// accessors and builders, BTF structs by field) on every engine, the kernel's included.
import { describe, expect, it } from "vitest";
import { MapError, mapValues, openEngine, type BpfEngine } from "../../src/index.js";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { ValueSyntaxError } from "../../src/btf/values.js";
import { loadPrograms } from "../../src/load/node.js";
import { BPF_NOEXIST, BPF_EXIST, createRuntimeMap, u32Bytes } from "../../src/maps/runtime/index.js";
import { RuntimeMemory } from "../../src/runtime/memory.js";
import { TypedBytes } from "../../src/maps/typed.js";
import { describeKernel } from "../support/kernel.js";

const typedObject = "test/fixtures/btf-values/typed_maps.bpf.o";
const blocklist = "bpf/xdp_ddos_blocklist.bpf.o";

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  throw new Error("expected a throw");
}

describe("RuntimeMap.set", () => {
  const map = () => createRuntimeMap({ name: "counters", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
    { mem: new RuntimeMemory(), cpus: 1, cpu: () => 0 });

  it("throws a MapError naming the map, the key and the errno (not -errno)", () => {
    const m = map();
    expect(m.set(u32Bytes(1), new Uint8Array(8))).toBeUndefined();
    const e = thrown(() => m.set(u32Bytes(9), new Uint8Array(8)));
    expect(e).toBeInstanceOf(MapError);
    expect(e).toBeInstanceOf(BpfkitError);
    const err = e as MapError;
    expect([err.map, err.op, err.errno, err.errnoName, err.keyText]).toEqual(["counters", "update", 7, "E2BIG", "09000000"]);
    expect(err.message).toMatch(/map 'counters': update of key 09000000 failed: E2BIG/);
    expect((thrown(() => m.set(u32Bytes(1), new Uint8Array(8), BPF_NOEXIST)) as MapError).message).toMatch(/EEXIST \(the key exists and BPF_NOEXIST was given\)/);
  });

  it("trySet keeps the kernel's 0 / -errno answer for comparisons", () => {
    expect(map().trySet(u32Bytes(9), new Uint8Array(8))).toBe(-7);
  });
});

describe("typed accessors and builders", () => {
  it("read u32/u64/IPv4/IPv6/prefix from bytes and build the same bytes back", () => {
    expect(Array.from(mapValues.u32(0x01020304))).toEqual([4, 3, 2, 1]);
    expect(new TypedBytes(mapValues.u64(1n << 40n)).u64).toBe(1n << 40n);
    expect(new TypedBytes(mapValues.ipv4("10.9.0.2")).ipv4).toBe("10.9.0.2");
    expect(new TypedBytes(mapValues.ipv6("2001:db8::1")).ipv6).toBe("2001:db8::1");
    expect(Array.from(mapValues.prefix("192.0.2.0/24"))).toEqual([24, 0, 0, 0, 192, 0, 2, 0]);
    expect(new TypedBytes(mapValues.prefix("2001:db8::/32")).prefix).toBe("2001:db8::/32");
    expect(new TypedBytes(mapValues.i32(-2)).i32).toBe(-2);
  });
  it("refuse what does not fit, with a clear error", () => {
    expect(() => mapValues.u32(2 ** 32)).toThrow(/does not fit 4 byte/);
    expect(() => mapValues.prefix("10.0.0.0/33")).toThrow(/at most 32/);
    expect(() => new TypedBytes(new Uint8Array(2)).u32).toThrow(/u32 needs 4 bytes, this one has 2/);
  });
});

/** The same checks on every engine, the kernel's too. */
function engineChecks(open: (file: string) => Promise<BpfEngine>): void {
  it("update/lookup by BTF type: structs by field, addresses, enums", async () => {
    const e = await open(typedObject);
    try {
      const flows = e.maps.get("flows")!;
      flows.update({ saddr: "192.0.2.1", daddr: "10.0.0.2", sport: 8080, dport: 80, proto: 6 }, `{packets: 3, bytes: 180, last: V_DROP, name: "web"}`);
      const got = flows.lookup("{saddr: 192.0.2.1, daddr: 10.0.0.2, sport: 8080, dport: 80, proto: 6}")!;
      expect(got).toBeDefined();
      expect(String(got.key)).toBe("{saddr: 192.0.2.1, daddr: 10.0.0.2, sport: 8080, dport: 80, proto: 6, pad: [0, 0, 0]}");
      expect(got.value.value).toMatchObject({ packets: 3n, bytes: 180n, last: "V_DROP", name: "web" });
      expect(got.value.u64).toBe(3n);
      expect(flows.lookup({ saddr: "192.0.2.9", daddr: "10.0.0.2", sport: 1, dport: 2, proto: 6 })).toBeUndefined();
      const lpm = e.maps.get("lpm6")!;
      lpm.update("2001:db8::/32", 5);
      expect(lpm.typedEntries().map((x) => [String(x.key), x.value.u32])).toEqual([["2001:db8::/32", 5]]);
      expect(thrown(() => flows.update({ saddr: "300.0.0.1" }, 0))).toBeInstanceOf(ValueSyntaxError);
    } finally { e.close(); }
  });

  it("a refused update throws a MapError naming the map, the key by its type and the errno", async () => {
    const e = await open(blocklist);
    try {
      const m = e.maps.get("blocklist_v4")!;
      m.update("192.0.2.0/24", mapValues.u64(1));
      const err = thrown(() => m.update(mapValues.prefix("192.0.2.0/24"), mapValues.u64(2), BPF_NOEXIST)) as MapError;
      expect(err).toBeInstanceOf(MapError);
      expect([err.map, err.errno, err.errnoName, err.keyText]).toEqual(["blocklist_v4", 17, "EEXIST", "192.0.2.0/24"]);
      expect(err.message).toContain("map 'blocklist_v4': update of key 192.0.2.0/24 failed: EEXIST");
      const missing = thrown(() => m.update("198.51.100.0/24", 1, BPF_EXIST)) as MapError;
      expect([missing.errnoName, missing.keyText]).toEqual(["ENOENT", "198.51.100.0/24"]);
    } finally { e.close(); }
  });
}

describe("engine maps (interp and compiled)", () => {
  for (const engine of ["interp", "compiled"] as const) {
    describe(engine, () => engineChecks(async (file) => openEngine((await loadPrograms(file))[0]!, { engine })));
  }
});

describeKernel("engine maps (kernel BPF_PROG_TEST_RUN)", () => {
  engineChecks(async (file) => {
    const { openKernelEngine } = await import("../../src/kernel/index.js");
    return openKernelEngine((await loadPrograms(file))[0]!);
  });
});
