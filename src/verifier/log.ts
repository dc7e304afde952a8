// The verifier log as the kernel writes it (kernel/bpf/log.c, disasm.c): a buffer with positions that
// can be rewound (level 1 drops the lines of paths that verified fine), register and stack state in
// print_verifier_state() format, instructions in print_bpf_insn() format, the final statistics line.
import { helperName } from "../isa/helpers.js";
import type { RawInsn } from "./cfg.js";
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, constOf, s32maxOf, s32minOf, smaxOf, sminOf, u32, u32maxOf, u32minOf, umaxOf, uminOf } from "./scalar.js";
import { type Frame, type Reg, Slot, type State, TF } from "./state.js";
import { U32, U64, tIsConst, tIsUnknown, tnumStr } from "./tnum.js";

export class VLog {
  /** Written text as chunks, so that rewinding a few characters at the end costs O(1). */
  private chunks: string[] = [];
  private len = 0;
  /** Characters dropped from the front: like the kernel's rotating log, only the last `cap` bytes are kept. */
  private base = 0;
  constructor(readonly level: number, private readonly cap = 4 << 20) {}
  get text(): string {
    if (this.chunks.length > 1) this.chunks = [this.chunks.join("")];
    return this.chunks[0] ?? "";
  }
  get pos(): number { return this.base + this.len; }
  write(s: string): void {
    if (!this.level || !s) return;
    this.chunks.push(s);
    this.len += s.length;
    if (this.len > 2 * this.cap) {
      const all = this.text;
      const drop = all.length - this.cap;
      this.chunks = [all.slice(drop)];
      this.len = this.cap;
      this.base += drop;
    }
  }
  /** bpf_vlog_reset: rewind, never forward. */
  reset(pos: number): void {
    if (pos >= this.pos) return;
    if (pos <= this.base) { this.base = pos; this.chunks = []; this.len = 0; return; }
    let keep = pos - this.base;
    while (this.chunks.length && this.len - this.chunks[this.chunks.length - 1]!.length >= keep) this.len -= this.chunks.pop()!.length;
    const last = this.chunks.length - 1;
    if (last >= 0 && this.len > keep) {
      const c = this.chunks[last]!;
      this.chunks[last] = c.slice(0, c.length - (this.len - keep));
      this.len = keep;
    }
  }
}

const unum = (v: bigint): string => (v <= 0xffffn ? v.toString() : "0x" + v.toString(16));
const snum = (v: bigint): string => (v >= -32768n && v <= 32767n ? v.toString() : "0x" + BigInt.asUintN(64, v).toString(16));

/** The ids after `refs=`: 6.18 keeps a held bpf_spin_lock in the reference array too, after the
 *  references (no helper that acquires one may run while the lock is held). */
export function printedRefIds(s: State): number[] {
  const ids = s.refs.map((r) => r.id);
  if (s.activeLock) ids.push(s.activeLock.id);
  return ids;
}

/** reg_type_str(): flags as prefixes, `_or_null` (`or_null_` after `ptr_`), no BTF type name. */
export function regTypeStr(r: { type: string; maybeNull?: boolean; ringbuf?: boolean; rdonly?: boolean; tflags?: number }): string {
  const base: Record<string, string> = { not_init: "?", stack: "fp", sock_common: "sock_common", btf_id: "ptr_", percpu_btf_id: "percpu_ptr_" };
  let s = base[r.type] ?? r.type;
  if (r.maybeNull) s += r.type === "btf_id" ? "or_null_" : "_or_null";
  const f = r.tflags ?? 0;
  let prefix = "";
  if (r.rdonly) prefix += "rdonly_";
  if (r.ringbuf) prefix += "ringbuf_";
  if (f & TF.USER) prefix += "user_";
  if (f & TF.PERCPU) prefix += "percpu_";
  if (f & TF.RCU) prefix += "rcu_";
  if (f & TF.UNTRUSTED) prefix += "untrusted_";
  if (f & TF.TRUSTED) prefix += "trusted_";
  return prefix + s;
}

/** The name a PTR_TO_BTF_ID register's type is printed with (set per verification: it needs the BTFs). */
let btfTypeName: (r: Reg) => string = () => "";
export function setBtfTypeNamer(fn: (r: Reg) => string): void { btfTypeName = fn; }
const DYNPTR_TYPE_NAME = (f: number): string =>
  f & TF.DYN_LOCAL ? "local" : f & TF.DYN_RINGBUF ? "ringbuf" : f & TF.DYN_SKB ? "skb" : f & TF.DYN_XDP ? "xdp" : "<invalid>";

