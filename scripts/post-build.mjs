// After tsc and the CLI bundle (scripts/bundle-cli.mjs): make the CLI entry executable, and link it as
// node_modules/.bin/bpfkit in this checkout.
// Without the link, `npx bpfkit` in a fresh clone does not find the project's own bin: npm resolves the
// name to this folder as a package, copies it into its npx cache and builds it again there (25-80 s on
// every first call per clone path). With it, `npx bpfkit` starts at once.
import { chmodSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/bin/bpfkit.js"); // package.json "bin"
if (existsSync(cli)) chmodSync(cli, 0o755);

// Only in a checkout that has its own node_modules (npm install / npm ci here), never when installed as
// someone else's dependency (npm does not run `prepare` for registry installs).
const binDir = join(root, "node_modules/.bin");
if (existsSync(join(root, "node_modules")) && existsSync(cli) && process.platform !== "win32") {
  mkdirSync(binDir, { recursive: true });
  const link = join(binDir, "bpfkit");
  const target = relative(binDir, cli);
  let current;
  try { current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : "(a file)"; } catch { current = undefined; }
  if (current !== target) {
    if (current !== undefined) unlinkSync(link);
    symlinkSync(target, link);
  }
}
