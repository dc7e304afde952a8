// The target BTF (5 MB for a vmlinux) is opened only for a program that needs it: a plain socket filter
// verified with a target at hand must not read it (start-up time of `verify`, issue #15 item 9).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.js";
import { verifyProgram } from "../../src/verifier/verifier.js";
import { bundledTarget } from "../../src/load/node.js";
import { ProgType } from "../../src/progtypes/index.js";

describe("target BTF is opened on demand", () => {
  it("not for a program without kfuncs, typed ksyms or BTF-attached sections", () => {
    const p = loadObject(new Uint8Array(readFileSync("bpf/socket_filter.bpf.o")), { file: "socket_filter.bpf.o" }).programs[0]!;
    let opened = 0;
    const target = bundledTarget();
    const res = verifyProgram(p, { progType: ProgType.SOCKET_FILTER, targetBtf: () => { opened++; return target.btf(); } });
    expect(res.verdict).toBe("accept");
    expect(opened).toBe(0);
  });
  it("but for a typed .ksyms load (check_pseudo_btf_id), once", () => {
    const bytes = new Uint8Array(readFileSync("test/fixtures/verifier/kfuncs/ksym.bpf.o"));
    const target = bundledTarget();
    const obj = loadObject(bytes, { file: "ksym.bpf.o", target });
    const p = obj.programs.find((x) => x.section.startsWith("raw_tp") && x.insns.some((i) => i.opcode === 0x18 && i.src === 3))!;
    expect(p).toBeDefined();
    let opened = 0;
    verifyProgram(p, { progType: ProgType.RAW_TRACEPOINT, targetBtf: () => { opened++; return target.btf(); } });
    expect(opened).toBe(1);
  });
});
