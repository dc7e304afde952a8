// BPF_PROG_TYPE_CGROUP_SYSCTL: runs when a process of the cgroup reads or writes /proc/sys; may refuse it or
// change the value written (bpf_sysctl_set_new_value). Context struct bpf_sysctl (sysctl_is_valid_access,
// kernel/bpf/cgroup.c): `write` read-only, `file_pos` readable and writable with 4-byte stores.
import { layoutStruct, type CDecl, NARROW_READ, WORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { BASE, CGROUP_COMMON, CGROUP_CURRENT, CGROUP_RETVAL, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const SYSCTL_DECL: readonly CDecl[] = [["write", "u32"], ["file_pos", "u32"]];

const LAYOUT = layoutStruct("bpf_sysctl", SYSCTL_DECL, (name) =>
  name === "file_pos" ? { read: NARROW_READ, write: WORD } : { read: NARROW_READ });

export const cgroupSysctl: ProgTypeInfo = {
  id: ProgType.CGROUP_SYSCTL, name: "cgroup_sysctl", kernelName: "BPF_PROG_TYPE_CGROUP_SYSCTL",
  summary: "cgroup sysctl access control: 1 allows the read/write of /proc/sys, 0 refuses it (EPERM)",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [AttachType.CGROUP_SYSCTL], expectedAttachTypeRequired: false,
  returnRule: { range: [0, 1] },
  returnCodes: [{ name: "0", value: 0, meaning: "refuse (EPERM)" }, { name: "1", value: 1, meaning: "allow" }],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: uniq(CGROUP_COMMON, CGROUP_RETVAL, CGROUP_CURRENT, ["sysctl_get_name", "sysctl_get_current_value", "sysctl_get_new_value",
    "sysctl_set_new_value", "ktime_get_coarse_ns", "perf_event_output"], BASE), // sysctl_func_proto
};