function scalarRanges(reg: Reg, parts: string[]): void {
  const s32print = (v: bigint): bigint => (v >= -32768n && v <= 32767n ? v : u32(v));
  // the bounds as bigints (printing is the log's cold path)
  const r = { smin: sminOf(reg), smax: smaxOf(reg), umin: uminOf(reg), umax: umaxOf(reg), s32min: s32minOf(reg), s32max: s32maxOf(reg),
    u32min: u32minOf(reg), u32max: u32maxOf(reg) };
  const m = [
    { name: "smin", val: BigInt.asUintN(64, r.smin), sval: r.smin, omit: r.smin === S64_MIN, signed: true },
    { name: "smax", val: BigInt.asUintN(64, r.smax), sval: r.smax, omit: r.smax === S64_MAX, signed: true },
    { name: "umin", val: r.umin, sval: r.umin, omit: r.umin === 0n, signed: false },
    { name: "umax", val: r.umax, sval: r.umax, omit: r.umax === U64, signed: false },
    { name: "smin32", val: BigInt.asUintN(64, s32print(r.s32min)), sval: s32print(r.s32min), omit: r.s32min === S32_MIN, signed: true },
    { name: "smax32", val: BigInt.asUintN(64, s32print(r.s32max)), sval: s32print(r.s32max), omit: r.s32max === S32_MAX, signed: true },
    { name: "umin32", val: r.u32min, sval: r.u32min, omit: r.u32min === 0n, signed: false },
    { name: "umax32", val: r.u32max, sval: r.u32max, omit: r.u32max === U32, signed: false },
  ];
  for (let i = 0; i < m.length; i++) {
    const a = m[i]!;
    if (a.omit) continue;
    const negA = a.signed && BigInt.asIntN(64, a.val) < 0n;
    let text = a.name + "=";
    for (let j = i + 2; j < m.length; j += 2) {
      const b = m[j]!;
      if (b.omit || b.val !== a.val) continue;
      const negB = b.signed && BigInt.asIntN(64, b.val) < 0n;
      if (negA !== negB) continue;
      b.omit = true;
      text += b.name + "=";
    }
    text += a.signed ? snum(BigInt.asIntN(64, a.val)) : unum(a.val);
    parts.push(text);
  }
}

