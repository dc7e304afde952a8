// loadObject on the compiled fixtures: maps of every declaration style, global data, line info, BTF
// patching, what is unsupported, and the section-name errors.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { encode, toHex } from "../../src/isa/index.js";
import { loadObject, readElf } from "../../src/elf/index.js";
import { BTF_KIND } from "../../src/btf/index.js";
import { bundledTarget, pickProgram } from "../../src/load/node.js";
import { KSYM_PLACEHOLDER_ADDR } from "../../src/elf/target.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
const bytes = (name: string): Uint8Array => readFileSync(join(dir, `${name}.o`));
const load = (name: string, opts = {}) => loadObject(bytes(name), { file: `${name}.o`, ...opts });
const thrown = (fn: () => unknown): BpfkitError => {
  try { fn(); } catch (e) { if (e instanceof BpfkitError) return e; throw e; }
  throw new Error("expected a BpfkitError");
};

describe("legacy maps sections (libbpf 1.x refuses them; expectations from llvm-readelf -r)", () => {
  // .relsocket: R_BPF_64_64 at 0x20 -> legacy_hash, 0x78 -> legacy_array; .relclassifier: 0x28 -> tc_counts.
  const cases = [
    { name: "legacy_maps", section: "socket", relocs: [[0x20, "legacy_hash"], [0x78, "legacy_array"]] },
    { name: "iproute2_maps", section: "classifier", relocs: [[0x28, "tc_counts"]] },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: every slot equals the section, except the map lddws`, () => {
      const obj = load(c.name);
      const raw = readElf(bytes(c.name)).sections.find((s) => s.name === c.section)!.data;
      const p = obj.programs[0]!;
      const ours = encode(p.insns);
      expect(ours.length).toBe(raw.length);
      const relocated = new Map<number, string>(c.relocs.map(([off, map]) => [off as number, map as string]));
      for (let off = 0; off < raw.length; off += 8) {
        const mapName = relocated.get(off);
        if (mapName === undefined) { expect(toHex(ours.subarray(off, off + 8)), `slot ${off / 8}`).toBe(toHex(raw.subarray(off, off + 8))); continue; }
        expect(ours[off + 1]! >> 4).toBe(1); // src = BPF_PSEUDO_MAP_FD
        const idx = new DataView(ours.buffer, ours.byteOffset + off + 4, 4).getInt32(0, true);
        expect(p.maps[idx]!.name).toBe(mapName);
      }
    });
  }
  it("reads struct bpf_map_def and struct bpf_elf_map fields", () => {
    expect(load("legacy_maps").maps).toEqual([
      { name: "legacy_hash", type: "hash", keySize: 4, valueSize: 8, maxEntries: 32, flags: 0 },
      { name: "legacy_array", type: "array", keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 },
    ]);
    expect(load("iproute2_maps").maps).toEqual([{ name: "tc_counts", type: "array", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, pinning: "by_name" }]);
  });
});

describe("BTF-defined maps", () => {
  it("reads __uint/__type members, flags and pinning", () => {
    const maps = load("maps_btf").maps;
    expect(maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning ?? "-"])).toEqual([
      ["counts", "hash", 4, 8, 64, 0, "-"], ["stats", "percpu_array", 4, 16, 4, 0, "by_name"], ["lru", "lru_hash", 8, 4, 128, 2, "-"],
    ]);
    expect(maps[0]!.btfKeyTypeId).toBeGreaterThan(0);
  });
  it("map-in-map and prog_array: inner template and initial slots", () => {
    const obj = load("map_in_map");
    const outer = obj.maps.find((m) => m.name === "outer")!;
    expect(outer.inner).toMatchObject({ type: "array", keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(outer.initialSlots).toEqual([{ index: 0, target: "inner_a" }, { index: 2, target: "inner_b" }]);
    expect(obj.maps.find((m) => m.name === "jumps")!.initialSlots).toEqual([{ index: 1, target: "tail_a" }, { index: 2, target: "tail_b" }]);
    const entry = obj.programs.find((p) => p.name === "entry")!;
    // The maps named by initial slots come with the program, so a loader can fill them.
    expect(entry.maps.map((m) => m.name).sort()).toEqual(["inner_a", "inner_b", "jumps", "outer"]);
    expect(entry.siblings).toEqual(["tail_a", "tail_b", "entry"]);
  });
});

describe("global data", () => {
  it("one array map per data section, named as libbpf names them", () => {
    const maps = load("global_data").maps;
    expect(maps.map((m) => m.name)).toEqual(["global_d.rodata", "global_d.data", ".data.extra", "global_d.bss"]);
    const rodata = maps[0]!;
    expect(rodata.readOnly).toBe(true);
    expect(new DataView(rodata.initialValue!.buffer, rodata.initialValue!.byteOffset).getUint32(0, true)).toBe(100); // threshold
    expect(maps[1]!.initialValue![0]).toBe(7); // packets = 7
  });
  it("lddw of a variable is src=2 with the offset in the upper imm", () => {
    const p = load("global_data").programs[0]!;
    const valueLoads = p.insns.filter((i) => i.opcode === 0x18 && i.src === 2);
    expect(valueLoads.length).toBeGreaterThan(3);
    for (const i of valueLoads) {
      const map = p.maps[Number(i.imm64! & 0xffffffffn)]!;
      expect(Number(i.imm64! >> 32n)).toBeLessThan(map.valueSize);
    }
  });
});

describe("BTF and line info", () => {
  it("patches DATASEC sizes and variable offsets from the ELF tables", () => {
    const obj = load("global_data");
    const datasecs = obj.btf!.types.filter((t) => t.kind === BTF_KIND.DATASEC);
    expect(datasecs.length).toBeGreaterThan(2);
    for (const d of datasecs) expect(d.sizeOrType, d.name).toBeGreaterThan(0);
    const rodata = datasecs.find((d) => d.name === ".rodata")!;
    expect(rodata.secinfos!.map((s) => s.offset)).toEqual([...rodata.secinfos!.map((s) => s.offset)].sort((a, b) => a - b));
    // The patched bytes are in Program.btf.raw, not only in the parsed model.
    const raw = obj.programs[0]!.btf!.raw;
    expect(new DataView(raw.buffer, raw.byteOffset).getUint32(rodata.at + 8, true)).toBe(rodata.sizeOrType);
  });
  it("every line record points into the linked program and carries the C text", () => {
    const obj = load("calls");
    for (const p of obj.programs) {
      const slots = encode(p.insns).length / 8;
      expect(p.lines!.length).toBeGreaterThan(5);
      for (const l of p.lines!) {
        expect(l.pc).toBeLessThan(slots);
        expect(l.file).toMatch(/calls\.c$/);
      }
      // Subprogram lines are rebased too: bump()'s body appears in every program that calls it.
      expect(p.lines!.some((l) => l.text?.includes("bpf_map_lookup_elem(&hits"))).toBe(true);
      // One func_info record per function in the linked program, first at pc 0.
      const fi = new DataView(p.btf!.funcInfo!.buffer);
      expect(fi.getUint32(0, true)).toBe(0);
    }
    const first = obj.programs.find((p) => p.name === "first")!;
    expect(first.btf!.funcInfo!.length / 8).toBe(3); // first, twice, bump
  });
});

describe("arena and struct_ops maps (libbpf on this machine cannot create an arena map without CAP_SYS_RESOURCE)", () => {
  it("__arena globals in .addr_space.1 become src=2 lddws of the arena map at the variable's offset (llvm-readelf -s: seen at 0, hits at 32)", () => {
    const obj = load("arena", { target: bundledTarget() });
    expect(obj.maps).toEqual([expect.objectContaining({ name: "arena", type: "arena", maxEntries: 4, flags: 0x400, extra: 2 ** 44 })]);
    const p = obj.programs[0]!;
    expect(p.unsupported).toBeUndefined();
    const refs = p.insns.filter((i) => i.opcode === 0x18).map((i) => [i.src, Number(i.imm64! & 0xffffffffn), Number(i.imm64! >> 32n)]);
    expect(refs).toEqual([[2, 0, 32], [2, 0, 0]]);
    expect(p.maps.map((m) => m.name)).toEqual(["arena"]);
  });
  it("a .struct_ops.link variable is a struct_ops map sized as the kernel's value type; each callback is bound to its kernel member", () => {
    const obj = load("struct_ops", { target: bundledTarget() });
    expect(obj.maps).toEqual([expect.objectContaining({ name: "bpfkit_cc", type: "struct_ops", keySize: 4, valueSize: 256, maxEntries: 1, flags: 0x2000 })]);
    expect(obj.programs.map((p) => p.name)).toEqual(["bpfkit_ssthresh", "bpfkit_undo_cwnd", "bpfkit_cong_avoid"]);
    // tcp_congestion_ops of Linux 6.18: ssthresh is member 0, cong_avoid 1, undo_cwnd 8
    expect(obj.programs.map((p) => [p.structOps?.member, p.structOps?.memberIndex])).toEqual([["ssthresh", 0], ["undo_cwnd", 8], ["cong_avoid", 1]]);
    const tcpCa = bundledTarget().btf().findByNameKind("tcp_congestion_ops", 4);
    for (const p of obj.programs) {
      expect(p.unsupported).toBeUndefined();
      expect(p.attachBtfId).toBe(tcpCa);
    }
    expect(obj.structOps).toEqual([expect.objectContaining({ map: "bpfkit_cc", section: ".struct_ops.link", members: [
      { member: "ssthresh", program: "bpfkit_ssthresh" }, { member: "cong_avoid", program: "bpfkit_cong_avoid" }, { member: "undo_cwnd", program: "bpfkit_undo_cwnd" }] })]);
  });
  it("without a target BTF, a struct_ops program cannot be bound (and says so, not as libbpf's refusal)", () => {
    const obj = load("struct_ops");
    for (const p of obj.programs) {
      expect(p.unsupported?.[0]?.what).toMatch(/needs the target kernel's BTF/);
      expect(p.unsupported?.[0]?.refusedByLibbpf).toBeUndefined();
    }
  });
});

describe("per-program status", () => {
  it("a program the target cannot satisfy is returned with its reasons; its relocations and kfuncs still resolve", () => {
    // a kernel symbol table without bpf_prog_active, as on this kernel (CONFIG_KALLSYMS_ALL is off)
    const obj = load("unsupported", { target: { ...bundledTarget(), kallsyms: () => new Map() } });
    expect(obj.programs.map((p) => p.name)).toEqual(["core"]);
    const core = obj.programs[0]!;
    // typeless bpf_prog_active is in no symbol table (libbpf refuses the object for it too)
    expect(core.unsupported).toEqual([expect.objectContaining({ what: expect.stringMatching(/extern 'bpf_prog_active' \(strong\) is not resolved/), refusedByLibbpf: true })]);
    expect(core.relocations).toEqual([expect.objectContaining({ kind: "byte_off", type: "struct task_struct", access: "0:0", value: expect.stringMatching(/^\d+$/) })]);
    expect(core.externs).toEqual(expect.arrayContaining([expect.objectContaining({ name: "bpf_rcu_read_lock", kind: "kfunc", resolved: true, btfId: expect.any(Number) })]));
    const call = core.insns.find((i) => i.opcode === 0x85 && i.src === 2)!;
    expect(call.imm).toBe(core.externs!.find((e) => e.name === "bpf_rcu_read_lock")!.btfId);
    expect(bundledTarget().btf().type(call.imm).name).toBe("bpf_rcu_read_lock");
    // picking it says why, naming the program, and exits 1: libbpf refuses it as well
    const e = thrown(() => pickProgram(obj.programs, "unsupported.o", "core"));
    expect(e.code).toBe("BK4102");
    expect(e.exitCode).toBe(1);
    expect(e.diagnostics[0]!.message).toMatch(/program 'core' cannot be used: extern 'bpf_prog_active'/);
  });
  it("with no symbol table at all (the bundled target), a typeless .ksyms gets a placeholder address", () => {
    const core = load("unsupported", { target: bundledTarget() }).programs[0]!;
    expect(core.unsupported).toBeUndefined();
    const lddw = core.insns.find((i) => i.opcode === 0x18 && i.src === 0 && i.imm64 === KSYM_PLACEHOLDER_ADDR);
    expect(lddw).toBeDefined();
    expect(core.externs!.find((e) => e.name === "bpf_prog_active")!.note).toMatch(/placeholder/);
  });
  it("without a target, CO-RE and kfuncs make only the programs that use them unusable", () => {
    const obj = load("unsupported");
    expect(obj.programs[0]!.unsupported!.map((u) => u.what).join("\n")).toMatch(/CO-RE relocation #0 \(byte_off of struct task_struct, access 0:0\): no target BTF/);
    const xdp = load("core_xdp");
    expect(xdp.programs.every((p) => p.unsupported?.length)).toBe(true);
    // an object without CO-RE or externs never asks for a target
    let asked = false;
    load("calls", { target: () => { asked = true; return undefined; } });
    expect(asked).toBe(false);
  });
  it("an unknown section is that program's own status, with a hint naming the closest section and --type; its neighbours are unaffected", () => {
    const b = bytes("calls").slice();
    const elf = readElf(b);
    const sec = elf.sections.find((s) => s.name === "socket")!;
    // Rename the section through its sh_name in .shstrtab: "socket" -> "sockex".
    const v = new DataView(b.buffer, b.byteOffset);
    const shoff = Number(v.getBigUint64(40, true));
    const shstr = elf.sections[v.getUint16(62, true)]!;
    const nameAt = shstr.offset + v.getUint32(shoff + sec.index * 64, true);
    b.set(new TextEncoder().encode("sockex"), nameAt);
    const obj = loadObject(b, { file: "x.o" });
    const sock = obj.programs.find((p) => p.name === "sock")!;
    expect(sock.section).toBe("sockex");
    expect(sock.sectionHint).toMatch(/did you mean 'socket'\?.*--type sock=socket/);
    // its neighbours in the same object are unaffected
    expect(pickProgram(obj.programs, "x.o", "first").name).toBe("first");
    // a command that needs the type says so, with the hint (exit 2)
    const e = thrown(() => pickProgram(obj.programs, "x.o", "sock"));
    expect(e.code).toBe("BK4004");
    expect(e.exitCode).toBe(2);
    expect(e.diagnostics[0]!.hint).toBe(sock.sectionHint);
    // disassembly does not need the type
    expect(pickProgram(obj.programs, "x.o", "sock", { needType: false }).name).toBe("sock");
    const typed = loadObject(b, { file: "x.o", type: "socket" });
    const t = typed.programs.find((p) => p.name === "sock")!;
    expect(t.section).toBe("socket");
    expect(t.sectionAsWritten).toBe("sockex");
    expect(t.sectionHint).toBeUndefined();
  });
});
