// Each bpf(2) command through the typed binding, against the real kernel.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { describeKernel } from "../support/kernel.js";
import {
  btfLoad, closeFd, ensureBpffs, KernelEngine, KernelError, kernelTestRun, loadProgramIntoKernel, mapCreate, mapDelete,
  mapFreeze, mapGetFdById, mapGetNextId, mapGetNextKey, mapInfo, mapLookup, mapTypeId, mapUpdate, objGet, objPin, progGetFdById,
  progGetNextId, progInfo, progLoad, progLoadRaw, progQuery, linkCreate, linkDetach, linkInfo, BPF_NOEXIST, BPF_EXIST, bpffsRoot,
} from "../../src/kernel/index.js";
import { encode, exit, mov64Imm } from "../../src/isa/index.js";
import { AttachType, ProgType } from "../../src/progtypes/index.js";
import { rejectedProgram, xdpCounter } from "./programs.js";
import { addNetns, delNetns, uniq } from "./net.js";
import { inNetns } from "../../src/kernel/index.js";

const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
const u64 = (v: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };
const readU64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);

describeKernel("bpf(2) commands", () => {
  const fds: number[] = [];
  // Attach tests use the loopback of a namespace of their own, never the host's.
  const ns = uniq("bkcmd");
  beforeAll(() => addNetns(ns));
  afterAll(() => { for (const fd of fds) closeFd(fd); delNetns(ns); });

  it("creates a hash map and updates, looks up, iterates and deletes entries", () => {
    const fd = mapCreate({ mapType: mapTypeId("hash")!, keySize: 4, valueSize: 8, maxEntries: 8, name: "t_hash" });
    fds.push(fd);
    for (const k of [1, 2, 3]) mapUpdate(fd, u32(k), u64(BigInt(k * 100)));
    const value = new Uint8Array(8);
    expect(mapLookup(fd, u32(2), value)).toBe(true);
    expect(readU64(value)).toBe(200n);
    expect(mapLookup(fd, u32(9), value)).toBe(false);
    // NOEXIST on an existing key and EXIST on a missing key are refused with EEXIST / ENOENT.
    expect(() => mapUpdate(fd, u32(1), u64(0n), BPF_NOEXIST)).toThrow(/BPF_MAP_UPDATE_ELEM failed: EEXIST/);
    expect(() => mapUpdate(fd, u32(7), u64(0n), BPF_EXIST)).toThrow(/BPF_MAP_UPDATE_ELEM failed: ENOENT/);
    const keys: number[] = [];
    let prev: Uint8Array | null = null;
    const next = new Uint8Array(4);
    while (mapGetNextKey(fd, prev, next)) { keys.push(new DataView(next.buffer).getUint32(0, true)); prev = next.slice(); }
    expect(keys.sort()).toEqual([1, 2, 3]);
    expect(mapDelete(fd, u32(2))).toBe(true);
    expect(mapDelete(fd, u32(2))).toBe(false);
    const info = mapInfo(fd);
    expect(info).toMatchObject({ type: mapTypeId("hash"), keySize: 4, valueSize: 8, maxEntries: 8, name: "t_hash" });
  });

  it("freezes a map against writes from user space", () => {
    const fd = mapCreate({ mapType: mapTypeId("array")!, keySize: 4, valueSize: 4, maxEntries: 1 });
    fds.push(fd);
    mapUpdate(fd, u32(0), u32(7));
    mapFreeze(fd);
    const err = (() => { try { mapUpdate(fd, u32(0), u32(8)); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).command).toBe("BPF_MAP_UPDATE_ELEM");
    expect((err as KernelError).errnoName).toBe("EPERM");
  });

  it("names the command and errno of a failure, with a hint", () => {
    try {
      mapCreate({ mapType: mapTypeId("array")!, keySize: 3, valueSize: 4, maxEntries: 1 });
      expect.unreachable("array with key size 3 must fail");
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).message).toMatch(/BPF_MAP_CREATE failed: EINVAL/);
    }
  });

  it("loads BTF and refuses garbage BTF with the kernel's log", () => {
    // Header (24 bytes), one INT type "int" of 32 bits, string section "\0int\0".
    const types = new Uint8Array(16);
    const tv = new DataView(types.buffer);
    tv.setUint32(0, 1, true); tv.setUint32(4, 1 << 24, true); tv.setUint32(8, 4, true); tv.setUint32(12, 32, true);
    const strs = new TextEncoder().encode("\0int\0");
    const raw = new Uint8Array(24 + types.length + strs.length);
    const hv = new DataView(raw.buffer);
    hv.setUint16(0, 0xeb9f, true); hv.setUint8(2, 1); hv.setUint32(4, 24, true);
    hv.setUint32(8, 0, true); hv.setUint32(12, types.length, true); hv.setUint32(16, types.length, true); hv.setUint32(20, strs.length, true);
    raw.set(types, 24); raw.set(strs, 24 + types.length);
    const fd = btfLoad(raw);
    expect(fd).toBeGreaterThan(0);
    fds.push(fd);
    const bad = raw.slice();
    bad[0] = 0;
    try { btfLoad(bad); expect.unreachable(); } catch (e) {
      expect((e as KernelError).command).toBe("BPF_BTF_LOAD");
      expect((e as KernelError).log ?? "").toMatch(/magic/i);
    }
  });

  it("loads a program, runs it, reads its info and finds it by id", () => {
    const fd = progLoad({ progType: ProgType.XDP, insns: encode([mov64Imm(0, 1), exit()]), license: "GPL", name: "t_ret1" });
    fds.push(fd);
    const info = progInfo(fd);
    expect(info.type).toBe(ProgType.XDP);
    expect(info.name).toBe("t_ret1");
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    let id = 0, found = false;
    for (let next = progGetNextId(0); next !== undefined; next = progGetNextId(next)) if ((id = next) === info.id) { found = true; break; }
    expect(found).toBe(true);
    const again = progGetFdById(id);
    expect(progInfo(again).tag).toBe(info.tag);
    closeFd(again);
    const r = kernelTestRun(xdpCounter(3), { data: new Uint8Array(64) });
    expect(r.retval).toBe(3);
  });

  it("returns the verifier's log for a rejected load (raw and through the loader)", () => {
    const log = new Uint8Array(1 << 16);
    const raw = progLoadRaw({ progType: ProgType.XDP, insns: encode(rejectedProgram().insns), license: "GPL", logLevel: 2, logBuf: log });
    expect(raw.fd).toBe(-1);
    expect(raw.errno).toBe(13);
    expect(raw.log).toMatch(/R2 !read_ok/);
    try {
      loadProgramIntoKernel(rejectedProgram());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      const k = e as KernelError;
      expect(k.diagnostics[0]).toMatchObject({ code: "BK7003", pc: 0 });
      expect(k.diagnostics[0]!.message).toMatch(/R2 !read_ok/);
      expect(k.log).toMatch(/processed \d+ insns/);
      expect(k.exitCode).toBe(1);
    }
  });

  it("counts in a map across test runs and finds the map by id", () => {
    const engine = new KernelEngine(xdpCounter(2));
    try {
      const r = engine.run({ data: new Uint8Array(60), repeat: 5 });
      engine.run({ data: new Uint8Array(60), repeat: 3 });
      expect(r.retval).toBe(2);
      expect(r.data.length).toBe(60);
      const v = new Uint8Array(8);
      mapLookup(engine.loaded.maps[0]!.fd, u32(0), v);
      expect(readU64(v)).toBe(8n);
      expect(progInfo(engine.loaded.fd).mapIds).toEqual([engine.loaded.maps[0]!.id]);
      let seen = false;
      for (let id = mapGetNextId(0); id !== undefined; id = mapGetNextId(id)) if (id === engine.loaded.maps[0]!.id) seen = true;
      expect(seen).toBe(true);
      const fd = mapGetFdById(engine.loaded.maps[0]!.id);
      expect(mapInfo(fd).id).toBe(engine.loaded.maps[0]!.id);
      closeFd(fd);
    } finally {
      engine.close();
    }
  });

  it("pins a map in bpffs and opens it again", () => {
    ensureBpffs();
    const dir = `${bpffsRoot()}/test-pin-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    try {
      const fd = mapCreate({ mapType: mapTypeId("array")!, keySize: 4, valueSize: 4, maxEntries: 2 });
      mapUpdate(fd, u32(1), u32(42));
      objPin(fd, `${dir}/m`);
      closeFd(fd);
      const again = objGet(`${dir}/m`);
      const v = new Uint8Array(4);
      mapLookup(again, u32(1), v);
      expect(new DataView(v.buffer).getUint32(0, true)).toBe(42);
      closeFd(again);
      expect(() => objGet(`${dir}/absent`)).toThrow(/BPF_OBJ_GET failed: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });

  it("creates, queries and detaches an XDP link on a namespace's loopback", () => {
    const prog = progLoad({ progType: ProgType.XDP, insns: encode([mov64Imm(0, 2), exit()]), license: "GPL", expectedAttachType: AttachType.XDP });
    fds.push(prog);
    const link = inNetns(ns, () => linkCreate({ progFd: prog, target: 1, attachType: AttachType.XDP, flags: 2 }));
    try {
      const li = linkInfo(link);
      expect(li.type).toBe(6);
      expect(li.ifindex).toBe(1);
      expect(li.progId).toBe(progInfo(prog).id);
      linkDetach(link);
      expect(linkInfo(link).progId).toBe(li.progId);
    } finally {
      closeFd(link);
    }
  });

  it("queries the programs on a tcx hook of a namespace's loopback", () => {
    const prog = progLoad({ progType: ProgType.SCHED_CLS, insns: encode([mov64Imm(0, -1), exit()]), license: "GPL" });
    fds.push(prog);
    const query = () => inNetns(ns, () => progQuery(1, AttachType.TCX_EGRESS));
    const before = query().progIds.length;
    const link = inNetns(ns, () => linkCreate({ progFd: prog, target: 1, attachType: AttachType.TCX_EGRESS }));
    try {
      const q = query();
      expect(q.progIds).toContain(progInfo(prog).id);
      expect(q.progIds.length).toBe(before + 1);
    } finally {
      closeFd(link);
    }
    expect(query().progIds).not.toContain(progInfo(prog).id);
  });
});

describe("kernel backend loading", () => {
  it("the module loads on any platform", async () => {
    const mod = await import("../../src/kernel/index.js");
    expect(typeof mod.kernelBackendProblem).toBe("function");
  });
});
