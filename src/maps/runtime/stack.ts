// BPF_MAP_TYPE_STACK: last in, first out (see fifo.ts for the shared rules).
import type { MapSpec } from "../../program/program.js";
import { FifoMap } from "./fifo.js";
import type { MapHost } from "./map.js";

export class StackMap extends FifoMap {
  constructor(spec: MapSpec, host: MapHost) { super(spec, host, 23, true); }
}
