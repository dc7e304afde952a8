// Files with several mistakes: every one is reported (not just the first), at the right line and column,
// in file:line:col form, as one BpfkitError.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfkitError, formatDiagnostic } from "../../src/diagnostics/index.js";
import { assemble } from "../../src/text/index.js";

function errorsOf(name: string, syntax: "llvm" | "mnemonic" | "auto" = "auto"): { line?: number; col?: number; code: string; text: string }[] {
  const text = readFileSync(new URL(`../fixtures/text/${name}`, import.meta.url), "utf8");
  try {
    assemble(text, { file: name, syntax });
  } catch (err) {
    expect(err).toBeInstanceOf(BpfkitError);
    return (err as BpfkitError).diagnostics.map((d) => ({ line: d.line, col: d.col, code: d.code, text: formatDiagnostic(d) }));
  }
  throw new Error(`${name} assembled without errors`);
}

const brief = (es: { line?: number; col?: number; code: string }[]): string[] => es.map((e) => `${e.line}:${e.col} ${e.code}`);

describe("error reporting", () => {
  it("LLVM syntax: all mistakes, in line order", () => {
    const es = errorsOf("errors-llvm.s");
    expect(brief(es)).toEqual([
      "5:3 BK2003", // r11
      "6:9 BK2001", // w1 += r2: width mismatch
      "7:10 BK2001", // `>>` reads as `>` then a stray `>` where the operand belongs
      "8:20 BK2003", // offset out of 16 bits (the operand starts at its sign)
      "9:8 BK2004", // undefined label
      "10:8 BK2010", // unknown helper
      "11:8 BK2006", // unknown map
      "12:3 BK2002", // unknown statement
      "14:1 BK2005", // duplicate label
      "15:27 BK2001", // cmpxchg compares with r0
    ]);
    expect(es[0]!.text).toBe("errors-llvm.s:5:3: error: register r11 is out of range: expected r0-r10 [BK2003]");
    expect(es[3]!.text).toContain("offset 70000 is out of range: expected -32768 to 32767");
    expect(es[8]!.text).toContain("label 'dup' is already defined at line 13");
  });

  it("mnemonic syntax: all mistakes, including a line in the other syntax", () => {
    const es = errorsOf("errors-mnemonic.s");
    expect(brief(es)).toEqual([
      "1:1 BK2001", // `--`
      "3:8 BK2001", // missing operand
      "4:17 BK2001", // missing ]
      "5:11 BK2001", // missing jump target
      "6:16 BK2001", // missing comma
      "7:1 BK2002", // lock mul
      "8:11 BK2003", // constant too wide
      "9:1 BK2012", // LLVM line in a mnemonic file
      "10:4 BK2004", // undefined label
    ]);
    expect(es[7]!.text).toContain("this line is in llvm syntax but the file is in mnemonic syntax (decided by line 2)");
  });

  it("directives: all mistakes", () => {
    const es = errorsOf("errors-directives.s");
    expect(brief(es)).toEqual([
      "1:1 BK2008", "2:6 BK2008", "3:53 BK2008", "4:21 BK2008", "5:1 BK2008", "6:1 BK2007", "8:6 BK2009",
    ]);
    expect(es[1]!.text).toContain("missing max_entries");
    expect(es[2]!.text).toContain("unknown map attribute 'colour'");
  });

  it("an empty file is an error, not an empty program", () => {
    expect(() => assemble("# nothing\n\n", { file: "empty.s" })).toThrow(/no instructions/);
  });

  it("a forced syntax reports lines of the other one", () => {
    const es = (() => { try { assemble("r0 = 1\nexit", { syntax: "mnemonic" }); } catch (e) { return (e as BpfkitError).diagnostics; } return []; })();
    expect(es.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(["1:1 BK2012"]);
    expect(es[0]!.message).toContain("set by option");
  });
});