/** print_reg_state(): `ctx()`, `fp-8`, `scalar(smin=...)`, `map_value(map=m,ks=4,vs=8,off=4)`, `P5`. */
export function regStr(r: Reg, frameno: number, mapName: (i: number) => { name: string; ks: number; vs: number } | undefined): string {
  let out = "";
  if (r.type === "scalar" && r.precise) out += "P";
  if (r.type === "scalar" && tIsConst(r.varOff)) return out + snum(constOf(r));
  out += regTypeStr(r);
  if (r.type === "arena") return out;
  if (r.type === "btf_id" || r.type === "percpu_btf_id") out += btfTypeName(r);
  if (r.type === "stack") {
    if (frameno !== r.frameno) out += `[${r.frameno}]`;
    if (tIsConst(r.varOff)) return out + snum(constOf(r) + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}` + (r.type === "scalar" && r.addConst ? (r.off >= 0 ? `+${r.off}` : `${r.off}`) : ""));
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.tflags & TF.NON_OWN) parts.push("non_own_ref");
  if (r.type === "map_ptr" || r.type === "map_value" || r.type === "map_key") {
    const m = mapName(r.map);
    if (m) {
      if (m.name) parts.push(`map=${m.name}`);
      parts.push(`ks=${m.ks},vs=${m.vs}`);
    }
  }
  if (r.type !== "scalar" && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === "pkt" || r.type === "pkt_meta") parts.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === "mem") parts.push(`sz=${unum(BigInt(r.memSize))}`);
  if (r.type === "dynptr_ptr") parts.push(`type=${DYNPTR_TYPE_NAME(r.tflags)}`);
  if (tIsConst(r.varOff)) {
    if (r.varOff.vh | r.varOff.vl) parts.push(`imm=${snum(constOf(r))}`);
  } else {
    scalarRanges(r, parts);
    if (!tIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  }
  return `${out}(${parts.join(",")})`;
}

const SLOT_CHAR = ["?", "r", "m", "0", "d", "i", "f"];

/** print_verifier_state(): registers (all or only scratched ones) and stack slots. */
export function frameStr(f: Frame, all: boolean, scratchedRegs: ReadonlySet<number>, scratchedSlots: ReadonlySet<number>,
  mapName: (i: number) => { name: string; ks: number; vs: number } | undefined, refs: readonly number[]): string {
  let s = f.frameno ? ` frame${f.frameno}:` : "";
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i]!;
    if (r.type === "not_init") continue;
    if (!all && !scratchedRegs.has(i)) continue;
    s += ` R${i}=${regStr(r, f.frameno, mapName)}`;
  }
  for (let i = 0; i < f.stack.length; i++) {
    if (!all && !scratchedSlots.has(i)) continue;
    const slot = f.stack[i]!;
    let valid = false;
    let types = "";
    for (let j = 0; j < 8; j++) {
      if (slot.kinds[j] !== Slot.INVALID) valid = true;
      types += SLOT_CHAR[slot.kinds[j]!];
    }
    if (!valid) continue;
    if (slot.kinds[7] === Slot.DYNPTR && slot.special?.kind === "dynptr") {
      // printed once, at the dynptr's first (higher) slot
      if (!slot.special.first) continue;
      const sp = slot.spilled;
      const p: string[] = [];
      if (sp.id) p.push(`id=${sp.id}`);
      if (sp.refObjId) p.push(`ref_id=${sp.refObjId}`);
      if (sp.dynptrId) p.push(`dynptr_id=${sp.dynptrId}`);
      s += ` fp${-(i + 1) * 8}=dynptr_${slot.special.type}(${p.join(",")})`;
      continue;
    }
    if (slot.kinds[7] === Slot.ITER && slot.special?.kind === "iter") {
      if (!slot.spilled.refObjId) continue;
      const st = ["invalid", "active", "drained"][slot.special.state];
      s += ` fp${-(i + 1) * 8}=iter_${iterTypeName(slot.special.btfId)}(ref_id=${slot.spilled.refObjId},state=${st},depth=${slot.special.depth})`;
      continue;
    }
    if (slot.kinds[7] === Slot.SPILL) {
      let j = 0;
      while (j < 8 && slot.kinds[j] !== Slot.SPILL) j++;
      s += ` fp${-(i + 1) * 8}=${types.slice(0, j)}${regStr(slot.spilled, f.frameno, mapName)}`;
    } else {
      s += ` fp${-(i + 1) * 8}=${types}`;
    }
  }
  if (refs.length) s += ` refs=${refs.join(",")}`;
  if (f.inCallback) s += " cb";
  if (f.inAsyncCallback) s += " async_cb";
  return s + "\n";
}

/** iter_type_str: the iterator struct's name without `bpf_iter_` (set per verification with the target BTF). */
let iterTypeName: (btfId: number) => string = () => "<invalid>";
export function setIterTypeNamer(fn: (btfId: number) => string): void { iterTypeName = fn; }

/** Column of the `;` that joins an instruction and the state after it (vlog_alignment). */
export function alignPad(lineLen: number): string {
  const pos = lineLen + 1; // the kernel measures the line with its newline
  const width = Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
  return " ".repeat(Math.max(width, 1));
}

const ALU_OPS = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian"];
const JMP_OPS = ["jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=", "may_goto"];
const SIZE_NAMES: Record<number, string> = { 0x00: "u32", 0x08: "u16", 0x10: "u8", 0x18: "u64" };
const SX_NAMES: Record<number, string> = { 0x00: "s32", 0x08: "s16", 0x10: "s8" };
const off = (v: number): string => (v >= 0 ? `+${v}` : `${v}`);

/** print_bpf_insn() text, without the `N: ` prefix. `next` is the second slot of an lddw. */
export function insnStr(i: RawInsn, next?: RawInsn): string {
  const c = i.code;
  const cls = c & 7;
  const h = `(${c.toString(16).padStart(2, "0")})`;
  if (cls === 4 || cls === 7) {
    const r = cls === 7 ? "r" : "w";
    const op = c & 0xf0;
    if (op === 0xd0) {
      if (cls === 7) return `${h} r${i.dst} = bswap${i.imm} r${i.dst}`;
      return `${h} r${i.dst} = ${c & 8 ? "be" : "le"}${i.imm} r${i.dst}`;
    }
    if (op === 0x80) return `${h} ${r}${i.dst} = -${r}${i.dst}`;
    if (op === 0xb0 && (c & 8) && i.off === 1 && cls === 7) return `${h} r${i.dst} = addr_space_cast(r${i.src}, ${i.imm >>> 16}, ${i.imm & 0xffff})`;
    const opName = (op === 0x30 || op === 0x90) && i.off === 1 ? "s" + ALU_OPS[op >> 4] : ALU_OPS[op >> 4];
    if (c & 8) {
      // print_bpf_insn's is_movsx(): only the three defined widths print as a sign extension
      if (op === 0xb0 && (i.off === 8 || i.off === 16 || i.off === 32)) return `${h} ${r}${i.dst} = (s${i.off})${r}${i.src}`;
      return `${h} ${r}${i.dst} ${opName} ${r}${i.src}`;
    }
    return `${h} ${r}${i.dst} ${opName} ${i.imm}`;
  }
  if (cls === 3) {
    const mode = c & 0xe0;
    const sz = SIZE_NAMES[c & 0x18];
    if (mode === 0x60) return `${h} *(${sz} *)(r${i.dst} ${off(i.off)}) = r${i.src}`;
    if (mode === 0xc0) {
      const imm = i.imm;
      const ws = (c & 0x18) === 0x18 ? "r" : "w";
      const aop = ALU_OPS[(imm & 0xf0) >> 4];
      if (imm === 0x00 || imm === 0x40 || imm === 0x50 || imm === 0xa0) return `${h} lock *(${sz} *)(r${i.dst} ${off(i.off)}) ${aop} r${i.src}`;
      if (imm === 0x01 || imm === 0x41 || imm === 0x51 || imm === 0xa1) return `${h} r${i.src} = atomic${ws === "r" ? "64" : ""}_fetch_${["add", "", "", "", "or", "and", "", "", "", "", "xor"][(imm & 0xf0) >> 4]}((${sz} *)(r${i.dst} ${off(i.off)}), r${i.src})`;
      if (imm === 0xe1) return `${h} r${i.src} = atomic${ws === "r" ? "64" : ""}_xchg((${sz} *)(r${i.dst} ${off(i.off)}), r${i.src})`;
      if (imm === 0xf1) return `${h} r0 = atomic${ws === "r" ? "64" : ""}_cmpxchg((${sz} *)(r${i.dst} ${off(i.off)}), r0, r${i.src})`;
      return `BUG_${c.toString(16).padStart(2, "0")}`;
    }
    return `${h} BUG_st_${c.toString(16)}`;
  }
  if (cls === 2) return `${h} *(${SIZE_NAMES[c & 0x18]} *)(r${i.dst} ${off(i.off)}) = ${i.imm}`;
  if (cls === 1) {
    if ((c & 0xe0) === 0x80) return `${h} r${i.dst} = *(${SX_NAMES[c & 0x18]} *)(r${i.src} ${off(i.off)})`;
    return `${h} r${i.dst} = *(${SIZE_NAMES[c & 0x18]} *)(r${i.src} ${off(i.off)})`;
  }
  if (cls === 0) {
    const mode = c & 0xe0;
    if (mode === 0x20) return `${h} r0 = *(${SIZE_NAMES[c & 0x18]} *)skb[${i.imm}]`;
    if (mode === 0x40) return `${h} r0 = *(${SIZE_NAMES[c & 0x18]} *)skb[r${i.src} + ${i.imm}]`;
    if (c === 0x18) {
      // a map reference prints as the kernel's map address: show one of the same width so columns line up
      if (i.src === 1 || i.src === 2) return `${h} r${i.dst} = 0xffff8881${(0x10000000 + (i.imm & 0xfff) * 0x1000).toString(16).padStart(8, "0")}`;
      const v = (BigInt(u32(BigInt(next?.imm ?? 0))) << 32n) | u32(BigInt(i.imm));
      return `${h} r${i.dst} = 0x${v.toString(16)}`;
    }
    return `${h} BUG_ld_${c.toString(16)}`;
  }
  // jumps
  const op = c & 0xf0;
  if (op === 0x80) {
    if (i.src === 1) return `${h} call pc${off(i.imm)}`;
    if (i.src === 2) return `${h} call kernel-function`;
    // __func_get_name(): a helper name only for src_reg 0; any other src_reg prints as unknown
    const name = i.src === 0 ? helperName(i.imm) : undefined;
    return `${h} call ${name ?? "unknown"}#${i.imm}`;
  }
  if (op === 0x90) return `${h} exit`;
  if (op === 0x00) return cls === 6 ? `${h} gotol pc${off(i.imm)}` : `${h} goto pc${off(i.off)}`;
  if (op === 0xe0) return `${h} may_goto pc${off(i.off)}`;
  const r = cls === 6 ? "w" : "r";
  if (c & 8) return `${h} if ${r}${i.dst} ${JMP_OPS[op >> 4]} ${r}${i.src} goto pc${off(i.off)}`;
  return `${h} if ${r}${i.dst} ${JMP_OPS[op >> 4]} 0x${(i.imm >>> 0).toString(16)} goto pc${off(i.off)}`;
}

export { S64_MAX };
