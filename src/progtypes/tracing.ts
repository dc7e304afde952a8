// Program types bpfkit knows by name and number only (no context layout, no helper list): BTF tracing
// (fentry/fexit/iter), LSM, struct_ops, ... Their context is typed by BTF, which the fact tables do not model.
import { PROG_TYPE_NAMES, ProgType } from "./numbers.js";
import type { ProgTypeInfo } from "./types.js";

function namesOnly(id: number, summary: string, range?: readonly [number, number]): ProgTypeInfo {
  const name = PROG_TYPE_NAMES[id]!;
  return {
    id, name, kernelName: `BPF_PROG_TYPE_${name.toUpperCase()}`, summary, packetAccess: "none", attachTypes: [],
    expectedAttachTypeRequired: false, returnRule: range ? { range } : {}, returnCodes: [],
    testRun: { supported: false, data: "none", ctx: "none" }, helpers: [], namesOnly: true,
  };
}

export const NAMES_ONLY: readonly ProgTypeInfo[] = [
  namesOnly(ProgType.RAW_TRACEPOINT_WRITABLE, "writable raw tracepoint"),
  namesOnly(ProgType.TRACING, "BTF tracing: fentry/fexit/fmod_ret/tp_btf/iter"),
  namesOnly(ProgType.LSM, "BPF LSM hook"),
  namesOnly(ProgType.STRUCT_OPS, "struct_ops implementation"),
  namesOnly(ProgType.EXT, "freplace extension"), namesOnly(ProgType.SYSCALL, "syscall program (BPF_PROG_RUN from user space)"),
  namesOnly(ProgType.NETFILTER, "netfilter hook", [0, 1]),
];
