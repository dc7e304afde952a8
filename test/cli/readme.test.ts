// The README's commands and examples must keep working: a newcomer's first contact with bpfkit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";
import { consoleBlocks, matchesQuoted } from "../support/readme.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "bpfkit-readme-"));

/** Run a README shell command with `npx bpfkit` pointing at this checkout's sources. */
function sh(command: string) {
  const bpfkit = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(repo, "src/cli/main.ts"))}`;
  return spawnSync("bash", ["-c", command.replaceAll("npx bpfkit", bpfkit)], { cwd: repo, encoding: "utf8" });
}

describe("README", () => {
  it("main job: the quoted output is what the commands print", () => {
    const blocks = consoleBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // the one-liner of "Two commands" runs exactly these commands
    const line = readme.split("\n").find((l) => l.startsWith("npm install && "))!;
    expect(line.replace(/^npm install && /, "").split(" && ")).toEqual(blocks.slice(0, 2).map((b) => b.command));
    for (const b of blocks) {
      const r = sh(b.command);
      expect(r.stderr, b.command).toBe("");
      expect(r.status, b.command).toBe(0);
      const actual = r.stdout.replace(/\n$/, "").split("\n");
      expect(matchesQuoted(actual, b.expected), `${b.command}\nprinted:\n${r.stdout}\nREADME quotes:\n${b.expected.join("\n")}`).toBe(true);
    }
  });

  it("the README's processed count is the emulator's (and, below, the kernel's)", () => {
    const quoted = Number(/^xdp_ddos_blocklist\s+xdp\s+xdp\s+accepted\s+(\d+)\s/m.exec(readme)![1]);
    expect(Number(/the same (\d+) instructions/.exec(readme)![1])).toBe(quoted);
  });

  it("the quoted-output matcher can fail", () => {
    expect(matchesQuoted(["a 1 ns", "b"], ["a ... ns", "b"])).toBe(true);
    expect(matchesQuoted(["x", "y", "z"], ["x", "...", "z"])).toBe(true);
    expect(matchesQuoted(["accepted, 225 insns"], ["accepted, 234 insns"])).toBe(false);
    expect(matchesQuoted(["a", "b"], ["a"])).toBe(false);
  });

  it("the assembly example assembles, verifies and counts an IPv4 packet", () => {
    const asm = /```asm\n([\s\S]*?)```/.exec(readme)![1]!;
    const file = join(dir, "example.s");
    writeFileSync(file, asm);
    const hex = readFileSync(join(repo, "bpf/packets/allowed_ipv4.hex"), "utf8").trim();
    const r = sh(`npx bpfkit verify ${file} && npx bpfkit run ${file} --data ${hex}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/XDP_PASS/);
    expect(r.stdout).toMatch(/map counts\[00000000\]: \(none\) -> cpu0:0100000000000000/);
  });

  it("the bundle example is a valid bundle", () => {
    const json = /```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const file = join(dir, "bundle.json");
    writeFileSync(file, json);
    const r = sh(`npx bpfkit disasm ${file}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^r0 = 0x2$/m);
  });
});

describeKernel("README, against the kernel", () => {
  it("the kernel's verifier processes as many instructions as the README quotes", async () => {
    const { loadPrograms } = await import("../../src/load/node.js");
    const { kernelVerifyProgram } = await import("../../src/testing/kernel-verdict.js");
    const [prog] = await loadPrograms(join(repo, "bpf/xdp_ddos_blocklist.bpf.o"));
    const k = kernelVerifyProgram(prog!, 1);
    expect(k.verdict).toBe("accept");
    const processed = Number(/processed (\d+) insns/.exec(k.log)![1]);
    expect(processed).toBe(Number(/^xdp_ddos_blocklist\s+xdp\s+xdp\s+accepted\s+(\d+)\s/m.exec(readme)![1]));
  });
});
