// The simulated host: one network namespace (loopback: 127.0.0.0/8 and ::1), one cgroup the programs
// attach to, TCP and UDP sockets, and the object's programs (host.ts). TCP goes through the kernel's
// steps in the kernel's order as far as BPF can observe them (sockops callbacks and their context,
// state changes, sockmap membership, sk_msg and sk_skb verdicts, cgroup sock_addr hooks); segments go
// through a loopback "wire" processed to the end after every system call, the way the kernel handles
// loopback traffic in softirq before the call returns. What is not modelled is listed in docs/sockets.md.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { SockMapRuntime, type RuntimeMap } from "../maps/runtime/index.js";
import { mapTypeByName } from "../maps/types.js";
import { parseBytes } from "../maps/values.js";
import type { Program } from "../program/program.js";
import { BPF_SOCK_LAYOUT, SK_ACTIONS } from "../progtypes/index.js";
import { R_READ, R_WRITE } from "../runtime/layout.js";
import type { Mode } from "../runtime/engine.js";
import { AF_INET, AF_INET6, CtxReader, CtxWriter } from "./contexts.js";
import { PageFrags, SkMsg, type Elem } from "./frags.js";
import { ProgramHost, type LoadedProg } from "./host.js";
import type { MsgState, SkbState, SockCall } from "./helpers.js";
import { errnoName, type CallbackRecord, type MapReport, type SimSocketReport, type StepReport } from "./report.js";
import { HOOKS, formatEndpoint, parseEndpoint, TCP_STATES, type DeliveryPath, type Endpoint, type HookInfo, type SocketKind } from "./scenario.js";
import { Psock, SimSocket, TCP, type RxChunk } from "./socket.js";

/** enum of sockops ops (uapi bpf.h). */
export const OP = {
  VOID: 0, TIMEOUT_INIT: 1, RWND_INIT: 2, TCP_CONNECT_CB: 3, ACTIVE_ESTABLISHED_CB: 4, PASSIVE_ESTABLISHED_CB: 5,
  NEEDS_ECN: 6, BASE_RTT: 7, RTO_CB: 8, RETRANS_CB: 9, STATE_CB: 10, TCP_LISTEN_CB: 11, RTT_CB: 12,
  PARSE_HDR_OPT_CB: 13, HDR_OPT_LEN_CB: 14, WRITE_HDR_OPT_CB: 15,
} as const;
export const OP_NAMES = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])) as Record<number, string>;
/** bpf_sock_ops_cb_flags bits. */
export const CB = { RTO: 1, RETRANS: 2, STATE: 4, RTT: 8, PARSE_ALL_HDR: 16, PARSE_UNKNOWN_HDR: 32, WRITE_HDR: 64, ALL: 0x7f } as const;

const SK_PASS = 1;
const MAX_SEGMENT = 65483; // loopback: 64 KiB GSO segments less the IPv4/TCP headers
const EPHEMERAL_FIRST = 40000;
const MAX_VIEWS = 512;
const MSG_BUFFER = 1 << 18;
const MAX_WIRE = 10_000;
/** Ports in network order for __sk_buff / sockops come out of `remote` and `local`. */
const isLoopback = (e: Endpoint): boolean => (e.family === 4 ? e.addr[0] === 127 : e.addr.every((b, i) => b === (i === 15 ? 1 : 0)));
const isAny = (e: Endpoint): boolean => e.addr.every((b) => b === 0);
const sameAddr = (a: Endpoint, b: Endpoint): boolean => a.family === b.family && a.addr.every((x, i) => x === b.addr[i]);
const sameEnd = (a: Endpoint | undefined, b: Endpoint): boolean => !!a && a.port === b.port && sameAddr(a, b);
const LOOPBACK4: Endpoint = { family: 4, addr: Uint8Array.of(127, 0, 0, 1), port: 0 };
const LOOPBACK6: Endpoint = { family: 6, addr: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), port: 0 };
/** The wildcard address (0.0.0.0 / ::) of a family with `port`. */
const anyAddr = (family: 4 | 6, port: number): Endpoint => ({ family, addr: new Uint8Array(family === 4 ? 4 : 16), port });

interface Segment {
  from: SimSocket;
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  ack: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  hasAck: boolean;
  data: RxChunk[];
  /** TCP options as sent (the kernel's and what sockops programs wrote). */
  options: Uint8Array;
  /** A SYN with ECE and CWR (the connecting side's NEEDS_ECN answered 1). */
  ecn?: boolean;
}

export interface WorldOptions {
  mode?: Mode;
  /** For messages: the scenario file. */
  file?: string;
}

/** Programs attached to a sockmap / sockhash. */
interface MapProgs { msg?: LoadedProg; parser?: LoadedProg; verdict?: LoadedProg; skbVerdict?: LoadedProg }

export class SocketWorld {
  readonly host: ProgramHost;
  /** Sockets by the name the scenario gave them (accepted sockets once accepted). */
  readonly sockets = new Map<string, SimSocket>();
  /** Every socket, named or not, in creation order. */
  private readonly all: SimSocket[] = [];
  private readonly cgroupProgs = new Map<string, LoadedProg[]>();
  private readonly mapProgs = new Map<string, MapProgs>();
  private readonly wire: Segment[] = [];
  readonly frags = new PageFrags();
  /** Every program run, in order, for the report's timeline. */
  readonly log: { sock: SimSocket; record: CallbackRecord }[] = [];
  readonly steps: StepReport[] = [];
  readonly netnsCookie = 0x1000n;
  private nextCookie = 0x2000n;
  private nextPort = EPHEMERAL_FIRST;
  private nextIss = 1_000_000;
  private nextFd = 3;
  private readonly fds = new Map<number, SimSocket>();
  private readonly viewBase: number;
  private readonly msgBuffer: number;
  private readonly skbBuffer: number;
  private readonly hdrBuffer: number;
  private processed = 0;
  /** Where the current step is (scenario line), for errors. */
  line: number | undefined;
  readonly file: string | undefined;

  constructor(programs: readonly Program[], options: WorldOptions = {}) {
    this.host = new ProgramHost(programs, options.mode ?? "checked");
    this.file = options.file;
    const mem = this.host.mem;
    this.viewBase = mem.alloc(MAX_VIEWS * BPF_SOCK_LAYOUT.size, 8, "socket views");
    this.msgBuffer = mem.alloc(MSG_BUFFER, 8, "message data");
    this.skbBuffer = mem.alloc(MSG_BUFFER, 8, "sk_skb data");
    this.hdrBuffer = mem.alloc(256, 8, "TCP header");
    this.host.fixedRegions = [{ kind: "memory", name: "struct bpf_sock", start: this.viewBase, end: this.viewBase + MAX_VIEWS * BPF_SOCK_LAYOUT.size, flags: R_READ }];
    for (const m of this.host.maps.values()) {
      if (m instanceof SockMapRuntime) m.owner = { update: (map, key, value, flags, fromProgram) => this.mapUpdateRaw(map, key, value, flags, fromProgram), delete: (map, key) => this.mapDelete(map, key) };
    }
  }

  // ---------------------------------------------------------------- errors
  private fail(what: string, socket?: string): never {
    const where = { ...(this.file ? { file: this.file } : {}), ...(this.line !== undefined ? { line: this.line } : {}) };
    throw new BpfkitError(socket ? diag("BK9702", { socket, what }, where) : diag("BK9704", { what }, where), 2);
  }

  /** A socket by name (one the application still has). */
  socket(name: string): SimSocket {
    const s = this.sockets.get(name);
    if (!s) this.fail(`no socket '${name}' (sockets: ${[...this.sockets.keys()].join(", ") || "none"})`);
    return s!;
  }
  private open(name: string): SimSocket {
    const s = this.socket(name);
    if (s.appClosed) this.fail("it was closed; a closed socket cannot be used again", name);
    return s;
  }

  /** A map of the object by name. */
  map(name: string): RuntimeMap {
    const m = this.host.maps.get(name);
    if (!m) this.fail(`no map '${name}' (the object has ${[...this.host.maps.keys()].join(", ") || "none"})`);
    return m!;
  }

  // ---------------------------------------------------------------- programs
  attach(prog: string, hookName: string, mapName?: string): void {
    const hook = HOOKS[hookName];
    if (!hook) this.fail(`unknown hook '${hookName}' (one of ${Object.keys(HOOKS).join(", ")})`);
    const p = this.program(prog, hook!);
    if (hook!.kind === "cgroup") {
      const list = this.cgroupProgs.get(hook!.name) ?? [];
      if (list.includes(p)) this.fail(`program '${prog}' is already attached to ${hook!.name}`);
      list.push(p);
      this.cgroupProgs.set(hook!.name, list);
      return;
    }
    const m = this.map(mapName ?? this.fail(`hook ${hookName} needs a sockmap or sockhash`));
    if (!(m instanceof SockMapRuntime)) this.fail(`map '${m.name}' is a ${m.spec.type}; ${hookName} programs attach to a sockmap or sockhash`);
    const progs = this.mapProgs.get(m.name) ?? {};
    const slot = hook!.name === "sk_msg" ? "msg" : hook!.name === "stream_parser" ? "parser" : hook!.name === "stream_verdict" ? "verdict" : "skbVerdict";
    // sock_map_prog_update: one program per attach point (a link on an occupied one is EBUSY)
    if (progs[slot]) this.fail(`map '${m.name}' already has ${progs[slot]!.name} on ${hook!.name}`);
    if ((slot === "verdict" && progs.skbVerdict) || (slot === "skbVerdict" && progs.verdict)) this.fail(`map '${m.name}' has a stream verdict and an skb verdict program: the kernel allows one of the two (EBUSY)`);
    progs[slot] = p;
    this.mapProgs.set(m.name, progs);
  }

