// Memory accesses (check_mem_access and friends): what each pointer type allows, with the kernel's
// messages. Context fields come from src/progtypes (the per-type access rules), map value/key sizes
// from the program's MapSpecs, packet ranges from the comparisons against data_end (branch.ts), and
// the stack model (slot kinds, spills and fills) from state.ts.
import { checkFastcallContract } from "./fastcall.js";
import type { MapSpec } from "../program/program.js";
import { BPF_FLOW_KEYS_SIZE, BPF_SOCK_LAYOUT, checkContextAccess, checkCtxAccess } from "../progtypes/index.js";
import { coerceToSizeSx } from "./alu.js";
import { type Env, Reject, frame, mapInfo, noteUninitRead, regs } from "./env.js";
import { regTypeStr } from "./log.js";
import { coerceToSize, constNum, isConst, isZero, smaxNum, sminNum, umaxFits } from "./scalar.js";
import { markChainPrecision, pushHist, stackAccessFlags } from "./precision.js";
import { type Frame, NO_SPILL, type Reg, Slot, type StackSlot, assignScalarIdBeforeMov, ownSlot, clearScalarId, constScalar, constScalarHL, copyReg, growStack,
  pointer, unknownScalar } from "./state.js";
import { add64, rh, rl, tAdd, tIsAligned, tconstHL, tnumStr } from "./tnum.js";

/** A small constant as a tnum (sign-extended). */
const tconstN = (n: number) => tconstHL(n < 0 ? -1 : 0, n);
/** umax as a number (exact below 2^53, ordered right beyond). */
const umaxNum = (r: Reg): number => (r.umaxHi >>> 0) * 0x100000000 + (r.umaxLo >>> 0);
import { destroyIfDynptrSlot, isSpecialSlotKind, scrubSpecialSlot } from "./dynptr.js";
import { btfCtxAccess, checkPtrToBtfAccess, checkPtrToMapAccess, netfilterCtxAccess } from "./btf-ptr.js";
import { checkKptrAccess, checkKptrOverlap, kptrAt } from "./kptr.js";

const MAX_VAR_OFF = 1 << 29;
const MAX_BPF_STACK = 512;

export interface Access {
  regno: number;
  off: number;
  size: number;
  write: boolean;
  /** Register written to memory (store) or loaded into (load); -1 for an immediate store. */
  valueRegno: number;
  /** The immediate of a BPF_ST store. */
  imm?: number;
  ldsx?: boolean;
  /** Atomics must be aligned for every pointer type (strict_alignment_once). */
  strict?: boolean;
}

