// The helpers that act on sockets, as net/core/filter.c and net/core/sock_map.c implement them: sockops
// (callback flags, sockmap updates, header options, socket options), sk_msg (redirects, apply/cork
// bytes, pull/push/pop data), sk_skb (redirects, payload access on a non-linear skb) and the cookies.
// Each finds the socket its program runs for in the host's `call` (host.ts); the others come from
// src/helpers/impl.
import { HELPER_IMPLS, addr, err, helperFail, ok, s32, u64, type HelperCall, type HelperImpl } from "../helpers/impl/index.js";
import { SockMapRuntime } from "../maps/runtime/index.js";
import { fieldByName } from "../progtypes/index.js";
import { CTX } from "../runtime/layout.js";
import { MAX_MSG_FRAGS, type SkMsg } from "./frags.js";
import type { ProgramHost } from "./host.js";
import { TCP, type SimSocket } from "./socket.js";
import { CB, OP, type SocketWorld } from "./world.js";

export interface MsgState {
  msg: SkMsg;
  /** What data..data_end covers: a range of one element. */
  window: { elem: number; offset: number; length: number } | undefined;
  buffer: number;
  capacity: number;
}

export interface SkbState {
  redirect: { sock: SimSocket; ingress: boolean } | undefined;
  len: number;
  buffer: number;
  /** Bytes of the payload in the linear part (data..data_end); 0 until bpf_skb_pull_data. */
  linear: number;
}

export interface SockCall {
  world: SocketWorld;
  kind: "sockops" | "sk_msg" | "sk_skb" | "sock_addr";
  sock: SimSocket;
  op?: number;
  /** sockops header-option callbacks: the TCP header at `buffer`, readable to `end`; option room left. */
  hdr?: { bytes: Uint8Array; end: number; len: number; flags: number; buffer: number; remaining: number; noSkb?: boolean };
  msg?: MsgState;
  skb?: SkbState;
}

const EPERM = 1, ENOENT = 2, ENOMEM = 12, EEXIST = 17, EINVAL = 22, ENOSPC = 28, ENOMSG = 42, EFAULT = 14, EOPNOTSUPP = 95;
const BPF_F_INGRESS = 1;
const SK_DROP = 0n, SK_PASS = 1n;

function call(c: HelperCall): SockCall {
  return (c.rt as ProgramHost).call ?? helperFail(c, "this helper runs only in the socket world (src/sockets)");
}
function want(c: HelperCall, kind: SockCall["kind"]): SockCall {
  const k = call(c);
  if (k.kind !== kind) helperFail(c, `not available to ${k.kind} programs`);
  return k;
}
function sockMap(c: HelperCall, handle: bigint): SockMapRuntime {
  const m = c.rt.map(handle, c.name.replace(/^bpf_/, ""));
  if (!(m instanceof SockMapRuntime)) helperFail(c, `map '${m.name}' is a ${m.spec.type}, not a sockmap or sockhash`);
  return m;
}
/** Write a field of the running program's context (data pointers, size, cb flags the kernel reads live). */
function setCtx(c: HelperCall, name: string, v: bigint | number, size = 4): void {
  const layout = (c.rt as ProgramHost).running?.layout;
  const f = layout ? fieldByName(layout, name) : undefined;
  if (!f) return;
  if (size === 8) c.rt.mem.dv.setBigUint64(CTX + f.offset, BigInt.asUintN(64, BigInt(v)), true);
  else c.rt.mem.dv.setUint32(CTX + f.offset, Number(BigInt.asUintN(32, BigInt(v))), true);
}

/** sock_map_redirect_allowed: a TCP socket that is not listening. */
const redirectAllowed = (s: SimSocket): boolean => s.state !== TCP.LISTEN && !s.appClosed;

