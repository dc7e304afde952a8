// kptrs: BTF pointers stored in map values (`__kptr` referenced, `__kptr_untrusted`, `__percpu_kptr`). A
// load gives a maybe-NULL BTF pointer (RCU-protected inside an RCU section for the types the kernel frees
// after a grace period, untrusted otherwise); a referenced kptr is only ever swapped with bpf_kptr_xchg,
// which releases the reference passed in and acquires the one taken out (check_map_access,
// check_map_kptr_access, process_kptr_func, map_kptr_match_type).
import { BTF_KIND } from "../btf/btf.js";
import type { Btf } from "../btf/btf.js";
import { type Env, Reject, regs } from "./env.js";
import { regTypeStr } from "./log.js";
import type { KptrField } from "./map-fields.js";
import { isConst } from "./scalar.js";
import { constOf, isZero, sminOf, uconstOf, umaxOf } from "./scalar-read.js";
import { type Reg, TF } from "./state.js";
import { tnumStr } from "./tnum.js";
import { btfOf, btfPtr, inRcuCs } from "./btf-ptr.js";
import { findByNameKind, structIdsMatch, typeName } from "./target-btf.js";

const fieldName = (f: KptrField): string => (f.kind === "percpu" ? "percpu_kptr" : "kptr");

/** The struct a kptr points to: the kernel's type of that name, else the program's own (a local object). */
export function kptrTarget(env: Env, f: KptrField): { btf: Btf; id: number; local: boolean } | undefined {
  const target = env.opts.targetBtf;
  const kid = target ? findByNameKind(target, f.name, BTF_KIND.STRUCT) : -1;
  if (target && kid > 0) return { btf: target, id: kid, local: false };
  const pb = env.opts.progBtf;
  return pb ? { btf: pb, id: f.localId, local: true } : undefined;
}

/**
 * check_map_access for the kptr fields of a map value: a load or store touching one must be an aligned
 * 8-byte access at a constant offset, by an instruction (not a helper).
 */
export function checkKptrOverlap(env: Env, reg: Reg, off: number, size: number, direct: boolean): void {
  const kptrs = env.opts.fields[reg.map]?.kptrs;
  if (!kptrs) return;
  for (const f of kptrs) {
    if (!(sminOf(reg) + BigInt(off) < BigInt(f.off + 8) && BigInt(f.off) < umaxOf(reg) + BigInt(off + size))) continue;
    const name = fieldName(f);
    if (!direct) throw new Reject(`${name} cannot be accessed indirectly by helper`);
    if (!isConst(reg)) throw new Reject(`${name} access cannot have variable offset`);
    const at = BigInt(off) + uconstOf(reg);
    if (BigInt(f.off) !== at) throw new Reject(`${name} access misaligned expected=${f.off} off=${at}`);
    if (size !== 8) throw new Reject(`${name} access size must be BPF_DW`);
  }
}

/** The kptr field at exactly this offset of the map's value, if any. */
export function kptrAt(env: Env, map: number, off: number): KptrField | undefined {
  return env.opts.fields[map]?.kptrs?.find((f) => f.off === off);
}

/** The types the kernel frees after an RCU grace period (rcu_protected_types), so their kptrs may be read under RCU. */
const RCU_PROTECTED = new Set(["prog_test_ref_kfunc", "cgroup", "bpf_cpumask", "task_struct", "bpf_crypto_ctx"]);

/**
 * check_map_kptr_access: a load gives a maybe-NULL BTF pointer; a store into a referenced kptr is refused
 * (bpf_kptr_xchg only); an unreferenced one takes a matching pointer or NULL.
 */