  detach(prog: string, hookName: string, mapName?: string): void {
    const hook = HOOKS[hookName] ?? this.fail(`unknown hook '${hookName}'`);
    if (hook.kind === "cgroup") {
      const list = this.cgroupProgs.get(hook.name) ?? [];
      const i = list.findIndex((p) => p.name === prog);
      if (i < 0) this.fail(`program '${prog}' is not attached to ${hook.name}`);
      list.splice(i, 1);
      return;
    }
    const progs = this.mapProgs.get(mapName ?? "") ?? {};
    const slot = hook.name === "sk_msg" ? "msg" : hook.name === "stream_parser" ? "parser" : hook.name === "stream_verdict" ? "verdict" : "skbVerdict";
    if (progs[slot]?.name !== prog) this.fail(`program '${prog}' is not attached to ${hook.name} of '${mapName}'`);
    delete progs[slot];
  }

  private program(name: string, hook: HookInfo): LoadedProg {
    const p = this.host.programs.get(name);
    if (!p) this.fail(`the object has no program '${name}' the socket world can run (it has ${[...this.host.programs.keys()].join(", ") || "none"})`);
    if (p!.info.name !== hook.progType) this.fail(`program '${name}' is ${p!.info.name} (section ${p!.program.section}); hook ${hook.name} takes ${hook.progType} programs`);
    if (hook.progType === "cgroup_sock_addr" && p!.attachType !== hook.attachType) this.fail(`program '${name}' was built for another sock_addr hook (section ${p!.program.section}); it cannot attach to ${hook.name}`);
    return p!;
  }

  // ---------------------------------------------------------------- maps from user space
  /** Set a map entry from user space: KEY and VALUE as text (`parseBytes`), or a socket for sockmap / sockhash. */
  mapSet(mapName: string, keyText: string | Uint8Array, value: string | Uint8Array | SimSocket, flags = 0): string {
    const m = this.map(mapName);
    const key = typeof keyText === "string" ? this.bytes(keyText, m.spec.keySize, `key of map '${mapName}'`) : keyText;
    if (m instanceof SockMapRuntime) {
      const sock = value instanceof SimSocket ? value : typeof value === "string" ? this.open(value) : this.fail(`a ${m.spec.type} value is a socket: give its name`);
      if (sock.appClosed) this.fail("it was closed", sock.name);
      // sock_map_update_elem_sys: only established or listening TCP sockets
      const r = this.stateAllowed(sock) ? this.mapInsert(m, key, sock, flags) : -95;
      return r < 0 ? errnoName(-r) : "ok";
    }
    const bytes = value instanceof SimSocket ? this.fail(`map '${mapName}' is a ${m.spec.type}, not a sockmap`) : typeof value === "string" ? this.bytes(value, m.spec.valueSize, `value of map '${mapName}'`) : value;
    const r = m.set(key, bytes, flags);
    return r < 0 ? errnoName(-r) : "ok";
  }

  mapUnset(mapName: string, keyText: string | Uint8Array): string {
    const m = this.map(mapName);
    const key = typeof keyText === "string" ? this.bytes(keyText, m.spec.keySize, `key of map '${mapName}'`) : keyText;
    const r = m.delete(key);
    return r < 0 ? errnoName(-r) : "ok";
  }

  /** Key or value text (`parseBytes`), its error placed at the scenario line. */
  private bytes(text: string, size: number, what: string): Uint8Array {
    try { return parseBytes(text, size, what); } catch (e) {
      if (!(e instanceof BpfkitError)) throw e;
      this.fail(e.diagnostics[0]!.message);
    }
  }

  /** sock_map_sk_state_allowed: TCP sockets established or listening (UDP ones are not simulated in maps). */
  private stateAllowed(s: SimSocket): boolean {
    return s.proto === "tcp" && s.fullsock && (s.state === TCP.ESTABLISHED || s.state === TCP.LISTEN);
  }

  /** A sockmap / sockhash update from user space (value: fd) or a program (value: socket pointer). */
  private mapUpdateRaw(map: SockMapRuntime, key: Uint8Array, value: Uint8Array, flags: number, fromProgram: boolean): number {
    const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const sock = fromProgram ? this.byView(Number(dv.getBigUint64(0, true))) : this.fds.get(value.length >= 4 ? dv.getUint32(0, true) : -1);
    if (!sock) return fromProgram ? -22 : -9; // EINVAL / EBADF
    if (!this.stateAllowed(sock)) return -95; // EOPNOTSUPP
    return this.mapInsert(map, key, sock, flags);
  }

  private mapDelete(map: SockMapRuntime, key: Uint8Array): number {
    const s = map.at(key) as SimSocket | undefined;
    if (!s) return map.hashed ? -2 : -22; // sock_hash_delete_elem: ENOENT; sock_map_delete_elem: EINVAL, empty or past the end
    map.remove(key);
    this.unlink(s, map, key);
    return 0;
  }

  /**
   * Put a socket in a sockmap / sockhash (sock_map_update_common / sock_hash_update_common): the psock
   * takes the map's programs first (EBUSY when it has one of the same kind already), then the slot.
   */
  mapInsert(map: SockMapRuntime, key: Uint8Array, s: SimSocket, flags: number): number {
    if (s.proto !== "tcp") this.fail("UDP sockets in a sockmap or sockhash are not simulated", s.name);
    const progs = this.mapProgs.get(map.name) ?? {};
    const had = s.psock;
    if (had) {
      const p = had.progs;
      if ((progs.msg && p.msg) || (progs.parser && p.parser) || (progs.skbVerdict && (p.skbVerdict || p.verdict)) || (progs.verdict && (p.skbVerdict || p.verdict))) return -16; // EBUSY
    }
    const psock = had ?? new Psock();
    if (progs.msg) psock.progs.msg = progs.msg;
    if (progs.parser) psock.progs.parser = progs.parser;
    if (progs.verdict) psock.progs.verdict = progs.verdict;
    if (progs.skbVerdict) psock.progs.skbVerdict = progs.skbVerdict;
    const check = map.check(key, flags);
    if (check < 0) {
      if (had) s.psock = had; // the programs stay on an existing psock, as in the kernel
      return check;
    }
    s.psock = psock;
    const old = map.put(key, s) as SimSocket | undefined;
    psock.links.push({ map, key: key.slice() });
    if (old && old !== s) this.unlink(old, map, key);
    return 0;
  }

  /** A map slot no longer holds `s`: drop the link, and the psock with its last link (sk_psock_drop). */
  private unlink(s: SimSocket, map: SockMapRuntime, key: Uint8Array): void {
    const p = s.psock;
    if (!p) return;
    const k = key.join(",");
    p.links = p.links.filter((l) => !(l.map === map && l.key.join(",") === k));
    if (!p.links.length) this.dropPsock(s);
  }

  private dropPsock(s: SimSocket): void {
    const p = s.psock;
    if (!p) return;
    s.psock = undefined;
    for (const c of p.ingress) this.frags.release(c.page); // sk_psock_zap_ingress: queued messages are lost
    p.cork?.free(this.frags);
  }

  /** sock_map_remove_links: out of every map (sock_map_close, sock_map_destroy). */
  private removeFromMaps(s: SimSocket): void {
    const p = s.psock;
    if (!p) return;
    for (const l of [...p.links]) if (l.map.at(l.key) === s) l.map.remove(l.key);
    p.links = [];
    this.dropPsock(s);
  }

  private byView(addr: number): SimSocket | undefined {
    return this.all.find((s) => s.view === addr);
  }

  // ---------------------------------------------------------------- sockets
  /** socket(2). `outside`: made by a process outside the world's cgroup (no cgroup program sees it). */
  create(name: string, kind: SocketKind, outside = false): SimSocket {
    if (this.sockets.has(name)) this.fail(`a socket named '${name}' exists already`);
    const s = this.newSocket(name, kind, !outside);
    this.sockets.set(name, s);
    this.fds.set(this.nextFd++, s);
    return s;
  }

  private newSocket(name: string, kind: SocketKind, inCgroup: boolean): SimSocket {
    if (this.all.length >= MAX_VIEWS) this.fail(`more than ${MAX_VIEWS} sockets`);
    const s = new SimSocket(name, kind, inCgroup, this.viewBase + this.all.length * BPF_SOCK_LAYOUT.size, this.nextCookie++);
    this.all.push(s);
    return s;
  }

  /** The fd user space would pass for `s` (sockmap updates from user space take fds). */
  fdOf(s: SimSocket): number {
    for (const [fd, x] of this.fds) if (x === s) return fd;
    return -1;
  }

