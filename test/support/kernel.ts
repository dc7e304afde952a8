// Whether tests can use the real kernel (root, Linux, bpf(2) usable). Kernel tests call
// `describeKernel(...)`: they skip with a visible reason where no kernel is usable, and fail instead
// of skipping when BPFKIT_REQUIRE_KERNEL=1 (set by .ci/run on machines that have one).
import { describe, it } from "vitest";
import { existsSync } from "node:fs";
import { hasCap, machineSummary, type CapName } from "./machine.js";

/** What every kernel test needs: loading any program type, networking attach points, tracing, bpffs pins. */
const NEEDED_CAPS: readonly CapName[] = ["cap_bpf", "cap_sys_admin", "cap_net_admin", "cap_perfmon"];

let cached: { ok: boolean; reason: string } | undefined;

export function kernelStatus(): { ok: boolean; reason: string } {
  if (cached) return cached;
  if (process.platform !== "linux") cached = { ok: false, reason: `platform is ${process.platform}, not linux` };
  else if (typeof process.getuid === "function" && process.getuid() !== 0) cached = { ok: false, reason: "not running as root (bpf(2) needs CAP_BPF/CAP_NET_ADMIN)" };
  else if (!existsSync("/sys/fs/bpf")) cached = { ok: false, reason: "/sys/fs/bpf does not exist" };
  else {
    // Root without these is a container or a capability-dropped shell: bpf(2) would answer EPERM to most tests.
    const missing = NEEDED_CAPS.filter((c) => !hasCap(c));
    cached = missing.length
      ? { ok: false, reason: `this process lacks ${missing.join(", ")} (root, but bpf(2) needs them)` }
      : { ok: true, reason: machineSummary() };
  }
  return cached;
}

export const kernelRequired = (): boolean => process.env.BPFKIT_REQUIRE_KERNEL === "1";

/** describe() for tests that need the real kernel. */
export function describeKernel(name: string, fn: () => void): void {
  const { ok, reason } = kernelStatus();
  if (ok) { describe(name, fn); return; }
  if (kernelRequired()) {
    describe(name, () => {
      it("needs the kernel (BPFKIT_REQUIRE_KERNEL=1)", () => { throw new Error(`kernel tests are mandatory here but no kernel is usable: ${reason}`); });
    });
    return;
  }
  describe.skip(`${name} [skipped: ${reason}]`, fn);
}
