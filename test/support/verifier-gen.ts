// A seeded generator of programs aimed at the verifier's decisions, for the differential corpus
// (scripts/record-verifier-corpus.ts) and the fuzz tests. Each family varies the parameters around a
// decision the kernel makes (packet bounds, map value bounds, null checks, stack slots, context fields
// per program type, helper prototypes, loops, calls, reserved fields), so that roughly half of the
// programs are accepted and half rejected, each for a nameable reason.
import { helperId } from "../../src/isa/helpers.js";
import type { MapSpec } from "../../src/program/program.js";
import type { RawInsn } from "../../src/verifier/cfg.js";
import { hexToSlots, slotsToHex } from "../../src/verifier/raw-hex.js";

export { hexToSlots, slotsToHex };

export interface GenCase {
  id: string;
  family: string;
  /** libbpf section name (bundle `type`). */
  type: string;
  progType: number;
  insns: RawInsn[];
  maps: MapSpec[];
  license: string;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class G {
  constructor(readonly r: () => number) {}
  int(lo: number, hi: number): number { return lo + Math.floor(this.r() * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.r() * xs.length)]!; }
  chance(p: number): boolean { return this.r() < p; }
}

// ---- a tiny assembler over raw slots ----
const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawInsn => ({ code, dst, src, off, imm: imm | 0 });
const ALU = { add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0 } as const;
type AluOp = keyof typeof ALU;
const JOP = { jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0 } as const;
type JmpOp = keyof typeof JOP;
const SZ: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

const alu64i = (op: AluOp, dst: number, imm: number): RawInsn => I(0x07 | ALU[op], dst, 0, 0, imm);
const alu64r = (op: AluOp, dst: number, src: number): RawInsn => I(0x0f | ALU[op], dst, src);
const alu32i = (op: AluOp, dst: number, imm: number): RawInsn => I(0x04 | ALU[op], dst, 0, 0, imm);
const alu32r = (op: AluOp, dst: number, src: number): RawInsn => I(0x0c | ALU[op], dst, src);
const mov = (dst: number, imm: number): RawInsn => alu64i("mov", dst, imm);
const movr = (dst: number, src: number): RawInsn => alu64r("mov", dst, src);
const ldx = (size: number, dst: number, src: number, off: number): RawInsn => I(0x61 | SZ[size]!, dst, src, off);
const stx = (size: number, dst: number, src: number, off: number): RawInsn => I(0x63 | SZ[size]!, dst, src, off);
const st = (size: number, dst: number, off: number, imm: number): RawInsn => I(0x62 | SZ[size]!, dst, 0, off, imm);
const jmpi = (op: JmpOp, dst: number, imm: number, off: number, is32 = false): RawInsn => I((is32 ? 0x06 : 0x05) | JOP[op], dst, 0, off, imm);
const jmpr = (op: JmpOp, dst: number, src: number, off: number, is32 = false): RawInsn => I((is32 ? 0x0e : 0x0d) | JOP[op], dst, src, off);
const ja = (off: number): RawInsn => I(0x05, 0, 0, off);
const call = (name: string): RawInsn => I(0x85, 0, 0, 0, helperId(name) ?? 0);
const callLocal = (rel: number): RawInsn => I(0x85, 0, 1, 0, rel);
const exit = (): RawInsn => I(0x95);
const lddw = (dst: number, v: bigint, src = 0): RawInsn[] => [I(0x18, dst, src, 0, Number(BigInt.asIntN(32, v))), I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
const ldMap = (dst: number, idx: number): RawInsn[] => [I(0x18, dst, 1, 0, idx), I(0)];
const ret = (v: number): RawInsn[] => [mov(0, v), exit()];

interface ProgType { type: string; progType: number; data?: [number, number]; ctxSize: number }
const XDP: ProgType = { type: "xdp", progType: 6, data: [0, 4], ctxSize: 24 };
const TC: ProgType = { type: "tc", progType: 3, data: [76, 80], ctxSize: 192 };
const SOCKET: ProgType = { type: "socket", progType: 1, data: [76, 80], ctxSize: 192 };
const CGSKB: ProgType = { type: "cgroup_skb/ingress", progType: 8, data: [76, 80], ctxSize: 192 };
const KPROBE: ProgType = { type: "kprobe", progType: 2, ctxSize: 168 };
const PKT_TYPES = [XDP, TC, TC, XDP, SOCKET, CGSKB];
const ALL_TYPES = [XDP, TC, SOCKET, CGSKB, KPROBE];

function mapSpec(g: G, name: string, type: string, keySize?: number, valueSize?: number): MapSpec {
  const ks = keySize ?? g.pick([4, 8, 16]);
  const vs = valueSize ?? g.pick([4, 8, 16, 24, 48]);
  return { name, type, keySize: ks, valueSize: vs, maxEntries: type === "array" ? g.int(1, 16) : 16, flags: 0 };
}

/** r0 = an unknown 32-bit scalar (bpf_get_prandom_u32), clobbering r1-r5. */
const unknownR0 = (): RawInsn[] => [call("bpf_get_prandom_u32")];

type Family = (g: G) => { t: ProgType; insns: RawInsn[]; maps?: MapSpec[]; license?: string };

// ---- families ----

const cfgFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const body: RawInsn[] = [];
  const n = g.int(1, 5);
  for (let i = 0; i < n; i++) body.push(mov(g.int(0, 5), g.int(-5, 100)));
  switch (g.int(0, 9)) {
    case 0: return { t, insns: [...body, jmpi("jeq", 0, 1, g.pick([-50, -n - 2, 2, 7, 100])), ...ret(0)] };
    case 1: return { t, insns: [...body, mov(0, 0), exit(), mov(0, 1)] };
    case 2: return { t, insns: [...body, mov(0, 0)] };
    case 3: return { t, insns: [mov(0, 0), ...lddw(1, 5n), ...(g.chance(0.5) ? [] : [exit()])].slice(0, g.chance(0.5) ? 4 : 2) };
    case 4: { const l = lddw(1, 7n); l[1] = I(g.pick([0, 0x18, 0x07]), g.int(0, 1), 0, g.int(0, 1), 3); return { t, insns: [mov(0, 0), ...l, exit()] }; }
    case 5: return { t, insns: [...body, I(g.int(0, 255), g.int(0, 10), g.int(0, 10), g.pick([0, 0, 1, -1]), g.pick([0, 0, 1, 8, 16, 64])), ...ret(0)] };
    case 6: return { t, insns: [...body, I(0x85, 0, 0, 0, g.pick([0, -1, 212, 300, 100000, 1 + g.int(0, 210)])), ...ret(0)] };
    case 7: return { t, insns: [mov(0, 0), jmpi("jeq", 0, 0, g.pick([1, 2])), ...lddw(1, 1n), exit()] };
    case 8: return { t, insns: [...body, callLocal(g.pick([-20, 50, 1])), ...ret(0)] };
    default: {
      // jump into the middle of an lddw, or around it
      return { t, insns: [mov(0, 0), jmpi("jne", 0, 1, g.pick([1, 2])), ...lddw(2, 9n), exit()] };
    }
  }
};

const reservedFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const forms: RawInsn[] = [
    I(0x07, 1, g.int(0, 3), g.int(0, 2), 1), I(0x0f, 1, 2, g.int(0, 3), g.int(0, 2)), I(0x87, 1, g.int(0, 1), g.int(0, 1), g.int(0, 1)),
    I(0xd4, 1, g.int(0, 1), g.int(0, 1), g.pick([16, 32, 64, 8, 0])), I(0xdc, 1, 0, 0, g.pick([16, 32, 64, 24])),
    I(0xb7, 1, g.int(0, 1), g.int(0, 1), 5), I(0xbf, 1, 2, g.pick([0, 8, 16, 32, 1, 3]), g.int(0, 1)), I(0xbc, 1, 2, g.pick([0, 8, 16, 32]), 0),
    I(0x61, 1, 10, -8, g.int(0, 1)), I(0x63, 10, 1, -8, g.int(0, 1)), I(0x62, 10, g.int(0, 1), -8, 1), I(0x05, g.int(0, 1), g.int(0, 1), 0, g.int(0, 1)),
    I(0x15, 1, g.int(0, 1), 0, 0), I(0x1d, 1, 2, 0, g.int(0, 1)), I(0x85, g.int(0, 1), g.pick([0, 3]), g.int(0, 1), 7),
    I(0x95, g.int(0, 1), g.int(0, 1), 0, g.int(0, 1)), I(0x37, 1, 0, g.int(0, 1), g.pick([0, 3])), I(0x3f, 1, 2, g.pick([0, 1, 2]), 0),
    I(0x67, 1, 0, 0, g.pick([0, 63, 64, -1, 100])), I(0x64, 1, 0, 0, g.pick([0, 31, 32, 40])), I(0xc7, 1, 0, 0, g.pick([5, 64])),
    I(0x9f, 1, 2, g.pick([0, 1]), 0), I(0x06, 0, 0, g.int(0, 1), 0), I(0x8d, 1, 0, 0, 0),
  ];
  const f = g.pick(forms);
  return { t, insns: [mov(1, 3), mov(2, 4), st(8, 10, -8, 0), f, ...ret(0)] };
};

const aluFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const insns: RawInsn[] = [];
  const init = new Set<number>([1, 10]);
  if (g.chance(0.5)) { insns.push(...unknownR0(), movr(6, 0)); init.add(0); init.add(6); init.delete(1); }
  const n = g.int(2, 8);
  for (let i = 0; i < n; i++) {
    const dst = g.pick([0, 2, 3, 4, 6, 7, 8, 9, ...(g.chance(0.05) ? [10] : [])]);
    const src = g.pick([0, 1, 2, 3, 6, 7, 10]);
    const op = g.pick(Object.keys(ALU) as AluOp[]);
    if (op === "neg") { insns.push(I(g.chance(0.5) ? 0x87 : 0x84, dst)); continue; }
    const is32 = g.chance(0.3);
    const useReg = g.chance(0.4);
    if (useReg) insns.push(is32 ? alu32r(op, dst, src) : alu64r(op, dst, src));
    else {
      const imm = op === "lsh" || op === "rsh" || op === "arsh" ? g.pick([0, 1, 3, 31, 32, 63, 64]) : g.pick([0, 1, -1, 7, 255, 4096, 0x7fffffff]);
      insns.push(is32 ? alu32i(op, dst, imm) : alu64i(op, dst, imm));
    }
    if (op === "mov") init.add(dst);
  }
  if (g.chance(0.8)) insns.push(mov(0, g.int(0, 3)));
  insns.push(exit());
  return { t, insns };
};

const stackFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const insns: RawInsn[] = [];
  const n = g.int(1, 5);
  for (let i = 0; i < n; i++) {
    const size = g.pick([1, 2, 4, 8]);
    const off = g.pick([-8, -16, -4, -1, -2, -512, -520, -504, 0, 8, -6, -3, -24, -32]) ;
    switch (g.int(0, 6)) {
      case 0: insns.push(st(size, 10, off, g.pick([0, 1, -1]))); break;
      case 1: insns.push(mov(2, g.int(0, 3)), stx(size, 10, 2, off)); break;
      case 2: insns.push(stx(g.pick([8, 8, 4]), 10, 1, g.pick([-8, -16, -4]))); break; // spill ctx
      case 3: insns.push(ldx(size, 3, 10, off)); break;
      case 4: insns.push(movr(4, 10), alu64i(g.pick(["add", "sub", "add"]), 4, g.pick([-8, 8, -16, 16, -600])), ldx(size, 5, 4, g.pick([0, -8]))); break;
      case 5: insns.push(stx(8, 10, 1, -8), ldx(g.pick([8, 4]), 6, 10, g.pick([-8, -4])), ldx(4, 7, 6, g.pick([0, 4]))); break;
      default: insns.push(...unknownR0(), alu64i("and", 0, g.pick([7, 8, 15, 0xff])), movr(4, 10), alu64i("add", 4, g.pick([-16, -32, -8])), alu64r("add", 4, 0),
        g.chance(0.5) ? st(1, 4, 0, 0) : ldx(1, 5, 4, 0)); break;
    }
  }
  insns.push(...ret(g.int(0, 2)));
  return { t, insns };
};

const packetFamily: Family = (g) => {
  const t = g.pick(PKT_TYPES);
  const [dOff, eOff] = t.data!;
  const insns: RawInsn[] = [ldx(4, 2, 1, dOff), ldx(4, 3, 1, eOff)];
  const N = g.pick([1, 2, 4, 8, 14, 20, 34]);
  insns.push(movr(4, 2), alu64i("add", 4, N));
  const op = g.pick(["jgt", "jgt", "jge", "jlt", "jle"] as JmpOp[]);
  const swapped = g.chance(0.3);
  const accOff = g.int(0, N);
  const size = g.pick([1, 2, 4, 8]);
  const useVar = g.chance(0.25);
  const body: RawInsn[] = [];
  if (useVar) body.push(...[movr(6, 2)], ldx(1, 5, 2, 0), alu64i("and", 5, g.pick([3, 7, 15])), alu64r("add", 6, 5), ldx(size, 0, 6, 0));
  else body.push(g.chance(0.8) ? ldx(size, 0, g.pick([2, 2, 4]), g.pick([accOff, accOff - N, accOff])) : st(size, 2, accOff, 1));
  // the "good" branch is the one where the pointer is known inside the packet
  let jump: RawInsn;
  let goodIsFallthrough: boolean;
  if (!swapped) {
    jump = jmpr(op, 4, 3, body.length);
    goodIsFallthrough = op === "jgt" || op === "jge";
  } else {
    jump = jmpr(op, 3, 4, body.length);
    goodIsFallthrough = op === "jlt" || op === "jle";
  }
  if (g.chance(0.15)) goodIsFallthrough = !goodIsFallthrough;
  if (goodIsFallthrough) insns.push(jump, ...body, ...ret(g.int(0, 2)));
  else insns.push(jump, ...ret(1), ...body, ...ret(1));
  // fix the jump offset when the body comes after the early return
  if (!goodIsFallthrough) insns[4] = { ...insns[4]!, off: 2 };
  return { t, insns };
};

const mapFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const type = g.pick(["hash", "array", "hash", "array", "percpu_array", "lru_hash", "prog_array", "ringbuf"]);
  const m = type === "ringbuf" ? { name: "rb", type, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }
    : type === "prog_array" ? { name: "jmp", type, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }
      : mapSpec(g, "m" + g.int(0, 9), type, type.includes("array") ? 4 : undefined);
  const insns: RawInsn[] = [];
  const keyOff = g.pick([-8, -16, -4, -8, -8]);
  if (g.chance(0.85)) insns.push(st(g.pick([4, 8]), 10, keyOff, g.int(0, 3)));
  insns.push(movr(2, 10), alu64i("add", 2, keyOff), ...ldMap(1, 0));
  const helper = g.pick(["bpf_map_lookup_elem", "bpf_map_lookup_elem", "bpf_map_lookup_elem", "bpf_map_update_elem", "bpf_map_delete_elem"]);
  if (helper === "bpf_map_update_elem") {
    insns.push(movr(3, 10), alu64i("add", 3, g.pick([-32, -64, -48])), mov(4, g.pick([0, 0, 1, 5])), call(helper), ...ret(0));
    return { t, insns, maps: [m] };
  }
  if (helper === "bpf_map_delete_elem") { insns.push(call(helper), ...ret(0)); return { t, insns, maps: [m] }; }
  insns.push(call(helper));
  const check = g.chance(0.8);
  const vs = m.valueSize;
  const size = g.pick([1, 2, 4, 8]);
  const off = g.pick([0, vs - size, vs - size + 1, vs, -1, 4, vs - 1]);
  const access: RawInsn[] = [];
  switch (g.int(0, 4)) {
    case 0: access.push(ldx(size, 1, 0, off)); break;
    case 1: access.push(st(size, 0, off, 7)); break;
    case 2: access.push(stx(8, 0, 1, g.pick([0, 8]))); break; // store a pointer into the value
    case 3: {
      // variable index, bounded or not
      const bound = g.pick([vs - size, vs - size + 1, vs, 16, -1]);
      access.push(...[movr(6, 0)], call("bpf_get_prandom_u32"));
      const useAnd = g.chance(0.5);
      if (useAnd) access.push(alu64i("and", 0, g.pick([3, 7, vs - 1, 0xff])));
      else access.push(jmpi(g.pick(["jgt", "jge", "jsgt"] as JmpOp[]), 0, bound, 2));
      access.push(alu64r("add", 6, 0), ldx(size, 1, 6, 0));
      if (!useAnd) access.push(...ret(0)); // target of the bounds jump
      break;
    }
    default: access.push(alu64i("add", 0, g.pick([4, vs, -4])), ldx(size, 1, 0, 0)); break;
  }
  if (check) insns.push(jmpi(g.pick(["jeq", "jeq", "jne"] as JmpOp[]), 0, 0, access.length + (access.at(-1)?.code === 0x95 ? 0 : 0)), ...access, ...ret(0));
  else insns.push(...access, ...ret(0));
  // a `jne r0, 0` jumps over the access when non-null: that path is fine, the null path crashes
  return { t, insns, maps: [m] };
};

const ctxFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const off = g.chance(0.7) ? g.int(0, Math.floor(t.ctxSize / 4)) * 4 : g.int(-4, t.ctxSize + 8);
  const size = g.pick([1, 2, 4, 8, 4, 4]);
  const insns: RawInsn[] = [];
  switch (g.int(0, 4)) {
    case 0: case 1: insns.push(ldx(size, 0, 1, off), ...ret(0)); break;
    case 2: insns.push(mov(2, 1), stx(size, 1, 2, off), ...ret(0)); break;
    case 3: insns.push(st(size, 1, off, 0), ...ret(0)); break;
    default: insns.push(alu64i("add", 1, g.pick([4, 8, -4])), ldx(4, 0, 1, 0), ...ret(0)); break;
  }
  return { t, insns };
};

const HELPERS = ["bpf_map_lookup_elem", "bpf_ktime_get_ns", "bpf_get_prandom_u32", "bpf_get_smp_processor_id", "bpf_tail_call", "bpf_redirect",
  "bpf_perf_event_output", "bpf_get_current_pid_tgid", "bpf_trace_printk", "bpf_skb_load_bytes", "bpf_xdp_adjust_head", "bpf_csum_diff",
  "bpf_get_socket_cookie", "bpf_probe_read_kernel", "bpf_skb_store_bytes", "bpf_get_current_comm", "bpf_xdp_load_bytes", "bpf_get_hash_recalc",
  "bpf_skb_pull_data", "bpf_ringbuf_output", "bpf_loop", "bpf_get_numa_node_id", "bpf_jiffies64", "bpf_skb_change_head"];

const helperFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const name = g.pick(HELPERS);
  const insns: RawInsn[] = [st(8, 10, -8, 0), st(8, 10, -16, 0)];
  const argKinds = [() => mov(0, 0), () => movr(0, 1), () => movr(0, 10), () => mov(0, g.pick([4, 8, 16, 0, -1, 64]))];
  const regsToSet = g.int(0, 5);
  for (let r = 5; r >= 1; r--) {
    if (r > regsToSet && g.chance(0.7)) continue;
    const k = g.int(0, 5);
    if (k === 0) insns.push(mov(r, g.pick([0, 1, 4, 8, 16, 100, -1])));
    else if (k === 1 && r !== 1) insns.push(movr(r, 1));
    else if (k === 2) insns.push(movr(r, 10), alu64i("add", r, g.pick([-8, -16, -4, -24])));
    else if (k === 3) insns.push(...ldMap(r, 0));
    else void argKinds;
  }
  const maps = [g.chance(0.5) ? mapSpec(g, "h", "hash") : { name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }];
  insns.push(call(name), ...ret(0));
  return { t, insns, maps, license: g.chance(0.85) ? "GPL" : "MIT" };
};

