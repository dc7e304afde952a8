#!/usr/bin/env node
// How many programs of a corpus (test/fixtures/real: objects plus kernel/<project>/<name>.json verdicts)
// a checkout answers (accepts or rejects), and how those answers compare with the kernel's:
//   node --import tsx scripts/measure-answered.mjs SRC_ROOT new|old CORPUS_DIR
// `new` goes through the verify listing (each program on its own); `old` opens the object as bpfkit did
// before per-program status (any unknown section or unsupported feature: the whole object unanswered),
// for a checkout from before (SRC_ROOT = that checkout). Prints one JSON object.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
const [root, mode, corpus] = process.argv.slice(2);
const files = [];
const walk = (d) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (f.endsWith(".o")) files.push(p); } };
walk(corpus);
const { loadObject } = await import(join(root, "src/elf/index.ts"));
const { verifySlots, toRawSlots, withBtfOptions } = await import(join(root, "src/verifier/verifier.ts"));
const pt = await import(join(root, "src/progtypes/index.ts"));
const listingMod = mode === "new" ? await import(join(root, "src/cli/verify-listing.ts")) : undefined;
const out = { objects: files.length, programs: 0, kernelLoaded: 0, answered: 0, accept: 0, reject: 0, answeredOfKernelLoaded: 0, agree: 0, unsafeAccept: 0, falseReject: 0, reasons: {} };
const bump = (r) => { out.reasons[r] = (out.reasons[r] ?? 0) + 1; };
for (const f of files) {
  const rel = relative(corpus, f);
  const kfile = join(corpus, "kernel", rel.replace(/\.bpf\.o$|\.o$/, ".json"));
  const kernel = existsSync(kfile) ? JSON.parse(readFileSync(kfile, "utf8")).programs : [];
  const kOf = (name) => kernel.find((p) => p.name === name);
  const bytes = readFileSync(f);
  const verdicts = new Map(); // name -> accept|reject
  let names = kernel.map((p) => p.name);
  if (mode === "new") {
    let obj;
    try { obj = loadObject(bytes, { file: f, allowUnsupported: true }); } catch (e) { bump("object does not open"); }
    if (obj) {
      const l = listingMod.verifyListing(f, obj.programs, obj.unsupported, { verify: { timeoutMs: 20000 } });
      for (const r of l.programs) { if (r.verdict !== "unanswered") verdicts.set(r.name, r.verdict); else bump((r.reason ?? "").replace(/'[^']*'/g, "'X'").replace(/ \(.*$|,.*$| at pc.*$/, "").slice(0, 60)); }
      if (!names.length) names = l.programs.map((r) => r.name);
    }
  } else {
    let obj;
    try { obj = loadObject(bytes, { file: f }); } catch (e) { bump("object-wide " + (e.diagnostics?.[0]?.code ?? "error")); }
    for (const p of obj?.programs ?? []) {
      const sec = pt.resolveSection(p.section);
      if (!sec) { bump("no type"); continue; }
      try {
        const r = verifySlots(toRawSlots(p.insns), p.maps, p.license, withBtfOptions(p, { progType: sec.progType, ...(sec.attachType !== undefined ? { attachType: sec.attachType } : {}), hasFuncInfo: !!p.btf?.funcInfo?.length, timeoutMs: 20000 }), p.lines);
        verdicts.set(p.name, r.verdict);
      } catch (e) { bump("verifier threw"); }
    }
  }
  for (const name of names) {
    out.programs++;
    const k = kOf(name);
    const kv = k?.result === "loaded" ? "accept" : k?.result === "refused" && !k.refusedOutsideVerifier ? "reject" : undefined;
    if (kv === "accept") out.kernelLoaded++;
    const v = verdicts.get(name);
    if (!v) continue;
    out.answered++; out[v]++;
    if (kv === "accept") out.answeredOfKernelLoaded++;
    if (kv && v === kv) out.agree++;
    if (v === "accept" && kv === "reject") out.unsafeAccept++;
    if (v === "reject" && kv === "accept") out.falseReject++;
  }
}
console.log(JSON.stringify(out, null, 1));
