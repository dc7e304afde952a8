// One typed function per bpf(2) command. Each fills a zeroed bpf_attr at the offsets of
// include/uapi/linux/bpf.h (checked in /work/shared/reference/kernel-abi.md) and calls bpf().
// The attr buffer is shared (calls are synchronous); buffers whose addresses go into it are held in
// `held` until the call returns so the garbage collector cannot move or free them mid-call.
import { KernelError, ERRNO } from "./errors.js";
import { addressOf, bpf, bpfRaw } from "./sys.js";
import { BPF_ANY, BPF_OBJ_NAME_LEN, Cmd } from "./numbers.js";

/** sizeof(union bpf_attr) in the 6.x headers; the kernel accepts a larger size when the tail is zero. */
export const ATTR_SIZE = 168;
const attrBuf = new Uint8Array(ATTR_SIZE);
const attrView = new DataView(attrBuf.buffer);
let held: (Uint8Array | null)[] = [];

function fresh(): DataView {
  attrBuf.fill(0);
  held = [];
  return attrView;
}
const u32 = (v: DataView, off: number, value: number): void => v.setUint32(off, value >>> 0, true);
const u64 = (v: DataView, off: number, value: bigint): void => v.setBigUint64(off, value, true);
function ptr(v: DataView, off: number, buf: Uint8Array | null | undefined): void {
  if (!buf) return;
  held.push(buf);
  u64(v, off, addressOf(buf));
}
function name16(off: number, name: string | undefined): void {
  if (!name) return;
  // The kernel accepts only [A-Za-z0-9_.] in object names, at most 15 bytes plus NUL.
  const clean = name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, BPF_OBJ_NAME_LEN - 1);
  attrBuf.set(new TextEncoder().encode(clean), off);
}
function call(cmd: number, command: string): number {
  try {
    return bpf(cmd, attrBuf, command);
  } finally {
    held = [];
  }
}
function callRaw(cmd: number): number {
  try {
    return bpfRaw(cmd, attrBuf);
  } finally {
    held = [];
  }
}
const cString = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

// ---- maps ---------------------------------------------------------------------------------------

export interface MapCreateAttr {
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  innerMapFd?: number;
  name?: string;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** struct_ops maps: the kernel's `struct bpf_struct_ops_<name>` in vmlinux BTF. */
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint;
}

/** BPF_MAP_CREATE: returns the new map's fd. */
export function mapCreate(a: MapCreateAttr): number {
  const v = fresh();
  u32(v, 0, a.mapType);
  u32(v, 4, a.keySize);
  u32(v, 8, a.valueSize);
  u32(v, 12, a.maxEntries);
  u32(v, 16, a.flags ?? 0);
  u32(v, 20, a.innerMapFd ?? 0);
  name16(28, a.name);
  if (a.btfFd !== undefined && a.btfFd > 0) {
    u32(v, 48, a.btfFd);
    u32(v, 52, a.btfKeyTypeId ?? 0);
    u32(v, 56, a.btfValueTypeId ?? 0);
  }
  if (a.btfVmlinuxValueTypeId) u32(v, 60, a.btfVmlinuxValueTypeId);
  u64(v, 64, a.mapExtra ?? 0n);
  return call(Cmd.MAP_CREATE, "BPF_MAP_CREATE");
}

function elem(fd: number, key: Uint8Array | null, value: Uint8Array | null, flags: number): void {
  const v = fresh();
  u32(v, 0, fd);
  ptr(v, 8, key);
  ptr(v, 16, value);
  u64(v, 24, BigInt(flags));
}

/** BPF_MAP_LOOKUP_ELEM into `value`; false when the key is absent (ENOENT). */
export function mapLookup(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): boolean {
  elem(fd, key, value, flags);
  const r = callRaw(Cmd.MAP_LOOKUP_ELEM);
  if (r === -ERRNO.ENOENT) return false;
  if (r < 0) throw new KernelError("BPF_MAP_LOOKUP_ELEM", -r);
  return true;
}

/** BPF_MAP_UPDATE_ELEM (flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
export function mapUpdate(fd: number, key: Uint8Array | null, value: Uint8Array, flags = BPF_ANY): void {
  elem(fd, key, value, flags);
  call(Cmd.MAP_UPDATE_ELEM, "BPF_MAP_UPDATE_ELEM");
}

/** BPF_MAP_DELETE_ELEM; false when the key was absent. */
export function mapDelete(fd: number, key: Uint8Array): boolean {
  elem(fd, key, null, 0);
  const r = callRaw(Cmd.MAP_DELETE_ELEM);
  if (r === -ERRNO.ENOENT) return false;
  if (r < 0) throw new KernelError("BPF_MAP_DELETE_ELEM", -r);
  return true;
}

