#!/usr/bin/env node
// Records what libbpf 1.5 and the running kernel do with every program of every object in
// test/fixtures/<set>/manifest.json (see build.mjs), one program at a time (veristat's per-program
// mode: only that program autoloaded, so one program's failure hides no other). Writes, per object:
//   test/fixtures/<set>/kernel/<object>.json   the kernel's verdicts: libbpf's choices (autoload, program
//       and expected attach type), "loaded" / "refused" (errno, first error line, last 30 log lines) /
//       "not-prepared" (libbpf stopped before BPF_PROG_LOAD: an attach target, a kfunc or a map this
//       machine lacks), processed insns, states, verification time; for the selftests, their
//       __success/__failure/__msg annotations as a second opinion.
//   test/fixtures/<set>/libbpf/<object>.json   the CO-RE parity data: the instructions libbpf handed to
//       BPF_PROG_LOAD (hex, 8 bytes per slot, map fds zeroed and named), kfunc/ksym BTF ids, kconfig
//       values, attach BTF ids, all against the target BTF named by its sha256 (data/btf).
//
//   node scripts/real-corpus/record.mjs [--set real|selftests] [--work DIR] [--only SUBSTRING] [--jobs N]
//
// Needs root and a kernel whose BTF is the committed data/btf blob (it refuses otherwise, because the
// parity data would not match the BTF it names). The recorder is scripts/real-corpus/record.c, built
// here against the libbpf that build.mjs put in <work>/libbpf.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const SET = opt("--set", "real");
const WORK = opt("--work", "/work/scratch/real-corpus");
const KERNEL = opt("--kernel", "/work/kernel-src/linux-source-6.12");
const ONLY = opt("--only", "");
// the kernel's bpf() calls wait on RCU grace periods far more than they use the CPU: run several at once
const JOBS = Number(opt("--jobs", "8"));
const dir = join(repo, "test/fixtures", SET);
const BTF_GZ = "data/btf/vmlinux-6.18-x86_64.btf.gz";
const TIMEOUT_MS = 900_000; // linux/perf-sample_filter takes the kernel ~100 s to verify on a busy 2-core machine

const sha256 = (b) => createHash("sha256").update(b).digest("hex");

function targetBtf() {
  const committed = sha256(gunzipSync(readFileSync(join(repo, BTF_GZ))));
  const running = sha256(readFileSync("/sys/kernel/btf/vmlinux"));
  if (committed !== running) {
    console.error(`the running kernel's BTF (${running}) is not ${BTF_GZ} (${committed}): record on the kernel the BTF came from, or remake it (scripts/make-default-btf.mjs)`);
    process.exit(1);
  }
  return { file: BTF_GZ, sha256: committed, kernelRelease: release() };
}

function buildRecorder() {
  const prefix = join(WORK, "libbpf/usr");
  if (!existsSync(join(prefix, "lib64/libbpf.a"))) { console.error(`no libbpf at ${prefix}: run scripts/real-corpus/build.mjs first`); process.exit(1); }
  const tmp = mkdtempSync(join(tmpdir(), "bpfkit-record-"));
  const tool = join(tmp, "record");
  execFileSync("gcc", ["-O1", "-Wall", "-o", tool, join(repo, "scripts/real-corpus/record.c"), `-I${prefix}/include`, `-I${KERNEL}/tools/include/uapi`,
    join(prefix, "lib64/libbpf.a"), "-lelf", "-lz", "-ldl"], { stdio: "inherit" });
  return { tool, tmp };
}

function runTool(tool, argv) {
  return new Promise((resolve) => {
    // run in the corpus folder with relative paths, so libbpf's messages name no machine path
    const p = spawn(tool, argv, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    const timer = setTimeout(() => p.kill("SIGKILL"), TIMEOUT_MS);
    p.stdout.on("data", (d) => { out += d; });
    p.stderr.on("data", (d) => { err += d; });
    p.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
}

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < items.length) { const i = next++; await fn(items[i], i); } }));
}

const maskAddrs = (s) => s.replace(/0xffff[0-9a-f]{12}\b/g, "0xffff<addr>");

// The selftests' annotations, as test_loader reads them (priv side; unpriv kept raw).
function expectation(annotations) {
  if (!annotations) return undefined;
  const e = { raw: annotations };
  for (const a of annotations) {
    const s = a.replace(/^comment:/, "");
    if (s === "test_expect_failure") e.expect = "failure";
    else if (s === "test_expect_success") e.expect = "success";
    else if (s.startsWith("test_expect_msg=")) (e.msgs ??= []).push(s.slice("test_expect_msg=".length));
    else if (s === "test_auxiliary") e.auxiliary = true;
  }
  return e;
}

