// Runtime implementations of helpers, by name without `bpf_` (the numbers come from src/isa/helpers.ts and
// which program types may call each one from src/helpers/table.ts).
import type { HelperImpl } from "./env.js";
import * as events from "./events.js";
import * as flow from "./flow.js";
import * as maps from "./maps.js";
import * as misc from "./misc.js";
import * as printk from "./printk.js";
import * as skb from "./skb.js";
import * as xdp from "./xdp.js";

export * from "./env.js";

const modules: Record<string, unknown>[] = [events, flow, maps, misc, { trace_printk: printk.trace_printk }, skb, xdp];

/** Implementation by short name (`map_lookup_elem`). */
export const HELPER_IMPLS: ReadonlyMap<string, HelperImpl> = new Map(
  modules.flatMap((m) => Object.entries(m).filter((e): e is [string, HelperImpl] => typeof e[1] === "function")),
);

export { formatPrintk } from "./printk.js";