const refFamily: Family = (g) => {
  const t = g.pick([TC, XDP, TC]);
  const insns: RawInsn[] = [];
  const kind = g.int(0, 1);
  if (kind === 0) {
    // bpf_sk_lookup_tcp(ctx, tuple on stack, size, netns, flags)
    const size = g.pick([12, 36, 8]);
    for (let o = -40; o < 0; o += 8) insns.push(st(8, 10, o, 0));
    insns.push(movr(6, 1), movr(2, 10), alu64i("add", 2, -40), mov(3, size), mov(4, -1), mov(5, 0), call("bpf_sk_lookup_tcp"));
    const variant = g.int(0, 4);
    if (variant === 0) insns.push(jmpi("jeq", 0, 0, 2), movr(1, 0), call("bpf_sk_release"), ...ret(0));
    else if (variant === 1) insns.push(...ret(0)); // leak
    else if (variant === 2) insns.push(movr(1, 0), call("bpf_sk_release"), ...ret(0)); // no null check
    else if (variant === 3) insns.push(jmpi("jeq", 0, 0, 3), ldx(4, 2, 0, g.pick([0, 4, 200])), movr(1, 0), call("bpf_sk_release"), ...ret(0));
    else insns.push(jmpi("jne", 0, 0, 1), ...ret(0), movr(1, 0), alu64i("add", 1, 8), call("bpf_sk_release"), ...ret(0));
  } else {
    const size = g.pick([8, 16, 4096, 0]);
    insns.push(...ldMap(1, 0), mov(2, size), mov(3, 0), call("bpf_ringbuf_reserve"));
    const variant = g.int(0, 4);
    const rel = g.chance(0.5) ? "bpf_ringbuf_submit" : "bpf_ringbuf_discard";
    if (variant === 0) insns.push(jmpi("jeq", 0, 0, 4), st(8, 0, g.pick([0, 8, 16]), 1), movr(1, 0), mov(2, 0), call(rel), ...ret(0));
    else if (variant === 1) insns.push(jmpi("jeq", 0, 0, 1), ...ret(0), ...ret(0)); // leak
    else if (variant === 2) insns.push(movr(1, 0), mov(2, 0), call(rel), ...ret(0));
    else if (variant === 3) insns.push(jmpi("jeq", 0, 0, 3), movr(1, 0), mov(2, 0), call(rel), ...ret(0));
    else insns.push(jmpi("jeq", 0, 0, 6), movr(6, 0), movr(1, 0), mov(2, 0), call(rel), ldx(8, 0, 6, 0), ...ret(0));
    return { t, insns, maps: [{ name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }] };
  }
  return { t, insns };
};

const loopFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const n = g.pick([1, 4, 16, 50, 100]);
  switch (g.int(0, 3)) {
    case 0: return { t, insns: [mov(0, 0), alu64i("add", 0, 1), jmpi(g.pick(["jlt", "jne", "jle"] as JmpOp[]), 0, n, -2), mov(0, 0), exit()] };
    case 1: return { t, insns: [mov(0, 0), ja(-1), exit()].slice(0, 2).concat([mov(0, 1), exit()]) };
    case 2: return { t, insns: [mov(1, 0), mov(0, 0), alu64i("add", 1, 1), jmpi("jlt", 1, n, -2), jmpi("jgt", 1, n, 1), mov(0, 1), exit()] };
    default: return { t, insns: [mov(0, 0), mov(2, 0), jmpi("jeq", 2, 0, -1), exit()] };
  }
};

const callFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  if (g.chance(0.35)) {
    // bpf_loop(n, callback, ctx, 0) with a callback that returns 0/1 or something else, or touches ctx
    const body = g.pick([[mov(0, 0)], [mov(0, 1)], [mov(0, 2)], [movr(0, 1), alu64i("and", 0, 1)], [ldx(8, 0, 2, 0), mov(0, 0)], [movr(0, 2)], []]);
    const main = [st(8, 10, -8, 0), mov(1, g.pick([1, 8, 100])), I(0x18, 2, 4, 0, 0), I(0), movr(3, 10), alu64i("add", 3, -8), mov(4, 0), call("bpf_loop"), mov(0, 0), exit()];
    const cbStart = main.length;
    main[2] = I(0x18, 2, 4, 0, cbStart - 2 - 1);
    return { t, insns: [...main, ...body, exit()] };
  }
  switch (g.int(0, 5)) {
    case 0: return { t, insns: [mov(1, g.int(0, 5)), callLocal(1), exit(), movr(0, 1), alu64i("add", 0, 1), exit()] };
    case 1: return { t, insns: [callLocal(2), mov(0, 0), exit(), g.chance(0.5) ? mov(0, 1) : mov(2, 1), exit()] }; // r0 maybe unset in callee
    case 2: return { t, insns: [movr(1, 10), alu64i("add", 1, -8), st(8, 10, -8, 5), callLocal(2), mov(0, 0), exit(), ldx(8, 0, 1, g.pick([0, 8, -8])), exit()] };
    case 3: return { t, insns: [callLocal(2), ldx(8, 1, 0, 0), exit(), movr(0, 10), alu64i("add", 0, -8), exit()] }; // returns fp
    case 4: {
      const d = g.pick([200, 256, 400, 512]);
      return { t, insns: [st(8, 10, -d, 0), callLocal(2), mov(0, 0), exit(), st(8, 10, -g.pick([128, 256, 312]), 0), mov(0, 0), exit()] };
    }
    default: return { t, insns: [mov(0, 0), callLocal(-1), exit()] }; // recursion
  }
};

