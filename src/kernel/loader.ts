// Loading Programs into the kernel: their maps (or shared ones), map references patched to fds, BTF with
// func/line info, a load without a log first and, on failure, again with a log so the error carries the
// verifier's words (and the C source line when line info is present).
import { BpfkitError, diag, type Diagnostic } from "../diagnostics/index.js";
import { encode, type Instruction, OPCODE_LDDW, PSEUDO } from "../isa/index.js";
import type { Program } from "../program/index.js";
import { loadAttrs, progTypeId, progTypeName, resolveSection } from "../progtypes/index.js";
import { btfLoad, mapUpdate, progInfo, progLoadRaw, type ProgLoadAttr } from "./commands.js";
import { ERRNO, KernelError } from "./errors.js";
import { createMap, type KernelMap, u32Key } from "./maps.js";
import { closeFd } from "./sys.js";
import { attachBtfIdOf, attachTargetOf } from "../elf/attach-target.js";
import { BTF_KIND } from "../btf/btf.js";
import { resolveTarget } from "../load/target-node.js";

export interface KernelLoadOptions {
  /**
   * Ask for a log on every load (BPF_LOG_LEVEL bits: 1 decisions, 2 every instruction, 4 statistics).
   * Default 0: a log only on failure.
   */
  logLevel?: number;
  /** Initial log buffer size in bytes (grown when the kernel says ENOSPC). Default 16 MiB. */
  logSize?: number;
  /** Maps to use instead of creating new ones, by map name (shared or pinned maps). */
  maps?: ReadonlyMap<string, KernelMap>;
  /** Override the program type / expected attach type the section says. */
  progType?: number;
  expectedAttachType?: number;
  /** Skip BTF even when the program has it. */
  noBtf?: boolean;
  /**
   * Load with the license exactly as the program has it, even empty (non-GPL), as the verifier emulator
   * judges it. Default: an empty license loads as GPL, for deploys of objects without a license section.
   */
  licenseAsWritten?: boolean;
}

export interface LoadedKernelProgram {
  name: string;
  fd: number;
  id: number;
  tag: string;
  progType: number;
  expectedAttachType: number;
  /** The verifier log (empty when the load succeeded without asking for one). */
  log: string;
  /** Wall time of the successful BPF_PROG_LOAD call. */
  verificationTimeNs?: number;
  /** The program's maps, in Program.maps order. */
  maps: KernelMap[];
  /** Things that did not stop the load (BTF refused, ...). */
  warnings: string[];
  /** Close the program fd and the maps this load created (not the ones passed in). */
  close(): void;
}

/** Program type and expected attach type of a Program, from its section (or the overrides). */
export function programKind(program: Program, options: Pick<KernelLoadOptions, "progType" | "expectedAttachType"> = {}): { progType: number; expectedAttachType: number; progFlags: number } {
  const resolved = resolveSection(program.section);
  const progType = options.progType ?? resolved?.progType ?? progTypeId(program.section);
  if (progType === undefined) throw new BpfkitError(diag("BK7005", { name: program.name, section: program.section || "(none)" }, {}, "give the program type with --type (e.g. xdp, tc, socket, sockops, sk_msg)"), 2);
  // libbpf passes the section's expected attach type and flags (sleepable, XDP frags) at every load.
  const attrs = resolved ? loadAttrs(resolved) : { expectedAttachType: 0, progFlags: 0 };
  // struct_ops: the implemented member's index in the kernel struct (libbpf's bpf_map__init_kern_struct_ops)
  const expected = options.expectedAttachType ?? (progType === 27 ? program.structOps?.memberIndex : undefined) ?? attrs.expectedAttachType;
  return { progType, expectedAttachType: expected, progFlags: attrs.progFlags };
}

/** Replace map indexes in lddw (src=1 map fd, src=2 map value) by the maps' fds. */
export function patchMapReferences(program: Program, fds: readonly number[]): Instruction[] {
  return program.insns.map((i) => {
    if (i.opcode !== OPCODE_LDDW || (i.src !== PSEUDO.MAP_FD && i.src !== PSEUDO.MAP_VALUE)) return i;
    const imm64 = i.imm64 ?? BigInt(i.imm >>> 0);
    const index = Number(imm64 & 0xffffffffn);
    const fd = fds[index];
    if (fd === undefined) throw new BpfkitError(diag("BK7006", { index, name: program.name, count: fds.length }), 1);
    const patched = (imm64 & 0xffffffff00000000n) | BigInt(fd);
    return { ...i, imm: fd, imm64: patched };
  });
}

/** Largest log buffer asked of the kernel: its text must still fit in one JavaScript string (~512 MiB). */
const MAX_LOG_SIZE = 256 << 20;

