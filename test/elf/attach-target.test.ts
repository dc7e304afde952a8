// The attach target of BTF-attached sections, from the one section table (libbpf's find_kernel_btf_id).
import { describe, expect, it } from "vitest";
import { attachBtfIdOf, attachTargetOf } from "../../src/elf/attach-target.js";
import { BTF_KIND } from "../../src/btf/btf.js";
import { bundledTarget } from "../../src/load/node.js";

describe("attach target of a section", () => {
  it("names what libbpf looks up, by attach type", () => {
    expect(attachTargetOf("tp_btf/xdp_redirect")).toEqual({ kind: BTF_KIND.TYPEDEF, name: "btf_trace_xdp_redirect" });
    expect(attachTargetOf("?tp_btf/xdp_redirect")).toEqual({ kind: BTF_KIND.TYPEDEF, name: "btf_trace_xdp_redirect" });
    expect(attachTargetOf("fentry.s/do_unlinkat")).toEqual({ kind: BTF_KIND.FUNC, name: "do_unlinkat" });
    expect(attachTargetOf("fmod_ret/security_task_alloc")).toEqual({ kind: BTF_KIND.FUNC, name: "security_task_alloc" });
    expect(attachTargetOf("lsm.s/file_open")).toEqual({ kind: BTF_KIND.FUNC, name: "bpf_lsm_file_open" });
    expect(attachTargetOf("lsm_cgroup/socket_bind")).toEqual({ kind: BTF_KIND.FUNC, name: "bpf_lsm_socket_bind" });
    expect(attachTargetOf("iter/task")).toEqual({ kind: BTF_KIND.FUNC, name: "bpf_iter_task" });
  });
  it("is undefined for sections that attach otherwise or name no target", () => {
    for (const s of ["kprobe/do_sys_open", "xdp", "tp_btf", "freplace/f", "struct_ops/x", "raw_tp/sys_enter", "nonsense/x"]) {
      expect(attachTargetOf(s), s).toBeUndefined();
    }
  });
  it("finds the id in a kernel BTF, -1 when the kernel lacks it", () => {
    const btf = bundledTarget().btf();
    const id = attachBtfIdOf("tp_btf/xdp_redirect", btf);
    expect(id).toBeGreaterThan(0);
    expect(btf.type(id)?.name).toBe("btf_trace_xdp_redirect");
    expect(attachBtfIdOf("fentry/no_such_function_in_any_kernel", btf)).toBe(-1);
    expect(attachBtfIdOf("xdp", btf)).toBe(0);
  });
});

describe("loadObject gives BTF-attached programs their target", () => {
  it("xdp-tools' tp_btf programs carry the target BTF and the id of their btf_trace_ typedef", async () => {
    const { readFileSync } = await import("node:fs");
    const { loadObject } = await import("../../src/elf/index.js");
    const target = bundledTarget();
    const obj = loadObject(new Uint8Array(readFileSync("test/fixtures/real/xdp-tools/xdp_basic.bpf.o")), { file: "xdp_basic.bpf.o", target });
    const tp = obj.programs.find((p) => p.section === "tp_btf/xdp_redirect")!;
    expect(tp).toBeDefined();
    expect(tp.targetBtf).toBeDefined();
    expect(tp.targetBtf!.type(tp.attachBtfId!)?.name).toBe("btf_trace_xdp_redirect");
    const xdp = obj.programs.find((p) => p.section === "xdp");
    expect(xdp?.attachBtfId).toBeUndefined();
  });
});
