// XDP and tcx programs deployed on a veth between two namespaces the test creates: blocked sources are
// dropped and counted (bpf/xdp_ddos_blocklist.bpf.o, its drop counts checked against the interpreter's
// prediction for the same datagrams), other traffic arrives; deployments pin, report status and detach completely.
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describeKernel } from "../support/kernel.js";
import {
  closeFd, deploy, interfaceIndex, deploymentDir, deploymentStatus, detachDeployment, inNetns, linkGetFdById, listDeployments, mapLookup, objGet,
  possibleCpus, progQuery, u32Key,
} from "../../src/kernel/index.js";
import { loadPrograms } from "../../src/load/node.js";
import { loadProgram } from "../../src/runtime/runtime.js";
import { buildPacket } from "../../src/packet/index.js";
import { AttachType } from "../../src/progtypes/index.js";
import { addNetns, delNetns, nodeInNetns, uniq, UDP_RECV, UDP_SEND, vethPair } from "./net.js";
import { tcUdpDropper } from "./programs.js";

const CLI = join(process.cwd(), "src/cli/main.ts");
function bpfkit(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const ipKey = (a: string): Uint8Array => new Uint8Array(a.split(".").map(Number)); // network order bytes
const u64At = (b: Uint8Array): bigint => new DataView(b.buffer).getBigUint64(0, true);

describeKernel("XDP and tcx on a veth pair", () => {
  const nsA = uniq("bkxa"), nsB = uniq("bkxb");
  const subnet = 100 + Math.floor(Math.random() * 100);
  let net: ReturnType<typeof vethPair>;
  const deployments: string[] = [];
  beforeAll(() => {
    addNetns(nsA);
    addNetns(nsB);
    net = vethPair(nsA, nsB, subnet);
  });
  afterAll(() => {
    for (const d of deployments) { try { detachDeployment(d); } catch { /* gone */ } }
    delNetns(nsA);
    delNetns(nsB);
  });

  async function traffic(port: number, n = 20): Promise<Record<string, number>> {
    const recv = nodeInNetns(nsB, UDP_RECV, [net.addrB, String(port), "1500"]);
    await new Promise((r) => setTimeout(r, 400));
    await Promise.all([
      nodeInNetns(nsA, UDP_SEND, [net.addrA, net.addrB, String(port), String(n)]),
      nodeInNetns(nsA, UDP_SEND, [net.addrA2, net.addrB, String(port), String(n)]),
    ]);
    return JSON.parse(await recv) as Record<string, number>;
  }

  it("xdp_ddos_blocklist.bpf.o drops a blocked prefix seeded with `bpfkit map update`, as the interpreter predicts", async () => {
    const name = uniq("t-xdp-");
    deployments.push(name);
    const [program] = await loadPrograms(join(process.cwd(), "bpf/xdp_ddos_blocklist.bpf.o"));
    const manifest = deploy(name, [{ program: program!, attach: { type: "xdp", target: net.ifB, mode: "skb", netns: nsB } }]);
    expect(manifest.programs[0]!.linkId).toBeGreaterThan(0);
    // Block addrA2's /32 through the CLI (lpm_trie key: u32 prefix length + IPv4 address).
    const blockedPrefix = `${net.addrA2}/32`;
    const upd = bpfkit("map", "update", `${name}/blocklist_v4`, blockedPrefix, "0");
    expect(upd.err).toBe("");
    expect(upd.code).toBe(0);

    // What the interpreter says the same datagrams meet, with the same blocklist.
    const interp = loadProgram(program!);
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(0, 32, true);
    key.set(ipKey(net.addrA2), 4);
    interp.maps.get("blocklist_v4")!.set(key, new Uint8Array(8));
    const N = 20;
    const predicted: Record<string, { drop: number; pass: number }> = {};
    for (const src of [net.addrA, net.addrA2]) {
      predicted[src] = { drop: 0, pass: 0 };
      for (let i = 0; i < N; i++) {
        const frame = buildPacket({ ipv4: { src, dst: net.addrB }, udp: { srcPort: 40000, dstPort: 7001 }, payload: "x" + i });
        const r = interp.run({ data: frame });
        if (r.retval === 1) predicted[src]!.drop++;
        else if (r.retval === 2) predicted[src]!.pass++;
      }
    }
    expect(predicted[net.addrA2]!.drop).toBe(N); // the prediction itself is not vacuous
    expect(predicted[net.addrA]!.pass).toBe(N);

    const seen = await traffic(7001, N);
    expect(seen[net.addrA] ?? 0).toBe(predicted[net.addrA]!.pass);
    expect(seen[net.addrA2] ?? 0).toBe(predicted[net.addrA2]!.pass);
    // The prefix's hit counter and the per-CPU drop counter say the same as the interpreter.
    const look = bpfkit("map", "lookup", `${name}/blocklist_v4`, blockedPrefix);
    expect(look.code).toBe(0);
    // the value is a __u64 by the map's BTF: printed as a number
    expect(look.out.trim()).toBe(String(predicted[net.addrA2]!.drop));
    const stats = bpfkit("map", "lookup", `${name}/stats`, "1"); // STAT_DROP_V4
    expect(stats.code).toBe(0);
    expect(stats.out).toMatch(new RegExp(`^per-CPU \\[cpu0: .*\\] sum ${predicted[net.addrA2]!.drop}$`, "m"));
    const fd = objGet(`${deploymentDir(name)}/maps/stats`);
    try {
      const cpus = possibleCpus();
      const v = new Uint8Array(8 * cpus);
      expect(mapLookup(fd, u32Key(1), v)).toBe(true);
      let sum = 0n;
      for (let c = 0; c < cpus; c++) sum += new DataView(v.buffer).getBigUint64(c * 8, true);
      expect(sum).toBe(BigInt(predicted[net.addrA2]!.drop));
    } finally {
      closeFd(fd);
    }

    const status = deploymentStatus(name);
    expect(status.programs[0]).toMatchObject({ name: "xdp_ddos_blocklist", attached: true, linkType: "xdp" });
    expect(listDeployments()).toContain(name);

    const removed = detachDeployment(name);
    expect(existsSync(deploymentDir(name))).toBe(false);
    expect(() => linkGetFdById(removed.linkIds[0]!)).toThrow(/ENOENT/);
    // With the program gone, the blocked source gets through again.
    const after = await traffic(7002, 5);
    expect(after[net.addrA2]).toBe(5);
  });

  it("tcx ingress drops UDP to one port and counts it; other ports pass", async () => {
    const name = uniq("t-tc-");
    deployments.push(name);
    const m = deploy(name, [{ program: tcUdpDropper(7003), attach: { type: "tc", target: net.ifB, direction: "ingress", netns: nsB } }]);
    const attached = (): number[] => inNetns(nsB, () => progQuery(interfaceIndex(net.ifB), AttachType.TCX_INGRESS)).progIds;
    expect(attached()).toEqual([m.programs[0]!.id]);
    const dropped = await traffic(7003, 10);
    const passed = await traffic(7004, 10);
    expect(Object.keys(dropped)).toEqual([]);
    expect(passed[net.addrA]).toBe(10);
    expect(passed[net.addrA2]).toBe(10);
    const drops = objGet(`${deploymentDir(name)}/maps/drops`);
    const v = new Uint8Array(8);
    mapLookup(drops, new Uint8Array(4), v);
    closeFd(drops);
    expect(u64At(v)).toBe(20n);
    detachDeployment(name);
    expect(existsSync(deploymentDir(name))).toBe(false);
    expect(attached()).toEqual([]);
  });
});