// ---------------------------------------------------------------- sockops
const sock_ops_cb_flags_set: HelperImpl = (c) => {
  const k = want(c, "sockops");
  if (!k.sock.fullsock) return err(EINVAL);
  const v = s32(c.args[1]);
  k.sock.cbFlags = v & CB.ALL;
  setCtx(c, "bpf_sock_ops_cb_flags", k.sock.cbFlags);
  return u64(v & ~CB.ALL);
};

const sockmapUpdate: HelperImpl = (c) => {
  const k = want(c, "sockops");
  const m = sockMap(c, c.args[1]);
  // sock_map_op_okay and sock_map_sk_is_suitable
  const okOp = k.op === OP.ACTIVE_ESTABLISHED_CB || k.op === OP.PASSIVE_ESTABLISHED_CB || k.op === OP.TCP_LISTEN_CB;
  if (!okOp || !k.sock.fullsock || k.sock.proto !== "tcp") return err(EOPNOTSUPP);
  const key = c.rt.mem.read(addr(c.args[2]), m.spec.keySize);
  const r = k.world.mapInsert(m, key, k.sock, Number(c.args[3] & 0xffffffffn));
  return r < 0 ? err(-r) : ok;
};

/** TCP option search (bpf_search_tcp_opt): the option's offset, or a negative errno. */
function searchOpt(b: Uint8Array, from: number, end: number, kind: number, magic: Uint8Array | undefined): { at: number } | { err: number; eol: boolean } {
  let i = from;
  while (i < end) {
    const k = b[i]!;
    if (k === 0) return { err: ENOMSG, eol: true };
    if (k === 1) { i++; continue; }
    const l = b[i + 1] ?? 0;
    if (end - i < 2 || end - i < l || l < 2) return { err: EFAULT, eol: false };
    if (k === kind) {
      if (!magic) return { at: i };
      if (magic.length > l - 2) return { err: ENOMSG, eol: false };
      if (magic.every((x, j) => b[i + 2 + j] === x)) return { at: i };
    }
    i += l;
  }
  return { err: ENOMSG, eol: false };
}

const load_hdr_opt: HelperImpl = (c) => {
  const k = want(c, "sockops");
  const len = Number(c.args[2] & 0xffffffffn), flags = c.args[3];
  if (len < 2 || (flags & ~1n)) return err(EINVAL);
  const mem = c.rt.mem;
  const search = mem.read(addr(c.args[1]), len);
  const kind = search[0]!, slen = search[1]!;
  if (slen > len || kind === 1 || kind === 0) return err(EINVAL);
  let magic: Uint8Array | undefined;
  if (kind === 254 || kind === 253) {
    if (slen !== 4 && slen !== 6) return err(EINVAL);
    magic = search.slice(2, slen);
  } else if (slen) return err(EINVAL);
  let hdr: Uint8Array, end: number;
  if (flags & 1n) {
    // BPF_LOAD_HDR_OPT_TCP_SYN: the SYN of a request socket; a full socket has it only with TCP_SAVE_SYN
    const syn = k.sock.syn;
    if (!syn) return err(ENOENT);
    hdr = syn; end = syn.length;
  } else {
    if (!k.hdr || k.hdr.noSkb || k.op === OP.HDR_OPT_LEN_CB) return err(EPERM);
    hdr = mem.read(k.hdr.buffer, k.hdr.end); end = k.hdr.end;
  }
  const r = searchOpt(hdr, 20, end, kind, magic);
  if ("err" in r) return err(r.err);
  const optLen = hdr[r.at + 1]!;
  const copy = Math.min(optLen, len);
  mem.write(addr(c.args[1]), hdr.subarray(r.at, r.at + copy));
  return optLen > len ? err(ENOSPC) : u64(optLen);
};

