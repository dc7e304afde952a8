// The context structs the socket world hands its programs, filled the way the kernel's context access
// rewrites read them (sock_ops_convert_ctx_access, sk_msg_convert_ctx_access, sock_addr_convert_ctx_access,
// bpf_convert_ctx_access and bpf_sock_convert_ctx_access in net/core/filter.c), from the layouts in
// src/progtypes. Byte orders: addresses in network order as stored; bpf_sock_ops / sk_msg_md /
// __sk_buff `remote_port` is the network-order port in the upper 16 bits (bpf_ntohl gives the port),
// `local_port` host order; bpf_sock_addr `user_port` and bpf_sock `dst_port` are network order in the
// low 16 bits.
import { fieldByName, type ContextLayout } from "../progtypes/index.js";
import type { Endpoint } from "./scenario.js";

export const AF_INET = 2, AF_INET6 = 10;

/** Writes named fields of a context layout into a byte buffer. */
export class CtxWriter {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  constructor(readonly layout: ContextLayout) {
    this.bytes = new Uint8Array(layout.size);
    this.dv = new DataView(this.bytes.buffer);
  }
  private off(name: string): number {
    const f = fieldByName(this.layout, name);
    if (!f) throw new Error(`${this.layout.struct} has no field ${name}`);
    return f.offset;
  }
  u32(name: string, v: number): this { this.dv.setUint32(this.off(name), v >>> 0, true); return this; }
  u64(name: string, v: bigint | number): this { this.dv.setBigUint64(this.off(name), BigInt.asUintN(64, BigInt(v)), true); return this; }
  raw(name: string, b: Uint8Array): this { this.bytes.set(b, this.off(name)); return this; }
  /** The port in network order in the high half of a u32 (sock_ops, sk_msg, __sk_buff remote_port). */
  portHigh(name: string, port: number): this { const o = this.off(name); this.bytes[o + 2] = port >> 8; this.bytes[o + 3] = port & 0xff; return this; }
  /** The port in network order in the low half (bpf_sock_addr.user_port, bpf_sock.dst_port). */
  portLow(name: string, port: number): this { const o = this.off(name); this.bytes[o] = port >> 8; this.bytes[o + 1] = port & 0xff; return this; }
  /** Local and remote addresses of a socket under the names the struct uses. */
  addrs(names: { ip4: [string, string]; ip6: [string, string] }, local: Endpoint | undefined, remote: Endpoint | undefined): this {
    for (const [e, i] of [[local, 0], [remote, 1]] as const) {
      if (!e) continue;
      if (e.family === 4) this.raw(names.ip4[i], e.addr);
      else this.raw(`${names.ip6[i]}[0]`, e.addr);
    }
    return this;
  }
}

/** Reads fields back after a run (reply, rewritten addresses). */
export class CtxReader {
  private readonly dv: DataView;
  constructor(readonly layout: ContextLayout, readonly bytes: Uint8Array) { this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); }
  private off(name: string): number { return fieldByName(this.layout, name)!.offset; }
  u32(name: string): number { return this.dv.getUint32(this.off(name), true); }
  raw(name: string, n: number): Uint8Array { const o = this.off(name); return this.bytes.slice(o, o + n); }
  portLow(name: string): number { const o = this.off(name); return (this.bytes[o]! << 8) | this.bytes[o + 1]!; }
}
