// ELF objects: read (loadObject) and write (writeObject) BPF ELF files; BTF parsing.
export { loadObject, type ElfObject, type LoadObjectOptions } from "./object.js";
export { readElf, type ElfFile, type ElfSection, type ElfSymbol, type ElfRelocation } from "./reader.js";
export { internalMapName, objectNameOf } from "./maps.js";
export { writeObject, type WriteObjectOptions } from "./writer.js";
