// Rewrites test/verifier/selftests-known-differences.json: the programs of the committed selftests corpus
// (test/fixtures/selftests) that the kernel's verifier accepts and bpfkit refuses, with bpfkit's message.
// test/verifier/selftests-corpus.test.ts holds the emulator to this list: a new difference fails the test,
// and so does an entry that no longer differs, so the list cannot silently grow (or go stale). A program
// bpfkit accepts and the kernel refused is never listed: it always fails the test. Review the diff.
//
//   npx tsx scripts/verifier-selftests/known-differences.ts
import { writeFileSync } from "node:fs";
import { KNOWN_DIFFERENCES, corpusObjects, runObject } from "../../test/support/selftests-corpus.js";

const differences: Record<string, string> = {};
let answered = 0, total = 0, unsafe = 0;
for (const o of corpusObjects()) {
  for (const r of runObject(o)) {
    total++;
    if (!r.ours) continue;
    answered++;
    if (r.kernel === "reject" && r.ours === "accept") { unsafe++; console.log(`UNSAFE ${r.key}: the kernel refused (${r.kernelError ?? ""})`); }
    if (r.kernel === "accept" && r.ours === "reject") differences[r.key] = r.oursError ?? "";
  }
}
const out = {
  note: "selftests-corpus programs the kernel accepts and bpfkit refuses (bpfkit's first error line); regenerate with scripts/verifier-selftests/known-differences.ts",
  answered, total, differences,
};
writeFileSync(KNOWN_DIFFERENCES, JSON.stringify(out, null, 1) + "\n");
console.log(`${Object.keys(differences).length} known differences of ${answered} answered programs (${total} with a verifier verdict); ${unsafe} unsafe accepts`);
