// Naming maps on the command line and reading keys/values: `DEPLOYMENT/MAP`, a bpffs path, or `id:N`;
// keys and values as hex bytes, decimal numbers (little-endian, the map's width), dotted IPv4 (network order),
// IPv6 (16-byte keys) or ADDR/LEN for lpm_trie keys.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BpfkitError, diag } from "../diagnostics/index.js";
import { mapGetFdById, mapInfo, objGet, type MapInfo } from "./commands.js";
import { deploymentDir, pinName } from "./deploy.js";

// Key and value text is shared with `bpfkit run --map`; it lives with the maps.
export { parseBytes, hexOf, numberOf } from "../maps/values.js";

export function openMap(ref: string): { fd: number; info: MapInfo } {
  let fd: number;
  const id = /^id:(\d+)$/.exec(ref);
  if (id) fd = mapGetFdById(Number(id[1]));
  else if (ref.startsWith("/")) fd = objGet(ref);
  else {
    const [dep, map] = ref.split("/");
    const path = join(deploymentDir(dep ?? ""), "maps", pinName(map ?? ""));
    if (!dep || !map || !existsSync(path)) throw new BpfkitError(diag("BK7011", { name: ref, where: " (give DEPLOYMENT/MAP, a bpffs path or id:N)" }), 2);
    fd = objGet(path);
  }
  return { fd, info: mapInfo(fd) };
}