export function checkKptrAccess(env: Env, f: KptrField, cls: "ldx" | "stx" | "st", valueRegno: number, imm: number | undefined, mode: number): void {
  if (mode !== 0x60) throw new Reject("kptr in map can only be accessed using BPF_MEM instruction mode");
  if (cls !== "ldx" && (f.kind === "ref" || f.kind === "percpu")) throw new Reject("store to referenced kptr disallowed");
  const R = regs(env);
  const target = kptrTarget(env, f);
  if (cls === "ldx") {
    if (!target) throw new Reject(`kptr type ${f.name} not found`, 22);
    let flags: number;
    const rcuSafe = f.kind === "percpu" || (f.kind === "ref" && (target.local || RCU_PROTECTED.has(f.name)));
    if (rcuSafe && inRcuCs(env)) {
      flags = TF.RCU;
      if (f.kind === "percpu") flags |= TF.PERCPU;
      else if (target.local) flags |= TF.ALLOC;
    } else flags = TF.UNTRUSTED;
    const r = btfPtr(target.id, flags | (target.local ? TF.LOCAL : 0));
    r.maybeNull = true;
    r.id = ++env.idGen;
    R[valueRegno] = r;
    return;
  }
  if (cls === "stx") {
    const v = R[valueRegno]!;
    if (!(v.type === "scalar" && isZero(v))) kptrMatchType(env, f, v, valueRegno);
    return;
  }
  if (imm) throw new Reject(`BPF_ST imm must be 0 when storing to kptr at off=${f.off}`);
}

/** map_kptr_match_type: the register holds a pointer of exactly the kptr's type (its flags within what the kptr allows). */
export function kptrMatchType(env: Env, f: KptrField, reg: Reg, regno: number): void {
  const target = kptrTarget(env, f);
  const targ = target ? typeName(target.btf, target.id) : f.name;
  const kernelReg = !(reg.tflags & TF.LOCAL);
  let perm = kernelReg ? TF.TRUSTED | TF.RCU : TF.ALLOC;
  if (kernelReg && f.kind === "unref") perm |= TF.UNTRUSTED;
  if (!kernelReg && f.kind === "percpu") perm |= TF.PERCPU;
  const bad = (name: string): Reject => new Reject(`invalid kptr access, R${regno} type=${regTypeStr(reg)}${name} expected=ptr_${targ}${f.kind === "unref" ? ` or untrusted_ptr_${targ}` : ""}`, 22);
  if (reg.type !== "btf_id" || (reg.tflags & ~TF.LOCAL & ~perm) !== 0) throw bad("");
  const rbtf = btfOf(env, reg);
  const regName = rbtf ? typeName(rbtf, reg.btfId) : "";
  if (reg.off < 0) throw new Reject(`negative offset ${regTypeStr(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!isZero(reg)) throw new Reject(`variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
  if (!target || !rbtf || rbtf !== target.btf || !structIdsMatch(rbtf, reg.btfId, reg.off, target.id, f.kind !== "unref", true)) throw bad(regName);
}

/** process_kptr_func for bpf_kptr_xchg's destination: a referenced kptr field of a map value, at a constant offset. */
export function kptrXchgDest(env: Env, regno: number, reg: Reg): KptrField {
  if (reg.type !== "map_value") throw new Reject(`R${regno} type=${regTypeStr(reg)} expected=map_value`);
  if (!isConst(reg)) throw new Reject(`R${regno} doesn't have constant offset. kptr has to be at the constant offset`, 22);
  const kptrs = env.opts.fields[reg.map]?.kptrs;
  if (!kptrs?.length) throw new Reject(`R${regno} has no valid kptr`, 22);
  const off = reg.off + Number(constOf(reg));
  const f = kptrs.find((k) => k.off === off);
  if (!f) throw new Reject(`off=${off} doesn't point to kptr`, 13);
  if (f.kind !== "ref" && f.kind !== "percpu") throw new Reject(`off=${off} kptr isn't referenced kptr`, 13);
  return f;
}

/** bpf_kptr_xchg's result: the old kptr, a maybe-NULL referenced pointer of the kptr's type (an allocated one for local types). */
export function kptrXchgReturn(env: Env, f: KptrField): Reg {
  const target = kptrTarget(env, f);
  if (!target) throw new Reject(`kptr type ${f.name} not found`, 22);
  let flags = 0;
  if (target.local) { flags = TF.ALLOC | TF.LOCAL; if (f.kind === "percpu") flags |= TF.PERCPU; }
  return btfPtr(target.id, flags);
}
