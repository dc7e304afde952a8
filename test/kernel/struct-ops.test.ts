// A TCP congestion control written as struct_ops (test/fixtures/verifier/kfuncs/structops_cc.bpf.c), loaded
// and registered by bpfkit alone: the ELF loader binds each program to its tcp_congestion_ops member, the
// kernel loader loads them with that member's index, registerStructOps builds the kernel's
// `struct bpf_struct_ops_tcp_congestion_ops` value and registers it (`.struct_ops.link`: through a link;
// `.struct_ops`: by the map update). Then a network namespace of the test's own makes it its default, a TCP
// connection over its loopback starts it, and its init() has counted the sockets in its .bss.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { resolveTarget } from "../../src/load/node.js";
import { deploy, deploymentStatus, detachDeployment, loadObjectIntoKernel, mapLookup, registerStructOps, u32Key } from "../../src/kernel/index.js";
import type { ElfObject } from "../../src/elf/object.js";
import { describeKernel } from "../support/kernel.js";
import { addNetns, delNetns, nodeInNetns, nsExec, uniq } from "./net.js";

const FILE = new URL("../fixtures/verifier/kfuncs/structops_cc.bpf.o", import.meta.url).pathname;
const available = (): string[] => readFileSync("/proc/sys/net/ipv4/tcp_available_congestion_control", "utf8").trim().split(/\s+/);

/** A name of this run's own for the map's congestion control (tcp_congestion_ops.name, char[16]), so runs never collide. */
function rename(obj: ElfObject, map: string, name: string): void {
  const m = obj.structOps!.find((x) => x.map === map)!;
  const local = obj.btf!.type(m.typeId);
  const at = local.members!.find((x) => x.name === "name")!.offset / 8;
  m.data.fill(0, at, at + 16);
  m.data.set(new TextEncoder().encode(name), at);
}

const TCP_PAIR = `
const net = require("net");
const srv = net.createServer((c) => c.on("data", () => c.end())).listen(0, "127.0.0.1", () => {
  const c = net.connect(srv.address().port, "127.0.0.1", () => c.write("hello"));
  c.on("close", () => { srv.close(); console.log("done"); });
});`;

describeKernel("struct_ops: a TCP congestion control registered by bpfkit", () => {
  const ns = uniq("bkso");
  beforeAll(() => addNetns(ns));
  afterAll(() => delNetns(ns));

  for (const map of ["cc_link", "cc_plain"]) {
    it(`${map}: deployed (pinned, outliving the process that registered it) and detached again`, () => {
      const target = resolveTarget({ forKernel: true });
      const obj = loadObject(new Uint8Array(readFileSync(FILE)), { file: "structops_cc.bpf.o", target });
      const name = uniq(`bk_d${map.slice(3)}`).slice(0, 15);
      rename(obj, map, name);
      const m = obj.structOps!.find((x) => x.map === map)!;
      const items = m.members.map((b) => ({ program: obj.programs.find((p) => p.name === b.program)!, attach: { type: "struct_ops" as const, target: map } }));
      const dep = uniq("bkso_dep");
      const manifest = deploy(dep, items, { object: obj });
      try {
        expect(available()).toContain(name);
        expect(manifest.maps.find((x) => x.name === map)?.type).toBe("struct_ops");
        const st = deploymentStatus(dep);
        expect(st.programs.map((p) => p.attached)).toEqual(items.map(() => true));
        if (map === "cc_link") expect(st.programs[0]!.linkType).toBe("struct_ops");
      } finally {
        detachDeployment(dep);
      }
      expect(available()).not.toContain(name);
    });

    it(`${map}: registers, becomes a namespace's default, runs on its connections, unregisters`, async () => {
      const target = resolveTarget({ forKernel: true });
      const obj = loadObject(new Uint8Array(readFileSync(FILE)), { file: "structops_cc.bpf.o", target });
      const name = uniq(`bk_${map.slice(3)}`).slice(0, 15);
      rename(obj, map, name);
      const bound = new Set(obj.structOps!.find((x) => x.map === map)!.members.map((m) => m.program));
      const loaded = loadObjectIntoKernel(obj.programs.filter((p) => bound.has(p.name)));
      try {
        const reg = registerStructOps(obj, map, new Map(loaded.programs.map((p) => [p.name, p.fd])), target.btf());
        try {
          expect(reg.linkFd !== undefined).toBe(map === "cc_link");
          expect(available()).toContain(name);
          nsExec(ns, "sysctl", "-qw", `net.ipv4.tcp_congestion_control=${name}`);
          expect(await nodeInNetns(ns, TCP_PAIR)).toContain("done");
          const bss = [...loaded.maps.values()].find((m) => m.name.endsWith(".bss"));
          if (map === "cc_link") {
            // init() ran for both ends of the connection
            const v = new Uint8Array(8);
            expect(mapLookup(bss!.fd, u32Key(0), v)).toBe(true);
            expect(new DataView(v.buffer).getBigUint64(0, true)).toBeGreaterThanOrEqual(2n);
          }
          nsExec(ns, "sysctl", "-qw", "net.ipv4.tcp_congestion_control=reno");
        } finally {
          reg.close();
        }
        expect(available()).not.toContain(name);
      } finally {
        loaded.close();
      }
    });
  }
});
