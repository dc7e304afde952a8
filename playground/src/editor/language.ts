// Highlighting for BPF assembly in both syntaxes bpfkit reads (docs/asm-syntax.md): LLVM's
// (`r0 = *(u32 *)(r1 + 4)`, `if r1 > r2 goto out`) and the uBPF/conformance mnemonic dialect
// (`ldxw %r0, [%r1+4]`, `jgt %r1, %r2, out`). A line tokenizer is enough: statements never span lines.
import { StreamLanguage, type StreamParser } from "@codemirror/language";

const KEYWORDS = new Set(["if", "goto", "gotol", "call", "callx", "exit", "ll", "lock", "may_goto", "local", "kfunc", "skb",
  "be16", "be32", "be64", "le16", "le32", "le64", "bswap16", "bswap32", "bswap64", "atomic_fetch_add", "atomic_fetch_and",
  "atomic_fetch_or", "atomic_fetch_xor", "xchg_64", "xchg32_32", "cmpxchg_64", "cmpxchg32_32", "load_acquire", "store_release",
  "addr_space_cast", "map_value", "ld_pseudo"]);
const TYPES = /^(u8|u16|u32|u64|s8|s16|s32|s64)$/;
/** Mnemonic-syntax operation names (mov, add32, ldxw, jeq, ...): a word followed by operands. */
const MNEMONIC = /^(mov|add|sub|mul|div|sdiv|mod|smod|or|and|lsh|rsh|arsh|neg|xor|movsx\d+|be|le|bswap|ldx[bhwd]w?|ldxs[bhw]|st[bhwd]w?|stx[bhwd]w?|ld[bhwd]w?|lddw|ldabs[bhw]|ldind[bhw]|ja|ja32|j(eq|ne|gt|ge|lt|le|set|sgt|sge|slt|sle)|xadd[wd]w?|ldacq[bhwd]w?|strel[bhwd]w?)(32)?$/;

interface State { lineStart: boolean }

const parser: StreamParser<State> = {
  name: "bpf-asm",
  startState: () => ({ lineStart: true }),
  token(stream, state) {
    if (stream.sol()) state.lineStart = true;
    if (stream.eatSpace()) return null;
    const atStart = state.lineStart;
    state.lineStart = false;
    if (stream.match(/^(;|#|\/\/).*/)) return "comment";
    if (atStart && stream.match(/^\.[A-Za-z_]\w*/)) return "meta";
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    if (atStart && stream.match(/^[A-Za-z_.$][\w.$]*(?=\s*:(?!:))/)) { stream.match(/^\s*:/); state.lineStart = true; return "labelName"; }
    if (stream.match(/^%?[rw](10|[0-9])\b/)) return "variableName.special";
    if (stream.match(/^[-+]?(0x[0-9a-fA-F]+|0b[01]+|0o[0-7]+|\d+)\b/)) return "number";
    const word = stream.match(/^[A-Za-z_$.][\w$.]*/) as RegExpMatchArray | null;
    if (word) {
      const w = word[0];
      if (KEYWORDS.has(w)) return "keyword";
      if (TYPES.test(w)) return "typeName";
      if (atStart && MNEMONIC.test(w)) return "keyword";
      if (/^bpf_\w+$/.test(w)) return "variableName.function";
      return "variableName";
    }
    if (stream.match(/^(s?[<>]=?|[=!]=|s?[/%>]>?=|[-+*&|^]=|<<=|>>=|[=*&|^<>+\-/%])/)) return "operator";
    stream.next();
    return "punctuation";
  },
};

export const bpfAsm = StreamLanguage.define(parser);
