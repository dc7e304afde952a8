// The README's commands and examples must keep working: a newcomer's first contact with bpfkit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "bpfkit-readme-"));

/** Run a README shell command with `npx bpfkit` pointing at this checkout's sources. */
function sh(command: string) {
  const bpfkit = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(repo, "src/cli/main.ts"))}`;
  return spawnSync("bash", ["-c", command.replaceAll("npx bpfkit", bpfkit)], { cwd: repo, encoding: "utf8" });
}

describe("README", () => {
  it("main job: verify the bundled blocklist, then drop a packet from a blocked network", () => {
    const line = readme.split("\n").find((l) => l.startsWith("npm install && "));
    expect(line).toBeDefined();
    const r = sh(line!.replace(/^npm install && /, ""));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/accepted/);
    expect(r.stdout).toMatch(/XDP_DROP/);
    expect(r.stdout).toMatch(/map stats\[01000000\]/); // the drop counter moved
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
