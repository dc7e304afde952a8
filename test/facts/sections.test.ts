// Section names: src/progtypes/sections.ts held entry by entry to libbpf 1.5's own section_defs (parsed
// from the kernel tree's libbpf.c when it is unpacked, else from the fixture recorded from it by
// scripts/record-libbpf-sections.ts), what goes to BPF_PROG_LOAD for each, the `?` mark, and the hint for
// names libbpf does not know. The kernel part checks that the flags really reach the kernel.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  attachTypeId, AttachType, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, loadAttrs, PROG_TYPE_NAMES, ProgType, resolveSection, SECTION_DEFS,
  sectionHint, splitAutoload, suggestSection,
} from "../../src/progtypes/index.js";
import { FIXTURE, LIBBPF_C, readLibbpfSections, type LibbpfSections } from "../../scripts/record-libbpf-sections.js";
import { describeKernel } from "../support/kernel.js";

const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as LibbpfSections;

describe("libbpf's section table", () => {
  it("the fixture is libbpf 1.5's table as the kernel tree has it", () => {
    expect(fixture.libbpfVersion).toBe("1.5");
    if (!existsSync(LIBBPF_C)) return void console.log(`${LIBBPF_C} is not here: the fixture stands for it`);
    expect(readLibbpfSections()).toEqual(fixture);
  });

  it("has as many entries as ours, in the same order (the first match wins)", () => {
    expect(SECTION_DEFS.map((d) => d.prefix + (d.match === "plus" ? "+" : ""))).toEqual(fixture.defs.map((d) => d.sec));
  });

  for (const [i, lib] of fixture.defs.entries()) {
    it(`${lib.sec}: program type, expected attach type and flags`, () => {
      const ours = SECTION_DEFS[i]!;
      expect(PROG_TYPE_NAMES[ours.progType]).toBe(lib.progType.toLowerCase());
      expect(ours.attachType ?? 0).toBe(lib.attachType === "0" ? 0 : attachTypeId(lib.attachType));
      expect(!!ours.sleepable, "SEC_SLEEPABLE").toBe(lib.flags.includes("SEC_SLEEPABLE"));
      expect(!!ours.xdpFrags, "SEC_XDP_FRAGS").toBe(lib.flags.includes("SEC_XDP_FRAGS"));
      expect(!!ours.attachBtf, "SEC_ATTACH_BTF").toBe(lib.flags.includes("SEC_ATTACH_BTF"));
      expect(!!ours.usdt, "SEC_USDT").toBe(lib.flags.includes("SEC_USDT"));
      // every flag libbpf sets is one we model or one that changes nothing at load on 6.x kernels
      for (const f of lib.flags) expect(["SEC_SLEEPABLE", "SEC_XDP_FRAGS", "SEC_ATTACH_BTF", "SEC_USDT", "SEC_ATTACHABLE", "SEC_ATTACHABLE_OPT", "SEC_EXP_ATTACH_OPT"]).toContain(f);
    });
  }

  it("what goes to BPF_PROG_LOAD is libbpf_prepare_prog_load's answer for every entry", () => {
    for (const [i, lib] of fixture.defs.entries()) {
      const def = SECTION_DEFS[i]!;
      const r = resolveSection(def.match === "plus" ? `${def.prefix}/target` : def.prefix)!;
      expect(r.def, lib.sec).toBe(def);
      const attach = lib.attachType === "0" ? 0 : attachTypeId(lib.attachType)!;
      const xdp = lib.progType === "XDP";
      expect(loadAttrs(r), lib.sec).toEqual({
        progType: PROG_TYPE_NAMES.indexOf(lib.progType.toLowerCase() as (typeof PROG_TYPE_NAMES)[number]),
        // SEC_USDT: the uprobe_multi attach type on kernels with uprobe_multi links (6.18 has them)
        expectedAttachType: lib.flags.includes("SEC_USDT") ? AttachType.TRACE_UPROBE_MULTI : attach,
        progFlags: (lib.flags.includes("SEC_SLEEPABLE") ? BPF_F_SLEEPABLE : 0) | (xdp && lib.flags.includes("SEC_XDP_FRAGS") ? BPF_F_XDP_HAS_FRAGS : 0),
      });
    }
  });

  it("matching follows libbpf 1.x: `+` takes prefix or prefix/anything, the rest match exactly", () => {
    expect(resolveSection("kprobe/do_sys_open")).toMatchObject({ progType: ProgType.KPROBE, target: "do_sys_open" });
    expect(resolveSection("kprobe")).toMatchObject({ progType: ProgType.KPROBE });
    expect(resolveSection("kprobe_do_sys_open")).toBeUndefined();
    expect(resolveSection("tracepoint/syscalls/sys_enter_openat")).toMatchObject({ progType: ProgType.TRACEPOINT, target: "syscalls/sys_enter_openat" });
    expect(resolveSection("fentry.s/do_unlinkat")).toMatchObject({ progType: ProgType.TRACING, sleepable: true, attachType: AttachType.TRACE_FENTRY });
    expect(resolveSection("xdp.frags")).toMatchObject({ progType: ProgType.XDP, xdpFrags: true });
    expect(resolveSection("xdp/foo")).toBeUndefined();
    expect(resolveSection("classifier/foo")).toBeUndefined();
    expect(resolveSection("classifier")).toMatchObject({ progType: ProgType.SCHED_CLS });
    expect(resolveSection("action")).toMatchObject({ progType: ProgType.SCHED_ACT });
    expect(resolveSection("tcx/ingress")).toMatchObject({ progType: ProgType.SCHED_CLS, attachType: AttachType.TCX_INGRESS });
    expect(resolveSection("netkit/peer")).toMatchObject({ progType: ProgType.SCHED_CLS, attachType: AttachType.NETKIT_PEER });
    expect(resolveSection("cgroup/connect_unix")).toMatchObject({ progType: ProgType.CGROUP_SOCK_ADDR, attachType: AttachType.CGROUP_UNIX_CONNECT });
    expect(resolveSection("raw_tp.w/foo")).toMatchObject({ progType: ProgType.RAW_TRACEPOINT_WRITABLE });
    expect(resolveSection("kprobe.session/foo")).toMatchObject({ progType: ProgType.KPROBE, attachType: AttachType.TRACE_KPROBE_SESSION });
    expect(loadAttrs(resolveSection("syscall")!).progFlags).toBe(BPF_F_SLEEPABLE);
    expect(loadAttrs(resolveSection("usdt/lib:prov:name")!).expectedAttachType).toBe(AttachType.TRACE_UPROBE_MULTI);
  });

  it("a leading ? is libbpf's 'do not autoload', not part of the name", () => {
    expect(splitAutoload("?raw_tp")).toEqual({ name: "raw_tp", autoload: false });
    expect(splitAutoload("xdp")).toEqual({ name: "xdp", autoload: true });
    expect(resolveSection("?raw_tp/sys_enter")).toMatchObject({ section: "raw_tp/sys_enter", progType: ProgType.RAW_TRACEPOINT, autoload: false, target: "sys_enter" });
    expect(resolveSection("?xdp")).toMatchObject({ progType: ProgType.XDP, autoload: false });
    expect(resolveSection("xdp")).toMatchObject({ autoload: true });
    expect(resolveSection("??xdp")).toBeUndefined();
  });
});

