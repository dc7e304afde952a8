// How many cases a property test tries. CI runs the counts written in the tests; a soak run multiplies
// them (BPFKIT_FUZZ_SCALE=20 npx vitest run test/runtime/kernel-diff.test.ts) to shake out rare cases
// before they turn up in CI. fast-check prints the seed of any failure, so it can be replayed.
export function fuzzRuns(n: number): number {
  const scale = Number(process.env.BPFKIT_FUZZ_SCALE ?? "1");
  return Number.isFinite(scale) && scale > 0 ? Math.max(1, Math.round(n * scale)) : n;
}
