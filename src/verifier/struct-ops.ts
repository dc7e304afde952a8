// struct_ops programs (BPF_PROG_TYPE_STRUCT_OPS): a program implements one member of a kernel struct such as
// tcp_congestion_ops. It loads with attach_btf_id = the struct's id in the target BTF and
// expected_attach_type = the member's index (src/elf/struct-ops.ts finds both, as libbpf does). The kernel
// then (check_struct_ops_btf_id) checks the member, takes the member's function prototype as the program's
// context (an array of u64 arguments, read through btf_ctx_access: src/verifier/btf-ptr.ts) and hands the
// rest of the verification to the struct_ops type's bpf_verifier_ops: its helpers, argument promotions and
// the fields it lets the program write. Those facts are the struct_ops table's (src/progtypes/struct-ops.ts);
// here is what the verifier does with them, with the kernel's messages.
import type { Btf, BtfType } from "../btf/btf.js";
import { BTF_KIND } from "../btf/btf.js";
import { structOpsHelperAllowed, structOpsKind, type StructOpsKind } from "../progtypes/struct-ops.js";
import { type Env, Reject } from "./env.js";
import type { Reg } from "./state.js";
import { findByNameKind, resolveSize, skipMods } from "./target-btf.js";

const STRUCT_OPS = 27;

/** The member a struct_ops program implements, in the target BTF. */
export interface StructOpsMember {
  /** The kernel struct's name (`tcp_congestion_ops`) and its struct_ops type, when bpfkit models it. */
  structName: string;
  kind: StructOpsKind | undefined;
  member: string;
  index: number;
  /** The member's FUNC_PROTO (undefined: the member is no function pointer). */
  proto: number | undefined;
  /** Byte offset of the member in the struct. */
  offset: number;
}

const cache = new WeakMap<object, StructOpsMember | null>();

/** The program's struct and member (attach_btf_id, expected_attach_type), or undefined when it is no struct_ops program with both. */
export function structOpsMember(env: Env): StructOpsMember | undefined {
  if (env.opts.progType !== STRUCT_OPS) return undefined;
  const hit = cache.get(env.opts);
  if (hit !== undefined) return hit ?? undefined;
  const found = findMember(env.opts.targetBtf, env.opts.attachBtfId ?? 0, env.opts.attachType ?? 0);
  cache.set(env.opts, found ?? null);
  return found;
}

function findMember(btf: Btf | undefined, structId: number, index: number): StructOpsMember | undefined {
  const t = btf && structId > 0 ? btf.types[structId] : undefined;
  if (!btf || !t || t.kind !== BTF_KIND.STRUCT) return undefined;
  const m = t.members?.[index];
  const out: StructOpsMember = { structName: t.name, kind: structOpsKind(t.name), member: m?.name ?? "", index, proto: undefined, offset: 0 };
  if (!m) return out;
  out.offset = (t.kflag ? m.offset & 0xffffff : m.offset) / 8;
  const p = skipMods(btf, m.type).t;
  if (p.kind === BTF_KIND.PTR) {
    const f = skipMods(btf, p.sizeOrType);
    if (f.t.kind === BTF_KIND.FUNC_PROTO) out.proto = f.id;
  }
  return out;
}

/**
 * check_struct_ops_btf_id (from check_attach_btf_id, before the walk): a GPL licence, a struct the kernel
 * registered as a struct_ops type, a member that is a function pointer the type supports (its cfi stub, its
 * check_member: sleepable members). Returns the refusal, or undefined.
 */
export function checkStructOpsAttach(env: Env): Reject | undefined {
  if (env.opts.progType !== STRUCT_OPS) return undefined;
  if (!env.opts.gpl) return new Reject("struct ops programs must have a GPL compatible license", 22);
  const id = env.opts.attachBtfId ?? 0;
  // no attach_btf_id: -ENOTSUPP before anything is logged
  if (!id) return new Reject("bpfkit: a struct_ops program needs the struct and member it implements (attach_btf_id, expected_attach_type); libbpf finds them in the object's .struct_ops maps", 524);
  const btf = env.opts.targetBtf;
  if (!btf) return new Reject("bpfkit: verifying a struct_ops program needs the target kernel's BTF", 524);
  const t = btf.types[id];
  // bpf_struct_ops_find: the kernel registered a struct_ops type for it (its map value type is in the BTF)
  if (!t || t.kind !== BTF_KIND.STRUCT || findByNameKind(btf, `bpf_struct_ops_${t.name}`, BTF_KIND.STRUCT) < 0) {
    return new Reject(`attach_btf_id ${id} is not a supported struct`, 524);
  }
  const m = structOpsMember(env)!;
  const nMembers = t.members?.length ?? 0;
  if (m.index >= nMembers) return new Reject(`attach to invalid member idx ${m.index} of struct ${t.name}`, 22);
  if (m.proto === undefined) return new Reject(`attach to invalid member ${m.member}(@idx ${m.index}) of struct ${t.name}`, 22);
  if (!m.kind) return new Reject(`bpfkit: the struct_ops type ${t.name} is not modelled (its helpers, context and writable fields are its own)`, 95);
  // bpf_struct_ops_supported: the type's cfi stubs leave the member NULL
  if (m.kind.unsupportedMembers.includes(m.member)) return new Reject(`attach to unsupported member ${m.member} of struct ${t.name}`, 524);
  if (env.opts.sleepable && m.kind.sleepableMembers && !m.kind.sleepableMembers.includes(m.member)) {
    return new Reject(`attach to unsupported member ${m.member} of struct ${t.name}`, 22);
  }
  return undefined;
}

