// The one WebAssembly.Memory every engine and helper shares, its bump allocator and the region table
// checked mode uses. A BPF pointer is a byte address in this memory (layout: README.md in this folder).
import { BpfkitError, diag } from "../diagnostics/index.js";
import { C, CTRL, CTX, CTX_MAX, DYN_BASE, REGION_MAX, REGIONS, REGS, R_READ, R_WRITE, STACK, STACK_END, STACK_FRAME } from "./layout.js";

export type RegionKind = "stack" | "ctx" | "packet" | "map_value" | "ringbuf" | "memory" | "scratch";

/** A span of memory a program may address, with a readable name for error messages. */
export interface Region {
  kind: RegionKind;
  name: string;
  start: number;
  end: number;
  flags: number;
  /** For packets: where data/data_end sit inside the buffer (start..end covers data only). */
  note?: string;
}

const PAGE = 65536;
/** Hard ceiling for one runtime's memory (the Wasm32 limit is 4 GiB; stay well below it). */
const MAX_BYTES = 1024 * 1024 * 1024;

// Module-local copies: imported bindings can cost a getter call per use under some loaders.
const REGS_ = REGS, CTRL_ = CTRL;
const C_ = { ...C };

export class RuntimeMemory {
  readonly memory: WebAssembly.Memory;
  private top = DYN_BASE;
  private buffer!: ArrayBuffer;
  private _u8!: Uint8Array;
  private _dv!: DataView;
  private _u32!: Uint32Array;
  private _u64!: BigUint64Array;
  /** Regions that exist for the life of the runtime (stack, ctx, map arenas); run-specific ones are added per run. */
  readonly fixed: Region[] = [];
  private active: Region[] = [];
  private lastExtra: Region[] | undefined;

