// CO-RE packet programs (test/fixtures/elf/src/core_xdp.c, built against a vmlinux.h: every ethhdr/iphdr/
// __sk_buff access is relocated) and .kconfig externs, run in the interpreter after relocation, then
// loaded into the running kernel the way `deploy` loads them (relocated against this kernel's BTF), where
// BPF_PROG_TEST_RUN must agree with the interpreter on the same packets.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { BTF_KIND, BtfBuilder, parseBtf } from "../../src/btf/index.js";
import { attachTargetOf } from "../../src/elf/attach-target.js";
import { kernelVerifyProgram } from "../../src/testing/kernel-verdict.js";
import { loadPrograms, bundledTarget } from "../../src/load/node.js";
import { buildPacket, parsePacket, verifyChecksums } from "../../src/packet/index.js";
import type { Program } from "../../src/program/index.js";
import { loadProgram, type Mode } from "../../src/runtime/runtime.js";
import { expectEnginesAgree } from "../../src/testing/agree.js";
import { describeKernel } from "../support/kernel.js";
import { uniq } from "../kernel/net.js";

const dir = join(import.meta.dirname, "../fixtures/elf");
const root = join(import.meta.dirname, "../..");
const XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;
const MODES: Mode[] = ["checked", "fast"];

const object = (name: string) => loadObject(readFileSync(join(dir, `${name}.o`)), { file: `${name}.o`, target: bundledTarget() });
const prog = (name: string, program: string): Program => object(name).programs.find((p) => p.name === program)!;
const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(0, true);

const udp = buildPacket({ eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }, ipv4: { src: "192.0.2.1", dst: "198.51.100.7", ttl: 64 }, udp: { dstPort: 53 }, payload: "query" });
const tcpTo99 = buildPacket({ ipv4: { src: "192.0.2.1", dst: "10.0.0.99" }, tcp: { dstPort: 80 }, payload: "x" });
const ttl1 = buildPacket({ ipv4: { ttl: 1 }, udp: {}, payload: "y" });
const v6 = buildPacket({ ipv6: {}, udp: {}, payload: "z" });

describe.each(MODES)("CO-RE packet programs in the interpreter (%s mode)", (mode) => {
  it("xdp_core_reflect: IPv4 goes back out with MACs swapped, TTL-1 and a correct checksum", () => {
    const rt = loadProgram(prog("core_xdp", "xdp_core_reflect"), { mode });
    const r = rt.run({ data: udp });
    expect(r.retval).toBe(XDP_TX);
    const before = parsePacket(udp), after = parsePacket(r.data);
    expect(after.eth!.src).toBe(before.eth!.dst);
    expect(after.eth!.dst).toBe(before.eth!.src);
    expect(after.ipv4!.ttl).toBe(63);
    expect(verifyChecksums(r.data).bad).toEqual([]);
    // the UDP counter (key 1) moved, the other did not
    const seen = rt.maps.get("seen")!;
    expect(u64(seen.get(Uint8Array.of(1, 0, 0, 0)) as Uint8Array)).toBe(1n);
    expect(u64(seen.get(Uint8Array.of(0, 0, 0, 0)) as Uint8Array)).toBe(0n);
    expect(rt.run({ data: ttl1 }).retval).toBe(XDP_DROP);
    const passed = rt.run({ data: v6 });
    expect(passed.retval).toBe(XDP_PASS);
    expect(passed.data).toEqual(v6);
  });
  it("xdp_core_drop: reads daddr through iphdr's anonymous union", () => {
    const rt = loadProgram(prog("core_xdp", "xdp_core_drop"), { mode });
    expect(rt.run({ data: tcpTo99 }).retval).toBe(XDP_DROP);
    expect(rt.run({ data: udp }).retval).toBe(XDP_PASS);
  });
  it("tc_core_mark: relocated __sk_buff accesses write the mark", () => {
    const rt = loadProgram(prog("core_xdp", "tc_core_mark"), { mode });
    const r = rt.run({ data: udp });
    expect(r.retval).toBe(0);
    const mark = new DataView(r.ctx!.buffer, r.ctx!.byteOffset).getUint32(8, true); // __sk_buff.mark
    expect(mark).toBe(udp.length + 0x10000);
  });
  it("xdp_kconfig: .kconfig values from the target configuration reach the program", () => {
    const rt = loadProgram(prog("externs", "xdp_kconfig"), { mode });
    expect(rt.run({ data: udp }).retval).toBe(XDP_PASS);
  });
});

