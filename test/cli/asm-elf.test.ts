// `bpfkit asm prog.s -o prog.o` writes an object that Debian's bpftool (libbpf) loads as it is:
// a program written in assembly is deployable by any standard tool.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });

const SOURCE = `# Count packets per protocol byte of the IPv4 header, in a hash map; pass everything.
.section xdp
.license "GPL"
.name count_proto
.map by_proto, type=hash, key=4, value=8, max_entries=256
    r6 = r1
    r2 = *(u32 *)(r6 + 4)
    r1 = *(u32 *)(r6 + 0)
    r3 = r1
    r3 += 34
    if r3 > r2 goto pass
    r4 = *(u8 *)(r1 + 23)
    *(u32 *)(r10 - 4) = r4
    *(u64 *)(r10 - 16) = 1
    r1 = by_proto ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
pass:
    r0 = 2
    exit
`;

describeKernel("bpfkit asm -o x.o", () => {
  it("writes an object that bpftool prog loadall loads, with its map", () => {
    if (spawnSync("bpftool", ["version"]).status !== 0) throw new Error("bpftool is not installed (CI installs it)");
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-asm-elf-"));
    writeFileSync(join(dir, "count.s"), SOURCE);
    const out = join(dir, "count.o");
    const asm = cli("asm", join(dir, "count.s"), "-o", out);
    expect(asm.stderr).toBe("");
    expect(asm.status).toBe(0);
    expect([...readFileSync(out).subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    const pin = `/sys/fs/bpf/bpfkit-asm-elf-${process.pid}`;
    try {
      const load = spawnSync("bpftool", ["prog", "loadall", out, pin, "pinmaps", `${pin}-maps`], { encoding: "utf8" });
      expect(load.status, load.stderr).toBe(0);
      expect(readdirSync(pin)).toEqual(["count_proto"]);
      expect(readdirSync(`${pin}-maps`)).toEqual(["by_proto"]);
      const show = spawnSync("bpftool", ["map", "show", "pinned", `${pin}-maps/by_proto`], { encoding: "utf8" });
      expect(show.stdout).toMatch(/hash\s+name by_proto\s+flags 0x0\s+key 4B\s+value 8B\s+max_entries 256/);
    } finally {
      rmSync(pin, { recursive: true, force: true });
      rmSync(`${pin}-maps`, { recursive: true, force: true });
    }
    expect(existsSync(pin)).toBe(false);
  });
});
