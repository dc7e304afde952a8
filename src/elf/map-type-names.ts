// Map type number <-> name for the ELF loader and writer, from the map type table (src/maps/types.ts).
// A number the table does not know stays visible as `unknown(N)` (and is written back as N) instead of
// failing the whole object: the verifier and kernel loader judge it.
import { MAP_TYPE_NAMES } from "../maps/types.js";

export const mapTypeNameOf = (id: number): string => MAP_TYPE_NAMES[id] ?? `unknown(${id})`;

export function mapTypeIdOf(name: string): number | undefined {
  const m = /^unknown\((\d+)\)$/.exec(name);
  if (m) return Number(m[1]);
  const i = (MAP_TYPE_NAMES as readonly string[]).indexOf(name.toLowerCase().replace(/^bpf_map_type_/, ""));
  return i < 0 ? undefined : i;
}
