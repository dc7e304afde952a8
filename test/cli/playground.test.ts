// `bpfkit playground`: a static file server for the built playground, on loopback only by default. The
// server function and the command (spawned, on a free port) are both checked with a stand-in folder, so
// this test needs no build of the playground.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { servePlayground } from "../../src/cli/commands/playground.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(join(tmpdir(), "bpfkit-pg-"));
mkdirSync(join(dir, "assets"));
writeFileSync(join(dir, "index.html"), "<!doctype html><title>pg</title>");
writeFileSync(join(dir, "assets", "app.js"), "console.log(1)");
writeFileSync(join(tmpdir(), "bpfkit-pg-secret.txt"), "secret");
afterAll(() => { rmSync(dir, { recursive: true, force: true }); rmSync(join(tmpdir(), "bpfkit-pg-secret.txt"), { force: true }); });

describe("bpfkit playground", () => {
  it("serves the folder's files with their types, index.html for /, 404 and no path outside it", async () => {
    const s = await servePlayground({ dir, port: 0 });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(s.url);
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await index.text()).toContain("<title>pg</title>");
      const js = await fetch(new URL("assets/app.js", s.url));
      expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
      expect((await fetch(new URL("missing.js", s.url))).status).toBe(404);
      // encoded dots get past URL normalisation in the client; the server must still refuse them
      const escape = await fetch(`${s.url}..%2F${"bpfkit-pg-secret.txt"}`);
      expect([403, 404]).toContain(escape.status);
      expect(await escape.text()).not.toContain("secret");
      expect((await fetch(s.url, { method: "POST" })).status).toBe(405);
    } finally {
      await s.close();
    }
  });

  it("runs as a command, prints its URL and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), "playground", "--port", "0", "--dir", dir], { cwd: repo });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => { out += d.toString(); const m = /(http:\/\/\S+)/.exec(out); if (m) ok(m[1]!); });
        child.on("exit", (code) => fail(new Error(`exited with ${code} before printing a URL: ${out}`)));
        setTimeout(() => fail(new Error(`no URL within 30 s: ${out}`)), 30_000);
      });
      expect((await fetch(url)).status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((ok) => child.on("exit", ok));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("says to build first when there is no built playground, and refuses a bad port", () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), "playground", ...args], { cwd: repo, encoding: "utf8" });
    const missing = cli("--dir", join(dir, "nope"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("npm run build:playground");
    const bad = cli("--dir", dir, "--port", "70000");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--port must be 0-65535");
  });
});
