// Records the uapi context struct layouts as the C compiler sees them: generates a C file that prints
// offsetof/sizeof for every field bpfkit declares, compiles it with `cc` against /usr/include/linux/bpf.h
// (or the header the layout names: linux/bpf_perf_event.h, asm/ptrace.h) and writes
// test/facts/fixtures/uapi-layouts.json. Contexts that are no C struct (header null) are left out. Fields
// missing from the installed headers (they are append-only; Debian ships 6.1's) are recorded as null.
// Run: npx tsx scripts/record-facts-layouts.ts
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROGRAM_TYPES, contextLayout, BPF_SOCK_LAYOUT } from "../src/progtypes/index.js";

const layouts = new Map<string, string[]>();
const headers = new Map<string, string>();
const add = (struct: string, fields: readonly { name: string }[], header = "linux/bpf.h"): void => {
  layouts.set(struct, fields.map((f) => f.name).filter((n) => !n.startsWith("(")));
  headers.set(struct, header);
};
for (const p of PROGRAM_TYPES) for (const at of [undefined, ...p.attachTypes]) {
  const l = contextLayout(p.id, at);
  if (l && l.header !== null && !layouts.has(l.struct)) add(l.struct, l.fields, l.header);
}
add("bpf_sock", BPF_SOCK_LAYOUT.fields);
const includes = [...new Set(headers.values())].map((h) => `#include <${h}>\n`).join("");

const dir = mkdtempSync(join(tmpdir(), "bpfkit-layout-"));
let c = `#include <stdio.h>\n#include <stddef.h>\n${includes}int main(void) {\n  printf("{\\n");\n`;
const structs = [...layouts.keys()];
structs.forEach((s, si) => {
  c += `  printf("\\"${s}\\": {\\"__size\\": %zu", sizeof(struct ${s}));\n`;
  for (const f of layouts.get(s)!) {
    // probe each field separately so a field missing from old headers does not break the build
    const probe = `#include <stddef.h>\n#include <${headers.get(s)}>\nint x = offsetof(struct ${s}, ${f});\n`;
    writeFileSync(join(dir, "probe.c"), probe);
    let ok = true;
    try { execFileSync("cc", ["-c", "-o", join(dir, "probe.o"), join(dir, "probe.c")], { stdio: "ignore" }); } catch { ok = false; }
    c += ok ? `  printf(", \\"${f}\\": %zu", offsetof(struct ${s}, ${f}));\n` : `  printf(", \\"${f}\\": null");\n`;
  }
  c += `  printf("}${si < structs.length - 1 ? "," : ""}\\n");\n`;
});
c += '  printf("}\\n");\n  return 0;\n}\n';
writeFileSync(join(dir, "layouts.c"), c);
execFileSync("cc", ["-o", join(dir, "layouts"), join(dir, "layouts.c")]);
const out = execFileSync(join(dir, "layouts"), { encoding: "utf8" });
const json = { note: "offsetof/sizeof from /usr/include/linux/bpf.h via cc; null = field not in these headers", layouts: JSON.parse(out) };
writeFileSync(new URL("../test/facts/fixtures/uapi-layouts.json", import.meta.url), JSON.stringify(json, null, 1) + "\n");
console.log(structs.join(", "));