  constructor(initialBytes = 4 * 1024 * 1024) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: MAX_BYTES / PAGE });
    this.refresh();
    this.fixed.push({ kind: "stack", name: "stack", start: STACK, end: STACK_END, flags: R_READ | R_WRITE });
  }

  private refresh(): void {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this._u8 = new Uint8Array(this.buffer);
      this._dv = new DataView(this.buffer);
      this._u32 = new Uint32Array(this.buffer);
      this._u64 = new BigUint64Array(this.buffer);
    }
  }

  // Views are re-created only when alloc() grows the memory: reading WebAssembly.Memory#buffer on every
  // access costs more than a whole short program run, and nothing else grows it (the Wasm modules never
  // call memory.grow).
  /** 32- and 64-bit element views (index = address / 4 or / 8) for hot paths. */
  get u32(): Uint32Array { return this._u32; }
  get u64(): BigUint64Array { return this._u64; }
  /** Byte view of the whole memory. */
  get u8(): Uint8Array { return this._u8; }
  get dv(): DataView { return this._dv; }

  /** Allocate `size` bytes (zeroed: memory is never handed out twice), aligned to `align`. */
  alloc(size: number, align = 8, what = "memory"): number {
    const start = Math.ceil(this.top / align) * align;
    const end = start + Math.max(size, 0);
    if (end > MAX_BYTES) {
      throw new BpfkitError(diag("BK5008", { what: `out of runtime memory allocating ${size} bytes for ${what} (limit ${MAX_BYTES} bytes)` }));
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.refresh();
    }
    this.top = end;
    return start;
  }

  get used(): number { return this.top; }

  // Typed-array element access (the host is little-endian, as Wasm memory is): much cheaper than
  // DataView BigInt accessors on the per-run path.
  reg(i: number): bigint { return this._u64[(REGS_ >> 3) + i]!; }
  setReg(i: number, v: bigint): void { this._u64[(REGS_ >> 3) + i] = v; }
  /** Zero r0-r10. */
  clearRegs(): void { this._u32.fill(0, REGS_ >> 2, (REGS_ >> 2) + 22); }
  ctrl32(field: keyof typeof C): number { return this._u32[(CTRL_ + C_[field]) >> 2]!; }
  setCtrl32(field: keyof typeof C, v: number): void { this._u32[(CTRL_ + C_[field]) >> 2] = v; }
  ctrl64(field: keyof typeof C): bigint { return this._u64[(CTRL_ + C_[field]) >> 3]!; }
  setCtrl64(field: keyof typeof C, v: bigint): void { this._u64[(CTRL_ + C_[field]) >> 3] = v; }

  read(addr: number, len: number): Uint8Array { return this.u8.slice(addr, addr + len); }
  write(addr: number, bytes: Uint8Array): void { this.u8.set(bytes, addr); }
  fill(addr: number, len: number, value = 0): void { this.u8.fill(value, addr, addr + len); }

  /** Install the fixed regions plus `extra` in the Wasm-visible region table (checked mode). */
  setRegions(extra: Region[]): void {
    if (extra === this.lastExtra) return; // unchanged since the last run (callers pass a new array on change)
    this.lastExtra = extra;
    // The stack is checked by the interpreter itself (frames 0..depth); it stays in `active` for messages.
    const table = [...extra, ...this.fixed.filter((r) => r.kind !== "stack")];
    const all = [...extra, ...this.fixed];
    if (table.length > REGION_MAX) throw new BpfkitError(diag("BK5008", { what: `too many memory regions (${all.length} > ${REGION_MAX})` }));
    const dv = this.dv;
    table.forEach((r, i) => {
      const e = REGIONS + i * 16;
      dv.setUint32(e, r.start, true);
      dv.setUint32(e + 4, r.end, true);
      dv.setUint32(e + 8, r.flags, true);
      dv.setUint32(e + 12, i, true);
    });
    this.setCtrl32("NREGIONS", table.length);
    this.active = all;
  }

  /** Describe a faulting access: the region it is nearest to and what is wrong with it. */
  describeFault(addr: bigint, size: number, write: boolean, depth = 0): { location: string; reason: string } {
    const access = write ? "write" : "read";
    if (addr < BigInt(0x1000)) return { location: `address 0x${addr.toString(16)}`, reason: " (NULL pointer dereference)" };
    if (addr >= 1n << 32n) return { location: `address 0x${addr.toString(16)}`, reason: " (not a pointer into program memory)" };
    const a = Number(addr);
    // The region containing the first byte, else the nearest region below the address.
    let best: Region | undefined;
    for (const r of this.active) {
      if (a >= r.start && a < r.end) { best = r; break; }
      if (r.start <= a && (!best || r.start > best.start)) best = r;
    }
    if (!best) return { location: `address 0x${a.toString(16)}`, reason: " (outside every region the program may access)" };
    const off = a - best.start;
    const len = best.end - best.start;
    if (best.kind === "stack") {
      const fp = STACK + (depth + 1) * STACK_FRAME; // r10 of the frame that faulted
      const rel = a - fp;
      const where = `stack r10${rel < 0 ? "" : "+"}${rel} (frame ${depth})`;
      if (a + size > fp) return { location: where, reason: ` is above the top of the stack (r10 is the top; use negative offsets)` };
      return { location: where, reason: ` is not allowed` };
    }
    const location = best.kind === "ctx" ? `ctx+${a - CTX}` : `${best.name}+${off}`;
    const inside = a >= best.start && a + size <= best.end;
    if (inside && (best.flags & (write ? R_WRITE : R_READ)) === 0) return { location, reason: ` is not allowed: ${best.name} is ${write ? "read-only" : "write-only"}` };
    if (best.kind === "packet") return { location, reason: ` is past data_end (packet is ${len} bytes)` };
    if (best.kind === "ctx") {
      const struct = best.name.split(".")[0];
      return { location, reason: ` is not inside a field of ${struct} this program type may access` };
    }
    return { location, reason: ` is past the end of ${best.name} (${len} bytes)` };
  }
}

/** Where the context struct lives; its region is added per run with the program type's size. */
export const ctxRegion = (size: number, writable: boolean): Region =>
  ({ kind: "ctx", name: "ctx", start: CTX, end: CTX + Math.min(size, CTX_MAX), flags: R_READ | (writable ? R_WRITE : 0) });
