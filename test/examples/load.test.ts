// Every example object is up to date with its source and is accepted by the kernel's verifier.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeKernel } from "../support/kernel.js";
import { BPF_DIR, loadAll, unload } from "./bpftool.js";

const EXPECTED: Record<string, string[]> = {
  xdp_ddos_blocklist: ["xdp_ddos_blocklist"],
  xdp_lb: ["xdp_lb"],
  tc_policy: ["tc_egress", "tc_ingress"],
  sockops_redir: ["sk_msg_redirect", "sockops_established"],
  sock_trace: ["trace_bind4", "trace_connect4", "trace_connect6", "trace_getpeername4", "trace_msg", "trace_parser", "trace_recvmsg4", "trace_sendmsg4", "trace_sockops", "trace_verdict"],
  socket_filter: ["socket_filter"],
  xdp_feature_tour: ["xdp_drop_stage", "xdp_feature_tour"],
};

describe("example objects", () => {
  it("one committed object per source, and the expected set of examples", () => {
    const files = readdirSync(BPF_DIR);
    const sources = files.filter((f) => f.endsWith(".bpf.c")).map((f) => f.slice(0, -6)).sort();
    expect(sources).toEqual(Object.keys(EXPECTED).sort());
    for (const s of sources) expect(files).toContain(`${s}.bpf.o`);
  });

  let clang = true;
  try { execFileSync("clang-19", ["--version"], { stdio: "ignore" }); } catch { clang = false; }
  it.skipIf(!clang)("objects are what npm run build:bpf produces from the sources (build-bpf --check)", () => {
    const out = execFileSync("node", ["scripts/build-bpf.mjs", "--check"], { cwd: `${BPF_DIR}/..`, encoding: "utf8" });
    expect(out).toContain("up to date");
  });
});

describeKernel("example objects load in the kernel (bpftool prog loadall)", () => {
  for (const [name, progs] of Object.entries(EXPECTED)) {
    it(name, () => {
      const l = loadAll(name);
      try {
        expect(readdirSync(l.progs).sort()).toEqual(progs);
      } finally {
        unload(l);
      }
    });
  }
});
