// The simulated socket world offline: the sockops callbacks of a connection in the kernel's order (as
// the differential recorded them on 6.18), helper answers that are easy to get wrong, sockmap removal,
// verdict semantics, and clear errors for scenarios and programs that go wrong.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { loadPrograms } from "../../src/load/node.js";
import type { Program } from "../../src/program/index.js";
import { parseScenario, runScenario, SocketWorld } from "../../src/sockets/index.js";
import { assemble } from "../../src/text/index.js";

let trace: Program[];
beforeAll(async () => { trace = await loadPrograms(join(process.cwd(), "bpf/sock_trace.bpf.o")); });

const whats = (w: SocketWorld, name: string, hook = "sockops") => w.socket(name).callbacks.filter((c) => c.hook === hook).map((c) => c.what);
function errorOf(fn: () => unknown): BpfkitError {
  try { fn(); } catch (e) { if (e instanceof BpfkitError) return e; throw e; }
  throw new Error("expected a BpfkitError");
}

/** A traced connection: server `srv` on 127.0.0.1:8080, client `cli`, accepted `acc`; cfg slots set first. */
function traced(cfg: Record<number, number> = {}, msg = false): SocketWorld {
  const w = new SocketWorld(trace);
  w.attach("trace_sockops", "sockops");
  if (msg) w.attach("trace_msg", "sk_msg", "socks");
  for (const [k, v] of Object.entries(cfg)) w.mapSet("cfg", k, String(v));
  w.create("srv", "tcp");
  w.bind("srv", "127.0.0.1:8080");
  w.listen("srv");
  w.create("cli", "tcp");
  expect(w.connect("cli", "127.0.0.1:8080")).toBe("ok");
  w.accept("srv", "acc");
  return w;
}

describe("sockops callbacks", () => {
  it("run in the kernel's order with the state flag: request socket, SYN-ACK, passive side last", () => {
    const w = traced({ 0: 4 });
    expect(whats(w, "srv")).toEqual(["TCP_LISTEN_CB"]);
    expect(whats(w, "cli")).toEqual(["TCP_CONNECT_CB", "RWND_INIT", "TIMEOUT_INIT", "NEEDS_ECN", "STATE_CB SYN_SENT->ESTABLISHED", "ACTIVE_ESTABLISHED_CB"]);
    expect(whats(w, "acc")).toEqual(["RWND_INIT (request)", "TIMEOUT_INIT (request)", "NEEDS_ECN (request)", "PASSIVE_ESTABLISHED_CB", "STATE_CB SYN_RECV->ESTABLISHED"]);
    // the whole timeline: the listener's request callbacks come between the client's SYN and its SYN-ACK
    expect(w.log.map((l) => `${l.sock.name} ${l.record.what}`).slice(1, 9)).toEqual([
      "cli TCP_CONNECT_CB", "cli RWND_INIT", "cli TIMEOUT_INIT", "cli NEEDS_ECN",
      "acc RWND_INIT (request)", "acc TIMEOUT_INIT (request)", "acc NEEDS_ECN (request)", "cli STATE_CB SYN_SENT->ESTABLISHED",
    ]);
    w.close("cli");
    w.close("acc");
    expect(whats(w, "cli").slice(6)).toEqual(["STATE_CB ESTABLISHED->FIN_WAIT1", "STATE_CB FIN_WAIT1->FIN_WAIT2", "STATE_CB FIN_WAIT2->CLOSE"]);
    expect(whats(w, "acc").slice(5)).toEqual(["STATE_CB ESTABLISHED->CLOSE_WAIT", "STATE_CB CLOSE_WAIT->LAST_ACK", "STATE_CB LAST_ACK->CLOSE"]);
  });

  it("give the program's reply to the kernel: TIMEOUT_INIT, RWND_INIT, NEEDS_ECN", () => {
    const w = traced({ 14: 3000, 15: 100, 16: 1 });
    const replies = w.socket("cli").callbacks.filter((c) => c.reply !== undefined).map((c) => `${c.what}=${c.reply}`);
    expect(replies).toEqual(["RWND_INIT=100", "TIMEOUT_INIT=3000", "NEEDS_ECN=1"]);
    // a SYN asking for ECN makes the listener's program answer NEEDS_ECN for the request first
    expect(whats(w, "acc")[0]).toBe("NEEDS_ECN (request)");
  });

  it("write and parse header options on the handshake when the flags ask for it", () => {
    const w = traced({ 0: 0x74, 19: 0x100, 20: 4 });
    expect(whats(w, "cli")).toContain("HDR_OPT_LEN_CB");
    expect(whats(w, "cli")).toContain("WRITE_HDR_OPT_CB");
    expect(whats(w, "acc")).toEqual(["RWND_INIT (request)", "TIMEOUT_INIT (request)", "HDR_OPT_LEN_CB (request)", "WRITE_HDR_OPT_CB (request)", "NEEDS_ECN (request)", "PASSIVE_ESTABLISHED_CB"]);
    // flags cleared at ESTABLISHED (cfg 19): no callback for the handshake's last ACK or later segments
    w.send("cli", "x");
    expect(whats(w, "cli").filter((x) => x.startsWith("HDR_OPT_LEN_CB"))).toHaveLength(1);
  });

  it("bpf_sock_ops_cb_flags_set answers the bits it does not know and refuses a request socket", () => {
    const prog = assemble(`.section sockops
.name flags
r6 = r1
r2 = 0x1ff
call bpf_sock_ops_cb_flags_set
*(u32 *)(r6 + 4) = r0
r0 = 1
exit`);
    const w = new SocketWorld([prog]);
    w.attach("flags", "sockops");
    w.create("srv", "tcp");
    w.bind("srv", "127.0.0.1:80");
    w.listen("srv");
    w.create("cli", "tcp");
    w.connect("cli", "127.0.0.1:80");
    // args[0] is the reply: unknown bits 0x180 come back; on a request socket -EINVAL (-22)
    const replies = w.socket("cli").callbacks.filter((c) => c.what === "RWND_INIT").map((c) => c.reply);
    expect(replies).toEqual([0x180]);
    expect(w.socket("srv").acceptQueue[0]!.callbacks.find((c) => c.what === "RWND_INIT (request)")!.reply).toBe(-22);
    expect(w.socket("cli").cbFlags).toBe(0x7f);
  });
});

