// Redirect target maps: BPF_MAP_TYPE_DEVMAP (index -> ifindex), DEVMAP_HASH (key -> ifindex), CPUMAP
// (index -> queue size) and XSKMAP (index -> AF_XDP socket). bpf_redirect_map(map, key, flags) succeeds
// when the key has an entry (the runtime records the redirect and the program gets XDP_REDIRECT) and
// otherwise returns the action in the low bits of flags. Entries are set by the test.
import type { MapSpec } from "../../program/program.js";
import { HashMap } from "./hash.js";
import { ERRNO, u32Key, type MapHost, type MapValue } from "./map.js";

const TYPE_IDS: Record<string, number> = { devmap: 14, cpumap: 16, xskmap: 17, devmap_hash: 25 };

export class RedirectTargetMap extends HashMap {
  /** Array-indexed kinds: keys are indexes below max_entries. */
  private readonly indexed: boolean;
  constructor(spec: MapSpec, host: MapHost) {
    super(spec, host, false, TYPE_IDS[spec.type] ?? 14);
    this.indexed = spec.type !== "devmap_hash";
  }
  override update(key: Uint8Array, value: Uint8Array, flags: number, fromProgram = true, userValue?: MapValue): number {
    if (this.indexed && u32Key(key) >= this.spec.maxEntries) return -ERRNO.E2BIG;
    return super.update(key, value, flags, fromProgram, userValue);
  }
  /** The target's value (ifindex, queue size or socket) for the redirect record, undefined if absent. */
  target(key: Uint8Array): Uint8Array | undefined {
    const v = this.get(key);
    return v && !Array.isArray(v) ? v : undefined;
  }
}
