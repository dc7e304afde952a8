// Records the kernel's verdict on the kernel's own BPF selftests, with everything the kernel was handed,
// for the emulator to be measured against (scripts/verifier-selftests/agree.ts). Local only: nothing is
// written into the repository. For each selected progs/*.c of the 6.12 selftests it
//   1. compiles it with clang-19 as the selftests' Makefile does (libbpf 1.5 headers from the same tree,
//      vmlinux.h dumped from the target BTF),
//   2. loads each program on its own through libbpf 1.5 (libbpf-load.c, built here), which prints what
//      BPF_PROG_LOAD received (type, attach BTF id, flags, final instructions, maps, BTF, func/line info)
//      and the kernel's verdict and log,
// into <work>/records/<file>.jsonl.
//
//   npx tsx scripts/verifier-selftests/record.ts [--work DIR] [--src KERNEL_TREE] [--btf FILE] [--set verifier|features|all] [--only SUBSTR]
//
// Needs root (bpf(2)), clang-19, gcc, make, libelf-dev, zlib and bpftool.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
export const WORK = opt("--work", process.env.BPFKIT_SELFTESTS_WORK ?? "/work/scratch/vfeat");
const SRC = opt("--src", "/work/kernel-src/linux-source-6.12");
const BTF = opt("--btf", "/sys/kernel/btf/vmlinux");
const SET = opt("--set", "all");
const ONLY = opt("--only", "");
const CLANG = process.env.CLANG ?? "clang-19";
const SELFTESTS = join(SRC, "tools/testing/selftests/bpf");

/** The feature files beyond verifier_*.c: kfuncs, dynptrs, iterators, BTF pointers, arenas, global-function tags, LSM. */
export const FEATURE_FILES = [
  "dynptr_fail.c", "dynptr_success.c", "iters.c", "iters_looping.c", "iters_num.c", "iters_state_safety.c", "iters_task.c", "iters_task_failure.c",
  "iters_task_vma.c", "iters_css.c", "iters_css_task.c", "kfunc_call_fail.c", "kfunc_call_test.c", "kfunc_call_destructive.c", "kfunc_call_race.c",
  "kfunc_call_test_subprog.c", "cpumask_failure.c", "cpumask_success.c", "task_kfunc_failure.c", "task_kfunc_success.c", "cgrp_kfunc_failure.c",
  "cgrp_kfunc_success.c", "test_kfunc_dynptr_param.c", "test_kfunc_param_nullable.c", "local_kptr_stash.c", "local_kptr_stash_fail.c", "rcu_read_lock.c",
  "xdp_metadata.c", "xdp_metadata2.c", "test_bpf_nf.c", "test_bpf_nf_fail.c", "type_cast.c", "nested_trust_failure.c", "nested_trust_success.c",
  "test_skc_to_unix_sock.c", "test_tp_btf_nullable.c", "arena_htab.c", "arena_htab_asm.c", "arena_list.c", "arena_atomics.c", "test_global_func_ctx_args.c",
  "test_global_func_args.c", "lsm.c", "lsm_cgroup.c", "test_ringbuf.c", "test_ringbuf_write.c", "user_ringbuf_fail.c", "test_cls_redirect_dynptr.c",
  "percpu_alloc_fail.c", "map_kptr_fail.c", "map_kptr.c", "refcounted_kptr_fail.c", "linked_list_fail.c", "rbtree_fail.c", "exceptions_fail.c",
  "preempt_lock.c", "test_d_path_check_rdonly_mem.c", "test_d_path_check_types.c", "sock_destroy_prog_fail.c", "test_access_variable_array.c",
  "fentry_test.c", "fexit_test.c", "test_sk_lookup_kern.c", "bpf_iter_task_btf.c", "btf_type_tag.c", "btf_type_tag_percpu.c", "btf_type_tag_user.c",
  ...Array.from({ length: 17 }, (_, i) => `test_global_func${i + 1}.c`),
];

const run = (cmd: string, argv: string[], cwd?: string): string =>
  execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30, ...(cwd ? { cwd } : {}) });