describe("sockmaps", () => {
  it("hold the established sockets and lose them on close, or when user space deletes them", () => {
    const w = traced({ 1: 1 });
    const socks = () => w.report().maps.find((m) => m.name === "socks")!.entries.map((e) => e.value).sort();
    expect(socks()).toEqual(["acc", "cli"]);
    expect(w.mapSet("targets", "0", "cli")).toBe("ok");
    expect(w.report().maps.find((m) => m.name === "targets")!.entries.map((e) => e.value)).toEqual(["cli"]);
    expect(w.mapSet("targets", "8", "cli")).toBe("E2BIG"); // sockmap of 8: index 8 is out
    w.close("cli");
    expect(socks()).toEqual(["acc"]);
    expect(w.report().maps.find((m) => m.name === "targets")!.entries).toEqual([]);
    expect(w.mapSet("targets", "0", "srv")).toBe("ok"); // a listener may go in from user space
  });

  it("refuse a socket that is not established or listening (EOPNOTSUPP), as sock_map_update_elem_sys does", () => {
    const w = new SocketWorld(trace);
    w.create("fresh", "tcp");
    expect(w.mapSet("targets", "1", "fresh")).toBe("EOPNOTSUPP");
  });
});

describe("sk_msg verdicts", () => {
  const redirect = (cfg: Record<number, number>) => traced({ 1: 1, ...cfg }, true);
  it("a program attached after the sockets went into the map does not run for them (psocks keep their programs)", () => {
    const w = traced({ 1: 1, 2: 1 });
    w.attach("trace_msg", "sk_msg", "socks");
    expect(w.send("cli", "through")).toBe("7 bytes");
    expect(whats(w, "cli", "sk_msg")).toEqual([]);
  });
  it("a redirect to a key that is not in the map is the kernel's drop: EACCES, and later sends too", () => {
    const w = redirect({ 2: 6 });
    expect(w.send("cli", "lost")).toBe("EACCES");
    expect(w.send("cli", "lost too")).toBe("EACCES");
    expect(whats(w, "cli", "sk_msg")).toEqual(["SK_DROP 4 bytes"]); // the drop verdict sticks without the program
    expect(w.recv("acc")).toHaveLength(0);
  });
  it("apply_bytes splits a send into verdicts; cork_bytes holds sends until enough bytes are there", () => {
    const w = redirect({ 2: 2, 4: 40 });
    expect(w.send("cli", new Uint8Array(100))).toBe("100 bytes");
    expect(whats(w, "cli", "sk_msg")).toEqual(["redirect 100 bytes to acc ingress", "redirect 60 bytes to acc ingress", "redirect 20 bytes to acc ingress"]);
    const c = redirect({ 2: 2, 5: 150 });
    c.send("cli", new Uint8Array(100));
    expect(c.recv("acc")).toHaveLength(0);
    c.send("cli", new Uint8Array(100));
    expect(c.recv("acc")).toHaveLength(200);
  });
});

