// BTF, the type model several stages share: the ELF loader (object BTF, .BTF.ext records), the verifier
// (function prototypes, map value layouts), the kernel loader and map output. One reader for object BTF,
// split BTF and the kernel's vmlinux BTF.
export { parseBtf, typeById, skipModifiers, sizeOf, BtfBuilder, type Btf, type BtfType, BTF_KIND, BTF_KIND_NAMES } from "./btf.js";
export { parseBtfExt, type BtfExt } from "./btf-ext.js";
export { ByteReader } from "./byte-reader.js";
export * from "./values.js";
