// CO-RE relocation values on small hand-built local and target BTFs, one libbpf rule per test: field
// moves, flavors, anonymous members, arrays (bounds, flexible), bitfields, load-size changes, several
// candidates that agree, disagree or get pruned, enums, type relocations and malformed access strings.
// (The byte-for-byte check against libbpf itself is test/elf/libbpf-parity.test.ts.)
import { describe, expect, it } from "vitest";
import { BtfBuilder, parseBtf, type Btf } from "../../src/btf/index.js";
import { CORE_KIND, CoreReloError, findCandidates, formatSpec, resolveCoreRelo, type CoreCandidate } from "../../src/btf/core.js";

/** Build a BTF; the callback gets the builder and an `int` (4 bytes, signed) and `u32` already added. */
function build(fn: (b: BtfBuilder, t: { int: number; u32: number; u64: number; u8: number }) => void): Btf {
  const b = new BtfBuilder();
  const t = { int: b.int("int", 4, true), u32: b.int("u32", 4), u64: b.int("u64", 8), u8: b.int("u8", 1) };
  fn(b, t);
  return parseBtf(b.bytes());
}
const id = (btf: Btf, name: string): number => btf.idsByName(name)[0]!;
const cands = (local: Btf, localName: string, target: Btf): CoreCandidate[] => findCandidates(local, id(local, localName), target);
const relo = (local: Btf, type: string, kind: number, access: string) => ({ insnOff: 0, typeId: id(local, type), accessStr: access, kind });
const value = (local: Btf, type: string, kind: number, access: string, target: Btf) => resolveCoreRelo(local, relo(local, type, kind, access), cands(local, type, target));

