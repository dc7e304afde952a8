#!/usr/bin/env node
// Makes bpfkit's bundled default target BTF: the running kernel's /sys/kernel/btf/vmlinux, gzip -9
// compressed, at data/btf/vmlinux-<major.minor>-<arch>.btf.gz, and data/btf/README.md naming the
// kernel release, the blob's sha256 (of the uncompressed BTF, which is what CO-RE relocation reads and
// what test/fixtures/real/libbpf/*.json name) and how it was made.
//
//   node scripts/make-default-btf.mjs            # from this machine's kernel
//   node scripts/make-default-btf.mjs --check    # exit 1 if the committed blob differs from this kernel's
//
// The gzip stream is deterministic (Node's zlib writes no file name and a zero mtime), so re-running it
// on the same kernel gives the same bytes.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { arch, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync, constants } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = "/sys/kernel/btf/vmlinux";
const kernelRelease = release();
const [major, minor] = kernelRelease.split(".");
const machine = arch() === "x64" ? "x86_64" : arch();
const name = `vmlinux-${major}.${minor}-${machine}.btf.gz`;
const outDir = join(root, "data/btf");
const out = join(outDir, name);

const raw = readFileSync(SOURCE);
// BTF magic 0xeB9F, little-endian on x86_64
if (raw.readUInt16LE(0) !== 0xeb9f) {
  console.error(`${SOURCE}: not BTF (magic 0x${raw.readUInt16LE(0).toString(16)})`);
  process.exit(2);
}
const sha = createHash("sha256").update(raw).digest("hex");

if (process.argv.includes("--check")) {
  if (!existsSync(out)) { console.error(`${out}: missing`); process.exit(1); }
  const committed = gunzipSync(readFileSync(out));
  const csha = createHash("sha256").update(committed).digest("hex");
  console.log(`${name}: committed ${csha}, this kernel (${kernelRelease}) ${sha}`);
  process.exit(csha === sha ? 0 : 1);
}

const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
const gzSha = createHash("sha256").update(gz).digest("hex");
mkdirSync(outDir, { recursive: true });
writeFileSync(out, gz);
writeFileSync(join(outDir, "README.md"), `# Bundled target BTF

\`${name}\` is the BTF of the kernel these files were recorded on: \`${SOURCE}\` of Linux
\`${kernelRelease}\` (${machine}), compressed with gzip level 9. It is bpfkit's default target BTF for
CO-RE relocation and kfunc/ksym resolution, and the BTF against which the libbpf parity data in
\`test/fixtures/real/libbpf/\` and \`test/fixtures/selftests/libbpf/\` were recorded.

| what | value |
|---|---|
| kernel release | \`${kernelRelease}\` |
| architecture | ${machine} |
| BTF size (uncompressed) | ${raw.length} bytes |
| sha256 of the uncompressed BTF | \`${sha}\` |
| compressed size | ${gz.length} bytes |
| sha256 of \`${name}\` | \`${gzSha}\` |

Made by \`node scripts/make-default-btf.mjs\` (reads \`${SOURCE}\`, gzips with Node's zlib at level 9,
which writes no name and no timestamp, so the same kernel gives the same bytes). \`--check\` compares the
committed blob with the running kernel's. To read it back: \`gunzip -c ${name} > vmlinux.btf\`, then e.g.
\`bpftool btf dump file vmlinux.btf format c\`.
`);
console.log(`wrote ${out} (${gz.length} bytes; BTF sha256 ${sha})`);
