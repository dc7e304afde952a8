// Records which kfuncs the running kernel lets each program type call, into
// test/facts/fixtures/kernel-kfuncs.json; test/facts/kfuncs.test.ts holds src/helpers/kfuncs.ts to it.
// For every function of the kernel's BTF that the kfunc table names or that carries the `bpf_kfunc` decl
// tag, and every program type that loads without an attach target (plus tp_btf, which gets a raw
// tracepoint's BTF id), a two-instruction program `call <kfunc>; r0 = 1; exit` is loaded: the
// verifier's first kfunc check is fetch_kfunc_meta's "calling kernel function X is not allowed"; any
// other outcome (an argument error, acceptance) means the kfunc is offered.
// Run as root: npx tsx scripts/record-facts-kfuncs-kernel.ts [--btf /sys/kernel/btf/vmlinux]
import { readFileSync, writeFileSync } from "node:fs";
import { BTF_KIND, parseBtf } from "../src/btf/index.js";
import { kfuncNames } from "../src/helpers/kfuncs.js";
import { addressOf, bpfRaw } from "../src/kernel/sys.js";
import { closeFd } from "../src/kernel/index.js";
import { HELPER_TARGETS, type ProbeTarget } from "../test/facts/support/probes.js";
import { ProgType as P, AttachType as A } from "../src/progtypes/numbers.js";

const args = process.argv.slice(2);
const btfPath = args.includes("--btf") ? args[args.indexOf("--btf") + 1]! : "/sys/kernel/btf/vmlinux";
const btf = parseBtf(new Uint8Array(readFileSync(btfPath)));
const funcIds = new Map<string, number>();
for (const t of btf.types) if (t.kind === BTF_KIND.FUNC && !funcIds.has(t.name)) funcIds.set(t.name, t.id);
const tagged = new Set(btf.types.filter((t) => t.kind === BTF_KIND.DECL_TAG && t.name === "bpf_kfunc").map((t) => btf.types[t.sizeOrType]!.name));
const names = [...new Set([...kfuncNames(), ...tagged])].filter((n) => funcIds.has(n)).sort();

interface Target extends ProbeTarget { attachBtfId?: number; flags?: number }
const rawTp = btf.types.find((t) => t.kind === BTF_KIND.TYPEDEF && t.name === "btf_trace_sched_switch");
const targets: Target[] = [
  ...HELPER_TARGETS.filter((t) => !t.key.startsWith("cgroup_sock_addr/") || t.key === "cgroup_sock_addr/bind4"),
  { key: "syscall", progType: P.SYSCALL, flags: 1 << 4 /* BPF_F_SLEEPABLE */ },
  { key: "netfilter", progType: P.NETFILTER, attachType: A.NETFILTER },
  ...(rawTp ? [{ key: "tp_btf", progType: P.TRACING, attachType: A.TRACE_RAW_TP, attachBtfId: rawTp.id }] : []),
];

const attr = new Uint8Array(168);
const view = new DataView(attr.buffer);
const log = new Uint8Array(1 << 16);
const license = new TextEncoder().encode("GPL\0");

function load(t: Target, kfuncId: number | undefined): { ok: boolean; log: string; errno: number } {
  const insns = new Uint8Array(kfuncId === undefined ? 16 : 24);
  const iv = new DataView(insns.buffer);
  let at = 0;
  if (kfuncId !== undefined) { insns[0] = 0x85; insns[1] = 2 << 4; iv.setInt32(4, kfuncId, true); at = 8; }
  insns[at] = 0xb7; iv.setInt32(at + 4, 1, true); // r0 = 1
  insns[at + 8] = 0x95; // exit
  attr.fill(0);
  log[0] = 0;
  view.setUint32(0, t.progType, true);
  view.setUint32(4, insns.length / 8, true);
  view.setBigUint64(8, addressOf(insns), true);
  view.setBigUint64(16, addressOf(license), true);
  view.setUint32(24, 1, true);
  view.setUint32(28, log.length, true);
  view.setBigUint64(32, addressOf(log), true);
  view.setUint32(44, t.flags ?? 0, true);
  view.setUint32(68, t.attachType ?? 0, true);
  view.setUint32(108, t.attachBtfId ?? 0, true);
  const fd = bpfRaw(5 /* BPF_PROG_LOAD */, attr);
  if (fd >= 0) closeFd(fd);
  const end = log.indexOf(0);
  return { ok: fd >= 0, errno: fd < 0 ? -fd : 0, log: new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end)) };
}

const out: Record<string, { progType: number; attachType: number | null; allowed: string[] }> = {};
/** Kfuncs add_kfunc_call refuses before any permission check unless the program is device-bound (XDP metadata). */
const devBoundOnly = new Set<string>();
for (const t of targets) {
  const base = load(t, undefined);
  if (!base.ok) { console.log(`${t.key}: a trivial program does not load (errno ${base.errno}), skipped`); continue; }
  const allowed: string[] = [];
  for (const name of names) {
    const r = load(t, funcIds.get(name)!);
    if (/metadata kfuncs require device-bound program/.test(r.log)) { devBoundOnly.add(name); continue; }
    if (r.ok || !/calling kernel function \S+ is not allowed/.test(r.log)) {
      if (!r.ok && r.log === "") throw new Error(`${t.key}: ${name}: errno ${r.errno} without a log`);
      allowed.push(name);
    }
  }
  out[t.key] = { progType: t.progType, attachType: t.attachType ?? null, allowed };
  console.log(`${t.key}: ${allowed.length} of ${names.length} kfuncs allowed`);
}

const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
const lines = [
  "{",
  `  "note": "kfuncs of the kernel's BTF a program of each type may call (privileged loader); probed by loading 'call <kfunc>; r0 = 1; exit'",`,
  `  "kernel": ${JSON.stringify(kernel)},`,
  `  "recordedBy": "scripts/record-facts-kfuncs-kernel.ts",`,
  `  "probed": ${JSON.stringify(names)},`,
  `  "devBoundOnly": ${JSON.stringify([...devBoundOnly].sort())},`,
  `  "targets": {`,
  Object.entries(out).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(",\n"),
  "  }",
  "}",
  "",
];
writeFileSync(new URL("../test/facts/fixtures/kernel-kfuncs.json", import.meta.url), lines.join("\n"));
console.log("wrote test/facts/fixtures/kernel-kfuncs.json");