  bind(name: string, addrText: string | Endpoint): string {
    const s = this.open(name);
    let addr = this.endpoint(addrText, s);
    if (s.local) return this.result(s, "EINVAL");
    const hooked = this.sockAddrHook(s, addr.family === 4 ? "bind4" : "bind6", addr);
    if (hooked.verdict === 0) return this.result(s, "EPERM");
    addr = hooked.addr;
    if (!isAny(addr) && !isLoopback(addr)) return this.result(s, "EADDRNOTAVAIL");
    if (addr.port && this.listenerOn(s, addr)) return this.result(s, "EADDRINUSE");
    s.local = { ...addr, port: addr.port || this.ephemeral() };
    return this.result(s, "ok");
  }

  listen(name: string): string {
    const s = this.open(name);
    if (s.proto !== "tcp") return this.result(s, "EOPNOTSUPP");
    if (s.state === TCP.LISTEN) return this.result(s, "ok");
    if (s.state !== TCP.CLOSE || s.remote) return this.result(s, "EINVAL");
    if (!s.local) s.local = anyAddr(s.family, this.ephemeral());
    if (this.listenerOn(s, s.local)) return this.result(s, "EADDRINUSE");
    s.state = TCP.LISTEN; // inet_csk_listen_start: no STATE_CB
    this.sockops(s, OP.TCP_LISTEN_CB);
    return this.result(s, "ok");
  }

  private listenerOn(self: SimSocket, a: Endpoint): SimSocket | undefined {
    return this.all.find((x) => x !== self && !x.appClosed && x.state === TCP.LISTEN && x.family === a.family && x.local?.port === a.port
      && (isAny(x.local) || isAny(a) || sameAddr(x.local, a)));
  }

  connect(name: string, addrText: string | Endpoint): string {
    const s = this.open(name);
    let dst = this.endpoint(addrText, s);
    if (s.state === TCP.LISTEN) return this.result(s, "EINVAL");
    if (s.proto === "tcp" && s.state === TCP.SYN_SENT) return this.result(s, "EALREADY");
    if (s.proto === "tcp" && s.remote) return this.result(s, "EISCONN");
    const hooked = this.sockAddrHook(s, dst.family === 4 ? "connect4" : "connect6", dst);
    if (hooked.verdict === 0) return this.result(s, "EPERM");
    dst = hooked.addr;
    if (!isLoopback(dst)) return this.result(s, "ENETUNREACH");
    if (!s.local || isAny(s.local)) s.local = { ...(dst.family === 4 ? LOOPBACK4 : LOOPBACK6), port: s.local?.port || this.ephemeral() };
    if (s.proto === "udp") { s.remote = dst; return this.result(s, "ok"); }
    s.remote = dst;
    s.iss = this.nextIss += 1_000_000;
    s.sndUna = s.sndNxt = s.iss;
    this.setState(s, TCP.SYN_SENT);
    this.sockops(s, OP.TCP_CONNECT_CB);
    s.mss = 524; // tcp_connect_init: 536 less the timestamp option until the peer's MSS is known
    this.sockops(s, OP.RWND_INIT);
    this.sockops(s, OP.TIMEOUT_INIT);
    const ecn = this.sockops(s, OP.NEEDS_ECN) === 1;
    this.transmit(s, { syn: true, ecn });
    this.flush();
    if (s.state === TCP.ESTABLISHED || s.state === TCP.CLOSE_WAIT) return this.result(s, "ok");
    const e = s.pendingError ?? "ECONNREFUSED";
    s.pendingError = undefined;
    s.remote = undefined;
    return this.result(s, e);
  }

  accept(listenerName: string, name: string): SimSocket {
    const l = this.open(listenerName);
    if (this.sockets.has(name)) this.fail(`a socket named '${name}' exists already`);
    if (l.state !== TCP.LISTEN) this.fail(`accept on a socket that is not listening (it is ${TCP_STATES[l.state]})`, l.name);
    const child = l.acceptQueue.shift();
    if (!child) this.fail("no connection is waiting to be accepted (accept would block)", l.name);
    child!.name = name;
    this.sockets.set(name, child!);
    this.fds.set(this.nextFd++, child!);
    this.steps.push({ line: this.line ?? 0, op: "accept", socket: name, result: "ok" });
    return child!;
  }

  /** send(2) on a TCP socket (or a connected UDP one): the result as the live runner gives it. */
  send(name: string, data: Uint8Array | string): string {
    const s = this.open(name);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (s.proto === "udp") {
      if (!s.remote) return this.result(s, "EDESTADDRREQ");
      return this.result(s, this.udpSend(s, s.remote, bytes, false));
    }
    const r = this.tcpSendmsg(s, bytes);
    this.flush();
    return this.result(s, r);
  }

  sendto(name: string, addrText: string | Endpoint, data: Uint8Array | string): string {
    const s = this.open(name);
    if (s.proto !== "udp") this.fail("sendto is for UDP sockets", name);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.result(s, this.udpSend(s, this.endpoint(addrText, s), bytes, true));
  }

  /** recv(2) until nothing is left: the bytes read. */
  recv(name: string): Uint8Array {
    const s = this.open(name);
    const got = this.readAll(s);
    this.result(s, `${got.length} bytes`);
    return got;
  }

  /** Read what is pending without a step record (the end of a scenario). */
  recvQuiet(name: string): void {
    const s = this.socket(name);
    if (!s.appClosed) this.readAll(s);
  }

  shutdown(name: string): string {
    const s = this.open(name);
    if (s.proto !== "tcp" || !s.connected) return this.result(s, s.proto === "tcp" ? "ENOTCONN" : "ok");
    if (!s.shutWr) this.sendFin(s);
    this.flush();
    return this.result(s, "ok");
  }

  /** close(2): what is pending is read first (as the live runner does), then the kernel's tcp_close. */
  close(name: string): string {
    const s = this.open(name);
    if (s.proto === "tcp" && s.state !== TCP.LISTEN) this.readAll(s);
    this.result(s, "ok");
    this.tcpClose(s);
    this.flush();
    return "ok";
  }

  getpeername(name: string): { result: string; address?: string } {
    const s = this.open(name);
    if (!s.remote || (s.proto === "tcp" && s.state !== TCP.ESTABLISHED && s.state !== TCP.CLOSE_WAIT && !s.peerFin)) { this.result(s, "ENOTCONN"); return { result: "ENOTCONN" }; }
    const a = this.sockAddrHook(s, s.family === 4 ? "getpeername4" : "getpeername6", s.remote).addr;
    const address = formatEndpoint(a);
    this.steps.push({ line: this.line ?? 0, op: "getpeername", socket: name, result: "ok", address });
    return { result: "ok", address };
  }

  getsockname(name: string): { result: string; address?: string } {
    const s = this.open(name);
    const local = s.local ?? anyAddr(s.family, 0);
    const a = this.sockAddrHook(s, s.family === 4 ? "getsockname4" : "getsockname6", local).addr;
    const address = formatEndpoint(a);
    this.steps.push({ line: this.line ?? 0, op: "getsockname", socket: name, result: "ok", address });
    return { result: "ok", address };
  }

  private result(s: SimSocket, r: string): string {
    this.steps.push({ line: this.line ?? 0, op: this.currentOp ?? "call", socket: s.name, result: r });
    return r;
  }
  /** The scenario op being run (for the step report). */
  currentOp: string | undefined;

  private endpoint(a: string | Endpoint, s: SimSocket): Endpoint {
    let e: Endpoint;
    if (typeof a === "string") {
      try { e = parseEndpoint(a); } catch (err) { return this.fail((err as Error).message, s.name); }
    } else e = a;
    if (e.family !== s.family) this.fail(`the socket is IPv${s.family} but ${formatEndpoint(e)} is IPv${e.family}`, s.name);
    return e;
  }

  private ephemeral(): number { return this.nextPort++; }