async function main() {
  const btf = targetBtf();
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const objects = manifest.objects.filter((o) => !ONLY || o.file.includes(ONLY));
  const { tool, tmp } = buildRecorder();
  const libbpfVersion = "1.5 (linux-source-6.12 tools/lib/bpf)";
  let n = 0;
  const totals = { loaded: 0, refused: 0, "not-prepared": 0, failed: 0 };
  await pool(objects, JOBS, async (o) => {
    const path = o.file;
    const bytes = readFileSync(join(dir, path));
    const listed = await runTool(tool, [path, "--list"]);
    let list;
    try { list = JSON.parse(listed.out); } catch { list = { openError: `recorder: ${listed.err || listed.signal || listed.code}` }; }
    const verdicts = { object: o.file, objectSha256: sha256(bytes), kernelRelease: btf.kernelRelease, libbpf: libbpfVersion, programs: [] };
    const parity = { object: o.file, objectSha256: sha256(bytes), targetBtf: { file: btf.file, sha256: btf.sha256 }, libbpf: libbpfVersion, programs: [] };
    if (list.openError) { verdicts.openError = list.openError; parity.openError = list.openError; }
    for (const p of list.programs ?? []) {
      const r = await runTool(tool, SET === "selftests" ? [path, p.name, "--selftest"] : [path, p.name]);
      let rec;
      try { rec = JSON.parse(r.out); } catch { rec = { result: "recorder-failed", reason: r.signal ? `killed by ${r.signal} (time limit ${TIMEOUT_MS / 1000} s)` : `exit ${r.code}: ${r.err.trim().slice(0, 500)}` }; }
      const { insns, maps, kfuncs, ksyms, kconfig, attachBtfId, attachBtfName, ...kernelSide } = rec;
      const ordered = { name: p.name, section: p.section, autoload: p.autoload, libbpfProgType: p.progType, libbpfExpectedAttachType: p.expectedAttachType };
      for (const [k, val] of Object.entries(kernelSide)) if (k !== "name") ordered[k] = val;
      if (rec.prepareError) ordered.prepareError = `libbpf could not prepare: ${list.openError ? "bpf_object__open failed: " : ""}${rec.prepareError.trim()}`;
      // kernel addresses the log prints (map pointers, kallsyms) differ every boot: masked so re-recording diffs only what changed
      if (ordered.logTail) ordered.logTail = ordered.logTail.map(maskAddrs);
      if (ordered.firstError) ordered.firstError = maskAddrs(ordered.firstError);
      if (ordered.errorLineLevel1) ordered.errorLineLevel1 = maskAddrs(ordered.errorLineLevel1);
      if (SET === "selftests") { const e = expectation(p.annotations); if (e) ordered.selftestExpects = e; }
      verdicts.programs.push(ordered);
      const key = rec.result === "recorder-failed" ? "failed" : rec.result;
      totals[key] = (totals[key] ?? 0) + 1;
      if (insns !== undefined) {
        const pp = { name: p.name, section: p.section, insns, maps, kfuncs, ksyms };
        if (attachBtfId !== undefined) pp.attachBtfId = attachBtfId;
        if (attachBtfName !== undefined) pp.attachBtfName = attachBtfName;
        if (kconfig !== undefined) pp.kconfig = kconfig;
        if (rec.adjustedMaps) pp.adjustedMaps = rec.adjustedMaps;
        parity.programs.push(pp);
      } else {
        parity.programs.push({ name: p.name, section: p.section, unavailable: rec.prepareError ? `libbpf could not prepare: ${rec.prepareError.trim()}` : rec.reason ?? "no BPF_PROG_LOAD" });
      }
    }
    const name = o.file.replace(/\.bpf\.o$/, ".json");
    for (const [sub, data] of [["kernel", verdicts], ["libbpf", parity]]) {
      const f = join(dir, sub, name);
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, JSON.stringify(data, null, 1) + "\n");
    }
    n++;
    if (n % 20 === 0) console.log(`${n}/${objects.length} objects`);
  });
  rmSync(tmp, { recursive: true, force: true });
  if (!ONLY) {
    // results of objects that are no longer in the manifest go
    const keep = new Set(manifest.objects.map((o) => o.file.replace(/\.bpf\.o$/, ".json")));
    for (const sub of ["kernel", "libbpf"]) {
      const walk = (d) => (existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])) : []);
      for (const f of walk(join(dir, sub))) if (!keep.has(relative(join(dir, sub), f))) rmSync(f);
    }
  }
  console.log(`${objects.length} objects: ${Object.entries(totals).map(([k, v]) => `${v} ${k}`).join(", ")}`);
}

main().catch((e) => { console.error(String(e.stack ?? e)); process.exit(1); });