const retFamily: Family = (g) => {
  const t = g.pick([CGSKB, CGSKB, XDP, KPROBE]);
  switch (g.int(0, 3)) {
    case 0: return { t, insns: [mov(0, g.pick([0, 1, 2, -1, 3])), exit()] };
    case 1: return { t, insns: [...unknownR0(), alu64i("and", 0, g.pick([1, 3])), exit()] };
    case 2: return { t, insns: [movr(0, g.pick([1, 10])), exit()] };
    default: return { t, insns: [...unknownR0(), exit()] };
  }
};

/**
 * Longer programs in the shape compilers emit: ctx saved in r6, optional packet bounds check (r7 = data,
 * r8 = data_end), optional map value (r9), then a sequence of operations on what is available, some of
 * them behind conditional branches that rejoin. Accesses are sometimes in bounds, sometimes one past.
 */
const comboFamily: Family = (g) => {
  const t = g.pick(ALL_TYPES);
  const code: (RawInsn | { label: string } | { jmp: RawInsn; to: string })[] = [];
  let labels = 0;
  const L = (): string => `L${labels++}`;
  const emit = (...xs: RawInsn[]): void => { for (const x of xs) code.push(x); };
  const jumpTo = (j: RawInsn, to: string): void => { code.push({ jmp: j, to }); };
  emit(movr(6, 1));
  const out = "out";
  const N = g.pick([8, 14, 20, 34, 54]);
  const hasPkt = t.data !== undefined && g.chance(0.6);
  if (hasPkt) {
    emit(ldx(4, 7, 6, t.data![0]), ldx(4, 8, 6, t.data![1]), movr(2, 7), alu64i("add", 2, N));
    jumpTo(jmpr(g.pick(["jgt", "jgt", "jge"] as JmpOp[]), 2, 8, 0), out);
  }
  const vs = g.pick([8, 16, 32, 64]);
  const hasMap = g.chance(0.6);
  const maps: MapSpec[] = [];
  if (hasMap) {
    maps.push({ name: "vals", type: g.pick(["hash", "array", "lru_hash"]), keySize: 4, valueSize: vs, maxEntries: 8, flags: 0 });
    emit(st(4, 10, -4, g.int(0, 9)), movr(2, 10), alu64i("add", 2, -4), ...ldMap(1, 0), call("bpf_map_lookup_elem"), movr(9, 0));
    if (g.chance(0.9)) jumpTo(jmpi("jeq", 9, 0, 0), out);
  }
  const scalars: number[] = [];
  const nOps = g.int(2, 8);
  for (let k = 0; k < nOps; k++) {
    const choice = g.int(0, 9);
    const free = g.pick([3, 4, 5]);
    if (choice <= 1 && hasPkt) {
      const size = g.pick([1, 2, 4]);
      const off = g.chance(0.85) ? g.int(0, N - size) : g.int(N - size + 1, N + 2);
      emit(ldx(size, free, 7, off));
      // keep the loaded byte/half/word as a bounded scalar in r0 (r0 survives until the next call)
      emit(movr(0, free)); scalars.push(0);
    } else if (choice <= 3 && hasMap) {
      const size = g.pick([1, 2, 4, 8]);
      const off = g.chance(0.85) ? g.int(0, (vs - size) / size) * size : g.pick([vs - size + 1, vs, -size]);
      if (g.chance(0.5)) emit(ldx(size, free, 9, off), movr(0, free)); else emit(st(size, 9, off, g.int(0, 100)));
      if (g.chance(0.5)) scalars.push(0);
    } else if (choice <= 5 && scalars.length) {
      // bound a scalar, then use it as an index into the map value, the packet or the stack
      const bound = g.pick([vs, vs - 1, 8, 7, 16, 3]);
      const skip = L();
      emit(movr(3, 0));
      if (g.chance(0.6)) jumpTo(jmpi(g.pick(["jgt", "jge", "jsgt", "jgt"] as JmpOp[]), 3, bound, 0), skip);
      else emit(alu64i("and", 3, g.pick([7, 15, vs - 1, 63])));
      const target = g.pick([hasMap ? 9 : 10, hasPkt ? 7 : 10, 10]);
      emit(movr(4, target));
      if (target === 10) emit(alu64i("add", 4, -64));
      emit(alu64r("add", 4, 3), ldx(1, 5, 4, 0));
      code.push({ label: skip });
    } else if (choice === 6) {
      emit(call("bpf_get_prandom_u32"));
      if (hasMap && g.chance(0.2)) emit(movr(9, 0)); // clobber: r9 becomes a scalar
      scalars.push(0);
    } else if (choice === 7) {
      const off = -8 * g.int(1, 8);
      emit(g.chance(0.5) ? st(8, 10, off, g.int(0, 5)) : stx(8, 10, g.pick([6, 0, 9, 7].filter((r) => r !== 9 || hasMap).filter((r) => r !== 7 || hasPkt)), off));
      emit(ldx(8, 2, 10, off));
    } else if (choice === 8 && scalars.length) {
      const skip = L();
      jumpTo(jmpi(g.pick(["jeq", "jne", "jgt", "jset"] as JmpOp[]), 0, g.int(0, 4), 0), skip);
      emit(alu64i(g.pick(["add", "mul", "lsh", "and", "or"] as AluOp[]), 0, g.int(1, 5)));
      code.push({ label: skip });
    } else {
      emit(mov(0, g.int(0, 3)));
      scalars.push(0);
    }
  }
  code.push({ label: out });
  emit(mov(0, g.int(0, 2)), exit());
  // resolve labels into slot offsets
  const pos = new Map<string, number>();
  let pc = 0;
  for (const c of code) { if ("label" in c) pos.set(c.label, pc); else pc++; }
  const insns: RawInsn[] = [];
  pc = 0;
  for (const c of code) {
    if ("label" in c) continue;
    if ("jmp" in c) insns.push({ ...c.jmp, off: pos.get(c.to)! - pc - 1 });
    else insns.push(c);
    pc++;
  }
  return { t, insns, maps };
};

