// The BTF reader: the kernel's vmlinux BTF (bundled, opened lazily), object BTF, split BTF on a base, the
// name indexes CO-RE and kfunc resolution use, libbpf's size/alignment rules, and malformed input.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { alignOf, BTF_KIND, BtfBuilder, essentialName, parseBtf, resolveSize, describeType } from "../../src/btf/index.js";
import { btfFromBytes } from "../../src/load/target-btf.js";
import { BUNDLED } from "../../src/load/node.js";

const vmlinuxBytes = new Uint8Array(gunzipSync(readFileSync(BUNDLED.btf)));

describe("vmlinux BTF (the bundled Linux 6.18 x86_64)", () => {
  const btf = parseBtf(vmlinuxBytes, { name: "vmlinux", eager: false });
  it("opens, and finds types by name, essential name and kind", () => {
    expect(btf.count).toBeGreaterThan(100000);
    const [ts] = btf.idsByName("task_struct");
    expect(btf.type(ts!).kind).toBe(BTF_KIND.STRUCT);
    expect(btf.type(ts!).members!.some((m) => m.name === "pid")).toBe(true);
    expect(btf.findByNameKind("bpf_rcu_read_lock", BTF_KIND.FUNC)).toBeGreaterThan(0);
    expect(btf.findByNameKind("bpf_rcu_read_lock", BTF_KIND.STRUCT)).toBe(-1);
    expect(btf.idsByName("no_such_type_anywhere")).toEqual([]);
    // syscall_tp_t is defined twice in the kernel (enter and exit records): both, in id order
    const both = btf.idsByEssentialName("syscall_tp_t");
    expect(both.length).toBe(2);
    expect(both[0]! < both[1]!).toBe(true);
    expect(btf.idsByName("syscall_tp_t")).toEqual(both);
    // every id the name index returns has that name (a check over all of one kind)
    for (const id of btf.idsByName("sk_buff")) expect(btf.type(id).name).toBe("sk_buff");
  });
  it("types[] is an array view decoded on demand", () => {
    expect(btf.types.length).toBe(btf.count);
    expect(btf.types[0]!.name).toBe("void");
    const id = btf.idsByName("ethhdr")[0]!;
    expect(btf.types[id]).toBe(btf.type(id));
    expect(btf.types[btf.count]).toBeUndefined();
    expect(btf.types.slice(1, 4).map((t) => t.id)).toEqual([1, 2, 3]);
  });
  it("resolves sizes as libbpf does", () => {
    expect(resolveSize(btf, btf.idsByName("ethhdr")[0]!)).toBe(14);
    expect(resolveSize(btf, btf.idsByName("iphdr")[0]!)).toBe(20);
    expect(resolveSize(btf, 0)).toBe(-1); // void has no size
    expect(resolveSize(btf, btf.findByNameKind("bpf_rcu_read_lock", BTF_KIND.FUNC))).toBe(-1);
    expect(describeType(btf, btf.idsByName("ethhdr")[0]!)).toBe("struct ethhdr");
  });
  it("opens from gzip, raw and ELF bytes the same way", () => {
    const gz = readFileSync(BUNDLED.btf);
    const a = btfFromBytes(new Uint8Array(gz), "vmlinux.gz", (b) => new Uint8Array(gunzipSync(b)));
    expect(a.count).toBe(btf.count);
    expect(() => btfFromBytes(new Uint8Array(gz), "vmlinux.gz")).toThrow(/gzip-compressed and no decompressor/);
    expect(() => btfFromBytes(new TextEncoder().encode("hello"), "x.txt")).toThrow(/neither raw BTF .* nor an ELF/);
    const elf = btfFromBytes(new Uint8Array(readFileSync(new URL("../fixtures/elf/calls.o", import.meta.url))), "calls.o");
    expect(elf.idsByName("hits").length).toBe(1);
  });
});

