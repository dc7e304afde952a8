// Context structs as the program sees them (the uapi "mirror" structs: xdp_md, __sk_buff, bpf_sock_ops,
// ...) and the one access check every stage uses. The rules per field transcribe the kernel's
// `*_is_valid_access` functions (net/core/filter.c); the verifier answers "invalid bpf_context access"
// exactly when `checkContextAccess` says no, and the runtime lays the struct out with these offsets.

/** The register type a load from a pointer field produces (the verifier's PTR_TO_* names in short). */
export type CtxPointer =
  | "pkt" // PTR_TO_PACKET
  | "pkt_end" // PTR_TO_PACKET_END
  | "pkt_meta" // PTR_TO_PACKET_META
  | "sock" // PTR_TO_SOCKET
  | "sock_or_null" // PTR_TO_SOCKET_OR_NULL
  | "sock_common_or_null" // PTR_TO_SOCK_COMMON_OR_NULL
  | "flow_keys"; // PTR_TO_FLOW_KEYS (the flow dissector's struct bpf_flow_keys)

/** One field (array elements are separate fields named `cb[0]` ... `cb[4]`). */
export interface CtxField {
  name: string;
  /** Byte offset in the struct (computed from the C declaration with C alignment rules). */
  offset: number;
  /** Size of the C field in bytes (pointer fields, `__bpf_md_ptr`, are 8). */
  size: number;
  /** Load sizes the program may use (1, 2, 4, 8); empty = not readable. Narrow loads read the low bytes
   * at any naturally aligned offset inside the field (bpf_ctx_narrow_access_ok). */
  read: readonly number[];
  /** Store sizes the program may use; empty = not writable. */
  write: readonly number[];
  /** What a load of this field yields when it is not a plain scalar. */
  pointer?: CtxPointer;
  /** Bytes a load may cover starting at `offset` when larger than `size` (bpf_sock.dst_port: a 4-byte
   * load covers the port and the zero padding after it). */
  span?: number;
  /** An 8-byte access at an 8-aligned offset in this element that also covers the next element of the same
   * array is allowed (bpf_sock_addr.user_ip6: bpf_ctx_wide_access_ok). */
  wide?: boolean;
  /** Sign-extending loads (BPF_MEMSX) are refused (pointer fields). */
  noSignExtend?: boolean;
  /** Narrow loads are allowed only at the field's first byte (the kernel matches `case offsetof(...)`,
   * not `bpf_ctx_range`: bpf_sock_ops.skb_tcp_flags). */
  narrowAtStart?: boolean;
}

export interface ContextLayout {
  /** C struct name as in include/uapi/linux/bpf.h (or `header`). */
  struct: string;
  /** sizeof(struct); for a flexible array, the bound the kernel puts on it. */
  size: number;
  fields: readonly CtxField[];
  /**
   * The uapi header declaring `struct` when it is not <linux/bpf.h> (`linux/bpf_perf_event.h`); null when
   * the context is no C struct (a tracepoint's event record, lirc_mode2's sample): the check against the
   * C compiler's layout skips it.
   */
  header?: string | null;
  /** sizeof(struct) in C when the struct ends in a flexible array the kernel bounds itself
   * (bpf_raw_tracepoint_args.args[0], MAX_BPF_FUNC_ARGS u64s). */
  cSize?: number;
  /**
   * Load sizes allowed at negative offsets (aligned to their size), for the one check that lets them
   * through: tp_prog_is_valid_access tests `off < sizeof(void *)`, an unsigned comparison, so a negative
   * offset is not refused (checked on 6.18: `r0 = *(u64 *)(r1 - 8)` loads in a tracepoint program).
   */
  negativeRead?: readonly number[];
}

/** The answer to "may this program load/store `size` bytes at ctx+`off`?". */
export type CtxAccessResult =
  | { ok: true; field: CtxField; pointer?: CtxPointer; narrow: boolean }
  | { ok: false; reason: string };

export interface CtxAccess {
  off: number;
  size: 1 | 2 | 4 | 8 | number;
  write: boolean;
  /** BPF_MEMSX load. */
  signExtend?: boolean;
}

/** C type of a declared member: scalar of 1/2/4/8 bytes, or an array of them, or padding bits. */
export type CDecl = [name: string, type: "u8" | "u16" | "u32" | "u64" | "ptr" | `u32[${number}]` | `u64[${number}]` | "pad16" | "pad24"];