/**
 * Scalar precision: unknown values through random ALU chains and refining branches, then either
 * returned from a cgroup_skb program (the kernel prints smin/smax when outside [0, 1]) or used as an
 * index into a map value (the kernel prints the offending offset): both show the tracked bounds exactly.
 */
const scalarFamily: Family = (g) => {
  const asIndex = g.chance(0.5);
  const t = asIndex ? g.pick([XDP, TC, SOCKET]) : CGSKB;
  const body: RawInsn[] = [];
  const bail: number[] = []; // indexes of jumps to patch to the bail-out exit
  body.push(call("bpf_get_prandom_u32"), movr(6, 0), call("bpf_get_prandom_u32"), movr(7, 0));
  if (g.chance(0.5)) body.push(alu64i("lsh", 7, 32), alu64r("or", 7, 6)); // a full 64-bit unknown
  const ops = g.int(1, 6);
  for (let k = 0; k < ops; k++) {
    if (g.chance(0.45)) {
      const op = g.pick(["jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jeq", "jne", "jset"] as JmpOp[]);
      const imm = g.pick([0, 1, 3, 7, 15, 16, 100, 255, 1000, -1, -8, 0x7fffffff, -0x80000000]);
      bail.push(body.length);
      body.push(g.chance(0.7) ? jmpi(op, g.pick([6, 6, 7]), imm, 0, g.chance(0.3)) : jmpr(op, 6, 7, 0, g.chance(0.3)));
    } else {
      const op = g.pick(["add", "sub", "mul", "and", "or", "xor", "lsh", "rsh", "arsh", "and", "and", "mov", "neg", "div", "mod"] as AluOp[]);
      const is32 = g.chance(0.3);
      const dst = g.pick([6, 6, 6, 7]);
      if (op === "neg") { body.push(I(is32 ? 0x84 : 0x87, dst)); continue; }
      if (g.chance(0.25) && op !== "lsh" && op !== "rsh" && op !== "arsh") body.push(is32 ? alu32r(op, dst, dst === 6 ? 7 : 6) : alu64r(op, dst, dst === 6 ? 7 : 6));
      else {
        const imm = ["lsh", "rsh", "arsh"].includes(op) ? g.int(0, is32 ? 31 : 63) : op === "div" || op === "mod" ? g.int(1, 9) : g.pick([1, 2, 3, 7, 8, 15, 0xff, 0xffff, -1, -16, 100, 4096]);
        body.push(is32 ? alu32i(op, dst, imm) : alu64i(op, dst, imm));
      }
    }
  }
  const tail: RawInsn[] = [];
  const maps: MapSpec[] = [];
  if (asIndex) {
    const vs = g.pick([8, 16, 64, 256]);
    maps.push({ name: "arr", type: "array", keySize: 4, valueSize: vs, maxEntries: 1, flags: 0 });
    tail.push(st(4, 10, -4, 0), movr(2, 10), alu64i("add", 2, -4), ...ldMap(1, 0), call("bpf_map_lookup_elem"),
      movr(1, 0), alu64r("add", 1, 6), ldx(g.pick([1, 4]), 0, 1, g.pick([0, 0, 4])), mov(0, 0), exit());
  } else {
    tail.push(movr(0, 6), exit());
  }
  const insns = [...body, ...tail, mov(0, 0), exit()];
  const bailAt = insns.length - 2;
  for (const j of bail) insns[j] = { ...insns[j]!, off: bailAt - j - 1 };
  return { t, insns, maps };
};

/**
 * Newer and rarer instructions: sign-extending moves and loads, sdiv/smod, byte swaps, gotol, atomics on
 * the stack and on map values, 32-bit jumps, LD_ABS/IND; results returned from cgroup_skb so that their
 * tracked range is printed when outside [0, 1].
 */
