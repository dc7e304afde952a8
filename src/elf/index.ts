// ELF objects: read (loadObject) and write (writeObject) BPF ELF files; BTF parsing.
export { loadObject, type ElfObject, type LoadObjectOptions } from "./object.js";
export { readElf, type ElfFile, type ElfSection, type ElfSymbol, type ElfRelocation } from "./reader.js";
export { internalMapName, objectNameOf } from "./maps.js";
export { writeObject, type WriteObjectOptions } from "./writer.js";
export { poisonNote } from "./poison-note.js";
export { targetFromBtf, kernelVersionCode, KSYM_PLACEHOLDER_ADDR, type TargetKernel } from "./target.js";
export type { CoreRelocationReport } from "./core-relocate.js";