/** Per-field access rules while building a layout; unspecified fields are not accessible. */
export type FieldRule = Partial<Pick<CtxField, "read" | "write" | "pointer" | "span" | "wide" | "noSignExtend" | "narrowAtStart">>;

/**
 * Lay out a struct from its C declaration (natural alignment, as the C compiler does for these structs)
 * and attach the access rule of each field. `rule(name)` gets the element name (`cb[2]`) and the array
 * name (`cb`) so a rule can be given once per array.
 */
export function layoutStruct(struct: string, decls: readonly CDecl[], rule: (name: string, base: string) => FieldRule | undefined): ContextLayout {
  const fields: CtxField[] = [];
  let off = 0;
  let maxAlign = 1;
  for (const [name, type] of decls) {
    if (type === "pad16") { off += 2; continue; } // `__u16 :16` follows a __be16 and needs no alignment
    if (type === "pad24") { off += 3; continue; } // `__u32 :24` after a __u8: shares its 4-byte unit
    const arr = /^u(32|64)\[(\d+)\]$/.exec(type);
    const elemSize = arr ? Number(arr[1]) / 8 : type === "u8" ? 1 : type === "u16" ? 2 : type === "u32" ? 4 : 8;
    const count = arr ? Number(arr[2]) : 1;
    off = Math.ceil(off / elemSize) * elemSize;
    maxAlign = Math.max(maxAlign, elemSize);
    for (let i = 0; i < count; i++) {
      const elemName = arr ? `${name}[${i}]` : name;
      const r = rule(elemName, name) ?? {};
      const f: CtxField = { name: elemName, offset: off, size: elemSize, read: r.read ?? [], write: r.write ?? [] };
      if (r.pointer) f.pointer = r.pointer;
      if (r.span) f.span = r.span;
      if (r.wide) f.wide = r.wide;
      if (r.noSignExtend || r.pointer) f.noSignExtend = true;
      if (r.narrowAtStart) f.narrowAtStart = true;
      fields.push(f);
      off += elemSize;
    }
  }
  return { struct, size: Math.ceil(off / maxAlign) * maxAlign, fields };
}

/** Field containing byte `off` (a field's own bytes first, then the padding a `span` covers), or undefined
 * (padding or out of range). */
export function fieldAt(layout: ContextLayout, off: number): CtxField | undefined {
  return layout.fields.find((f) => off >= f.offset && off < f.offset + f.size)
    ?? layout.fields.find((f) => off >= f.offset && off < f.offset + Math.max(f.size, f.span ?? 0));
}

/** Field by name (`data`, `cb[1]`). */
export function fieldByName(layout: ContextLayout, name: string): CtxField | undefined {
  return layout.fields.find((f) => f.name === name);
}

/** Apply the field rules to one access, with the kernel's checks for range, alignment and narrowing. */
export function checkContextAccess(layout: ContextLayout, a: CtxAccess): CtxAccessResult {
  const { off, size, write } = a;
  const kind = write ? "write" : "read";
  if (off < 0 && !write && layout.negativeRead) return negativeLoad(layout, layout.negativeRead, off, size);
  if (off < 0 || off >= layout.size) return { ok: false, reason: `offset ${off} is outside struct ${layout.struct} (size ${layout.size})` };
  if (![1, 2, 4, 8].includes(size)) return { ok: false, reason: `access size ${size} is not 1, 2, 4 or 8` };
  if (off % size !== 0) return { ok: false, reason: `${size}-byte ${kind} at offset ${off} is not aligned to its size` };
  const field = fieldAt(layout, off);
  if (!field) return { ok: false, reason: `offset ${off} of struct ${layout.struct} is padding, not a field` };
  const name = `${layout.struct}.${field.name}`;
  // the padding a span covers is reachable only by a load that starts inside the field (bpf_sock.dst_port)
  if (off >= field.offset + field.size) return { ok: false, reason: `offset ${off} is the padding after ${name}: load ${field.span} bytes at offset ${field.offset} instead` };
  const allowed = write ? field.write : field.read;
  if (allowed.length === 0) return { ok: false, reason: `${name} is not ${write ? "writable" : "readable"} in this program type` };
  if (a.signExtend && field.noSignExtend) return { ok: false, reason: `${name} cannot be loaded with sign extension` };
  if (size === 8 && field.wide && off % 8 === 0) {
    const next = layout.fields.find((f) => f.offset === field.offset + field.size);
    if (next && next.wide && next.name.replace(/\[\d+\]$/, "") === field.name.replace(/\[\d+\]$/, "")) return { ok: true, field, narrow: false };
  }
  if (!allowed.includes(size)) {
    return { ok: false, reason: `${name} allows ${kind}s of ${allowed.join(" or ")} bytes, not ${size}` };
  }
  const end = field.offset + Math.max(field.size, field.span ?? 0);
  if (off + size > end) return { ok: false, reason: `${size}-byte ${kind} at offset ${off} runs past the end of ${name}` };
  if (field.narrowAtStart && off !== field.offset) return { ok: false, reason: `${name} may only be loaded at its first byte (offset ${field.offset})` };
  const narrow = size < field.size || off !== field.offset;
  if (field.pointer && narrow) return { ok: false, reason: `${name} is a pointer and must be loaded whole` };
  const res: CtxAccessResult = { ok: true, field, narrow };
  if (field.pointer && !write) res.pointer = field.pointer;
  return res;
}

