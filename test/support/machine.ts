// What this machine lets a kernel test do, read once: the process's effective capabilities, the BPF
// sysctls, where cgroup v2 and bpffs are mounted. Kernel tests use it to tell "this machine cannot" (a
// capability the process lacks, a sysctl set otherwise, no cgroup2 mount) from "the kernel disagrees".
// Machines differ a little: CI machines have run without CAP_SYS_RESOURCE, for one.
import { existsSync, readFileSync } from "node:fs";

/** Capability numbers of include/uapi/linux/capability.h, lower-case names as capsh spells them. */
export const CAPS = [
  "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid",
  "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast", "cap_net_admin", "cap_net_raw",
  "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct",
  "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
  "cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
  "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
] as const;
export type CapName = (typeof CAPS)[number];

const readText = (path: string): string | undefined => {
  try { return readFileSync(path, "utf8"); } catch { return undefined; }
};

/** The process's effective capability mask (CapEff of /proc/self/status); 0 where it cannot be read. */
export function effectiveCaps(status = readText("/proc/self/status") ?? ""): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** Capabilities the kernel knows (up to kernel.cap_last_cap) that the mask lacks, by name. */
export function missingCaps(mask = effectiveCaps(), lastCap = Number(readText("/proc/sys/kernel/cap_last_cap") ?? CAPS.length - 1)): string[] {
  const out: string[] = [];
  for (let i = 0; i <= lastCap; i++) if (!(mask & (1n << BigInt(i)))) out.push(CAPS[i] ?? `cap_${i}`);
  return out;
}

export const hasCap = (name: CapName, mask = effectiveCaps()): boolean => (mask & (1n << BigInt(CAPS.indexOf(name)))) !== 0n;

/** A sysctl under /proc/sys (`kernel.bpf_stats_enabled`), or undefined where absent. */
export function sysctl(name: string): string | undefined {
  return readText(`/proc/sys/${name.replace(/\./g, "/")}`)?.trim();
}

function mountsOf(fsType: string, mounts = readText("/proc/mounts") ?? ""): string[] {
  return mounts.split("\n").map((l) => l.split(" ")).filter((f) => f[2] === fsType).map((f) => f[1]!);
}

/**
 * Where cgroup v2 is mounted: `/sys/fs/cgroup` on a unified-only system, `/sys/fs/cgroup/unified` on a
 * hybrid one (v1 controllers beside it), or wherever /proc/mounts says. Undefined where there is none.
 */
export function cgroup2Root(mounts?: string): string | undefined {
  const all = mountsOf("cgroup2", mounts);
  return all.find((p) => p === "/sys/fs/cgroup") ?? all.find((p) => p === "/sys/fs/cgroup/unified") ?? all[0];
}

export const bpffsMounted = (dir = "/sys/fs/bpf", mounts?: string): boolean => mountsOf("bpf", mounts).includes(dir);

/** One line that says what differs on this machine from a fully privileged one, for skip reasons and logs. */
export function machineSummary(): string {
  const missing = missingCaps();
  const parts = [
    `kernel ${readText("/proc/sys/kernel/osrelease")?.trim() ?? "?"}`,
    missing.length ? `lacks ${missing.join(", ")}` : "all capabilities",
    ...["kernel.unprivileged_bpf_disabled", "kernel.bpf_stats_enabled", "net.core.bpf_jit_harden"].flatMap((s) => {
      const v = sysctl(s);
      return v === undefined ? [] : [`${s.split(".").pop()}=${v}`];
    }),
    `cgroup2 ${cgroup2Root() ?? "not mounted"}`,
    `bpffs ${bpffsMounted() ? "mounted" : existsSync("/sys/fs/bpf") ? "not mounted" : "absent"}`,
  ];
  return parts.join(", ");
}