describe(".kconfig values", () => {
  it("come from --kconfig when given: a different CONFIG_HZ changes the verdict", () => {
    const withHz = (hz: string) => loadObject(readFileSync(join(dir, "externs.o")), {
      file: "externs.o", target: { ...bundledTarget(), kconfig: () => ({ text: `CONFIG_BPF_SYSCALL=y\nCONFIG_BPF_JIT=y\nCONFIG_HZ=${hz}\nCONFIG_DEFAULT_HOSTNAME="(none)"\n`, source: "test" }) },
    }).programs.find((p) => p.name === "xdp_kconfig")!;
    expect(loadProgram(withHz("1000")).run({ data: udp }).retval).toBe(XDP_PASS);
    // CONFIG_BPF_JIT missing from this config: the weak tristate is 0 (TRI_NO), so the program falls through
    const noJit = loadObject(readFileSync(join(dir, "externs.o")), {
      file: "externs.o", target: { ...bundledTarget(), kconfig: () => ({ text: "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=100\n", source: "test" }) },
    }).programs.find((p) => p.name === "xdp_kconfig")!;
    expect(loadProgram(noJit).run({ data: udp }).retval).toBe(XDP_TX);
    // a strong CONFIG_ extern that the configuration lacks: libbpf refuses, so the program is unusable
    const none = loadObject(readFileSync(join(dir, "externs.o")), { file: "externs.o", target: { ...bundledTarget(), kconfig: () => ({ text: "", source: "empty" }) } });
    expect(none.programs.find((p) => p.name === "xdp_kconfig")!.unsupported!.map((u) => u.what).join("\n")).toMatch(/extern 'CONFIG_HZ' \(strong\) is not resolved: not set in empty/);
    // programs that do not use .kconfig are unaffected
    expect(none.programs.find((p) => p.name === "ksyms_and_kfuncs")!.unsupported).toBeUndefined();
  });
  it("LINUX_HAS_BPF_COOKIE follows the target BTF (libbpf probes the kernel for the same helper)", () => {
    const b = new BtfBuilder();
    b.int("int", 4, true);
    const old = loadObject(readFileSync(join(dir, "externs.o")), {
      file: "externs.o", target: { ...bundledTarget(), btf: () => parseBtf(b.bytes(), { name: "old kernel" }) },
    });
    expect(old.externs!.find((e) => e.name === "LINUX_HAS_BPF_COOKIE")!.note).toBe("0 (the target has no bpf_get_attach_cookie_trace)");
    expect(loadProgram(old.programs.find((p) => p.name === "xdp_kconfig")!).run({ data: udp }).retval).toBe(XDP_TX);
    expect(object("externs").externs!.find((e) => e.name === "LINUX_HAS_BPF_COOKIE")!.note).toBe("1 (the target has bpf_get_attach_cookie_trace)");
  });
});

describeKernel("CO-RE programs in the kernel, relocated for the running kernel", () => {
  it("load, and BPF_PROG_TEST_RUN agrees with the interpreter", async () => {
    // deploy's way of opening an object: this kernel's BTF and configuration, never the bundled default
    const xdp = await loadPrograms(join(dir, "core_xdp.o"), { forKernel: true });
    const kconf = await loadPrograms(join(dir, "externs.o"), { forKernel: true });
    for (const p of xdp) expect(p.targetBtfSource).toMatch(/running kernel/);
    const inputs = [udp, tcpTo99, ttl1, v6].map((data) => ({ data }));
    for (const name of ["xdp_core_reflect", "xdp_core_drop", "tc_core_mark"]) expectEnginesAgree(xdp.find((p) => p.name === name)!, inputs);
    expectEnginesAgree(kconf.find((p) => p.name === "xdp_kconfig")!, inputs);
  });
  it("tp_btf programs load against their attach BTF id; poisoned ones get the kernel's own message, as recorded with libbpf", async () => {
    const rec = JSON.parse(readFileSync(join(dir, "core_task.libbpf.json"), "utf8")) as { programs: { name: string; kernel: "accepted" | { error: string } }[] };
    const programs = await loadPrograms(join(dir, "core_task.o"), { forKernel: true });
    expect(attachTargetOf("tp_btf/sched_switch")).toEqual({ kind: BTF_KIND.TYPEDEF, name: "btf_trace_sched_switch" });
    for (const r of rec.programs) {
      const v = kernelVerifyProgram(programs.find((p) => p.name === r.name)!, 1);
      if (r.kernel === "accepted") expect(v.verdict, `${r.name}: ${v.error}`).toBe("accept");
      else expect(`${r.name}: ${v.error}`).toBe(`${r.name}: ${r.kernel.error}`);
    }
  });
  it("bpfkit deploy loads them (and detach removes them)", () => {
    const name = uniq("core");
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], { encoding: "utf8", cwd: root });
    const d = cli("deploy", join(dir, "core_xdp.o"), "--prog", "xdp_core_reflect", "--name", name);
    try {
      expect(d.stderr).toBe("");
      expect(d.status).toBe(0);
      expect(d.stdout).toMatch(/xdp_core_reflect: xdp id \d+/);
    } finally {
      expect(cli("detach", name).status).toBe(0);
    }
  });
});
