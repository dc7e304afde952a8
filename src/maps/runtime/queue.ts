// BPF_MAP_TYPE_QUEUE: first in, first out (see fifo.ts for the shared rules).
import type { MapSpec } from "../../program/program.js";
import { FifoMap } from "./fifo.js";
import type { MapHost } from "./map.js";

export class QueueMap extends FifoMap {
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, 22, false); }
}