  // ---------------------------------------------------------------- sockops
  /**
   * tcp_call_bpf: run the sockops programs of the socket's cgroup (a request socket runs its listener's)
   * for `op`; returns the reply (args[0] after the run), or -1 when a program did not return 1, or 0 when
   * no program is attached.
   */
  private sockops(s: SimSocket, op: number, opts: { args?: number[]; hdr?: { bytes: Uint8Array; end: number; len: number; flags: number; noSkb?: boolean } } = {}): number {
    const progs = s.inCgroup ? this.cgroupProgs.get("sockops") ?? [] : [];
    if (!progs.length) return 0;
    let reply = 0, failed = false;
    for (const p of progs) {
      const w = new CtxWriter(p.layout!);
      w.u32("op", op);
      (opts.args ?? []).forEach((v, i) => w.u32(`args[${i}]`, v));
      if (progs.indexOf(p) > 0) w.u32("args[0]", reply);
      this.sockCommon(w, s, { ip4: ["local_ip4", "remote_ip4"], ip6: ["local_ip6", "remote_ip6"] });
      w.u32("is_fullsock", s.fullsock ? 1 : 0).u32("state", s.state);
      if (s.fullsock) {
        w.u32("snd_cwnd", 10).u32("srtt_us", s.srttUs).u32("bpf_sock_ops_cb_flags", s.cbFlags).u32("rtt_min", s.srttUs >> 3)
          .u32("snd_ssthresh", 0x7fffffff).u32("rcv_nxt", s.rcvNxt).u32("snd_nxt", s.sndNxt).u32("snd_una", s.sndUna)
          .u32("mss_cache", s.mss).u32("packets_out", (s.sndNxt - s.sndUna) > 0 ? 1 : 0).u32("segs_in", s.segsIn).u32("data_segs_in", s.dataSegsIn)
          .u32("segs_out", s.segsOut).u32("data_segs_out", s.dataSegsOut).u32("sk_txhash", s.txhash)
          .u64("bytes_received", s.bytesReceived).u64("bytes_acked", s.bytesAcked).u64("sk", s.view);
      }
      const regions = [];
      if (opts.hdr && !opts.hdr.noSkb) {
        this.host.mem.write(this.hdrBuffer, opts.hdr.bytes);
        w.u64("skb_data", this.hdrBuffer).u64("skb_data_end", this.hdrBuffer + opts.hdr.end).u32("skb_len", opts.hdr.len).u32("skb_tcp_flags", opts.hdr.flags);
        regions.push({ kind: "packet" as const, name: "packet", start: this.hdrBuffer, end: this.hdrBuffer + opts.hdr.end, flags: R_READ });
      }
      this.refreshViews();
      const call: SockCall = { world: this, kind: "sockops", sock: s, op, hdr: opts.hdr ? { ...opts.hdr, buffer: this.hdrBuffer, remaining: 0 } : undefined };
      if (opts.hdr && this.hdrState) call.hdr!.remaining = this.hdrState.remaining;
      const res = this.host.run({ prog: p, ctx: w.bytes, regions, call });
      const r = new CtxReader(p.layout!, res.ctx);
      reply = r.u32("args[0]") | 0;
      if (s.fullsock) s.txhash = r.u32("sk_txhash");
      if ((res.r0 & 1n) !== 1n) failed = true;
      if (opts.hdr && this.hdrState) this.hdrState.remaining = call.hdr!.remaining;
      const replies = op === OP.TIMEOUT_INIT || op === OP.RWND_INIT || op === OP.NEEDS_ECN || op === OP.BASE_RTT;
      this.record(s, { hook: "sockops", program: p.name, what: OP_NAMES[op] + (s.fullsock ? "" : " (request)") + (op === OP.STATE_CB ? ` ${TCP_STATES[opts.args![0]!]}->${TCP_STATES[opts.args![1]!]}` : ""),
        retval: Number(BigInt.asIntN(32, res.r0)), ...(replies ? { reply } : {}) });
    }
    return failed ? -1 : reply;
  }
  /** Header-option space of the segment being built (HDR_OPT_LEN_CB / WRITE_HDR_OPT_CB). */
  hdrState: { remaining: number } | undefined;

  private record(s: SimSocket, r: CallbackRecord): void {
    s.callbacks.push(r);
    this.log.push({ sock: s, record: r });
  }

  /** family, addresses and ports as struct sock_common gives them. */
  private sockCommon(w: CtxWriter, s: SimSocket, names: { ip4: [string, string]; ip6: [string, string] }): void {
    w.u32("family", s.family === 4 ? AF_INET : AF_INET6);
    w.addrs(names, s.local, s.remote);
    if (s.remote) w.portHigh("remote_port", s.remote.port);
    if (s.local) w.u32("local_port", s.local.port);
  }

  /**
   * tcp_set_state: STATE_CB (before the change, with the flag). A TCP socket that reaches TCP_CLOSE stays
   * in its sockmaps until it is closed or destroyed (tcp_bpf's proto has no unhash hook since 6.5), so
   * only an orphan (closed by its application, or never accepted) leaves them here.
   */
  private setState(s: SimSocket, state: number): void {
    const old = s.state;
    if (s.fullsock && s.cbFlags & CB.STATE) this.sockops(s, OP.STATE_CB, { args: [old, state] });
    s.state = state;
    if (state === TCP.CLOSE && s.appClosed) this.removeFromMaps(s); // sock_map_destroy
  }

  /** Write every socket's `struct bpf_sock` (programs read sk->... through it). */
  private refreshViews(): void {
    const mem = this.host.mem;
    for (const s of this.all) {
      const w = new CtxWriter(BPF_SOCK_LAYOUT);
      w.u32("family", s.family === 4 ? AF_INET : AF_INET6).u32("type", s.proto === "tcp" ? 1 : 2).u32("protocol", s.proto === "tcp" ? 6 : 17);
      if (s.local) {
        if (s.family === 4) w.raw("src_ip4", s.local.addr); else w.raw("src_ip6[0]", s.local.addr);
        w.u32("src_port", s.local.port);
      }
      if (s.remote) {
        if (s.family === 4) w.raw("dst_ip4", s.remote.addr); else w.raw("dst_ip6[0]", s.remote.addr);
        w.portLow("dst_port", s.remote.port);
      }
      w.u32("state", s.state).u32("rx_queue_mapping", 0xffffffff);
      mem.write(s.view, w.bytes);
    }
  }

  // ---------------------------------------------------------------- cgroup sock_addr hooks
  private sockAddrHook(s: SimSocket, hook: string, addr: Endpoint, msgSrc?: Endpoint): { verdict: number; addr: Endpoint; src?: Endpoint } {
    const progs = s.inCgroup ? this.cgroupProgs.get(hook) ?? [] : [];
    let cur = addr, src = msgSrc, verdict = 1;
    for (const p of progs) {
      const w = new CtxWriter(p.layout!);
      w.u32("user_family", cur.family === 4 ? AF_INET : AF_INET6);
      if (cur.family === 4) w.raw("user_ip4", cur.addr); else w.raw("user_ip6[0]", cur.addr);
      w.portLow("user_port", cur.port);
      w.u32("family", s.family === 4 ? AF_INET : AF_INET6).u32("type", s.proto === "tcp" ? 1 : 2).u32("protocol", s.proto === "tcp" ? 6 : 17);
      if (src) { if (src.family === 4) w.raw("msg_src_ip4", src.addr); else w.raw("msg_src_ip6[0]", src.addr); }
      w.u64("sk", s.view);
      this.refreshViews();
      const res = this.host.run({ prog: p, ctx: w.bytes, call: { world: this, kind: "sock_addr", sock: s } });
      const r = new CtxReader(p.layout!, res.ctx);
      cur = { family: cur.family, addr: cur.family === 4 ? r.raw("user_ip4", 4) : r.raw("user_ip6[0]", 16), port: r.portLow("user_port") };
      if (src) src = { family: src.family, addr: src.family === 4 ? r.raw("msg_src_ip4", 4) : r.raw("msg_src_ip6[0]", 16), port: src.port };
      const rv = Number(res.r0 & 0xffffffffn);
      this.record(s, { hook, program: p.name, what: sameEnd(addr, cur) ? formatEndpoint(cur) : `${formatEndpoint(addr)} -> ${formatEndpoint(cur)}`, retval: rv });
      if ((rv & 1) === 0) { verdict = 0; break; }
    }
    return { verdict, addr: cur, ...(src ? { src } : {}) };
  }

  // ---------------------------------------------------------------- TCP segments
  private transmit(s: SimSocket, f: { syn?: boolean; fin?: boolean; rst?: boolean; ack?: boolean; data?: RxChunk[]; ecn?: boolean }): void {
    const data = f.data ?? [];
    const len = data.reduce((n, c) => n + c.bytes.length, 0);
    const seg: Segment = {
      from: s, src: s.local!, dst: s.remote!, seq: s.sndNxt, ack: s.rcvNxt, syn: !!f.syn, fin: !!f.fin, rst: !!f.rst,
      hasAck: !f.rst && !(f.syn && s.state === TCP.SYN_SENT), data, options: baseOptions(!!f.syn), ...(f.ecn ? { ecn: true } : {}),
    };
    s.ackPending = false; // every segment carries the ACK
    s.sndNxt += len + (f.syn ? 1 : 0) + (f.fin ? 1 : 0);
    if (f.fin) s.finSeq = s.sndNxt - 1;
    s.segsOut++;
    if (len) s.dataSegsOut++;
    if (!f.rst) this.headerOptions(s, seg);
    this.wire.push(seg);
  }

  /** HDR_OPT_LEN_CB then WRITE_HDR_OPT_CB for the segment (tcp_established_options / tcp_syn_options / synack). */
  private headerOptions(s: SimSocket, seg: Segment): void {
    const owner = s.fullsock ? s : s.listener!;
    if (!(owner.cbFlags & CB.WRITE_HDR)) return;
    const remaining = 40 - seg.options.length;
    const flags = tcpFlags(seg);
    this.hdrState = { remaining };
    const hdr = tcpHeader(seg);
    this.sockops(s, OP.HDR_OPT_LEN_CB, { args: [0], hdr: { bytes: hdr, end: 0, len: hdr.length + segLen(seg), flags } });
    const reserved = (remaining - this.hdrState.remaining + 3) & ~3;
    if (reserved > 0) {
      this.hdrState = { remaining: reserved };
      const room = new Uint8Array(hdr.length + reserved);
      room.set(hdr);
      this.hdrWritten = [];
      this.sockops(s, OP.WRITE_HDR_OPT_CB, { args: [0], hdr: { bytes: room, end: hdr.length, len: room.length + segLen(seg), flags } });
      const written = concat(this.hdrWritten);
      const opts = new Uint8Array(seg.options.length + reserved).fill(1); // TCPOPT_NOP pads what was not written
      opts.set(seg.options);
      opts.set(written.subarray(0, reserved), seg.options.length);
      seg.options = opts;
    }
    this.hdrState = undefined;
  }
  /** Options bpf_store_hdr_opt wrote into the segment being built. */
  hdrWritten: Uint8Array[] = [];

