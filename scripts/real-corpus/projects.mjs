// The real-program corpus: which public projects, at which pinned release, which of their BPF sources,
// compiled with which flags (taken from each project's own build: Makefile, meson.build, build.rs,
// go:generate lines). Read by scripts/real-corpus/build.mjs.
//
// Where the sources come from. The upstream tarballs are taken from Debian's source archive with
// `apt-get source` (the ordinary Debian client), pinned by version and by the orig tarball's sha256;
// the kernel's own programs come from Debian's linux-source-6.12 package. `repository` names the
// upstream project; `upstreamVersion` the release (and `commit` where the release names one).
//
// Flags are written with placeholders that build.mjs fills in:
//   {src}      the project's unpacked source tree
//   {libbpf}   libbpf 1.5's installed headers (built from the kernel tree's tools/lib/bpf)
//   {uapi}     the kernel tree's tools/include/uapi (libbpf's bundled copy of the uapi headers)
//   {gen}      a per-project folder of generated files (vmlinux.h from data/btf, m4 output)
//   {multiarch} /usr/include/x86_64-linux-gnu
//   {kernel}   the kernel source tree
// Every compile also gets `-target bpf -O2 -g` (unless the project's own flags say otherwise, e.g.
// bpfel), -fdebug-prefix-map/-fmacro-prefix-map for every placeholder root, and the object is then
// `llvm-strip -g`'d (DWARF dropped; .BTF and .BTF.ext kept), as bcc, pcp and systemd do themselves.

/** @typedef {{ path: string, name?: string, flags?: string[], license?: string }} Source */
/** @typedef {{ id: string, name: string, repository: string, upstreamVersion: string, commit?: string,
 *   debian?: { package: string, version: string, tarball: string, sha256: string }, kernelTree?: { package: string, version: string },
 *   dir: string, root?: string, license: string, flags: string[], vmlinux?: "btf" | "none",
 *   prepare?: { m4?: { in: string, out: string, defines: string[] }[] },
 *   sources: (string | Source)[] }} Project */

const KERNEL = { package: "linux-source-6.12", version: "6.12.118-1~deb12u1" };

/** tools/testing/selftests/bpf/Makefile's CLANG_BPF_BUILD_RULE for test_progs: $(BPF_CFLAGS) $(CLANG_SYS_INCLUDES) -DENABLE_ATOMICS_TESTS -O2 --target=bpf -mcpu=v3. */
export const SELFTESTS_FLAGS = ["-Wall", "-D__TARGET_ARCH_x86", "-mlittle-endian", "-I{gen}", "-I{libbpf}", "-I{kernel}/tools/testing/selftests/bpf", "-I{kernel}/tools/include/uapi",
  "-Wno-compare-distinct-pointer-types", "-I{gen}/stubs", "-idirafter", "{multiarch}", "-DENABLE_ATOMICS_TESTS", "-mcpu=v3"];

