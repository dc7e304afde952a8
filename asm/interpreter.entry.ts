// The BPF interpreter: executes pre-decoded programs (src/runtime/predecode.ts) that live in the shared
// linear memory. One loop, two instantiations: `runChecked` verifies every memory access against the
// region table; `runFast` trusts the verifier and relies on Wasm's own bounds.
//
// Pre-decoded entry (ENTRY = 24 bytes):
//   @0  u8  op    opcode with the K/X source bit folded away (the operand address below covers both)
//   @1  u8  dst*8 byte offset of dst in REGS
//   @2  u8  aux   variant: signed div/mod (1), movsx width, byte-swap width, atomic operation, call kind
//   @3  u8  src*8 byte offset of src in REGS (memory forms: the base or value register)
//   @4  i32 off   memory offset, or the absolute entry address of a jump / local call target
//   @8  i64 imm   sign-extended immediate, lddw constant, helper id
//   @16 u32 opnd  address of the second ALU/JMP operand: REGS + src*8 (X forms) or this entry's @8 (K forms)
import {
  REGS, CTRL, FRAMES, FRAME_SAVE, REGIONS, STACK, STACK_FRAME, MAX_FRAMES, ENTRY, NULL_GUARD_END, REGION_MAX, CTX, CTX_MAX,
  C_STOP, C_TAIL, C_FAULT_KIND, C_FAULT_IP, C_FAULT_ADDR, C_FAULT_SIZE, C_FAULT_WRITE, C_COUNT, C_BUDGET,
  C_NREGIONS, C_PKT, C_PKT_LEN, C_DEPTH, C_MAY_GOTO, C_CODE, C_CPU,
  D_KEY_SIZE, D_VALUE_SIZE, D_MAGIC, DESC_MAGIC, DESC_SIZE,
  S_EXIT, S_BUDGET, S_FAULT, S_DEPTH, S_BAD_INSN, S_STOPPED, S_STEP, R_READ, R_WRITE,
} from "./layout";

// Layout constants exported so the host can check that src/runtime/layout.ts agrees.
export const L_REGS = REGS;
export const L_CTRL = CTRL;
export const L_FRAMES = FRAMES;
export const L_REGIONS = REGIONS;
export const L_REGION_MAX = REGION_MAX;
export const L_STACK = STACK;
export const L_STACK_FRAME = STACK_FRAME;
export const L_MAX_FRAMES = MAX_FRAMES;
export const L_ENTRY = ENTRY;
export const L_NULL_GUARD_END = NULL_GUARD_END;
export const L_CTX = CTX;
export const L_CTX_MAX = CTX_MAX;

// Helpers run in the host: they read r1-r5 from REGS and may set C_STOP / C_TAIL.
// @ts-ignore: decorator
@external("env", "helper")
declare function hostHelper(id: i32, ip: u32): u64;
// Stores into the context struct: the host applies the kernel's rewrite of the access (a 16-bit field
// behind a 32-bit __sk_buff member, a write the kernel drops...).
// @ts-ignore: decorator
@external("env", "ctxStore")
declare function hostCtxStore(addr: u32, size: u32, v: u64, imm: u32): void;

// Map operations in WebAssembly (asm/maps.entry.ts, one instance per memory): -1 (lookup) or 1 (update,
// delete) when the host must answer.
// @ts-ignore: decorator
@external("env", "mapLookup")
declare function mapLookup(m: u64, key: u64, cpu: u32): i64;
// @ts-ignore: decorator
@external("env", "mapUpdate")
declare function mapUpdate(m: u64, key: u64, value: u64, flags: u64, cpu: u32): i64;
// @ts-ignore: decorator
@external("env", "mapDelete")
declare function mapDelete(m: u64, key: u64): i64;

