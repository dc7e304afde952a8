// Helper numbers and names (the list itself is generated into helper-names.ts from the kernel's uapi).
// Prototypes and per-program-type rules live in src/helpers/, keyed by these same numbers.
import { HELPER_NAMES } from "./helper-names.js";

export { HELPER_NAMES };

const BY_NAME: ReadonlyMap<string, number> = new Map(HELPER_NAMES.flatMap((n, i) => (i === 0 ? [] : [[n, i], [n.slice(4), i]] as [string, number][])));

/** Helper number for `bpf_map_lookup_elem` or `map_lookup_elem`; undefined when unknown. */
export const helperId = (name: string): number | undefined => BY_NAME.get(name);

/** `bpf_...` name of a helper number; undefined when the kernel has no such helper. */
export const helperName = (id: number): string | undefined => (id > 0 && id < HELPER_NAMES.length ? HELPER_NAMES[id] : undefined);

/** Highest helper number this kernel knows (__BPF_FUNC_MAX_ID - 1). */
export const MAX_HELPER_ID = HELPER_NAMES.length - 1;