/** @type {Project[]} */
export const PROJECTS = [
  {
    id: "xdp-tools",
    name: "xdp-tools",
    repository: "https://github.com/xdp-project/xdp-tools",
    upstreamVersion: "v1.6.3",
    debian: { package: "xdp-tools", version: "1.6.3-1", tarball: "xdp-tools_1.6.3.orig.tar.gz", sha256: "78da363ff7dcf1a586f47800f16d644022bd33f3844864061a44616fce854fd8" },
    dir: "xdp-tools_1.6.3",
    license: "GPL-2.0",
    // lib/defines.mk BPF_CFLAGS (less -Werror) + DEFINES, lib/common.mk: -I$(HEADER_DIR), -O2 -c -g
    flags: ["-Wall", "-Wno-unused-value", "-Wno-pointer-sign", "-Wno-compare-distinct-pointer-types", "-Wno-visibility", "-fno-stack-protector",
      "-DBPF_DIR_MNT=\"/sys/fs/bpf\"", "-DBPF_OBJECT_PATH=\"/usr/local/lib/bpf\"", "-DMAX_DISPATCHER_ACTIONS=10", "-DTOOLS_VERSION=\"1.6.3\"",
      "-DLIBBPF_VERSION=\"1.5.0\"", "-DRUNDIR=\"/run\"", "-DDEBUG", "-D_LARGEFILE64_SOURCE", "-D_FILE_OFFSET_BITS=64",
      // what ./configure's check_libbpf_function finds in libbpf 1.5 (HAVE_FEATURES += LIBBPF_<FUNC>)
      "-DHAVE_LIBBPF_PERF_BUFFER__CONSUME", "-DHAVE_LIBBPF_BTF__LOAD_FROM_KERNEL_BY_ID", "-DHAVE_LIBBPF_BTF__TYPE_CNT", "-DHAVE_LIBBPF_BPF_OBJECT__NEXT_MAP", "-DHAVE_LIBBPF_BPF_OBJECT__NEXT_PROGRAM", "-DHAVE_LIBBPF_BPF_PROGRAM__INSN_CNT", "-DHAVE_LIBBPF_BPF_PROGRAM__TYPE", "-DHAVE_LIBBPF_BPF_PROGRAM__FLAGS", "-DHAVE_LIBBPF_BPF_PROGRAM__EXPECTED_ATTACH_TYPE", "-DHAVE_LIBBPF_BPF_MAP_CREATE", "-DHAVE_LIBBPF_PERF_BUFFER__NEW_RAW", "-DHAVE_LIBBPF_BPF_XDP_ATTACH", "-DHAVE_LIBBPF_BPF_MAP__SET_AUTOCREATE", "-DHAVE_LIBBPF_BPF_PROG_TEST_RUN_OPTS", "-DHAVE_LIBBPF_BPF_XDP_QUERY",
      "-I{src}/headers", "-I{libbpf}", "-I{multiarch}"],
    prepare: { m4: [{ in: "lib/libxdp/xdp-dispatcher.c.in", out: "xdp-dispatcher.c", defines: ["-DMAX_DISPATCHER_ACTIONS=10"] }] },
    sources: [
      "xdp-filter/xdpfilt_alw_all.c", "xdp-filter/xdpfilt_alw_eth.c", "xdp-filter/xdpfilt_alw_ip.c", "xdp-filter/xdpfilt_alw_tcp.c", "xdp-filter/xdpfilt_alw_udp.c",
      "xdp-filter/xdpfilt_dny_all.c", "xdp-filter/xdpfilt_dny_eth.c", "xdp-filter/xdpfilt_dny_ip.c", "xdp-filter/xdpfilt_dny_tcp.c", "xdp-filter/xdpfilt_dny_udp.c",
      "xdp-dump/xdpdump_bpf.c", "xdp-dump/xdpdump_xdp.c",
      "xdp-bench/xdp_basic.bpf.c", "xdp-bench/xdp_redirect_basic.bpf.c", "xdp-bench/xdp_redirect_cpumap.bpf.c", "xdp-bench/xdp_redirect_devmap.bpf.c", "xdp-bench/xdp_redirect_devmap_multi.bpf.c",
      "xdp-forward/xdp_forward.bpf.c", "xdp-forward/xdp_flowtable.bpf.c", "xdp-forward/xdp_flowtable_sample.bpf.c",
      "xdp-monitor/xdp_monitor.bpf.c", "xdp-trafficgen/xdp_trafficgen.bpf.c",
      "lib/util/xdpsock.bpf.c", "lib/util/xdp_load_bytes.bpf.c", "lib/util/xdp_sample.bpf.c",
      "lib/libxdp/xsk_def_xdp_prog.c", "lib/libxdp/xsk_def_xdp_prog_5.3.c",
      { path: "{gen}/xdp-dispatcher.c", name: "xdp-dispatcher", flags: ["-I{src}/lib/libxdp"] },
      "lib/testing/xdp_drop.c", "lib/testing/xdp_pass.c", "lib/testing/test_long_func_name.c", "lib/testing/xdp_adjust_tail.c",
    ],
  },
  {
    id: "bcc-libbpf-tools",
    name: "bcc libbpf-tools (as vendored by pcp 6.3.8)",
    repository: "https://github.com/iovisor/bcc",
    upstreamVersion: "libbpf-tools/ of the bcc revision vendored at pcp 6.3.8 vendor/github.com/iovisor/bcc",
    debian: { package: "pcp", version: "6.3.8-1", tarball: "pcp_6.3.8.orig.tar.gz", sha256: "3fc4a455bd54f8dd2ddef09419b57ad6c50ceec2a0d58ce6953a7f7c7dd256fe" },
    dir: "pcp_6.3.8",
    root: "vendor/github.com/iovisor/bcc/libbpf-tools",
    license: "GPL-2.0 OR BSD-3-Clause",
    // libbpf-tools/Makefile: $(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(ARCH)/ -I$(OUTPUT) -I../src/cc/libbpf/include/uapi
    flags: ["-Wall", "-D__TARGET_ARCH_x86", "-I{src}/x86/", "-I{libbpf}", "-I{uapi}"],
    vmlinux: "none",
    sources: ["*.bpf.c"],
  },
  {
    id: "pcp",
    name: "Performance Co-Pilot pmdabpf modules",
    repository: "https://github.com/performancecopilot/pcp",
    upstreamVersion: "6.3.8",
    debian: { package: "pcp", version: "6.3.8-1", tarball: "pcp_6.3.8.orig.tar.gz", sha256: "3fc4a455bd54f8dd2ddef09419b57ad6c50ceec2a0d58ce6953a7f7c7dd256fe" },
    dir: "pcp_6.3.8",
    root: "src/pmdas/bpf/modules",
    license: "GPL-2.0-or-later",
    // src/pmdas/bpf/modules/GNUmakefile: $(CLANG) -Wall -g -O2 -target bpf -D__TARGET_ARCH_$(PMDABPF_ARCH) -I. (vmlinux.h -> bcc's x86/vmlinux.h)
    flags: ["-Wall", "-D__TARGET_ARCH_x86", "-I{src}", "-I{src}/../../../../vendor/github.com/iovisor/bcc/libbpf-tools/x86", "-I{src}/../../../../vendor/github.com/iovisor/bcc/libbpf-tools", "-I{libbpf}"],
    vmlinux: "none",
    sources: ["biolatency.bpf.c", "netatop.bpf.c", "runqlat.bpf.c"],
  },
  {
    id: "systemd",
    name: "systemd",
    repository: "https://github.com/systemd/systemd",
    upstreamVersion: "v257.13",
    debian: { package: "systemd", version: "257.13-1~deb13u1", tarball: "systemd_257.13.orig.tar.gz", sha256: "1eb7d5f9ff8a426ff880a3cded9ce819613ba8003ac5ddde9eca162f14ddabe7" },
    dir: "systemd_257.13",
    license: "LGPL-2.1-or-later",
    // meson.build bpf_clang_flags + bpf_arch_flags (x86_64 -> -D__x86_64__) + -I. -isystem multiarch -idirafter libbpf
    flags: ["-std=gnu11", "-Wno-compare-distinct-pointer-types", "-fno-stack-protector", "-D__x86_64__", "-I{gen}", "-isystem", "{multiarch}", "-idirafter", "{libbpf}"],
    sources: [
      "src/core/bpf/restrict_fs/restrict-fs.bpf.c", "src/core/bpf/restrict_ifaces/restrict-ifaces.bpf.c", "src/core/bpf/socket_bind/socket-bind.bpf.c",
      { path: "src/nsresourced/bpf/userns_restrict/userns-restrict.bpf.c", flags: ["-I{src}/src/basic", "-I{src}/src/fundamental"] },
      { path: "src/network/bpf/sysctl_monitor/sysctl-monitor.bpf.c", flags: ["-I{src}/src/basic", "-I{src}/src/fundamental", "-I{src}/src/network/bpf/sysctl_monitor"] },
    ],
  },
  {
    id: "suricata",
    name: "Suricata eBPF filters and load balancers",
    repository: "https://github.com/OISF/suricata",
    upstreamVersion: "suricata-7.0.10",
    debian: { package: "suricata", version: "1:7.0.10-1+deb13u4", tarball: "suricata_7.0.10.orig.tar.xz", sha256: "8956f7de394652b7cb7ede4a1715b0c46798ac825d11f08a5785b07dae7a945a" },
    dir: "suricata_7.0.10",
    root: "ebpf",
    license: "GPL-2.0-only",
    // ebpf/Makefile.am: clang -Wall -Iinclude -O2 -I/usr/include/$(build_cpu)-$(build_os)/ -D__KERNEL__ -D__ASM_SYSREG_H -target bpf (then llc)
    flags: ["-Wall", "-I{src}/include", "-I{multiarch}", "-D__KERNEL__", "-D__ASM_SYSREG_H", "-I{libbpf}"],
    vmlinux: "none",
    sources: ["filter.c", "lb.c", "vlan_filter.c", "bypass_filter.c", "xdp_filter.c", "xdp_lb.c"],
  },
  {
    id: "knot",
    name: "Knot DNS XDP filter",
    repository: "https://gitlab.nic.cz/knot/knot-dns",
    upstreamVersion: "v3.4.6",
    debian: { package: "knot", version: "3.4.6-2", tarball: "knot_3.4.6.orig.tar.xz", sha256: "d19c5a1ff94b4f26027d635de108dbfc88f5652be86ccb3ba9a44ee9be0e5839" },
    dir: "knot_3.4.6",
    root: "src/libknot/xdp",
    license: "GPL-3.0-or-later",
    // src/libknot/xdp/Makefile.am `filter`: clang -target bpf -Wall -O2 -g -DNDEBUG -I/usr/include/x86_64-linux-gnu (config.h omitted: the program uses none of it)
    flags: ["-Wall", "-DNDEBUG", "-I{multiarch}", "-I{libbpf}"],
    vmlinux: "none",
    sources: ["bpf-kernel.c"],
  },
  {
    id: "bpftune",
    name: "bpftune",
    repository: "https://github.com/oracle/bpftune",
    upstreamVersion: "0.0~git20250314",
    commit: "8fd59cc (abbreviated, from the Debian version)",
    debian: { package: "bpftune", version: "0.0~git20250314.8fd59cc-1", tarball: "bpftune_0.0~git20250314.8fd59cc.orig.tar.xz", sha256: "0f26936c79368cd7c48ab5731dbda752c334bed37487fb16528ed7686c0a30a8" },
    dir: "bpftune_0.0~git20250314.8fd59cc",
    root: "src",
    license: "GPL-2.0-only WITH Linux-syscall-note",
    // src/Makefile: $(CLANG) -g -fno-stack-protector -Wall -Wno-incompatible-pointer-types-discards-qualifiers -std=gnu17 -D__TARGET_ARCH_x86 -O2 -target bpf $(INCLUDES)
    flags: ["-fno-stack-protector", "-Wall", "-Wno-incompatible-pointer-types-discards-qualifiers", "-std=gnu17", "-D__TARGET_ARCH_x86", "-I{src}/../include", "-I{libbpf}", "-I{src}/../include/uapi"],
    vmlinux: "none",
    sources: [
      "probe.bpf.c", "net_buffer_tuner.bpf.c", "tcp_conn_tuner.bpf.c", "netns_tuner.bpf.c", "sysctl_tuner.bpf.c", "neigh_table_tuner.bpf.c", "route_table_tuner.bpf.c",
      // the BPFTUNE_LEGACY build: kprobes instead of fentry, for kernels without BTF trampolines
      ...["probe", "net_buffer_tuner", "tcp_conn_tuner", "netns_tuner", "sysctl_tuner", "neigh_table_tuner", "route_table_tuner"]
        .map((n) => ({ path: `${n}.bpf.c`, name: `${n}.legacy`, flags: ["-DBPFTUNE_LEGACY"] })),
    ],
  },
  {
    id: "bpftop",
    name: "bpftop",
    repository: "https://github.com/Netflix/bpftop",
    upstreamVersion: "v0.5.2-20-gc23a822",
    commit: "c23a822 (abbreviated, from the Debian version)",
    debian: { package: "bpftop", version: "0.5.2.20.gc23a822-2", tarball: "bpftop_0.5.2.20.gc23a822.orig.tar.xz", sha256: "dda245744b593892834d404269f9aa66b3302bd3fce4f302490be2f0a8942da9" },
    dir: "bpftop_0.5.2.20.gc23a822",
    root: "src/bpf",
    license: "GPL-2.0",
    // build.rs via libbpf-cargo's SkeletonBuilder: clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I<libbpf headers> (vmlinux.h next to the source)
    flags: ["-D__TARGET_ARCH_x86", "-I{src}", "-I{libbpf}"],
    vmlinux: "none",
    sources: ["pid_iter.bpf.c"],
  },
  {
    id: "pwru",
    name: "pwru (packet, where are you?)",
    repository: "https://github.com/cilium/pwru",
    upstreamVersion: "v1.0.5",
    debian: { package: "pwru", version: "1.0.5+ds1-1", tarball: "pwru_1.0.5+ds1.orig.tar.gz", sha256: "3c158f8bd25910d52a4446a165319f91db569becf496c0dd9342ff27d487a61a" },
    dir: "pwru_1.0.5+ds1",
    license: "GPL-2.0-only OR BSD-2-Clause",
    // build.go go:generate: bpf2go -target amd64 (-O2 -mcpu=v1 -g -Wall -target bpfel -D__TARGET_ARCH_x86) -- [-DOUTPUT_SKB] [-DHAS_KPROBE_MULTI] -I./bpf/headers -Wno-address-of-packed-member
    flags: ["-mcpu=v1", "-Wall", "-D__TARGET_ARCH_x86", "-I{src}/bpf/headers", "-Wno-address-of-packed-member"],
    vmlinux: "none",
    sources: [
      { path: "bpf/kprobe_pwru.c", name: "kprobe_pwru", flags: ["-DOUTPUT_SKB"] },
      { path: "bpf/kprobe_pwru.c", name: "kprobe_multi_pwru", flags: ["-DOUTPUT_SKB", "-DHAS_KPROBE_MULTI"] },
      { path: "bpf/kprobe_pwru.c", name: "kprobe_pwru_without_output_skb", flags: [] },
    ],
  },
  {
    id: "cilium-ebpf",
    name: "cilium/ebpf (ebpf-go) examples, docs and testdata",
    repository: "https://github.com/cilium/ebpf",
    upstreamVersion: "v0.22.0",
    debian: { package: "golang-github-cilium-ebpf", version: "0.22.0+ds1-1", tarball: "golang-github-cilium-ebpf_0.22.0+ds1.orig.tar.xz", sha256: "fb27de908d9ea4f285259989e04811d002574be59f49fda80888570651d666c3" },
    dir: "golang-github-cilium-ebpf_0.22.0+ds1",
    license: "MIT OR GPL-2.0-only",
    // Makefile: CFLAGS := -O2 -g -Wall -Werror -mcpu=v2, -target bpfel (testdata); bpf2go examples: -O2 -mcpu=v1 -g -Wall
    flags: ["-Wall"],
    vmlinux: "none",
    sources: [
      ...["xdp/xdp.c", "fentry/fentry.c", "kprobe/kprobe.c", "xdp_live_frame/xdp.c", "ringbuffer/ringbuffer.c", "cgroup_skb/cgroup_skb.c", "uretprobe/uretprobe.c",
        "tcprtt_sockops/tcprtt_sockops.c", "tcprtt/tcprtt.c", "kprobepin/kprobe_pin.c", "sched_ext/sched_ext.c", "tcx/tcx.c", "tracepoint_in_c/tracepoint.c", "kprobe_percpu/kprobe_percpu.c"]
                // bpf2go -target amd64 adds -D__TARGET_ARCH_x86
        .map((p) => ({ path: `examples/${p}`, name: `examples-${p.split("/")[0]}`, flags: ["-mcpu=v1", "-D__TARGET_ARCH_x86", "-I{src}/examples/headers"] })),
      { path: "docs/examples/getting_started/counter.c", name: "docs-counter", flags: ["-mcpu=v1", "-D__TARGET_ARCH_x86", "-I{src}/examples/headers", "-I{multiarch}"] },
      { path: "docs/examples/variables/variables.c", name: "docs-variables", flags: ["-mcpu=v1", "-D__TARGET_ARCH_x86", "-I{src}/examples/headers", "-I{multiarch}"] },
      ...["arena", "btf_map_init", "constants", "errors", "fentry_fexit", "freplace", "fwd_decl", "invalid-kfunc", "invalid_btf_map_init", "invalid_map", "invalid_map_static",
        "iproute2_map_compat", "kconfig", "kfunc-kmod", "kfunc", "ksym", "linked1", "linked2", "loader", "manyprogs", "map_spin_lock", "raw_tracepoint", "strings", "struct_ops",
        "subprog_reloc", "variables"]
        .map((n) => ({ path: `testdata/${n}.c`, name: `testdata-${n}`, flags: ["-mcpu=v2", "-I{src}/testdata"] })),
      ...["relocs", "relocs_read", "relocs_enum", "tags"].map((n) => ({ path: `btf/testdata/${n}.c`, name: `btf-testdata-${n}`, flags: ["-mcpu=v2", "-I{src}/testdata"] })),
    ],
  },
  {
    id: "iproute2",
    name: "iproute2 BPF examples",
    repository: "https://git.kernel.org/pub/scm/network/iproute2/iproute2.git",
    upstreamVersion: "v6.1.0",
    debian: { package: "iproute2", version: "6.1.0-3", tarball: "iproute2_6.1.0.orig.tar.xz", sha256: "5ce12a0fec6b212725ef218735941b2dab76244db7e72646a76021b0537b43ab" },
    dir: "iproute2_6.1.0",
    root: "examples/bpf",
    license: "GPL-2.0",
    // examples/bpf/README: clang -O2 -target bpf -c bpf_prog.c -o bpf_prog.o, with iproute2's include/bpf_api.h
    flags: ["-I{src}/../../include", "-I{src}/../../include/uapi", "-I{multiarch}", "-idirafter", "{gen}/stubs"],
    vmlinux: "none",
    sources: ["bpf_shared.c", "bpf_graft.c", "bpf_map_in_map.c",
      { path: "legacy/bpf_shared.c", name: "legacy-bpf_shared" }, { path: "legacy/bpf_graft.c", name: "legacy-bpf_graft" }, { path: "legacy/bpf_map_in_map.c", name: "legacy-bpf_map_in_map" }],
  },
  {
    id: "dpdk",
    name: "DPDK TAP PMD RSS program",
    repository: "https://github.com/DPDK/dpdk",
    upstreamVersion: "v22.11.11",
    debian: { package: "dpdk", version: "22.11.11-0+deb12u1", tarball: "dpdk_22.11.11.orig.tar.xz", sha256: "27a3bb1f57e02eb68c7c0a6f8bbf9fb74ec198c5aab74ed602da5b71c492a476" },
    dir: "dpdk_22.11.11",
    root: "drivers/net/tap",
    license: "GPL-2.0 OR BSD-3-Clause",
    // drivers/net/tap/tap_bpf_program.c header: clang -O2 -emit-llvm -c tap_bpf_program.c -I ...; llc -march=bpf -filetype=obj
    flags: ["-I{src}", "-I{multiarch}", "-I{uapi}", "-idirafter", "{gen}/stubs"],
    vmlinux: "none",
    sources: ["tap_bpf_program.c"],
  },
  {
    id: "linux",
    name: "Linux kernel BPF programs outside the selftests (samples, tools, HID-BPF, sched_ext, perf)",
    repository: "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git",
    upstreamVersion: "v6.12.118 (Debian linux-source-6.12)",
    kernelTree: KERNEL,
    dir: "@kernel",
    license: "GPL-2.0",
    flags: ["-D__TARGET_ARCH_x86", "-I{gen}", "-I{libbpf}", "-I{kernel}/tools/include/uapi"],
    sources: [
      // tools/bpf/runqslower/Makefile, tools/bpf/bpftool/Makefile: -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(vmlinux.h dir) -I$(libbpf headers)
      "tools/bpf/runqslower/runqslower.bpf.c",
      "tools/bpf/bpftool/skeleton/pid_iter.bpf.c", "tools/bpf/bpftool/skeleton/profiler.bpf.c",
      "kernel/bpf/preload/iterators/iterators.bpf.c",
      // tools/perf/Makefile.perf: $(CLANG) -g -O2 -fno-stack-protector --target=bpf -Wall -Werror $(BPF_INCLUDE) $(TOOLS_UAPI_INCLUDE) -I tools/perf/util/bpf_skel
      ...["func_latency", "bperf_leader", "augmented_raw_syscalls", "kwork_trace", "lock_contention", "bperf_cgroup", "bpf_prog_profiler", "sample_filter",
        "kwork_top", "bench_uprobe", "off_cpu", "bperf_follower"].map((n) => ({ path: `tools/perf/util/bpf_skel/${n}.bpf.c`, name: `perf-${n}`,
        flags: ["-fno-stack-protector", "-Wall", "-I{kernel}/tools/perf/util/bpf_skel", "-I{kernel}/tools/perf/util", "-I{kernel}/tools/include"] })),
      // tools/sched_ext/Makefile: -g -O2 -mcpu=v3 -mlittle-endian -D__TARGET_ARCH_x86 -I include -I include/bpf-compat -I $(vmlinux) -I libbpf
      ...["scx_simple", "scx_qmap", "scx_central", "scx_flatcg"].map((n) => ({ path: `tools/sched_ext/${n}.bpf.c`, name: `sched_ext-${n}`,
        flags: ["-mcpu=v3", "-mlittle-endian", "-Wall", "-Wno-compare-distinct-pointer-types", "-I{kernel}/tools/sched_ext/include", "-I{kernel}/tools/sched_ext/include/bpf-compat", "-I{kernel}/tools/sched_ext"] })),
      // drivers/hid/bpf/progs/Makefile: -g -O2 -target bpf -D__TARGET_ARCH_x86 -I vmlinux -I libbpf (and hid_bpf.h, hid_bpf_helpers.h next to the sources)
      ...["Wacom__ArtPen", "IOGEAR__Kaliber-MMOmentum", "Huion__Dial-2", "Huion__Inspiroy-2-S", "Microsoft__Xbox-Elite-2", "Huion__Inspiroy-Frego-M", "XPPen__Artist24",
        "XPPen__DecoMini4", "HP__Elite-Presenter", "Huion__Kamvas-Pro-19", "Thrustmaster__TCA-Yoke-Boeing", "XPPen__ArtistPro16Gen2", "FR-TEC__Raptor-Mach-2"]
        .map((n) => ({ path: `drivers/hid/bpf/progs/${n}.bpf.c`, name: `hid-${n}`, flags: ["-Wall", "-I{kernel}/drivers/hid/bpf/progs"] })),
      // tools/testing/selftests/net/Makefile: $(CLANG) -O2 --target=bpf -c $< $(CCINCLUDE) (not the BPF selftests: programs the network tests attach)
      ...["nat6to4", "xdp_dummy", "sample_ret0", "sample_map_ret0"].map((n) => ({ path: `tools/testing/selftests/net/${n}.bpf.c`, name: `net-${n}`, flags: ["-I{multiarch}", "-I{kernel}/tools/include", "-idirafter", "{gen}/stubs"] })),
      // samples/bpf/Makefile (BPF_SAMPLES_PATH .bpf.c rule): -Wall -O2 -mcpu=v3 -D__TARGET_ARCH_x86 -I$(obj) -I selftests/bpf (bpf_misc.h etc.) -I vmlinux -I libbpf
      ...["lwt_len_hist", "map_perf_test", "offwaketime", "sock_flags", "spintest", "test_cgrp2_tc", "test_current_task_under_cgroup", "test_map_in_map",
        "test_overhead_kprobe", "test_overhead_raw_tp", "test_overhead_tp", "test_probe_write_user", "trace_output", "tracex1", "tracex3", "tracex4", "tracex5", "tracex6",
        "tracex7", "xdp_router_ipv4", "xdp_sample"]
        .map((n) => ({ path: `samples/bpf/${n}.bpf.c`, name: `samples-${n}`, flags: ["-Wall", "-mcpu=v3", "-Wno-unused-value", "-I{kernel}/samples/bpf", "-I{kernel}/tools/testing/selftests/bpf", "-idirafter", "{multiarch}", "-idirafter", "{gen}/stubs"] })),
    ],
  },
  {
    id: "linux-bpf-selftests",
    name: "Linux BPF selftests' production-derived programs (katran's balancer, Cloudflare's cls_redirect, bpf_flow, TCP congestion control, strobemeta, pyperf, profiler, ...)",
    repository: "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git",
    upstreamVersion: "v6.12.118 (Debian linux-source-6.12)",
    kernelTree: KERNEL,
    dir: "@kernel",
    root: "tools/testing/selftests/bpf/progs",
    license: "GPL-2.0",
    flags: SELFTESTS_FLAGS,
    sources: [
      // networking
      "test_l4lb.c", { path: "test_l4lb_noinline.c", flags: ["-fno-inline"] }, { path: "test_xdp_noinline.c", flags: ["-fno-inline"] },
      "test_cls_redirect.c", "test_cls_redirect_subprogs.c", "xdp_synproxy_kern.c", "test_xdp.c", "test_xdp_vlan.c", "xdping_kern.c", "test_tc_tunnel.c",
      "test_tunnel_kern.c", "test_tcp_hdr_options.c", "test_misc_tcp_hdr_options.c", "test_sk_lookup.c", "bpf_cubic.c", "bpf_dctcp.c", "tcp_ca_write_sk_pacing.c",
      "connect4_prog.c", "connect6_prog.c", "test_sockmap_listen.c", "test_sockmap_kern.c", "test_sockmap_update.c", "sockmap_parse_prog.c", "sockmap_verdict_prog.c",
      "test_select_reuseport_kern.c", "test_migrate_reuseport.c", "test_lwt_seg6local.c", "test_seg6_loop.c", "test_tc_edt.c", "test_tc_neigh.c", "test_tc_peer.c",
      "xdp_features.c", "test_xdp_bpf2bpf.c", "test_xdp_do_redirect.c", "test_xdp_meta.c", "test_xdp_redirect.c", "xdp_redirect_map.c", "test_xdp_adjust_tail_grow.c",
      "test_xdp_context_test_run.c", "xdp_hw_metadata.c", "xdp_dummy.c", "test_tcpbpf_kern.c", "tcp_rtt.c", "sockopt_sk.c", "netcnt_prog.c", "bpf_flow.c",
      "test_sk_assign.c", "test_sock_fields.c", "cgroup_skb_sk_lookup_kern.c", "test_cgroup_link.c", "dev_cgroup.c", "bpf_iter_tcp4.c", "bpf_iter_tcp6.c", "bpf_iter_udp4.c",
      // tracing and scale
      "strobemeta.c", "strobemeta_nounroll1.c", "strobemeta_subprogs.c", "pyperf50.c", "pyperf100.c", "pyperf180.c", "profiler1.c", "profiler2.c", "profiler3.c",
      "loop1.c", "loop2.c", "loop3.c", "loop4.c", "loop5.c", "loop6.c", "test_verif_scale1.c", "test_verif_scale2.c", "test_verif_scale3.c",
      "test_sysctl_loop1.c", "test_sysctl_loop2.c", "test_spin_lock.c", "local_storage.c", "lsm.c", "test_global_func1.c",
    ],
  },
];

export const KERNEL_TREE = KERNEL;