  /** Process segments until none is left (loopback softirq). */
  private flush(): void {
    this.processed = 0;
    while (this.wire.length) {
      if (++this.processed > MAX_WIRE) {
        this.wire.length = 0;
        this.overflow(`more than ${MAX_WIRE} segments in one call without end: the programs redirect data in a loop (the kernel would loop too)`);
      }
      this.receive(this.wire.shift()!);
    }
  }

  private receive(seg: Segment): void {
    const target = this.all.find((x) => x.proto === "tcp" && x.state !== TCP.LISTEN && x.state !== TCP.CLOSE && sameEnd(x.local, seg.dst) && sameEnd(x.remote, seg.src))
      ?? this.all.find((x) => x.proto === "tcp" && x.tw && sameEnd(x.local, seg.dst) && sameEnd(x.remote, seg.src));
    if (target?.tw) { this.timeWaitSegment(target, seg); return; }
    if (!target) {
      const l = this.all.find((x) => x.proto === "tcp" && x.state === TCP.LISTEN && !x.appClosed && x.family === seg.dst.family && x.local!.port === seg.dst.port && (isAny(x.local!) || sameAddr(x.local!, seg.dst)));
      if (l && seg.syn && !seg.hasAck) { this.onSyn(l, seg); return; }
      if (!seg.rst) this.sendReset(seg);
      for (const c of seg.data) this.frags.release(c.page);
      return;
    }
    target.segsIn++;
    if (seg.rst) { this.onReset(target); return; }
    if (target.state === TCP.NEW_SYN_RECV) { this.onHandshakeAck(target, seg); return; }
    if (target.state === TCP.SYN_SENT) { this.onSynAck(target, seg); return; }
    // tcp_validate_incoming: PARSE_HDR_OPT_CB (not in SYN_SENT / SYN_RECV / LISTEN)
    if (target.cbFlags & CB.PARSE_ALL_HDR || (target.cbFlags & CB.PARSE_UNKNOWN_HDR && hasUnknownOption(seg.options))) {
      const hdr = tcpHeader(seg);
      this.sockops(target, OP.PARSE_HDR_OPT_CB, { hdr: { bytes: hdr, end: hdr.length, len: hdr.length + segLen(seg), flags: tcpFlags(seg) } });
    }
    if (seg.hasAck) this.onAck(target, seg);
    if (target.state === TCP.CLOSE) return;
    const len = seg.data.reduce((n, c) => n + c.bytes.length, 0);
    if (len) {
      if (target.appClosed) { this.abortOnData(target, seg); return; }
      target.rcvNxt += len;
      target.bytesReceived += BigInt(len);
      target.dataSegsIn++;
      this.tcpDeliver(target, seg.data);
    }
    if (seg.fin) {
      // a bare FIN is an empty skb in the receive queue: the verdict-only path runs its program on it
      const p = target.psock;
      if (!len && p && !p.progs.parser && (p.progs.verdict || p.progs.skbVerdict)) this.skbIngress(target, [], true);
      target.rcvNxt += 1;
      target.peerFin = true;
      if (target.state === TCP.ESTABLISHED) {
        // tcp_fin: CLOSE_WAIT and pingpong mode, so the FIN's ACK is delayed: it goes with the socket's
        // next segment, or when the delayed-ACK timer fires (a `wait` step, the end of the scenario)
        this.setState(target, TCP.CLOSE_WAIT);
        target.ackPending = true;
        return;
      }
      if (target.state === TCP.FIN_WAIT1) this.setState(target, TCP.CLOSING);
      else if (target.state === TCP.FIN_WAIT2) { this.transmit(target, { ack: true }); this.timeWait(target); return; }
    }
    if (len || seg.fin) this.transmit(target, { ack: true });
  }

  /** tcp_delack_timer: the ACKs owed go out now (time passed). */
  fireDelayedAcks(): void {
    for (const s of this.all) if (s.ackPending && s.state !== TCP.CLOSE && !s.tw) this.transmit(s, { ack: true });
    this.flush();
  }

  /** A SYN for a listener: the request socket, its callbacks (run by the listener's programs), the SYN-ACK. */
  private onSyn(l: SimSocket, seg: Segment): void {
    const req = this.newSocket(`${l.name}#${l.acceptQueue.length + 1}`, l.kind, l.inCgroup);
    req.fullsock = false;
    req.state = TCP.NEW_SYN_RECV;
    req.listener = l;
    req.local = { ...seg.dst };
    req.remote = { ...seg.src };
    req.peer = seg.from;
    req.rcvNxt = seg.seq + 1;
    req.iss = this.nextIss += 1_000_000;
    req.sndUna = req.sndNxt = req.iss;
    req.syn = tcpHeader(seg);
    // a SYN asking for ECN: tcp_ecn_create_request asks the listener's program first
    if (seg.ecn) this.sockops(req, OP.NEEDS_ECN);
    this.sockops(req, OP.RWND_INIT);
    this.sockops(req, OP.TIMEOUT_INIT);
    this.transmit(req, { syn: true, ack: true });
    this.sockops(req, OP.NEEDS_ECN); // tcp_v4_send_synack / tcp_v6_send_synack, after the SYN-ACK is built
  }

  /** SYN-ACK at the connecting socket: RTT, ESTABLISHED, ACTIVE_ESTABLISHED_CB, then the ACK. */
  private onSynAck(s: SimSocket, seg: Segment): void {
    if (!seg.syn || !seg.hasAck) return;
    s.rcvNxt = seg.seq + 1;
    this.ackAdvance(s, seg.ack);
    s.mss = s.family === 4 ? 32741 : 32732;
    s.peer = seg.from;
    this.setState(s, TCP.ESTABLISHED);
    const hdr = tcpHeader(seg);
    this.sockops(s, OP.ACTIVE_ESTABLISHED_CB, { hdr: { bytes: hdr, end: hdr.length, len: hdr.length, flags: tcpFlags(seg) } });
    this.transmit(s, { ack: true });
  }

  /** The handshake's last ACK at the request socket: the child socket (SYN_RECV -> ESTABLISHED). */
  private onHandshakeAck(req: SimSocket, seg: Segment): void {
    const l = req.listener!;
    if (l.state !== TCP.LISTEN || l.appClosed) { this.sendReset(seg); return; }
    req.fullsock = true;
    req.cookie = this.nextCookie++; // the child is a new struct sock
    req.syn = undefined; // a full socket keeps its SYN only with TCP_SAVE_SYN
    req.state = TCP.SYN_RECV;
    req.cbFlags = l.cbFlags; // sk_clone_lock copies the listener's tcp_sock
    req.mss = 32768;
    this.ackAdvance(req, seg.ack);
    const hdr = tcpHeader(seg);
    this.sockops(req, OP.PASSIVE_ESTABLISHED_CB, { hdr: { bytes: hdr, end: hdr.length, len: hdr.length + segLen(seg), flags: tcpFlags(seg) } });
    this.setState(req, TCP.ESTABLISHED);
    l.acceptQueue.push(req);
  }

  /** An ACK that acknowledges new data: RTT_CB, and the closing states it completes. */
  private onAck(s: SimSocket, seg: Segment): void {
    if (seg.ack <= s.sndUna) return;
    this.ackAdvance(s, seg.ack);
    if (s.finSeq === undefined || seg.ack <= s.finSeq) return;
    if (s.state === TCP.FIN_WAIT1) {
      this.setState(s, TCP.FIN_WAIT2);
      if (s.appClosed) {
        // an orphan: new data aborts it (TCPABORTONDATA: tcp_done, reset); else, without a FIN, a
        // time-wait socket takes over (tcp_fin_time <= TCP_TIMEWAIT_LEN)
        if (segLen(seg)) this.abortOnData(s, seg);
        else if (!seg.fin) this.timeWait(s, TCP.FIN_WAIT2);
      }
    } else if (s.state === TCP.CLOSING) this.timeWait(s);
    else if (s.state === TCP.LAST_ACK) this.setState(s, TCP.CLOSE);
  }

  private ackAdvance(s: SimSocket, ack: number): void {
    const acked = ack - s.sndUna;
    if (acked <= 0) return;
    s.sndUna = ack;
    s.bytesAcked += BigInt(acked);
    s.srttUs = s.srttUs ? s.srttUs - (s.srttUs >> 3) + 50 : 400; // a steady 50 us loopback RTT
    if (s.fullsock && s.cbFlags & CB.RTT) this.sockops(s, OP.RTT_CB, { args: [50, s.srttUs] });
  }

  /** tcp_time_wait: a time-wait socket takes over, the socket itself goes to TCP_CLOSE (tcp_done). */
  private timeWait(s: SimSocket, substate: 5 | 6 = TCP.TIME_WAIT): void {
    this.setState(s, TCP.CLOSE);
    s.tw = substate;
  }

