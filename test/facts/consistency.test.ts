// Consistency of the fact tables with each other and with the C headers (fixture recorded by
// scripts/record-facts-layouts.ts with the C compiler, so offsets are not taken from our own code).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { HELPER_NAMES } from "../../src/isa/helper-names.js";
import { allHelpers, helperById, helperByName, isHelperAllowed, helpersFor } from "../../src/helpers/table.js";
import { PROGRAM_TYPES, SECTION_DEFS, resolveSection, contextLayout, checkCtxAccess, returnRange, BPF_SOCK_LAYOUT, ProgType, AttachType, progTypeId, attachTypeId } from "../../src/progtypes/index.js";
import { MAP_TYPES, MAP_TYPE_NAMES, mapTypeByName, validateMapSpec, isMapHelperCompatible } from "../../src/maps/types.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/uapi-layouts.json", import.meta.url), "utf8")) as { layouts: Record<string, Record<string, number | null>> };

describe("helpers", () => {
  it("every helper has the id of its name in src/isa/helper-names.ts", () => {
    for (const h of allHelpers().slice(1)) expect(HELPER_NAMES[h.id]).toBe(h.name);
    expect(allHelpers().length).toBe(HELPER_NAMES.length);
  });
  it("every helper a program type lists exists", () => {
    for (const p of PROGRAM_TYPES) for (const n of [...p.helpers, ...(p.helpersByAttachType ?? []).flatMap((h) => h.helpers)]) {
      expect(helperByName(n), `${p.name}: ${n}`).toBeDefined();
    }
  });
  it("helpers in issue #3 have a kernel prototype", () => {
    for (const n of ["map_lookup_elem", "map_push_elem", "ktime_get_boot_ns", "trace_printk", "tail_call", "redirect_map", "xdp_adjust_tail",
      "skb_store_bytes", "l4_csum_replace", "csum_diff", "skb_adjust_room", "perf_event_output", "ringbuf_reserve", "spin_lock", "loop",
      "msg_redirect_hash", "sock_hash_update", "sk_lookup_tcp", "sk_release", "fib_lookup", "probe_read_kernel_str", "snprintf", "for_each_map_elem"]) {
      expect(helperByName(n)?.proto, n).toBeDefined();
    }
  });
  it("arg kinds come out of the kernel's declarations", () => {
    const upd = helperByName("map_update_elem")!;
    expect(upd.args.map((a) => a.type)).toEqual(["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE", "ARG_ANYTHING"]);
    const rr = helperByName("ringbuf_reserve")!;
    expect(rr.ret.flags).toContain("PTR_MAYBE_NULL");
    expect(helperByName("skb_load_bytes")!.args[2]!.flags).toContain("MEM_UNINIT");
    expect(helperByName("trace_printk")!.gplOnly).toBe(true);
    expect(helperByName("xdp_adjust_head")!.changesPktData).toBe(true);
  });
  it("per-type permissions", () => {
    expect(isHelperAllowed(ProgType.XDP, helperByName("xdp_adjust_head")!.id)).toBe(true);
    expect(isHelperAllowed(ProgType.XDP, helperByName("skb_store_bytes")!.id)).toBe(false);
    expect(isHelperAllowed(ProgType.SOCKET_FILTER, helperByName("redirect")!.id)).toBe(false);
    expect(isHelperAllowed(ProgType.SCHED_CLS, helperByName("redirect")!.id)).toBe(true);
    expect(isHelperAllowed(ProgType.CGROUP_SOCK_ADDR, helperByName("bind")!.id, AttachType.CGROUP_INET4_CONNECT)).toBe(true);
    expect(isHelperAllowed(ProgType.CGROUP_SOCK_ADDR, helperByName("bind")!.id, AttachType.CGROUP_INET4_BIND)).toBe(false);
    expect(helpersFor(ProgType.SK_MSG).map((h) => h.shortName)).toContain("msg_redirect_hash");
    expect(helperById(0)).toBeUndefined();
  });
});

describe("sections", () => {
  it("every libbpf section prefix resolves to its own definition", () => {
    for (const d of SECTION_DEFS) {
      const r = resolveSection(d.prefix)!;
      expect(r.def, d.prefix).toBe(d);
    }
  });
  it("common names", () => {
    expect(resolveSection("xdp")).toMatchObject({ progType: 6, attachType: 37 });
    expect(resolveSection("tc")).toMatchObject({ progType: 3 });
    expect(resolveSection("tcx/egress")).toMatchObject({ progType: 3, attachType: 47 });
    expect(resolveSection("cgroup_skb/egress")).toMatchObject({ progType: 8, attachType: 1 });
    expect(resolveSection("sk_skb/stream_verdict")).toMatchObject({ progType: 14, attachType: 5 });
    expect(resolveSection("kprobe/do_sys_open")).toMatchObject({ progType: 2, target: "do_sys_open" });
    // libbpf 1.x refuses the pre-1.0 form; asked for, it still resolves (flagged)
    expect(resolveSection("xdp/prog")).toBeUndefined();
    expect(resolveSection("xdp/prog", { sloppy: true })).toMatchObject({ progType: 6, sloppy: true });
    expect(resolveSection("nonsense")).toBeUndefined();
  });
  it("numbers match the reference names", () => {
    expect(progTypeId("sk_lookup")).toBe(30);
    expect(attachTypeId("BPF_TCX_INGRESS")).toBe(46);
    expect(attachTypeId("sk_skb_verdict")).toBe(38);
  });
});

