// The key and value types of a kernel map, from the BTF the map was created with (bpf_map_info's btf_id
// and key/value type ids), as bpftool's BTF-formatted `map dump` finds them: BPF_BTF_GET_FD_BY_ID, then
// the BTF's bytes through BPF_OBJ_GET_INFO_BY_FD. A map without BTF (or whose BTF does not read) gets
// bytes, lpm_trie keys still as prefixes (src/btf/values.ts's rule, the one `run` and the playground use).
import { mapShapes, parseBtf, type MapShapes } from "../btf/index.js";
import { btfData, btfGetFdById, type MapInfo } from "./commands.js";
import { mapTypeName } from "./numbers.js";
import { closeFd } from "./sys.js";

export function kernelMapShapes(info: MapInfo): MapShapes {
  const spec = { type: mapTypeName(info.type), keySize: info.keySize, valueSize: info.valueSize,
    ...(info.btfKeyTypeId ? { btfKeyTypeId: info.btfKeyTypeId } : {}), ...(info.btfValueTypeId ? { btfValueTypeId: info.btfValueTypeId } : {}) };
  if (!info.btfId) return mapShapes(spec, undefined);
  let fd = -1;
  try {
    fd = btfGetFdById(info.btfId);
    return mapShapes(spec, parseBtf(btfData(fd)));
  } catch {
    // the BTF is gone or unreadable here: the bytes are still right
    return mapShapes(spec, undefined);
  } finally {
    if (fd >= 0) closeFd(fd);
  }
}