const store_hdr_opt: HelperImpl = (c) => {
  const k = want(c, "sockops");
  if (k.op !== OP.WRITE_HDR_OPT_CB || !k.hdr || k.hdr.noSkb) return err(EPERM);
  const len = Number(c.args[2] & 0xffffffffn);
  if (len < 2 || c.args[3]) return err(EINVAL);
  const mem = c.rt.mem;
  const from = mem.read(addr(c.args[1]), len);
  const kind = from[0]!, klen = from[1]!;
  if (klen > len || kind === 1 || kind === 0) return err(EINVAL);
  if (klen > k.hdr.remaining) return err(ENOSPC);
  let magic: Uint8Array | undefined;
  if (kind === 254 || kind === 253) {
    if (klen < 4) return err(EINVAL);
    magic = from.slice(2, 4);
  }
  const cur = mem.read(k.hdr.buffer, k.hdr.end);
  const r = searchOpt(cur, 20, k.hdr.end, kind, magic);
  if (!("err" in r)) return err(EEXIST);
  if (r.err !== ENOMSG) return err(r.err);
  if (r.eol) return err(ENOSPC);
  mem.write(k.hdr.buffer + k.hdr.end, from.subarray(0, klen));
  k.world.hdrWritten.push(from.slice(0, klen));
  k.hdr.end += klen;
  k.hdr.remaining -= klen;
  setCtx(c, "skb_data_end", k.hdr.buffer + k.hdr.end, 8);
  (c.rt as ProgramHost).setPacketEnd(k.hdr.buffer + k.hdr.end);
  return ok;
};

const reserve_hdr_opt: HelperImpl = (c) => {
  const k = want(c, "sockops");
  if (k.op !== OP.HDR_OPT_LEN_CB || !k.hdr) return err(EPERM);
  const len = Number(c.args[1] & 0xffffffffn);
  if (c.args[2] || len < 2) return err(EINVAL);
  if (len > k.hdr.remaining) return err(ENOSPC);
  k.hdr.remaining -= len;
  return ok;
};

/** Socket options the simulation keeps (bpf_setsockopt / bpf_getsockopt on sockops and sock_addr). */
const SOCKOPTS: Record<string, { size: number; def?: Uint8Array }> = {
  "1/2": { size: 4 }, "1/7": { size: 4, def: le32(16384) }, "1/8": { size: 4, def: le32(131072) }, "1/9": { size: 4 }, "1/12": { size: 4 },
  "1/15": { size: 4 }, "1/36": { size: 4 }, "1/25": { size: 0 },
  "6/1": { size: 4 }, "6/2": { size: 4, def: le32(536) }, "6/4": { size: 4, def: le32(7200) }, "6/5": { size: 4, def: le32(75) }, "6/6": { size: 4, def: le32(9) },
  "6/7": { size: 4, def: le32(6) }, "6/10": { size: 4 }, "6/13": { size: 0, def: new TextEncoder().encode("cubic") }, "6/18": { size: 4 }, "6/25": { size: 4 }, "6/27": { size: 4 },
  "6/1001": { size: 4, def: le32(10) }, "6/1002": { size: 4 }, "6/1003": { size: 4 }, "6/1004": { size: 4 },
  "0/1": { size: 4 }, "41/67": { size: 4 },
};
function le32(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; }

const setsockopt: HelperImpl = (c) => {
  const k = call(c);
  if (!k.sock.fullsock) return err(EINVAL);
  const key = `${s32(c.args[1])}/${s32(c.args[2])}`;
  const spec = SOCKOPTS[key];
  const len = Number(c.args[4] & 0xffffffffn);
  if (!spec || (spec.size && len < spec.size)) return err(EINVAL);
  k.sock.opts.set(key, c.rt.mem.read(addr(c.args[3]), len));
  return ok;
};

