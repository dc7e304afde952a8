#!/usr/bin/env node
// Builds the corpus of real BPF objects that bpfkit is measured against:
//   --set real       test/fixtures/real/<project>/<name>.bpf.o from the projects of projects.mjs
//   --set selftests  test/fixtures/selftests/<name>.bpf.o from the kernel's progs/verifier_*.c
// and <out>/manifest.json: project, repository, version, source path, licence, the exact compiler
// command, each object's sha256, and the sources left out with clang's reason.
//
//   node scripts/real-corpus/build.mjs [--set real|selftests] [--work DIR] [--kernel DIR] [--only PROJECT_ID] [--jobs N]
//   node scripts/real-corpus/build.mjs --check    # rebuild into a temp dir, compare with the committed bytes
//
// Sources are not committed. Upstream release tarballs come from Debian's source archive (`apt-get
// source --download-only`, pinned by version and sha256, see projects.mjs), unpacked under
// <work>/src; the kernel's programs come from the linux-source-6.12 tree (--kernel). The script also
// builds libbpf 1.5's headers and static library from that tree (tools/lib/bpf) into <work>/libbpf and
// writes vmlinux.h from the committed data/btf BTF, so the objects do not depend on the running kernel.
// Needs clang-19, llvm-strip-19, bpftool, m4, make and (for fetching) deb-src entries for Debian.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { PROJECTS } from "./projects.mjs";
import { SELFTEST_PROJECTS } from "./selftests.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const SET = opt("--set", "real");
const WORK = opt("--work", "/work/scratch/real-corpus");
const KERNEL = opt("--kernel", "/work/kernel-src/linux-source-6.12");
const ONLY = opt("--only", "");
const JOBS = Number(opt("--jobs", "2"));
const CHECK = args.includes("--check");
const CLANG = process.env.CLANG ?? "clang-19";
const STRIP = process.env.LLVM_STRIP ?? "llvm-strip-19";
const BTF_GZ = join(repo, "data/btf/vmlinux-6.18-x86_64.btf.gz");
const MULTIARCH = "/usr/include/x86_64-linux-gnu";
if (!["real", "selftests"].includes(SET)) { console.error(`--set must be real or selftests, not ${SET}`); process.exit(2); }
const projects = (SET === "real" ? PROJECTS : SELFTEST_PROJECTS).filter((p) => !ONLY || p.id === ONLY);
const committedOut = join(repo, "test/fixtures", SET);
const OUT = CHECK ? mkdtempSync(join(tmpdir(), "bpfkit-corpus-check-")) : committedOut;

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });

// ---- toolchain: libbpf 1.5 from the kernel tree, vmlinux.h from the committed BTF ----
function ensureLibbpf() {
  const prefix = join(WORK, "libbpf");
  if (!existsSync(join(prefix, "usr/include/bpf/bpf_helpers.h")) || !existsSync(join(prefix, "usr/lib64/libbpf.a"))) {
    console.log(`building libbpf from ${KERNEL}/tools/lib/bpf into ${prefix}`);
    mkdirSync(join(WORK, "libbpf-build"), { recursive: true });
    run("make", ["-C", join(KERNEL, "tools/lib/bpf"), "-j2", `OUTPUT=${join(WORK, "libbpf-build")}/`, `DESTDIR=${prefix}`, "prefix=/usr", "BUILD_STATIC_ONLY=1", "install"]);
  }
  return join(prefix, "usr/include");
}

function ensureVmlinuxH() {
  const dir = join(WORK, "gen/vmlinux");
  const h = join(dir, "vmlinux.h");
  if (!existsSync(h)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "vmlinux.btf"), gunzipSync(readFileSync(BTF_GZ)));
    writeFileSync(h, run("bpftool", ["btf", "dump", "file", join(dir, "vmlinux.btf"), "format", "c"], { maxBuffer: 1 << 28 }));
  }
  return h;
}

// linux/filter.h's instruction macros, which the selftests take from a built kernel tree (through
// __imm_insn); shared with scripts/verifier-selftests-measure.ts.
const INSN_MACROS = readFileSync(join(repo, "scripts/real-corpus/filter-h-stub.h"), "utf8");