/** BPF_MAP_GET_NEXT_KEY: writes the key after `key` (the first key when null) into `next`; false at the end. */
export function mapGetNextKey(fd: number, key: Uint8Array | null, next: Uint8Array): boolean {
  elem(fd, key, next, 0);
  const r = callRaw(Cmd.MAP_GET_NEXT_KEY);
  if (r === -ERRNO.ENOENT) return false;
  if (r < 0) throw new KernelError("BPF_MAP_GET_NEXT_KEY", -r);
  return true;
}

/** BPF_MAP_FREEZE: no more writes from user space (`.rodata`). */
export function mapFreeze(fd: number): void {
  const v = fresh();
  u32(v, 0, fd);
  call(Cmd.MAP_FREEZE, "BPF_MAP_FREEZE");
}

// ---- BTF ----------------------------------------------------------------------------------------

/** BPF_BTF_LOAD. On failure, loads again with a log and throws a KernelError carrying it. */
export function btfLoad(raw: Uint8Array, logLevel = 0, logBuf?: Uint8Array): number {
  const load = (level: number, log?: Uint8Array): number => {
    const v = fresh();
    ptr(v, 0, raw);
    u32(v, 16, raw.length);
    if (level > 0 && log) {
      ptr(v, 8, log);
      u32(v, 20, log.length);
      u32(v, 24, level);
    }
    return callRaw(Cmd.BTF_LOAD);
  };
  const fd = load(logLevel, logBuf);
  if (fd >= 0) return fd;
  const log = new Uint8Array(1 << 20);
  load(1, log);
  throw new KernelError("BPF_BTF_LOAD", -fd, { log: cText(log) });
}

// ---- programs -----------------------------------------------------------------------------------

export interface ProgLoadAttr {
  progType: number;
  /** Encoded instructions (8 bytes per slot). */
  insns: Uint8Array;
  license: string;
  name?: string;
  expectedAttachType?: number;
  progFlags?: number;
  kernVersion?: number;
  ifindex?: number;
  /** 0: no log; 1: the verifier's decisions on failure; 2: every instruction (plus stats). */
  logLevel?: number;
  /** Log buffer (required when logLevel > 0; reuse one across loads). */
  logBuf?: Uint8Array;
  btfFd?: number;
  funcInfo?: Uint8Array;
  funcInfoRecSize?: number;
  lineInfo?: Uint8Array;
  lineInfoRecSize?: number;
  /** Kernel BTF id of the attach target (tracing, LSM, iterators). */
  attachBtfId?: number;
}

export interface ProgLoadResult {
  /** The program's fd, or -1 when the load failed. */
  fd: number;
  /** 0 on success. */
  errno: number;
  /** The verifier log text (empty without a log buffer). */
  log: string;
  /** Bytes the full log needs (log_true_size), including the NUL. */
  logTrueSize: number;
}

/** BPF_PROG_LOAD without throwing: for callers that expect rejections (the verifier recorder). */
export function progLoadRaw(a: ProgLoadAttr): ProgLoadResult {
  const v = fresh();
  u32(v, 0, a.progType);
  u32(v, 4, a.insns.length / 8);
  ptr(v, 8, a.insns);
  ptr(v, 16, cString(a.license));
  const logBuf = a.logLevel && a.logLevel > 0 ? a.logBuf : undefined;
  if (logBuf) {
    logBuf[0] = 0;
    u32(v, 24, a.logLevel!);
    u32(v, 28, logBuf.length);
    ptr(v, 32, logBuf);
  }
  u32(v, 40, a.kernVersion ?? 0);
  u32(v, 44, a.progFlags ?? 0);
  name16(48, a.name);
  u32(v, 64, a.ifindex ?? 0);
  u32(v, 68, a.expectedAttachType ?? 0);
  if (a.btfFd !== undefined && a.btfFd > 0) {
    u32(v, 72, a.btfFd);
    if (a.funcInfo && a.funcInfo.length) {
      u32(v, 76, a.funcInfoRecSize ?? 8);
      ptr(v, 80, a.funcInfo);
      u32(v, 88, a.funcInfo.length / (a.funcInfoRecSize ?? 8));
    }
    if (a.lineInfo && a.lineInfo.length) {
      u32(v, 92, a.lineInfoRecSize ?? 16);
      ptr(v, 96, a.lineInfo);
      u32(v, 104, a.lineInfo.length / (a.lineInfoRecSize ?? 16));
    }
  }
  u32(v, 108, a.attachBtfId ?? 0);
  const r = callRaw(Cmd.PROG_LOAD);
  const logTrueSize = attrView.getUint32(140, true);
  return { fd: r >= 0 ? r : -1, errno: r >= 0 ? 0 : -r, log: logBuf ? cText(logBuf) : "", logTrueSize };
}

