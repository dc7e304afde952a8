// `bpfkit inspect`: the summary it prints (as data), and the command's output and exit codes.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadObject } from "../../src/elf/index.js";
import { summary } from "../../src/cli/commands/inspect.js";

const root = join(import.meta.dirname, "../..");
const fixture = (n: string): string => join(root, "test/fixtures/elf", `${n}.o`);
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], { encoding: "utf8", cwd: root });

describe("bpfkit inspect", () => {
  it("summarises programs and maps", () => {
    const s = summary(loadObject(readFileSync(fixture("calls")), { file: "calls.o" }));
    expect(s.programs.map((p) => [p.name, p.section, p.type, p.insns])).toEqual([["first", "xdp", "xdp", 30], ["second", "xdp", "xdp", 31], ["sock", "socket", "socket_filter", 28]]);
    expect(s.programs[0]!.source).toMatch(/calls\.c$/);
    expect(s.maps).toEqual([{ name: "hits", type: "array", keySize: 4, valueSize: 8, maxEntries: 8, flags: 0, pinning: "none" }]);
  });
  it("prints tables, JSON, and the unsupported features", () => {
    const text = cli("inspect", fixture("maps_btf"));
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/count_packets\s+xdp\s+xdp\s+\d+/);
    expect(text.stdout).toMatch(/stats\s+percpu_array\s+4\s+16\s+4\s+0x0\s+by_name/);
    const json = JSON.parse(cli("inspect", fixture("unsupported"), "--json").stdout);
    expect(json.unsupported).toEqual([expect.stringMatching(/^program 'core': extern 'bpf_prog_active' \(strong\) is not resolved/)]);
    expect(json.programs[0].usable).toBe(false);
    expect(json.target).toMatch(/running kernel|bundled default/);
  });
  it("lists each program's CO-RE relocations: value and field, or why the instruction was poisoned", () => {
    const r = cli("inspect", fixture("core_task"), "--btf", join(root, "data/btf/vmlinux-6.18-x86_64.btf.gz"));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^target: --btf .*vmlinux-6\.18-x86_64\.btf\.gz$/m);
    expect(r.stdout).toMatch(/CO-RE relocations of core_direct \(8\):/);
    expect(r.stdout).toMatch(/\d+\s+byte_off\s+struct task_struct\s+0:92\s+\d+ = task_struct\.pid/);
    expect(r.stdout).toMatch(/byte_off\s+struct task_struct___old\s+0:0\s+poisoned: struct task_struct \[\d+\] has no field 'some_field_gone_long_ago'/);
    expect(r.stdout).toMatch(/enumval_value\s+enum big64___x\s+0\s+poisoned: the target has no enum named big64/);
    const json = JSON.parse(cli("inspect", fixture("externs"), "--json").stdout);
    const kf = json.programs.find((p: { name: string }) => p.name === "ksyms_and_kfuncs");
    expect(kf.externs.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(["bpf_rcu_read_lock", "bpf_kfunc_that_does_not_exist"]));
    expect(json.maps.map((m: { name: string }) => m.name)).toContain("externs.kconfig");
  });
  it("disasm names each kfunc call from the target BTF, as it names helpers", () => {
    const r = cli("disasm", fixture("externs"), "--program", "ksyms_and_kfuncs", "--btf", join(root, "data/btf/vmlinux-6.18-x86_64.btf.gz"));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^call kfunc\(\d+\)\t# bpf_rcu_read_lock$/m);
    expect(r.stdout).toMatch(/^call kfunc\(\d+\)\t# bpf_task_release$/m);
  });
  it("bad input: a diagnostic and exit code 2, no stack trace", () => {
    const bad = join(mkdtempSync(join(tmpdir(), "bpfkit-inspect-")), "bad.o");
    writeFileSync(bad, readFileSync(fixture("calls")).subarray(0, 300));
    const r = cli("inspect", bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: .*\[BK400\d\]/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    // a --btf that is not BTF: named, exit 2
    const notBtf = cli("inspect", fixture("core_xdp"), "--btf", fixture("core_xdp").replace(/\.o$/, ".libbpf.json"));
    expect(notBtf.status).toBe(2);
    expect(notBtf.stderr).toMatch(/cannot use .*core_xdp\.libbpf\.json as target BTF: it is neither raw BTF .* \[BK4101\]/);
    const noKconfig = cli("inspect", fixture("externs"), "--kconfig", "/nonexistent/config");
    expect(noKconfig.status).toBe(2);
    expect(noKconfig.stderr).toMatch(/cannot use \/nonexistent\/config as kernel configuration: cannot read it \(ENOENT\) \[BK4103\]/);
  });
});