function projectGen(project, vmlinuxH) {
  const gen = join(WORK, "gen", `${SET}-${project.id}`);
  mkdirSync(gen, { recursive: true });
  if (project.vmlinux !== "none") copyFileSync(vmlinuxH, join(gen, "vmlinux.h"));
  // {gen}/stubs: an empty gnu/stubs-32.h (glibc's headers ask for it when the target is not x86_64)
  // and linux/filter.h's instruction macros (the selftests use them)
  for (const rel of ["stubs/linux", "stubs/gnu"]) mkdirSync(join(gen, rel), { recursive: true });
  writeFileSync(join(gen, "stubs/gnu/stubs-32.h"), "");
  writeFileSync(join(gen, "stubs/linux/filter.h"), INSN_MACROS);
  return gen;
}

// ---- sources ----
function ensureSources(project) {
  if (project.kernelTree) {
    if (!existsSync(join(KERNEL, "Makefile"))) throw new Error(`no kernel tree at ${KERNEL} (Debian package ${project.kernelTree.package})`);
    return KERNEL;
  }
  const dir = join(WORK, "src", project.dir);
  if (existsSync(dir)) return dir;
  const deb = project.debian;
  const debsrc = join(WORK, "debsrc");
  mkdirSync(debsrc, { recursive: true });
  const tarball = join(debsrc, deb.tarball);
  if (!existsSync(tarball)) {
    console.log(`apt-get source --download-only ${deb.package}=${deb.version}`);
    // apt-get may fail on the .dsc or Debian diff while the upstream tarball arrives: judge by the tarball
    try { run("apt-get", ["source", "--download-only", `${deb.package}=${deb.version}`], { cwd: debsrc }); } catch { /* checked below */ }
  }
  if (!existsSync(tarball)) throw new Error(`${deb.tarball}: not downloaded (does /etc/apt have deb-src entries that carry ${deb.package} ${deb.version}?)`);
  const got = sha256(readFileSync(tarball));
  if (got !== deb.sha256) throw new Error(`${deb.tarball}: sha256 ${got}, expected ${deb.sha256}`);
  mkdirSync(dir, { recursive: true });
  run("tar", ["-xf", tarball, "-C", dir, "--strip-components=1"]);
  return dir;
}

function expandSources(project, root) {
  const out = [];
  for (const s of project.sources) {
    const src = typeof s === "string" ? { path: s } : s;
    if (src.path.includes("*")) {
      const d = dirname(src.path);
      const re = new RegExp(`^${basename(src.path).replace(/\./g, "\\.").replace(/\*/g, ".*")}$`);
      for (const f of readdirSync(join(root, d)).filter((f) => re.test(f)).sort()) out.push({ ...src, path: d === "." ? f : `${d}/${f}` });
    } else out.push(src);
  }
  return out;
}

const objectName = (src) => src.name ?? basename(src.path).replace(/\.bpf\.c$|\.c$/, "");

function spdxOf(file, fallback) {
  const head = readFileSync(file, "utf8").split("\n").slice(0, 6).join("\n");
  const m = /SPDX-License-Identifier:\s*([^*\n]+?)\s*(\*\/)?\s*$/m.exec(head);
  return m ? m[1].trim() : fallback;
}

// ---- compile ----
function spawnP(cmd, argv, cwd) {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => { err += d; });
    p.stdout.on("data", () => {});
    p.on("close", (code) => resolve({ code, err }));
  });
}

async function pool(items, n, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) { const i = next++; results[i] = await fn(items[i], i); }
  }));
  return results;
}

function firstError(stderr) {
  const lines = stderr.split("\n");
  return (lines.find((l) => /\berror:/.test(l)) ?? lines.find((l) => l.trim()) ?? "failed").replace(/^.*?: error: /, "error: ").trim();
}

