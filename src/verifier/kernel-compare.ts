// The kernel's own verdict for a program, for `verify --compare-kernel`, the corpus recorder and the
// live differential test: maps created fresh, lddw map indexes patched to their fds, loaded with a log.
import { mapCreate, progLoadRaw } from "../kernel/commands.js";
import { closeFd } from "../kernel/index.js";
import { programKind } from "../kernel/loader.js";
import { mapTypeByName } from "../maps/types.js";
import type { MapSpec } from "../program/program.js";
import type { RawInsn } from "./cfg.js";
import { slotsToHex } from "./gen.js";
import { errorOfLog } from "./kernel-log.js";

export interface KernelVerdict {
  verdict: "accept" | "reject";
  errno: number;
  /** First line of the kernel's error message. */
  error?: string;
  errorLines?: string[];
  log: string;
  /** Wall time of the BPF_PROG_LOAD call. */
  timeNs: number;
  /** The kernel's "verification time N usec" (BPF_LOG_STATS), when asked for. */
  verificationUsec?: number;
}

let logBuf: Uint8Array | undefined;

/** Load raw slots into the kernel with fresh maps; `type` is a libbpf section name. Needs root. */
export function kernelVerify(type: string, insns: RawInsn[], maps: MapSpec[], license: string, logLevel = 1, progType?: number): KernelVerdict {
  logBuf ??= new Uint8Array(4 << 20);
  const fds: number[] = [];
  try {
    for (const m of maps) {
      const t = mapTypeByName(m.type);
      fds.push(mapCreate({ mapType: t?.id ?? 0, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name }));
    }
    const patched = insns.map((i, k) => {
      const prev = insns[k - 1];
      if (i.code === 0x18 && (i.src === 1 || i.src === 2) && prev?.code !== 0x18 && fds[i.imm] !== undefined) return { ...i, imm: fds[i.imm]! };
      return i;
    });
    const hex = slotsToHex(patched);
    const bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
    const kind = programKind({ name: "p", section: type, insns: [], maps: [], license }, progType !== undefined ? { progType } : {});
    const t0 = process.hrtime.bigint();
    const r = progLoadRaw({ progType: kind.progType, expectedAttachType: kind.expectedAttachType, progFlags: kind.progFlags, insns: bytes, license, logLevel, logBuf });
    const timeNs = Number(process.hrtime.bigint() - t0);
    if (r.fd >= 0) closeFd(r.fd);
    const out: KernelVerdict = { verdict: r.fd >= 0 ? "accept" : "reject", errno: r.errno, log: r.log, timeNs };
    const m = /verification time (\d+) usec/.exec(r.log);
    if (m) out.verificationUsec = Number(m[1]);
    if (r.fd < 0) {
      const e = errorOfLog(r.log);
      if (e) { out.error = e.first; out.errorLines = e.lines; }
      else out.error = `(no log, errno ${r.errno})`;
    }
    return out;
  } finally {
    for (const fd of fds) closeFd(fd);
  }
}
