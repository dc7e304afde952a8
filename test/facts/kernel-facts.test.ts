// The fact tables against what the running kernel answered (fixtures recorded by
// scripts/record-facts-kernel.ts; no kernel needed here). A disagreement names the target, the helper /
// map case / context access, and both answers; re-record after a kernel upgrade.
import { describe, it, expect } from "vitest";
import { helpersFixture, mapsFixture, ctxFixture, compareHelperPermissions, compareGplOnly, compareMaps, compareCtx, type Agreement } from "./support/fixtures.js";
import { helperByName } from "../../src/helpers/table.js";
import { ProgType } from "../../src/progtypes/index.js";

const helpers = helpersFixture();
const maps = mapsFixture();
const ctx = ctxFixture();

const expectAgreement = (a: Agreement): void => {
  expect(a.total).toBeGreaterThan(0);
  expect(a.disagreements.slice(0, 50), `${a.disagreements.length} of ${a.total} disagree`).toEqual([]);
};

describe("kernel fixtures are sane (anchors independent of the tables)", () => {
  const id = (n: string): number => helperByName(n)!.id;
  it("helpers: every type may call map_lookup_elem; xdp gets xdp_adjust_head but not skb_store_bytes; trace_printk is GPL-only", () => {
    for (const t of Object.values(helpers.targets)) expect(t.allowed).toContain(id("map_lookup_elem"));
    expect(helpers.targets.xdp!.allowed).toContain(id("xdp_adjust_head"));
    expect(helpers.targets.xdp!.allowed).not.toContain(id("skb_store_bytes"));
    expect(helpers.targets.sched_cls!.allowed).toContain(id("skb_store_bytes"));
    expect(helpers.targets.xdp!.gplOnly).toContain(id("trace_printk"));
    expect(helpers.targets.xdp!.gplOnly).not.toContain(id("map_lookup_elem"));
    expect(helpers.targets.xdp!.progType).toBe(ProgType.XDP);
  });
  it("maps: every base case is created; a hash with key size 0 is refused", () => {
    for (const c of maps.cases.filter((x) => x.label.endsWith(": base"))) expect(c.ok, c.label).toBe(true);
    expect(maps.cases.find((c) => c.label === "hash: key_size 0")!.ok).toBe(false);
  });
  it("ctx: xdp_md.data is a 4-byte load; __sk_buff.len loads but does not store in socket filters", () => {
    expect(ctx.targets.xdp!.ldx).toContain("0:4");
    expect(ctx.targets.xdp!.ldx).not.toContain("0:8");
    expect(ctx.targets.socket_filter!.ldx).toContain("0:4");
    expect(ctx.targets.socket_filter!.stx).not.toContain("0:4");
  });
  it("ctx: tracing contexts and cgroup_device are read-only; pt_regs in parts, perf_event registers whole, tracepoints below 0", () => {
    for (const k of ["kprobe", "tracepoint", "raw_tracepoint", "perf_event", "cgroup_device"]) expect(ctx.targets[k]!.stx, k).toEqual([]);
    expect(ctx.targets.kprobe!.ldx).toEqual(expect.arrayContaining(["112:8", "167:1", "84:4"]));
    expect(ctx.targets.kprobe!.ldx).not.toContain("168:1");
    expect(ctx.targets.perf_event!.ldx).toEqual(expect.arrayContaining(["128:8", "172:4"]));
    expect(ctx.targets.perf_event!.ldx).not.toContain("128:4");
    expect(ctx.targets.tracepoint!.ldx).toEqual(expect.arrayContaining(["8:8", "8184:8", "-8:8"]));
    expect(ctx.targets.tracepoint!.ldx).not.toContain("0:1");
    expect(ctx.targets.tracepoint!.ldx).not.toContain("8192:1");
    expect(ctx.targets.cgroup_device!.ldx).toEqual(expect.arrayContaining(["2:2", "4:4"]));
    expect(ctx.targets.cgroup_device!.ldx).not.toContain("5:1");
  });
});

describe(`helper permissions vs kernel ${helpers.kernel}`, () => {
  it("isHelperAllowed agrees for every program type / attach type and helper 1..211", () => expectAgreement(compareHelperPermissions(helpers)));
  it("gplOnly agrees for every helper the kernel offers", () => expectAgreement(compareGplOnly(helpers)));
});

describe(`map creation vs kernel ${maps.kernel}`, () => {
  it("validateMapSpec has no diagnostics exactly when MAP_CREATE succeeds", () => expectAgreement(compareMaps(maps)));
});

describe(`context access vs kernel ${ctx.kernel}`, () => {
  it("checkCtxAccess agrees on loads", () => expectAgreement(compareCtx(ctx, ["ldx"])));
  it("checkCtxAccess agrees on sign-extending loads (ldsx)", () => expectAgreement(compareCtx(ctx, ["ldsx"])));
  it("checkCtxAccess agrees on register stores (stx)", () => expectAgreement(compareCtx(ctx, ["stx"])));
  it("every recorded access of every kind agrees (reported)", () => {
    const a = compareCtx(ctx);
    console.log(`context accesses (ldx, ldsx, stx, st) agreeing with kernel ${ctx.kernel}: ${a.agree}/${a.total} over ${Object.keys(ctx.targets).length} targets`);
    expectAgreement(a);
  });
  it("immediate stores (st) are accepted exactly where register stores are", () => {
    for (const [key, t] of Object.entries(ctx.targets)) expect(t.st, key).toEqual(t.stx);
  });
});
