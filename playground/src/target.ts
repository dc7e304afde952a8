// The kernel an object is relocated for in the browser: the bundled default target (Linux 6.18 x86-64),
// whose BTF is a part loaded only when an object has CO-RE relocations or kernel externs (kfuncs, .ksyms,
// .kconfig). The page loads and decompresses it once (app.ts) and hands the same bytes to the verifier
// worker; both build their TargetKernel from them here, lazily parsed as the loader asks.
import { btfFromBytes, type TargetKernel } from "../../src/index.js";

export interface TargetData {
  description: string;
  release: string;
  /** Raw BTF (decompressed). */
  btf: Uint8Array;
  /** The kernel configuration (.config text). */
  kconfig: string;
}

export function targetKernel(d: TargetData): TargetKernel {
  let btf: ReturnType<typeof btfFromBytes> | undefined;
  return {
    source: "bundled", description: d.description, release: d.release,
    btf: () => (btf ??= btfFromBytes(d.btf, "vmlinux-6.18-x86_64.btf")),
    kconfig: () => ({ text: d.kconfig, source: "bundled configuration (Linux 6.18 x86_64)" }),
  };
}