/** The member's prototype, as btf_ctx_access reads the context (attach_func_proto, attach_func_name). */
export function structOpsProto(env: Env): { name: string; proto: number; skipFirst: false } | undefined {
  const m = structOpsMember(env);
  return m?.proto !== undefined ? { name: m.member, proto: m.proto, skipFirst: false } : undefined;
}

/** The member returns void: check_return_code lets the program end with anything (R0 unread). */
export function structOpsReturnsVoid(env: Env): boolean {
  const m = structOpsMember(env);
  const btf = env.opts.targetBtf;
  return m?.proto !== undefined && !!btf && btf.types[m.proto]!.sizeOrType === 0;
}

/**
 * After btf_ctx_access gave argument `arg` the BTF id `id`: the type's is_valid_access may promote it
 * (tcp_congestion_ops: a trusted `struct sock *` is the `struct tcp_sock` it always is), and a stub's
 * `__nullable` argument may be NULL (the member's ctx_arg_info).
 */
export function structOpsArg(env: Env, arg: number, id: number, safe: boolean): { id: number; maybeNull: boolean } {
  const m = structOpsMember(env);
  const btf = env.opts.targetBtf;
  if (!m?.kind || !btf) return { id, maybeNull: false };
  const maybeNull = (m.kind.nullableArgs?.[m.member] ?? []).includes(arg);
  const p = m.kind.promoteArg;
  // the promotion looks at the type btf_ctx_access gave, before a nullable argument's PTR_MAYBE_NULL
  if (p && safe && btf.types[id]?.name === p.from && id === findByNameKind(btf, p.from, BTF_KIND.STRUCT)) {
    const to = findByNameKind(btf, p.to, BTF_KIND.STRUCT);
    if (to > 0) return { id: to, maybeNull };
  }
  return { id, maybeNull };
}

/** get_func_proto of the program's struct_ops type: whether the member's program may call helper `short`. */
export function structOpsHelper(env: Env, short: string): boolean {
  const m = structOpsMember(env);
  return !m?.kind || structOpsHelperAllowed(m.kind, m.member, short);
}

/**
 * The type's btf_struct_access for a write through a kernel BTF pointer (check_ptr_to_btf_access hands
 * every write of a program type that has one to it): tcp_congestion_ops lets a program write a few
 * tcp_sock fields. Throws the kernel's refusal; returns when the write is allowed.
 */
export function structOpsWrite(env: Env, reg: Reg, off: number, size: number): void {
  const m = structOpsMember(env);
  const btf = env.opts.targetBtf;
  const w = m?.kind?.writable;
  if (!btf || !w) throw new Reject("only read is supported");
  const structId = findByNameKind(btf, w.struct, BTF_KIND.STRUCT);
  if (skipMods(btf, reg.btfId).id !== structId) throw new Reject(w.otherStruct ?? "only read is supported");
  if (w.whole) {
    if (off + size > (resolveSize(btf, structId)?.size ?? 0)) throw new Reject(`write access at off ${off} with size ${size}`);
    return;
  }
  for (const f of w.fields) {
    const at = fieldRange(btf, structId, f.path);
    if (!at) continue;
    if (f.anyOffset ? off < at.off || off >= at.end : off !== at.off) continue;
    if (off + size > at.end) throw new Reject(`write access at off ${off} with size ${size} beyond the member of ${w.struct} ended at ${at.end}`);
    return;
  }
  throw new Reject(`no write support to ${w.struct} at off ${off}`);
}

/** The byte range of a member reached by names through nested structs (each name searched depth first). */
function fieldRange(btf: Btf, structId: number, path: readonly string[]): { off: number; end: number } | undefined {
  let base = 0, id = structId;
  for (const name of path) {
    const hit = findNested(btf, skipMods(btf, id).t, name);
    if (!hit) return undefined;
    base += hit.off;
    id = hit.type;
  }
  const size = resolveSize(btf, id)?.size;
  return size === undefined ? undefined : { off: base, end: base + size };
}

function findNested(btf: Btf, t: BtfType, name: string, depth = 0): { off: number; type: number } | undefined {
  if (depth > 8) return undefined;
  for (const m of t.members ?? []) {
    const off = (t.kflag ? m.offset & 0xffffff : m.offset) / 8;
    if (m.name === name) return { off, type: m.type };
  }
  for (const m of t.members ?? []) {
    const mt = skipMods(btf, m.type).t;
    if (mt.kind !== BTF_KIND.STRUCT && mt.kind !== BTF_KIND.UNION) continue;
    const hit = findNested(btf, mt, name, depth + 1);
    if (hit) return { off: hit.off + (t.kflag ? m.offset & 0xffffff : m.offset) / 8, type: hit.type };
  }
  return undefined;
}
