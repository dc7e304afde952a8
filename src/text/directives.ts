// Directives: what a whole program needs besides instructions. They are read from the raw line text
// (not tokens) because section names contain `/` (`cgroup_skb/ingress`) and LLVM writes `@function`.
//   .section xdp            program type by libbpf section name (`.type xdp` is the same)
//   .map name, type=hash, key=4, value=8, max_entries=16[, flags=0][, pinning=by_name][, extra=N][, inner=other]
//   .license "GPL"          .name prog          .raw 0x0000000000000095
import type { MapSpec } from "../program/index.js";
import { parseIntegerText } from "./cursor.js";
import { LineError } from "./tokens.js";

export interface DirectiveContext {
  setSection(name: string): void;
  setLicense(text: string): void;
  setName(name: string, explicit: boolean): void;
  addMap(spec: MapSpec, inner: { name: string; col: number; endCol: number } | undefined, col: number, endCol: number): void;
  addRaw(words: bigint[], col: number): void;
}

/** LLVM bookkeeping directives that carry nothing bpfkit needs (so `clang -S` output assembles). */
const IGNORED = new Set([".text", ".file", ".p2align", ".align", ".size", ".addrsig", ".addrsig_sym", ".loc", ".ident", ".previous"]);

const NAME = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

/** Handle one directive line. `text` is the line without its comment; `indent` its leading whitespace length. */
export function directive(text: string, indent: number, ctx: DirectiveContext): void {
  const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)\s*(.*)$/.exec(text)!;
  const word = m[1]!;
  const args = m[2]!.trim();
  const argCol = indent + text.indexOf(m[2]!, word.length) + 1;
  const col = indent + 1;
  const endCol = col + word.length;
  // With no arguments at all, point at the directive itself.
  const bad = (problem: string, c = args ? argCol : col, e = args ? argCol + args.length : endCol): never => {
    throw new LineError(c, e, "BK2008", { directive: word, problem });
  };
  if (IGNORED.has(word) || word.startsWith(".cfi_")) return;
  switch (word) {
    case ".section": case ".type": {
      // `.type prog,@function` is LLVM's symbol typing, not a program type.
      if (word === ".type" && /,\s*[@%]/.test(args)) return;
      const name = unquote(args.split(",")[0]!.trim());
      if (!name || /\s/.test(name)) bad("expected a libbpf section name such as 'xdp', 'tc' or 'cgroup_skb/ingress'");
      ctx.setSection(name);
      return;
    }
    case ".license": {
      const license = unquote(args);
      if (!license) bad("expected a license string such as \"GPL\"");
      ctx.setLicense(license);
      return;
    }
    case ".name": case ".globl": case ".global": {
      if (!NAME.test(args)) bad("expected a program name (letters, digits, '_')");
      ctx.setName(args, word === ".name");
      return;
    }
    case ".map": return mapDirective(args, argCol, ctx, bad);
    case ".raw": {
      const words: bigint[] = [];
      let offset = 0;
      for (const part of args.split(",")) {
        const v = parseIntegerText(part.trim().toLowerCase());
        const c = argCol + offset + (part.length - part.trimStart().length);
        if (v === undefined || v >= 1n << 64n) bad("expected 64-bit instruction words like 0x0000000000000095", c, c + part.trim().length);
        words.push(v!);
        offset += part.length + 1;
      }
      ctx.addRaw(words, argCol);
      return;
    }
    default:
      throw new LineError(col, endCol, "BK2007", { name: word },
        "known directives: .section, .type, .map, .license, .name, .globl, .raw (see docs/asm-syntax.md)");
  }
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1);
  return t;
}

const MAP_KEYS: Record<string, "type" | "keySize" | "valueSize" | "maxEntries" | "flags" | "pinning" | "extra" | "inner"> = {
  type: "type", key: "keySize", key_size: "keySize", value: "valueSize", value_size: "valueSize",
  max_entries: "maxEntries", entries: "maxEntries", flags: "flags", map_flags: "flags",
  pinning: "pinning", extra: "extra", map_extra: "extra", inner: "inner",
};

function mapDirective(args: string, argCol: number, ctx: DirectiveContext,
  bad: (problem: string, c?: number, e?: number) => never): void {
  const parts = args.split(",");
  let offset = 0;
  const located = parts.map((p) => {
    const lead = p.length - p.trimStart().length;
    const r = { text: p.trim(), col: argCol + offset + lead };
    offset += p.length + 1;
    return r;
  });
  const name = located[0]!;
  if (!NAME.test(name.text)) bad("expected a map name first, e.g. '.map counts, type=array, key=4, value=8, max_entries=1'", name.col, name.col + Math.max(name.text.length, 1));
  const spec: MapSpec = { name: name.text, type: "", keySize: -1, valueSize: -1, maxEntries: -1, flags: 0 };
  let inner: { name: string; col: number; endCol: number } | undefined;
  const seen = new Set<string>();
  for (const p of located.slice(1)) {
    const end = p.col + Math.max(p.text.length, 1);
    const kv = /^([A-Za-z_]+)\s*=\s*(\S+)$/.exec(p.text);
    if (!kv) bad("expected key=value (type, key, value, max_entries, flags, pinning, extra, inner)", p.col, end);
    const field = MAP_KEYS[kv![1]!];
    if (!field) bad(`unknown map attribute '${kv![1]}' (known: type, key, value, max_entries, flags, pinning, extra, inner)`, p.col, end);
    if (seen.has(field!)) bad(`attribute '${kv![1]}' given twice`, p.col, end);
    seen.add(field!);
    const value = kv![2]!;
    if (field === "type") {
      if (!/^[a-z_][a-z0-9_]*$/.test(value)) bad("expected a map type name in lower case, e.g. hash, array, percpu_array, lpm_trie", p.col, end);
      spec.type = value;
    } else if (field === "pinning") {
      if (value !== "none" && value !== "by_name") bad("pinning is 'none' or 'by_name'", p.col, end);
      spec.pinning = value as "none" | "by_name";
    } else if (field === "inner") {
      if (!NAME.test(value)) bad("expected the name of another .map as the inner map template", p.col, end);
      inner = { name: value, col: p.col, endCol: end };
    } else {
      const n = parseIntegerText(value.toLowerCase());
      if (n === undefined || n > 0xffffffffn) bad(`${kv![1]} must be a number from 0 to 4294967295`, p.col, end);
      const v = Number(n);
      if (field === "extra") spec.extra = v;
      else spec[field!] = v;
    }
  }
  const missing = [["type", spec.type === ""], ["key", spec.keySize < 0], ["value", spec.valueSize < 0], ["max_entries", spec.maxEntries < 0]]
    .filter(([, m]) => m).map(([k]) => k);
  if (missing.length) bad(`missing ${missing.join(", ")} (e.g. '.map ${name.text}, type=hash, key=4, value=8, max_entries=16')`);
  ctx.addMap(spec, inner, name.col, name.col + name.text.length);
}