const INSN_MACROS = readFileSync(join(import.meta.dirname, "../real-corpus/filter-h-stub.h"), "utf8");

/** libbpf 1.5 from the kernel tree, vmlinux.h from the target BTF, the loader tool. Returns the tool's path. */
export function ensureToolchain(): { tool: string; gen: string; libbpfInc: string } {
  const prefix = join(WORK, "libbpf");
  if (!existsSync(join(prefix, "usr/lib64/libbpf.a"))) {
    mkdirSync(join(WORK, "libbpf-build"), { recursive: true });
    run("make", ["-C", join(SRC, "tools/lib/bpf"), "-j2", `OUTPUT=${join(WORK, "libbpf-build")}/`, `DESTDIR=${prefix}`, "prefix=/usr", "BUILD_STATIC_ONLY=1", "install"]);
  }
  const libbpfInc = join(prefix, "usr/include");
  const gen = join(WORK, "gen");
  for (const rel of ["stubs/linux", "stubs/gnu"]) mkdirSync(join(gen, rel), { recursive: true });
  writeFileSync(join(gen, "stubs/linux/filter.h"), INSN_MACROS);
  writeFileSync(join(gen, "stubs/gnu/stubs-32.h"), "");
  if (!existsSync(join(gen, "vmlinux.h"))) writeFileSync(join(gen, "vmlinux.h"), run("bpftool", ["btf", "dump", "file", BTF, "format", "c"]));
  const tool = join(WORK, "libbpf-load");
  run("gcc", ["-O1", "-Wall", "-o", tool, join(here, "libbpf-load.c"), "-I", libbpfInc, join(prefix, "usr/lib64/libbpf.a"), "-lelf", "-lz", "-ldl"]);
  return { tool, gen, libbpfInc };
}

export function selectedFiles(set: string, only: string): string[] {
  const progs = join(SELFTESTS, "progs");
  const verifier = readdirSync(progs).filter((f) => /^verifier_.*\.c$/.test(f)).sort();
  const files = set === "verifier" ? verifier : set === "features" ? FEATURE_FILES : [...verifier, ...FEATURE_FILES];
  return files.filter((f) => existsSync(join(progs, f)) && (!only || f.includes(only)));
}

function main(): void {
  if (!existsSync(join(SELFTESTS, "progs"))) { console.log(`no selftests at ${SELFTESTS}`); return; }
  const { tool, gen, libbpfInc } = ensureToolchain();
  const objDir = join(WORK, "obj"), recDir = join(WORK, "records");
  mkdirSync(objDir, { recursive: true });
  mkdirSync(recDir, { recursive: true });
  let programs = 0, failedCompile = 0;
  for (const f of selectedFiles(SET, ONLY)) {
    const obj = join(objDir, f.replace(/\.c$/, ".o"));
    try {
      run(CLANG, ["-g", "-Wall", "-D__TARGET_ARCH_x86", "-mlittle-endian", "-I", gen, "-I", libbpfInc, "-I", SELFTESTS, "-I", join(SRC, "tools/include/uapi"),
        "-Wno-compare-distinct-pointer-types", "-I", join(gen, "stubs"), "-idirafter", "/usr/include/x86_64-linux-gnu", "-DENABLE_ATOMICS_TESTS",
        "-O2", "--target=bpf", "-mcpu=v3", "-w", "-c", join(SELFTESTS, "progs", f), "-o", obj]);
    } catch (e) {
      failedCompile++;
      console.log(`${f}: does not compile: ${String((e as { stderr?: string }).stderr ?? e).split("\n").find((l) => /error/.test(l)) ?? ""}`);
      continue;
    }
    const r = spawnSync(tool, [obj], { encoding: "utf8", maxBuffer: 1 << 30 });
    const lines = r.stdout.split("\n").filter(Boolean);
    programs += lines.length;
    writeFileSync(join(recDir, f.replace(/\.c$/, ".jsonl")), lines.join("\n") + "\n");
    console.log(`${f}: ${lines.length} programs`);
  }
  console.log(`${programs} programs recorded in ${recDir} (${failedCompile} files did not compile)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
