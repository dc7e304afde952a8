// Records of programs loaded through libbpf by scripts/verifier-selftests/libbpf-load.c (what
// BPF_PROG_LOAD received: type, attach BTF id, flags, final instructions with map indexes, maps, object
// BTF, func info; and the kernel's verdict and log), turned into what the emulator takes. Used by the
// focused kfunc fixtures (test/verifier/kfunc-programs.test.ts) and scripts/verifier-selftests/agree.ts.
import { readFileSync } from "node:fs";
import type { Btf } from "../../src/btf/index.js";
import { mapTypeById } from "../../src/maps/types.js";
import type { MapSpec, Program } from "../../src/program/program.js";
import type { RawInsn } from "../../src/verifier/cfg.js";
import { errorOfLog } from "../../src/verifier/kernel-log.js";
import { type VerifyOptions, withBtfOptions } from "../../src/verifier/verifier.js";

export interface LibbpfRecord {
  object: string; index: number; name: string; section?: string; loadErr?: number; openError?: number;
  progType?: number; expectedAttachType?: number; attachBtfId?: number; attachBtfObjFd?: number; progFlags?: number; ifindex?: number;
  license?: string; insns?: string; maps?: { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; flags: number;
    extra: number; btfKey: number; btfValue: number; btfVmlinuxValue: number; frozen: number; inner?: number; init?: string }[];
  funcInfoRecSize?: number; funcInfo?: string; lineInfoRecSize?: number; lineInfo?: string; btf?: string; ret?: number; log?: string; libbpf: string;
}

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

export function slotsOf(hex: string): RawInsn[] {
  const b = bytes(hex);
  const dv = new DataView(b.buffer);
  const out: RawInsn[] = [];
  for (let i = 0; i + 8 <= b.length; i += 8) out.push({ code: b[i]!, dst: b[i + 1]! & 0xf, src: b[i + 1]! >> 4, off: dv.getInt16(i + 2, true), imm: dv.getInt32(i + 4, true) });
  return out;
}

export function mapsOf(r: LibbpfRecord): MapSpec[] {
  const specs: MapSpec[] = (r.maps ?? []).map((m) => {
    const s: MapSpec = { name: m.name, type: mapTypeById(m.type)?.name ?? `type${m.type}`, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
    if (m.extra) s.extra = m.extra;
    if (m.btfKey) s.btfKeyTypeId = m.btfKey;
    if (m.btfValue) s.btfValueTypeId = m.btfValue;
    if (m.init) s.initialValue = bytes(m.init);
    if (m.frozen) s.readOnly = true;
    return s;
  });
  (r.maps ?? []).forEach((m, i) => { if (m.inner !== undefined && m.inner >= 0) specs[i]!.inner = specs[m.inner]!; });
  return specs;
}

/** The raw slots, maps and options to verify a recorded program with, against `targetBtf`. */
export function optionsOf(r: LibbpfRecord, targetBtf: Btf | undefined): { slots: RawInsn[]; maps: MapSpec[]; license: string; opts: VerifyOptions } {
  const maps = mapsOf(r);
  const prog: Program = { name: r.name, section: r.section ?? "", insns: [], maps, license: r.license ?? "" };
  if (r.btf) {
    prog.btf = { raw: bytes(r.btf) };
    if (r.funcInfo) { prog.btf.funcInfo = bytes(r.funcInfo); prog.btf.funcInfoRecSize = r.funcInfoRecSize ?? 8; }
  }
  const opts: VerifyOptions = { progType: r.progType!, hasFuncInfo: !!r.funcInfo, timeoutMs: 30_000 };
  if (r.expectedAttachType) opts.attachType = r.expectedAttachType;
  if (targetBtf) opts.targetBtf = targetBtf;
  if (r.attachBtfId) opts.attachBtfId = r.attachBtfId;
  if (r.progFlags) opts.progFlags = r.progFlags;
  if (r.ifindex) opts.devBound = true;
  return { slots: slotsOf(r.insns ?? ""), maps, license: r.license ?? "", opts: withBtfOptions(prog, opts) };
}

/** The kernel's verdict on a record: accept/reject, its first error line, processed count; undefined when it never reached the verifier. */
export function kernelOf(r: LibbpfRecord): { verdict: "accept" | "reject"; error?: string; processed?: number } | undefined {
  // no log: the kernel refused the load before its verifier ran (EPERM for trampolines on this machine,
  // EOPNOTSUPP for a device it cannot bind to, ...); EPERM after "processed 0 insns": an attach check refused it
  if (r.ret === undefined || !r.insns || (r.ret < 0 && !r.log) || (r.ret === -1 && /processed 0 insns/.test(r.log ?? ""))) return undefined;
  const out: { verdict: "accept" | "reject"; error?: string; processed?: number } = { verdict: r.ret >= 0 ? "accept" : "reject" };
  const e = errorOfLog(r.log ?? "");
  if (out.verdict === "reject") out.error = e?.first ?? `(errno ${r.ret})`;
  const pm = /processed (\d+) insns/.exec(r.log ?? "");
  if (pm) out.processed = Number(pm[1]);
  return out;
}

export function readRecords(file: string): LibbpfRecord[] {
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as LibbpfRecord);
}