describe("context layouts match the C headers", () => {
  const layouts = new Map<string, ReturnType<typeof contextLayout>>();
  // contexts that are no C struct (a tracepoint's record, lirc_mode2's sample) have nothing to compare with
  for (const p of PROGRAM_TYPES) for (const at of [undefined, ...p.attachTypes]) { const l = contextLayout(p.id, at); if (l && l.header !== null) layouts.set(l.struct, l); }
  layouts.set("bpf_sock", BPF_SOCK_LAYOUT);
  it("every program type with a fixed context struct is compared (tracing types included)", () => {
    for (const s of ["pt_regs", "bpf_perf_event_data", "bpf_raw_tracepoint_args", "bpf_cgroup_dev_ctx", "__sk_buff", "bpf_sysctl"]) expect([...layouts.keys()]).toContain(s);
  });
  for (const [struct, layout] of layouts) {
    it(struct, () => {
      const c = fixture.layouts[struct]!;
      expect(c, struct).toBeDefined();
      // headers older than the kernel lack trailing fields (append-only), so sizes compare only when all are there;
      // a flexible array (bpf_raw_tracepoint_args.args[0]) has sizeof 0 in C and the kernel's bound in the table
      if (!Object.values(c).includes(null)) expect(layout!.cSize ?? layout!.size).toBe(c.__size);
      for (const f of layout!.fields) if (!f.name.startsWith("(") && c[f.name] !== null) expect(f.offset, `${struct}.${f.name}`).toBe(c[f.name]);
    });
  }
});

describe("context access rules", () => {
  const off = (p: number, name: string, at?: number): number => contextLayout(p, at)!.fields.find((f) => f.name === name)!.offset;
  it("__sk_buff per type", () => {
    expect(checkCtxAccess(ProgType.SCHED_CLS, { off: off(3, "tc_classid"), size: 4, write: true }).ok).toBe(true);
    expect(checkCtxAccess(ProgType.SOCKET_FILTER, { off: off(1, "mark"), size: 4, write: true }).ok).toBe(false);
    expect(checkCtxAccess(ProgType.SOCKET_FILTER, { off: off(1, "cb[0]"), size: 4, write: true }).ok).toBe(true);
    expect(checkCtxAccess(ProgType.SOCKET_FILTER, { off: off(1, "data"), size: 4, write: false }).ok).toBe(false);
    expect(checkCtxAccess(ProgType.SCHED_CLS, { off: off(3, "data"), size: 4, write: false })).toMatchObject({ ok: true, pointer: "pkt" });
    expect(checkCtxAccess(ProgType.SCHED_CLS, { off: off(3, "data"), size: 2, write: false }).ok).toBe(false);
    expect(checkCtxAccess(ProgType.SCHED_CLS, { off: off(3, "len") + 2, size: 2, write: false })).toMatchObject({ ok: true, narrow: true });
    expect(checkCtxAccess(ProgType.SCHED_CLS, { off: off(3, "cb[0]"), size: 8, write: true }).ok).toBe(true);
    expect(checkCtxAccess(ProgType.SCHED_CLS, { off: off(3, "cb[4]"), size: 8, write: true }).ok).toBe(false);
    expect(checkCtxAccess(ProgType.SK_SKB, { off: off(14, "mark"), size: 4, write: false }).ok).toBe(false);
  });
  it("xdp", () => {
    expect(checkCtxAccess(ProgType.XDP, { off: 4, size: 4, write: false })).toMatchObject({ ok: true, pointer: "pkt_end" });
    expect(checkCtxAccess(ProgType.XDP, { off: 0, size: 4, write: true }).ok).toBe(false);
    expect(checkCtxAccess(ProgType.XDP, { off: 20, size: 4, write: false }).ok).toBe(false);
    expect(checkCtxAccess(ProgType.XDP, { off: 20, size: 4, write: false }, AttachType.XDP_DEVMAP).ok).toBe(true);
  });
  it("return ranges", () => {
    expect(returnRange(ProgType.XDP)).toBeUndefined();
    expect(returnRange(ProgType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS)).toEqual([0, 1]);
    expect(returnRange(ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS)).toEqual([0, 3]);
    expect(returnRange(ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_RECVMSG)).toEqual([1, 1]);
  });
});

describe("map types", () => {
  it("numbers follow the kernel enum", () => {
    for (const m of MAP_TYPES) expect(MAP_TYPE_NAMES[m.id]).toBe(m.name);
    expect(mapTypeByName("ringbuf")!.id).toBe(27);
    expect(mapTypeByName("BPF_MAP_TYPE_BLOOM_FILTER")!.id).toBe(30);
  });
  it("validateMapSpec", () => {
    const spec = (type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0) => ({ name: "m", type, keySize, valueSize, maxEntries, flags });
    expect(validateMapSpec(spec("hash", 4, 8, 16))).toEqual([]);
    expect(validateMapSpec(spec("array", 8, 8, 16))).toHaveLength(1);
    expect(validateMapSpec(spec("lpm_trie", 8, 4, 16))).toHaveLength(1);
    expect(validateMapSpec(spec("lpm_trie", 8, 4, 16, 1))).toEqual([]);
    expect(validateMapSpec(spec("ringbuf", 0, 0, 4096 * 3))).toHaveLength(1);
    expect(validateMapSpec(spec("ringbuf", 0, 0, 4096 * 4))).toEqual([]);
    expect(validateMapSpec(spec("queue", 4, 4, 4))).toHaveLength(1);
    expect(validateMapSpec(spec("nope", 4, 4, 4))[0]!.code).toBe("BK9602");
  });
  it("helper compatibility both ways", () => {
    expect(isMapHelperCompatible("ringbuf", "map_lookup_elem")).toBe(false);
    expect(isMapHelperCompatible("hash", "ringbuf_output")).toBe(false);
    expect(isMapHelperCompatible("queue", "map_push_elem")).toBe(true);
    expect(isMapHelperCompatible("devmap", "redirect_map")).toBe(true);
  });
});
