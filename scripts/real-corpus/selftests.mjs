// The kernel's own verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c of Debian's
// linux-source-6.12), compiled the way tools/testing/selftests/bpf/Makefile's CLANG_BPF_BUILD_RULE does
// for test_progs: $(CLANG) $(BPF_CFLAGS) $(CLANG_SYS_INCLUDES) -DENABLE_ATOMICS_TESTS -O2 --target=bpf
// -mcpu=v3. Read by scripts/real-corpus/build.mjs --set selftests. Placeholders as in projects.mjs;
// {gen} here also holds the two headers the selftests take from a built kernel tree (see build.mjs).
import { KERNEL_TREE, SELFTESTS_FLAGS } from "./projects.mjs";

/** @type {import("./projects.mjs").Project[]} */
export const SELFTEST_PROJECTS = [
  {
    id: "verifier",
    name: "Linux BPF selftests: progs/verifier_*.c",
    repository: "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git",
    upstreamVersion: "v6.12.118 (Debian linux-source-6.12)",
    kernelTree: KERNEL_TREE,
    dir: "@kernel",
    root: "tools/testing/selftests/bpf/progs",
    license: "GPL-2.0",
    flags: SELFTESTS_FLAGS,
    sources: ["verifier_*.c"],
  },
];
