// `bpfkit build FILE.c`: clang-19 with the BPF flags, a vmlinux.h generated from the target BTF into a
// cache, no build path in the object, clang's diagnostics as clang prints them, then the verify listing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { includesVmlinux, targetArch } from "../../src/build/clang.js";
import { bundledBtf } from "../../src/build/vmlinux-header.js";

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "bpfkit-build-"));
const cache = join(dir, "cache");
const bpfkit = (args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } => {
  // tsx by path: the build runs in a folder of its own, where `--import tsx` would not resolve
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), "build", ...args],
    { cwd: dir, encoding: "utf8", env: { ...process.env, BPFKIT_CACHE_DIR: cache, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

// vmlinux.h gives the kernel's enum xdp_action; VERDICT must come from -D
const SOURCE = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#ifndef VERDICT
#error "build with -D VERDICT=..."
#endif

SEC("xdp")
int verdict(struct xdp_md *ctx)
{
	return VERDICT;
}

SEC("xdp_legacy")
int legacy_name(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;
writeFileSync(join(dir, "prog.bpf.c"), SOURCE);

describe("bpfkit build", () => {
  it("compiles with a generated vmlinux.h and -D, and prints the verify listing", () => {
    const r = bpfkit(["prog.bpf.c", "-D", "VERDICT=XDP_DROP", "--type", "legacy_name=xdp"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^built prog\.bpf\.o \(vmlinux\.h from the running kernel's BTF\)$/m);
    expect(r.out).toMatch(/^verdict\s+xdp\s+xdp\s+accepted\s/m);
    expect(r.out).toMatch(/^legacy_name\s+xdp_legacy \(--type xdp\)\s+xdp\s+accepted\s/m);
    // the header is cached by the BTF's hash, and the object names no folder of this machine
    const headers = readdirSync(join(cache, "vmlinux"));
    expect(headers).toHaveLength(1);
    expect(readFileSync(join(cache, "vmlinux", headers[0]!, "vmlinux.h"), "utf8")).toContain("enum xdp_action {");
    const obj = readFileSync(join(dir, "prog.bpf.o")).toString("latin1");
    expect(obj).not.toContain(dir);
    expect(obj).not.toContain(cache);
    expect(obj).toContain("prog.bpf.c");
  });

  it("the section hint appears for a name libbpf does not know; --json carries the command and the rows", () => {
    const r = bpfkit(["prog.bpf.c", "-o", "out.o", "-D", "VERDICT=2", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { output: string; command: string[]; programs: { name: string; verdict: string; reason?: string }[] };
    expect(j.output).toBe("out.o");
    expect(existsSync(join(dir, "out.o"))).toBe(true);
    expect(j.command.slice(1, 5)).toEqual(["-target", "bpf", "-g", "-O2"]);
    expect(j.command).toContain(`-D__TARGET_ARCH_${targetArch()}`);
    expect(j.command).toContain("-DVERDICT=2");
    expect(j.programs.find((p) => p.name === "verdict")?.verdict).toBe("accept");
    expect(j.programs.find((p) => p.name === "legacy_name")?.reason).toMatch(/did you mean 'xdp'\? .*--type legacy_name=xdp/);
  });

  it("clang's own diagnostics are shown as clang prints them (file:line:col); exit 1", () => {
    const r = bpfkit(["prog.bpf.c"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^prog\.bpf\.c:5:2: error: "build with -D VERDICT=\.\.\."$/m);
    expect(r.err).toContain("clang failed to compile prog.bpf.c (exit 1) [BK8105]");
    expect(r.out).toBe("");
  });

  it("without clang-19: exit 2 naming the Debian package", () => {
    const r = bpfkit(["prog.bpf.c", "-D", "VERDICT=2"], { CLANG: join(dir, "no-such-clang") });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot build: .*no-such-clang is not installed \(Debian: apt-get install clang-19\)/);
  });

  it("--btf FILE: the header comes from that BTF", () => {
    const r = bpfkit(["prog.bpf.c", "-D", "VERDICT=2", "--no-verify", "--btf", "/sys/kernel/btf/vmlinux"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("built prog.bpf.o (vmlinux.h from the BTF in /sys/kernel/btf/vmlinux)\n");
    const missing = bpfkit(["prog.bpf.c", "-D", "VERDICT=2", "--btf", join(dir, "nope.btf")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("cannot generate vmlinux.h: --btf");
  });

  it("the bundled default BTF (gzip) makes a header too", () => {
    const bundled = bundledBtf();
    expect(bundled).toMatch(/data\/btf\/vmlinux-6\.18-x86_64\.btf\.gz$/);
    const r = bpfkit(["prog.bpf.c", "-D", "VERDICT=2", "--no-verify", "--btf", bundled!]);
    expect(r.err).toBe("");
    expect(r.out).toBe(`built prog.bpf.o (vmlinux.h from the BTF in ${bundled})\n`);
    // a second header, keyed by the other BTF's hash
    expect(readdirSync(join(cache, "vmlinux")).length).toBeGreaterThanOrEqual(1);
  });

  it("knows a vmlinux.h include when it sees one", () => {
    expect(includesVmlinux(`#include "vmlinux.h"\n`)).toBe(true);
    expect(includesVmlinux(` # include <vmlinux.h>\n`)).toBe(true);
    expect(includesVmlinux(`#include <linux/bpf.h>\n// vmlinux.h\n`)).toBe(false);
    expect(targetArch("x64")).toBe("x86");
    expect(targetArch("arm64")).toBe("arm64");
  });
});
