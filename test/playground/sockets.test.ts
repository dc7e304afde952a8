// The playground's socket-world part (playground/src/parts/sockets.ts), in Node: the example's scenario
// runs on the object's programs as the Run tab runs it, a first scenario is written for objects that come
// without one, and the page's list of socket program types is the socket world's.
import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../../playground/src/examples.js";
import { SOCKET_PROG_TYPES as PAGE_TYPES, isSocketType } from "../../playground/src/engine.js";
import { defaultScenario, runScenario, SOCKET_PROG_TYPES } from "../../playground/src/parts/sockets.js";
import { openObject } from "../../playground/src/program-source.js";
import { BpfkitError } from "../../src/index.js";

const ex = EXAMPLES.find((e) => e.id === "sockops_redir")!;
const obj = openObject(ex.file, ex.object());

describe("playground socket world", () => {
  it("knows the program types the socket world runs (the page decides without loading the part)", () => {
    expect([...PAGE_TYPES].sort()).toEqual([...SOCKET_PROG_TYPES].sort());
    expect(isSocketType("sock_ops")).toBe(true);
    expect(isSocketType("xdp")).toBe(false);
  });

  it("runs the sockops_redir example's scenario: both ends in sock_map, sends redirected, the outside client on the stack", () => {
    expect(ex.scenario).toBeDefined();
    const r = runScenario(ex.scenario!, obj.programs);
    expect(r.failed).toEqual([]);
    expect(r.engine.kind).toBe("compiled");
    const sock = (name: string) => r.sockets.find((s) => s.name === name)!;
    expect(sock("app").callbacks.map((c) => c.what)).toEqual(expect.arrayContaining(["TCP_CONNECT_CB", "ACTIVE_ESTABLISHED_CB"]));
    expect(sock("conn").callbacks.map((c) => c.what)).toContain("PASSIVE_ESTABLISHED_CB");
    expect(sock("remote").callbacks).toEqual([]); // outside the cgroup: no sockops
    expect(sock("conn").deliveries).toEqual([{ path: "sk_msg", from: "app", bytes: 14 }]);
    expect(new TextDecoder().decode(sock("app").received)).toBe("HTTP/1.1 200 OK");
    expect(sock("conn2").deliveries).toEqual([{ path: "stack", from: "remote", bytes: 5 }]);
    const dump = r.steps.find((s) => s.op === "dump")!;
    expect(dump.map!.entries.map((e) => e.value).sort()).toEqual(["app", "conn"]);
    // closed sockets leave the sockhash, as the kernel removes them
    expect(r.maps.find((m) => m.name === "sock_map")!.entries.map((e) => e.value)).toEqual(["conn2"]);
    expect(r.maps.find((m) => m.name === "redirect_stats")!.entries.length).toBeGreaterThan(0);
  });

  it("writes the Maps tab's entries before the first step: the programs' counters start from them", () => {
    const le64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
    const le32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
    const counts = (r: ReturnType<typeof runScenario>) => r.maps.find((m) => m.name === "redirect_stats")!.entries
      .map((e) => [new DataView((e.key as Uint8Array).buffer).getUint32(0, true), Number(new DataView((e.value as Uint8Array).buffer).getBigUint64(0, true))]);
    const plain = counts(runScenario(ex.scenario!, obj.programs));
    const seeded = runScenario(ex.scenario!, obj.programs, [{ map: "redirect_stats", key: le32(0), value: le64(100) }]);
    expect(seeded.seedProblems).toEqual([]);
    expect(counts(seeded)).toEqual(plain.map(([k, v]) => [k, k === 0 ? v! + 100 : v]));
    // an entry the map refuses (index past max_entries) is reported, and the scenario still runs
    const refused = runScenario(ex.scenario!, obj.programs, [{ map: "redirect_stats", key: le32(1000), value: le64(1) }]);
    expect(refused.seedProblems).toEqual([expect.stringMatching(/^redirect_stats: the map refused an entry from the Maps tab \(E2BIG\)$/)]);
    expect(refused.failed).toEqual([]);
  });

  it("a failed expectation is reported with its line, not thrown", () => {
    const r = runScenario(`${ex.scenario!}expect app received "nope"\n`, obj.programs);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.line).toBe(ex.scenario!.split("\n").length);
  });

  it("bad scenario text is a BpfkitError naming the line", () => {
    let err: unknown;
    try { runScenario("socket a tcp\nconnect b 127.0.0.1:1\n", obj.programs); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BpfkitError);
    expect((err as BpfkitError).diagnostics[0]!.line).toBe(2);
  });

  it("writes a first scenario for an object's socket programs that runs and redirects", () => {
    const text = defaultScenario(obj.programs);
    expect(text).toMatch(/^attach sockops_established sockops$/m);
    expect(text).toMatch(/^attach sk_msg_redirect sk_msg sock_map$/m);
    const r = runScenario(text, obj.programs);
    expect(r.failed).toEqual([]);
    expect(r.sockets.flatMap((s) => s.deliveries.map((d) => d.path))).toEqual(["sk_msg", "sk_msg"]);
  });
});