async function main() {
  const libbpfInc = ensureLibbpf();
  const vmlinuxH = ensureVmlinuxH();
  const clangVersion = run(CLANG, ["--version"]).split("\n")[0];
  const bpftoolVersion = run("bpftool", ["version"]).split("\n")[0];
  const jobs = [];
  const projectsOut = [];
  for (const project of projects) {
    // real paths: the compiler records resolved paths (symlinks followed), and those are what the prefix maps must name
    const srcTree = realpathSync(ensureSources(project));
    const root = project.root ? join(srcTree, project.root) : srcTree;
    const gen = realpathSync(projectGen(project, vmlinuxH));
    for (const m of project.prepare?.m4 ?? []) writeFileSync(join(gen, m.out), run("m4", [...m.defines, join(srcTree, m.in)]));
    const logicalSrc = project.kernelTree ? `linux-${project.kernelTree.version.split("-")[0]}` : project.dir;
    const kernel = realpathSync(KERNEL);
    const places = { src: root, libbpf: realpathSync(libbpfInc), uapi: join(kernel, "tools/include/uapi"), gen, multiarch: MULTIARCH, kernel };
    // What each real path is written as in the objects' BTF (file names) and the manifest.
    const logical = { src: `/src/${logicalSrc}${project.root ? `/${project.root}` : ""}`, libbpf: "/libbpf/include", uapi: `/src/linux-tools-uapi`, gen: "/gen", multiarch: MULTIARCH, kernel: `/src/${logicalSrc}` };
    const fill = (s, map) => s.replace(/\{(\w+)\}/g, (_, k) => { if (!(k in map)) throw new Error(`unknown placeholder {${k}}`); return map[k]; });
    const prefixMaps = Object.keys(places).filter((k) => places[k] !== logical[k])
      .sort((a, b) => places[b].length - places[a].length) // longest first: the first matching map wins
      .flatMap((k) => [`-fdebug-prefix-map=${places[k]}=${logical[k]}`, `-fmacro-prefix-map=${places[k]}=${logical[k]}`]);
    projectsOut.push({
      id: project.id, name: project.name, repository: project.repository, upstreamVersion: project.upstreamVersion,
      ...(project.commit ? { commit: project.commit } : {}),
      origin: project.kernelTree ? { debianBinaryPackage: project.kernelTree.package, version: project.kernelTree.version }
        : { debianSourcePackage: project.debian.package, version: project.debian.version, tarball: project.debian.tarball, sha256: project.debian.sha256 },
      ...(project.root ? { root: project.root } : {}),
      license: project.license,
    });
    for (const src of expandSources(project, root)) {
      const name = objectName(src);
      const rel = `${SET === "real" ? `${project.id}/` : ""}${name}.bpf.o`;
      const srcPath = src.path.startsWith("{gen}") ? fill(src.path, places) : src.path;
      const target = [...project.flags, ...(src.flags ?? [])].some((f) => f === "-target") ? [] : ["-target", "bpf"];
      const flags = [...target, "-O2", "-g", ...project.flags, ...(src.flags ?? [])];
      jobs.push({
        project, name, rel, srcPath, cwd: root,
        argv: [...flags.map((f) => fill(f, places)), ...prefixMaps, "-c", srcPath],
        recordedFlags: [...flags.map((f) => fill(f, logical))],
        sourceRecord: src.path.startsWith("{gen}") ? `${src.path.replace("{gen}/", "(generated) ")}` : `${project.root ? `${project.root}/` : ""}${src.path}`,
        license: spdxOf(resolve(root, srcPath), project.license),
      });
    }
  }

  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "bpfkit-corpus-obj-"));
  const results = await pool(jobs, JOBS, async (job, i) => {
    const o = join(tmp, `${i}.o`);
    const r = await spawnP(CLANG, [...job.argv, "-o", o], job.cwd);
    if (r.code !== 0) return { job, error: firstError(r.err) };
    const s = await spawnP(STRIP, ["-g", o], job.cwd);
    if (s.code !== 0) return { job, error: `llvm-strip: ${firstError(s.err)}` };
    const dest = join(OUT, job.rel);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(o, dest);
    return { job, bytes: readFileSync(dest) };
  });
  rmSync(tmp, { recursive: true, force: true });

  const objects = [], excluded = [], leaks = [];
  for (const r of results) {
    if (r.error) {
      excluded.push({ project: r.job.project.id, source: r.job.sourceRecord, name: r.job.name, reason: r.error });
      console.log(`left out ${r.job.project.id}/${r.job.name}: ${r.error}`);
      continue;
    }
    const bad = ["/work/", WORK, tmpdir() + "/"].find((p) => r.bytes.includes(Buffer.from(p)));
    if (bad) { leaks.push(`${r.job.rel}: a build path (${bad}...) is in the object`); continue; }
    objects.push({ file: r.job.rel, project: r.job.project.id, name: r.job.name, source: r.job.sourceRecord, license: r.job.license,
      compiler: CLANG, flags: r.job.recordedFlags, postprocess: [`${STRIP} -g`], sha256: sha256(r.bytes), size: r.bytes.length });
  }
  objects.sort((a, b) => a.file.localeCompare(b.file));
  if (leaks.length) { console.error(leaks.join("\n")); process.exit(1); }

  if (CHECK) {
    let differ = 0;
    for (const o of objects) {
      const committed = join(committedOut, o.file);
      if (!existsSync(committed)) { console.log(`new: ${o.file}`); differ++; continue; }
      if (sha256(readFileSync(committed)) !== o.sha256) { console.log(`differs: ${o.file}`); differ++; }
    }
    rmSync(OUT, { recursive: true, force: true });
    console.log(`${objects.length} objects rebuilt, ${differ} differ from ${relative(repo, committedOut)}`);
    process.exit(differ ? 1 : 0);
  }

  const manifest = {
    generatedBy: `node scripts/real-corpus/build.mjs --set ${SET}`,
    toolchain: { compiler: clangVersion, strip: `${STRIP} -g`, libbpfHeaders: `libbpf 1.5 (tools/lib/bpf of ${KERNEL_LABEL()})`, vmlinuxH: `bpftool btf dump file <${relative(repo, BTF_GZ)}> format c (${bpftoolVersion})` },
    pathNote: "flags are written with the logical paths the objects' BTF carries (-fdebug-prefix-map): /src/<tree> is the project's unpacked source, /libbpf/include libbpf's headers, /gen generated files (vmlinux.h, m4 output, selftest stubs)",
    projects: projectsOut,
    objects,
    excluded,
  };
  // --only ID rebuilds one project: its entries replace that project's in the existing manifest
  const previous = ONLY && existsSync(join(OUT, "manifest.json")) ? JSON.parse(readFileSync(join(OUT, "manifest.json"), "utf8")) : undefined;
  if (previous) {
    manifest.projects = [...previous.projects.filter((p) => p.id !== ONLY), ...projectsOut].sort((a, b) => PROJECT_ORDER(a.id) - PROJECT_ORDER(b.id));
    manifest.objects = [...previous.objects.filter((o) => o.project !== ONLY), ...objects].sort((a, b) => a.file.localeCompare(b.file));
    manifest.excluded = [...previous.excluded.filter((x) => x.project !== ONLY), ...excluded];
  }
  // Objects no longer produced are removed so the manifest and the folder agree.
  const keep = new Set(manifest.objects.map((o) => o.file));
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const f of walk(OUT).filter((f) => f.endsWith(".bpf.o"))) if (!keep.has(relative(OUT, f))) rmSync(f);
  writeFileSync(join(OUT, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
  const total = objects.reduce((n, o) => n + o.size, 0);
  console.log(`${objects.length} objects (${(total / 1e6).toFixed(2)} MB), ${excluded.length} sources left out -> ${relative(repo, OUT)}`);
}

const PROJECT_ORDER = (id) => { const all = [...PROJECTS, ...SELFTEST_PROJECTS].map((p) => p.id); return all.indexOf(id); };
const KERNEL_LABEL = () => `linux-source-6.12 ${PROJECTS.find((p) => p.kernelTree)?.kernelTree.version ?? ""}`.trim();

main().catch((e) => { console.error(String(e.message ?? e)); process.exit(1); });
