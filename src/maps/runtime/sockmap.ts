// BPF_MAP_TYPE_SOCKMAP (index -> socket) and SOCKHASH (key -> socket), net/core/sock_map.c. The values
// are sockets, which live in whoever hosts them (the simulated socket world, src/sockets): this map only
// keeps which socket sits at which key and answers the kernel's errors for the slot itself (E2BIG past
// max_entries or a full hash, EEXIST / ENOENT for BPF_NOEXIST / BPF_EXIST, EINVAL for other flags).
// Everything about the socket (is it allowed in a map, its psock and programs, removal on close) is the
// owner's: updates from programs or user space go to `owner`, which calls `put` once it has said yes.
// A program's lookup yields the address of the socket's `struct bpf_sock` view (`SockRef.view`).
import type { MapSpec } from "../../program/program.js";
import { BPF_EXIST, BPF_NOEXIST, ERRNO, RuntimeMap, keyBytes, keyString, u32Key, type MapEntry, type MapHost, type MapValue } from "./map.js";

/** What the map needs to know about a socket it holds. */
export interface SockRef {
  readonly cookie: bigint;
  /** Address of the socket's read-only `struct bpf_sock` in the runtime memory (what a lookup returns). */
  readonly view: number;
}

/** The host of the sockets: decides updates (from user space: `value` is an fd; from a program: a socket pointer). */
export interface SockMapOwner {
  update(map: SockMapRuntime, key: Uint8Array, value: Uint8Array, flags: number, fromProgram: boolean): number;
  delete(map: SockMapRuntime, key: Uint8Array): number;
}

const TYPE_IDS: Record<string, number> = { sockmap: 15, sockhash: 18 };

export class SockMapRuntime extends RuntimeMap {
  /** sockhash (any key) rather than sockmap (u32 index below max_entries). */
  readonly hashed: boolean;
  private readonly slots = new Map<string, SockRef>();
  owner: SockMapOwner | undefined;

  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, TYPE_IDS[spec.type] ?? 15);
    this.hashed = spec.type === "sockhash";
  }

  // ---- program side ----
  lookup(key: Uint8Array): number {
    return this.slots.get(keyString(key))?.view ?? 0;
  }
  update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true): number {
    return this.owner ? this.owner.update(this, key, value, flags, fromProgram) : -ERRNO.ENOTSUPP;
  }
  delete(key: Uint8Array): number {
    return this.owner ? this.owner.delete(this, key) : this.remove(key);
  }

  // ---- what the owner calls ----
  /** The socket at `key`, if any. */
  at(key: Uint8Array): SockRef | undefined {
    return this.slots.get(keyString(key));
  }
  /**
   * Check an update of `key` as sock_map_update_common / sock_hash_update_common do, without changing
   * anything: 0, or -errno. `replaces` tells whether a socket is there already.
   */
  check(key: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -ERRNO.EINVAL;
    const k = keyString(key);
    if (!this.hashed && u32Key(key) >= this.spec.maxEntries) return -ERRNO.E2BIG;
    const there = this.slots.has(k);
    if (there && flags === BPF_NOEXIST) return -ERRNO.EEXIST;
    if (!there && flags === BPF_EXIST) return -ERRNO.ENOENT;
    if (!there && this.hashed && this.slots.size >= this.spec.maxEntries) return -ERRNO.E2BIG;
    return 0;
  }
  /** Store `sock` at `key` (after `check` said 0); returns the socket it replaced. */
  put(key: Uint8Array, sock: SockRef): SockRef | undefined {
    const k = keyString(key);
    const old = this.slots.get(k);
    this.slots.set(k, sock);
    return old;
  }
  /** Remove `key`: 0, or for an empty slot -ENOENT (sockhash) / -EINVAL (sockmap, as sock_map_delete_elem). */
  remove(key: Uint8Array): number {
    return this.slots.delete(keyString(key)) ? 0 : this.hashed ? -ERRNO.ENOENT : -ERRNO.EINVAL;
  }
  /** Remove every key holding `sock` (the socket closed); returns the keys removed. */
  removeSocket(sock: SockRef): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const [k, s] of this.slots) if (s === sock) { this.slots.delete(k); out.push(keyBytes(k)); }
    return out;
  }
  sockets(): { key: Uint8Array; sock: SockRef }[] {
    return [...this.slots].map(([k, sock]) => ({ key: keyBytes(k), sock }));
  }

  // ---- user side: a lookup answers the socket cookie (8-byte values; 4-byte ones answer ENOSPC) ----
  get(key: Uint8Array): MapValue | undefined {
    const s = this.slots.get(keyString(key));
    if (!s || this.spec.valueSize !== 8) return undefined;
    return cookieBytes(s.cookie);
  }
  entries(): MapEntry[] {
    return [...this.slots].map(([k, s]) => ({ key: keyBytes(k), value: this.spec.valueSize === 8 ? cookieBytes(s.cookie) : new Uint8Array(this.spec.valueSize) }));
  }
  get size(): number { return this.slots.size; }
}

function cookieBytes(cookie: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, cookie, true);
  return b;
}
