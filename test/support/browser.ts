// Debian's chromium driven by playwright-core, for the playground's browser tests, screenshots and budget
// script. Never a downloaded browser: /usr/bin/chromium (the Debian package `chromium`, which .ci/run
// installs), a fresh profile each launch, and the flags that keep it from reaching for the network.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { chromium, type BrowserContext } from "playwright-core";
import { servePlayground, type PlaygroundServer } from "../../src/cli/commands/playground.js";

export const CHROMIUM = process.env.BPFKIT_CHROMIUM ?? "/usr/bin/chromium";
export const ROOT = resolve(import.meta.dirname, "../..");
export const PLAYGROUND_DIST = join(ROOT, "playground/dist");

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps", "--disable-extensions",
];

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  return undefined;
}

/** Browser tests run unless chromium is missing; BPFKIT_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure. */
export function browserRequired(): boolean {
  return process.env.BPFKIT_REQUIRE_BROWSER === "1";
}

export interface Browser { context: BrowserContext; close(): Promise<void> }

/** Chromium with a fresh, empty profile, removed on close. */
export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "bpfkit-chromium-"));
  // launchPersistentContext is how playwright takes a --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, deviceScaleFactor: 1,
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** Build the playground (vite build) unless `fresh` is false and a build exists. */
export function buildPlayground(fresh = true): void {
  if (!fresh && existsSync(join(PLAYGROUND_DIST, "index.html"))) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", "playground/vite.config.ts", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
}

/** Serve the built playground on a free loopback port. */
export function servePlaygroundDist(): Promise<PlaygroundServer> {
  return servePlayground({ dir: PLAYGROUND_DIST, port: 0 });
}