export function checkMemAccess(env: Env, a: Access): void {
  const R = regs(env);
  const reg = R[a.regno]!;
  checkAlignment(reg, a.off, a.size, a.strict === true || env.opts.strictAlignment === true);
  const off = a.off + reg.off;
  const valueReg = a.valueRegno >= 0 ? R[a.valueRegno] : undefined;
  switch (reg.maybeNull && reg.type !== "mem" ? "_null" : reg.type) {
    case "map_key": {
      if (a.write) throw new Reject(`write to change key R${a.regno} not allowed`);
      checkMemRegion(env, a.regno, reg, off, a.size, env.opts.maps[reg.map]?.keySize ?? 0, false);
      if (a.valueRegno >= 0) R[a.valueRegno] = unknownScalar();
      break;
    }
    case "map_value": {
      const m = env.opts.maps[reg.map];
      checkMapAccessType(m, a.write, off, a.size);
      checkMemRegion(env, a.regno, reg, off, a.size, m?.valueSize ?? 0, false);
      checkMapFields(env, reg, off, a.size);
      checkKptrOverlap(env, reg, off, a.size, true);
      const kptr = isConst(reg) ? kptrAt(env, reg.map, off + constNum(reg)) : undefined;
      if (kptr) {
        checkKptrAccess(env, kptr, a.write ? (a.valueRegno >= 0 ? "stx" : "st") : "ldx", a.valueRegno, a.imm, a.strict ? 0xc0 : 0x60);
        break;
      }
      if (!a.write && a.valueRegno >= 0) {
        // a frozen read-only map (.rodata) is read at verification time: the value is a known constant
        const known = isConst(reg) && m ? directRead(m, off + constNum(reg), a.size, a.ldsx === true) : undefined;
        R[a.valueRegno] = known === undefined ? unknownScalar() : constScalar(known);
      }
      break;
    }
    case "mem": {
      if (reg.maybeNull) throw new Reject(`R${a.regno} invalid mem access '${regTypeStr(reg)}'`);
      if (a.write && reg.rdonly) throw new Reject(`R${a.regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegion(env, a.regno, reg, off, a.size, reg.memSize, false);
      if (a.valueRegno >= 0 && (!a.write || reg.rdonly)) R[a.valueRegno] = unknownScalar();
      break;
    }
    case "ctx": {
      if (reg.off < 0) throw new Reject(`negative offset ctx ptr R${a.regno} off=${reg.off} disallowed`);
      if (reg.off !== 0) throw new Reject(`dereference of modified ctx ptr R${a.regno} off=${reg.off} disallowed`);
      if (!isZero(reg)) throw new Reject(`variable ctx access var_off=${tnumStr(reg.varOff)} disallowed`);
      if (env.opts.progType === 32 && env.opts.targetBtf) {
        const r = netfilterCtxAccess(env, off, a.size, a.write);
        if (!a.write && a.valueRegno >= 0) R[a.valueRegno] = r;
        break;
      }
      if (btfContext(env)) {
        // tracing, LSM and struct_ops programs: the context is the attach target's arguments (btf_ctx_access)
        const r = btfCtxAccess(env, off, a.size, a.write);
        if (!a.write && a.valueRegno >= 0) R[a.valueRegno] = r;
        break;
      }
      const res = ctxAccess(env, off, a.size, a.write, a.ldsx === true);
      if (!res.ok) throw new Reject(`invalid bpf_context access off=${off} size=${a.size}`);
      if (!a.write && a.valueRegno >= 0) {
        if (res.pointer) {
          const p = pointer(res.pointer);
          if (res.maybeNull) { p.maybeNull = true; p.id = ++env.idGen; }
          R[a.valueRegno] = p;
        } else R[a.valueRegno] = unknownScalar();
      }
      break;
    }
    case "stack": {
      checkStackBounds(env, a.regno, reg, off, a.size, a.write ? " write to" : " read from");
      if (a.write) stackWrite(env, reg, off, a.size, valueReg, a.imm);
      else stackRead(env, reg, off, a.size, a.valueRegno);
      break;
    }
    case "pkt": case "pkt_meta": {
      if (a.write && !packetWritable(env)) throw new Reject("cannot write into packet");
      checkPacketAccess(env, a.regno, reg, off, a.size);
      if (!a.write && a.valueRegno >= 0) R[a.valueRegno] = unknownScalar();
      break;
    }
    case "flow_keys": {
      // check_flow_keys_access: any access inside struct bpf_flow_keys, loads and stores (a privileged
      // loader may store pointers: no "leaks addr" check)
      if (off < 0 || off + a.size > BPF_FLOW_KEYS_SIZE) throw new Reject(`invalid access to flow keys off=${off} size=${a.size}`);
      if (!a.write && a.valueRegno >= 0) R[a.valueRegno] = unknownScalar();
      break;
    }
    case "btf_id": {
      checkPtrToBtfAccess(env, a.regno, off, a.size, a.write, a.write ? -1 : a.valueRegno);
      break;
    }
    case "arena":
      // arena memory is the program's own: the JIT guards every access, the verifier checks none
      if (!a.write && a.valueRegno >= 0) R[a.valueRegno] = unknownScalar();
      break;
    case "map_ptr": {
      // reads of the kernel's map struct need the target BTF; without it the kernel's refusal stands
      if (!env.opts.targetBtf) throw new Reject(`R${a.regno} invalid mem access '${regTypeStr(reg)}'`);
      checkPtrToMapAccess(env, a.regno, off, a.size, a.write, a.write ? -1 : a.valueRegno);
      break;
    }
    case "sock": case "sock_common": case "tcp_sock": case "xdp_sock": {
      if (a.write) throw new Reject(`R${a.regno} cannot write into ${regTypeStr(reg)}`);
      if (!sockFieldOk(reg.type, off, a.size)) throw new Reject(`R${a.regno} invalid ${regTypeStr(reg)} access off=${off} size=${a.size}`);
      if (a.valueRegno >= 0) R[a.valueRegno] = unknownScalar();
      break;
    }
    default:
      throw new Reject(`R${a.regno} invalid mem access '${regTypeStr(reg)}'`);
  }
  const v = a.valueRegno >= 0 ? R[a.valueRegno]! : undefined;
  if (v && a.size < 8 && !a.write && v.type === "scalar") {
    if (a.ldsx) coerceToSizeSx(v, a.size);
    else coerceToSize(v, a.size);
  }
}

/**
 * bpf_sock_is_valid_access (struct bpf_sock, src/progtypes) for sock; bpf_sock_common_is_valid_access also
 * refuses type..priority. bpf_tcp_sock_is_valid_access: aligned reads below the end of icsk_retransmits
 * (112), of 8 bytes at bytes_received and bytes_acked (80, 88) and of 4 bytes anywhere else;
 * bpf_xdp_sock_is_valid_access: a 4-byte read of queue_id.
 */
function sockFieldOk(type: Reg["type"], off: number, size: number): boolean {
  if (type === "sock" || type === "sock_common") {
    if (type === "sock_common" && off >= 8 && off < 24) return false;
    return checkContextAccess0(BPF_SOCK_LAYOUT, off, size);
  }
  const end = type === "tcp_sock" ? TCP_SOCK_END : 4;
  if (off < 0 || off >= end || off % size !== 0) return false;
  return size === (type === "tcp_sock" && TCP_SOCK_U64.includes(off) ? 8 : 4);
}
/** offsetofend(struct bpf_tcp_sock, icsk_retransmits), and the offsets of its two __u64 fields. */
const TCP_SOCK_END = 112;
const TCP_SOCK_U64 = [80, 88];
const checkContextAccess0 = (layout: typeof BPF_SOCK_LAYOUT, off: number, size: number): boolean => checkContextAccess(layout, { off, size, write: false }).ok;

const ALIGN_DESC: Record<string, string> = { flow_keys: "flow keys ", map_key: "key ", map_value: "value ", ctx: "context ", stack: "stack ",
  sock: "sock ", sock_common: "sock_common ", tcp_sock: "tcp_sock ", xdp_sock: "xdp_sock " };

/**
 * check_ptr_alignment: this host has efficient unaligned access, so only stack accesses and atomics
 * (`strict`) must be aligned; packet pointers count the 2-byte NET_IP_ALIGN.
 */
export function checkAlignment(reg: Reg, off: number, size: number, strict: boolean): void {
  if (reg.type === "stack") strict = true;
  if (!strict || size === 1) return;
  if (reg.type === "pkt" || reg.type === "pkt_meta") {
    const t = tAdd(reg.varOff, tconstN(2 + reg.off + off));
    if (!tIsAligned(t, size)) throw new Reject(`misaligned packet access off 2+${tnumStr(reg.varOff)}+${reg.off}+${off} size ${size}`);
    return;
  }
  const t = tAdd(reg.varOff, tconstN(reg.off + off));
  if (!tIsAligned(t, size)) throw new Reject(`misaligned ${ALIGN_DESC[reg.type] ?? ""}access off ${tnumStr(reg.varOff)}+${reg.off}+${off} size ${size}`);
}

/**
 * bpf_map_is_rdonly + bpf_map_direct_read: a map the program cannot write and nobody else may (libbpf
 * freezes `.rodata` after writing its contents) holds known bytes; an array map with one entry gives them
 * to the verifier (array_map_direct_value_addr), little-endian, sign-extended for a sign-extending load.
 */
function directRead(m: MapSpec, off: number, size: number, ldsx: boolean): bigint | undefined {
  if (m.readOnly !== true || m.type !== "array" || m.maxEntries !== 1 || off < 0 || off + size > m.valueSize) return undefined;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
  const bytes = m.initialValue;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes?.[off + i] ?? 0);
  return ldsx ? BigInt.asIntN(size * 8, v) : v;
}

/** check_map_access_type: BPF_F_RDONLY_PROG maps (and .rodata) take no writes, BPF_F_WRONLY_PROG maps no reads. */
function checkMapAccessType(m: MapSpec | undefined, write: boolean, off: number, size: number): void {
  if (!m) return;
  const vs = m.valueSize;
  if (write && (m.readOnly === true || (m.flags & 0x80) !== 0)) throw new Reject(`write into map forbidden, value_size=${vs} off=${off} size=${size}`);
  if (!write && (m.flags & 0x100) !== 0) throw new Reject(`read from map forbidden, value_size=${vs} off=${off} size=${size}`);
}

function memErr(env: Env, regno: number, reg: Reg, off: number, size: number, memSize: number): string {
  switch (reg.type) {
    case "map_key": return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case "map_value": return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case "pkt": case "pkt_meta": case "pkt_end": return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    default: return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}

/** check_map_access, special fields: no load, store or helper may touch a bpf_spin_lock or bpf_timer. */
function checkMapFields(env: Env, reg: Reg, off: number, size: number): void {
  const f = env.opts.fields[reg.map];
  if (!f) return;
  for (const [name, p, fsize] of [["bpf_spin_lock", f.spinLock, 4], ["bpf_timer", f.timer, 16]] as const) {
    if (p < 0) continue;
    if (sminNum(reg) + off < p + fsize && p < umaxNum(reg) + off + size) {
      throw new Reject(`${name} cannot be accessed directly by load/store`);
    }
  }
}

/** __check_mem_access: [off, off+size) inside [0, memSize) (`off` is the kernel's int). */
function inRegion(off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  return off >= 0 && sizeOk && off + size <= memSize;
}

/** check_mem_region_access: both ends of the variable offset must stay inside the region. */
export function checkMemRegion(env: Env, regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
  add64(reg.sminHi, reg.sminLo, off < 0 ? -1 : 0, off);
  const h = rh(), minOff = rl();
  // smin < 0 and (smin == S64_MIN, or smin + off is not an s32, or it is negative)
  if (reg.sminHi < 0 && ((reg.sminHi === -0x80000000 && reg.sminLo === 0) || h !== minOff >> 31 || h < 0)) {
    throw new Reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  // smin + off is passed to __check_mem_access as an int: its low 32 bits
  if (!inRegion(minOff, size, memSize, zeroOk)) {
    throw new Reject(`${memErr(env, regno, reg, minOff, size, memSize)}\nR${regno} min value is outside of the allowed memory range`);
  }
  if (reg.umaxHi !== 0 || reg.umaxLo >>> 0 >= MAX_VAR_OFF) throw new Reject(`R${regno} unbounded memory access, make sure to bounds check any such access`);
  const maxOff = (reg.umaxLo >>> 0) + off;
  if (!inRegion(maxOff, size, memSize, zeroOk)) {
    throw new Reject(`${memErr(env, regno, reg, maxOff, size, memSize)}\nR${regno} max value is outside of the allowed memory range`);
  }
}

export function checkPacketAccess(env: Env, regno: number, reg: Reg, off: number, size: number, zeroOk = false): void {
  if (reg.sminHi < 0) throw new Reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const range = reg.range;
  if (range < 0) throw new Reject(`R${regno} offset is outside of the packet`);
  if (!inRegion(off, size, range, zeroOk)) {
    throw new Reject(`${memErr(env, regno, reg, off, size, range)}\nR${regno} offset is outside of the packet`);
  }
}

function packetWritable(env: Env): boolean {
  // may_access_direct_pkt_data(BPF_WRITE): tc, xdp, lwt_xmit, sk_skb, sk_msg, cgroup_sockopt
  return [3, 4, 6, 12, 14, 16, 25].includes(env.opts.progType);
}

interface CtxResult { ok: boolean; pointer?: Reg["type"]; maybeNull?: boolean }

/** The program's context is its attach target's arguments, read through BTF (tracing, struct_ops, LSM). */
function btfContext(env: Env): boolean {
  const t = env.opts.progType;
  return (t === 26 || t === 27 || t === 29) && env.opts.targetBtf !== undefined && env.opts.attachBtfId !== undefined;
}

const CTX_POINTER: Record<string, [Reg["type"], boolean]> = {
  pkt: ["pkt", false], pkt_end: ["pkt_end", false], pkt_meta: ["pkt_meta", false], sock: ["sock", false],
  sock_or_null: ["sock", true], sock_common_or_null: ["sock_common", true], flow_keys: ["flow_keys", false],
};

function ctxAccess(env: Env, off: number, size: number, write: boolean, ldsx: boolean): CtxResult {
  // every type's *_is_valid_access is a layout in src/progtypes; types without one (BTF-typed contexts) refuse
  const r = checkCtxAccess(env.opts.progType, { off, size, write, signExtend: ldsx }, env.opts.attachType);
  if (!r.ok) return { ok: false };
  if (r.pointer) {
    const [t, maybeNull] = CTX_POINTER[r.pointer]!;
    return { ok: true, pointer: t, maybeNull };
  }
  return { ok: true };
}

// ---- stack ----

function stackFrame(env: Env, reg: Reg): Frame {
  return env.cur.frames[reg.frameno] ?? frame(env);
}

/** check_stack_access_within_bounds. */
export function checkStackBounds(env: Env, regno: number, reg: Reg, off: number, size: number, extra: string): void {
  // s64 offsets as numbers: exact below 2^53, and beyond that still ordered right against the small limits
  let minOff: number, maxOff: number;
  if (isConst(reg)) {
    minOff = constNum(reg) + off;
    maxOff = minOff + size;
  } else {
    if (smaxNum(reg) >= MAX_VAR_OFF || sminNum(reg) <= -MAX_VAR_OFF) throw new Reject(`invalid unbounded variable-offset${extra} stack R${regno}`);
    minOff = sminNum(reg) + off;
    maxOff = smaxNum(reg) + off + size;
  }
  const bad = minOff < -MAX_BPF_STACK || minOff >= 0 || maxOff > 0 || size < 0;
  if (bad) {
    if (isConst(reg)) throw new Reject(`invalid${extra} stack R${regno} off=${off} size=${size}`);
    throw new Reject(`invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.varOff)} off=${off} size=${size}`);
  }
  const f = stackFrame(env, reg);
  growStack(f, -minOff);
  const depth = f.stack.length * 8;
  env.stackDepth[f.subprog] = Math.max(env.stackDepth[f.subprog] ?? 0, depth);
}

const isSpill = (f: Frame, spi: number): boolean => f.stack[spi]?.kinds[7] === Slot.SPILL;

function stackWrite(env: Env, ptr: Reg, off: number, size: number, value: Reg | undefined, imm: number | undefined): void {
  const f = stackFrame(env, ptr);
  if (!isConst(ptr)) { stackWriteVar(env, f, ptr, off, size, value, imm); return; }
  const fpOff = constNum(ptr) + off;
  checkFastcallContract(env.fastcall, f.subprog, env.insnIdx, fpOff);
  const slot = -fpOff - 1;
  const spi = Math.floor(slot / 8);
  // a write into a dynptr destroys it (or is refused for a referenced one)
  destroyIfDynptrSlot(env, f, spi);
  const st = ownSlot(f, spi);
  env.scratchedSlots.add(spi);
  const aligned = fpOff % 8 === 0;
  // only a store of all 8 bytes screens the slot's earlier value from later reads
  if (aligned && size === 8) env.stackLive?.markWrite(f.frameno, spi);
  if (value && aligned && value.type === "scalar") {
    // spilling links the stack copy and the register (assign_scalar_id_before_mov) when the value fits
    if (umaxFits(value, size * 8)) assignScalarIdBeforeMov(value, () => ++env.idGen);
    saveSpill(st, value, size);
  } else if (!value && aligned && imm !== undefined) {
    saveSpill(st, constScalarHL(imm < 0 ? -1 : 0, imm), size);
  } else if (value && value.type !== "scalar") {
    if (size !== 8) throw new Reject("invalid size of register spill");
    if (value.type === "stack" && ptr.frameno !== env.cur.frames.length - 1 && value.frameno > ptr.frameno) {
      throw new Reject("cannot spill pointers to stack into stack frame of the caller", 22);
    }
    saveSpill(st, value, size);
  } else {
    let kind = Slot.MISC;
    st.spilled = NO_SPILL;
    scrubSpecialSlot(st);
    if ((value && value.type === "scalar" && isZero(value)) || (!value && imm === 0)) {
      // STACK_ZERO relies on the register being zero
      if (value) markChainPrecision(env, valueRegno(env, value));
      kind = Slot.ZERO;
    }
    for (let i = 0; i < size; i++) st.kinds[(slot - i) % 8] = kind;
    return;
  }
  // a register spill: back-tracking follows the value through this slot
  pushHist(env, stackAccessFlags(f.frameno, spi));
}

/** Which register of the current frame `value` is (the stored register of a store instruction). */
function valueRegno(env: Env, value: Reg): number {
  return regs(env).indexOf(value);
}

function saveSpill(st: StackSlot, value: Reg, size: number): void {
  st.spilled = copyReg(value);
  if (size < 8 && value.type === "scalar") {
    // a narrowing spill keeps the value only when it fits
    const fits = umaxFits(value, size * 8);
    if (!fits) { st.spilled.id = 0; st.spilled.addConst = 0; }
  }
  let i = 8;
  for (; i > 8 - size; i--) st.kinds[i - 1] = Slot.SPILL;
  // bytes above a narrow spill keep their kind, unless they belonged to a spill, dynptr or iterator (mark_stack_slot_misc)
  for (; i > 0; i--) if (st.kinds[i - 1] === Slot.SPILL || isSpecialSlotKind(st.kinds[i - 1]!)) st.kinds[i - 1] = Slot.MISC;
  st.special = undefined;
}

function stackWriteVar(env: Env, f: Frame, ptr: Reg, off: number, size: number, value: Reg | undefined, imm: number | undefined): void {
  const minOff = sminNum(ptr) + off, maxOff = smaxNum(ptr) + off + size;
  checkFastcallContract(env.fastcall, f.subprog, env.insnIdx, minOff);
  const zero = (value && value.type === "scalar" && isZero(value)) || (!value && imm === 0);
  let zeroUsed = false;
  for (let i = minOff; i < maxOff; i++) destroyIfDynptrSlot(env, f, Math.floor((-i - 1) / 8));
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = Math.floor(slot / 8);
    const st = ownSlot(f, spi);
    env.scratchedSlots.add(spi);
    if (st.kinds[7] === Slot.SPILL || isSpecialSlotKind(st.kinds[7]!)) { st.spilled = NO_SPILL; scrubSpecialSlot(st); }
    const k = st.kinds[slot % 8]!;
    if (!(zero && k === Slot.ZERO)) st.kinds[slot % 8] = Slot.MISC;
    else zeroUsed = true;
  }
  if (zeroUsed && value) markChainPrecision(env, valueRegno(env, value));
}

function stackRead(env: Env, ptr: Reg, off: number, size: number, dstRegno: number): void {
  const f = stackFrame(env, ptr);
  const R = regs(env);
  if (!isConst(ptr)) {
    // variable offset: the result is zero only when every byte in range is known zero. Like
    // mark_reg_stack_read, stop at the first byte that is not: slots above it are not scratched
    // (the kernel does not print them after the instruction).
    const minOff = sminNum(ptr) + off, maxOff = smaxNum(ptr) + off + size;
    checkFastcallContract(env.fastcall, f.subprog, env.insnIdx, minOff);
    for (let i = minOff; i < maxOff; i++) {
      const slot = -i - 1;
      const st = f.stack[Math.floor(slot / 8)]!;
      const k = st.kinds[slot % 8]!;
      if (isSpecialSlotKind(k)) {
        throw new Reject(`invalid read from stack R${valueRegnoOf(env, ptr)} var_off ${tnumStr(ptr.varOff)}+${i - minOff} size ${size}`);
      }
    }
    markStackRangeRead(env, f, minOff, maxOff);
    let zeros = 0;
    for (let i = minOff; i < maxOff; i++) {
      const slot = -i - 1;
      const st = f.stack[Math.floor(slot / 8)]!;
      env.scratchedSlots.add(Math.floor(slot / 8));
      if (st.kinds[slot % 8] !== Slot.ZERO) break;
      zeros++;
    }
    noteUninit(env, f, minOff, maxOff);
    if (dstRegno >= 0) R[dstRegno] = zeros === maxOff - minOff ? constScalarHL(0, 0) : unknownScalar();
    return;
  }
  const fpOff = constNum(ptr) + off;
  const slot = -fpOff - 1;
  const spi = Math.floor(slot / 8);
  const st = f.stack[spi]!;
  env.scratchedSlots.add(spi);
  // (the reading function's sub-program, not the one whose stack is read, as check_stack_read_fixed_off passes)
  checkFastcallContract(env.fastcall, frame(env).subprog, env.insnIdx, fpOff);
  env.stackLive?.markRead(env.cur, f.frameno, env.insnIdx, spi);
  if (isSpill(f, spi)) {
    let spillSize = 1;
    for (let i = 7; i > 0 && st.kinds[i - 1] === Slot.SPILL; i--) spillSize++;
    const sp = st.spilled;
    if (size !== 8 || spillSize !== 8) {
      if (sp.type !== "scalar") throw new Reject("invalid size of register fill");
      if (dstRegno < 0) return;
      const narrowOk = size <= spillSize && (fpOff % 8 === 0 || fpOff % 8 === -(8 - spillSize) || true) && narrowAccessOk(fpOff, size, spillSize);
      if (narrowOk) {
        const r = copyReg(sp);
        if (!umaxFits(sp, size * 8)) clearScalarId(r);
        R[dstRegno] = r;
      } else {
        let spillCnt = 0, zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const k = st.kinds[(slot - i) % 8];
          if (k === Slot.SPILL) spillCnt++;
          else if (k === Slot.ZERO) zeroCnt++;
        }
        if (spillCnt === size && isZero(sp)) R[dstRegno] = constScalarHL(0, 0);
        else if (zeroCnt === size) { R[dstRegno] = constScalarHL(0, 0); return; }
        else { R[dstRegno] = unknownScalar(); return; }
      }
    } else if (dstRegno >= 0) {
      R[dstRegno] = copyReg(sp);
    }
    // a register fill: back-tracking follows the value into this slot
    pushHist(env, stackAccessFlags(f.frameno, spi));
    return;
  }
  for (let i = 0; i < size; i++) {
    if (isSpecialSlotKind(st.kinds[(slot - i) % 8]!)) throw new Reject(`invalid read from stack off ${fpOff}+${i} size ${size}`);
  }
  noteUninit(env, f, fpOff, fpOff + size);
  if (dstRegno < 0) return;
  let zeros = 0;
  for (let i = 0; i < size; i++) if (st.kinds[(slot - i) % 8] === Slot.ZERO) zeros++;
  R[dstRegno] = zeros === size ? constScalarHL(0, 0) : unknownScalar();
}

/** Record the bytes in [minOff, maxOff) (offsets from fp) never written (STACK_INVALID, or not allocated yet) as read. */
function noteUninit(env: Env, f: Frame, minOff: number, maxOff: number, helper = false): void {
  let n = 0, first = 0;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    if (slot < 0) continue;
    const st = f.stack[Math.floor(slot / 8)];
    if (!st || st.kinds[slot % 8] === Slot.INVALID) { if (!n) first = i; n++; }
  }
  noteUninitRead(env, n, first, f.frameno, helper);
}

/** The register number of a pointer register of the current frame (for messages). */
function valueRegnoOf(env: Env, r: Reg): number {
  return regs(env).indexOf(r);
}

/** Every slot touched by the bytes [minOff, maxOff) below fp is read by this instruction. */
function markStackRangeRead(env: Env, f: Frame, minOff: number, maxOff: number): void {
  const live = env.stackLive;
  if (!live) return;
  let last = -1;
  for (let i = minOff; i < maxOff; i++) {
    const spi = Math.floor((-i - 1) / 8);
    if (spi !== last) live.markRead(env.cur, f.frameno, env.insnIdx, spi);
    last = spi;
  }
}

/** bpf_stack_narrow_access_ok: on little-endian the low bytes of a spill sit at its lowest address. */
function narrowAccessOk(off: number, size: number, spillSize: number): boolean {
  return ((off % 8) + 8) % 8 === 0 && size <= spillSize;
}

/**
 * check_helper_mem_access / check_stack_range_initialized for helper arguments: a pointer plus a
 * size the helper will read or write.
 */
export function checkHelperMem(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean, rawMode: boolean): void {
  const R = regs(env);
  const reg = R[regno]!;
  switch (reg.type) {
    case "pkt": case "pkt_meta":
      checkPacketAccess(env, regno, reg, reg.off, size, zeroOk);
      return;
    case "map_key":
      if (write) throw new Reject(`R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegion(env, regno, reg, reg.off, size, env.opts.maps[reg.map]?.keySize ?? 0, false);
      return;
    case "map_value": {
      const m = env.opts.maps[reg.map];
      checkMapAccessType(m, write, reg.off, size);
      checkMemRegion(env, regno, reg, reg.off, size, m?.valueSize ?? 0, zeroOk);
      checkMapFields(env, reg, reg.off, size);
      checkKptrOverlap(env, reg, reg.off, size, false);
      return;
    }
    case "mem":
      if (write && reg.rdonly) throw new Reject(`R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegion(env, regno, reg, reg.off, size, reg.memSize, zeroOk);
      return;
    case "stack": {
      if (size === 0 && !zeroOk) throw new Reject("invalid zero-sized read");
      checkStackBounds(env, regno, reg, reg.off, size, write || rawMode ? " write to" : " read from");
      const f = stackFrame(env, reg);
      const minOff = (isConst(reg) ? constNum(reg) : sminNum(reg)) + reg.off;
      const maxOff = (isConst(reg) ? minOff : smaxNum(reg) + reg.off);
      // check_stack_range_initialized: a raw (write-only) range may not touch a dynptr; a read one may not
      // read the bytes of a dynptr or an iterator
      for (let i = minOff; i < maxOff + size; i++) {
        const slot = -i - 1;
        const k = f.stack[Math.floor(slot / 8)]?.kinds[slot % 8] ?? Slot.INVALID;
        if (rawMode && k === Slot.DYNPTR) throw new Reject(`potential write to dynptr at off=${i} disallowed`);
        if (!rawMode && isSpecialSlotKind(k)) {
          const where = isConst(reg) ? `off ${minOff}` : `var_off ${tnumStr(reg.varOff)}`;
          throw new Reject(`invalid indirect read from stack R${regno} ${where}+${i - minOff} size ${size}`);
        }
      }
      // memory the helper reads (or may partly write) counts as read; raw (write-only) memory does not
      if (!rawMode) markStackRangeRead(env, f, minOff, maxOff + size);
      // a helper that reads the memory (a map key, data to copy) reads uninitialized bytes too
      if (!write && !rawMode) noteUninit(env, f, minOff, maxOff + size, true);
      for (let i = minOff; i < maxOff + size; i++) {
        const slot = -i - 1;
        const spi = Math.floor(slot / 8);
        if (write || rawMode) {
          const st = ownSlot(f, spi);
          env.scratchedSlots.add(spi);
          if (st.kinds[7] === Slot.SPILL) { st.spilled = unknownScalar(); for (let j = 0; j < 8; j++) if (st.kinds[j] !== Slot.INVALID) st.kinds[j] = Slot.MISC; }
          st.kinds[slot % 8] = Slot.MISC;
          if (st.special && !isSpecialSlotKind(st.kinds[7]!)) st.special = undefined;
        }
      }
      return;
    }
    case "btf_id":
      checkPtrToBtfAccess(env, regno, reg.off, size, false, -1);
      return;
    case "ctx":
      // a syscall program's context has no fixed layout: any byte within U16_MAX
      if (env.opts.progType === 31) {
        if (size === 0) { if (zeroOk) return; throw new Reject(`invalid bpf_context access off=-1 size=1`); }
        checkMemAccess(env, { regno, off: size - 1, size: 1, write, valueRegno: -1 });
        return;
      }
      throw new Reject(`R${regno} type=${regTypeStr(reg)} expected=fp`);
    default:
      if (zeroOk && size === 0 && reg.type === "scalar" && isZero(reg)) return;
      throw new Reject(`R${regno} type=${regTypeStr(reg)} expected=fp`);
  }
}

export { mapInfo, MAX_VAR_OFF };
