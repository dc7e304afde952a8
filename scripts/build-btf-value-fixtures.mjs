#!/usr/bin/env node
// Builds test/fixtures/btf-values/*.bpf.o from the C next to them with clang-19 (the BTF value codec's
// test input: maps whose key and value types cover the display rules of src/btf/values.ts).
//   node scripts/build-btf-value-fixtures.mjs
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "test/fixtures/btf-values");
for (const source of readdirSync(dir).filter((f) => f.endsWith(".bpf.c")).sort()) {
  const out = source.replace(/\.c$/, ".o");
  // -I for asm/types.h on Debian multiarch; a relative source path keeps this checkout's location out of the BTF.
  execFileSync("clang-19", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", `-fdebug-prefix-map=${dir}=.`, "-c", source, "-o", out], { cwd: dir, stdio: "inherit" });
  console.log(`built ${join(dir, out)}`);
}
