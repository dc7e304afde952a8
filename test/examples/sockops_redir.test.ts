// sockops_redir end to end in the kernel: a cgroup with the sockops program, the sk_msg program on the
// sockhash, and a child process in that cgroup talking TCP over 127.0.0.1. Messages must arrive intact
// and the program must count them as redirected (not passed through the TCP/IP stack).
import { execFileSync } from "node:child_process";
import { existsSync, rmdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";
import { addCgroup } from "../kernel/net.js";
import { type Loaded, loadAll, mapDump, readU64, unload } from "./bpftool.js";

describeKernel("sockops_redir + sk_msg_redirect (kernel)", () => {
  let l: Loaded | undefined;
  let cg: string | undefined;
  let attached: { cgroup: boolean; verdict: boolean } = { cgroup: false, verdict: false };
  const bpftool = (...a: string[]) => execFileSync("bpftool", a, { encoding: "utf8" });

  beforeAll(() => {
    cg = addCgroup(`bpfkit-test-${process.pid}-sockops`);
    l = loadAll("sockops_redir");
    bpftool("cgroup", "attach", cg, "sock_ops", "pinned", `${l.progs}/sockops_established`);
    attached.cgroup = true;
    bpftool("prog", "attach", "pinned", `${l.progs}/sk_msg_redirect`, "msg_verdict", "pinned", `${l.maps}/sock_map`);
    attached.verdict = true;
  });

  afterAll(() => {
    try {
      if (attached.verdict) bpftool("prog", "detach", "pinned", `${l!.progs}/sk_msg_redirect`, "msg_verdict", "pinned", `${l!.maps}/sock_map`);
      if (attached.cgroup) bpftool("cgroup", "detach", cg!, "sock_ops", "pinned", `${l!.progs}/sockops_established`);
    } finally {
      unload(l);
      if (cg && existsSync(cg)) rmdirSync(cg);
    }
  });

  it("redirects every message between two local sockets, data intact", () => {
    const ROUNDS = 5;
    const out = execFileSync("node", [resolve(import.meta.dirname, "sockops-peer.mjs"), cg!, String(ROUNDS)], { encoding: "utf8", timeout: 10_000 });
    const result = JSON.parse(out) as { replies: string[] };
    expect(result.replies).toEqual(Array.from({ length: ROUNDS }, (_, i) => `MESSAGE ${i}`));
    const stats = Object.fromEntries(mapDump(`${l!.maps}/redirect_stats`).map((e) => [e.key[0], readU64(e.value!)]));
    // Requests and replies: 2 messages per round, each redirected to the peer socket.
    expect(stats[0]).toBe(BigInt(2 * ROUNDS));
    expect(stats[1]).toBe(0n);
  });
});
