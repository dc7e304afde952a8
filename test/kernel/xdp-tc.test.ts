// XDP and tcx programs deployed on a veth between two namespaces the test creates: blocked sources are
// dropped and counted, other traffic arrives; deployments pin, report status and detach completely.
import { afterAll, beforeAll, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { describeKernel } from "../support/kernel.js";
import {
  closeFd, deploy, interfaceIndex, deploymentDir, deploymentStatus, detachDeployment, inNetns, linkGetFdById, listDeployments, mapLookup, mapUpdate, objGet, progQuery,
} from "../../src/kernel/index.js";
import { AttachType } from "../../src/progtypes/index.js";
import { addNetns, delNetns, nodeInNetns, uniq, UDP_RECV, UDP_SEND, vethPair } from "./net.js";
import { tcUdpDropper, xdpBlocker } from "./programs.js";

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

  it("XDP drops and counts packets from a blocked source, lets the others through", async () => {
    const name = uniq("t-xdp-");
    deployments.push(name);
    const manifest = deploy(name, [{ program: xdpBlocker(), attach: { type: "xdp", target: net.ifB, mode: "skb", netns: nsB } }]);
    expect(manifest.programs[0]!.linkId).toBeGreaterThan(0);
    const blocked = objGet(`${deploymentDir(name)}/maps/blocked`);
    try {
      mapUpdate(blocked, ipKey(net.addrA2), new Uint8Array(8));
      const seen = await traffic(7001);
      expect(seen[net.addrA]).toBe(20);
      expect(seen[net.addrA2]).toBeUndefined();
      const v = new Uint8Array(8);
      expect(mapLookup(blocked, ipKey(net.addrA2), v)).toBe(true);
      expect(u64At(v)).toBe(20n);
    } finally {
      closeFd(blocked);
    }
    const status = deploymentStatus(name);
    expect(status.programs[0]).toMatchObject({ name: "xdp_block", attached: true, linkType: "xdp" });
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
