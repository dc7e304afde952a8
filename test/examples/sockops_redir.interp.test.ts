// sockops_redir offline, end to end, on the simulated socket world: the sockops program puts both ends
// of a local connection into sock_map at ESTABLISHED, the sk_msg program redirects every send to the
// peer's receive queue. The same exchange as the kernel tests (sockops_redir.test.ts, kernel/sockmap.test.ts):
// messages arrive intact, by sk_msg redirect, and redirect_stats counts them; a peer outside the cgroup
// is never in the map, so its connection's messages take the TCP stack and count as such.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPrograms } from "../../src/load/node.js";
import type { Program } from "../../src/program/index.js";
import { SocketWorld } from "../../src/sockets/index.js";

let programs: Program[];
beforeAll(async () => { programs = await loadPrograms(join(process.cwd(), "bpf/sockops_redir.bpf.o")); });

const u64 = (b: Uint8Array | Uint8Array[] | undefined): bigint => new DataView((b as Uint8Array).buffer, (b as Uint8Array).byteOffset).getBigUint64(0, true);
const key = (i: number) => Uint8Array.of(i, 0, 0, 0);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** sock_map's key (struct sock_key): local_ip4, remote_ip4 (network order), local_port, remote_port (host order). */
function decodeKey(k: Uint8Array): string {
  const dv = new DataView(k.buffer, k.byteOffset);
  return `${k.subarray(0, 4).join(".")}:${dv.getUint32(8, true)}>${k.subarray(4, 8).join(".")}:${dv.getUint32(12, true)}`;
}

function world(mode: "checked" | "fast" = "checked"): SocketWorld {
  const w = new SocketWorld(programs, { mode });
  w.attach("sockops_established", "sockops");
  w.attach("sk_msg_redirect", "sk_msg", "sock_map");
  return w;
}

describe.each(["checked", "fast"] as const)("sockops_redir on the simulated host (%s mode)", (mode) => {
  it("puts both ends of a local connection in sock_map, keyed by their 4-tuple", () => {
    const w = world(mode);
    w.create("server", "tcp");
    w.bind("server", "127.0.0.1:8080");
    w.listen("server");
    w.create("client", "tcp");
    expect(w.connect("client", "127.0.0.1:8080")).toBe("ok");
    const accepted = w.accept("server", "conn");
    const client = w.socket("client");
    const entries = w.report().maps.find((m) => m.name === "sock_map")!.entries;
    const port = client.local!.port;
    expect(entries.map((e) => `${decodeKey(e.key)} ${e.value}`).sort()).toEqual([
      `127.0.0.1:${port}>127.0.0.1:8080 client`,
      `127.0.0.1:8080>127.0.0.1:${port} conn`,
    ]);
    // the passive side went in at PASSIVE_ESTABLISHED_CB, the active one at ACTIVE_ESTABLISHED_CB
    expect(client.callbacks.map((c) => c.what)).toEqual(["TCP_CONNECT_CB", "RWND_INIT", "TIMEOUT_INIT", "NEEDS_ECN", "ACTIVE_ESTABLISHED_CB"]);
    expect(accepted.callbacks.map((c) => c.what)).toEqual(["RWND_INIT (request)", "TIMEOUT_INIT (request)", "NEEDS_ECN (request)", "PASSIVE_ESTABLISHED_CB"]);
  });

  it("redirects every message between the two sockets, data intact, and counts them", () => {
    const w = world(mode);
    w.create("server", "tcp");
    w.bind("server", "127.0.0.1:8080");
    w.listen("server");
    w.create("client", "tcp");
    w.connect("client", "127.0.0.1:8080");
    w.accept("server", "conn");
    const ROUNDS = 5;
    const replies: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      expect(w.send("client", `message ${i}\n`)).toBe(`${`message ${i}\n`.length} bytes`);
      const got = text(w.recv("conn"));
      expect(got).toBe(`message ${i}\n`);
      w.send("conn", got.toUpperCase());
      replies.push(text(w.recv("client")).trim());
    }
    expect(replies).toEqual(Array.from({ length: ROUNDS }, (_, i) => `MESSAGE ${i}`));
    const stats = w.map("redirect_stats");
    expect(u64(stats.get(key(0)))).toBe(BigInt(2 * ROUNDS));
    expect(u64(stats.get(key(1)))).toBe(0n);
    // every byte came by sk_msg redirect, none through the TCP stack
    const conn = w.socket("conn"), client = w.socket("client");
    expect(conn.deliveries).toEqual([{ path: "sk_msg", from: "client", bytes: replies.reduce((n, r) => n + r.length + 1, 0) }]);
    expect(client.deliveries.every((d) => d.path === "sk_msg" && d.from === "conn")).toBe(true);
    expect(client.callbacks.filter((c) => c.hook === "sk_msg").map((c) => c.what)).toEqual(
      Array.from({ length: ROUNDS }, (_, i) => `redirect ${`message ${i}\n`.length} bytes to conn ingress`));
    // closing takes both sockets out of sock_map
    w.close("client");
    w.close("conn");
    expect(w.report().maps.find((m) => m.name === "sock_map")!.entries).toEqual([]);
  });

  it("a peer outside the cgroup is not in the map: the messages take the TCP stack", () => {
    const w = world(mode);
    w.create("remote", "tcp", true);
    w.bind("remote", "127.0.0.1:9000");
    w.listen("remote");
    w.create("app", "tcp");
    w.connect("app", "127.0.0.1:9000");
    w.accept("remote", "r1");
    expect(w.report().maps.find((m) => m.name === "sock_map")!.entries.map((e) => e.value)).toEqual(["app"]);
    w.send("app", "hello");
    w.send("app", "again");
    expect(text(w.recv("r1"))).toBe("helloagain");
    expect(w.socket("r1").deliveries).toEqual([{ path: "stack", from: "app", bytes: 10 }]);
    const stats = w.map("redirect_stats");
    expect(u64(stats.get(key(0)))).toBe(0n);
    expect(u64(stats.get(key(1)))).toBe(2n);
    // the peer's own sends never run the sk_msg program (it has no psock)
    w.send("r1", "reply");
    expect(text(w.recv("app"))).toBe("reply");
    expect(u64(stats.get(key(1)))).toBe(2n);
  });
});
