// Decoding bpf/sock_trace.bpf.o's event log (`events` array, `ctl[0]` = how many were written) from a
// ScenarioReport's map dump, and naming the socket each event is about from the addresses the report
// gives, so logs from the kernel and from the simulated host compare although ports and cookies differ.
import type { MapReport } from "../../src/sockets/report.js";

export const KINDS = ["", "sockops", "sk_msg", "parser", "verdict", "connect4", "getpeername4", "bind4", "sendmsg4", "recvmsg4", "connect6"] as const;
export const OPS = ["VOID", "TIMEOUT_INIT", "RWND_INIT", "TCP_CONNECT_CB", "ACTIVE_ESTABLISHED_CB", "PASSIVE_ESTABLISHED_CB",
  "NEEDS_ECN", "BASE_RTT", "RTO_CB", "RETRANS_CB", "STATE_CB", "TCP_LISTEN_CB", "RTT_CB", "PARSE_HDR_OPT_CB", "HDR_OPT_LEN_CB",
  "WRITE_HDR_OPT_CB"] as const;

export interface TraceEvent {
  index: number;
  kind: string;
  op: number;
  family: number;
  state: number;
  localIp4: number;
  remoteIp4: number;
  localPort: number;
  remotePort: number;
  localIp6: number[];
  remoteIp6: number[];
  isFullsock: number;
  cbFlags: number;
  args: number[];
  size: number;
  dataLen: number;
  ret: number;
  aux: number;
  sndCwnd: number;
  mssCache: number;
  totalRetrans: number;
  srttUs: number;
  cookie: bigint;
  bytesReceived: bigint;
  bytesAcked: bigint;
}

export const EVENT_SIZE = 144;

export function decodeEvents(maps: MapReport[]): TraceEvent[] {
  const ctl = maps.find((m) => m.name === "ctl");
  const ev = maps.find((m) => m.name === "events");
  const countEntry = ctl?.entries.find((e) => e.key.every((b) => b === 0));
  const count = countEntry ? Number(new DataView((countEntry.value as Uint8Array).buffer, (countEntry.value as Uint8Array).byteOffset).getBigUint64(0, true)) : 0;
  const byIndex = new Map((ev?.entries ?? []).map((e) => [new DataView(e.key.buffer, e.key.byteOffset).getUint32(0, true), e.value as Uint8Array]));
  const out: TraceEvent[] = [];
  for (let i = 0; i < count; i++) {
    const v = byIndex.get(i);
    if (!v) continue;
    const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
    const u = (o: number): number => dv.getUint32(o, true);
    out.push({
      index: i, kind: KINDS[u(0)] ?? `kind ${u(0)}`, op: u(4), family: u(8), state: u(12), localIp4: u(16), remoteIp4: u(20),
      localPort: u(24), remotePort: u(28), localIp6: [32, 36, 40, 44].map(u), remoteIp6: [48, 52, 56, 60].map(u),
      isFullsock: u(64), cbFlags: u(68), args: [72, 76, 80, 84].map(u), size: u(88), dataLen: u(92), ret: u(96), aux: u(100),
      sndCwnd: u(104), mssCache: u(108), totalRetrans: u(112), srttUs: u(116), cookie: dv.getBigUint64(120, true),
      bytesReceived: dv.getBigUint64(128, true), bytesAcked: dv.getBigUint64(136, true),
    });
  }
  return out;
}

/** remote_port as sockops, sk_msg and __sk_buff give it: bpf_ntohl(remote_port) is the port. */
export const netPort = (raw: number): number => ((raw >>> 24) & 0xff) | (((raw >>> 16) & 0xff) << 8);