describe("bad input", () => {
  it("a scenario naming unknown sockets, bad addresses or hooks: every problem with its line", () => {
    const e = errorOf(() => parseScenario([
      "attach prog nowhere",       // 1: unknown hook
      "socket a tcp",
      "connect a 10.0.0.1",        // 3: no port
      "send b 10",                 // 4: unknown socket
      "socket a udp",              // 5: duplicate
      "connect a [::1]:80",        // 6: family
      "sendto a 127.0.0.1:53 1",   // 7: sendto on TCP
      "frobnicate",                // 8
    ].join("\n"), "bad.scn"));
    expect(e.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      expect.stringMatching(/^1: .*unknown hook 'nowhere'/),
      expect.stringMatching(/^3: .*must be ADDR:PORT/),
      expect.stringMatching(/^4: .*no socket 'b'/),
      expect.stringMatching(/^5: .*socket 'a' already exists \(created on line 2\)/),
      expect.stringMatching(/^6: .*IPv4 .* but \[::1\]:80 is IPv6/),
      expect.stringMatching(/^7: .*sendto is for UDP/),
      expect.stringMatching(/^8: .*unknown command 'frobnicate'/),
    ]);
    expect(e.diagnostics.every((d) => d.file === "bad.scn" && d.code === "BK9701")).toBe(true);
    expect(e.exitCode).toBe(2);
  });

  it("impossible states stop the run with the line: accept with nothing waiting, a closed socket used again", () => {
    const accept = errorOf(() => runScenario(parseScenario("socket s tcp\nlisten s\naccept s a\n", "x.scn"), trace));
    expect(accept.diagnostics[0]).toMatchObject({ code: "BK9702", line: 3, file: "x.scn" });
    expect(accept.message).toMatch(/socket 's': no connection is waiting to be accepted/);
    const closed = errorOf(() => runScenario(parseScenario("socket s tcp\nclose s\nbind s 127.0.0.1:1\n", "x.scn"), trace));
    expect(closed.diagnostics[0]).toMatchObject({ line: 3 });
    expect(closed.message).toMatch(/it was closed/);
    const prog = errorOf(() => runScenario(parseScenario("attach trace_msg sockops\n", "x.scn"), trace));
    expect(prog.message).toMatch(/program 'trace_msg' is sk_msg .* hook sockops takes sock_ops programs/);
    const map = errorOf(() => runScenario(parseScenario("attach trace_msg sk_msg cfg\n", "x.scn"), trace));
    expect(map.message).toMatch(/map 'cfg' is a array; sk_msg programs attach to a sockmap or sockhash/);
  });

  it("calls the kernel answers with an errno report the errno, not an error", () => {
    const r = runScenario(parseScenario([
      "socket a tcp", "connect a 127.0.0.1:9", "send a 3", "socket u udp", "listen u", "socket b tcp", "connect b 192.0.2.1:80",
    ].join("\n"), "x.scn"), trace);
    expect(r.steps.map((s) => `${s.op} ${s.result}`)).toEqual(["socket ok", "connect ECONNREFUSED", "send EPIPE", "socket ok", "listen EOPNOTSUPP", "socket ok", "connect ENETUNREACH"]);
  });

  it("programs that redirect data in a circle are stopped with the line, as a fault of the program", () => {
    const scn = parseScenario([
      "attach trace_sockops sockops", "attach trace_verdict stream_verdict socks", "map cfg 1 1", "map cfg 12 3", "map cfg 3 0",
      "socket s tcp", "bind s 127.0.0.1:8080", "listen s", "socket c tcp", "connect c 127.0.0.1:8080", "accept s a", "map targets 0 a",
      "send c 10",
    ].join("\n"), "loop.scn");
    const e = errorOf(() => runScenario(scn, trace));
    expect(e.diagnostics[0]).toMatchObject({ code: "BK9704", line: 13 });
    expect(e.message).toMatch(/redirect data in a loop/);
    expect(e.exitCode).toBe(1);
  });

  it("expect lines report what differs, with the line", () => {
    const r = runScenario(parseScenario([
      "socket s tcp", "bind s 127.0.0.1:8080", "listen s", "socket c tcp", "connect c 127.0.0.1:8080", "accept s a",
      'send c "hello"', 'expect a received "hello"', "expect a received 4", "expect c state ESTABLISHED", "expect c path stack 0",
      "expect a path stack 5", "expect map socks entries 1",
    ].join("\n"), "e.scn"), trace);
    expect(r.failed).toEqual([
      { line: 9, message: "a received 5 bytes, expected 4" },
      { line: 13, message: "map socks has 0 entries, expected 1" },
    ]);
  });
});
