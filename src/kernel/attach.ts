// Attaching loaded programs: XDP and tcx on interfaces, sock_ops on cgroup v2 folders, sk_msg / sk_skb on
// sockmaps and sockhashes (all through BPF_LINK_CREATE, so the result is a link that can be pinned and
// queried), and socket filters on a socket (setsockopt SO_ATTACH_BPF).
import { closeSync, openSync } from "node:fs";
import { BpfkitError, diag } from "../diagnostics/index.js";
import { AttachType } from "../progtypes/index.js";
import { linkCreate, progAttach } from "./commands.js";
import { KernelError } from "./errors.js";
import { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE } from "./numbers.js";
import { ifNameToIndex, inNetns, setsockopt } from "./sys.js";

export type XdpMode = "skb" | "native" | "auto";
export type TcDirection = "ingress" | "egress";
export type SockmapAttach = "sk_msg" | "stream_verdict" | "stream_parser" | "verdict";

/** Where a program goes; `netns` (a name under /run/netns) is where the interface is. */
export type AttachTarget =
  | { kind: "xdp"; iface: string; mode?: XdpMode; netns?: string }
  | { kind: "tc"; iface: string; direction: TcDirection; netns?: string }
  | { kind: "cgroup"; path: string; attachType: number }
  | { kind: "sockmap"; mapFd: number; attach: SockmapAttach };

export function interfaceIndex(iface: string): number {
  const index = /^\d+$/.test(iface) ? Number(iface) : ifNameToIndex(iface);
  if (!index) throw new BpfkitError(diag("BK7016", { iface }), 2);
  return index;
}

const SOCKMAP_ATTACH: Record<SockmapAttach, number> = {
  sk_msg: AttachType.SK_MSG_VERDICT, stream_verdict: AttachType.SK_SKB_STREAM_VERDICT,
  stream_parser: AttachType.SK_SKB_STREAM_PARSER, verdict: AttachType.SK_SKB_VERDICT,
};

/** Attach; returns the link fd (pin it to keep the attachment after the process exits). */
export function attach(progFd: number, target: AttachTarget): number {
  switch (target.kind) {
    case "xdp": {
      const flags = target.mode === "skb" ? XDP_FLAGS_SKB_MODE : target.mode === "native" ? XDP_FLAGS_DRV_MODE : 0;
      return inNetns(target.netns, () => linkCreate({ progFd, target: interfaceIndex(target.iface), attachType: AttachType.XDP, flags }));
    }
    case "tc":
      return inNetns(target.netns, () => linkCreate({
        progFd, target: interfaceIndex(target.iface), attachType: target.direction === "egress" ? AttachType.TCX_EGRESS : AttachType.TCX_INGRESS,
      }));
    case "cgroup": {
      let cg: number;
      try {
        cg = openSync(target.path, "r");
      } catch (err) {
        throw new BpfkitError(diag("BK7010", { name: `fd ${progFd}`, reason: `cannot open cgroup ${target.path} (${(err as NodeJS.ErrnoException).code})` }), 2);
      }
      try {
        return linkCreate({ progFd, target: cg, attachType: target.attachType });
      } finally {
        closeSync(cg);
      }
    }
    case "sockmap":
      return linkCreate({ progFd, target: target.mapFd, attachType: SOCKMAP_ATTACH[target.attach] });
  }
}

/** The older, link-less attachment of a sk_msg / sk_skb program to a sockmap (stays until detached or the map goes). */
export function attachToSockmapLegacy(progFd: number, mapFd: number, attach: SockmapAttach): void {
  progAttach(mapFd, progFd, SOCKMAP_ATTACH[attach]);
}

const SOL_SOCKET = 1, SO_ATTACH_BPF = 50, SO_DETACH_BPF = 27;

/** Attach a socket filter program to a socket fd (a Node socket's fd: `(socket as any)._handle.fd`). */
export function attachSocketFilter(socketFd: number, progFd: number): void {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, progFd, true);
  setsockopt(socketFd, SOL_SOCKET, SO_ATTACH_BPF, v, "SO_ATTACH_BPF");
}

/** Remove the socket filter of a socket. */
export function detachSocketFilter(socketFd: number): void {
  setsockopt(socketFd, SOL_SOCKET, SO_DETACH_BPF, new Uint8Array(4), "SO_DETACH_BPF");
}

export { KernelError };