  /**
   * tcp_timewait_state_process, without BPF: in the FIN_WAIT2 substate new data is answered with a reset
   * and a FIN moves it to TIME_WAIT with an ACK; in TIME_WAIT everything gets an ACK.
   */
  private timeWaitSegment(tw: SimSocket, seg: Segment): void {
    for (const c of seg.data) this.frags.release(c.page);
    if (seg.rst) { tw.tw = 0; return; }
    const len = segLen(seg);
    if (tw.tw === TCP.FIN_WAIT2 && len) { tw.tw = 0; this.sendReset(seg); return; }
    if (tw.tw === TCP.FIN_WAIT2 && seg.fin) tw.tw = TCP.TIME_WAIT;
    if (seg.fin || len) {
      this.wire.push({ from: tw, src: seg.dst, dst: seg.src, seq: tw.sndNxt, ack: seg.seq + len + (seg.fin ? 1 : 0), syn: false, fin: false, rst: false, hasAck: true, data: [], options: baseOptions(false) });
    }
  }

  private onReset(s: SimSocket): void {
    s.pendingError = s.state === TCP.SYN_SENT ? "ECONNREFUSED" : s.state === TCP.CLOSE_WAIT ? "EPIPE" : "ECONNRESET";
    if (s.state === TCP.NEW_SYN_RECV) { s.state = TCP.CLOSE; return; }
    this.setState(s, TCP.CLOSE);
  }

  /** Data for a socket whose application closed it: reset (tcp_rcv_state_process, TCPABORTONDATA). */
  private abortOnData(s: SimSocket, seg: Segment): void {
    for (const c of seg.data) this.frags.release(c.page);
    this.setState(s, TCP.CLOSE);
    this.sendReset(seg);
  }

  private sendReset(seg: Segment): void {
    const peer = seg.from;
    if (peer.state === TCP.CLOSE) return;
    this.wire.push({ from: seg.from, src: seg.dst, dst: seg.src, seq: seg.ack, ack: 0, syn: false, fin: false, rst: true, hasAck: false, data: [], options: new Uint8Array(0) });
  }

  private sendFin(s: SimSocket): void {
    s.shutWr = true;
    if (s.state === TCP.ESTABLISHED) this.setState(s, TCP.FIN_WAIT1);
    else if (s.state === TCP.CLOSE_WAIT) this.setState(s, TCP.LAST_ACK);
    else return;
    this.currentMss(s); // tcp_send_fin pushes with tcp_current_mss
    this.transmit(s, { fin: true, ack: true });
  }

  /**
   * tcp_current_mss (each tcp_sendmsg_locked, tcp_send_fin): with the write flag the program is asked
   * for its option length without a segment (args[0] BPF_WRITE_HDR_TCP_CURRENT_MSS, skb_data NULL).
   */
  private currentMss(s: SimSocket): void {
    if (!s.fullsock || !(s.cbFlags & CB.WRITE_HDR)) return;
    this.hdrState = { remaining: 40 - baseOptions(false).length };
    this.sockops(s, OP.HDR_OPT_LEN_CB, { args: [1], hdr: { bytes: new Uint8Array(0), end: 0, len: 0, flags: 0, noSkb: true } });
    this.hdrState = undefined;
  }

  /** tcp_sendmsg_locked for each chunk (tcp_bpf_push sends one scatterlist element per call). */
  private tcpSendEach(s: SimSocket, chunks: RxChunk[]): void {
    for (const c of chunks) { this.currentMss(s); this.tcpPush(s, [c]); }
  }

  /** tcp_close: out of the sockmaps first (sock_map_close), then the state change and FIN. */
  private tcpClose(s: SimSocket): void {
    this.removeFromMaps(s);
    s.appClosed = true;
    if (s.proto === "udp") return;
    if (s.state === TCP.LISTEN) {
      this.setState(s, TCP.CLOSE);
      // inet_csk_listen_stop: connections never accepted are reset
      for (const child of s.acceptQueue.splice(0)) {
        child.appClosed = true;
        this.setState(child, TCP.CLOSE);
        if (child.remote) this.wire.push({ from: child, src: child.local!, dst: child.remote, seq: child.sndNxt, ack: 0, syn: false, fin: false, rst: true, hasAck: false, data: [], options: new Uint8Array(0) });
      }
      return;
    }
    if (s.state === TCP.SYN_SENT) { this.setState(s, TCP.CLOSE); return; }
    if (!s.shutWr) this.sendFin(s);
    else if (s.state === TCP.FIN_WAIT2) this.timeWait(s, TCP.FIN_WAIT2); // orphaned in FIN_WAIT2
  }

  // ---------------------------------------------------------------- TCP data
  /** sendmsg on a TCP socket: through the sk_msg verdict when its psock has one, else the stack. */
  private tcpSendmsg(s: SimSocket, data: Uint8Array): string {
    if (s.pendingError) { const e = s.pendingError; s.pendingError = undefined; return e; }
    if (s.state === TCP.LISTEN || s.state === TCP.CLOSE || s.state === TCP.SYN_SENT) return s.state === TCP.SYN_SENT ? "EAGAIN" : "EPIPE";
    if (s.psock?.progs.msg) return this.msgSendmsg(s, data);
    if (s.shutWr || !s.connected) return "EPIPE";
    this.currentMss(s);
    this.tcpPush(s, this.frags.copy(data).map((c) => ({ ...c, from: s.name, path: "stack" as const })));
    return `${data.length} bytes`;
  }

  /** Send chunks from `s` through TCP (segments of at most MAX_SEGMENT bytes). */
  private tcpPush(s: SimSocket, chunks: RxChunk[]): void {
    let seg: RxChunk[] = [], n = 0;
    for (const c of chunks) {
      let rest = c;
      while (rest.bytes.length) {
        const room = MAX_SEGMENT - n;
        if (rest.bytes.length <= room) { seg.push(rest); n += rest.bytes.length; break; }
        this.frags.hold(rest.page);
        seg.push({ ...rest, bytes: rest.bytes.slice(0, room) });
        rest = { ...rest, bytes: rest.bytes.slice(room), offset: rest.offset + room };
        this.transmit(s, { ack: true, data: seg });
        seg = []; n = 0;
      }
      if (n >= MAX_SEGMENT) { this.transmit(s, { ack: true, data: seg }); seg = []; n = 0; }
    }
    if (seg.length) this.transmit(s, { ack: true, data: seg });
  }

  /** Data a TCP socket received: the sk_skb programs of its psock, or its receive queue. */
  private tcpDeliver(r: SimSocket, chunks: RxChunk[]): void {
    const p = r.psock;
    if (p && (p.progs.verdict || p.progs.skbVerdict)) { this.skbIngress(r, chunks); return; }
    for (const c of chunks) r.deliver("stack", c);
  }

  /** The application reads everything (recv with a 64 KiB buffer until EAGAIN). */
  private readAll(s: SimSocket): Uint8Array {
    const parts: Uint8Array[] = [];
    if (s.proto === "udp") {
      for (const d of s.datagrams.splice(0)) {
        const from = this.sockAddrHook(s, s.family === 4 ? "recvmsg4" : "recvmsg6", d.from).addr;
        s.readDatagrams.push({ from: formatEndpoint(from), size: d.bytes.length });
        parts.push(d.bytes);
      }
    } else {
      for (;;) {
        const ingress = s.psock?.ingress ?? [];
        // tcp_bpf_recvmsg: the receive queue when it has data and the psock queue is empty, else the psock queue
        const queue = s.stack.length && !ingress.length ? s.stack : ingress.length ? ingress : undefined;
        if (!queue) break;
        let room = 65536;
        while (room > 0 && queue.length) {
          const c = queue[0]!;
          if (c.bytes.length <= room) { queue.shift(); parts.push(c.bytes); room -= c.bytes.length; this.frags.release(c.page); }
          else { parts.push(c.bytes.slice(0, room)); c.bytes = c.bytes.slice(room); room = 0; }
        }
      }
    }
    const out = concat(parts);
    if (out.length) s.read.push(out);
    return out;
  }

  // ---------------------------------------------------------------- sk_msg (tcp_bpf_sendmsg)
  private msgSendmsg(s: SimSocket, data: Uint8Array): string {
    const psock = s.psock!;
    let copied = 0, off = 0, err = "";
    const size = data.length;
    while (off < data.length) {
      const msg = psock.cork ?? new SkMsg();
      const taken = msg.fill(this.frags, data.subarray(off));
      const enospc = off + taken < data.length;
      off += taken;
      copied += taken;
      if (psock.corkBytes) {
        psock.corkBytes = size > psock.corkBytes ? 0 : psock.corkBytes - size;
        if (psock.corkBytes && !enospc) break;
        psock.eval = "none";
        psock.corkBytes = 0;
      }
      const r = this.sendVerdict(s, psock, msg, (n) => { copied += n; });
      if (r) { err = r; break; }
      if (!s.psock) break; // the socket left its maps during the verdict
    }
    return copied > 0 ? `${copied} bytes` : err || `${copied} bytes`;
  }