/** A load before the start of a layout that allows them (`negativeRead`): only size and alignment count. */
function negativeLoad(layout: ContextLayout, sizes: readonly number[], off: number, size: number): CtxAccessResult {
  if (!sizes.includes(size)) return { ok: false, reason: `access size ${size} is not ${sizes.join(", ")}` };
  if (off % size !== 0) return { ok: false, reason: `${size}-byte read at offset ${off} is not aligned to its size` };
  const field: CtxField = { name: `(before ${layout.struct})`, offset: off, size, read: sizes, write: [] };
  return { ok: true, field, narrow: false };
}

/** Shorthands for rules. */
export const NARROW_READ = [1, 2, 4] as const; // bpf_ctx_narrow_access_ok on a u32
export const WORD = [4] as const;
export const DWORD = [8] as const;
export const ANY_SIZE = [1, 2, 4, 8] as const; // tracing contexts: any aligned load inside the field
export const NONE = [] as const;

// ---- context changes (issue #15 item 11) ----

/** One context field the program changed: `skb->mark 0 -> 42`. Values are the field's bytes read little-endian. */
export interface CtxChange {
  /** Field name in the layout (`mark`, `cb[1]`, `user_ip4`). */
  field: string;
  /** `skb->mark`: the field as C code names it (see ctxVarName). */
  name: string;
  size: number;
  before: bigint;
  after: bigint;
}

/** The variable name C programs use for a context struct, for `skb->mark`-style names. */
const CTX_VAR: Record<string, string> = {
  __sk_buff: "skb", xdp_md: "xdp", bpf_sock_ops: "skops", sk_msg_md: "msg", bpf_sock_addr: "ctx", bpf_sock: "sk",
  bpf_sockopt: "ctx", bpf_sysctl: "ctx", sk_reuseport_md: "reuse", bpf_sk_lookup: "ctx", bpf_flow_keys: "keys",
};
export const ctxVarName = (layout: ContextLayout): string => CTX_VAR[layout.struct] ?? "ctx";

function readLe(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

/**
 * The fields the program may write (by this program type's access rules) whose bytes differ between
 * `before` (the context as the run started, or ctx_in) and `after`; pointer fields never count. `seen`
 * limits it to the fields an engine can report (the kernel's ctx_out carries only some).
 */
export function contextChanges(layout: ContextLayout, before: Uint8Array, after: Uint8Array, seen?: (field: CtxField) => boolean): CtxChange[] {
  const out: CtxChange[] = [];
  const v = ctxVarName(layout);
  for (const f of layout.fields) {
    if (!f.write.length || f.pointer || (seen && !seen(f))) continue;
    const a = readLe(before, f.offset, f.size), b = readLe(after, f.offset, f.size);
    if (a !== b) out.push({ field: f.name, name: `${v}->${f.name}`, size: f.size, before: a, after: b });
  }
  return out;
}

/** A value of a changed field as people read it: `42 (0x2a)`, dotted for IPv4 address fields (`user_ip4`). */
export function formatCtxValue(change: Pick<CtxChange, "field" | "size" | "before">, v: bigint): string {
  if (change.size === 4 && /ip4$/.test(change.field)) return [0, 8, 16, 24].map((s) => Number((v >> BigInt(s)) & 0xffn)).join(".");
  return v > 9n ? `${v} (0x${v.toString(16)})` : v.toString();
}