// One log buffer for the whole process: the verifier recorder loads thousands of programs.
let sharedLog: Uint8Array | undefined;
/** A reusable log buffer of at least `size` bytes. */
export function logBuffer(size = 16 << 20): Uint8Array {
  if (!sharedLog || sharedLog.length < size) sharedLog = new Uint8Array(size);
  return sharedLog;
}

/**
 * BPF_PROG_LOAD with the log policy: no log first (fast; a log level > 0 can change nothing but costs),
 * and on failure again with `retryLevel`, growing the buffer while the kernel answers ENOSPC.
 * Returns the kernel's result; never throws for a rejection.
 */
export function loadWithLog(attr: ProgLoadAttr, options: { logLevel?: number; logSize?: number; retryLevel?: number } = {}): ReturnType<typeof progLoadRaw> & { timeNs: number } {
  let size = options.logSize ?? 16 << 20;
  let level = options.logLevel ?? 0;
  for (;;) {
    const t0 = process.hrtime.bigint();
    const r = progLoadRaw(level > 0 ? { ...attr, logLevel: level, logBuf: logBuffer(size).subarray(0, size) } : { ...attr, logLevel: 0 });
    const timeNs = Number(process.hrtime.bigint() - t0);
    if (r.fd >= 0 || r.errno === ERRNO.EPERM) return { ...r, timeNs };
    if (r.errno === ERRNO.ENOSPC && level > 0) {
      if (size < MAX_LOG_SIZE) {
        // The log did not fit: the load may even have been fine. Grow and try again.
        size = Math.min(Math.max(size * 2, r.logTrueSize + 1), MAX_LOG_SIZE);
        continue;
      }
      // A level-2 log of a program near the 1M-instruction limit can exceed what a string can hold: keep
      // the truncated log, and take the verdict from a load without a log (a full log buffer alone makes
      // the kernel answer ENOSPC, whatever its verdict).
      const verdict = progLoadRaw({ ...attr, logLevel: 0 });
      return { ...verdict, log: `${r.log}\n[log truncated at ${MAX_LOG_SIZE} bytes: the kernel's log is ${r.logTrueSize} bytes]`, logTrueSize: r.logTrueSize, timeNs };
    }
    if (level === 0) {
      level = options.retryLevel ?? 1;
      continue;
    }
    return { ...r, timeNs };
  }
}

