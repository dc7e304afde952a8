// Parts of the playground loaded when first needed (playground/parts-plugin.ts builds them): the socket
// world for programs that run on sockets, the target BTF for objects with CO-RE relocations or kfuncs.
import { loaders } from "virtual:bpfkit-parts";
import type * as SocketsPart from "./parts/sockets.js";
import type * as TargetPart from "./parts/target.js";

export interface Parts {
  sockets: typeof SocketsPart;
  target: typeof TargetPart;
}

const loaded: Partial<Parts> = {};

/** The part, loading it on first use. */
export async function loadPart<K extends keyof Parts>(name: K): Promise<Parts[K]> {
  return (loaded[name] ??= (await (loaders as Record<K, () => Promise<Parts[K]>>)[name]()));
}

/** The part if it is already loaded (synchronous callers: render code). */
export const partIfLoaded = <K extends keyof Parts>(name: K): Parts[K] | undefined => loaded[name];
