// Every program of the BPF conformance suite (read in place from /work/shared/conformance/tests)
// assembles; where a test also gives the raw encoding (`-- raw`), ours matches it word for word.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encode } from "../../src/isa/index.js";
import { assemble, disassemble } from "../../src/text/index.js";

const DIR = process.env.BPFKIT_CONFORMANCE_DIR ?? "/work/shared/conformance/tests";
const present = existsSync(DIR);

/** Sections of a conformance file (`-- asm`, `-- raw`, ...), comments kept: the assembler must handle them. */
function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = "";
  for (const line of text.split("\n")) {
    const m = /^--\s*(.*?)\s*$/.exec(line);
    if (m) { current = m[1]!; out.set(current, []); continue; }
    if (current) out.get(current)!.push(line);
  }
  return out;
}

function rawWords(lines: string[]): bigint[] {
  return lines.map((l) => l.replace(/#.*/, "").trim()).filter(Boolean).flatMap((l) => l.split(/\s+/)).map((w) => BigInt(w));
}

describe.skipIf(!present)(`conformance suite programs assemble (${DIR})`, () => {
  const files = present ? readdirSync(DIR).filter((f) => f.endsWith(".data")).sort() : [];
  it("finds all 313 test files", () => { expect(files.length).toBe(313); });
  for (const f of files) {
    it(f, () => {
      const s = sections(readFileSync(join(DIR, f), "utf8"));
      const asm = s.get("asm");
      expect(asm, "every test has an -- asm section").toBeDefined();
      const program = assemble(asm!.join("\n"), { file: f });
      expect(program.insns.length).toBeGreaterThan(0);
      // Both syntaxes print it back to text that assembles to the same bytes, with and without labels.
      const bytes = encode(program.insns);
      for (const syntax of ["llvm", "mnemonic"] as const) {
        for (const labels of [false, true]) {
          const again = assemble(disassemble(program, { syntax, labels }), { file: `${f} (${syntax})` });
          expect(Buffer.from(encode(again.insns)).equals(Buffer.from(bytes))).toBe(true);
        }
      }
      const raw = s.get("raw");
      if (raw) {
        const view = new DataView(bytes.buffer);
        const ours = Array.from({ length: bytes.length / 8 }, (_, k) => view.getBigUint64(k * 8, true));
        expect(ours.map((w) => w.toString(16))).toEqual(rawWords(raw).map((w) => w.toString(16)));
      }
    });
  }
});

if (!present) describe("conformance suite programs assemble", () => { it.skip(`skipped: ${DIR} is absent`, () => {}); });
