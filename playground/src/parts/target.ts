// The target-kernel part (loaded when an object has CO-RE relocations or kernel externs: kfuncs, .ksyms,
// .kconfig): the BTF and configuration bpfkit bundles as its default target, Linux 6.18 x86-64, as
// data/btf and data/kconfig hold them (gzip, base64 here because a classic script carries them). The page
// decompresses them (playground/src/target.ts); `bpfkit` in Node picks the same default when it has no
// running kernel's BTF.
import btf from "../../../data/btf/vmlinux-6.18-x86_64.btf.gz?base64";
import kconfig from "../../../data/kconfig/config-6.18-x86_64.gz?base64";

export const TARGET = {
  description: "bundled default (Linux 6.18 x86_64)",
  release: "6.18.44-fc-v1272",
  btfGzBase64: btf as string,
  kconfigGzBase64: kconfig as string,
};