const getsockopt: HelperImpl = (c) => {
  const k = call(c);
  const len = Number(c.args[4] & 0xffffffffn);
  const to = addr(c.args[3]);
  const key = `${s32(c.args[1])}/${s32(c.args[2])}`;
  // TCP_BPF_SYN (1005): the SYN's TCP header, for a request socket or a socket that saved it
  if (key === "6/1005" && k.sock.syn) {
    const syn = k.sock.syn;
    const out = new Uint8Array(len);
    out.set(syn.subarray(0, Math.min(len, syn.length)));
    c.rt.mem.write(to, out);
    return syn.length > len ? err(ENOSPC) : u64(syn.length);
  }
  const spec = SOCKOPTS[key];
  if (!spec || !k.sock.fullsock) { c.rt.mem.fill(to, len); return err(EINVAL); }
  const v = k.sock.opts.get(key) ?? spec.def ?? new Uint8Array(spec.size);
  const out = new Uint8Array(len);
  out.set(v.subarray(0, len));
  c.rt.mem.write(to, out);
  return ok;
};

// ---------------------------------------------------------------- cookies
const get_socket_cookie: HelperImpl = (c) => BigInt.asUintN(64, call(c).sock.cookie);
const get_netns_cookie: HelperImpl = (c) => call(c).world.netnsCookie;
const get_socket_uid: HelperImpl = () => 0n;
const sk_release: HelperImpl = () => ok;

// ---------------------------------------------------------------- sk_msg
const msgRedirect = (hashed: boolean): HelperImpl => (c) => {
  const k = want(c, "sk_msg");
  const m = sockMap(c, c.args[1]);
  const flags = c.args[3];
  if (flags & ~BigInt(BPF_F_INGRESS)) return SK_DROP;
  const key = hashed ? c.rt.mem.read(addr(c.args[2]), m.spec.keySize) : le32(Number(c.args[2] & 0xffffffffn));
  const s = m.at(key) as SimSocket | undefined;
  if (!s || !redirectAllowed(s)) return SK_DROP;
  k.msg!.msg.redirect = { sock: s, ingress: (flags & 1n) !== 0n };
  return SK_PASS;
};

const msg_apply_bytes: HelperImpl = (c) => { want(c, "sk_msg").msg!.msg.applyBytes = Number(c.args[1] & 0xffffffffn); return ok; };
const msg_cork_bytes: HelperImpl = (c) => { want(c, "sk_msg").msg!.msg.corkBytes = Number(c.args[1] & 0xffffffffn); return ok; };

/** Find the element holding byte `start` the way the kernel's loops do: index, its start offset and length. */
function findElem(msg: SkMsg, start: number): { i: number; offset: number; l: number } {
  let offset = 0, l = 0, i = 0;
  for (; i < msg.elems.length; i++) {
    offset += l;
    l = msg.elems[i]!.bytes.length;
    if (start < offset + l) return { i, offset, l };
  }
  return { i: msg.elems.length, offset, l };
}

function msgChange(c: HelperCall, k: SockCall, fn: (msg: SkMsg) => bigint): bigint {
  const st = k.msg!;
  k.world.syncMsgWindow(st);
  const r = fn(st.msg);
  if (r === ok) {
    const start = st.buffer;
    k.world.setMsgWindow(st);
    const len = st.window?.length ?? 0;
    setCtx(c, "data", start, 8);
    setCtx(c, "data_end", start + len, 8);
    setCtx(c, "size", st.msg.size);
  }
  return r;
}

const msg_pull_data: HelperImpl = (c) => {
  const k = want(c, "sk_msg");
  const start = Number(c.args[1] & 0xffffffffn), end = Number(c.args[2] & 0xffffffffn);
  if (c.args[3] || end <= start) return err(EINVAL);
  return msgChange(c, k, (msg) => {
    const bytes = end - start;
    const { i, offset, l } = findElem(msg, start);
    if (i >= msg.elems.length || start >= offset + l) return err(EINVAL);
    const total = start - offset + bytes;
    if (total <= l) { k.msg!.window = { elem: i, offset: start - offset, length: bytes }; return ok; }
    let copy = 0, j = i;
    while (j < msg.elems.length) { copy += msg.elems[j]!.bytes.length; j++; if (total <= copy) break; }
    if (total > copy) return err(EINVAL);
    if (copy > k.msg!.capacity) return err(ENOMEM);
    const merged = new Uint8Array(copy);
    let o = 0;
    for (const e of msg.elems.slice(i, j)) { merged.set(e.bytes, o); o += e.bytes.length; k.world.frags.release(e.page); }
    msg.elems.splice(i, j - i, { page: 0, offset: 0, bytes: merged });
    k.msg!.window = { elem: i, offset: start - offset, length: bytes };
    return ok;
  });
};

