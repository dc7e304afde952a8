// What running a scenario gives back, whichever runner ran it (the simulated host or the kernel): per
// socket what the application read, per step what the system call answered, and every map's entries
// (sockmap / sockhash values as socket names). The simulated host adds what only it can see: the
// callbacks each socket went through and the path each received byte took.
import type { DeliveryPath, SocketKind } from "./scenario.js";

/** Linux errno numbers the socket calls answer (x86-64 / generic), by name. */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17,
  EINVAL: 22, ENOSPC: 28, EPIPE: 32, ENOMSG: 42, EPROTO: 71, EDESTADDRREQ: 89, EMSGSIZE: 90, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98,
  EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107,
  ETIMEDOUT: 110, ECONNREFUSED: 111, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115, ENOTSUPP: 524,
};
const NAMES = new Map(Object.entries(ERRNO).map(([k, v]) => [v, k]));
export const errnoName = (n: number): string => NAMES.get(n) ?? `errno ${n}`;

export interface SocketReport {
  name: string;
  kind: SocketKind;
  /** Made outside the world's cgroup (no cgroup programs run for it). */
  outside: boolean;
  /** Local and remote address as getsockname/getpeername give them without programs (`127.0.0.1:8080`). */
  local?: string;
  remote?: string;
  /** The socket cookie (SO_COOKIE, bpf_get_socket_cookie): numbers differ between runners, not which socket has which. */
  cookie: bigint;
  /** TCP state at the end (`ESTABLISHED`, `CLOSE_WAIT`...), `CLOSED` after the application closed it. */
  state: string;
  /** Bytes the application read, in order (TCP), or every datagram's bytes one after the other (UDP). */
  received: Uint8Array;
  /** UDP: each datagram read, with the source address the application saw. */
  datagrams?: { from: string; size: number }[];
}

export interface StepReport {
  line: number;
  op: string;
  socket?: string;
  /** `ok`, an errno name (`EACCES`), or for send/recv the byte count (`100 bytes`). */
  result: string;
  /** getpeername / getsockname: the address the application saw. */
  address?: string;
  /** dump: the map's entries at that point. */
  map?: MapReport;
}

export interface MapReport {
  name: string;
  type: string;
  /** Value bytes, or the socket's name for sockmap / sockhash entries. */
  entries: { key: Uint8Array; value: Uint8Array | string }[];
}

/** One program run the simulated host made for a socket (sockops callback, sk_msg / sk_skb verdict, hook). */
export interface CallbackRecord {
  /** `sockops`, `sk_msg`, `stream_parser`, `stream_verdict`, `connect4`, ... */
  hook: string;
  program: string;
  /** sockops: the op name (`ACTIVE_ESTABLISHED_CB`); sk_msg/sk_skb: the verdict (`SK_PASS`, `redirect ...`). */
  what: string;
  /** The program's return value. */
  retval: number;
  /** sockops callbacks whose answer the kernel uses (TIMEOUT_INIT, RWND_INIT, NEEDS_ECN, BASE_RTT): the reply. */
  reply?: number;
}

/** Bytes that reached a socket's receive queue, and how. */
export interface Delivery {
  path: DeliveryPath;
  /** The socket that sent them. */
  from: string;
  bytes: number;
}

export interface SimSocketReport extends SocketReport {
  /** Program runs for this socket, in order. */
  callbacks: CallbackRecord[];
  /** Where every byte that reached this socket came from and by which path. */
  deliveries: Delivery[];
  /** bpf_sock_ops_cb_flags at the end. */
  cbFlags: number;
}

export interface ScenarioReport {
  runner: "offline" | "kernel";
  sockets: SocketReport[];
  steps: StepReport[];
  maps: MapReport[];
  /** Expectations that failed (scenario `expect` lines), as messages with their line. */
  failed: { line: number; message: string }[];
}
