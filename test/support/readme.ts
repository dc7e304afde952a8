// Reading the README's quoted commands and their output, for the README tests.

/**
 * The README's `console` blocks: `$ command` lines, each followed by the output it must print. In the
 * expected output `...` alone on a line stands for any number of lines, and `...` inside a line for any
 * text (timings).
 */
export function consoleBlocks(text: string): { command: string; expected: string[] }[] {
  const out: { command: string; expected: string[] }[] = [];
  for (const m of text.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of m[1]!.split("\n")) {
      if (line.startsWith("$ ")) out.push({ command: line.slice(2), expected: [] });
      else if (out.length && line !== "") out[out.length - 1]!.expected.push(line);
    }
  }
  return out;
}

/** Does `actual` (lines) match `expected` with its `...` wildcards? */
export function matchesQuoted(actual: string[], expected: string[]): boolean {
  const line = (e: string, a: string): boolean =>
    new RegExp(`^${e.split("...").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(a);
  const go = (i: number, j: number): boolean => {
    if (i === expected.length) return j === actual.length;
    if (expected[i] === "...") return go(i + 1, j) || (j < actual.length && go(i, j + 1));
    return j < actual.length && line(expected[i]!, actual[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}
