// A newcomer's first minute: the README's main-job command, exactly as written (npm install included),
// in a fresh copy of this checkout (its tracked and unignored files, no node_modules, no dist), and
// what it prints compared with the output the README quotes. npm installs from its cache where it can.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { consoleBlocks, matchesQuoted } from "../support/readme.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");

describe("README walk-through in a fresh copy", () => {
  const copy = mkdtempSync(join(tmpdir(), "bpfkit-fresh-"));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("npm install && the main job prints what the README quotes", () => {
    const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: repo, encoding: "utf8" }).split("\0").filter(Boolean);
    for (const f of files) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      try { cpSync(join(repo, f), join(copy, f)); } catch { /* deleted in the working tree */ }
    }
    const sh = /```sh\n(npm install && [^\n]*)\n```/.exec(readme)![1]!;
    const r = spawnSync("bash", ["-c", sh], {
      cwd: copy, encoding: "utf8", timeout: 900_000,
      env: { ...process.env, npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
    });
    expect(r.status, `${sh}\n${r.stderr}`).toBe(0);
    // npm's own output comes first; the last lines are bpfkit's, as quoted
    const expected = consoleBlocks(readme).slice(0, 2).flatMap((b) => b.expected);
    const lines = r.stdout.replace(/\n$/, "").split("\n");
    const tail = lines.slice(-expected.length);
    expect(matchesQuoted(tail, expected), `printed:\n${lines.slice(-expected.length - 3).join("\n")}`).toBe(true);
    // and the first npx did not reinstall and rebuild the package (npm 11 runs prepare again for it)
    expect(r.stdout + r.stderr).not.toMatch(/> bpfkit@[\d.]+ build:ts/);
  }, 900_000);
});
