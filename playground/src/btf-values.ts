// Map keys and values as text by the C type the object's BTF gives them: the library's codec
// (src/btf/values.ts), which the CLI's `run`, `map dump/lookup/update` and `--map` use too, so the
// playground reads and writes entries exactly as the command line does.
import { btf } from "../../src/index.js";

export type Shape = btf.Shape;
export const ValueSyntaxError = btf.ValueSyntaxError;
export const shapeOf = btf.shapeOf;
export const rawShape = btf.rawShape;
export const parseProgramBtf = btf.parseProgramBtf;
export const format = (shape: Shape, b: Uint8Array, off = 0): string => btf.formatValue(shape, b, off);
export const parse = (shape: Shape, text: string, what = "value"): Uint8Array => btf.parseValue(shape, text, what);
export const describe = btf.describeShape;