const extFamily: Family = (g) => {
  const t = g.pick([CGSKB, CGSKB, SOCKET, TC]);
  const insns: RawInsn[] = [call("bpf_get_prandom_u32"), movr(6, 0)];
  const k = g.int(1, 4);
  for (let i = 0; i < k; i++) {
    switch (g.int(0, 9)) {
      case 0: insns.push(I(g.pick([0xbf, 0xbc]), 6, 6, g.pick([8, 16, 32]))); break; // movsx
      case 1: insns.push(stx(8, 10, 6, -8), I(g.pick([0x81, 0x89, 0x91]), 6, 10, g.pick([-8, -4, -2, -1]))); break; // ldsx
      case 2: insns.push(I(g.pick([0x37, 0x97, 0x34, 0x94]), 6, 0, 1, g.pick([3, -3, 7, -1]))); break; // sdiv/smod imm
      case 3: insns.push(I(g.pick([0xd4, 0xdc, 0xd7]), 6, 0, 0, g.pick([16, 32, 64]))); break; // le/be/bswap
      case 4: insns.push(st(8, 10, -16, g.int(0, 3)), mov(1, g.int(1, 3)), I(g.pick([0xdb, 0xc3]), 10, 1, -16, g.pick([0x00, 0x01, 0x40, 0x41, 0xe1, 0xa1])), ldx(8, 6, 10, -16)); break; // atomics on the stack
      case 5: insns.push(jmpi(g.pick(["jgt", "jlt", "jsgt", "jslt", "jeq"] as JmpOp[]), 6, g.pick([1, 5, -1]), 1, true), mov(6, g.int(0, 1))); break; // jmp32
      case 6: insns.push(I(0x06, 0, 0, 0, 1), mov(6, 5), alu64i("and", 6, 1)); break; // gotol over one insn
      case 7: if (t !== CGSKB) { insns.push(movr(7, 6), movr(6, 1), I(g.pick([0x30, 0x28, 0x20]), 0, 0, 0, g.pick([0, 12, 14, -1])), movr(6, 0)); } break; // LD_ABS
      case 8: insns.push(alu64i("and", 6, g.pick([1, 3, 0xff])), I(g.pick([0x3f, 0x9f]), 6, 6, g.pick([0, 1]))); break; // div/mod by a register (maybe zero)
      default: insns.push(I(0xe5, 0, 0, 1, 0), mov(6, 1)); break; // may_goto
    }
  }
  insns.push(movr(0, 6), exit());
  return { t, insns };
};

export const FAMILIES: Record<string, Family> = {
  ext: extFamily,
  scalar: scalarFamily,
  combo: comboFamily,
  cfg: cfgFamily, reserved: reservedFamily, alu: aluFamily, stack: stackFamily, packet: packetFamily, map: mapFamily, ctx: ctxFamily,
  helper: helperFamily, ref: refFamily, loop: loopFamily, call: callFamily, ret: retFamily,
};

const WEIGHTS: [string, number][] = [["ext", 30], ["scalar", 40], ["combo", 40], ["cfg", 6], ["reserved", 6], ["alu", 10], ["stack", 12], ["packet", 14], ["map", 16], ["ctx", 12],
  ["helper", 10], ["ref", 6], ["loop", 3], ["call", 5], ["ret", 5]];

/** `count` programs from `seed`; the same seed always gives the same programs. */
export function generate(seed: number, count: number): GenCase[] {
  const g = new G(rng(seed));
  const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
  const out: GenCase[] = [];
  for (let i = 0; i < count; i++) {
    let x = g.r() * total;
    let fam = WEIGHTS[0]![0];
    for (const [name, w] of WEIGHTS) { if (x < w) { fam = name; break; } x -= w; }
    const p = FAMILIES[fam]!(g);
    out.push({ id: `${seed}-${i}`, family: fam, type: p.t.type, progType: p.t.progType, insns: p.insns, maps: p.maps ?? [], license: p.license ?? "GPL" });
  }
  return out;
}

/** Flip random bits of a program (fuzzing: must never crash or hang the verifier). */
export function mutate(insns: readonly RawInsn[], seed: number): RawInsn[] {
  const g = new G(rng(seed));
  const out = insns.map((i) => ({ ...i }));
  const k = g.int(1, 3);
  for (let j = 0; j < k && out.length; j++) {
    const i = out[g.int(0, out.length - 1)]!;
    switch (g.int(0, 4)) {
      case 0: i.code = g.int(0, 255); break;
      case 1: i.dst = g.int(0, 15); break;
      case 2: i.src = g.int(0, 15); break;
      case 3: i.off = g.int(-32768, 32767) >> g.int(0, 14); break;
      default: i.imm = (g.int(-0x80000000, 0x7fffffff) >> g.int(0, 30)) | 0; break;
    }
  }
  return out;
}

export { I, alu32i, alu32r, alu64i, alu64r, call, exit, ja, jmpi, jmpr, lddw, ldMap, ldx, mov, movr, st, stx };
