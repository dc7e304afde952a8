// Records libbpf's own table of section names (section_defs in tools/lib/bpf/libbpf.c) as JSON, so the
// test that holds src/progtypes/sections.ts to it runs where no kernel tree is unpacked:
//   npx tsx scripts/record-libbpf-sections.ts [path/to/libbpf.c]
// writes test/fixtures/sections/libbpf-section-defs.json. The default source is the 6.12 kernel tree's
// libbpf (1.5). The test parses libbpf.c itself too when present and checks this file against it.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const LIBBPF_C = "/work/kernel-src/linux-source-6.12/tools/lib/bpf/libbpf.c";
export const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "../test/fixtures/sections/libbpf-section-defs.json");

export interface LibbpfSecDef {
  /** As libbpf writes it, `+` included: `kprobe+`, `xdp`. */
  sec: string;
  /** BPF_PROG_TYPE_ suffix: `KPROBE`. */
  progType: string;
  /** `0` or the BPF_ attach type name: `BPF_TRACE_KPROBE_MULTI`. */
  attachType: string;
  /** SEC_ flag names, SEC_NONE left out: `["SEC_ATTACH_BTF", "SEC_SLEEPABLE"]`. */
  flags: string[];
}

export interface LibbpfSections {
  libbpfVersion: string;
  defs: LibbpfSecDef[];
}

/** Parse `static const struct bpf_sec_def section_defs[] = { SEC_DEF(...), ... };` and the version header. */
export function parseSectionDefs(libbpfC: string, versionH?: string): LibbpfSections {
  const start = libbpfC.indexOf("static const struct bpf_sec_def section_defs[] = {");
  if (start < 0) throw new Error("section_defs not found in libbpf.c");
  const end = libbpfC.indexOf("\n};", start);
  const body = libbpfC.slice(start, end);
  const defs: LibbpfSecDef[] = [];
  for (const m of body.matchAll(/SEC_DEF\(\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*([\w\s|]+?)\s*(?:,\s*\w+\s*)?\)/g)) {
    const flags = m[4]!.split("|").map((f) => f.trim()).filter((f) => f && f !== "SEC_NONE");
    defs.push({ sec: m[1]!, progType: m[2]!, attachType: m[3]!, flags });
  }
  const major = versionH ? /LIBBPF_MAJOR_VERSION (\d+)/.exec(versionH)?.[1] : undefined;
  const minor = versionH ? /LIBBPF_MINOR_VERSION (\d+)/.exec(versionH)?.[1] : undefined;
  return { libbpfVersion: major !== undefined && minor !== undefined ? `${major}.${minor}` : "unknown", defs };
}

export function readLibbpfSections(libbpfC = LIBBPF_C): LibbpfSections {
  return parseSectionDefs(readFileSync(libbpfC, "utf8"), readFileSync(join(dirname(libbpfC), "libbpf_version.h"), "utf8"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const table = readLibbpfSections(process.argv[2] ?? LIBBPF_C);
  // one definition per line, so a change in libbpf's table reads as a one-line diff
  const lines = table.defs.map((d) => "  " + JSON.stringify(d));
  writeFileSync(FIXTURE, `{\n "libbpfVersion": ${JSON.stringify(table.libbpfVersion)},\n "defs": [\n${lines.join(",\n")}\n ]\n}\n`);
  console.log(`libbpf ${table.libbpfVersion}: ${table.defs.length} section definitions -> ${FIXTURE}`);
}