/** BPF_PROG_LOAD that throws a KernelError (with the log, when one was asked for). */
export function progLoad(a: ProgLoadAttr): number {
  const r = progLoadRaw(a);
  if (r.fd < 0) throw new KernelError("BPF_PROG_LOAD", r.errno, { log: r.log, exitCode: r.errno === ERRNO.EACCES || r.errno === ERRNO.EINVAL ? 1 : 2 });
  return r.fd;
}

export interface TestRunAttr {
  progFd: number;
  data?: Uint8Array;
  /** Where the kernel writes the resulting packet; its length is data_size_out. */
  dataOut?: Uint8Array;
  ctx?: Uint8Array;
  ctxOut?: Uint8Array;
  repeat?: number;
  flags?: number;
  cpu?: number;
}
export interface TestRunResult {
  retval: number;
  dataSizeOut: number;
  ctxSizeOut: number;
  /** Average ns per run, as the kernel measured it. */
  duration: number;
}

/** BPF_PROG_TEST_RUN (BPF_PROG_RUN). */
export function progTestRun(a: TestRunAttr): TestRunResult {
  const v = fresh();
  u32(v, 0, a.progFd);
  if (a.data) {
    u32(v, 8, a.data.length);
    ptr(v, 16, a.data);
  }
  if (a.dataOut) {
    u32(v, 12, a.dataOut.length);
    ptr(v, 24, a.dataOut);
  }
  u32(v, 32, a.repeat ?? 1);
  if (a.ctx) {
    u32(v, 40, a.ctx.length);
    ptr(v, 48, a.ctx);
  }
  if (a.ctxOut) {
    u32(v, 44, a.ctxOut.length);
    ptr(v, 56, a.ctxOut);
  }
  u32(v, 64, a.flags ?? 0);
  u32(v, 68, a.cpu ?? 0);
  call(Cmd.PROG_TEST_RUN, "BPF_PROG_TEST_RUN");
  return { retval: v.getInt32(4, true), dataSizeOut: v.getUint32(12, true), ctxSizeOut: v.getUint32(44, true), duration: v.getUint32(36, true) };
}

// ---- pinning ------------------------------------------------------------------------------------

/** BPF_OBJ_PIN: make `fd` (map, program or link) outlive this process at `path` in bpffs. */
export function objPin(fd: number, path: string): void {
  const v = fresh();
  ptr(v, 0, cString(path));
  u32(v, 8, fd);
  call(Cmd.OBJ_PIN, "BPF_OBJ_PIN");
}

/** BPF_OBJ_GET: open the object pinned at `path`. */
export function objGet(path: string, fileFlags = 0): number {
  const v = fresh();
  ptr(v, 0, cString(path));
  u32(v, 12, fileFlags);
  return call(Cmd.OBJ_GET, "BPF_OBJ_GET");
}

// ---- attaching ----------------------------------------------------------------------------------

/** BPF_PROG_ATTACH (cgroups, sockmap/sockhash, flow dissector, ...). */
export function progAttach(targetFd: number, progFd: number, attachType: number, flags = 0, replaceFd = 0): void {
  const v = fresh();
  u32(v, 0, targetFd);
  u32(v, 4, progFd);
  u32(v, 8, attachType);
  u32(v, 12, flags);
  u32(v, 16, replaceFd);
  call(Cmd.PROG_ATTACH, "BPF_PROG_ATTACH");
}

/** BPF_PROG_DETACH. */
export function progDetach(targetFd: number, progFd: number, attachType: number): void {
  const v = fresh();
  u32(v, 0, targetFd);
  u32(v, 4, progFd);
  u32(v, 8, attachType);
  call(Cmd.PROG_DETACH, "BPF_PROG_DETACH");
}

export interface LinkCreateAttr {
  progFd: number;
  /** target fd (cgroup, map) or ifindex (xdp, tcx). */
  target: number;
  attachType: number;
  flags?: number;
  /** tcx: relative_fd / expected_revision. */
  relativeFd?: number;
  expectedRevision?: bigint;
}

