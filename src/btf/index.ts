// BTF, the type model several stages share: the ELF loader (object BTF, .BTF.ext records), CO-RE
// relocation against a target BTF, the verifier (function prototypes, map value layouts, kfuncs), the
// kernel loader and map output. One reader for object BTF, split BTF and the kernel's vmlinux BTF.
export {
  parseBtf, typeById, skipModifiers, sizeOf, resolveSize, alignOf, memberBits, essentialName, describeType, patchDatasecs, BtfBuilder,
  type Btf, type BtfType, type BtfMember, type ParseBtfOptions, BTF_KIND, BTF_KIND_NAMES, BTF_INT, BTF_VAR, BTF_FUNC,
} from "./btf.js";
export { parseBtfExt, type BtfExt, type CoreReloRecord, type FuncInfoRecord, type LineInfoRecord } from "./btf-ext.js";
export { ByteReader } from "./byte-reader.js";