  /** tcp_bpf_send_verdict; `adjust` changes what sendmsg reports copied. Returns an errno name or "". */
  private sendVerdict(s: SimSocket, psock: Psock, msg: SkMsg, adjust: (n: number) => void): string {
    const enospc = msg.full;
    for (;;) {
      let delta = 0;
      if (psock.eval === "none") {
        delta = msg.size;
        psock.eval = this.runMsgProg(s, psock, msg);
        delta -= msg.size;
      }
      if (msg.corkBytes && msg.corkBytes > msg.size && !enospc) {
        psock.corkBytes = msg.corkBytes - msg.size;
        psock.cork = msg;
        return "";
      }
      let tosend = msg.size;
      if (psock.applyBytes && psock.applyBytes < tosend) tosend = psock.applyBytes;
      const applied = (): void => { psock.applyBytes = tosend >= psock.applyBytes ? 0 : psock.applyBytes - tosend; };
      let corked = false;
      switch (psock.eval) {
        case "pass": {
          if (s.shutWr || !s.connected) { adjust(-msg.free(this.frags)); return "EPIPE"; }
          this.tcpSendEach(s, msg.shift(tosend, this.frags).map((e) => this.rx(e, s.name, "stack")));
          applied();
          break;
        }
        case "redirect": {
          const { sock: target, ingress } = psock.redirect!;
          applied();
          if (!psock.applyBytes) { psock.eval = "none"; psock.redirect = undefined; }
          if (psock.cork) { corked = true; psock.cork = undefined; }
          const elems = msg.shift(tosend, this.frags);
          const e = this.redirectMsg(s, target, ingress, elems);
          if (e) { const freed = elems.reduce((n, x) => n + x.bytes.length, 0) + msg.free(this.frags); if (!corked) adjust(-freed); return e; }
          if (corked) { msg.free(this.frags); return ""; }
          break;
        }
        default: {
          msg.free(this.frags);
          applied();
          adjust(-(tosend + delta));
          return "EACCES";
        }
      }
      if (!psock.applyBytes) { psock.eval = "none"; psock.redirect = undefined; }
      if (!msg.size) return "";
    }
  }

  private rx(e: Elem, from: string, path: DeliveryPath): RxChunk {
    return { page: e.page, offset: e.offset, bytes: e.bytes, from, path };
  }

  /** tcp_bpf_sendmsg_redir: to the target's psock ingress queue, or out through the target's TCP. */
  private redirectMsg(s: SimSocket, target: SimSocket, ingress: boolean, elems: Elem[]): string {
    if (!target.psock) { for (const e of elems) this.frags.release(e.page); return "EPIPE"; }
    if (ingress) {
      for (const e of elems) target.deliver("ingress", this.rx(e, s.name, "sk_msg"));
      return "";
    }
    if (!target.connected) { for (const e of elems) this.frags.release(e.page); return "EPIPE"; }
    this.tcpSendEach(target, elems.map((e) => this.rx(e, `${s.name} (sk_msg redirect through ${target.name})`, "stack")));
    return "";
  }

  /** sk_psock_msg_verdict: run the sk_msg program on the message; the verdict in force. */
  private runMsgProg(s: SimSocket, psock: Psock, msg: SkMsg): Psock["eval"] {
    const p = psock.progs.msg!;
    const state: MsgState = { msg, window: undefined, buffer: this.msgBuffer, capacity: MSG_BUFFER };
    const w = new CtxWriter(p.layout!);
    this.sockCommon(w, s, { ip4: ["local_ip4", "remote_ip4"], ip6: ["local_ip6", "remote_ip6"] });
    w.u64("sk", s.view);
    this.refreshViews();
    const call: SockCall = { world: this, kind: "sk_msg", sock: s, msg: state };
    const region = msgWindow(this, state);
    w.u64("data", region.start).u64("data_end", region.end).u32("size", msg.size);
    const res = this.host.run({ prog: p, ctx: w.bytes, regions: [region], call });
    syncWindow(this, state);
    const r0 = Number(res.r0 & 0xffffffffn);
    psock.applyBytes = msg.applyBytes;
    let verdict: Psock["eval"] = r0 === SK_PASS ? (msg.redirect ? "redirect" : "pass") : "drop";
    if (verdict === "redirect") psock.redirect = msg.redirect as { sock: SimSocket; ingress: boolean };
    if (verdict === "redirect" && !psock.redirect) verdict = "drop";
    const red = msg.redirect as { sock: SimSocket; ingress: boolean } | undefined;
    const what = verdict === "redirect" ? `redirect ${msg.size} bytes to ${red!.sock.name} ${red!.ingress ? "ingress" : "egress"}` : verdict === "pass" ? `SK_PASS ${msg.size} bytes` : `SK_DROP ${msg.size} bytes`;
    this.record(s, { hook: "sk_msg", program: p.name, what, retval: r0 });
    return verdict;
  }

  /** Data pointers of a message: sk_msg_compute_data_pointers after push/pop, the pulled range after pull. */
  setMsgWindow(state: MsgState): void { this.host.setRegion(msgWindow(this, state)); }
  syncMsgWindow(state: MsgState): void { syncWindow(this, state); }
  /** A message larger than the simulation's buffers. */
  overflow(what: string): never {
    throw new BpfkitError(diag("BK9704", { what }, this.line !== undefined ? { ...(this.file ? { file: this.file } : {}), line: this.line } : {}), 1);
  }

  // ---------------------------------------------------------------- sk_skb
  /**
   * One skb (a segment's payload, or a bare FIN) at a socket whose psock has sk_skb programs: the stream
   * parser and verdict (__strp_recv, sk_psock_strp_read), or the verdict alone for every skb of the
   * receive queue, a FIN's empty one included (tcp_read_skb, sk_psock_verdict_recv).
   */
  private skbIngress(r: SimSocket, chunks: RxChunk[], fin = false): void {
    const p = r.psock!;
    const skb = concat(chunks.map((c) => c.bytes));
    const from = chunks[0]?.from ?? r.peer?.name ?? "?", path = chunks[0]?.path ?? "stack";
    for (const c of chunks) this.frags.release(c.page); // the simulation does not follow pages past sk_skb
    if (!p.progs.parser || !p.progs.verdict) {
      if (skb.length || fin) this.skbVerdict(r, p.progs.verdict ?? p.progs.skbVerdict!, skb, 0, skb.length, from, path);
      return;
    }
    const st = p.strp;
    let eaten = 0;
    while (eaten < skb.length) {
      const cand = skb.length - eaten;
      let head: Uint8Array;
      if (!st.head) { head = skb; Object.assign(st, { head, offset: eaten, fullLen: 0, accum: 0, from, path }); }
      else head = st.head = concat([st.head, skb]); // the next skb joins the head's frag_list whole
      if (!st.fullLen) {
        const len = this.skbRun(r, p.progs.parser, head, "stream_parser");
        if (len === 0) { st.accum += cand; return; }
        if (len < 0) { this.strpAbort(r, len); return; }
        if (len > 6291456) { this.strpAbort(r, -90); return; } // EMSGSIZE past sk_rcvbuf
        if (len <= head.length - skb.length - st.offset) { this.strpAbort(r, -71); return; } // EPROTO
        st.fullLen = len;
      }
      const extra = st.accum + cand - st.fullLen;
      if (extra < 0) { st.accum += cand; return; }
      eaten += cand - extra;
      const offset = st.offset, len = st.fullLen;
      Object.assign(st, { head: undefined, offset: 0, fullLen: 0, accum: 0 });
      this.skbVerdict(r, p.progs.verdict, head, offset, len, st.from || from, path);
      if (!r.psock) return;
    }
  }

  private strpAbort(r: SimSocket, err: number): void {
    // strp_parser_err: the socket gets the error; the message being assembled is lost
    r.pendingError = errnoName(-err);
    Object.assign(r.psock!.strp, { head: undefined, offset: 0, fullLen: 0, accum: 0 });
  }

  /** Run an sk_skb program on `skb` (the whole head skb); returns r0 as s32. Payload stores are kept in `skb`. */
  private skbRun(r: SimSocket, prog: LoadedProg, skb: Uint8Array, hook: string, state?: SkbState): number {
    const mem = this.host.mem;
    if (skb.length > MSG_BUFFER) this.overflow(`an skb of ${skb.length} bytes is larger than the simulation's sk_skb buffer (${MSG_BUFFER})`);
    mem.write(this.skbBuffer, skb);
    const st: SkbState = state ?? { redirect: undefined, len: skb.length, buffer: this.skbBuffer, linear: 0 };
    // the payload of a loopback skb is in page fragments: data == data_end until bpf_skb_pull_data
    const packet = { frame: this.skbBuffer, frameEnd: this.skbBuffer + MSG_BUFFER, minData: this.skbBuffer, maxEnd: this.skbBuffer + MSG_BUFFER, meta: this.skbBuffer, data: this.skbBuffer, dataEnd: this.skbBuffer, kind: "skb" as const };
    const w = new CtxWriter(prog.layout!);
    w.u32("len", skb.length).u32("protocol", r.family === 4 ? 0x0008 : 0xdd86).u32("ingress_ifindex", 1).u32("ifindex", 1)
      .u32("data", this.skbBuffer).u32("data_end", this.skbBuffer).u32("data_meta", this.skbBuffer).u64("sk", r.view);
    this.sockCommon(w, r, { ip4: ["local_ip4", "remote_ip4"], ip6: ["local_ip6", "remote_ip6"] });
    this.refreshViews();
    const res = this.host.run({ prog, ctx: w.bytes, packet, call: { world: this, kind: "sk_skb", sock: r, skb: st } });
    skb.set(mem.read(this.skbBuffer, skb.length));
    const r0 = Number(BigInt.asIntN(32, res.r0));
    if (hook === "stream_parser") this.record(r, { hook, program: prog.name, what: `skb of ${skb.length} bytes -> ${r0 > 0 ? `message of ${r0}` : r0 === 0 ? "need more" : `error ${r0}`}`, retval: r0 });
    return r0;
  }