// @ts-ignore: decorator
@inline function rg(o: u32): u64 { return load<u64>(REGS + o); }
// @ts-ignore: decorator
@inline function sg(o: u32, v: u64): void { store<u64>(REGS + o, v); }
// @ts-ignore: decorator
@inline function s32(o: u32, v: u32): void { store<u64>(REGS + o, <u64>v); }
// @ts-ignore: decorator
@inline function opnd(ip: u32): u64 { return load<u64>(load<u32>(ip, 16)); }
// @ts-ignore: decorator
@inline function opnd32(ip: u32): u32 { return load<u32>(load<u32>(ip, 16)); }
// @ts-ignore: decorator
@inline function memAddr(base: u32, ip: u32): u64 { return rg(base) + <u64><i64>load<i32>(ip, 4); }

function finish(count: u64, depth: u32, status: i32): i32 {
  store<u64>(CTRL + C_COUNT, count);
  store<u32>(CTRL + C_DEPTH, depth);
  return status;
}

function fault(count: u64, depth: u32, ip: u32, addr: u64, size: u32, write: bool): i32 {
  store<u32>(CTRL + C_FAULT_KIND, 1);
  store<u32>(CTRL + C_FAULT_IP, ip);
  store<u64>(CTRL + C_FAULT_ADDR, addr);
  store<u32>(CTRL + C_FAULT_SIZE, size);
  store<u32>(CTRL + C_FAULT_WRITE, write ? 1 : 0);
  return finish(count, depth, S_FAULT);
}

function stopAt(count: u64, depth: u32, ip: u32, status: i32): i32 {
  store<u32>(CTRL + C_FAULT_IP, ip);
  return finish(count, depth, status);
}

/**
 * Whether [addr, addr+size) lies inside one region that allows the access. The stack is special: frames
 * 0..depth are live (a callee may use pointers into its callers' frames), the frames above are not.
 */
function allowed(addr: u64, size: u32, need: u32, depth: u32): bool {
  const end = addr + <u64>size;
  if (addr >= <u64>STACK && end <= <u64>(STACK + (depth + 1) * STACK_FRAME)) return true;
  const n = load<u32>(CTRL + C_NREGIONS);
  for (let i: u32 = 0; i < n; i++) {
    const e = REGIONS + (i << 4);
    if (addr >= <u64>load<u32>(e) && end <= <u64>load<u32>(e, 4)) return (load<u32>(e, 8) & need) != 0;
  }
  return false;
}

/** Checked mode: whether a map helper's key (and update's value) may be read, when r1 is a map descriptor. */
function mapArgsReadable(id: i32, m: u64, key: u64, value: u64, depth: u32): bool {
  if (m < <u64>NULL_GUARD_END || m + <u64>DESC_SIZE > (<u64>memory.size() << 16) || load<u32>(<usize>m, D_MAGIC) != DESC_MAGIC) return true;
  if (!allowed(key, load<u32>(<usize>m, D_KEY_SIZE), R_READ, depth)) return false;
  return id != 2 || allowed(value, load<u32>(<usize>m, D_VALUE_SIZE), R_READ, depth);
}