/** BPF_LINK_CREATE: returns the link's fd (closing its last fd detaches unless it is pinned). */
export function linkCreate(a: LinkCreateAttr): number {
  const v = fresh();
  u32(v, 0, a.progFd);
  u32(v, 4, a.target);
  u32(v, 8, a.attachType);
  u32(v, 12, a.flags ?? 0);
  if (a.relativeFd) u32(v, 16, a.relativeFd);
  if (a.expectedRevision) u64(v, 24, a.expectedRevision);
  return call(Cmd.LINK_CREATE, "BPF_LINK_CREATE");
}

/** BPF_LINK_DETACH: detach a link now (its fd and pins then refer to a defunct link). */
export function linkDetach(linkFd: number): void {
  const v = fresh();
  u32(v, 0, linkFd);
  call(Cmd.LINK_DETACH, "BPF_LINK_DETACH");
}

export interface QueryResult {
  attachFlags: number;
  progIds: number[];
  linkIds: number[];
  revision: bigint;
}

/** BPF_PROG_QUERY: the programs attached at a cgroup fd or ifindex for one attach type. */
export function progQuery(target: number, attachType: number, queryFlags = 0, max = 64): QueryResult {
  const ids = new Uint8Array(max * 4);
  const links = new Uint8Array(max * 4);
  const v = fresh();
  u32(v, 0, target);
  u32(v, 4, attachType);
  u32(v, 8, queryFlags);
  ptr(v, 16, ids);
  u32(v, 24, max);
  ptr(v, 40, links);
  call(Cmd.PROG_QUERY, "BPF_PROG_QUERY");
  const count = Math.min(v.getUint32(24, true), max);
  const idv = new DataView(ids.buffer), lv = new DataView(links.buffer);
  const progIds: number[] = [], linkIds: number[] = [];
  for (let i = 0; i < count; i++) {
    progIds.push(idv.getUint32(i * 4, true));
    linkIds.push(lv.getUint32(i * 4, true));
  }
  return { attachFlags: v.getUint32(12, true), progIds, linkIds: linkIds.filter((x) => x !== 0), revision: v.getBigUint64(56, true) };
}

// ---- ids and info -------------------------------------------------------------------------------

function nextId(cmd: number, start: number): number | undefined {
  const v = fresh();
  u32(v, 0, start);
  const r = callRaw(cmd);
  if (r === -ERRNO.ENOENT) return undefined;
  if (r < 0) throw new KernelError(cmd === Cmd.PROG_GET_NEXT_ID ? "BPF_PROG_GET_NEXT_ID" : cmd === Cmd.MAP_GET_NEXT_ID ? "BPF_MAP_GET_NEXT_ID" : "BPF_LINK_GET_NEXT_ID", -r);
  return v.getUint32(4, true);
}
/** Next loaded program id after `start` (0 = the first); undefined at the end. */
export const progGetNextId = (start: number): number | undefined => nextId(Cmd.PROG_GET_NEXT_ID, start);
export const mapGetNextId = (start: number): number | undefined => nextId(Cmd.MAP_GET_NEXT_ID, start);
export const linkGetNextId = (start: number): number | undefined => nextId(Cmd.LINK_GET_NEXT_ID, start);

function fdById(cmd: number, id: number, command: string): number {
  const v = fresh();
  u32(v, 0, id);
  return call(cmd, command);
}
export const progGetFdById = (id: number): number => fdById(Cmd.PROG_GET_FD_BY_ID, id, "BPF_PROG_GET_FD_BY_ID");
export const mapGetFdById = (id: number): number => fdById(Cmd.MAP_GET_FD_BY_ID, id, "BPF_MAP_GET_FD_BY_ID");
export const linkGetFdById = (id: number): number => fdById(Cmd.LINK_GET_FD_BY_ID, id, "BPF_LINK_GET_FD_BY_ID");
export const btfGetFdById = (id: number): number => fdById(Cmd.BTF_GET_FD_BY_ID, id, "BPF_BTF_GET_FD_BY_ID");

/** BPF_OBJ_GET_INFO_BY_FD into `info` (zeroed, possibly with pointers set by the caller); returns info_len. */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  const v = fresh();
  u32(v, 0, fd);
  u32(v, 4, info.length);
  ptr(v, 8, info);
  call(Cmd.OBJ_GET_INFO_BY_FD, "BPF_OBJ_GET_INFO_BY_FD");
  return v.getUint32(4, true);
}