/** Split BTF bytes: types numbered after the base's, strings offset by the base's string section. */
function splitBtf(base: { count: number; strLen: number }): Uint8Array {
  const strs = new TextEncoder().encode("\0mod_thing\0ref\0count\0");
  const at = (s: string) => base.strLen + new TextDecoder().decode(strs).indexOf(`\0${s}\0`) + 1;
  const words = [
    // [base.count] struct mod_thing { int count; } (int is base type 1)
    at("mod_thing"), (BTF_KIND.STRUCT << 24) | 1, 4, at("count"), 1, 0,
    // [base.count + 1] PTR -> mod_thing
    0, BTF_KIND.PTR << 24, base.count,
    // [base.count + 2] typedef ref -> base type 2 (a struct of the base)
    at("ref"), BTF_KIND.TYPEDEF << 24, 2,
  ];
  const out = new Uint8Array(24 + words.length * 4 + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, words.length * 4, true); v.setUint32(16, words.length * 4, true); v.setUint32(20, strs.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  out.set(strs, 24 + words.length * 4);
  return out;
}

describe("split BTF (a module's BTF on top of vmlinux's)", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, true);
  b.struct("base_s", 8, [{ name: "a", type: int, bitOffset: 0 }, { name: "b", type: int, bitOffset: 32 }]);
  const base = parseBtf(b.bytes(), { name: "base" });
  const split = parseBtf(splitBtf(base), { base, name: "mod" });
  it("numbers its types after the base's and reads the base's strings", () => {
    expect(split.startId).toBe(base.count);
    expect(split.count).toBe(base.count + 3);
    const thing = split.type(base.count);
    expect(thing.name).toBe("mod_thing");
    expect(thing.members![0]).toMatchObject({ name: "count", type: int });
    expect(split.type(int).name).toBe("int"); // a base id through the split BTF
    expect(split.type(base.count + 2)).toMatchObject({ name: "ref", sizeOrType: 2 });
    expect(resolveSize(split, base.count + 2)).toBe(8);
  });
  it("finds names in both, base first", () => {
    expect(split.idsByName("int")).toEqual([int]);
    expect(split.idsByName("mod_thing")).toEqual([base.count]);
    expect(split.findByNameKind("base_s", BTF_KIND.STRUCT)).toBe(2);
    expect(split.types.length).toBe(split.count);
  });
});

describe("names, sizes and alignment", () => {
  it("essential names strip the last ___flavor only when both sides are not underscores", () => {
    expect(essentialName("task_struct___v2")).toBe("task_struct");
    expect(essentialName("a___b___c")).toBe("a___b");
    expect(essentialName("task_struct")).toBe("task_struct");
    expect(essentialName("x____y")).toBe("x____y");
    expect(essentialName("___x")).toBe("___x");
    expect(essentialName("_x___")).toBe("_x___");
  });
  it("sizes arrays, typedefs and VARs; alignment of ints, arrays and packed structs", () => {
    const b = new BtfBuilder();
    const u8 = b.int("u8", 1), u64 = b.int("u64", 8);
    const arr = b.array(u8, u8, 16);
    const td = b.typedef("arr_t", arr);
    const packed = b.struct("p", 9, [{ name: "c", type: u8, bitOffset: 0 }, { name: "q", type: u64, bitOffset: 8 }]);
    const normal = b.struct("n", 16, [{ name: "c", type: u8, bitOffset: 0 }, { name: "q", type: u64, bitOffset: 64 }]);
    const btf = parseBtf(b.bytes());
    expect(resolveSize(btf, td)).toBe(16);
    expect(alignOf(btf, arr)).toBe(1);
    expect(alignOf(btf, u64)).toBe(8);
    expect(alignOf(btf, packed)).toBe(1);
    expect(alignOf(btf, normal)).toBe(8);
  });
});

describe("malformed BTF gives BK4007 with the byte offset", () => {
  const good = new BtfBuilder();
  const i = good.int("int", 4);
  good.struct("s", 4, [{ name: "x", type: i, bitOffset: 0 }]);
  const bytes = good.bytes();
  const err = (b: Uint8Array, opts = {}): BpfkitError => {
    try { const btf = parseBtf(b, opts); for (let id = 0; id < btf.count; id++) btf.type(id); btf.idsByName("s"); } catch (e) { if (e instanceof BpfkitError) return e; throw e; }
    throw new Error("no error");
  };
  it("truncated header, bad magic, sections outside the blob, a record cut short, an unknown kind", () => {
    expect(err(bytes.subarray(0, 10)).message).toMatch(/header is truncated/);
    const magic = bytes.slice(); magic[0] = 0;
    expect(err(magic).message).toMatch(/bad magic/);
    const cut = bytes.slice(); new DataView(cut.buffer).setUint32(12, 4000, true);
    expect(err(cut).message).toMatch(/lies outside/);
    const short = bytes.slice(); new DataView(short.buffer).setUint32(24 + 16 + 4, (BTF_KIND.STRUCT << 24) | 9, true); // vlen 9
    expect(err(short).message).toMatch(/record runs past the end/);
    const kind = bytes.slice(); new DataView(kind.buffer).setUint32(24 + 4, 25 << 24, true);
    expect(err(kind).message).toMatch(/unknown kind 25/);
  });
  it("a string offset past the string section, lazily decoded or not", () => {
    const bad = bytes.slice(); new DataView(bad.buffer).setUint32(24, 9999, true);
    expect(err(bad).diagnostics[0]!.code).toBe("BK4007");
    expect(err(bad, { eager: false }).message).toMatch(/string offset 9999 is outside/);
  });
  it("a type id that does not exist", () => {
    const btf = parseBtf(bytes);
    expect(() => btf.type(99)).toThrow(/type #99 does not exist/);
    expect(resolveSize(btf, 99)).toBe(-1);
  });
});
