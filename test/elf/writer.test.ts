// writeObject: objects that loadObject reads back to the same programs, and that Debian's bpftool
// (libbpf 1.1) loads into the running kernel.
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { exit, lddw, mov64Imm, call, callLocal, label, link, loadMap, R0, R1, R2 } from "../../src/isa/index.js";
import { loadObject, writeObject } from "../../src/elf/index.js";
import type { Program } from "../../src/program/index.js";
import { describeKernel } from "../support/kernel.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
const FIXTURES = ["calls", "callbacks", "global_data", "legacy_maps", "iproute2_maps", "map_in_map", "maps_btf"];
const programsOf = (name: string): Program[] => loadObject(readFileSync(join(dir, `${name}.o`)), { file: `${name}.o` }).programs;
const comparable = (ps: Program[]) => ps.map((p) => ({
  name: p.name, section: p.section, license: p.license,
  insns: p.insns.map((i) => ({ ...i, imm64: i.imm64?.toString() })),
  maps: p.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, pinning: m.pinning ?? "none", inner: m.inner?.type, slots: m.initialSlots })),
}));

/** A program built with the isa builders: a hash map, a bpf-to-bpf call, and no ELF behind it. */
function handBuilt(): Program {
  const insns = link([
    mov64Imm(R1, 0),
    callLocal("sub"),
    loadMap(R1, "counts"),
    mov64Imm(R0, 2),
    exit(),
    label("sub", mov64Imm(R0, 1)),
    exit(),
  ], { resolveSymbol: () => 0n });
  return {
    name: "hand", section: "xdp", insns, license: "GPL",
    maps: [{ name: "counts", type: "hash", keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }],
  };
}

describe("writeObject", () => {
  for (const name of FIXTURES) {
    it(`round-trips ${name}.o through loadObject`, () => {
      const programs = programsOf(name);
      const back = loadObject(writeObject(programs), { file: "rt.o" }).programs;
      // Global data map names follow the file name, so compare maps by shape.
      expect(comparable(back)).toEqual(comparable(programs));
    });
  }
  it("writes a hand-built program with a call and a map", () => {
    const p = handBuilt();
    const back = loadObject(writeObject([p]), { file: "hand.o" }).programs[0]!;
    expect(comparable([back])).toEqual(comparable([p]));
  });
  it("refuses what ELF cannot express, with a diagnostic", () => {
    const p = handBuilt();
    const bad = { ...p, insns: [lddw(R2, 0n), ...p.insns] };
    bad.insns[0] = { ...bad.insns[0]!, src: 2, imm: 0, imm64: 0n }; // value address of a non-data map
    expect(() => writeObject([bad])).toThrow(BpfkitError);
    expect(() => writeObject([])).toThrow(/no programs/);
    const noMap = { ...p, maps: [] };
    expect(() => writeObject([noMap])).toThrow(/refers to map #0/);
    void call;
  });
});

/** bpftool prog loadall, then unpin everything it created (programs, and maps pinned by name). */
function bpftoolLoadall(file: string, programs: Program[]): { ok: boolean; log: string; progs: string[] } {
  const pin = `/sys/fs/bpf/bpfkit-elf-test-${process.pid}`;
  // Maps pinned by name land in /sys/fs/bpf/<name>: remove only those that this load created.
  const pinnedByName = [...new Set(programs.flatMap((p) => p.maps).filter((m) => m.pinning === "by_name").map((m) => m.name))]
    .filter((n) => !existsSync(join("/sys/fs/bpf", n)));
  const r = spawnSync("bpftool", ["prog", "loadall", file, pin], { encoding: "utf8" });
  const progs = existsSync(pin) ? spawnSync("ls", [pin], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean) : [];
  rmSync(pin, { recursive: true, force: true });
  for (const n of pinnedByName) rmSync(join("/sys/fs/bpf", n), { force: true });
  return { ok: r.status === 0, log: r.stderr + r.stdout, progs };
}

describeKernel("objects written by writeObject load with bpftool", () => {
  let tmp = "";
  const ensureBpffs = (): void => {
    const mounts = readFileSync("/proc/mounts", "utf8");
    if (!/ \/sys\/fs\/bpf bpf /.test(mounts)) execFileSync("mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]);
  };
  for (const name of [...FIXTURES, "hand"]) {
    it(`bpftool prog loadall ${name}`, () => {
      ensureBpffs();
      tmp ||= mkdtempSync(join(tmpdir(), "bpfkit-writer-"));
      const programs = name === "hand" ? [handBuilt()] : programsOf(name);
      const file = join(tmp, `${name}.o`);
      writeFileSync(file, writeObject(programs));
      const r = bpftoolLoadall(file, programs);
      expect(r.ok, r.log).toBe(true);
      expect(r.progs.sort()).toEqual(programs.map((p) => p.name).sort());
    });
  }
});

describeKernel("the example programs (bpf/*.o) survive loadObject -> writeObject -> bpftool", () => {
  const examples = join(import.meta.dirname, "../../bpf");
  const objects = existsSync(examples) ? spawnSync("ls", [examples], { encoding: "utf8" }).stdout.split("\n").filter((f) => f.endsWith(".o")) : [];
  it("there are examples to check", () => { expect(objects.length).toBeGreaterThan(0); });
  for (const name of objects) {
    it(name, () => {
      const programs = loadObject(readFileSync(join(examples, name)), { file: name }).programs;
      const tmp = mkdtempSync(join(tmpdir(), "bpfkit-writer-"));
      const file = join(tmp, name);
      writeFileSync(file, writeObject(programs));
      const r = bpftoolLoadall(file, programs);
      rmSync(tmp, { recursive: true, force: true });
      expect(r.ok, r.log).toBe(true);
      expect(r.progs.sort()).toEqual(programs.map((p) => p.name).sort());
    });
  }
});
