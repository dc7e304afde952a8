// The example C programs (bpf/*.bpf.o) through bpfkit's own kernel loader: BTF-defined maps created with the
// object's BTF, func/line info accepted, global data written and .rodata frozen, the prog_array slot of
// xdp_feature_tour filled so its tail call runs; and a C program the verifier rejects, compiled here, shows
// the kernel's message with its C source line and leaves no program or map behind.
import { afterAll, beforeAll, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeKernel } from "../support/kernel.js";
import {
  closeFd, deploymentDir, detachDeployment, KernelEngine, KernelError, loadObjectIntoKernel, loadProgramIntoKernel, mapGetFdById, mapGetNextId,
  mapInfo, mapLookup, mapUpdate, objGet, progInfo, readManifest, u32Key,
} from "../../src/kernel/index.js";
import { loadPrograms } from "../../src/load/node.js";
import { MAPS_WITHOUT_BTF } from "../../src/kernel/maps.js";
import { readElf } from "../../src/elf/index.js";
import { buildPacket } from "../../src/packet/index.js";
import { addCgroup, delCgroup, uniq } from "./net.js";

const BPF = join(process.cwd(), "bpf");
const CLI = join(process.cwd(), "src/cli/main.ts");
function bpfkit(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const u64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const u32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

function clang19(): string | undefined {
  try {
    execFileSync("clang-19", ["--version"], { stdio: "ignore" });
    return "clang-19";
  } catch {
    return undefined;
  }
}
const multiarch = (): string => {
  try { return execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim(); } catch { return "x86_64-linux-gnu"; }
};

/** Ids of live maps with this name (the kernel frees them after an RCU grace period: callers poll). */
function mapsNamed(name: string): number[] {
  const out: number[] = [];
  for (let id = mapGetNextId(0); id !== undefined; id = mapGetNextId(id)) {
    let fd: number;
    try { fd = mapGetFdById(id); } catch { continue; }
    try { if (mapInfo(fd).name === name) out.push(id); } finally { closeFd(fd); }
  }
  return out;
}
async function noMapsNamed(name: string): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    if (!mapsNamed(name).length) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describeKernel("example ELF objects in the kernel", () => {
  const examples = readdirSync(BPF).filter((f) => f.endsWith(".bpf.o")).sort();

  it("loads every example object with its BTF: maps carry BTF key/value types, programs their BTF", async () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const withBtf: string[] = [], refused: string[] = [];
    for (const file of examples) {
      const programs = await loadPrograms(join(BPF, file));
      const obj = loadObjectIntoKernel(programs);
      try {
        for (const p of obj.programs) {
          expect(p.warnings, `${file} ${p.name}`).toEqual([]);
          expect(progInfo(p.fd).btfId, `${file} ${p.name} has BTF`).toBeGreaterThan(0);
        }
        for (const m of obj.maps.values()) {
          if (!m.spec.btfKeyTypeId && !m.spec.btfValueTypeId) continue;
          const info = mapInfo(m.fd);
          if (MAPS_WITHOUT_BTF.has(m.spec.type)) {
            // libbpf creates these types without BTF key/value ids (bpf_object__create_map), and so does bpfkit
            expect(m.btfRefused, `${file} map ${m.name}`).toBeUndefined();
            expect(info.btfId, `${file} map ${m.name}`).toBe(0);
            refused.push(`${m.spec.type}`);
            continue;
          }
          if (m.btfRefused) {
            // Some map types take no BTF ids (6.18: sockmap/sockhash answer ENOTSUPP): created plain, said so.
            expect(m.btfRefused, `${file} map ${m.name}`).toMatch(/ENOTSUPP/);
            expect(info.btfId).toBe(0);
            refused.push(`${m.spec.type}`);
            continue;
          }
          withBtf.push(m.spec.type);
          expect(info.btfId, `${file} map ${m.name}`).toBeGreaterThan(0);
          expect(info.btfKeyTypeId).toBe(m.spec.btfKeyTypeId ?? 0);
          expect(info.btfValueTypeId).toBe(m.spec.btfValueTypeId ?? 0);
        }
      } finally {
        obj.close();
      }
    }
    // The ordinary map types (lpm_trie, hash, array, percpu_array) all keep their BTF.
    for (const t of ["lpm_trie", "hash", "array", "percpu_array"]) expect(withBtf).toContain(t);
    expect(refused.filter((t) => !["sockmap", "sockhash"].includes(t))).toEqual([]);
  });

  it("xdp_feature_tour: global data written, .rodata frozen, prog_array filled, the tail call drops low-TTL packets", async () => {
    const programs = await loadPrograms(join(BPF, "xdp_feature_tour.bpf.o"));
    const obj = loadObjectIntoKernel(programs);
    try {
      const byName = (n: string) => obj.programs.find((p) => p.name === n)!;
      const mapEnding = (suffix: string) => [...obj.maps.values()].find((m) => m.name.endsWith(suffix))!;
      const rodata = mapEnding(".rodata"), data = mapEnding(".data"), bss = mapEnding(".bss");
      // The object's .rodata bytes are in the map (scan_limit = 32, min_ttl = 2 as the C source says) ...
      const ro = new Uint8Array(rodata.spec.valueSize);
      expect(mapLookup(rodata.fd, u32Key(0), ro)).toBe(true);
      expect([...ro]).toEqual([...rodata.spec.initialValue!.subarray(0, ro.length)]);
      // ... and frozen: user space may not write it any more.
      expect(() => mapUpdate(rodata.fd, u32Key(0), ro)).toThrow(/EPERM/);
      // The prog_array slot 0 holds xdp_drop_stage (user space reads a program's id back).
      const slot = new Uint8Array(4);
      expect(mapLookup(obj.maps.get("jump_table")!.fd, u32Key(0), slot)).toBe(true);
      expect(u32(slot)).toBe(byName("xdp_drop_stage").id);

      const engine = new KernelEngine(programs.find((p) => p.name === "xdp_feature_tour")!, { maps: obj.maps });
      try {
        const low = buildPacket({ ipv4: { src: "192.0.2.1", dst: "192.0.2.2", ttl: 1 }, udp: { srcPort: 1000, dstPort: 2000 }, payload: "low" });
        const ok = buildPacket({ ipv4: { src: "192.0.2.1", dst: "192.0.2.2", ttl: 64 }, udp: { srcPort: 1000, dstPort: 2000 }, payload: "fine" });
        expect(engine.run({ data: low }).retval).toBe(1); // XDP_DROP from the tail-called stage
        expect(engine.run({ data: ok }).retval).toBe(2); // XDP_PASS
        const dv = new Uint8Array(data.spec.valueSize);
        mapLookup(data.fd, u32Key(0), dv);
        expect(u64(dv)).toBe(2n); // packets_seen
        const bv = new Uint8Array(bss.spec.valueSize);
        mapLookup(bss.fd, u32Key(0), bv);
        // Where the compiler put each .bss variable: its ELF symbol's value is the offset in the section.
        const syms = readElf(readFileSync(join(BPF, "xdp_feature_tour.bpf.o"))).symbols;
        const at = (n: string): number => syms.find((x) => x.name === n)!.value;
        expect(u32(bv, at("last_prefix_sum"))).toBe(ok.subarray(0, 32).reduce((a, b) => a + b, 0)); // sum of the first scan_limit bytes
        expect(u64(bv, at("dropped_low_ttl"))).toBe(1n);
      } finally {
        engine.close();
      }
    } finally {
      obj.close();
    }
  });

  it("bpfkit deploy --prog brings the program's tail-call target along (loaded, not attached)", async () => {
    const name = uniq("t-tour-");
    try {
      const d = bpfkit("deploy", join(BPF, "xdp_feature_tour.bpf.o"), "--prog", "xdp_feature_tour", "--name", name);
      expect(d.err).toBe("");
      expect(d.code).toBe(0);
      const m = readManifest(name)!;
      expect(m.programs.map((p) => [p.name, p.attach.type])).toEqual([["xdp_feature_tour", "none"], ["xdp_drop_stage", "none"]]);
      const fd = objGet(join(deploymentDir(name), "maps", "jump_table"));
      const slot = new Uint8Array(4);
      try {
        expect(mapLookup(fd, u32Key(0), slot)).toBe(true);
      } finally {
        closeFd(fd);
      }
      expect(u32(slot)).toBe(m.programs[1]!.id);
    } finally {
      try { detachDeployment(name); } catch { /* not made */ }
    }
  });

  it("bpfkit deploy --file: both programs of sockops_redir.bpf.o share one sock_map and one redirect_stats", () => {
    const name = uniq("t-redir-");
    const cgroup = addCgroup(uniq("bkecg"));
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-redir-"));
    try {
      const file = join(dir, "redir.json");
      const obj = join(BPF, "sockops_redir.bpf.o");
      writeFileSync(file, JSON.stringify({ name, programs: [
        { file: obj, program: "sockops_established", attach: { type: "sockops", target: cgroup } },
        { file: obj, program: "sk_msg_redirect", attach: { type: "sk_msg", target: "sock_map" } },
      ] }));
      const d = bpfkit("deploy", "--file", file);
      expect(d.err).toBe("");
      expect(d.code).toBe(0);
      const m = readManifest(name)!;
      expect(m.maps.map((x) => x.name).sort()).toEqual(["redirect_stats", "sock_map"]);
      expect(m.programs.map((p) => [p.name, p.type, p.linkId! > 0])).toEqual([["sockops_established", "sock_ops", true], ["sk_msg_redirect", "sk_msg", true]]);
      const st = bpfkit("map", "dump", `${name}/redirect_stats`);
      expect(st.code).toBe(0);
      expect(st.out).toMatch(/^2 entries \(array redirect_stats\)$/m);
      expect(bpfkit("detach", name).code).toBe(0);
      expect(existsSync(deploymentDir(name))).toBe(false);
    } finally {
      try { detachDeployment(name); } catch { /* done */ }
      delCgroup(cgroup);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describeKernelC();
});

/** A C program the verifier rejects: needs clang-19 (skipped visibly without it). */
function describeKernelC(): void {
  const clang = clang19();
  const title = "a rejected C program shows the kernel's message and its C source line, and leaves nothing behind";
  if (!clang) {
    it.skip(`${title} [skipped: clang-19 not found]`, () => {});
    return;
  }
  let dir = "";
  let obj = "";
  let badLine = 0;
  const mapName = `bk_leak${process.pid % 10000}`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "bpfkit-c-"));
    const src = [
      "#include <linux/bpf.h>",
      "#include <bpf/bpf_helpers.h>",
      "",
      "struct {",
      "\t__uint(type, BPF_MAP_TYPE_ARRAY);",
      "\t__type(key, __u32);",
      "\t__type(value, __u64);",
      "\t__uint(max_entries, 1);",
      `} ${mapName} SEC(".maps");`,
      "",
      "SEC(\"xdp\")",
      "int too_far(struct xdp_md *ctx)",
      "{",
      "\tunsigned char *data = (void *)(long)ctx->data;",
      "\tunsigned char *end = (void *)(long)ctx->data_end;",
      "\t__u32 k = 0;",
      "\t__u64 *n = bpf_map_lookup_elem(&" + mapName + ", &k);",
      "\tif (n)",
      "\t\t*n += 1;",
      "\tif (data + 1 > end)",
      "\t\treturn XDP_PASS;",
      "\treturn data[20] == 7 ? XDP_DROP : XDP_PASS; // reads past the one byte checked",
      "}",
      "",
      "char LICENSE[] SEC(\"license\") = \"GPL\";",
      "",
    ].join("\n");
    badLine = src.split("\n").findIndex((l) => l.includes("data[20]")) + 1;
    writeFileSync(join(dir, "too_far.c"), src);
    obj = join(dir, "too_far.o");
    execFileSync(clang, ["-O2", "-g", "-target", "bpf", "-I", `/usr/include/${multiarch()}`, "-c", join(dir, "too_far.c"), "-o", obj], { cwd: dir });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${title} (API)`, async () => {
    const [program] = await loadPrograms(obj);
    let error: unknown;
    try {
      loadProgramIntoKernel(program!).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    const e = error as KernelError;
    expect(e.errnoName).toBe("EACCES");
    const d = e.diagnostics[0]!;
    expect(d.code).toBe("BK7003");
    // Both lines of the kernel's two-line message.
    expect(d.message).toMatch(/invalid access to packet, off=20 size=1.*: R\d offset is outside of the packet/);
    expect(d.file).toMatch(/too_far\.c$/);
    expect(d.line).toBe(badLine);
    expect(d.hint).toMatch(/data\[20\]/);
    // The kernel's own log has the C lines too (BTF line info was accepted).
    expect(e.log).toContain(`too_far.c:${badLine}`);
    expect(await noMapsNamed(mapName)).toBe(true);
  });

  it(`${title} (bpfkit deploy)`, async () => {
    const name = uniq("t-cbad-");
    const r = bpfkit("deploy", obj, "--name", name);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/invalid access to packet/);
    expect(r.err).toMatch(new RegExp(`too_far\\.c:${badLine}: pc \\d+: error: the kernel verifier rejected program 'too_far'`));
    expect(existsSync(deploymentDir(name))).toBe(false);
    expect(await noMapsNamed(mapName)).toBe(true);
  });
}
