// The machine facts kernel tests rely on to tell "this machine cannot" from "the kernel disagrees".
import { describe, expect, it } from "vitest";
import { effectiveCaps, missingCaps, hasCap, cgroup2Root, bpffsMounted } from "../support/machine.js";
import { expectedMapOutcome, type MapCaseRecord } from "./support/fixtures.js";

const FULL = 0x1ffffffffffn; // cap_last_cap 40
const NO_SYS_RESOURCE = 0x1fffeffffffn; // a CI machine seen without CAP_SYS_RESOURCE

describe("capabilities", () => {
  it("reads CapEff and names what a mask lacks", () => {
    expect(effectiveCaps("Name:\tnode\nCapEff:\t000001fffeffffff\n")).toBe(NO_SYS_RESOURCE);
    expect(missingCaps(NO_SYS_RESOURCE, 40)).toEqual(["cap_sys_resource"]);
    expect(missingCaps(FULL, 40)).toEqual([]);
    expect(missingCaps(FULL & ~(1n << 39n) & ~(1n << 12n), 40)).toEqual(["cap_net_admin", "cap_bpf"]);
    expect(hasCap("cap_sys_resource", NO_SYS_RESOURCE)).toBe(false);
    expect(hasCap("cap_bpf", NO_SYS_RESOURCE)).toBe(true);
  });
});

describe("mounts", () => {
  const hybrid = "cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\nbpf /sys/fs/bpf bpf rw 0 0\n";
  const unified = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n";
  it("finds cgroup v2 on a hybrid and on a unified-only layout, and says when there is none", () => {
    expect(cgroup2Root(hybrid)).toBe("/sys/fs/cgroup/unified");
    expect(cgroup2Root(unified)).toBe("/sys/fs/cgroup");
    expect(cgroup2Root("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n")).toBeUndefined();
  });
  it("tells whether bpffs is mounted", () => {
    expect(bpffsMounted("/sys/fs/bpf", hybrid)).toBe(true);
    expect(bpffsMounted("/sys/fs/bpf", unified)).toBe(false);
  });
});

describe("map answers by capability", () => {
  const arena: MapCaseRecord = { label: "arena: base", type: "arena", keySize: 0, valueSize: 0, maxEntries: 1, flags: 1024, ok: true, errno: 0, lacking: { cap_sys_resource: { ok: false, errno: 1 } } };
  it("a privileged process is held to the privileged answer, one without CAP_SYS_RESOURCE to its own", () => {
    expect(expectedMapOutcome(arena, [])).toEqual({ ok: true, errno: 0, recorded: "privileged" });
    expect(expectedMapOutcome(arena, ["cap_sys_resource"])).toEqual({ ok: false, errno: 1, recorded: "lacking" });
  });
  it("a set of missing capabilities nobody recorded falls back to the privileged answer", () => {
    expect(expectedMapOutcome(arena, ["cap_sys_resource", "cap_ipc_lock"]).recorded).toBe("privileged");
  });
});
