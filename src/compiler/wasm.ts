// A WebAssembly binary writer, by hand: LEB128 numbers, the few section kinds a compiled BPF program
// needs (types, imports, functions, globals, exports, code) and a function-body builder with one method
// per instruction used. No validation here: tests run wabt's validator over what the compiler emits.

/** Value types. */
export const I32 = 0x7f as const, I64 = 0x7e as const;
export type ValType = typeof I32 | typeof I64;
/** Block type of a structured instruction that yields nothing. */
const VOID = 0x40;

/** Opcodes used by the compiler (names as in the text format). */
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, br_table: 0x0e,
  return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

const utf8 = new TextEncoder();

/** A growable byte buffer with LEB128 writers. */
export class Bytes {
  buf: Uint8Array;
  len = 0;
  constructor(capacity = 256) { this.buf = new Uint8Array(capacity); }
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b: number): void { this.grow(1); this.buf[this.len++] = b; }
  u32(v: number): void {
    this.grow(5);
    v >>>= 0;
    do { let b = v & 0x7f; v >>>= 7; if (v !== 0) b |= 0x80; this.buf[this.len++] = b; } while (v !== 0);
  }
  s32(v: number): void {
    this.grow(5);
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.buf[this.len++] = b; return; }
      this.buf[this.len++] = b | 0x80;
    }
  }
  s64(v: bigint): void {
    v = BigInt.asIntN(64, v);
    if (v >= -0x80000000n && v <= 0x7fffffffn) { this.s32(Number(v)); return; }
    this.grow(10);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { this.buf[this.len++] = b; return; }
      this.buf[this.len++] = b | 0x80;
    }
  }
  bytes(b: Uint8Array): void { this.grow(b.length); this.buf.set(b, this.len); this.len += b.length; }
  name(s: string): void {
    // Names here are ASCII (import and export names): written as they are, without an encoder per name.
    if (/^[\x00-\x7f]*$/.test(s)) {
      this.u32(s.length);
      this.grow(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
      return;
    }
    const b = utf8.encode(s); this.u32(b.length); this.bytes(b);
  }
  /**
   * Write something whose byte length comes first (a section, a function body) in place: `write` appends
   * the content, which is then moved up by the length's LEB128 size (no buffer of its own to copy from).
   */
  sized(write: () => void): void {
    const at = this.len;
    write();
    const n = this.len - at;
    let k = 1;
    for (let v = n >>> 7; v !== 0; v >>>= 7) k++;
    this.grow(k);
    this.buf.copyWithin(at + k, at, at + n);
    let v = n;
    for (let i = 0; i < k; i++) { let b = v & 0x7f; v >>>= 7; if (i < k - 1) b |= 0x80; this.buf[at + i] = b; }
    this.len += k;
  }
  /** A vector: count then the items. */
  vec<T>(items: readonly T[], each: (x: T) => void): void { this.u32(items.length); for (const x of items) each(x); }
  done(): Uint8Array { return this.buf.slice(0, this.len); }
}

/** One function body: locals and instructions. Structured instructions are counted so `br` depths can be checked. */
export class Body extends Bytes {
  private readonly locals: ValType[] = [];
  constructor(readonly params: readonly ValType[]) { super(); }
  /** A new local of `type`; returns its index. */
  local(type: ValType): number { this.locals.push(type); return this.params.length + this.locals.length - 1; }
  op(o: number): this { this.byte(o); return this; }
  get(i: number): this { this.byte(OP.local_get); this.u32(i); return this; }
  set(i: number): this { this.byte(OP.local_set); this.u32(i); return this; }
  tee(i: number): this { this.byte(OP.local_tee); this.u32(i); return this; }
  gget(i: number): this { this.byte(OP.global_get); this.u32(i); return this; }
  gset(i: number): this { this.byte(OP.global_set); this.u32(i); return this; }
  i32(v: number): this { this.byte(OP.i32_const); this.s32(v); return this; }
  i64(v: bigint | number): this {
    this.byte(OP.i64_const);
    if (typeof v === "number" && v >= -0x80000000 && v <= 0x7fffffff && Number.isInteger(v)) this.s32(v); // no BigInt needed
    else this.s64(BigInt(v));
    return this;
  }
  /** A load or store with its alignment hint (log2 of the natural size) and constant offset. */
  mem(o: number, align: number, offset: number): this { this.byte(o); this.u32(align); this.u32(offset); return this; }
  block(): this { this.byte(OP.block); this.byte(VOID); return this; }
  loop(): this { this.byte(OP.loop); this.byte(VOID); return this; }
  if_(): this { this.byte(OP.if); this.byte(VOID); return this; }
  else_(): this { this.byte(OP.else); return this; }
  end(): this { this.byte(OP.end); return this; }
  br(depth: number): this { this.byte(OP.br); this.u32(depth); return this; }
  brIf(depth: number): this { this.byte(OP.br_if); this.u32(depth); return this; }
  brTable(depths: readonly number[], dflt: number): this { this.byte(OP.br_table); this.vec(depths, (d) => this.u32(d)); this.u32(dflt); return this; }
  call(f: number): this { this.byte(OP.call); this.u32(f); return this; }
  ret(): this { this.byte(OP.return); return this; }
  memoryFill(): this { this.byte(0xfc); this.u32(11); this.byte(0); return this; }
  memoryCopy(): this { this.byte(0xfc); this.u32(10); this.byte(0); this.byte(0); return this; }

