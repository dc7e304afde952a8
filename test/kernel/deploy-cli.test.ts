// `bpfkit deploy / status / map / detach` as separate processes: what deploy attaches stays attached after
// it exits, detach removes everything, and a rejected program leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeKernel } from "../support/kernel.js";
import { closeFd, deploy, deploymentNameOf, linkGetNextId, linkInfo, deploymentDir, detachDeployment, inNetns, interfaceIndex, linkGetFdById, progGetFdById, progQuery, readManifest } from "../../src/kernel/index.js";
import { programToBundle } from "../../src/program/bundle.js";
import { AttachType } from "../../src/progtypes/index.js";
import { addCgroup, addNetns, delCgroup, delNetns, uniq, vethPair } from "./net.js";
import { rejectedProgram, skMsgProgram, sockopsProgram, xdpBlocker } from "./programs.js";

/** True once `open` fails with ENOENT (within 3 s). */
async function gone(open: () => number): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    try { closeFd(open()); } catch (e) { if (/ENOENT/.test(String(e))) return true; throw e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Ids of the XDP links on an interface (XDP has no PROG_QUERY; links are enumerable). */
function xdpLinksOn(ifindex: number): number[] {
  const out: number[] = [];
  for (let id = linkGetNextId(0); id !== undefined; id = linkGetNextId(id)) {
    let fd: number;
    try { fd = linkGetFdById(id); } catch { continue; }
    const li = linkInfo(fd);
    closeFd(fd);
    if (li.type === 6 && li.ifindex === ifindex) out.push(id);
  }
  return out;
}

const CLI = join(process.cwd(), "src/cli/main.ts");
function bpfkit(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describeKernel("bpfkit deploy, status, map, detach", () => {
  const nsA = uniq("bkca"), nsB = uniq("bkcb");
  const subnet = 100 + Math.floor(Math.random() * 100);
  let net: ReturnType<typeof vethPair>;
  let dir = "";
  let cgroup = "";
  const names = { typed: uniq("cli-typed-"), xdp: uniq("cli-xdp-"), pair: uniq("cli-pair-"), bad: uniq("cli-bad-") };
  beforeAll(() => {
    addNetns(nsA);
    addNetns(nsB);
    net = vethPair(nsA, nsB, subnet);
    dir = mkdtempSync(join(tmpdir(), "bpfkit-deploy-"));
    cgroup = addCgroup(uniq("bkccg"));
    for (const [file, prog] of [["block.json", xdpBlocker()], ["sockops.json", sockopsProgram()], ["skmsg.json", skMsgProgram()], ["bad.json", rejectedProgram()]] as const) {
      writeFileSync(join(dir, file), JSON.stringify(programToBundle(prog)));
    }
  });
  afterAll(() => {
    for (const n of Object.values(names)) { try { detachDeployment(n); } catch { /* gone */ } }
    delCgroup(cgroup);
    delNetns(nsA);
    delNetns(nsB);
    rmSync(dir, { recursive: true, force: true });
  });

  it("map dump/lookup/update/delete read and write keys and values by the map's BTF type (issue #15 item 10)", () => {
    const d = bpfkit("deploy", "bpf/xdp_ddos_blocklist.bpf.o", "--name", names.typed, "--xdp", net.ifB, "--mode", "skb", "--netns", nsB);
    expect(d.err).toBe("");
    expect(d.code).toBe(0);
    try {
      const v4 = `${names.typed}/blocklist_v4`;
      // an lpm_trie key typed {prefixlen, addr} by BTF: written and read as ADDR/LEN, the value a __u64
      expect(bpfkit("map", "update", v4, "192.0.2.0/24", "7").code).toBe(0);
      expect(bpfkit("map", "update", v4, "{prefixlen: 16, addr: 198.51.0.0}", "9").code).toBe(0);
      const look = bpfkit("map", "lookup", v4, "192.0.2.0/24");
      expect(look.code).toBe(0);
      expect(look.out.trim()).toBe("7");
      const dump = bpfkit("map", "dump", v4);
      expect(dump.out).toContain("key: 192.0.2.0/24  value: 7");
      expect(dump.out).toContain("key: 198.51.0.0/16  value: 9");
      const json = JSON.parse(bpfkit("map", "dump", v4, "--json").out) as { key: string; formatted: { key: unknown; value: unknown } }[];
      const row = json.find((r) => r.key === "18 00 00 00 c0 00 02 00")!;
      expect(row.formatted.value).toBe(7);
      expect(String(row.formatted.key)).toContain("192.0.2.0");
      // a value that does not fit the type: a located reason, exit 2
      const bad = bpfkit("map", "update", v4, "192.0.2.0/24", "{nope: 1}");
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/BK9803/);
      expect(bpfkit("map", "delete", v4, "192.0.2.0/24").code).toBe(0);
      expect(bpfkit("map", "lookup", v4, "192.0.2.0/24").code).toBe(1);
      // a per-CPU array of __u64 counters: every CPU's value by type, and their sum
      const stats = bpfkit("map", "lookup", `${names.typed}/stats`, "0");
      expect(stats.code).toBe(0);
      expect(stats.out).toMatch(/^per-CPU \[cpu0: \d+.*\] sum \d+$/m);
    } finally {
      expect(bpfkit("detach", names.typed).code).toBe(0);
    }
  });

  it("deploys XDP, stays attached after the process exits, map and status work, detach removes it", async () => {
    const d = bpfkit("deploy", join(dir, "block.json"), "--name", names.xdp, "--xdp", net.ifB, "--mode", "skb", "--netns", nsB);
    expect(d.err).toBe("");
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/deployed/);
    // The deploying process has exited: the link is still there.
    const manifest = readManifest(names.xdp)!;
    const linkId = manifest.programs[0]!.linkId!;
    const progId = manifest.programs[0]!.id;
    const ifindex = inNetns(nsB, () => interfaceIndex(net.ifB));
    expect(ifindex).toBeGreaterThan(0);
    expect(() => closeFd(linkGetFdById(linkId))).not.toThrow();
    const st = bpfkit("status", names.xdp, "--json");
    expect(st.code).toBe(0);
    const status = JSON.parse(st.out);
    expect(status[0].programs[0]).toMatchObject({ name: "xdp_block", attached: true, linkId });
    // Run counts: the kernel keeps them only with kernel.bpf_stats_enabled=1 (bpfkit never changes it).
    const statsOn = readFileSync("/proc/sys/kernel/bpf_stats_enabled", "utf8").trim() !== "0";
    const text = bpfkit("status", names.xdp);
    expect(text.code).toBe(0);
    expect(status[0].statsEnabled).toBe(statsOn);
    if (statsOn) {
      expect(text.out).toMatch(/prog xdp_block .* \d+ runs/);
      expect(typeof status[0].programs[0].runCnt).toBe("number");
    } else {
      expect(text.out).toMatch(/run counts: not collected \(kernel\.bpf_stats_enabled=0/);
      expect(text.out).not.toMatch(/ runs/);
      expect(status[0].programs[0].runCnt).toBeUndefined();
    }

    expect(bpfkit("map", "update", `${names.xdp}/blocked`, net.addrA2, "5").code).toBe(0);
    const look = bpfkit("map", "lookup", `${names.xdp}/blocked`, net.addrA2);
    expect(look.out.trim()).toMatch(/\(5\)$/);
    const dump = bpfkit("map", "dump", `${names.xdp}/blocked`, "--json");
    expect(JSON.parse(dump.out)).toHaveLength(1);
    expect(bpfkit("map", "delete", `${names.xdp}/blocked`, net.addrA2).code).toBe(0);
    expect(bpfkit("map", "lookup", `${names.xdp}/blocked`, net.addrA2).code).toBe(1);
    const badKey = bpfkit("map", "lookup", `${names.xdp}/blocked`, "zz");
    expect(badKey.code).toBe(2);
    expect(badKey.err).toMatch(/BK9803/);

    const det = bpfkit("detach", names.xdp);
    expect(det.code).toBe(0);
    expect(existsSync(deploymentDir(names.xdp))).toBe(false);
    // The kernel frees links and programs after an RCU grace period: poll briefly.
    expect(await gone(() => linkGetFdById(linkId))).toBe(true);
    expect(await gone(() => progGetFdById(progId))).toBe(true);
    expect(bpfkit("detach", names.xdp).code).toBe(2);
  });

  it("deploys sockops and sk_msg sharing a sockhash from a deployment file", async () => {
    const file = join(dir, "pair.json");
    writeFileSync(file, JSON.stringify({ name: names.pair, programs: [
      { file: "sockops.json", attach: { type: "sockops", target: cgroup } },
      { file: "skmsg.json", attach: { type: "sk_msg", target: "sock_hash" } },
    ] }));
    const d = bpfkit("deploy", "--file", file);
    expect(d.err).toBe("");
    expect(d.code).toBe(0);
    const m = readManifest(names.pair)!;
    expect(m.maps.map((x) => x.name).sort()).toEqual(["redirects", "sock_hash"]);
    expect(m.programs.map((p) => p.type)).toEqual(["sock_ops", "sk_msg"]);
    expect(bpfkit("detach", names.pair).code).toBe(0);
    for (const p of m.programs) expect(await gone(() => linkGetFdById(p.linkId!))).toBe(true);
  });

  it("without --name, x.bpf.o deploys as 'x' (bpffs refuses a '.' in the name)", () => {
    const stem = uniq("cliobj");
    const obj = join(dir, `${stem}.bpf.o`);
    writeFileSync(obj, readFileSync(join(process.cwd(), "bpf/xdp_ddos_blocklist.bpf.o")));
    try {
      const d = bpfkit("deploy", obj, "--xdp", net.ifB, "--mode", "skb", "--netns", nsB);
      expect(d.err).toBe("");
      expect(d.code).toBe(0);
      expect(d.out).toMatch(new RegExp(`^deployed ${stem} \\(`));
      expect(readManifest(stem)?.programs.map((p) => p.name)).toEqual(["xdp_ddos_blocklist"]);
    } finally {
      try { detachDeployment(stem); } catch { /* never deployed */ }
    }
  });

  it("a rejected program shows the verifier's message and leaves nothing behind", () => {
    const ifindex = inNetns(nsB, () => interfaceIndex(net.ifB));
    const before = xdpLinksOn(ifindex);
    const file = join(dir, "bad-pair.json");
    // The first program loads and attaches; the second is rejected: the first must be undone too.
    writeFileSync(file, JSON.stringify({ name: names.bad, programs: [
      { file: "sockops.json", attach: { type: "sockops", target: cgroup } },
      { file: "bad.json", attach: { type: "xdp", target: net.ifB, netns: nsB } },
    ] }));
    const d = bpfkit("deploy", "--file", file);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/R2 !read_ok/);
    expect(d.err).toMatch(/BK7003/);
    expect(existsSync(deploymentDir(names.bad))).toBe(false);
    expect(xdpLinksOn(ifindex)).toEqual(before);
    const cg = openSync(cgroup, "r");
    try {
      expect(progQuery(cg, AttachType.CGROUP_SOCK_OPS).progIds).toEqual([]);
    } finally {
      closeSync(cg);
    }
  });
});