/** What a verifier log says went wrong: the error line, the pc and the source line before it. */
export function explainVerifierLog(log: string): { reason: string; pc?: number; file?: string; line?: number; source?: string } {
  const lines = log.split("\n").map((l) => l.trimEnd()).filter((l) => l.length);
  const stat = /^(processed \d+ insns|verification time|stack depth|mark_precise|func#)/;
  let end = lines.length - 1;
  while (end >= 0 && stat.test(lines[end]!)) end--;
  let reason = end >= 0 ? lines[end]! : "no log";
  // Some errors take two lines ("invalid access to packet, off=20 size=1, R1(...)" then "R1 offset is
  // outside of the packet"): keep the first too when it is a message, not an instruction or state line.
  const prev = end > 0 ? lines[end - 1]! : undefined;
  if (prev !== undefined && !/^(\d+:|;|from \d+ to|last_idx|regs=|parent|frame|mark_precise|Validating|Func#|func#|\s)/.test(prev) && !stat.test(prev)) {
    reason = `${prev}: ${reason}`;
  }
  const out: ReturnType<typeof explainVerifierLog> = { reason };
  for (let i = end; i >= 0; i--) {
    const m = /^(\d+): \(/.exec(lines[i]!);
    if (m && out.pc === undefined) out.pc = Number(m[1]);
    const s = /^; (.*) @ (.+):(\d+)$/.exec(lines[i]!);
    if (s) {
      out.source = s[1]!;
      out.file = s[2]!;
      out.line = Number(s[3]);
      break;
    }
    if (out.pc !== undefined && i < end - 40) break;
  }
  return out;
}

/** The BpfkitError for a rejected load: the verifier's reason (with its source line) and the errno. */
export function rejection(program: Program, errno: number, log: string): KernelError {
  const why = explainVerifierLog(log);
  const where: Record<string, number | string> = {};
  if (why.pc !== undefined) where.pc = why.pc;
  const src = why.file !== undefined ? { file: why.file, line: why.line! } : sourceOf(program, why.pc);
  const d: Diagnostic = diag("BK7003", { name: program.name, reason: why.reason }, { ...where, ...src },
    why.source !== undefined ? `at: ${why.source}` : "run with a log (bpfkit verify, or deploy --log) to see the whole verifier log");
  const rejected = errno === ERRNO.EACCES || errno === ERRNO.EINVAL;
  return new KernelError("BPF_PROG_LOAD", errno, { log, diagnostics: rejected ? [d] : [], exitCode: rejected ? 1 : 2 });
}

function sourceOf(program: Program, pc: number | undefined): { file?: string; line?: number } {
  if (pc === undefined || !program.lines?.length) return {};
  let best: { file: string; line: number } | undefined;
  for (const l of program.lines) if (l.pc <= pc) best = { file: l.file, line: l.line };
  return best ?? {};
}

/**
 * Map indexes in raw bytecode's lddw (src=1 map fd, src=2 map value) replaced by fds, reading slot by slot
 * as the kernel does (an lddw takes the next slot with it). Indexes without a map are left for the kernel
 * to judge: raw bytecode is loaded to get the kernel's verdict on exactly those bytes.
 */
export function patchMapReferencesInBytecode(bytes: Uint8Array, fds: readonly number[]): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let k = 0; k + 8 <= out.length; k += 8) {
    if (out[k] !== OPCODE_LDDW) continue;
    const src = out[k + 1]! >> 4;
    const fd = fds[v.getInt32(k + 4, true)];
    if ((src === PSEUDO.MAP_FD || src === PSEUDO.MAP_VALUE) && fd !== undefined) v.setInt32(k + 4, fd, true);
    k += 8;
  }
  return out;
}

/** What one BPF_PROG_LOAD of a Program said; the caller owns `fd` (when >= 0) and must `release()` the maps. */
export interface ProgramLoadAttempt {
  progType: number;
  expectedAttachType: number;
  /** The program's fd, or -1 when the kernel refused it. */
  fd: number;
  errno: number;
  log: string;
  timeNs: number;
  /** The program's maps, in Program.maps order. */
  maps: KernelMap[];
  warnings: string[];
  /** Close the maps this load created (not the ones passed in). */
  release(): void;
}

/**
 * attach_btf_id for BTF-attached programs (tp_btf, fentry/fexit, lsm, iter, struct_ops): the one the ELF loader found
 * in the BTF the program was loaded against (for a deploy, the running kernel's), else looked up in the
 * running kernel's own (programs from bundles or assembly).
 */
function attachBtfIdFor(program: Program): number {
  // struct_ops: the kernel struct the ELF loader bound the program to (src/elf/struct-ops.ts)
  // (a copy of the Program made by spreading it has lost the non-enumerable id: the struct is found by name)
  if (program.structOps) return program.attachBtfId ?? resolveTarget({ forKernel: true }).btf().findByNameKind(program.structOps.struct, BTF_KIND.STRUCT);
  if (!attachTargetOf(program.section)) return 0;
  return program.attachBtfId ?? attachBtfIdOf(program.section, resolveTarget({ forKernel: true }).btf());
}

/**
 * The one way bpfkit hands a Program to the kernel, as libbpf would: the object's BTF (with func and line
 * info, so global functions and bpf_loop callbacks verify and the log carries `; source @ file:line`),
 * maps created with their BTF key/value types and initial contents (`.rodata` frozen), map references
 * patched to fds. Never throws for a rejection: `fd` is -1 and `log` says why (`retryLevel`, default 1,
 * is the log level of the retry when `logLevel` is 0). Throws only when a map cannot be created.
 */
export function attemptProgramLoad(program: Program, options: KernelLoadOptions & { retryLevel?: number } = {}): ProgramLoadAttempt {
  const created: KernelMap[] = [];
  let btfFd = -1;
  const warnings: string[] = [];
  const release = (): void => { for (const m of created.splice(0)) closeFd(m.fd); };
  try {
    const kind = programKind(program, options);
    if (program.btf && !options.noBtf) {
      try {
        btfFd = btfLoad(program.btf.raw);
      } catch (err) {
        if (!(err instanceof KernelError)) throw err;
        warnings.push(`BTF refused by the kernel (${err.errnoName}); loading without BTF, func and line info`);
      }
    }
    const maps = program.maps.map((spec) => {
      const shared = options.maps?.get(spec.name);
      if (shared) return shared;
      const m = createMap(spec, btfFd > 0 ? { btfFd } : {});
      created.push(m);
      if (m.btfRefused) warnings.push(`map '${m.name}': ${m.btfRefused}`);
      return m;
    });
    const fds = maps.map((m) => m.fd);
    const insns = program.bytecode ? patchMapReferencesInBytecode(program.bytecode, fds) : encode(patchMapReferences(program, fds));
    const attr: ProgLoadAttr = {
      progType: kind.progType, insns, license: options.licenseAsWritten ? program.license : program.license || "GPL", name: program.name,
      expectedAttachType: kind.expectedAttachType, progFlags: kind.progFlags,
    };
    const attachBtfId = attachBtfIdFor(program);
    if (attachBtfId > 0) attr.attachBtfId = attachBtfId;
    else if (attachBtfId < 0) warnings.push(`the kernel's BTF has no ${attachTargetOf(program.section)!.name} to attach '${program.section}' to`);
    if (btfFd > 0 && program.btf) {
      attr.btfFd = btfFd;
      if (program.btf.funcInfo) { attr.funcInfo = program.btf.funcInfo; attr.funcInfoRecSize = program.btf.funcInfoRecSize ?? 8; }
      if (program.btf.lineInfo) { attr.lineInfo = program.btf.lineInfo; attr.lineInfoRecSize = program.btf.lineInfoRecSize ?? 16; }
    }
    const r = loadWithLog(attr, {
      logLevel: options.logLevel ?? 0, ...(options.logSize ? { logSize: options.logSize } : {}),
      ...(options.retryLevel !== undefined ? { retryLevel: options.retryLevel } : {}),
    });
    return { progType: kind.progType, expectedAttachType: kind.expectedAttachType, fd: r.fd, errno: r.errno, log: r.log, timeNs: r.timeNs, maps, warnings, release };
  } catch (err) {
    release();
    throw err;
  } finally {
    if (btfFd > 0) closeFd(btfFd);
  }
}

/** Load one program (and the maps it needs, unless `options.maps` supplies them) into the kernel. */
export function loadProgramIntoKernel(program: Program, options: KernelLoadOptions = {}): LoadedKernelProgram {
  const a = attemptProgramLoad(program, options);
  try {
    if (a.fd < 0) throw rejection(program, a.errno, a.log);
    const info = progInfo(a.fd);
    const fd = a.fd;
    let closed = false;
    return {
      name: program.name, fd, id: info.id, tag: info.tag, progType: a.progType, expectedAttachType: a.expectedAttachType,
      log: a.log, verificationTimeNs: a.timeNs, maps: a.maps, warnings: a.warnings,
      close() {
        if (closed) return;
        closed = true;
        closeFd(fd);
        a.release();
      },
    };
  } catch (err) {
    if (a.fd >= 0) closeFd(a.fd);
    a.release();
    throw err;
  }
}

export interface LoadedKernelObject {
  programs: LoadedKernelProgram[];
  /** Every map of the object by name (shared by its programs). */
  maps: Map<string, KernelMap>;
  close(): void;
}

/**
 * Load several programs of one object sharing their maps by name (the way libbpf loads an ELF object),
 * then fill prog_array and map-in-map slots (`MapSpec.initialSlots`). On failure nothing is left open.
 */
export function loadObjectIntoKernel(programs: readonly Program[], options: KernelLoadOptions = {}): LoadedKernelObject {
  const maps = new Map<string, KernelMap>(options.maps ?? []);
  const ownMaps: KernelMap[] = [];
  const loaded: LoadedKernelProgram[] = [];
  const closeAll = (): void => {
    for (const p of loaded) p.close();
    for (const m of ownMaps) closeFd(m.fd);
  };
  try {
    // Create every map once, with the BTF of the first program that has one.
    const btfProgram = programs.find((p) => p.btf);
    let btfFd = -1;
    try {
      if (btfProgram?.btf && !options.noBtf) btfFd = btfLoad(btfProgram.btf.raw);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
    }
    try {
      for (const p of programs) for (const spec of p.maps) {
        if (maps.has(spec.name)) continue;
        const m = createMap(spec, btfFd > 0 ? { btfFd } : {});
        ownMaps.push(m);
        maps.set(spec.name, m);
      }
    } finally {
      if (btfFd > 0) closeFd(btfFd);
    }
    for (const p of programs) loaded.push(loadProgramIntoKernel(p, { ...options, maps }));
    fillSlots(maps, loaded);
    return { programs: loaded, maps, close: closeAll };
  } catch (err) {
    closeAll();
    throw err;
  }
}

/** prog_array slots get program fds, array_of_maps / hash_of_maps slots get map fds. */
function fillSlots(maps: ReadonlyMap<string, KernelMap>, programs: readonly LoadedKernelProgram[]): void {
  for (const m of maps.values()) {
    for (const slot of m.spec.initialSlots ?? []) {
      const isProgArray = m.spec.type === "prog_array";
      const target = isProgArray ? programs.find((p) => p.name === slot.target)?.fd : maps.get(slot.target)?.fd;
      if (target === undefined) throw new BpfkitError(diag("BK7015", { map: m.name, index: slot.index, target: slot.target, kind: isProgArray ? "program" : "map" }), 2);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, target, true);
      mapUpdate(m.fd, u32Key(slot.index), value);
    }
  }
}

/** "xdp" for a program type number, for messages. */
export const progTypeLabel = (t: number): string => progTypeName(t) ?? `type ${t}`;
