// A reader that stops early (`bpfkit ... | head -1`) closes the pipe under a long output: bpfkit must end
// quietly, as other Unix tools do, not print a Node stack trace for EPIPE.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const repo = join(import.meta.dirname, "../..");

describe("bpfkit with a closed output pipe", () => {
  it("prints no stack trace when the reader goes away", () => {
    const cmd = `${JSON.stringify(process.execPath)} --import tsx src/cli/main.ts verify bpf/xdp_feature_tour.bpf.o --prog xdp_feature_tour --log-level 2 | head -1`;
    const r = spawnSync("bash", ["-o", "pipefail", "-c", cmd], { cwd: repo, encoding: "utf8" });
    expect(r.stdout.split("\n")[0]).toMatch(/^func#0 @0$/);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  });
});