/** push_data / pop_data(msg, start, len, flags): flags must be 0, len 0 does nothing. */
const startLen = (fn: (k: SockCall, msg: SkMsg, start: number, len: number) => bigint): HelperImpl => (c) => {
  const k = want(c, "sk_msg");
  const start = Number(c.args[1] & 0xffffffffn), len = Number(c.args[2] & 0xffffffffn);
  if (c.args[3]) return err(EINVAL);
  if (len === 0) return ok;
  return msgChange(c, k, (msg) => fn(k, msg, start, len));
};

const msg_push_data = startLen((k, msg, start, len) => {
  let { i, offset, l } = findElem(msg, start);
  if (start > offset + l) return err(EINVAL);
  const space = MAX_MSG_FRAGS - msg.elems.length;
  const fresh = (n: number): Uint8Array => new Uint8Array(n); // the kernel's new page is not initialised
  if (!space || (space === 1 && start !== offset)) {
    if (i === msg.elems.length) i--;
    const e = msg.elems[i]!;
    const front = start - offset;
    const merged = new Uint8Array(e.bytes.length + len);
    merged.set(e.bytes.subarray(0, front));
    merged.set(e.bytes.subarray(front), front + len);
    k.world.frags.release(e.page);
    msg.elems[i] = { page: 0, offset: 0, bytes: merged };
  } else if (start - offset) {
    if (i === msg.elems.length) i--;
    const e = msg.elems[i]!;
    const front = start - offset;
    const rest = e.bytes.subarray(front);
    const inserted = [{ page: 0, offset: 0, bytes: fresh(len) }];
    if (rest.length) { k.world.frags.hold(e.page); inserted.push({ page: e.page, offset: e.offset + front, bytes: rest.slice() }); }
    e.bytes = e.bytes.slice(0, front);
    msg.elems.splice(i + 1, 0, ...inserted);
  } else msg.elems.splice(i, 0, { page: 0, offset: 0, bytes: fresh(len) });
  k.msg!.window = undefined;
  return ok;
});

const msg_pop_data = startLen((k, msg, start, len) => {
  let { i, offset, l } = findElem(msg, start);
  if (start >= offset + l || start + len > msg.size) return err(EINVAL);
  const space = MAX_MSG_FRAGS - msg.elems.length;
  let pop = len;
  if (start !== offset) {
    const e = msg.elems[i]!;
    const a = start - offset, b = e.bytes.length - pop - a;
    i++;
    if (b > 0) {
      if (space) {
        k.world.frags.hold(e.page);
        msg.elems.splice(i, 0, { page: e.page, offset: e.offset + a + pop, bytes: e.bytes.slice(a + pop) });
        e.bytes = e.bytes.slice(0, a);
      } else {
        const merged = new Uint8Array(a + b);
        merged.set(e.bytes.subarray(0, a));
        merged.set(e.bytes.subarray(a + pop), a);
        k.world.frags.release(e.page);
        msg.elems[i - 1] = { page: 0, offset: 0, bytes: merged };
      }
      pop = 0;
    } else {
      pop -= e.bytes.length - a;
      e.bytes = e.bytes.slice(0, a);
    }
  }
  while (pop) {
    const e = msg.elems[i]!;
    if (pop < e.bytes.length) { e.bytes = e.bytes.slice(pop); e.offset += pop; pop = 0; }
    else { pop -= e.bytes.length; k.world.frags.release(e.page); msg.elems.splice(i, 1); }
  }
  k.msg!.window = undefined;
  return ok;
});