  /** The encoded body: local declarations (runs of one type) then the code and `end`. */
  encode(): Uint8Array {
    const out = new Bytes(this.len + 32);
    this.encodeInto(out);
    return out.done();
  }
  /** encode() appended to `out` (its size first). */
  encodeInto(out: Bytes): void {
    out.sized(() => {
      const runs: [number, ValType][] = [];
      for (const t of this.locals) {
        const last = runs[runs.length - 1];
        if (last && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      out.vec(runs, ([n, t]) => { out.u32(n); out.byte(t); });
      out.bytes(this.buf.subarray(0, this.len));
      out.byte(OP.end);
    });
  }
}

export interface FuncType { params: ValType[]; results: ValType[] }
export interface Import { module: string; name: string; type: number }
export interface Global { type: ValType; init: bigint }
export interface Export { name: string; func: number }

/** A module with an imported memory (env.memory), imported functions, functions, mutable globals and exports. */
export class ModuleWriter {
  private readonly types: FuncType[] = [];
  private readonly imports: Import[] = [];
  private readonly funcs: { type: number; body?: Body }[] = [];
  private readonly globals: Global[] = [];
  private readonly exports: Export[] = [];

  type(params: ValType[], results: ValType[]): number {
    const same = (a: readonly ValType[], b: readonly ValType[]): boolean => a.length === b.length && a.every((x, k) => x === b[k]);
    const i = this.types.findIndex((t) => same(t.params, params) && same(t.results, results));
    if (i >= 0) return i;
    this.types.push({ params, results });
    return this.types.length - 1;
  }
  /** Imported functions come first in the function index space: add them all before any function. */
  importFunc(module: string, name: string, params: ValType[], results: ValType[]): number {
    if (this.funcs.length) throw new Error("imports must be added before functions");
    this.imports.push({ module, name, type: this.type(params, results) });
    return this.imports.length - 1;
  }
  global(type: ValType, init: bigint = 0n): number { this.globals.push({ type, init }); return this.globals.length - 1; }
  /** Declare a function (its body is given later with `define`); returns its index. */
  func(params: ValType[], results: ValType[]): number {
    this.funcs.push({ type: this.type(params, results) });
    return this.imports.length + this.funcs.length - 1;
  }
  define(index: number, body: Body): void { this.funcs[index - this.imports.length]!.body = body; }
  paramsOf(index: number): ValType[] { return this.types[this.funcs[index - this.imports.length]!.type]!.params; }
  export(name: string, func: number): void { this.exports.push({ name, func }); }

  encode(): Uint8Array {
    let size = 512;
    for (const f of this.funcs) size += (f.body?.len ?? 0) + 16;
    const out = new Bytes(size);
    out.bytes(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
    const section = (id: number, write: (b: Bytes) => void): void => {
      out.byte(id);
      out.sized(() => write(out));
    };
    section(1, (b) => b.vec(this.types, (t) => { b.byte(0x60); b.vec(t.params, (p) => b.byte(p)); b.vec(t.results, (r) => b.byte(r)); }));
    section(2, (b) => {
      b.u32(this.imports.length + 1);
      b.name("env"); b.name("memory"); b.byte(0x02); b.byte(0x00); b.u32(0); // memory, no maximum required
      for (const im of this.imports) { b.name(im.module); b.name(im.name); b.byte(0x00); b.u32(im.type); }
    });
    section(3, (b) => b.vec(this.funcs, (f) => b.u32(f.type)));
    if (this.globals.length) {
      section(6, (b) => b.vec(this.globals, (g) => {
        b.byte(g.type); b.byte(1);
        if (g.type === I32) { b.byte(OP.i32_const); b.s32(Number(g.init)); } else { b.byte(OP.i64_const); b.s64(g.init); }
        b.byte(OP.end);
      }));
    }
    section(7, (b) => b.vec(this.exports, (e) => { b.name(e.name); b.byte(0x00); b.u32(e.func); }));
    section(10, (b) => b.vec(this.funcs, (f) => {
      if (!f.body) throw new Error("function declared but never defined");
      f.body.encodeInto(b);
    }));
    return out.done();
  }
}
