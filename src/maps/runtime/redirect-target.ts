// Redirect target maps: BPF_MAP_TYPE_DEVMAP (index -> ifindex), DEVMAP_HASH (key -> ifindex), CPUMAP
// (index -> queue size) and XSKMAP (index -> AF_XDP socket). bpf_redirect_map(map, key, flags) succeeds
// when the key has an entry (the runtime records the redirect and the program gets XDP_REDIRECT) and
// otherwise returns the action in the low bits of flags. Entries are set by the test.
import type { MapSpec } from "../../program/program.js";
import { HashMap } from "./hash.js";
import { MF, type MapHost } from "./map.js";

const TYPE_IDS: Record<string, number> = { devmap: 14, cpumap: 16, xskmap: 17, devmap_hash: 25 };

export class RedirectTargetMap extends HashMap {
  constructor(spec: MapSpec, host: MapHost) {
    // Array-indexed kinds (all but devmap_hash): keys are indexes below max_entries (-E2BIG past it).
    super(spec, host, false, TYPE_IDS[spec.type] ?? 14, spec.type !== "devmap_hash" ? MF.INDEXED : 0);
  }
  /** The target's value (ifindex, queue size or socket) for the redirect record, undefined if absent. */
  target(key: Uint8Array): Uint8Array | undefined {
    const v = this.get(key);
    return v && !Array.isArray(v) ? v : undefined;
  }
}