// @ts-ignore: decorator
@inline
function execute(entry: u32, checked: bool, base: u32, start: u32, step: bool): i32 {
  let ip = entry;
  let count: u64 = 0;
  let depth: u32 = start;
  const budget = load<u64>(CTRL + C_BUDGET);
  while (true) {
    // Stepping: stop before the second instruction, with the next entry in C_FAULT_IP (a constant false,
    // and so compiled away, in runChecked / runFast).
    if (step && count != 0) return stopAt(count, depth, ip, S_STEP);
    count++;
    const op = load<u8>(ip);
    const d: u32 = load<u8>(ip, 1);
    switch (op) {
      // ---- ALU64 ----
      case 0x07: sg(d, rg(d) + opnd(ip)); break;
      case 0x17: sg(d, rg(d) - opnd(ip)); break;
      case 0x27: sg(d, rg(d) * opnd(ip)); break;
      case 0x37: {
        const s = opnd(ip); const v = rg(d);
        if (s == 0) sg(d, 0);
        else if (load<u8>(ip, 2) == 0) sg(d, v / s);
        else if (<i64>v == i64.MIN_VALUE && <i64>s == -1) sg(d, v);
        else sg(d, <u64>(<i64>v / <i64>s));
        break;
      }
      case 0x47: sg(d, rg(d) | opnd(ip)); break;
      case 0x57: sg(d, rg(d) & opnd(ip)); break;
      case 0x67: sg(d, rg(d) << (opnd(ip) & 63)); break;
      case 0x77: sg(d, rg(d) >> (opnd(ip) & 63)); break;
      case 0x87: sg(d, 0 - rg(d)); break;
      case 0x97: {
        const s = opnd(ip); const v = rg(d);
        if (s == 0) break; // mod by zero leaves dst unchanged
        if (load<u8>(ip, 2) == 0) sg(d, v % s);
        else if (<i64>s == -1) sg(d, 0);
        else sg(d, <u64>(<i64>v % <i64>s));
        break;
      }
      case 0xa7: sg(d, rg(d) ^ opnd(ip)); break;
      case 0xb7: {
        const w = load<u8>(ip, 2);
        const s = opnd(ip);
        if (w == 0) sg(d, s);
        else if (w == 8) sg(d, <u64><i64><i8>s);
        else if (w == 16) sg(d, <u64><i64><i16>s);
        else sg(d, <u64><i64><i32>s);
        break;
      }
      case 0xc7: sg(d, <u64>(<i64>rg(d) >> <i64>(opnd(ip) & 63))); break;
      case 0xd7: { // bswap16/32/64
        const w = load<u8>(ip, 2); const v = rg(d);
        if (w == 16) sg(d, <u64>bswap<u16>(<u16>v));
        else if (w == 32) sg(d, <u64>bswap<u32>(<u32>v));
        else sg(d, bswap<u64>(v));
        break;
      }
      // ---- ALU (32-bit: operate on the low halves, zero the upper half) ----
      case 0x04: s32(d, <u32>rg(d) + opnd32(ip)); break;
      case 0x14: s32(d, <u32>rg(d) - opnd32(ip)); break;
      case 0x24: s32(d, <u32>rg(d) * opnd32(ip)); break;
      case 0x34: {
        const s = opnd32(ip); const v = <u32>rg(d);
        if (s == 0) s32(d, 0);
        else if (load<u8>(ip, 2) == 0) s32(d, v / s);
        else if (<i32>v == i32.MIN_VALUE && <i32>s == -1) s32(d, v);
        else s32(d, <u32>(<i32>v / <i32>s));
        break;
      }
      case 0x44: s32(d, <u32>rg(d) | opnd32(ip)); break;
      case 0x54: s32(d, <u32>rg(d) & opnd32(ip)); break;
      case 0x64: s32(d, <u32>rg(d) << (opnd32(ip) & 31)); break;
      case 0x74: s32(d, <u32>rg(d) >> (opnd32(ip) & 31)); break;
      case 0x84: s32(d, 0 - <u32>rg(d)); break;
      case 0x94: {
        const s = opnd32(ip); const v = <u32>rg(d);
        if (s == 0) s32(d, v);
        else if (load<u8>(ip, 2) == 0) s32(d, v % s);
        else if (<i32>s == -1) s32(d, 0);
        else s32(d, <u32>(<i32>v % <i32>s));
        break;
      }
      case 0xa4: s32(d, <u32>rg(d) ^ opnd32(ip)); break;
      case 0xb4: {
        const w = load<u8>(ip, 2);
        const s = opnd32(ip);
        if (w == 0) s32(d, s);
        else if (w == 8) s32(d, <u32><i32><i8>s);
        else s32(d, <u32><i32><i16>s);
        break;
      }
      case 0xc4: s32(d, <u32>(<i32><u32>rg(d) >> <i32>(opnd32(ip) & 31))); break;
      case 0xd4: { // le: truncate (the host is little-endian)
        const w = load<u8>(ip, 2);
        if (w == 16) sg(d, rg(d) & 0xffff);
        else if (w == 32) sg(d, rg(d) & 0xffffffff);
        break;
      }
      case 0xdc: { // be: swap
        const w = load<u8>(ip, 2); const v = rg(d);
        if (w == 16) sg(d, <u64>bswap<u16>(<u16>v));
        else if (w == 32) sg(d, <u64>bswap<u32>(<u32>v));
        else sg(d, bswap<u64>(v));
        break;
      }
      // ---- lddw ----
      case 0x18: sg(d, load<u64>(ip, 8)); ip += ENTRY * 2; continue;
      // ---- loads ----
      case 0x71: case 0x69: case 0x61: case 0x79: case 0x91: case 0x89: case 0x81: {
        const a = memAddr(load<u8>(ip, 3), ip);
        const size: u32 = (op & 0x18) == 0x10 ? 1 : (op & 0x18) == 0x08 ? 2 : (op & 0x18) == 0 ? 4 : 8;
        if (checked && !allowed(a, size, R_READ, depth)) return fault(count, depth, ip, a, size, false);
        const p = <usize>a;
        if (op == 0x71) sg(d, <u64>load<u8>(p));
        else if (op == 0x69) sg(d, <u64>load<u16>(p));
        else if (op == 0x61) sg(d, <u64>load<u32>(p));
        else if (op == 0x79) sg(d, load<u64>(p));
        else if (op == 0x91) sg(d, <u64><i64>load<i8>(p));
        else if (op == 0x89) sg(d, <u64><i64>load<i16>(p));
        else sg(d, <u64><i64>load<i32>(p));
        break;
      }
      // ---- stores ----
      case 0x72: case 0x6a: case 0x62: case 0x7a: case 0x73: case 0x6b: case 0x63: case 0x7b: {
        const a = memAddr(d, ip);
        const size: u32 = (op & 0x18) == 0x10 ? 1 : (op & 0x18) == 0x08 ? 2 : (op & 0x18) == 0 ? 4 : 8;
        if (checked && !allowed(a, size, R_WRITE, depth)) return fault(count, depth, ip, a, size, true);
        const v: u64 = (op & 7) == 2 ? load<u64>(ip, 8) : rg(load<u8>(ip, 3));
        const p = <usize>a;
        if (a - <u64>CTX < <u64>CTX_MAX) hostCtxStore(<u32>a, size, v, (op & 7) == 2 ? 1 : 0);
        else if (size == 1) store<u8>(p, <u8>v);
        else if (size == 2) store<u16>(p, <u16>v);
        else if (size == 4) store<u32>(p, <u32>v);
        else store<u64>(p, v);
        break;
      }
      // ---- atomics, load-acquire, store-release ----
      case 0xdb: case 0xc3: case 0xcb: case 0xd3: {
        const kind = load<u8>(ip, 2);
        const s: u32 = load<u8>(ip, 3);
        const size: u32 = op == 0xdb ? 8 : op == 0xc3 ? 4 : op == 0xcb ? 2 : 1;
        if (kind == 11) { // load_acquire: dst = *(src + off)
          const a = memAddr(s, ip);
          if (checked && !allowed(a, size, R_READ, depth)) return fault(count, depth, ip, a, size, false);
          const p = <usize>a;
          sg(d, size == 8 ? load<u64>(p) : size == 4 ? <u64>load<u32>(p) : size == 2 ? <u64>load<u16>(p) : <u64>load<u8>(p));
          break;
        }
        const a = memAddr(d, ip);
        if (checked && !allowed(a, size, kind == 12 ? R_WRITE : R_READ | R_WRITE, depth)) return fault(count, depth, ip, a, size, true);
        const p = <usize>a;
        if (kind == 12) { // store_release: *(dst + off) = src
          const v = rg(s);
          if (size == 8) store<u64>(p, v); else if (size == 4) store<u32>(p, <u32>v);
          else if (size == 2) store<u16>(p, <u16>v); else store<u8>(p, <u8>v);
          break;
        }
        if (size == 8) {
          const old = load<u64>(p); const v = rg(s);
          switch (kind) {
            case 1: case 5: store<u64>(p, old + v); break;
            case 2: case 6: store<u64>(p, old | v); break;
            case 3: case 7: store<u64>(p, old & v); break;
            case 4: case 8: store<u64>(p, old ^ v); break;
            case 9: store<u64>(p, v); break;
            case 10: if (old == rg(0)) store<u64>(p, v); sg(0, old); break;
            default: return stopAt(count, depth, ip, S_BAD_INSN);
          }
          if (kind >= 5 && kind <= 9) sg(s, old);
        } else {
          const old = load<u32>(p); const v = <u32>rg(s);
          switch (kind) {
            case 1: case 5: store<u32>(p, old + v); break;
            case 2: case 6: store<u32>(p, old | v); break;
            case 3: case 7: store<u32>(p, old & v); break;
            case 4: case 8: store<u32>(p, old ^ v); break;
            case 9: store<u32>(p, v); break;
            case 10: if (old == <u32>rg(0)) store<u32>(p, v); s32(0, old); break;
            default: return stopAt(count, depth, ip, S_BAD_INSN);
          }
          if (kind >= 5 && kind <= 9) s32(s, old);
        }
        break;
      }
      // ---- legacy packet loads: r0 = ntoh(*(skb->data + [src +] imm)); out of bounds ends the program with 0 ----
      case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
        let off: i64 = load<i64>(ip, 8);
        if (op >= 0x40) off += <i64><i32><u32>rg(load<u8>(ip, 3));
        const size: u32 = (op & 0x18) == 0x10 ? 1 : (op & 0x18) == 0x08 ? 2 : 4;
        if (off < 0 || off + <i64>size > <i64>load<u32>(CTRL + C_PKT_LEN)) { sg(0, 0); return finish(count, depth, S_EXIT); }
        const p = <usize>(load<u32>(CTRL + C_PKT) + <u32>off);
        sg(0, size == 1 ? <u64>load<u8>(p) : size == 2 ? <u64>bswap<u16>(load<u16>(p)) : <u64>bswap<u32>(load<u32>(p)));
        break;
      }
      // ---- jumps: target address precomputed in @4 ----
      case 0x05: case 0x06: ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue;
      case 0x15: if (rg(d) == opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x25: if (rg(d) > opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x35: if (rg(d) >= opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x45: if ((rg(d) & opnd(ip)) != 0) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x55: if (rg(d) != opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x65: if (<i64>rg(d) > <i64>opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x75: if (<i64>rg(d) >= <i64>opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xa5: if (rg(d) < opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xb5: if (rg(d) <= opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xc5: if (<i64>rg(d) < <i64>opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xd5: if (<i64>rg(d) <= <i64>opnd(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x16: if (<u32>rg(d) == opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x26: if (<u32>rg(d) > opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x36: if (<u32>rg(d) >= opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x46: if ((<u32>rg(d) & opnd32(ip)) != 0) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x56: if (<u32>rg(d) != opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x66: if (<i32><u32>rg(d) > <i32>opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0x76: if (<i32><u32>rg(d) >= <i32>opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xa6: if (<u32>rg(d) < opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xb6: if (<u32>rg(d) <= opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xc6: if (<i32><u32>rg(d) < <i32>opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xd6: if (<i32><u32>rg(d) <= <i32>opnd32(ip)) { ip = load<u32>(ip, 4); if (count >= budget) return stopAt(count, depth, ip, S_BUDGET); continue; } break;
      case 0xe5: { // may_goto: jump once the loop budget is spent, else spend one
        const left = load<u32>(CTRL + C_MAY_GOTO);
        if (left == 0) { ip = load<u32>(ip, 4); continue; }
        store<u32>(CTRL + C_MAY_GOTO, left - 1);
        break;
      }
      // ---- calls ----
      case 0x85: case 0x8d: {
        if (count >= budget) return stopAt(count, depth, ip, S_BUDGET);
        if (op == 0x85 && load<u8>(ip, 2) == 1) { // local call: new frame, r6-r9 saved
          if (depth + 1 >= MAX_FRAMES) return stopAt(count, depth, ip, S_DEPTH);
          const f = FRAMES + depth * FRAME_SAVE;
          store<u32>(f, ip + ENTRY);
          store<u64>(f, rg(48), 8); store<u64>(f, rg(56), 16); store<u64>(f, rg(64), 24); store<u64>(f, rg(72), 32);
          store<u64>(f, rg(80), 40);
          depth++;
          sg(80, <u64>(STACK + (depth + 1) * STACK_FRAME));
          ip = load<u32>(ip, 4);
          continue;
        }
        // Helper call (callx: the register holds the helper number, as the conformance suite expects).
        const id: i32 = op == 0x85 ? <i32>load<i64>(ip, 8) : <i32>rg(d);
        // bpf_map_lookup_elem / update_elem / delete_elem on the map types asm/maps/ implements never
        // leave WebAssembly. Checked mode first checks that the key (and value) may be read; if not, the
        // host answers, as it does for every other map type.
        if (id >= 1 && id <= 3 && (!checked || mapArgsReadable(id, rg(8), rg(16), rg(24), depth))) {
          if (id == 1) {
            const r = mapLookup(rg(8), rg(16), load<u32>(CTRL + C_CPU));
            if (r != -1) { sg(0, <u64>r); break; }
          } else if (id == 2) {
            const r = mapUpdate(rg(8), rg(16), rg(24), rg(32), load<u32>(CTRL + C_CPU));
            if (r != 1) { sg(0, <u64>r); break; }
          } else {
            const r = mapDelete(rg(8), rg(16));
            if (r != 1) { sg(0, <u64>r); break; }
          }
        }
        store<u64>(CTRL + C_COUNT, count);
        store<u32>(CTRL + C_DEPTH, depth);
        sg(0, hostHelper(id, ip));
        if (load<u32>(CTRL + C_STOP) != 0) return stopAt(count, depth, ip, S_STOPPED);
        const t = load<u32>(CTRL + C_TAIL);
        if (t != 0) { store<u32>(CTRL + C_TAIL, 0); ip = t; continue; }
        break;
      }
      case 0x95: {
        if (depth == base) return finish(count, depth, S_EXIT);
        depth--;
        const f = FRAMES + depth * FRAME_SAVE;
        sg(48, load<u64>(f, 8)); sg(56, load<u64>(f, 16)); sg(64, load<u64>(f, 24)); sg(72, load<u64>(f, 32));
        sg(80, load<u64>(f, 40));
        ip = load<u32>(f);
        continue;
      }
      default: return stopAt(count, depth, ip, S_BAD_INSN);
    }
    ip += ENTRY;
  }
}

/**
 * Run from the entry at address `entry` with every access checked against the region table. `depth` is the
 * frame the code starts in (0 for a program; a helper calling back into BPF code, like bpf_loop, passes
 * the caller's depth + 1 and sets r10 to that frame's top); the run ends at that frame's exit.
 */
export function runChecked(entry: u32, depth: u32): i32 { return execute(entry, true, depth, depth, false); }
/** As runChecked, trusting the program (Wasm bounds still apply). */
export function runFast(entry: u32, depth: u32): i32 { return execute(entry, false, depth, depth, false); }
/**
 * Execute the one instruction at `entry`, in call frame `depth` of a program started in frame 0 (checked),
 * then return S_STEP with the next entry in C_FAULT_IP and the frame in C_DEPTH; S_EXIT when it was the
 * program's final exit. The registers, frames and control block carry the rest of the state between calls.
 */
export function stepChecked(entry: u32, depth: u32): i32 { return execute(entry, true, 0, depth, true); }
