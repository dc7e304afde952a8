// BPF_PROG_TYPE_CGROUP_DEVICE: device access control for a cgroup (the cgroup v2 devices controller): runs
// when a task opens or mknods a device node; 1 allows, 0 refuses (EPERM). Context struct bpf_cgroup_dev_ctx,
// read-only (cgroup_dev_is_valid_access, kernel/bpf/cgroup.c): access_type, encoded as
// (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, may be loaded in parts; major and minor only whole.
import { layoutStruct, type CDecl, NARROW_READ, WORD } from "./context.js";
import { AttachType, ProgType } from "./numbers.js";
import { BASE, CGROUP_COMMON, CGROUP_CURRENT, CGROUP_RETVAL, uniq } from "./helper-sets.js";
import type { ProgTypeInfo } from "./types.js";

export const CGROUP_DEV_DECL: readonly CDecl[] = [["access_type", "u32"], ["major", "u32"], ["minor", "u32"]];

const LAYOUT = layoutStruct("bpf_cgroup_dev_ctx", CGROUP_DEV_DECL, (name) => (name === "access_type" ? { read: NARROW_READ } : { read: WORD }));

export const cgroupDevice: ProgTypeInfo = {
  id: ProgType.CGROUP_DEVICE, name: "cgroup_device", kernelName: "BPF_PROG_TYPE_CGROUP_DEVICE",
  summary: "cgroup device access control: 1 allows the open/mknod of a device node, 0 refuses it (EPERM)",
  context: () => LAYOUT, packetAccess: "none", attachTypes: [AttachType.CGROUP_DEVICE], expectedAttachTypeRequired: false,
  returnRule: { range: [0, 1] },
  returnCodes: [{ name: "0", value: 0, meaning: "refuse (EPERM)" }, { name: "1", value: 1, meaning: "allow" }],
  testRun: { supported: false, data: "none", ctx: "none" },
  helpers: uniq(CGROUP_COMMON, CGROUP_RETVAL, CGROUP_CURRENT, ["perf_event_output"], BASE), // cgroup_dev_func_proto
};