// ---------------------------------------------------------------- sk_skb
const skRedirect = (hashed: boolean): HelperImpl => (c) => {
  const k = want(c, "sk_skb");
  const m = sockMap(c, c.args[1]);
  const flags = c.args[3];
  if (flags & ~BigInt(BPF_F_INGRESS)) return SK_DROP;
  const key = hashed ? c.rt.mem.read(addr(c.args[2]), m.spec.keySize) : le32(Number(c.args[2] & 0xffffffffn));
  const s = m.at(key) as SimSocket | undefined;
  if (!s || !redirectAllowed(s)) return SK_DROP;
  k.skb!.redirect = { sock: s, ingress: (flags & 1n) !== 0n };
  return SK_PASS;
};

/** sk_skb payload access: the whole skb (linear part and fragments) is at `buffer`. */
const skbOverride = (name: string, impl: (c: HelperCall, skb: SkbState) => bigint): HelperImpl => (c) => {
  const k = (c.rt as ProgramHost).call;
  if (k?.kind === "sk_skb") return impl(c, k.skb!);
  const generic = HELPER_IMPLS.get(name);
  return generic ? generic(c) : helperFail(c, "not implemented");
};

const skb_load_bytes = skbOverride("skb_load_bytes", (c, skb) => {
  const off = s32(c.args[1]), n = Number(c.args[3] & 0xffffffffn), to = addr(c.args[2]);
  if (off < 0 || off + n > skb.len) { c.rt.mem.fill(to, n); return err(EFAULT); }
  c.rt.mem.write(to, c.rt.mem.read(skb.buffer + off, n));
  return ok;
});
const skb_store_bytes = skbOverride("skb_store_bytes", (c, skb) => {
  const off = s32(c.args[1]), n = Number(c.args[3] & 0xffffffffn);
  if (off < 0 || off + n > skb.len || c.args[4] & ~3n) return err(EFAULT);
  c.rt.mem.write(skb.buffer + off, c.rt.mem.read(addr(c.args[2]), n));
  return ok;
});
const skb_pull_data = skbOverride("skb_pull_data", (c, skb) => {
  const len = Number(c.args[1] & 0xffffffffn);
  if (len > skb.len) return err(ENOMEM);
  skb.linear = Math.max(skb.linear, len);
  const host = c.rt as ProgramHost;
  host.packet!.dataEnd = skb.buffer + skb.linear;
  host.packetChanged();
  setCtx(c, "len", skb.len);
  return ok;
});

export const SOCK_HELPERS: ReadonlyMap<string, HelperImpl> = new Map<string, HelperImpl>([
  ["sock_ops_cb_flags_set", sock_ops_cb_flags_set],
  ["sock_hash_update", sockmapUpdate],
  ["sock_map_update", sockmapUpdate],
  ["load_hdr_opt", load_hdr_opt],
  ["store_hdr_opt", store_hdr_opt],
  ["reserve_hdr_opt", reserve_hdr_opt],
  ["setsockopt", setsockopt],
  ["getsockopt", getsockopt],
  ["get_socket_cookie", get_socket_cookie],
  ["get_netns_cookie", get_netns_cookie],
  ["get_socket_uid", get_socket_uid],
  ["sk_release", sk_release],
  ["msg_redirect_hash", msgRedirect(true)],
  ["msg_redirect_map", msgRedirect(false)],
  ["msg_apply_bytes", msg_apply_bytes],
  ["msg_cork_bytes", msg_cork_bytes],
  ["msg_pull_data", msg_pull_data],
  ["msg_push_data", msg_push_data],
  ["msg_pop_data", msg_pop_data],
  ["sk_redirect_hash", skRedirect(true)],
  ["sk_redirect_map", skRedirect(false)],
  ["skb_load_bytes", skb_load_bytes],
  ["skb_store_bytes", skb_store_bytes],
  ["skb_pull_data", skb_pull_data],
]);
