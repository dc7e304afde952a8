// Opening program files of every kind from their bytes (browser-safe); src/load/node.ts reads them from disk.
export { detectKind, loadProgramBytes, pickProgram, requireUsable, type LoadedFile, type LoadOptions, type ProgramFileKind } from "./program-file.js";
export { btfFromBytes, gunzipWithStreams, type Gunzip } from "./target-btf.js";
