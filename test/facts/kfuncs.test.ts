// The kfunc table (src/helpers/kfuncs.ts) against what the running kernel answered: for every probed
// program type, exactly the kfuncs the kernel let a program call (test/facts/fixtures/kernel-kfuncs.json,
// recorded by scripts/record-facts-kfuncs-kernel.ts; no kernel needed here).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hasKfuncFlag, kfuncForProgType, kfuncHookOf, kfuncNames } from "../../src/helpers/kfuncs.js";
import { ProgType } from "../../src/progtypes/index.js";

interface Fixture {
  kernel: string;
  probed: string[];
  devBoundOnly: string[];
  targets: Record<string, { progType: number; attachType: number | null; allowed: string[] }>;
}
const fx = JSON.parse(readFileSync(new URL("./fixtures/kernel-kfuncs.json", import.meta.url), "utf8")) as Fixture;

describe("kfunc fixture is sane (anchors independent of the table)", () => {
  it("iterators and rcu read lock are common; conntrack is XDP/tc; cpumask is tracing/syscall", () => {
    for (const t of Object.values(fx.targets)) expect(t.allowed).toContain("bpf_iter_num_new");
    for (const t of Object.values(fx.targets)) expect(t.allowed).toContain("bpf_rcu_read_lock");
    expect(fx.targets.xdp!.allowed).toContain("bpf_xdp_ct_lookup");
    expect(fx.targets.sched_cls!.allowed).toContain("bpf_skb_ct_lookup");
    expect(fx.targets.socket_filter!.allowed).not.toContain("bpf_xdp_ct_lookup");
    expect(fx.targets.syscall!.allowed).toContain("bpf_cpumask_create");
    expect(fx.targets.xdp!.allowed).not.toContain("bpf_cpumask_create");
    expect(fx.devBoundOnly).toContain("bpf_xdp_metadata_rx_hash");
    expect(Object.keys(fx.targets).length).toBeGreaterThan(30);
  });
});

describe("kfunc table agrees with the kernel", () => {
  it("every probed kfunc, every probed program type", () => {
    const disagree: string[] = [];
    let total = 0;
    for (const [key, t] of Object.entries(fx.targets)) {
      const allowed = new Set(t.allowed);
      for (const name of fx.probed) {
        if (fx.devBoundOnly.includes(name)) continue;
        total++;
        const ours = kfuncForProgType(name, t.progType, t.attachType ?? undefined) !== undefined;
        if (ours !== allowed.has(name)) disagree.push(`${key}: ${name}: kernel ${allowed.has(name) ? "allows" : "refuses"}, table ${ours ? "allows" : "refuses"}`);
      }
    }
    expect(total).toBeGreaterThan(5000);
    expect(disagree.slice(0, 40), `${disagree.length} of ${total} disagree`).toEqual([]);
  });

  it("the XDP metadata kfuncs are XDP-only in the table (the kernel asks for a device-bound program first)", () => {
    for (const name of fx.devBoundOnly) {
      expect(kfuncForProgType(name, ProgType.XDP)).toBeDefined();
      expect(kfuncForProgType(name, ProgType.SCHED_CLS)).toBeUndefined();
    }
  });

  it("flags: acquire/release/ret_null pairs, iterator constructors, trusted args, sleepable", () => {
    const f = (name: string, t: number = ProgType.SCHED_CLS) => kfuncForProgType(name, t)!;
    expect(hasKfuncFlag(f("bpf_skb_ct_lookup"), "KF_ACQUIRE")).toBe(true);
    expect(hasKfuncFlag(f("bpf_skb_ct_lookup"), "KF_RET_NULL")).toBe(true);
    expect(hasKfuncFlag(f("bpf_ct_release"), "KF_RELEASE")).toBe(true);
    expect(hasKfuncFlag(f("bpf_iter_num_new"), "KF_ITER_NEW")).toBe(true);
    expect(hasKfuncFlag(f("bpf_iter_num_next"), "KF_ITER_NEXT")).toBe(true);
    expect(hasKfuncFlag(f("bpf_dynptr_from_skb"), "KF_TRUSTED_ARGS")).toBe(true);
    expect(hasKfuncFlag(f("bpf_copy_from_user_str", ProgType.SYSCALL), "KF_SLEEPABLE")).toBe(true);
    expect(hasKfuncFlag(f("bpf_task_acquire", ProgType.TRACING), "KF_RCU")).toBe(true);
    expect(kfuncHookOf(ProgType.LSM)).toBe("tracing");
    expect(kfuncNames().length).toBeGreaterThan(150);
  });
});