describe("field relocations", () => {
  const local = build((b, t) => { b.struct("task", 8, [{ name: "pid", type: t.int, bitOffset: 0 }, { name: "tgid", type: t.int, bitOffset: 32 }]); });
  const target = build((b, t) => { b.struct("task", 16, [{ name: "state", type: t.u64, bitOffset: 0 }, { name: "tgid", type: t.int, bitOffset: 64 }, { name: "pid", type: t.int, bitOffset: 96 }]); });
  it("a field that moved gets the target's offset; size, signedness and existence follow", () => {
    expect(value(local, "task", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", target).res).toMatchObject({ origVal: 0n, newVal: 12n, poison: false });
    expect(value(local, "task", CORE_KIND.FIELD_BYTE_OFFSET, "0:1", target).res.newVal).toBe(8n);
    expect(value(local, "task", CORE_KIND.FIELD_BYTE_SIZE, "0:0", target).res.newVal).toBe(4n);
    expect(value(local, "task", CORE_KIND.FIELD_SIGNED, "0:0", target).res.newVal).toBe(1n);
    expect(value(local, "task", CORE_KIND.FIELD_EXISTS, "0:0", target).res.newVal).toBe(1n);
    // an index into an array of tasks: &p[2].pid
    expect(value(local, "task", CORE_KIND.FIELD_BYTE_OFFSET, "2:0", target).res).toMatchObject({ origVal: 16n, newVal: 44n });
  });
  it("a field the target lacks: EXISTS is 0, everything else poisons, and the reason names type and field", () => {
    const noPid = build((b, t) => { b.struct("task", 4, [{ name: "tgid", type: t.int, bitOffset: 0 }]); });
    const r = value(local, "task", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", noPid);
    expect(r.res.poison).toBe(true);
    expect(r.missing).toMatch(/^struct task \[\d+\] has no field 'pid'$/);
    expect(value(local, "task", CORE_KIND.FIELD_EXISTS, "0:0", noPid).res).toMatchObject({ newVal: 0n, poison: false });
    // no type of that name at all
    const none = build(() => {});
    expect(value(local, "task", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", none).missing).toBe("the target has no struct named task");
  });
  it("an incompatible field type is not a match (int vs struct)", () => {
    const t2 = build((b, t) => { const inner = b.struct("inner", 4, [{ name: "x", type: t.int, bitOffset: 0 }]); b.struct("task", 4, [{ name: "pid", type: inner, bitOffset: 0 }]); });
    const r = value(local, "task", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", t2);
    expect(r.res.poison).toBe(true);
    expect(r.missing).toMatch(/field 'pid' of struct task \[\d+\] has an incompatible type/);
  });
  it("flavors: task___v1 is relocated against task", () => {
    const flav = build((b, t) => { b.struct("task___v1", 4, [{ name: "pid", type: t.int, bitOffset: 0 }]); });
    expect(value(flav, "task___v1", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", target).res.newVal).toBe(12n);
  });
  it("fields inside anonymous structs and unions are found by name, through every level", () => {
    const anon = build((b, t) => {
      const inner = b.struct("", 8, [{ name: "saddr", type: t.u32, bitOffset: 0 }, { name: "daddr", type: t.u32, bitOffset: 32 }]);
      const u = b.struct("", 8, [{ name: "", type: inner, bitOffset: 0 }, { name: "raw", type: t.u64, bitOffset: 0 }], true);
      b.struct("hdr", 16, [{ name: "ttl", type: t.u8, bitOffset: 0 }, { name: "", type: u, bitOffset: 64 }]);
    });
    const loc = build((b, t) => { b.struct("hdr", 8, [{ name: "daddr", type: t.u32, bitOffset: 0 }]); });
    const r = value(loc, "hdr", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", anon);
    expect(r.res.newVal).toBe(12n);
    expect(formatSpec(r.target!)).toMatch(/^\[\d+\] struct hdr\.daddr \(0:1:0:1 @ offset 12\)$/);
  });
});

describe("arrays", () => {
  const local = build((b, t) => { const a = b.array(t.u8, t.int, 16); b.struct("s", 16, [{ name: "comm", type: a, bitOffset: 0 }]); });
  it("an element within the target's bounds is relocated; past them it poisons", () => {
    const big = build((b, t) => { const a = b.array(t.u8, t.int, 32); b.struct("s", 40, [{ name: "x", type: t.u64, bitOffset: 0 }, { name: "comm", type: a, bitOffset: 64 }]); });
    expect(value(local, "s", CORE_KIND.FIELD_BYTE_OFFSET, "0:0:3", big).res.newVal).toBe(11n);
    const small = build((b, t) => { const a = b.array(t.u8, t.int, 2); b.struct("s", 2, [{ name: "comm", type: a, bitOffset: 0 }]); });
    const r = value(local, "s", CORE_KIND.FIELD_BYTE_OFFSET, "0:0:3", small);
    expect(r.res.poison).toBe(true);
    expect(r.missing).toMatch(/index \[3\] is past the 2 elements/);
  });
  it("a flexible array (last member, 0 elements) takes any index", () => {
    const flex = build((b, t) => { const a = b.array(t.u8, t.int, 0); b.struct("s", 8, [{ name: "len", type: t.u64, bitOffset: 0 }, { name: "comm", type: a, bitOffset: 64 }]); });
    expect(value(local, "s", CORE_KIND.FIELD_BYTE_OFFSET, "0:0:9", flex).res.newVal).toBe(17n);
  });
  it("an index past a local array is a malformed relocation", () => {
    expect(() => value(local, "s", CORE_KIND.FIELD_BYTE_OFFSET, "0:0:16", local)).toThrow(CoreReloError);
  });
});

describe("bitfields", () => {
  // struct flags { u32 a:3, b:5; } locally; on the target b moved up by 8 bits and widened to 7 bits
  const local = build((b, t) => { b.struct("flags", 4, [{ name: "a", type: t.u32, bitOffset: 0, bitSize: 3 }, { name: "b", type: t.u32, bitOffset: 3, bitSize: 5 }]); });
  const target = build((b, t) => { b.struct("flags", 8, [{ name: "x", type: t.u32, bitOffset: 0 }, { name: "a", type: t.u32, bitOffset: 32, bitSize: 3 }, { name: "b", type: t.u32, bitOffset: 43, bitSize: 7 }]); });
  it("byte offset and size of the smallest load that holds the field, and the shifts to extract it", () => {
    expect(value(local, "flags", CORE_KIND.FIELD_BYTE_OFFSET, "0:1", target).res.newVal).toBe(4n);
    expect(value(local, "flags", CORE_KIND.FIELD_BYTE_SIZE, "0:1", target).res.newVal).toBe(4n);
    // lshift = 64 - (bit_off + bit_sz - byte_off*8) = 64 - (43 + 7 - 32) = 46; rshift = 64 - 7
    expect(value(local, "flags", CORE_KIND.FIELD_LSHIFT_U64, "0:1", target).res.newVal).toBe(46n);
    expect(value(local, "flags", CORE_KIND.FIELD_RSHIFT_U64, "0:1", target).res.newVal).toBe(57n);
    // bitfield offsets are not validated against the instruction (the compiler may differ)
    expect(value(local, "flags", CORE_KIND.FIELD_BYTE_OFFSET, "0:1", target).res.validate).toBe(false);
  });
});

describe("load size changes", () => {
  const local = build((b, t) => { b.struct("s", 8, [{ name: "flags", type: t.u64, bitOffset: 0 }, { name: "pid", type: b.int("s64", 8, true), bitOffset: 0 }]); });
  const target = build((b, t) => { b.struct("s", 8, [{ name: "flags", type: t.u32, bitOffset: 0 }, { name: "pid", type: t.int, bitOffset: 32 }]); });
  it("unsigned integers may shrink; signed ones may not (the load is then poisoned)", () => {
    expect(value(local, "s", CORE_KIND.FIELD_BYTE_OFFSET, "0:0", target).res).toMatchObject({ origSz: 8, newSz: 4, failMemszAdjust: false });
    expect(value(local, "s", CORE_KIND.FIELD_BYTE_OFFSET, "0:1", target).res).toMatchObject({ origSz: 8, newSz: 4, failMemszAdjust: true });
  });
});

describe("several candidates", () => {
  const local = build((b, t) => { b.struct("rec", 24, [{ name: "nr", type: t.int, bitOffset: 0 }, { name: "args", type: t.u64, bitOffset: 64 }, { name: "ret", type: t.u64, bitOffset: 128 }]); });
  const target = build((b, t) => {
    b.struct("rec", 16, [{ name: "nr", type: t.int, bitOffset: 32 }, { name: "args", type: t.u64, bitOffset: 64 }]);
    b.struct("rec", 16, [{ name: "nr", type: t.int, bitOffset: 32 }, { name: "ret", type: t.u64, bitOffset: 64 }]);
  });
  it("agreeing candidates are fine; a relocation that matches one prunes the list for the next ones", () => {
    const list = cands(local, "rec", target);
    expect(list.length).toBe(2);
    expect(resolveCoreRelo(local, relo(local, "rec", CORE_KIND.FIELD_BYTE_OFFSET, "0:0"), list)).toMatchObject({ matched: 2, res: { newVal: 4n } });
    expect(resolveCoreRelo(local, relo(local, "rec", CORE_KIND.FIELD_EXISTS, "0:2"), list).res.newVal).toBe(1n);
    expect(list.length).toBe(1); // only the record with `ret` is left
    expect(resolveCoreRelo(local, relo(local, "rec", CORE_KIND.FIELD_EXISTS, "0:1"), list).res.newVal).toBe(0n);
  });
  it("candidates that disagree on the offset make libbpf refuse the relocation", () => {
    const split = build((b, t) => {
      b.struct("rec", 16, [{ name: "nr", type: t.int, bitOffset: 0 }]);
      b.struct("rec", 16, [{ name: "nr", type: t.int, bitOffset: 64 }]);
    });
    expect(() => resolveCoreRelo(local, relo(local, "rec", CORE_KIND.FIELD_BYTE_OFFSET, "0:0"), cands(local, "rec", split))).toThrow(/field offset ambiguity/);
  });
});

describe("enums and types", () => {
  const local = build((b) => { b.enumeration("mode", 4, [{ name: "A", value: 0 }, { name: "B", value: 1 }]); b.enum64("big", 8, [{ name: "HUGE", value: 1n << 40n }]); });
  const target = build((b) => { b.enumeration("mode", 4, [{ name: "B", value: 7 }, { name: "C", value: -1 }], true); b.enum64("big", 8, [{ name: "HUGE", value: 3n << 40n }]); });
  it("enumerator values come from the target, by name; a 32-bit value is sign-extended as libbpf reads it", () => {
    expect(value(local, "mode", CORE_KIND.ENUMVAL_VALUE, "1", target).res.newVal).toBe(7n);
    expect(value(local, "mode", CORE_KIND.ENUMVAL_EXISTS, "0", target).res.newVal).toBe(0n);
    expect(value(local, "mode", CORE_KIND.ENUMVAL_VALUE, "0", target).res.poison).toBe(true);
    expect(value(local, "big", CORE_KIND.ENUMVAL_VALUE, "0", target).res.newVal).toBe(3n << 40n);
    const neg = build((b) => { b.enumeration("mode", 4, [{ name: "B", value: -2 }], true); });
    expect(value(local, "mode", CORE_KIND.ENUMVAL_VALUE, "1", neg).res.newVal).toBe(0xfffffffffffffffen);
  });
  it("type exists, size, id and matches", () => {
    const l = build((b, t) => { b.struct("s", 4, [{ name: "a", type: t.int, bitOffset: 0 }]); b.struct("gone", 4, []); });
    const tg = build((b, t) => { b.struct("s", 12, [{ name: "z", type: t.u64, bitOffset: 0 }, { name: "a", type: t.int, bitOffset: 64 }]); });
    expect(value(l, "s", CORE_KIND.TYPE_EXISTS, "0", tg).res.newVal).toBe(1n);
    expect(value(l, "s", CORE_KIND.TYPE_SIZE, "0", tg).res.newVal).toBe(12n);
    expect(value(l, "s", CORE_KIND.TYPE_ID_TARGET, "0", tg).res.newVal).toBe(BigInt(id(tg, "s")));
    expect(value(l, "s", CORE_KIND.TYPE_ID_LOCAL, "0", tg).res.newVal).toBe(BigInt(id(l, "s")));
    expect(value(l, "s", CORE_KIND.TYPE_MATCHES, "0", tg).res.newVal).toBe(1n);
    expect(value(l, "gone", CORE_KIND.TYPE_EXISTS, "0", tg).res).toMatchObject({ newVal: 0n, poison: false });
    // TYPE_MATCHES needs the local members' types to match exactly: an int member that is unsigned on the target does not
    const unsigned = build((b, t) => { b.struct("s", 4, [{ name: "a", type: t.u32, bitOffset: 0 }]); });
    expect(value(l, "s", CORE_KIND.TYPE_MATCHES, "0", unsigned).res.newVal).toBe(0n);
    expect(value(l, "s", CORE_KIND.TYPE_EXISTS, "0", unsigned).res.newVal).toBe(1n);
  });
});

describe("malformed relocations are libbpf's errors, not crashes", () => {
  const local = build((b, t) => { b.struct("s", 4, [{ name: "a", type: t.int, bitOffset: 0 }]); b.struct("", 4, [{ name: "a", type: t.int, bitOffset: 0 }]); });
  const anonId = local.count - 1;
  it.each([
    ["an empty access string", "", CORE_KIND.FIELD_BYTE_OFFSET, /empty/],
    ["letters", "0:x", CORE_KIND.FIELD_BYTE_OFFSET, /not a list of numbers/],
    ["a member past the struct", "0:5", CORE_KIND.FIELD_BYTE_OFFSET, /has 1 members/],
    ["a step into an int", "0:0:1", CORE_KIND.FIELD_BYTE_OFFSET, /no members or elements/],
    ["a type relocation with an access path", "0:0", CORE_KIND.TYPE_SIZE, /must be "0"/],
    ["an unknown kind", "0:0", 42, /unknown relocation kind/],
  ])("%s", (_, access, kind, message) => {
    expect(() => resolveCoreRelo(local, { insnOff: 0, typeId: id(local, "s"), accessStr: access, kind }, [])).toThrow(message);
  });
  it("a type id that does not exist, and an anonymous root type", () => {
    expect(() => resolveCoreRelo(local, { insnOff: 0, typeId: 999, accessStr: "0", kind: CORE_KIND.FIELD_BYTE_OFFSET }, [])).toThrow(/local type #999 does not exist/);
    expect(() => resolveCoreRelo(local, { insnOff: 0, typeId: anonId, accessStr: "0:0", kind: CORE_KIND.FIELD_BYTE_OFFSET }, [])).toThrow(/anonymous type/);
  });
});