// Flag values are checked before anything is read or loaded: no kernel needed.
describe("bpfkit deploy flag values", () => {
  it("the default name is the file name up to its first '.', in characters bpffs takes", () => {
    expect(deploymentNameOf("bpf/xdp_ddos_blocklist.bpf.o")).toBe("xdp_ddos_blocklist");
    expect(deploymentNameOf("/tmp/deploy.json")).toBe("deploy");
    expect(deploymentNameOf("my prog+v2.o")).toBe("my_prog_v2");
    expect(deploymentNameOf(".hidden.o")).toBe("_hidden_o");
  });
  it("a --name with a '.' is refused before anything is loaded (exit 2, the reason named)", () => {
    const r = bpfkit("deploy", join(process.cwd(), "bpf/xdp_ddos_blocklist.bpf.o"), "--xdp", "lo", "--name", "x.bpf");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/invalid deployment name 'x\.bpf': .*bpffs refuses '\.' in names\) \[BK7012\]/);
  });
  it("--mode must be skb, native or auto (exit 2, the choices named)", () => {
    const r = bpfkit("deploy", "whatever.o", "--xdp", "lo", "--mode", "fast");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/invalid --mode 'fast': expected one of skb, native, auto \[BK7012\]/);
    expect(r.out).toBe("");
  });
  it("--mode applies to --xdp only; --tc takes ingress or egress", () => {
    const m = bpfkit("deploy", "whatever.o", "--tc", "lo", "--mode", "skb");
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/--mode applies to --xdp only/);
    const t = bpfkit("deploy", "whatever.o", "--tc", "lo:sideways");
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/invalid --tc direction 'sideways'/);
  });
  it("deploy() refuses a bad mode in an attach spec before touching bpffs", () => {
    const name = uniq("t-mode-");
    let err: unknown;
    try {
      deploy(name, [{ program: xdpBlocker(), attach: { type: "xdp", target: "lo", mode: "fast" as "skb" } }]);
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/invalid XDP mode of program 'xdp_block' 'fast'/);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect(existsSync(deploymentDir(name))).toBe(false);
  });
});