  /** The verdict on a message (bytes offset..offset+len of the head skb) and what follows from it. */
  private skbVerdict(r: SimSocket, prog: LoadedProg, skb: Uint8Array, offset: number, len: number, from: string, path: DeliveryPath): void {
    const st: SkbState = { redirect: undefined, len: skb.length, buffer: this.skbBuffer, linear: 0 };
    const r0 = this.skbRun(r, prog, skb, "stream_verdict", st) >>> 0;
    const verdict = r0 === SK_PASS ? (st.redirect ? "redirect" : "pass") : "drop";
    const red = st.redirect as { sock: SimSocket; ingress: boolean } | undefined;
    this.record(r, { hook: prog.attachType === HOOKS.sk_skb_verdict!.attachType ? "sk_skb_verdict" : "stream_verdict", program: prog.name,
      what: verdict === "redirect" ? `redirect ${len} bytes to ${red!.sock.name} ${red!.ingress ? "ingress" : "egress"}` : `${SK_ACTIONS.find((a) => a.value === r0)?.name ?? `verdict ${r0}`} ${len} bytes`, retval: r0 });
    const bytes = skb.slice(offset, offset + len);
    if (!len || verdict === "drop") return;
    if (verdict === "pass") { r.deliver("ingress", { page: 0, offset: 0, bytes, from, path }); return; }
    const t = red!.sock;
    if (!t.psock || t.appClosed) return; // sk_psock_skb_redirect: no psock or a dead socket drops the skb
    if (red!.ingress) { t.deliver("ingress", { page: 0, offset: 0, bytes, from, path: "sk_skb" }); return; }
    // egress: skb_send_sock through the target's sendmsg (its own sk_msg program runs)
    if (t.psock.progs.msg) this.msgSendmsg(t, bytes);
    else if (t.connected) this.tcpSendEach(t, [{ page: 0, offset: 0, bytes, from: `${from} (sk_skb redirect through ${t.name})`, path: "stack" }]);
  }

  // ---------------------------------------------------------------- UDP
  private udpSend(s: SimSocket, dst: Endpoint, bytes: Uint8Array, withAddress: boolean): string {
    if (!s.local) s.local = anyAddr(s.family, this.ephemeral());
    let to = dst, src: Endpoint | undefined;
    if (withAddress) {
      const hooked = this.sockAddrHook(s, dst.family === 4 ? "sendmsg4" : "sendmsg6", dst, anyAddr(s.family, 0));
      if (hooked.verdict === 0) return "EPERM";
      to = hooked.addr;
      if (hooked.src && !isAny(hooked.src)) src = hooked.src;
    }
    if (!isLoopback(to)) return "ENETUNREACH";
    const from: Endpoint = { ...(src ?? (isAny(s.local) ? (s.family === 4 ? LOOPBACK4 : LOOPBACK6) : s.local)), port: s.local.port };
    const r = this.all.find((x) => x.proto === "udp" && !x.appClosed && x.local?.port === to.port && x.family === to.family && (isAny(x.local) || sameAddr(x.local, to))
      && (!x.remote || sameEnd(x.remote, from)));
    if (r) {
      r.datagrams.push({ from, bytes: bytes.slice() });
      const last = r.deliveries[r.deliveries.length - 1];
      if (last && last.from === s.name && last.path === "stack") last.bytes += bytes.length;
      else r.deliveries.push({ path: "stack", from: s.name, bytes: bytes.length });
    }
    return `${bytes.length} bytes`;
  }

  // ---------------------------------------------------------------- report
  report(): { sockets: SimSocketReport[]; maps: MapReport[] } {
    const sockets: SimSocketReport[] = [];
    for (const [name, s] of this.sockets) {
      const received = concat(s.read);
      sockets.push({
        name, kind: s.kind, outside: !s.inCgroup, ...(s.local ? { local: formatEndpoint(s.local) } : {}), ...(s.remote ? { remote: formatEndpoint(s.remote) } : {}),
        state: s.appClosed ? "CLOSED" : s.proto === "udp" ? (s.remote ? "ESTABLISHED" : "CLOSE") : TCP_STATES[s.state] ?? `state ${s.state}`,
        received, ...(s.proto === "udp" ? { datagrams: s.readDatagrams } : {}),
        cookie: s.cookie, callbacks: s.callbacks, deliveries: s.deliveries, cbFlags: s.cbFlags,
      });
    }
    const maps: MapReport[] = [];
    for (const m of this.host.maps.values()) {
      if (m instanceof SockMapRuntime) {
        maps.push({ name: m.name, type: m.spec.type, entries: m.sockets().map((e) => ({ key: e.key, value: (e.sock as SimSocket).name })) });
        continue;
      }
      if (["ringbuf", "perf_event_array", "prog_array"].includes(m.spec.type)) continue;
      const isArray = mapTypeByName(m.spec.type)?.name.includes("array") ?? false;
      const entries = m.entries().map((e) => ({ key: e.key, value: Array.isArray(e.value) ? e.value[0]! : e.value }))
        .filter((e) => !isArray || e.value.some((b) => b !== 0));
      maps.push({ name: m.name, type: m.spec.type, entries });
    }
    return { sockets, maps };
  }
}

// ---------------------------------------------------------------- helpers of the file
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The first `n` bytes of a chunk list (pieces cut from a chunk take their own page reference). */
function takeBytes(chunks: RxChunk[], n: number, frags: PageFrags): RxChunk[] {
  const out: RxChunk[] = [];
  while (n > 0 && chunks.length) {
    const c = chunks[0]!;
    if (c.bytes.length <= n) { out.push(chunks.shift()!); n -= c.bytes.length; continue; }
    frags.hold(c.page);
    out.push({ ...c, bytes: c.bytes.slice(0, n) });
    c.bytes = c.bytes.slice(n);
    c.offset += n;
    n = 0;
  }
  return out;
}

const segLen = (s: Segment): number => s.data.reduce((n, c) => n + c.bytes.length, 0);
const tcpFlags = (s: Segment): number => (s.fin ? 1 : 0) | (s.syn ? 2 : 0) | (s.rst ? 4 : 0) | (s.data.length ? 8 : 0) | (s.hasAck ? 16 : 0);

/** The options Linux puts in a segment: MSS, SACK-permitted, timestamps, window scale on a SYN; timestamps otherwise. */
function baseOptions(syn: boolean): Uint8Array {
  return syn
    ? Uint8Array.of(2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7)
    : Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1);
}

function hasUnknownOption(opts: Uint8Array): boolean {
  for (let i = 0; i < opts.length;) {
    const k = opts[i]!;
    if (k === 0) return false;
    if (k === 1) { i++; continue; }
    if (![2, 3, 4, 5, 8, 19, 29, 30, 34].includes(k)) return true;
    i += Math.max(opts[i + 1] ?? 2, 2);
  }
  return false;
}

/** A TCP header for the segment (20 bytes and its options), as sockops programs see it through skb_data. */
function tcpHeader(s: Segment): Uint8Array {
  const len = 20 + s.options.length;
  const h = new Uint8Array(len);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, s.src.port);
  dv.setUint16(2, s.dst.port);
  dv.setUint32(4, s.seq >>> 0);
  dv.setUint32(8, s.ack >>> 0);
  h[12] = (len / 4) << 4;
  h[13] = tcpFlags(s);
  dv.setUint16(14, 65535);
  h.set(s.options, 20);
  return h;
}

/** Lay the message's current data range (data..data_end) into the runtime memory. */
function msgWindow(world: SocketWorld, state: MsgState): { kind: "packet"; name: string; start: number; end: number; flags: number } {
  const msg = state.msg;
  if (!state.window) state.window = { elem: 0, offset: 0, length: msg.elems[0]?.bytes.length ?? 0 };
  const win = state.window;
  const e = msg.elems[win.elem];
  const bytes = e ? e.bytes.subarray(win.offset, win.offset + win.length) : new Uint8Array(0);
  if (bytes.length > state.capacity) world.overflow(`a message window of ${bytes.length} bytes is larger than the simulation's buffer (${state.capacity})`);
  world.host.mem.write(state.buffer, bytes);
  return { kind: "packet", name: "msg data", start: state.buffer, end: state.buffer + bytes.length, flags: R_READ | R_WRITE };
}

/** Copy what the program wrote through data..data_end back into the message. */
function syncWindow(world: SocketWorld, state: MsgState): void {
  const win = state.window;
  const e = win ? state.msg.elems[win.elem] : undefined;
  if (!win || !e) return;
  const bytes = world.host.mem.read(state.buffer, win.length);
  const copy = e.bytes.slice();
  copy.set(bytes, win.offset);
  e.bytes = copy;
}
