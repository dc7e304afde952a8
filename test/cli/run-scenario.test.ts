// `bpfkit run --scenario FILE`: the socket world from the command line, offline and (as root) live.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "bpfkit-scenario-"));
const SIDECAR = "test/sockets/scenarios/09-sidecar-redirect-ingress.scn";

describe("bpfkit run --scenario", () => {
  it("prints per socket the callbacks that ran, where its bytes came from, and the maps", () => {
    const r = cli("run", "--scenario", SIDECAR);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^scenario .*09-sidecar-redirect-ingress\.scn \(simulated host\)$/m);
    expect(r.stdout).toMatch(/^ {2}cli \(connected to acc\) {2}tcp {2}127\.0\.0\.1:\d+ -> 127\.0\.0\.1:8080 {2}CLOSED/m);
    expect(r.stdout).toMatch(/^ {4}sockops +trace_sockops +ACTIVE_ESTABLISHED_CB$/m);
    expect(r.stdout).toMatch(/^ {4}sk_msg +trace_msg +redirect 3000 bytes to acc ingress$/m);
    expect(r.stdout).toMatch(/^ {4}got 3100 bytes from cli by sk_msg redirect$/m);
    expect(r.stdout).toMatch(/^ {2}socks \(sockhash\): 0 entries$/m);
    expect(r.stdout).toMatch(/^ {2}line 16 +send cli +100 bytes$/m);
  });

  it("--json gives the whole report: sockets with callbacks and deliveries, steps, maps, timeline", () => {
    const r = cli("run", "--scenario", SIDECAR, "--json");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { runner: string; sockets: { name: string; received: string; deliveries: { path: string; from: string; bytes: number }[] }[]; timeline: { socket: string; hook: string; what: string }[]; failed: unknown[] };
    expect(j.runner).toBe("offline");
    const acc = j.sockets.find((s) => s.name === "acc")!;
    expect(acc.deliveries).toEqual([{ path: "sk_msg", from: "cli", bytes: 3100 }]);
    expect(acc.received).toHaveLength(3100 * 2); // hex
    expect(j.timeline.filter((t) => t.hook === "sk_msg").map((t) => t.socket)).toEqual(["cli", "acc", "cli"]);
    expect(j.failed).toEqual([]);
  });

  it("a bad scenario is exit 2 with file:line; a failed expectation exit 1", () => {
    const bad = join(dir, "bad.scn");
    writeFileSync(bad, "program ../nowhere.o\nsocket a tcp\nconnect b 127.0.0.1:1\n");
    const r = cli("run", join(repo, "bpf/sock_trace.bpf.o"), "--scenario", bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${bad}:3: error: scenario: no socket 'b' was created before this line (create it with 'socket b tcp') [BK9701]\n`);
    const exp = join(dir, "expect.scn");
    writeFileSync(exp, "socket s tcp\nbind s 127.0.0.1:80\nlisten s\nsocket c tcp\nconnect c 127.0.0.1:80\naccept s a\nsend c \"hi\"\nexpect a received \"ho\"\n");
    const e = cli("run", join(repo, "bpf/sock_trace.bpf.o"), "--scenario", exp);
    expect(e.status).toBe(1);
    expect(e.stdout).toMatch(/expectations that failed\n {2}line 8: a received "hi", expected "ho"/);
  });
});

describeKernel("bpfkit run --scenario --engine kernel", () => {
  it("runs the scenario live in a namespace and cgroup of its own and reads the same bytes", () => {
    const r = cli("run", "--scenario", SIDECAR, "--engine", "kernel", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { runner: string; sockets: { name: string; received: string }[] };
    expect(j.runner).toBe("kernel");
    expect(j.sockets.find((s) => s.name === "acc")!.received).toHaveLength(3100 * 2);
    expect(j.sockets.find((s) => s.name === "cli")!.received).toHaveLength(50 * 2);
  });
});