describe("names libbpf does not know: the closest known section", () => {
  it("names libbpf before 1.0 read by prefix", () => {
    expect(suggestSection("xdp_auth")).toEqual({ section: "xdp", why: "old-libbpf" });
    expect(suggestSection("xdp_prog")).toEqual({ section: "xdp", why: "old-libbpf" });
    expect(suggestSection("socket1")).toEqual({ section: "socket", why: "old-libbpf" });
    expect(suggestSection("classifier/foo")).toEqual({ section: "classifier", why: "old-libbpf" });
    expect(suggestSection("sk_skb/stream_parser/x")).toEqual({ section: "sk_skb/stream_parser", why: "old-libbpf" });
    expect(suggestSection("kprobe__sys_open")).toEqual({ section: "kprobe", why: "old-libbpf" });
  });
  it("the program's context type, then a near spelling", () => {
    expect(suggestSection("my_prog", "xdp_md")).toEqual({ section: "xdp", why: "context" });
    expect(suggestSection("filter", "bpf_sock_ops")).toEqual({ section: "sockops", why: "context" });
    expect(suggestSection("sockex")).toEqual({ section: "socket", why: "spelling" });
    // __sk_buff is every skb type's context: a near spelling says more
    expect(suggestSection("sockex", "__sk_buff")).toEqual({ section: "socket", why: "spelling" });
    expect(suggestSection("ingress_filter", "__sk_buff")).toEqual({ section: "tc", why: "context" });
    expect(suggestSection("xpd")).toEqual({ section: "xdp", why: "spelling" });
    expect(suggestSection("nonsense")).toBeUndefined();
    expect(suggestSection("xdp")).toBeUndefined();
  });
  it("the hint names the section, why, and the --type that chooses it for this program", () => {
    expect(sectionHint("xdp_auth", "xdp_auth_prog")).toBe(
      "did you mean 'xdp'? (libbpf < 1.0 read 'xdp_auth' as 'xdp'; libbpf 1.x refuses it) choose with --type xdp_auth_prog=xdp");
    expect(sectionHint("mine", "f", "xdp_md")).toBe("did you mean 'xdp'? (its context argument is struct xdp_md *) choose with --type f=xdp");
    expect(sectionHint("xpd", "f")).toBe("did you mean 'xdp'? (the closest name libbpf knows) choose with --type f=xdp");
    expect(sectionHint("nonsense", "f")).toMatch(/--type f=TYPE/);
  });
});

// (BPF_F_XDP_HAS_FRAGS has no effect a test run can see; the table test above holds it to libbpf.)
describeKernel("section flags reach BPF_PROG_LOAD", () => {
  it("uprobe.s is loaded sleepable (bpf_copy_from_user is allowed), uprobe is not", async () => {
    const { assemble } = await import("../../src/text/index.js");
    const { attemptProgramLoad } = await import("../../src/kernel/loader.js");
    const { closeFd } = await import("../../src/kernel/sys.js");
    const src = (section: string): string => `.section ${section}\n.license "GPL"\nr1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 148\nr0 = 0\nexit\n`;
    const verdict = (section: string): { ok: boolean; log: string } => {
      const a = attemptProgramLoad(assemble(src(section)), { retryLevel: 1 });
      try { return { ok: a.fd >= 0, log: a.log }; } finally { if (a.fd >= 0) closeFd(a.fd); a.release(); }
    };
    expect(verdict("uprobe.s").ok).toBe(true);
    const plain = verdict("uprobe");
    expect(plain.ok).toBe(false);
    expect(plain.log).toMatch(/might sleep in a non-sleepable prog/);
  });
});
