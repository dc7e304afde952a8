#!/usr/bin/env node
// The `bpfkit` executable (package.json "bin"; built into dist/bin/bpfkit.js by scripts/bundle-cli.mjs):
// runs the bundled command line, dist/bin/bpfkit.cjs, with a V8 code cache (issue #15 item 9, start-up
// time).
//
// Without a cache, every start parses ~1 MB of JavaScript and compiles each function it calls (the
// verifier's walk, the ELF reader...) before running it. V8 can save that compiled code and take it back
// on the next start: this is what Node 22's `module.enableCompileCache()` does, which Node 20 lacks (and
// which does not cover scripts run through node:vm). So: compile the bundle as a vm.Script with the
// cached data of an earlier run, and when there was none (or V8 refused it: another Node, other V8
// flags, a rebuilt bundle), save the code compiled by this run when it exits.
//
// The cache is a file beside the bundle (dist/bin/bpfkit.cjs.*.v8cache, not in the package: package.json
// "files"), so it is exactly as trusted as the code itself (whoever can write it can write the bundle), a
// build, which empties dist/bin, clears it, and the checkout's owner can delete one that `sudo npx bpfkit`
// wrote (no root-owned folder). Where dist/bin is not writable (a global install run by another user)
// bpfkit runs without a cache. BPFKIT_NO_CODE_CACHE=1 turns it off; BPFKIT_DEBUG_CODE_CACHE=1 says on
// stderr whether V8 took the cache.
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";

// Before compiling anything: cached code is only accepted under the V8 flags it was made with, and the
// command line sets this one (src/cli/main.ts explains it).
setFlagsFromString("--no-liftoff");

const dir = dirname(fileURLToPath(import.meta.url));
const bundle = join(dir, "bpfkit.cjs");
// The bundle is ASCII (esbuild escapes the rest; scripts/bundle-cli.mjs checks): read as latin1 it is the
// same text, 0.3 ms where Node 20's UTF-8 reading takes 10-15 ms for these 1.5 MB.
const source = readFileSync(bundle).toString("latin1");
const useCache = !process.env.BPFKIT_NO_CODE_CACHE;
// V8 checks its version, flags and the source's length; the bundle's size and time stamp in the name make
// a bundle edited in place (same length, other code) miss instead of running stale code. One cache per
// command: a cache holds the functions compiled by the run that wrote it (`verify`'s verifier, `run`'s
// engine), and a cache that V8 accepts is not written again.
const stamp = statSync(bundle);
const command = /^[a-z]{2,12}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
const cacheFile = `${bundle}.${command}.${process.versions.v8}-${arch()}-${stamp.size}-${Math.trunc(stamp.mtimeMs)}.v8cache`;
let cached: Buffer | undefined;
if (useCache) try { cached = readFileSync(cacheFile); } catch { /* first run */ }

// the bundle is a CommonJS function wrapper around the CLI: (function (exports, require, module, ...) {...})
const script = new Script(source, {
  filename: bundle,
  ...(cached ? { cachedData: cached } : {}),
});
if (process.env.BPFKIT_DEBUG_CODE_CACHE) process.stderr.write(`code cache: ${!useCache ? "off" : !cached ? "none" : script.cachedDataRejected ? "rejected" : "accepted"}\n`);
if (useCache && (!cached || script.cachedDataRejected)) {
  // at exit, so the functions this command compiled are in the cache too
  process.once("exit", () => {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile); // whole or not at all, with other bpfkit processes starting at the same time
    } catch { /* not writable here: run without a cache */ }
  });
}
// Once the event loop is empty, nothing is left to write (stdout and stderr to files, pipes and terminals are
// synchronous on Linux): end there instead of tearing down the heap first, which took 7-15 ms. 'exit'
// handlers, the cache's among them, still run.
process.once("beforeExit", () => process.exit());
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dir);