export interface ProgInfo {
  type: number; id: number; tag: string; name: string; xlatedLen: number; jitedLen: number;
  mapIds: number[]; btfId: number; runTimeNs: bigint; runCnt: bigint; verifiedInsns: number; loadTime: bigint;
  gplCompatible: boolean;
}

const zName = (b: Uint8Array, off: number, len: number): string => cText(b.subarray(off, off + len));

/** Program info (bpf_prog_info) of a program fd, with its map ids. */
export function progInfo(fd: number): ProgInfo {
  const info = new Uint8Array(232);
  objGetInfoByFd(fd, info);
  let v = new DataView(info.buffer);
  const nrMaps = v.getUint32(52, true);
  let mapIds: number[] = [];
  if (nrMaps > 0) {
    const ids = new Uint8Array(nrMaps * 4);
    info.fill(0);
    v = new DataView(info.buffer);
    v.setUint32(52, nrMaps, true);
    v.setBigUint64(56, addressOf(ids), true);
    objGetInfoByFd(fd, info);
    const iv = new DataView(ids.buffer);
    mapIds = Array.from({ length: Math.min(nrMaps, v.getUint32(52, true)) }, (_, i) => iv.getUint32(i * 4, true));
  }
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true),
    tag: Array.from(info.subarray(8, 16), (x) => x.toString(16).padStart(2, "0")).join(""),
    jitedLen: v.getUint32(16, true), xlatedLen: v.getUint32(20, true), loadTime: v.getBigUint64(40, true),
    mapIds, name: zName(info, 64, 16), gplCompatible: (v.getUint32(84, true) & 1) === 1, btfId: v.getUint32(128, true),
    runTimeNs: v.getBigUint64(192, true), runCnt: v.getBigUint64(200, true), verifiedInsns: v.getUint32(216, true),
  };
}

/**
 * The raw BTF (header, types, strings) of a BTF object fd, as bpf_btf_info gives it: asked once for its
 * size, then into a buffer of that size.
 */
export function btfData(fd: number): Uint8Array {
  const info = new Uint8Array(32); // struct bpf_btf_info: btf (u64), btf_size, id, name (u64), name_len, kernel_btf
  objGetInfoByFd(fd, info);
  const size = new DataView(info.buffer).getUint32(8, true);
  const raw = new Uint8Array(size);
  if (size === 0) return raw;
  info.fill(0);
  const v = new DataView(info.buffer);
  v.setBigUint64(0, addressOf(raw), true);
  v.setUint32(8, size, true);
  objGetInfoByFd(fd, info);
  return raw;
}

export interface MapInfo {
  type: number; id: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string;
  btfId: number; btfKeyTypeId: number; btfValueTypeId: number;
}

/** Map info (bpf_map_info) of a map fd. */
export function mapInfo(fd: number): MapInfo {
  const info = new Uint8Array(88);
  objGetInfoByFd(fd, info);
  const v = new DataView(info.buffer);
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true), keySize: v.getUint32(8, true), valueSize: v.getUint32(12, true),
    maxEntries: v.getUint32(16, true), flags: v.getUint32(20, true), name: zName(info, 24, 16),
    btfId: v.getUint32(64, true), btfKeyTypeId: v.getUint32(68, true), btfValueTypeId: v.getUint32(72, true),
  };
}

export interface LinkInfo {
  type: number; id: number; progId: number;
  /** xdp / tcx: the interface index; cgroup: the cgroup id. */
  ifindex?: number; cgroupId?: bigint; attachType?: number;
}

/** Link info (bpf_link_info, the parts bpfkit reads). */
export function linkInfo(fd: number): LinkInfo {
  const info = new Uint8Array(256);
  objGetInfoByFd(fd, info);
  const v = new DataView(info.buffer);
  const out: LinkInfo = { type: v.getUint32(0, true), id: v.getUint32(4, true), progId: v.getUint32(8, true) };
  if (out.type === 6) out.ifindex = v.getUint32(16, true); // xdp
  else if (out.type === 11 || out.type === 13) { out.ifindex = v.getUint32(16, true); out.attachType = v.getUint32(20, true); } // tcx, netkit
  else if (out.type === 3) { out.cgroupId = v.getBigUint64(16, true); out.attachType = v.getUint32(24, true); } // cgroup
  else if (out.type === 14) { out.attachType = v.getUint32(20, true); } // sockmap: map_id 16, attach_type 20
  return out;
}

/** Text up to the first NUL. */
export function cText(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}
