// A simulated socket: what the kernel keeps in struct sock / tcp_sock that BPF programs can see or that
// decides what they see (addresses, cookie, TCP state and sequence numbers, callback flags, the psock a
// sockmap gives it), its receive queues, and the record the world keeps for the report (every program
// run for it, where every received byte came from).
import type { SockMapRuntime, SockRef } from "../maps/runtime/index.js";
import type { Chunk, SkMsg } from "./frags.js";
import type { LoadedProg } from "./host.js";
import type { CallbackRecord, Delivery } from "./report.js";
import type { DeliveryPath, Endpoint, SocketKind } from "./scenario.js";

/** TCP states (include/net/tcp_states.h). */
export const TCP = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6, CLOSE: 7, CLOSE_WAIT: 8,
  LAST_ACK: 9, LISTEN: 10, CLOSING: 11, NEW_SYN_RECV: 12,
} as const;

/** Bytes waiting in a receive queue, with their page reference and where they came from. */
export interface RxChunk extends Chunk {
  from: string;
  path: DeliveryPath;
}

/** The programs a socket got from the map(s) it was put in (struct sk_psock). */
export class Psock {
  progs: { msg?: LoadedProg; parser?: LoadedProg; verdict?: LoadedProg; skbVerdict?: LoadedProg } = {};
  /** The map slots holding the socket. */
  links: { map: SockMapRuntime; key: Uint8Array }[] = [];
  /** The verdict in force while apply_bytes lasts (`__SK_NONE` = run the program). */
  eval: "none" | "pass" | "drop" | "redirect" = "none";
  applyBytes = 0;
  corkBytes = 0;
  cork: SkMsg | undefined;
  redirect: { sock: SimSocket; ingress: boolean } | undefined;
  /** sk_msg / sk_skb ingress queue (psock->ingress_msg). */
  ingress: RxChunk[] = [];
  /**
   * strparser: the message being assembled. `head` holds whole skbs from the start of the first one (what
   * the programs see: skb->len is the head's length, the message starts at `offset`); `fullLen` is what
   * the parser answered, `accum` how many of the message's bytes are in.
   */
  strp: { head: Uint8Array | undefined; offset: number; fullLen: number; accum: number; from: string; path: DeliveryPath } =
    { head: undefined, offset: 0, fullLen: 0, accum: 0, from: "", path: "stack" };
}

export class SimSocket implements SockRef {
  cookie: bigint;
  /** Address of this socket's `struct bpf_sock` view in the runtime memory. */
  readonly view: number;
  readonly proto: "tcp" | "udp";
  readonly family: 4 | 6;
  local: Endpoint | undefined;
  remote: Endpoint | undefined;
  state: number = TCP.CLOSE;
  /** A request socket (NEW_SYN_RECV) until the handshake completes: not a full socket. */
  fullsock = true;
  cbFlags = 0;
  /** The application closed it (SOCK_DEAD). */
  appClosed = false;
  /** Replaced by a time-wait socket in this substate (FIN_WAIT2 or TIME_WAIT): segments get no BPF callbacks. */
  tw: 0 | 5 | 6 = 0;
  /** A request socket: the SYN's TCP header (bpf_load_hdr_opt with BPF_LOAD_HDR_OPT_TCP_SYN, TCP_BPF_SYN). */
  syn: Uint8Array | undefined;
  shutWr = false;
  /** Error the next call reports (ECONNRESET after a reset...). */
  pendingError: string | undefined;
  // TCP sequence space
  iss = 0;
  sndNxt = 0;
  sndUna = 0;
  rcvNxt = 0;
  finSeq: number | undefined;
  peerFin = false;
  /** An ACK is owed but delayed (the FIN that moved it to CLOSE_WAIT put it in pingpong mode). */
  ackPending = false;
  bytesReceived = 0n;
  bytesAcked = 0n;
  segsIn = 0;
  segsOut = 0;
  dataSegsIn = 0;
  dataSegsOut = 0;
  mss = 536;
  srttUs = 0;
  txhash = 0;
  /** The other end (the simulation knows it; the kernel finds it by address). */
  peer: SimSocket | undefined;
  /** Listener: connections that finished the handshake, in order; child: its listener. */
  readonly acceptQueue: SimSocket[] = [];
  listener: SimSocket | undefined;
  /** The TCP receive queue (sk_receive_queue). */
  stack: RxChunk[] = [];
  /** UDP datagrams waiting, with their source. */
  datagrams: { from: Endpoint; bytes: Uint8Array }[] = [];
  psock: Psock | undefined;
  /** What the application read, in order; UDP: each datagram with the source it was shown. */
  readonly read: Uint8Array[] = [];
  readonly readDatagrams: { from: string; size: number }[] = [];
  readonly callbacks: CallbackRecord[] = [];
  readonly deliveries: Delivery[] = [];
  /** sockopt values set by programs (bpf_setsockopt), by "level/name". */
  readonly opts = new Map<string, Uint8Array>();

  constructor(public name: string, readonly kind: SocketKind, readonly inCgroup: boolean, view: number, cookie: bigint) {
    this.proto = kind.startsWith("tcp") ? "tcp" : "udp";
    this.family = kind.endsWith("6") ? 6 : 4;
    this.cookie = cookie;
    this.view = view;
  }

  /** Give bytes that arrived to a receive queue and note how they came. */
  deliver(queue: "stack" | "ingress", chunk: RxChunk): void {
    (queue === "stack" ? this.stack : this.psock!.ingress).push(chunk);
    const last = this.deliveries[this.deliveries.length - 1];
    if (last && last.from === chunk.from && last.path === chunk.path) last.bytes += chunk.bytes.length;
    else this.deliveries.push({ path: chunk.path, from: chunk.from, bytes: chunk.bytes.length });
  }

  get connected(): boolean { return this.state === TCP.ESTABLISHED || this.state === TCP.CLOSE_WAIT; }
}
